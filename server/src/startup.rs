//! Building the application (listener, database, engine, router) and running it until a signal.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use std::collections::BTreeMap;
use std::sync::Arc;

use app::state::{PlatformSettings, StateParts};
use app::{AppState, AuthConfig, SiteAssets};
use engine::db::{Database, DatabaseUrl};
use engine::docker::MonitorGuard;
use engine::identity::limiter::{LoginLimiter, LoginLimits};
use engine::identity::session_store::Sessions;
use engine::model::settings::{FixedSetting, Tunable};
use engine::services::Services;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_sessions::session_store::ExpiredDeletion;

use crate::settings::Settings;

/// A built, not yet running, Orbitr server.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
    shutdown: watch::Sender<bool>,
    grace: Duration,
    _monitor: MonitorGuard,
    _session_sweeper: AbortOnDrop,
}

/// A background task that stops with its owner.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
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

        let db = open_data(&settings).await?;

        let mut config = engine::services::ServiceConfig::new(&settings.data_dir);
        config.docker_host = settings.docker_host.clone();
        config.extensions_dir = settings.extensions_dir.clone();
        config.logs = engine::docker::logs::LogSettings {
            ring: usize::try_from(settings.log_ring_lines).unwrap_or(usize::MAX),
            queue: usize::try_from(settings.log_viewer_queue).unwrap_or(usize::MAX),
            ..engine::docker::logs::LogSettings::default()
        };
        let services = Services::open(db, &config).await?;
        let docker = &services.docker;
        if !docker.connect().await {
            let status = docker.status();
            tracing::warn!(
                host = %status.host,
                error = ?status.error,
                "Docker engine unreachable at start; serving anyway and retrying every 500 ms"
            );
        }
        services
            .adoptions
            .load_into(docker)
            .await
            .context("loading adopted Docker objects")?;
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

        let sessions = Sessions::open(&services.db)
            .await
            .context("preparing the session table")?;
        let session_sweeper = tokio::spawn({
            let sessions = sessions.clone();
            async move {
                if let Err(e) = sessions
                    .continuously_delete_expired(Duration::from_secs(3600))
                    .await
                {
                    tracing::warn!(error = %e, "expired session cleanup stopped");
                }
            }
        });
        let interrupted = services.stacks.load().await.context("loading stacks")?;
        match services.marketplace.start().await {
            Ok(failures) => {
                for (source, error) in failures {
                    tracing::warn!(source, error, "a marketplace source could not be synced");
                }
            }
            Err(e) => tracing::warn!(error = %e, "the marketplace catalog could not be loaded"),
        }
        if interrupted > 0 {
            tracing::warn!(
                interrupted,
                "stack operations were interrupted by the last shutdown; a new deploy converges them"
            );
        }
        if !settings.oauth.is_empty() && settings.public_url.is_none() {
            tracing::warn!(
                "sign-in providers are configured without public_url: the callback URL sent to them \
                 follows the Host each browser used; set public_url to the address registered with them"
            );
        }
        let has_users = services
            .accounts
            .count()
            .await
            .context("counting accounts")?
            > 0;

        let (shutdown, shutdown_rx) = watch::channel(false);
        let (sync_minutes, _) = watch::channel(settings.marketplace_sync_mins);
        let Services {
            db,
            docker,
            audit,
            accounts,
            tokens,
            workspaces,
            admin,
            signins,
            identities,
            policies,
            adoptions,
            registries,
            stacks,
            logs,
            stats,
            marketplace,
            signin_providers,
            stored_settings,
        } = services;
        let state = AppState::new(StateParts {
            leptos_options,
            audit,
            db,
            docker,
            assets,
            shutdown: shutdown_rx,
            accounts,
            tokens,
            workspaces,
            signins,
            admin,
            providers: engine::identity::oauth::Providers::new(settings.oauth.clone()),
            identities,
            policies,
            adoptions,
            registries,
            stacks,
            marketplace,
            logs,
            stats,
            login_limiter: LoginLimiter::new(LoginLimits {
                per_account: usize::try_from(settings.login_failures_per_account)
                    .unwrap_or(usize::MAX),
                per_address: usize::try_from(settings.login_failures_per_address)
                    .unwrap_or(usize::MAX),
                window: Duration::from_secs(settings.login_failure_window_mins * 60),
            }),
            auth: AuthConfig::new(
                has_users,
                i64::try_from(settings.session_max_days * 86_400_000).unwrap_or(i64::MAX),
                i64::try_from(settings.session_idle_hours * 3_600_000).unwrap_or(i64::MAX),
                settings.public_url.clone(),
            ),
            settings: platform_settings(&settings, stored_settings, signin_providers, sync_minutes),
        });
        // What the settings page stored goes in force over the defaults.
        app::ops::settings::load(&state)
            .await
            .map_err(|e| anyhow::anyhow!("reading the platform settings: {e}"))?;
        tokio::spawn({
            let providers = state.providers.clone();
            async move { providers.discover_all().await }
        });
        tokio::spawn(sync_marketplace(
            state.marketplace.clone(),
            state.settings.sync_minutes.subscribe(),
            state.shutdown.clone(),
        ));
        let router = crate::routes::router(state.clone(), sessions, &settings);
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
            _session_sweeper: AbortOnDrop(session_sweeper),
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
        let Self {
            listener,
            router,
            state,
            grace,
            _monitor,
            _session_sweeper,
            ..
        } = self;
        let serve = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            signal.await;
            tracing::info!("shutting down: finishing in-flight requests");
            let _ = shutdown.send(true);
        });
        tokio::select! {
            result = serve.into_future() => result.context("HTTP server failed")?,
            () = async move {
                let _ = stopping.wait_for(|stopping| *stopping).await;
                tokio::time::sleep(grace).await;
            } => tracing::warn!("grace period over; closing remaining connections"),
        }
        state.db.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Prepares the data dir and opens the database (running migrations). On failure a data dir
