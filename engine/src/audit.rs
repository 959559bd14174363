//! The audit log: one record per state-changing action, hash-chained so that any edit or deletion
//! of a stored record is detected by [`Audit::verify`].

use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::clock::now_ms;
use crate::db::{Database, DbError};
use crate::on_pool;

/// `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Denied,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Denied => "denied",
            Self::Failed => "failed",
        }
    }
}

/// One action to record. Never put secrets in any field.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    /// `user:<id>`, `token:<id>`, `anonymous` or `system`.
    pub actor: String,
    pub workspace: Option<String>,
    /// Dotted verb, e.g. `auth.login`, `auth.setup`.
    pub action: String,
    pub target: Option<String>,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub source_ip: Option<String>,
}

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Record {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub workspace: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub result: String,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub source_ip: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// What to look for in the log; every field is optional and they combine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Filter {
    /// Actor prefix, e.g. `user:<id>`.
    pub actor: Option<String>,
    /// Workspace id.
    pub workspace: Option<String>,
    /// Action prefix, e.g. `workspace.` or `auth.login`.
    pub action: Option<String>,
    /// `ok`, `denied` or `failed`.
    pub result: Option<String>,
    /// From this time (ms since the epoch), inclusive.
    pub from: Option<i64>,
    /// Until this time, exclusive.
    pub to: Option<i64>,
}

/// Result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every record's hash matches and links to the one before.
    Intact { records: u64 },
    /// The first record whose hash or link does not match.
    Broken { seq: i64, why: &'static str },
}

/// Appends to and verifies the audit log.
#[derive(Clone)]
pub struct Audit {
    db: Database,
    /// Appends are serialized so each one links to the true last record.
    append_lock: Arc<Mutex<()>>,
}

fn record_hash(prev_hash: &str, at: i64, result: &str, e: &Fields<'_>) -> String {
    let canonical = serde_json::json!([
        prev_hash,
        at,
        e.actor,
        e.workspace,
        e.action,
        e.target,
        result,
        e.reason,
        e.request_id,
        e.source_ip
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

struct Fields<'a> {
    actor: &'a str,
    workspace: Option<&'a str>,
    action: &'a str,
    target: Option<&'a str>,
    reason: Option<&'a str>,
    request_id: Option<&'a str>,
    source_ip: Option<&'a str>,
}

impl<'a> From<&'a Entry> for Fields<'a> {
    fn from(e: &'a Entry) -> Self {
        Self {
            actor: &e.actor,
            workspace: e.workspace.as_deref(),
            action: &e.action,
            target: e.target.as_deref(),
            reason: e.reason.as_deref(),
            request_id: e.request_id.as_deref(),
            source_ip: e.source_ip.as_deref(),
        }
    }
}

impl<'a> From<&'a Record> for Fields<'a> {
    fn from(r: &'a Record) -> Self {
        Self {
            actor: &r.actor,
            workspace: r.workspace.as_deref(),
            action: &r.action,
            target: r.target.as_deref(),
            reason: r.reason.as_deref(),
            request_id: r.request_id.as_deref(),
            source_ip: r.source_ip.as_deref(),
        }
    }
}

impl Audit {
    pub fn new(db: Database) -> Self {
        Self {
            db,
            append_lock: Arc::new(Mutex::new(())),
        }
    }

    /// Appends one record linked to the last one.
    pub async fn record(&self, entry: &Entry, outcome: Outcome) -> Result<(), DbError> {
        let _guard = self.append_lock.lock().await;
        let last: Option<(String,)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1"
        )
        .fetch_optional(pool)
        .await?);
        let prev = last.map_or_else(|| GENESIS.to_owned(), |(h,)| h);
        let at = now_ms();
        let fields = Fields::from(entry);
        let hash = record_hash(&prev, at, outcome.as_str(), &fields);
        on_pool!(&self.db, |pool| {
            sqlx::query(
            "INSERT INTO audit_log (at, actor, workspace, action, target, result, reason, request_id, source_ip, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )
        .bind(at)
        .bind(fields.actor)
        .bind(fields.workspace)
        .bind(fields.action)
        .bind(fields.target)
        .bind(outcome.as_str())
        .bind(fields.reason)
        .bind(fields.request_id)
        .bind(fields.source_ip)
        .bind(&prev)
        .bind(&hash)
        .execute(pool)
        .await
        .map(drop)?
        });
        Ok(())
    }

    /// The newest records first, at most `limit`.
    pub async fn recent(&self, limit: i64) -> Result<Vec<Record>, DbError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_as::<_, Record>(
            "SELECT * FROM audit_log ORDER BY seq DESC LIMIT $1"
        )
        .bind(limit)
        .fetch_all(pool)
        .await?))
    }

    /// Records matching `filter`, newest first, older than `before` (a `seq`) when given.
    pub async fn query(
        &self,
        filter: &Filter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Record>, DbError> {
        // A prefix match: the filter's own `%`, `_` and `\` are escaped, so they match literally
        // (actions like `auth.change_password` contain `_`).
        let like = |v: &Option<String>| {
            v.as_ref().map(|v| {
                let escaped = v
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                format!("{escaped}%")
            })
        };
        Ok(on_pool!(&self.db, |pool| sqlx::query_as::<_, Record>(
            "SELECT * FROM audit_log WHERE ($1 IS NULL OR actor LIKE $1 ESCAPE '\\') \
             AND ($2 IS NULL OR workspace = $2) AND ($3 IS NULL OR action LIKE $3 ESCAPE '\\') \
             AND ($4 IS NULL OR result = $4) AND ($5 IS NULL OR at >= $5) \
             AND ($6 IS NULL OR at < $6) AND ($7 IS NULL OR seq < $7) \
             ORDER BY seq DESC LIMIT $8"
        )
        .bind(like(&filter.actor))
        .bind(&filter.workspace)
        .bind(like(&filter.action))
        .bind(&filter.result)
        .bind(filter.from)
        .bind(filter.to)
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await?))
    }

    /// Walks the whole chain in order and reports the first record that does not match.
    pub async fn verify(&self) -> Result<Verification, DbError> {
        let records: Vec<Record> = on_pool!(&self.db, |pool| sqlx::query_as::<_, Record>(
            "SELECT * FROM audit_log ORDER BY seq"
        )
        .fetch_all(pool)
        .await?);
        let mut prev = GENESIS.to_owned();
        for record in &records {
            if record.prev_hash != prev {
                return Ok(Verification::Broken {
                    seq: record.seq,
                    why: "it does not link to the record before it (a record was removed or inserted)",
                });
            }
            let expected = record_hash(
                &record.prev_hash,
                record.at,
                &record.result,
                &Fields::from(record),
            );
            if record.hash != expected {
                return Ok(Verification::Broken {
                    seq: record.seq,
                    why: "its content does not match its hash (the record was changed)",
                });
            }
            prev.clone_from(&record.hash);
        }
        Ok(Verification::Intact {
            records: records.len() as u64,
        })
    }
}
