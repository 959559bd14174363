//! Personal API tokens: `Authorization: Bearer orbitr_<id>_<secret>`. The secret is shown once
//! and only its SHA-256 is stored (it is 256 random bits, so a slow hash adds nothing). A token
//! acts as its owner, limited to its scope: it can never do more than the owner.

use serde::{Deserialize, Serialize};

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::clock::now_ms;
use crate::db::{Database, DbError};
use crate::identity::accounts::{Accounts, User};
use crate::identity::secrets;
use crate::model::ids::{TokenId, UserId, WorkspaceId};
use crate::on_pool;

/// Last-used times are written at most this often per token (a busy script would otherwise
/// write on every request).
const LAST_USED_RESOLUTION_MS: i64 = 60_000;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Reading only (GET, HEAD).
    Read,
    /// Everything its owner may do.
    Write,
    /// `/metrics` only, for a Prometheus server (platform admins make these).
    Metrics,
}

impl Scope {
    pub fn parse(raw: &str) -> Result<Self, TokenError> {
        match raw {
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            "metrics" => Ok(Self::Metrics),
            _ => Err(TokenError::Invalid {
                field: "scope",
                message: "must be read, write or metrics",
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Metrics => "metrics",
        }
    }
}

/// Errors of token operations.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: &'static str,
    },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Account(#[from] crate::identity::accounts::AccountError),
}

crate::query_error_is_db!(TokenError);

/// A token as its owner sees it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: TokenId,
    pub name: String,
    pub scope: Scope,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// The one workspace this token may act in; `None` means wherever its owner may.
    pub workspace_id: Option<WorkspaceId>,
}

#[derive(Clone, sqlx::FromRow)]
struct Row {
    id: TokenId,
    user_id: UserId,
    name: String,
    scope: String,
    secret_hash: String,
    created_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
    workspace_id: Option<WorkspaceId>,
}

impl Row {
    fn info(&self) -> TokenInfo {
        TokenInfo {
            id: self.id.clone(),
            name: self.name.clone(),
            scope: Scope::parse(&self.scope).unwrap_or(Scope::Read),
            created_at: self.created_at,
            expires_at: self.expires_at,
            last_used_at: self.last_used_at,
            workspace_id: self.workspace_id.clone(),
        }
    }
}

/// Most tokens kept in memory; beyond it the cache starts again (tokens are few in practice).
const CACHE_LIMIT: usize = 10_000;

/// The token table. Tokens are cached in memory after their first use: every write to the
/// table goes through this type (or removes its rows by cascade from users and workspaces,
/// after which [`Tokens::clear_cache`] is called), so a token request costs no query except the
/// last-used write once a minute. Owners come from the [`Accounts`] cache.
#[derive(Clone)]
pub struct Tokens {
    db: Database,
    accounts: Accounts,
    cache: Arc<RwLock<HashMap<TokenId, Row>>>,
}

impl Tokens {
    pub fn new(db: Database, accounts: Accounts) -> Self {
        Self {
            db,
            accounts,
            cache: Arc::default(),
        }
    }

    /// Forgets every cached token (after rows were removed by cascade).
    pub fn clear_cache(&self) {
        if let Ok(mut cache) = self.cache.write() {
            cache.clear();
        }
    }

