//! The database: embedded SQLite (WAL) by default, PostgreSQL when the URL says so. Each backend
//! has its own migrations folder with the same schema.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Errors of the database layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "database URL {url:?} is not valid: {reason} (expected sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/NAME)"
    )]
    BadUrl { url: String, reason: String },
    #[error("cannot open the database {target}")]
    Connect {
        target: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("database migrations failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("database query failed")]
    Query(#[from] sqlx::Error),
}

impl DbError {
    /// Whether the database could not be reached at all (as opposed to a query it refused).
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Connect { .. } => true,
            Self::Query(e) => matches!(
                e,
                sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::Io(_)
                    | sqlx::Error::Tls(_)
                    | sqlx::Error::WorkerCrashed
            ),
            _ => false,
        }
    }
}

/// A database URL that has been checked, before anything is opened or created.
#[derive(Debug, Clone)]
pub enum DatabaseUrl {
    Sqlite(SqliteConnectOptions),
    Postgres(PgConnectOptions),
}

impl DatabaseUrl {
    /// Checks the scheme and the syntax of `url`.
    pub fn parse(url: &str) -> Result<Self, DbError> {
        let bad = |reason: String| DbError::BadUrl {
            url: redact(url),
            reason,
        };
        if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url)
                .map(Self::Sqlite)
                .map_err(|e| bad(e.to_string()))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            PgConnectOptions::from_str(url)
                .map(Self::Postgres)
                .map_err(|e| bad(e.to_string()))
        } else {
            Err(bad("unknown scheme".to_owned()))
        }
    }

    /// The SQLite database file at `path`.
    pub fn sqlite_file(path: &std::path::Path) -> Self {
        Self::Sqlite(SqliteConnectOptions::new().filename(path))
    }
}

/// A database URL with its password replaced, safe for logs and error messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// `From<sqlx::Error>` for each service error named, whose `Db(DbError)` case then takes the
/// query errors `?` meets: one definition for every service instead of one copy each.
#[macro_export]
macro_rules! query_error_is_db {
    ($($error:ty),+ $(,)?) => {$(
        impl From<sqlx::Error> for $error {
            fn from(e: sqlx::Error) -> Self {
                Self::Db($crate::db::DbError::Query(e))
            }
        }
    )+};
}

/// Runs the same sqlx code on whichever pool backs a [`Database`]: the body is compiled once per
/// backend, so one query text (with `$1`-style parameters, which both accept) serves both.
#[macro_export]
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Database::Sqlite($pool) => $body,
            $crate::db::Database::Postgres($pool) => $body,
        }
    };
}

/// A pool on one of the supported backends.
#[derive(Debug, Clone)]
pub enum Database {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Database {
    /// Opens a pool (creating the SQLite file if needed) and applies pending migrations.
    pub async fn open(url: DatabaseUrl) -> Result<Self, DbError> {
        let db = match url {
            DatabaseUrl::Sqlite(options) => {
                let target = options.get_filename().display().to_string();
                let file = options.get_filename().to_path_buf();
                if file.as_os_str() != ":memory:" && !target.is_empty() {
                    // Created 0600 before SQLite opens it: its WAL and shared-memory files take
                    // the database file's permissions.
                    for path in [
                        file.clone(),
                        PathBuf::from(format!("{target}-wal")),
                        PathBuf::from(format!("{target}-shm")),
                    ] {
                        let made = if path == file {
                            crate::private::private_file(&path)
                        } else {
                            crate::private::tighten(&path)
                        };
                        if let Err(e) = made {
                            tracing::warn!(path = %path.display(), error = %e, "cannot make the database file private");
                        }
                    }
                }
                let options = options
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5));
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .min_connections(0)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(options)
                    .await
                    .map_err(|source| DbError::Connect { target, source })?;
                Self::Sqlite(pool)
            }
            DatabaseUrl::Postgres(options) => {
                let target = format!(
                    "postgres://{}:{}/{}",
                    options.get_host(),
                    options.get_port(),
                    options.get_database().unwrap_or_default()
                );
                let pool = PgPoolOptions::new()
                    .max_connections(10)
                    .min_connections(0)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(options)
                    .await
                    .map_err(|source| DbError::Connect { target, source })?;
                Self::Postgres(pool)
            }
        };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Self::Sqlite(pool) => sqlx::migrate!("../migrations/sqlite").run(pool).await,
            Self::Postgres(pool) => sqlx::migrate!("../migrations/postgres").run(pool).await,
        }
        .map_err(DbError::Migrate)
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// Checks the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), DbError> {
        on_pool!(self, |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(drop))
        .map_err(DbError::Query)
    }

    /// This installation's id, made on first start and kept for its lifetime.
    pub async fn instance_id(&self) -> Result<String, DbError> {
        const INSERT: &str = "INSERT INTO instance_meta (key, value) VALUES ('instance_id', $1) ON CONFLICT (key) DO NOTHING";
        const SELECT: &str = "SELECT value FROM instance_meta WHERE key = 'instance_id'";
        let fresh = uuid::Uuid::new_v4().to_string();
        let id: (String,) = on_pool!(self, |pool| {
            sqlx::query(INSERT).bind(&fresh).execute(pool).await?;
            sqlx::query_as(SELECT).fetch_one(pool).await?
        });
        Ok(id.0)
    }

    /// Waits for in-flight queries and closes every connection.
    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact("postgres://orbitr:s3cret@db:5432/orbitr"),
            "postgres://orbitr:***@db:5432/orbitr"
        );
        assert_eq!(redact("sqlite://data/orbitr.db"), "sqlite://data/orbitr.db");
    }

    #[test]
    fn unknown_schemes_are_refused_with_the_expected_form() {
        let err = DatabaseUrl::parse("mysql://x@y/z")
            .map(drop)
            .expect_err("mysql is not supported")
            .to_string();
        assert!(err.contains("unknown scheme"), "{err}");
        assert!(err.contains("postgres://USER"), "{err}");
    }

    #[test]
    fn malformed_postgres_urls_are_refused() {
        assert!(DatabaseUrl::parse("postgres://user@host:notaport/db").is_err());
        assert!(DatabaseUrl::parse("postgres://user@host:5432/db").is_ok());
        assert!(DatabaseUrl::parse("sqlite://data/x.db").is_ok());
    }
}
