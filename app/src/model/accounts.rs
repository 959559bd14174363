//! Accounts as pages show them: the signed-in user, their sign-ins and API tokens, and the
//! accounts platform admins manage.

use serde::{Deserialize, Serialize};

/// The signed-in user as pages see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: String,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
}

/// One sign-in as the profile lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: String,
    /// e.g. "Firefox on Linux".
    pub device: String,
    pub ip: Option<String>,
    pub signed_in_at: i64,
    pub last_seen: i64,
    /// The session this list was asked from.
    pub current: bool,
}

/// A token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    /// `read` or `write`.
    pub scope: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// The one workspace the token may act in (`None`: wherever its owner may).
    pub workspace_id: Option<String>,
}

/// A new token with its secret, which is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub token: ApiToken,
    pub secret: String,
}

/// An account as the users page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
    pub created_at: i64,
    /// The admin looking at the list.
    pub is_me: bool,
}
