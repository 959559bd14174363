//! The Docker engine connection: one shared bollard client, a monitor that notices when the engine
//! goes away and reconnects by itself when it comes back, and the calls the rest of Orbitr makes.

pub mod containers;
pub mod fanout;
pub mod live;
pub mod logs;
pub mod objects;
pub mod registries;
pub mod stats;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bollard::Docker;
use bollard::errors::Error as BollardError;
use bollard::query_parameters::EventsOptions;
use futures::StreamExt;
use tokio::sync::watch;

use crate::docker::live::{LiveContainers, LiveObjects};
use crate::model::system::{ContainerCounts, EngineInfo, EngineState, EngineStatus, SystemInfo};

/// Where the engine is when nothing says otherwise.
pub const DEFAULT_DOCKER_HOST: &str = "unix:///var/run/docker.sock";

pub use crate::model::resources::WORKSPACE_LABEL;

/// How often the monitor retries while the engine is unreachable.
const RETRY_EVERY: Duration = Duration::from_millis(500);
/// How often the monitor checks a connected engine is still there.
const CHECK_EVERY: Duration = Duration::from_secs(2);
/// Time limit of the monitor's own calls, so a hung engine is noticed.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// Events arriving together cause one snapshot refresh, this long after the first.
const REFRESH_DEBOUNCE: Duration = Duration::from_millis(150);
/// Time limit of ordinary API calls (bollard's default is 2 minutes).
const CALL_TIMEOUT_SECS: u64 = 30;

/// Errors of calls to the engine.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// The engine cannot be reached at all.
    #[error("the Docker engine at {host} is unreachable: {reason}")]
    Unavailable { host: String, reason: String },
    /// The engine answered with an error.
    #[error("the Docker engine refused {op}: {message} (HTTP {status})")]
    Api {
        op: &'static str,
        status: u16,
        message: String,
    },
    /// The engine's answer could not be understood.
    #[error("unexpected answer from the Docker engine to {op}")]
    Protocol {
        op: &'static str,
        #[source]
        source: BollardError,
    },
}

/// A shared handle on the Docker engine. Cheap to clone.
#[derive(Clone)]
pub struct DockerEngine {
    inner: Arc<Inner>,
}

struct Inner {
    host: String,
    client: RwLock<Option<Docker>>,
    status: watch::Sender<EngineStatus>,
    system: watch::Sender<Option<SystemInfo>>,
    containers: LiveContainers,
    objects: LiveObjects,
    /// Owners of adopted objects (container or network id, volume name → workspace).
    adopted: RwLock<HashMap<String, String>>,
    /// Held while a container of a stack stops: the engine (20.10 at least) loses count of a
    /// network's endpoints when several are torn down at once, and then refuses to remove the
    /// network ("active endpoints") until it restarts.
    teardown: tokio::sync::Mutex<()>,
}

/// Keeps the monitor task running; dropping it stops the task.
pub struct MonitorGuard(tokio::task::JoinHandle<()>);