/// created by this call is removed again.
pub async fn open_data(settings: &Settings) -> anyhow::Result<Database> {
    let created_dir = prepare_data_dir(&settings.data_dir)?;
    match open_database(settings).await {
        Ok(db) => Ok(db),
        Err(e) => {
            if created_dir {
                let _ = std::fs::remove_dir_all(&settings.data_dir);
            }
            Err(e)
        }
    }
}

/// Creates the data dir if needed and checks it is writable. Returns whether it was created.
fn prepare_data_dir(dir: &Path) -> anyhow::Result<bool> {
    let existed = dir.is_dir();
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the data dir {}", dir.display()))?;
    // It holds the database, the vault key and the stacks' files: Orbitr's user alone.
    if let Err(e) = engine::private::private_dir(dir) {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot make the data dir private (0700)");
    }
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

/// The platform settings: those the file, environment or a flag gives are fixed (shown with
/// where they come from); the others the settings page may change.
fn platform_settings(
    settings: &Settings,
    store: engine::settings::StoredSettings,
    providers: engine::settings::StoredProviders,
    sync_minutes: watch::Sender<u64>,
) -> PlatformSettings {
    let value_of = |t: Tunable| match t {
        Tunable::PublicUrl => settings.public_url.clone().unwrap_or_default(),
        Tunable::SessionIdleHours => settings.session_idle_hours.to_string(),
        Tunable::SessionMaxDays => settings.session_max_days.to_string(),
        Tunable::LoginFailuresPerAccount => settings.login_failures_per_account.to_string(),
        Tunable::LoginFailuresPerAddress => settings.login_failures_per_address.to_string(),
        Tunable::LoginFailureWindowMins => settings.login_failure_window_mins.to_string(),
        Tunable::MarketplaceSyncMins => settings.marketplace_sync_mins.to_string(),
        t @ (Tunable::SmtpHost
        | Tunable::SmtpPort
        | Tunable::SmtpSecurity
        | Tunable::SmtpUsername
        | Tunable::SmtpFrom) => settings
            .mail
            .get(&t)
            .cloned()
            .unwrap_or_else(|| t.default_value()),
    };
    let started: BTreeMap<Tunable, String> =
        Tunable::ALL.into_iter().map(|t| (t, value_of(t))).collect();
    let fixed: BTreeMap<Tunable, String> = Tunable::ALL
        .into_iter()
        .filter_map(|t| Some((t, settings.given.get(t.key())?.clone())))
        .collect();
    let from = |key: &str| {
        settings
            .given
            .get(key)
            .cloned()
            .unwrap_or_else(|| "default".to_owned())
    };
    let reference = vec![
        FixedSetting {
            name: "bind".into(),
            value: settings.bind.to_string(),
            source: from("bind"),
        },
        FixedSetting {
            name: "data_dir".into(),
            value: settings.data_dir.display().to_string(),
            source: from("data_dir"),
        },
        FixedSetting {
            name: "docker_host".into(),
            value: settings
                .docker_host
                .clone()
                .unwrap_or_else(|| "$DOCKER_HOST or unix:///var/run/docker.sock".into()),
            source: from("docker_host"),
        },
    ];
    PlatformSettings {
        store,
        started: Arc::new(started),
        fixed: Arc::new(fixed),
        reference: Arc::new(reference),
        sync_minutes,
        providers,
        file_providers: Arc::new(settings.oauth.clone()),
        file_smtp_password: settings
            .smtp_password
            .clone()
            .map(|p| Arc::new((p, from("smtp_password")))),
    }
}

/// Syncs every marketplace source every `minutes` (0: only on demand), following changes of
/// the interval from the settings page, until shutdown.
async fn sync_marketplace(
    marketplace: engine::marketplace::Marketplace,
    mut minutes: watch::Receiver<u64>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let every = *minutes.borrow_and_update();
        let wait = async {
            if every == 0 {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(Duration::from_secs(every * 60)).await;
        };
        tokio::select! {
            () = wait => {}
            // A new interval counts from now.
            changed = minutes.changed() => {
                if changed.is_err() {
                    break;
                }
                continue;
            }
            _ = stop.changed() => break,
        }
        for (source, result) in marketplace.sync_all().await {
            match result {
                Ok(r) => tracing::info!(
                    source,
                    extensions = r.extensions,
                    invalid = r.invalid,
                    "marketplace source synced"
                ),
                Err(error) => {
                    tracing::warn!(source, error, "a marketplace source could not be synced")
                }
            }
        }
    }
}
