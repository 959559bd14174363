//! The platform settings changed from the browser ([`Tunable`]), kept in the database: each
//! with who set it and when. A change of several settings is written at once or not at all.

use crate::clock::now_ms;
use crate::db::{Database, DbError};
use crate::model::settings::Tunable;
use crate::on_pool;

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
}

impl StoredSettings {
    pub fn new(db: Database) -> Self {
        Self { db }
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
    /// its default. Values are stored as given; check them with [`Tunable::parse`] first.
    pub async fn save(
        &self,
        changes: &[(Tunable, Option<String>)],
        by: &str,
    ) -> Result<(), DbError> {
        let at = now_ms();
        on_pool!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            for (tunable, value) in changes {
                match value {
                    Some(value) => {
                        sqlx::query(
                            "INSERT INTO platform_settings (key, value, updated_at, updated_by) \
                             VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET \
                             value = excluded.value, updated_at = excluded.updated_at, \
                             updated_by = excluded.updated_by",
                        )
                        .bind(tunable.key())
                        .bind(value)
                        .bind(at)
                        .bind(by)
                        .execute(&mut *tx)
                        .await?;
                    }
                    None => {
                        sqlx::query("DELETE FROM platform_settings WHERE key = $1")
                            .bind(tunable.key())
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