impl Drop for MonitorGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl DockerEngine {
    /// A handle for `host` (`unix://…`, `tcp://…`, `http://…`); `None` means `DOCKER_HOST` or the
    /// default socket. Nothing is contacted until [`DockerEngine::connect`] or the monitor runs.
    pub fn new(host: Option<&str>) -> Self {
        let host = host
            .map(str::to_owned)
            .or_else(|| std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()))
            .unwrap_or_else(|| DEFAULT_DOCKER_HOST.to_owned());
        let (status, _) = watch::channel(EngineStatus {
            host: host.clone(),
            state: EngineState::Connecting,
            version: None,
            error: None,
        });
        Self {
            inner: Arc::new(Inner {
                host,
                client: RwLock::new(None),
                status,
                system: watch::channel(None).0,
                containers: LiveContainers::default(),
                objects: LiveObjects::default(),
                adopted: RwLock::default(),
                teardown: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The engine address in use.
    pub fn host(&self) -> &str {
        &self.inner.host
    }

    /// The live container state, kept current from the engine's events.
    pub fn containers(&self) -> &LiveContainers {
        &self.inner.containers
    }

    /// The live images, networks and volumes.
    pub fn objects(&self) -> &LiveObjects {
        &self.inner.objects
    }

    /// Replaces the adoptions known (object key → workspace), e.g. at start-up.
    pub fn set_adopted(&self, owners: impl IntoIterator<Item = (String, String)>) {
        if let Ok(mut map) = self.inner.adopted.write() {
            *map = owners.into_iter().collect();
        }
    }

    /// Records an adoption and reads the object again so the change is broadcast.
    pub async fn adopt(&self, kind: &str, key: &str, workspace: &str) {
        if let Ok(mut map) = self.inner.adopted.write() {
            map.insert(key.to_owned(), workspace.to_owned());
        }
        let result = match kind {
            "container" => self.refresh_container(key).await.map(drop),
            _ => self.refresh_objects(Dirty::ALL).await,
        };
        if let Err(e) = result {
            tracing::debug!(error = %e, "reading an adopted object failed");
        }
    }

    /// The workspace an unlabelled object was adopted into.
    pub(crate) fn adopted_owner(&self, key: &str) -> Option<String> {
        self.inner.adopted.read().ok()?.get(key).cloned()
    }

    /// The current connection state.
    pub fn status(&self) -> EngineStatus {
        self.inner.status.borrow().clone()
    }

    /// A receiver that sees every change of the connection state.
    pub fn subscribe(&self) -> watch::Receiver<EngineStatus> {
        self.inner.status.subscribe()
    }

    /// Tries once to connect and negotiate the API version; updates the status either way.
    pub async fn connect(&self) -> bool {
        match self.open_client().await {
            Ok((docker, version)) => {
                if let Ok(mut slot) = self.inner.client.write() {
                    *slot = Some(docker);
                }
                self.set_status(EngineState::Connected, Some(version), None);
                true
            }
            Err(reason) => {
                self.mark_unreachable(reason);
                false
            }
        }
    }

    async fn open_client(&self) -> Result<(Docker, String), String> {
        let docker = Docker::connect_with_host(&self.inner.host)
            .map_err(|e| e.to_string())?
            .with_timeout(Duration::from_secs(CALL_TIMEOUT_SECS));
        let docker = tokio::time::timeout(PROBE_TIMEOUT, docker.negotiate_version())
            .await
            .map_err(|_| "no answer within 3 s".to_owned())?
            .map_err(|e| describe(&e))?;
        record_call("version", true);
        let version = tokio::time::timeout(PROBE_TIMEOUT, docker.version())
            .await
            .map_err(|_| "no answer within 3 s".to_owned())?
            .map_err(|e| describe(&e))?
            .version
            .unwrap_or_default();
        Ok((docker, version))
    }

    fn set_status(&self, state: EngineState, version: Option<String>, error: Option<String>) {
        let next = EngineStatus {
            host: self.inner.host.clone(),
            state,
            version,
            error,
        };
        self.inner.status.send_if_modified(|current| {
            if *current == next {
                false
            } else {
                match next.state {
                    EngineState::Connected => tracing::info!(host = %next.host, version = ?next.version, "Docker engine connected"),
                    _ => tracing::warn!(host = %next.host, error = ?next.error, "Docker engine unreachable"),
                }
                *current = next;
                true
            }
        });
    }

    fn mark_unreachable(&self, reason: String) {
        if let Ok(mut slot) = self.inner.client.write() {
            *slot = None;
        }
        self.inner.system.send_replace(None);
        self.inner.containers.mark_stale();
        self.set_status(EngineState::Unreachable, None, Some(reason));
    }

    /// Starts the background task that keeps the connection state and the system snapshot
    /// true: it retries every 500 ms while the engine is unreachable, follows the engine's event
    /// stream while connected (refreshing the snapshot after changes) and pings every 2 s so a
    /// hung engine is noticed. The task stops when the returned guard is dropped.
    pub fn spawn_monitor(&self) -> MonitorGuard {
        let engine = self.clone();
        MonitorGuard(tokio::spawn(async move {
            loop {
                if engine.status().is_connected() || engine.connect().await {
                    engine.follow_events().await;
                } else {
                    tokio::time::sleep(RETRY_EVERY).await;
                }
            }
        }))
    }

    /// Follows the engine's events until the connection is lost (or the stream breaks).
    async fn follow_events(&self) {
        let Ok(docker) = self.client() else { return };
        let filters = HashMap::from([(
            "type".to_owned(),
            ["container", "image", "volume", "network"]
                .map(String::from)
                .to_vec(),
        )]);
        // The engine replays events since this second, so nothing between the reads below and
        // the stream's first poll is missed (a replayed event only causes one more read).
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs().saturating_sub(1).to_string())
            .ok();
        let mut events = docker.events(Some(EventsOptions {
            since,
            filters: Some(filters),
            ..Default::default()
        }));
        record_call("events", true);
        if let Err(e) = self.refresh_system().await {
            tracing::debug!(error = %e, "system snapshot refresh failed");
        }
        match self.read_all_containers().await {
            Ok(all) => self.inner.containers.replace_all(all),
            Err(e) => {
                tracing::warn!(error = %e, "reading the containers failed; retrying");
                tokio::time::sleep(RETRY_EVERY).await;
                return;
            }
        }
        if let Err(e) = self.refresh_objects(Dirty::ALL).await {
            tracing::warn!(error = %e, "reading images, networks and volumes failed; retrying");
            tokio::time::sleep(RETRY_EVERY).await;
            return;
        }
        // Containers named by events and not read since; read once each when the burst ends.
        let mut pending: HashSet<String> = HashSet::new();
        // Kinds of object to read again when the debounce ends.
        let mut dirty = Dirty::default();
        let mut check = tokio::time::interval(CHECK_EVERY);
        check.tick().await;
        let mut refresh_at: Option<tokio::time::Instant> = None;
        loop {
            let refresh_due = async {
                match refresh_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                // Events first: a burst is read whole before the containers it names are read.
                biased;
                item = events.next() => match item {
                    Some(Ok(event)) => {
                        mark_dirty(&event, &mut dirty);
                        if let Some(id) = container_to_read(&event) {
                            if event.action.as_deref() == Some("destroy") {
                                pending.remove(&id);
                                self.inner.containers.remove(&id);
                            } else {
                                pending.insert(id);
                            }
                        }
                        refresh_at.get_or_insert_with(|| tokio::time::Instant::now() + REFRESH_DEBOUNCE);
                    }
                    Some(Err(e)) => {
                        record_call("events", false);
                        if is_connection_error(&e) {
                            self.mark_unreachable(describe(&e));
                        } else {
                            self.check().await;
                        }
                        return;
                    }
                    None => {
                        self.check().await;
                        return;
                    }
                },
                () = std::future::ready(()), if !pending.is_empty() => {
                    for id in std::mem::take(&mut pending) {
                        if let Err(e) = self.refresh_container(&id).await {
                            tracing::debug!(error = %e, id, "container refresh failed");
                        }
                    }
                }
                _ = check.tick() => {
                    self.check().await;
                    if !self.status().is_connected() {
                        return;
                    }
                }
                () = refresh_due => {
                    refresh_at = None;
                    if let Err(e) = self.refresh_system().await {
                        tracing::debug!(error = %e, "system snapshot refresh failed");
                    }
                    if dirty.any() {
                        if let Err(e) = self.refresh_objects(dirty).await {
                            tracing::debug!(error = %e, "object refresh failed");
                        }
                        dirty = Dirty::default();
                    }
                }
            }
        }
    }

    async fn check(&self) {
        let result = self
            .call("ping", |docker| async move {
                tokio::time::timeout(PROBE_TIMEOUT, docker.ping())
                    .await
                    .unwrap_or(Err(BollardError::RequestTimeoutError))
            })
            .await;
        if let Err(DockerError::Unavailable { reason, .. }) = result {
            self.mark_unreachable(reason);
        }
    }

    /// The latest system snapshot, kept current from the engine's events.
    pub fn system_snapshot(&self) -> Option<SystemInfo> {
        self.inner.system.borrow().clone()
    }

    /// A receiver that sees every new system snapshot.
    pub fn subscribe_system(&self) -> watch::Receiver<Option<SystemInfo>> {
        self.inner.system.subscribe()
    }

    /// Orbitr's version and the engine's figures: the snapshot while connected, else a fresh
    /// read (which fails with [`DockerError::Unavailable`] when the engine is away).
    pub async fn system_info(&self) -> Result<SystemInfo, DockerError> {
        if let Some(snapshot) = self
            .system_snapshot()
            .filter(|_| self.status().is_connected())
        {
            return Ok(snapshot);
        }
        self.refresh_system().await
    }

    /// Reads the engine's figures now and publishes them as the new snapshot.
    pub async fn refresh_system(&self) -> Result<SystemInfo, DockerError> {
        let info = SystemInfo {
            orbitr_version: env!("CARGO_PKG_VERSION").to_owned(),
            engine: self.engine_info().await?,
            scope: crate::model::system::FigureScope::Engine,
        };
        self.inner.system.send_if_modified(|current| {
            let changed = current.as_ref() != Some(&info);
            if changed {
                *current = Some(info.clone());
            }
            changed
        });
        Ok(info)
    }

    /// Serializes container teardowns (see [`Inner::teardown`]).
    pub(crate) async fn teardown_guard(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.teardown.lock().await
    }

    pub(crate) fn client(&self) -> Result<Docker, DockerError> {
        let slot = self
            .inner
            .client
            .read()
            .map_err(|_| self.unavailable("internal lock poisoned"))?;
        slot.clone().ok_or_else(|| {
            let status = self.status();
            self.unavailable(status.error.as_deref().unwrap_or("not connected yet"))
        })
    }

    fn unavailable(&self, reason: &str) -> DockerError {
        DockerError::Unavailable {
            host: self.inner.host.clone(),
            reason: reason.to_owned(),
        }
    }

    /// Runs one engine call, counting it (and its failure) in the metrics. A failure to reach the
    /// engine marks it unreachable at once so the monitor starts reconnecting.
    pub async fn call<T, F, Fut>(&self, op: &'static str, f: F) -> Result<T, DockerError>
    where
        F: FnOnce(Docker) -> Fut,
        Fut: Future<Output = Result<T, BollardError>>,
    {
        let docker = self.client()?;
        let result = f(docker).await;
        record_call(op, result.is_ok());
        result.map_err(|e| self.error_of(op, e))
    }

    /// The engine's error as Orbitr's; a failure to reach the engine marks it unreachable at
    /// once so the monitor starts reconnecting.
    pub(crate) fn error_of(&self, op: &'static str, e: BollardError) -> DockerError {
        match e {
            BollardError::DockerResponseServerError {
                status_code,
                message,
            } => DockerError::Api {
                op,
                status: status_code,
                message,
            },
            e if is_connection_error(&e) => {
                let reason = describe(&e);
                self.mark_unreachable(reason.clone());
                DockerError::Unavailable {
                    host: self.inner.host.clone(),
                    reason,
                }
            }
            source => DockerError::Protocol { op, source },
        }
    }

    /// Containers (running or not), volumes and networks labelled as owned by a workspace,
    /// as `kind name` strings (for a message saying why it cannot be deleted yet).
    pub async fn owned_by_workspace(&self, workspace_id: &str) -> Result<Vec<String>, DockerError> {
        let filter = HashMap::from([(
            "label".to_owned(),
            vec![format!("{WORKSPACE_LABEL}={workspace_id}")],
        )]);
        let (containers, volumes, networks) = futures::try_join!(
            self.call("containers.list", |d| {
                let filters = Some(filter.clone());
                async move {
                    d.list_containers(Some(bollard::query_parameters::ListContainersOptions {
                        all: true,
                        filters,
                        ..Default::default()
                    }))
                    .await
                }
            }),
            self.call("volumes.list", |d| {
                let filters = Some(filter.clone());
                async move {
                    d.list_volumes(Some(bollard::query_parameters::ListVolumesOptions {
                        filters,
                    }))
                    .await
                }
            }),
            self.call("networks.list", |d| {
                let filters = Some(filter.clone());
                async move {
                    d.list_networks(Some(bollard::query_parameters::ListNetworksOptions {
                        filters,
                    }))
                    .await
                }
            }),
        )?;
        let containers = containers.into_iter().map(|c| {
            let name = c
                .names
                .and_then(|n| n.into_iter().next())
                .unwrap_or_default();
            format!("container {}", name.trim_start_matches('/'))
        });
        let volumes = volumes
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| format!("volume {}", v.name));
        let networks = networks
            .into_iter()
            .map(|n| format!("network {}", n.name.unwrap_or_default()));
        let mut owned: Vec<String> = containers.chain(volumes).chain(networks).collect();
        // Adopted objects carry no label: the live state knows them.
        let adopted = self
            .containers()
            .filtered(|c| c.workspace.as_deref() == Some(workspace_id))
            .into_iter()
            .map(|c| format!("container {}", c.name))
            .chain(
                self.volumes()
                    .iter()
                    .filter(|v| v.workspace.as_deref() == Some(workspace_id))
                    .map(|v| format!("volume {}", v.name)),
            )
            .chain(
                self.networks()
                    .iter()
                    .filter(|n| n.workspace.as_deref() == Some(workspace_id))
                    .map(|n| format!("network {}", n.name)),
            )
            .collect::<Vec<_>>();
        for item in adopted {
            if !owned.contains(&item) {
                owned.push(item);
            }
        }
        Ok(owned)
    }

    /// The engine's figures for the dashboard and `GET /api/v1/system`.
    pub async fn engine_info(&self) -> Result<EngineInfo, DockerError> {
        let (info, version, volumes, networks) = futures::try_join!(
            self.call("info", |d| async move { d.info().await }),
            self.call("version", |d| async move { d.version().await }),
            self.call("volumes.list", |d| async move {
                d.list_volumes(None::<bollard::query_parameters::ListVolumesOptions>)
                    .await
            }),
            self.call("networks.list", |d| async move {
                d.list_networks(None::<bollard::query_parameters::ListNetworksOptions>)
                    .await
            }),
        )?;
        let api_version = self
            .client()
            .map(|d| d.client_version().to_string())
            .unwrap_or_default();
        let running = info.containers_running.unwrap_or(0);
        let paused = info.containers_paused.unwrap_or(0);
        let stopped = info.containers_stopped.unwrap_or(0);
        Ok(EngineInfo {
            host: self.inner.host.clone(),
            version: version.version.unwrap_or_default(),
            api_version,
            name: info.name.unwrap_or_default(),
            os: info.operating_system.unwrap_or_default(),
            kernel_version: info.kernel_version.unwrap_or_default(),
            architecture: info.architecture.unwrap_or_default(),
            cpus: info.ncpu.unwrap_or(0),
            memory_bytes: info.mem_total.unwrap_or(0),
            containers: ContainerCounts {
                total: info.containers.unwrap_or(running + paused + stopped),
                running,
                paused,
                stopped,
            },
            images: info.images.unwrap_or(0),
            volumes: i64::try_from(volumes.volumes.map_or(0, |v| v.len())).unwrap_or(i64::MAX),
            networks: i64::try_from(networks.len()).unwrap_or(i64::MAX),
        })
    }
}

/// Which kinds of object an event says changed.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Dirty {
    pub images: bool,
    pub networks: bool,
    pub volumes: bool,
}

impl Dirty {
    pub const IMAGES: Self = Self {
        images: true,
        networks: false,
        volumes: false,
    };
    pub const NETWORKS: Self = Self {
        images: false,
        networks: true,
        volumes: false,
    };
    pub const VOLUMES: Self = Self {
        images: false,
        networks: false,
        volumes: true,
    };
    pub const ALL: Self = Self {
        images: true,
        networks: true,
        volumes: true,
    };

