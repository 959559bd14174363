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
    /// Signed in as the admin (see [`ADMIN_EMAIL`]) unless made by `spawn_fresh_app`.
    pub client: reqwest::Client,
    pub db: engine::db::Database,
    /// The server's shared state (accounts, workspaces, access layer), for setting up worlds.
    pub state: app::AppState,
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

/// The admin every signed-in test app has.
pub const ADMIN_EMAIL: &str = "admin@orbitr.test";
pub const ADMIN_NAME: &str = "Ada Admin";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// A server with default settings and its admin signed in.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A server whose settings `adjust` may change, with its admin signed in.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let app = spawn_fresh_app_with(adjust).await;
    let response = app.setup_admin(&app.client, ADMIN_PASSWORD).await;
    assert_eq!(
        response.status(),
        200,
        "setup: {}",
        response.text().await.unwrap_or_default()
    );
    app
}

/// A server before first-run setup, with an anonymous client.
pub async fn spawn_fresh_app() -> TestApp {
    spawn_fresh_app_with(|_| {}).await
}

/// A server before first-run setup whose settings `adjust` may change.
pub async fn spawn_fresh_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (mut settings, _) =
        settings::load(&Overrides::default(), &BTreeMap::new(), data_dir.path())
            .expect("default settings load");
    settings.bind = "127.0.0.1:0".parse().expect("address");
    settings.data_dir = data_dir.path().join("data");
    settings.site_dir = data_dir.path().join("site");
    settings.log = "warn".into();
    settings.shutdown_grace_secs = 2;

    let database = testkit::postgres::for_this_run()
        .await
        .expect("test database");
    if let Some(db) = &database {
        settings.database_url = Some(db.url().to_owned());
    }
    adjust(&mut settings);

    let app = Application::build(settings)
        .await
        .expect("application builds");
    let address = format!("http://{}", app.local_addr());
    let backend = app.state().db.backend();
    let db = app.state().db.clone();
    let state = app.state().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));

    TestApp {
        address,
        client: new_client(),
        db,
        state,
        _data_dir: data_dir,
        backend,
        stop: Some(stop),
        _database: database,
    }
}

/// A client that keeps cookies and does not follow redirects.
pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

impl TestApp {
    /// The server's data dir.
    pub fn data_dir(&self) -> std::path::PathBuf {
        self._data_dir.path().join("data")
    }

    /// POSTs a form as Orbitr's own pages do (with a matching `Origin`).
    pub async fn post_form(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(path))
            .header("origin", &self.address)
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// The first-run setup form.
    pub async fn setup_admin(&self, client: &reqwest::Client, password: &str) -> reqwest::Response {
        self.post_form(
            client,
            "/api/setup",
            &[
                ("name", ADMIN_NAME),
                ("email", ADMIN_EMAIL),
                ("password", password),
                ("confirm", password),
            ],
        )
        .await
    }

    /// The sign-in form.
    pub async fn login(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        self.post_form(
            client,
            "/api/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

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
