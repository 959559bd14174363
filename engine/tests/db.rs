//! The database layer on SQLite, and on PostgreSQL when `TEST_POSTGRES_URL` is set.

use engine::db::{Database, DatabaseUrl};
use testkit::postgres::TestDatabase;

#[tokio::test]
async fn sqlite_is_created_in_wal_mode_and_keeps_the_instance_id() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("orbitr.db");
    let db = Database::open(DatabaseUrl::sqlite_file(&file))
        .await
        .expect("open");
    let Database::Sqlite(pool) = &db else {
        panic!("expected SQLite")
    };
    let mode: (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .expect("pragma");
    assert_eq!(mode.0, "wal");
    let fk: (i64,) = sqlx::query_as("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await
        .expect("pragma");
    assert_eq!(fk.0, 1);
    let first = db.instance_id().await.expect("id");
    db.close().await;

    let db = Database::open(DatabaseUrl::sqlite_file(&file))
        .await
        .expect("reopen runs migrations again");
    assert_eq!(
        db.instance_id().await.expect("id"),
        first,
        "the id survives a restart"
    );
    db.ping().await.expect("ping");
}

#[tokio::test]
async fn postgres_runs_its_migrations_and_keeps_the_instance_id() {
    let Some(admin) = testkit::postgres::server_url() else {
        eprintln!("skipped: TEST_POSTGRES_URL is not set (make test sets it)");
        return;
    };
    let test_db = TestDatabase::create(&admin).await.expect("database");
    let url = DatabaseUrl::parse(test_db.url()).expect("url");
    let db = Database::open(url.clone()).await.expect("open");
    assert_eq!(db.backend(), "postgres");
    let first = db.instance_id().await.expect("id");
    db.close().await;
    let db = Database::open(url).await.expect("reopen");
    assert_eq!(db.instance_id().await.expect("id"), first);
    db.close().await;
}
