use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use server::settings::{self, Overrides, Settings};
use server::startup::Application;
use tempfile::TempDir;
use testkit::postgres::TestDatabase;
use tokio::sync::oneshot;

/// A running server for one test. Stops when dropped.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    _data_dir: TempDir,
    pub backend: &'static str,
    stop: Option<oneshot::Sender<()>>,
    _database: Option<TestDatabase>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A server with default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A server whose settings `adjust` may change (e.g. `docker_host`, `site_dir`).
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (mut settings, _) =
        settings::load(&Overrides::default(), &BTreeMap::new(), data_dir.path())
            .expect("default settings load");
    settings.bind = "127.0.0.1:0".parse().expect("address");
    settings.data_dir = data_dir.path().join("data");
    settings.site_dir = data_dir.path().join("site");
    settings.log = "warn".into();
    settings.shutdown_grace_secs = 2;

    let database = match testkit::postgres::server_url() {
        Some(admin) => Some(TestDatabase::create(&admin).await.expect("test database")),
        None => None,
    };
    if let Some(db) = &database {
        settings.database_url = Some(db.url().to_owned());
    }
    adjust(&mut settings);

    let app = Application::build(settings)
        .await
        .expect("application builds");
    let address = format!("http://{}", app.local_addr());
    let backend = app.state().db.backend();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    TestApp {
        address,
        client,
        _data_dir: data_dir,
        backend,
        stop: Some(stop),
        _database: database,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }
}

/// Polls `check` every 50 ms until it returns Some, or panics after `limit` naming `what`.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> (T, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return (value, started.elapsed());
        }
        assert!(
            started.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
