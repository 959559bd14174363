//! Audit records as the log page shows them, and its filter.

use serde::{Deserialize, Serialize};

/// Records per page.
pub const PAGE: i64 = 50;

/// A record as the log page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub at: i64,
    /// `user:<id>`, `user:<id> token:<id>` or `anonymous`.
    pub actor: String,
    /// The actor's email when the actor is a user.
    pub actor_email: Option<String>,
    pub workspace: Option<String>,
    /// The workspace's name, while it exists.
    pub workspace_name: Option<String>,
    pub action: String,
    pub target: Option<String>,
    /// `ok`, `denied` or `failed`.
    pub result: String,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub source_ip: Option<String>,
}

/// One page of records and the `before` value of the next (older) page, if there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub older: Option<i64>,
}

/// The filter fields as forms and query strings carry them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// An email address, or an actor prefix such as `user:…` or `anonymous`.
    pub actor: Option<String>,
    pub workspace: Option<String>,
    /// Action prefix, e.g. `auth.` or `workspace.delete`.
    pub action: Option<String>,
    pub result: Option<String>,
    /// `YYYY-MM-DD` (UTC), inclusive.
    pub from: Option<String>,
    /// `YYYY-MM-DD` (UTC), inclusive.
    pub to: Option<String>,
    pub before: Option<i64>,
}
