//! Building the application (listener, database, engine, router) and running it until a signal.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use app::{AppState, SiteAssets};
use engine::db::{Database, DatabaseUrl};
use engine::docker::{DockerEngine, MonitorGuard};
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::settings::Settings;

/// A built, not yet running, Orbitr server.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
    shutdown: watch::Sender<bool>,
    grace: Duration,
    _monitor: MonitorGuard,
}

impl Application {
    /// Binds the port, prepares the data dir and database, and connects to the engine.
    /// Fails with one clear message; on failure nothing it created is left behind.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        // Install the metrics recorder before anything records.
        crate::http::metrics_handle();
        let listener = TcpListener::bind(settings.bind)
            .await
            .with_context(|| format!("cannot listen on {}", settings.bind))?;

        let created_dir = prepare_data_dir(&settings.data_dir)?;
        let db = match open_database(&settings).await {
            Ok(db) => db,
            Err(e) => {
                if created_dir {
                    let _ = std::fs::remove_dir_all(&settings.data_dir);
                }
                return Err(e);
            }
        };

        let docker = DockerEngine::new(settings.docker_host.as_deref());
        if !docker.connect().await {
            let status = docker.status();
            tracing::warn!(
                host = %status.host,
                error = ?status.error,
                "Docker engine unreachable at start; serving anyway and retrying every 500 ms"
            );
        }
        let monitor = docker.spawn_monitor();

        let assets = SiteAssets::load(&settings.site_dir);
        if !assets.found {
            tracing::warn!(
                site_dir = %settings.site_dir.display(),
                "browser assets not found; pages will render without styles or scripts (run `make build`)"
            );
        }
        let leptos_options = LeptosOptions::builder()
            .output_name("orbitr")
            .site_root(settings.site_dir.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(listener.local_addr()?)
            .build();

        let (shutdown, shutdown_rx) = watch::channel(false);
        let state = AppState {
            leptos_options,
            db,
            docker,
            assets,
            shutdown: shutdown_rx,
        };
        let router = crate::routes::router(state.clone());
        tracing::info!(
            address = %listener.local_addr()?,
            database = state.db.backend(),
            data_dir = %settings.data_dir.display(),
            "Orbitr listening"
        );
        Ok(Self {
            listener,
            router,
            state,
            shutdown,
            grace: Duration::from_secs(settings.shutdown_grace_secs),
            _monitor: monitor,
        })
    }

    /// The address actually bound (tests bind port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The shared state (tests use it to reach the database and engine).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `signal` completes; then stops accepting, lets in-flight requests finish
    /// (up to the grace period), ends live streams and closes the database pool.
    pub async fn run_until_stopped(
        self,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let shutdown = self.shutdown.clone();
        let mut stopping = self.shutdown.subscribe();
        let serve = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            signal.await;
            tracing::info!("shutting down: finishing in-flight requests");
            let _ = shutdown.send(true);
        });
        let grace = self.grace;
        tokio::select! {
            result = serve.into_future() => result.context("HTTP server failed")?,
            () = async move {
                let _ = stopping.wait_for(|stopping| *stopping).await;
                tokio::time::sleep(grace).await;
            } => tracing::warn!("grace period over; closing remaining connections"),
        }
        self.state.db.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Creates the data dir if needed and checks it is writable. Returns whether it was created.
fn prepare_data_dir(dir: &Path) -> anyhow::Result<bool> {
    let existed = dir.is_dir();
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the data dir {}", dir.display()))?;
    let probe = dir.join(".orbitr-write-check");
    if let Err(e) = std::fs::write(&probe, b"ok") {
        if !existed {
            let _ = std::fs::remove_dir_all(dir);
        }
        return Err(e).with_context(|| format!("the data dir {} is not writable", dir.display()));
    }
    let _ = std::fs::remove_file(probe);
    Ok(!existed)
}

async fn open_database(settings: &Settings) -> anyhow::Result<Database> {
    let url: DatabaseUrl = settings.database();
    let db = Database::open(url).await?;
    let id = db.instance_id().await.context("reading the instance id")?;
    tracing::debug!(instance = %id, backend = db.backend(), "database ready");
    Ok(db)
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