    /// Creates a token for `user_id`; returns it and the full secret, which is never shown again.
    pub async fn create(
        &self,
        user_id: &str,
        name: &str,
        scope: Scope,
        expires_in_days: Option<u32>,
        workspace_id: Option<&str>,
    ) -> Result<(TokenInfo, String), TokenError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(TokenError::Invalid {
                field: "name",
                message: "needs 1 to 100 characters",
            });
        }
        if expires_in_days.is_some_and(|d| d == 0 || d > 3650) {
            return Err(TokenError::Invalid {
                field: "expires_in_days",
                message: "must be 1 to 3650 days, or empty for no expiry",
            });
        }
        let (id, secret) = secrets::new_credential();
        let now = now_ms();
        let expires_at = expires_in_days.map(|d| now + i64::from(d) * 86_400_000);
        on_pool!(&self.db, |pool| {
            sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, scope, secret_hash, created_at, expires_at, workspace_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(&id)
        .bind(user_id)
        .bind(name)
        .bind(scope.as_str())
        .bind(secrets::digest(&secret))
        .bind(now)
        .bind(expires_at)
        .bind(workspace_id)
        .execute(pool)
        .await
        .map(drop)?
        });
        let info = TokenInfo {
            id: id.as_str().into(),
            name: name.to_owned(),
            scope,
            created_at: now,
            expires_at,
            last_used_at: None,
            workspace_id: workspace_id.map(WorkspaceId::from),
        };
        Ok((info, format!("orbitr_{id}_{secret}")))
    }

    /// The owner's tokens that are not revoked, newest first.
    pub async fn list(&self, user_id: &str) -> Result<Vec<TokenInfo>, TokenError> {
        let rows: Vec<Row> = on_pool!(&self.db, |pool| {
            sqlx::query_as::<_, Row>(
            "SELECT * FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC"
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?
        });
        Ok(rows.iter().map(Row::info).collect())
    }

    /// Revokes one of the owner's tokens; false when there is no such live token.
    pub async fn revoke(&self, user_id: &str, id: &str) -> Result<bool, TokenError> {
        let changed = on_pool!(&self.db, |pool| {
            sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL"
        )
        .bind(now_ms())
        .bind(id)
        .bind(user_id)
        .execute(pool)
        .await?
        .rows_affected()
        });
        if let Ok(mut cache) = self.cache.write() {
            cache.remove(id);
        }
        Ok(changed > 0)
    }

    /// Whether the token `id` is still valid now (not revoked, not expired): what an open
    /// websocket opened with it checks while it lasts.
    pub async fn is_active(&self, id: &str) -> Result<bool, TokenError> {
        let row: Option<(Option<i64>, Option<i64>)> = on_pool!(&self.db, |pool| {
            sqlx::query_as("SELECT revoked_at, expires_at FROM api_tokens WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        let now = now_ms();
        Ok(row.is_some_and(|(revoked, expires)| {
            revoked.is_none() && expires.is_none_or(|at| at > now)
        }))
    }

    /// The token and its owner for a presented `orbitr_<id>_<secret>`, if it is valid now
    /// (known, secret matches, not revoked, not expired).
    pub async fn authenticate(
        &self,
        presented: &str,
    ) -> Result<Option<(TokenInfo, User)>, TokenError> {
        let Some((id, secret)) = secrets::split(presented, "orbitr_") else {
            return Ok(None);
        };
        let cached = self.cache.read().ok().and_then(|c| c.get(id).cloned());
        let row = match cached {
            Some(row) => Some(row),
            None => {
                let row: Option<Row> = on_pool!(&self.db, |pool| sqlx::query_as::<_, Row>(
                    "SELECT * FROM api_tokens WHERE id = $1"
                )
                .bind(id)
                .fetch_optional(pool)
                .await?);
                if let (Some(row), Ok(mut cache)) = (&row, self.cache.write()) {
                    if cache.len() >= CACHE_LIMIT {
                        cache.clear();
                    }
                    cache.insert(row.id.clone(), row.clone());
                }
                row
            }
        };
        let now = now_ms();
        let Some(mut row) = row.filter(|r| {
            secrets::matches(&r.secret_hash, secret)
                && r.revoked_at.is_none()
                && r.expires_at.is_none_or(|at| at > now)
        }) else {
            return Ok(None);
        };
        let Some(user) = self.accounts.get(&row.user_id).await? else {
            return Ok(None);
        };
        if row
            .last_used_at
            .is_none_or(|t| now - t > LAST_USED_RESOLUTION_MS)
        {
            on_pool!(&self.db, |pool| sqlx::query(
                "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2"
            )
            .bind(now)
            .bind(&row.id)
            .execute(pool)
            .await
            .map(drop)?);
            row.last_used_at = Some(now);
            if let Ok(mut cache) = self.cache.write() {
                cache.insert(row.id.clone(), row.clone());
            }
        }
        let mut info = row.info();
        info.last_used_at = Some(now);
        Ok(Some((info, user)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse() {
        assert_eq!(Scope::parse("read").ok(), Some(Scope::Read));
        assert!(Scope::parse("admin").is_err());
    }
}
