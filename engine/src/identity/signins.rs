//! Where each user is signed in: one row per sign-in (`user_sessions`), referenced from the
//! session by its handle. Listing, revoking one and revoking all go through [`SignIns`], which
//! keeps an in-memory view of which handles are live (one Orbitr process owns its database), so
//! checking a request costs no query.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::clock::now_ms;
use crate::db::{Database, DbError};
use crate::on_pool;

/// A sign-in as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct SignIn {
    pub id: String,
    pub created_at: i64,
    pub last_seen: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The sign-in table with a cache of live handles (handle → owner).
#[derive(Clone)]
pub struct SignIns {
    db: Database,
    live: Arc<RwLock<HashMap<String, Option<String>>>>,
}

impl SignIns {
    pub fn new(db: Database) -> Self {
        Self {
            db,
            live: Arc::default(),
        }
    }

    /// Records a new sign-in and returns its handle.
    pub async fn open(
        &self,
        user_id: &str,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<String, DbError> {
        let (id, _) = crate::identity::secrets::new_credential();
        let now = now_ms();
        let agent = user_agent.map(|a| a.chars().take(300).collect::<String>());
        on_pool!(&self.db, |pool| {
            sqlx::query(
            "INSERT INTO user_sessions (id, user_id, created_at, last_seen, ip, user_agent) VALUES ($1, $2, $3, $3, $4, $5)"
        )
        .bind(&id)
        .bind(user_id)
        .bind(now)
        .bind(ip)
        .bind(&agent)
        .execute(pool)
        .await
        .map(drop)
        })?;
        if let Ok(mut live) = self.live.write() {
            live.insert(id.clone(), Some(user_id.to_owned()));
        }
        Ok(id)
    }

    /// Whether `handle` is a live sign-in of `user_id`.
    pub async fn is_live(&self, handle: &str, user_id: &str) -> Result<bool, DbError> {
        let cached = self.live.read().ok().and_then(|l| l.get(handle).cloned());
        let owner = match cached {
            Some(owner) => owner,
            None => {
                let row: Option<(String,)> = on_pool!(&self.db, |pool| sqlx::query_as(
                    "SELECT user_id FROM user_sessions WHERE id = $1 AND revoked_at IS NULL"
                )
                .bind(handle)
                .fetch_optional(pool)
                .await?);
                let owner = row.map(|(u,)| u);
                if let Ok(mut live) = self.live.write() {
                    live.insert(handle.to_owned(), owner.clone());
                }
                owner
            }
        };
        Ok(owner.as_deref() == Some(user_id))
    }

    /// Notes activity on a sign-in (callers limit how often).
    pub async fn touch(&self, handle: &str, at: i64) -> Result<(), DbError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE user_sessions SET last_seen = $1 WHERE id = $2"
        )
        .bind(at)
        .bind(handle)
        .execute(pool)
        .await
        .map(drop))?;
        Ok(())
    }

    /// A user's live sign-ins seen since `active_since`, most recent first.
    pub async fn list(&self, user_id: &str, active_since: i64) -> Result<Vec<SignIn>, DbError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_as::<_, SignIn>(
            "SELECT id, created_at, last_seen, ip, user_agent FROM user_sessions \
             WHERE user_id = $1 AND revoked_at IS NULL AND last_seen >= $2 ORDER BY last_seen DESC"
        )
        .bind(user_id)
        .bind(active_since)
        .fetch_all(pool)
        .await?))
    }

    /// Ends one of a user's sign-ins; false when there is no such live one.
    pub async fn revoke(&self, user_id: &str, handle: &str) -> Result<bool, DbError> {
        let changed = on_pool!(&self.db, |pool| {
            sqlx::query(
            "UPDATE user_sessions SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL"
        )
        .bind(now_ms())
        .bind(handle)
        .bind(user_id)
        .execute(pool)
        .await?
        .rows_affected()
        });
        if let Ok(mut live) = self.live.write() {
            live.insert(handle.to_owned(), None);
        }
        Ok(changed > 0)
    }

    /// Ends every sign-in of a user except `keep`; returns how many ended.
    pub async fn revoke_all(&self, user_id: &str, keep: Option<&str>) -> Result<u64, DbError> {
        let changed = on_pool!(&self.db, |pool| {
            sqlx::query(
            "UPDATE user_sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL \
             AND ($3 IS NULL OR id <> $3)"
        )
        .bind(now_ms())
        .bind(user_id)
        .bind(keep)
        .execute(pool)
        .await?
        .rows_affected()
        });
        if let Ok(mut live) = self.live.write() {
            for (handle, owner) in live.iter_mut() {
                if owner.as_deref() == Some(user_id) && Some(handle.as_str()) != keep {
                    *owner = None;
                }
            }
        }
        Ok(changed)
    }
}

/// A short description of a browser from its User-Agent, e.g. "Firefox on Linux".
pub fn describe_agent(agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("HeadlessChrome/", "Headless Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(needle, _)| agent.contains(needle))
    .map_or("Unknown browser", |(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| agent.contains(needle))
    .map(|(_, name)| *name);
    match system {
        Some(system) => format!("{browser} on {system}"),
        None => browser.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::describe_agent;

    #[test]
    fn agents_are_described_briefly() {
        assert_eq!(
            describe_agent(
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
            ),
            "Firefox on Linux"
        );
        assert_eq!(
            describe_agent(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0"
            ),
            "Edge on Windows"
        );
        assert_eq!(
            describe_agent(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1"
            ),
            "Safari on iOS"
        );
        assert_eq!(describe_agent("curl/8.5.0"), "curl");
    }
}
