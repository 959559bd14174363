//! Per-test PostgreSQL databases on the server named by `TEST_POSTGRES_URL`
//! (e.g. `postgres://orbitr:orbitr@127.0.0.1:5432/postgres`, which `make test` starts).

use anyhow::Context;
use sqlx::{Connection, Executor, PgConnection};

/// Environment variable naming the PostgreSQL server tests run against; unset means SQLite.
pub const ENV: &str = "TEST_POSTGRES_URL";

/// The admin URL when the PostgreSQL run is on.
pub fn server_url() -> Option<String> {
    std::env::var(ENV).ok().filter(|v| !v.is_empty())
}

/// A fresh database for one test when the PostgreSQL run is on (`TEST_POSTGRES_URL` set),
/// `None` for the SQLite run.
pub async fn for_this_run() -> anyhow::Result<Option<TestDatabase>> {
    match server_url() {
        Some(admin) => TestDatabase::create(&admin).await.map(Some),
        None => Ok(None),
    }
}

/// A database created for one test; dropped (with its connections) when this value is dropped.
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates an empty database `orbitr_test_<random>` on the server at `admin_url`.
    pub async fn create(admin_url: &str) -> anyhow::Result<Self> {
        let name = format!("orbitr_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(admin_url)
            .await
            .with_context(|| format!("connecting to {ENV}"))?;
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .with_context(|| format!("creating database {name}"))?;
        conn.close().await?;
        let base = admin_url
            .rsplit_once('/')
            .map(|(base, _)| base)
            .context("TEST_POSTGRES_URL has no database part")?;
        Ok(Self {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}"),
            name,
        })
    }

    /// URL of the test database.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&admin_url).await.ok()?;
                conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await
                    .ok()
            })
        })
        .join();
    }
}
