//! The platform settings changed from the browser ([`Tunable`]) and the sign-in providers added
//! there, kept in the database: each with who set it and when. A change of several settings is
//! written at once or not at all; a provider's client secret is sealed with the [`Vault`].

use crate::clock::now_ms;
use crate::db::{Database, DbError};
use crate::identity::oauth::ProviderSettings;
use crate::model::providers::{ProviderKind, ProviderSpec};
use crate::model::settings::Tunable;
use crate::on_pool;
use crate::vault::{Vault, VaultError};

/// A setting as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Stored {
    pub key: String,
    pub value: String,
    pub updated_at: i64,
    pub updated_by: String,
}

/// The `platform_settings` table.
#[derive(Clone)]
pub struct StoredSettings {
    db: Database,
    vault: Vault,
}

/// A secret setting as stored: sealed, with who set it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSecret {
    pub value: String,
    pub updated_at: i64,
    pub updated_by: String,
}

pub use crate::model::settings::SMTP_PASSWORD;

impl StoredSettings {
    pub fn new(db: Database, vault: Vault) -> Self {
        Self { db, vault }
    }

    /// The secret stored under `key` (like [`SMTP_PASSWORD`]), opened. A secret that no
    /// longer opens (the vault key was replaced) counts as not set, and is logged.
    pub async fn secret(&self, key: &str) -> Result<Option<StoredSecret>, DbError> {
        let row: Option<Stored> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT key, value, updated_at, updated_by FROM platform_settings WHERE key = $1"
        )
        .bind(key)
        .fetch_optional(pool)
        .await?);
        Ok(row.and_then(|row| {
            match self
                .vault
                .open_sealed(&row.value, &format!("setting:{key}"))
            {
                Ok(value) => Some(StoredSecret {
                    value,
                    updated_at: row.updated_at,
                    updated_by: row.updated_by,
                }),
                Err(e) => {
                    tracing::warn!(key, error = %e, "a stored secret setting does not open");
                    None
                }
            }
        }))
    }

    /// Every stored setting of a known key (a key a later version dropped is left alone).
    pub async fn all(&self) -> Result<Vec<(Tunable, Stored)>, DbError> {
        let rows: Vec<Stored> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT key, value, updated_at, updated_by FROM platform_settings ORDER BY key"
        )
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .filter_map(|row| Tunable::from_key(&row.key).map(|t| (t, row)))
            .collect())
    }

    /// Stores `changes` in one transaction: `Some(value)` sets a setting, `None` returns it to
    /// its default; and `secret` (key, value), sealed. Values are stored as given; check them
    /// with [`Tunable::parse`] first.
    pub async fn save(
        &self,
        changes: &[(Tunable, Option<String>)],
        secret: Option<(&str, &str)>,
        by: &str,
    ) -> Result<(), SealedStoreError> {
        let at = now_ms();
        let mut rows: Vec<(&str, Option<String>)> = changes
            .iter()
            .map(|(tunable, value)| (tunable.key(), value.clone()))
            .collect();
        if let Some((key, value)) = secret {
            rows.push((
                key,
                Some(self.vault.seal(value, &format!("setting:{key}"))?),
            ));
        }
        on_pool!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            for (key, value) in &rows {
                match value {
                    Some(value) => {
                        sqlx::query(
                            "INSERT INTO platform_settings (key, value, updated_at, updated_by) \
                             VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET \
                             value = excluded.value, updated_at = excluded.updated_at, \
                             updated_by = excluded.updated_by",
                        )
                        .bind(*key)
                        .bind(value)
                        .bind(at)
                        .bind(by)
                        .execute(&mut *tx)
                        .await?;
                    }
                    None => {
                        sqlx::query("DELETE FROM platform_settings WHERE key = $1")
                            .bind(*key)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

/// A sign-in provider the settings page stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProvider {
    pub provider: ProviderSettings,
    pub updated_at: i64,
    pub updated_by: String,
}

#[derive(sqlx::FromRow)]
struct ProviderRow {
    name: String,
    kind: String,
    label: String,
    client_id: String,
    client_secret: String,
    issuer: String,
    allowed_domains: String,
    trust_email: bool,
    updated_at: i64,
    updated_by: String,
}

/// Why a stored provider could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SealedStoreError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the client secret cannot be sealed: {0}")]
    Vault(#[from] VaultError),
    /// A new provider needs its client secret.
    #[error("no sign-in provider named {0:?} is stored, so its client secret is needed")]
    NoSecret(String),
}

crate::query_error_is_db!(SealedStoreError);

/// The `signin_providers` table.
#[derive(Clone)]
pub struct StoredProviders {
    db: Database,
    vault: Vault,
}

impl StoredProviders {
    pub fn new(db: Database, vault: Vault) -> Self {
        Self { db, vault }
    }

    /// What a provider's secret is sealed to: it opens only as that provider's.
    fn context(name: &str) -> String {
        format!("signin-provider:{name}")
    }

    /// Every stored provider, by name. One whose secret no longer opens (the vault key was
    /// replaced) or whose kind this version does not know is left out and logged.
    pub async fn all(&self) -> Result<Vec<StoredProvider>, DbError> {
        let rows: Vec<ProviderRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT name, kind, label, client_id, client_secret, issuer, allowed_domains, \
             trust_email, updated_at, updated_by FROM signin_providers ORDER BY name"
        )
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let Some(kind) = ProviderKind::parse(&row.kind) else {
                    tracing::warn!(provider = %row.name, kind = %row.kind, "stored sign-in provider of an unknown kind left out");
                    return None;
                };
                let client_secret = match self
                    .vault
                    .open_sealed(&row.client_secret, &Self::context(&row.name))
                {
                    Ok(secret) => secret,
                    Err(e) => {
                        tracing::warn!(provider = %row.name, error = %e, "stored sign-in provider left out: its client secret does not open");
                        return None;
                    }
                };
                let allowed_domains = row
                    .allowed_domains
                    .split(',')
                    .filter(|d| !d.is_empty())
                    .map(str::to_owned)
                    .collect();
                Some(StoredProvider {
                    provider: ProviderSettings {
                        spec: ProviderSpec {
                            name: row.name,
                            kind,
                            label: row.label,
                            client_id: row.client_id,
                            issuer: row.issuer,
                            allowed_domains,
                            trust_email: row.trust_email,
                        },
                        client_secret,
                    },
                    updated_at: row.updated_at,
                    updated_by: row.updated_by,
                })
            })
            .collect())
    }

    /// Stores `spec` (checked with [`ProviderSpec::check`]) with `secret`, or keeping the
    /// stored secret when `None`; a new provider needs one.
    pub async fn save(
        &self,
        spec: &ProviderSpec,
        secret: Option<&str>,
        by: &str,
    ) -> Result<(), SealedStoreError> {
        let sealed = match secret {
            Some(secret) => self.vault.seal(secret, &Self::context(&spec.name))?,
            None => {
                let row: Option<(String,)> = on_pool!(&self.db, |pool| sqlx::query_as(
                    "SELECT client_secret FROM signin_providers WHERE name = $1"
                )
                .bind(&spec.name)
                .fetch_optional(pool)
                .await?);
                row.ok_or_else(|| SealedStoreError::NoSecret(spec.name.clone()))?
                    .0
            }
        };
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO signin_providers (name, kind, label, client_id, client_secret, issuer, \
             allowed_domains, trust_email, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (name) DO UPDATE \
             SET kind = excluded.kind, label = excluded.label, client_id = excluded.client_id, \
             client_secret = excluded.client_secret, issuer = excluded.issuer, \
             allowed_domains = excluded.allowed_domains, trust_email = excluded.trust_email, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(&spec.name)
        .bind(spec.kind.key())
        .bind(&spec.label)
        .bind(&spec.client_id)
        .bind(&sealed)
        .bind(&spec.issuer)
        .bind(spec.allowed_domains.join(","))
        .bind(spec.trust_email)
        .bind(now_ms())
        .bind(by)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Removes stored provider `name`; false when there was none.
    pub async fn remove(&self, name: &str) -> Result<bool, DbError> {
        let gone = on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM signin_providers WHERE name = $1"
        )
        .bind(name)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(gone > 0)
    }
}