    pub fn any(self) -> bool {
        self.images || self.networks || self.volumes
    }
}

/// Notes which kind of object an event is about.
fn mark_dirty(event: &bollard::models::EventMessage, dirty: &mut Dirty) {
    use bollard::models::EventMessageTypeEnum as Kind;
    match event.typ {
        Some(Kind::IMAGE) => dirty.images = true,
        Some(Kind::NETWORK) => dirty.networks = true,
        Some(Kind::VOLUME) => dirty.volumes = true,
        _ => {}
    }
}

/// The container an event says changed, unless the event changes nothing Orbitr shows
/// (exec sessions, attach, resize, copying files).
fn container_to_read(event: &bollard::models::EventMessage) -> Option<String> {
    use bollard::models::EventMessageTypeEnum as Kind;
    if event.typ == Some(Kind::NETWORK) {
        // Connecting or disconnecting changes the container's networks.
        return event
            .actor
            .as_ref()?
            .attributes
            .as_ref()?
            .get("container")
            .cloned();
    }
    if event.typ != Some(Kind::CONTAINER) {
        return None;
    }
    let action = event.action.as_deref().unwrap_or_default();
    let quiet = [
        "exec_",
        "attach",
        "detach",
        "resize",
        "top",
        "archive-path",
        "extract-to-dir",
        "export",
        "commit",
        "copy",
    ];
    if quiet.iter().any(|q| action.starts_with(q)) {
        return None;
    }
    event.actor.as_ref()?.id.clone()
}

fn record_call(op: &'static str, ok: bool) {
    metrics::counter!("orbitr_docker_api_calls_total", "op" => op).increment(1);
    if !ok {
        metrics::counter!("orbitr_docker_api_errors_total", "op" => op).increment(1);
    }
}

/// Errors that mean "the engine is not there", as opposed to "the engine said no".
fn is_connection_error(e: &BollardError) -> bool {
    matches!(
        e,
        BollardError::HyperResponseError { .. }
            | BollardError::HyperLegacyError { .. }
            | BollardError::IOError { .. }
            | BollardError::SocketNotFoundError(_)
            | BollardError::RequestTimeoutError
    )
}

/// A short human reason, with the innermost cause (e.g. "Connection refused").
fn describe(e: &BollardError) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}
