//! Browser sessions stored in Orbitr's own database (either backend), for tower-sessions.

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use crate::db::{Database, DbError};

/// The session store matching the configured database.
#[derive(Debug, Clone)]
pub enum Sessions {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Sessions {
    /// The store for `db`, with its table created if needed.
    pub async fn open(db: &Database) -> Result<Self, DbError> {
        let store = match db {
            Database::Sqlite(pool) => Self::Sqlite(SqliteStore::new(pool.clone())),
            Database::Postgres(pool) => Self::Postgres(PostgresStore::new(pool.clone())),
        };
        match &store {
            Self::Sqlite(s) => s.migrate().await?,
            Self::Postgres(s) => s.migrate().await?,
        }
        Ok(store)
    }
}

#[async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.create(record).await,
            Self::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.save(record).await,
            Self::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite(s) => s.load(id).await,
            Self::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.delete(id).await,
            Self::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for Sessions {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.delete_expired().await,
            Self::Postgres(s) => s.delete_expired().await,
        }
    }
}

/// Sessions kept in memory in front of the database store (`CachingSessionStore`), so an
/// authenticated request does not read the session table. One Orbitr process owns its database,
/// so the cache cannot go stale behind its back.
#[derive(Debug, Clone, Default)]
pub struct MemoryCache {
    records: std::sync::Arc<std::sync::RwLock<std::collections::HashMap<Id, Record>>>,
}

/// Entries kept before expired ones are dropped (and, if that is not enough, all of them:
/// the database still has every session).
const CACHE_CAPACITY: usize = 100_000;

impl MemoryCache {
    fn put(&self, record: &Record) {
        if let Ok(mut records) = self.records.write() {
            if records.len() >= CACHE_CAPACITY {
                let now = time::OffsetDateTime::now_utc();
                records.retain(|_, r| r.expiry_date > now);
                if records.len() >= CACHE_CAPACITY {
                    records.clear();
                }
            }
            records.insert(record.id, record.clone());
        }
    }
}

#[async_trait]
impl SessionStore for MemoryCache {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // The database store, first in line, already made the id unique.
        self.put(record);
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.put(record);
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = time::OffsetDateTime::now_utc();
        Ok(self
            .records
            .read()
            .ok()
            .and_then(|records| records.get(id).filter(|r| r.expiry_date > now).cloned()))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        if let Ok(mut records) = self.records.write() {
            records.remove(id);
        }
        Ok(())
    }
}
