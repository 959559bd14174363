//! Deploying Compose projects: observe the project's containers by label, reconcile (pure, in
//! `compose::plan`), then carry the plan out: images first (so a failed pull leaves nothing
//! half-made), then networks and volumes, then services in parallel as far as `depends_on`
//! allows, each waiting for its dependencies' conditions.
//!
//! Containers carry the Compose CLI's labels, so `docker compose -p NAME ps/logs/down` works on
//! what Orbitr deployed, and a project the CLI started is observed the same way.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::auth::DockerCredentials;
use bollard::models::{NetworkConnectRequest, NetworkCreateRequest, VolumeCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptions, ListContainersOptions, ListNetworksOptions, ListVolumesOptions,
    RemoveContainerOptions, StopContainerOptions,
};
use compose::model::{Condition, Project, Service};
use compose::plan::{Action, Observed, ObservedContainer, ReconcileOptions, reconcile};
use futures::future::join_all;
use tokio::sync::watch;

use crate::docker::Dirty;
use crate::docker::{DockerEngine, DockerError};
use crate::model::resources::{
    CONFIG_HASH_LABEL, DeployEvent, DeployPhase, NUMBER_LABEL, ONEOFF_LABEL, PROJECT_LABEL,
    PullProgress, SERVICE_LABEL, WORKSPACE_LABEL,
};

mod body;
mod lifecycle;

pub use body::container_body;

/// The Compose CLI's labels on networks and volumes.
const NETWORK_LABEL: &str = "com.docker.compose.network";
const VOLUME_LABEL: &str = "com.docker.compose.volume";
const WORKING_DIR_LABEL: &str = "com.docker.compose.project.working_dir";
const CONFIG_FILES_LABEL: &str = "com.docker.compose.project.config_files";
const VERSION_LABEL: &str = "com.docker.compose.version";

/// Receives each progress event as it happens.
pub type Reporter = Arc<dyn Fn(DeployEvent) + Send + Sync>;

/// Everything a deploy needs, checked beforehand.
#[derive(Clone)]
pub struct DeployContext {
    /// The Compose project name (the stack's name).
    pub project_name: String,
    pub workspace: String,
    pub project: Project,
    /// The stack folder (for the CLI's labels).
    pub working_dir: String,
    pub options: ReconcileOptions,
    /// Registry credentials by image reference, for pulls.
    pub credentials: HashMap<String, DockerCredentials>,
    /// Longest wait for a dependency's condition.
    pub wait_timeout: Duration,
}

/// A service's progress as its dependants see it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ServiceState {
    Pending,
    /// Its containers were started (or kept running).
    Started(Vec<String>),
    Failed(String),
}

/// An event at `now`.
pub fn event(
    service: Option<&str>,
    container: Option<&str>,
    phase: DeployPhase,
    message: impl Into<String>,
) -> DeployEvent {
    DeployEvent {
        at: crate::clock::now_ms(),
        service: service.map(str::to_owned),
        container: container.map(str::to_owned),
        phase,
        message: message.into(),
        current: None,
        total: None,
    }
}

/// `Ok` when nothing failed, else every failure in one message.
fn joined(errors: Vec<String>) -> Result<(), String> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

fn project_filter(name: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_owned(), vec![format!("{PROJECT_LABEL}={name}")])])
}

/// The observed container of a project, from its labels; `None` when it is not a service's.
fn observed_of(c: &bollard::models::ContainerSummary) -> Option<ObservedContainer> {
    let labels = c.labels.as_ref()?;
    let service = labels.get(SERVICE_LABEL)?.clone();
    Some(ObservedContainer {
        id: c.id.clone()?,
        name: c
            .names
            .as_ref()
            .and_then(|n| n.first())
            .map(|n| n.trim_start_matches('/').to_owned())
            .unwrap_or_default(),
        service,
        number: labels
            .get(NUMBER_LABEL)
            .and_then(|n| n.parse().ok())
            .unwrap_or(1),
        config_hash: labels.get(CONFIG_HASH_LABEL).cloned().unwrap_or_default(),
        running: matches!(
            c.state,
            Some(bollard::models::ContainerSummaryStateEnum::RUNNING)
        ),
        oneoff: labels
            .get(ONEOFF_LABEL)
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        created: c.created.unwrap_or(0),
    })
}

impl DockerEngine {
    /// Every Compose project the engine has containers of, with those containers' summaries.
    pub async fn compose_projects(
        &self,
    ) -> Result<BTreeMap<String, Vec<bollard::models::ContainerSummary>>, DockerError> {
        let filters = Some(HashMap::from([(
            "label".to_owned(),
            vec![PROJECT_LABEL.to_owned()],
        )]));
        let list = self
            .call("containers.list", |d| async move {
                d.list_containers(Some(ListContainersOptions {
                    all: true,
                    filters,
                    ..Default::default()
                }))
                .await
            })
            .await?;
        let mut projects: BTreeMap<String, Vec<bollard::models::ContainerSummary>> =
            BTreeMap::new();
        for c in list {
            if let Some(name) = c
                .labels
                .as_ref()
                .and_then(|l| l.get(PROJECT_LABEL))
                .cloned()
            {
                projects.entry(name).or_default().push(c);
            }
        }
        Ok(projects)
    }

    /// The project's containers, networks and volumes as the engine has them now.
    pub async fn observe_project(&self, name: &str) -> Result<Observed, DockerError> {
        let filters = Some(project_filter(name));
        let (list, networks, volumes) = futures::try_join!(
            self.call("containers.list", |d| async move {
                d.list_containers(Some(ListContainersOptions {
                    all: true,
                    filters,
                    ..Default::default()
                }))
                .await
            }),
            self.call("networks.list", |d| async move {
                d.list_networks(None::<ListNetworksOptions>).await
            }),
            self.call("volumes.list", |d| async move {
                d.list_volumes(None::<ListVolumesOptions>).await
            }),
        )?;
        Ok(Observed {
            containers: list.iter().filter_map(observed_of).collect(),
            networks: networks.into_iter().filter_map(|n| n.name).collect(),
            volumes: volumes
                .volumes
                .unwrap_or_default()
                .into_iter()
                .map(|v| v.name)
                .collect(),
        })
    }

    /// Brings the project's containers to what its file says; returns the error that stopped
    /// the deploy (every service that could be brought up was).
    pub async fn deploy_project(&self, ctx: DeployContext, report: Reporter) -> Result<(), String> {
        let observed = self
            .observe_project(&ctx.project_name)
            .await
            .map_err(|e| e.to_string())?;
        let plan = reconcile(&ctx.project_name, &ctx.project, &observed, ctx.options);
        for action in &plan.actions {
            report(event(
                action.service(),
                None,
                DeployPhase::Planned,
                action.to_string(),
            ));
        }
        self.pull_missing(&ctx, &plan.actions, &report).await?;

        // Networks and volumes are independent of each other: made all at once.
        let resources = plan.actions.iter().map(|action| {
            let ctx = &ctx;
            async move {
                match action {
                    Action::CreateNetwork { key, name } => self
                        .create_project_network(ctx, key, name)
                        .await
                        .map_err(|e| format!("creating network {name}: {e}")),
                    Action::CreateVolume { key, name } => self
                        .create_project_volume(ctx, key, name)
                        .await
                        .map_err(|e| format!("creating volume {name}: {e}")),
                    _ => Ok(()),
                }
            }
        });
        joined(
            join_all(resources)
                .await
                .into_iter()
                .filter_map(Result::err)
                .collect(),
        )?;
        let removals = plan.actions.iter().map(|action| {
            let report = Arc::clone(&report);
            async move {
                let Action::Remove {
                    service, name, id, ..
                } = action
                else {
                    return Ok(());
                };
                report(event(
                    Some(service),
                    Some(name),
                    DeployPhase::Stopping,
                    action.to_string(),
                ));
                self.stop_and_remove(id, 10)
                    .await
                    .map_err(|e| format!("removing {name}: {e}"))?;
                report(event(
                    Some(service),
                    Some(name),
                    DeployPhase::Removed,
                    format!("{name} removed"),
                ));
                Ok(())
            }
        });
        joined(
            join_all(removals)
                .await
                .into_iter()
                .filter_map(Result::err)
                .collect(),
        )?;

        let ctx = Arc::new(ctx);
        let mut states: HashMap<String, watch::Sender<ServiceState>> = HashMap::new();
        for name in ctx.project.services.keys() {
            states.insert(name.clone(), watch::channel(ServiceState::Pending).0);
        }
        let states = Arc::new(states);
        let tasks = ctx.project.services.values().map(|service| {
            let ctx = Arc::clone(&ctx);
            let states = Arc::clone(&states);
            let report = Arc::clone(&report);
            let actions: Vec<Action> = plan
                .for_service(&service.name)
                .filter(|a| !matches!(a, Action::Remove { .. }))
                .cloned()
                .collect();
            let engine = self.clone();
            async move {
                let name = service.name.clone();
                let result = engine
                    .deploy_service(&ctx, service, &actions, &states, &report)
                    .await;
                let state = match &result {
                    Ok(ids) => ServiceState::Started(ids.clone()),
                    Err(e) => {
                        report(event(Some(&name), None, DeployPhase::Failed, e.clone()));
                        ServiceState::Failed(e.clone())
                    }
                };
                if let Some(tx) = states.get(&name) {
                    tx.send_replace(state);
                }
                result.map_err(|e| format!("{name}: {e}"))
            }
        });
        let results = join_all(tasks).await;
        let _ = self.refresh_objects(Dirty::ALL).await;
        joined(results.into_iter().filter_map(Result::err).collect())
    }

    /// Pulls the images the plan needs that the engine lacks (or all, for `pull_policy: always`).
    /// Runs before anything is created, so a failed pull leaves nothing behind.
    async fn pull_missing(
        &self,
        ctx: &DeployContext,
        actions: &[Action],
        report: &Reporter,
    ) -> Result<(), String> {
        let mut wanted: BTreeMap<String, String> = BTreeMap::new();
        let mut checked: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        for action in actions {
            let (Action::Create { service, .. } | Action::Recreate { service, .. }) = action else {
                continue;
            };
            let Some(s) = ctx.project.services.get(service) else {
                continue;
            };
            let Some(image) = &s.image else { continue };
            let policy = s.pull_policy.as_deref().unwrap_or("missing");
            if policy == "never" || policy == "build" {
                continue;
            }
            if wanted.contains_key(image) || checked.contains(image) {
                continue;
            }
            if policy == "always" || !self.image_exists(image).await.map_err(|e| e.to_string())? {
                wanted.insert(image.clone(), service.clone());
            } else {
                checked.insert(image.clone());
            }
        }
        self.pull_images(ctx, wanted, report).await
    }

    /// Pulls each image (in parallel), reporting bytes as they come.
    pub async fn pull_images(
        &self,
        ctx: &DeployContext,
        images: BTreeMap<String, String>,
        report: &Reporter,
    ) -> Result<(), String> {
        let pulls = images.into_iter().map(|(image, service)| {
            let report = Arc::clone(report);
            let credentials = ctx.credentials.get(&image).cloned();
            let workspace = ctx.workspace.clone();
            async move {
                report(event(
                    Some(&service),
                    None,
                    DeployPhase::Pulling,
                    format!("pulling {image}"),
                ));
                let mut progress = PullProgress {
                    id: uuid::Uuid::now_v7().to_string(),
                    reference: image.clone(),
                    workspace,
                    layers: Vec::new(),
                    status: String::new(),
                    done: false,
                    error: None,
                };
                let mut last = Instant::now();
                let result = self
                    .pull_image(&mut progress, credentials, |p| {
                        if last.elapsed() >= Duration::from_millis(200) && !p.done {
                            last = Instant::now();
                            let mut e = event(
                                Some(&service),
                                None,
                                DeployPhase::Pulling,
                                format!("pulling {}", p.reference),
                            );
                            e.current = Some(p.layers.iter().map(|l| l.current).sum());
                            e.total = Some(p.layers.iter().map(|l| l.total).sum());
                            report(e);
                        }
                    })
                    .await;
                match result {
                    Ok(()) => {
                        report(event(
                            Some(&service),
                            None,
                            DeployPhase::Pulled,
                            format!("{image} pulled"),
                        ));
                        Ok(())
                    }
                    Err(e) => {
                        let message = progress.error.clone().unwrap_or_else(|| e.to_string());
                        report(event(
                            Some(&service),
                            None,
                            DeployPhase::Failed,
                            message.clone(),
                        ));
                        Err(message)
                    }
                }
            }
        });
        joined(
            join_all(pulls)
                .await
                .into_iter()
                .filter_map(Result::err)
                .collect(),
        )
    }

    async fn image_exists(&self, image: &str) -> Result<bool, DockerError> {
        let key = image.to_owned();
        match self
            .call(
                "images.inspect",
                |d| async move { d.inspect_image(&key).await },
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(DockerError::Api { status: 404, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn create_project_network(
        &self,
        ctx: &DeployContext,
        key: &str,
        name: &str,
    ) -> Result<(), DockerError> {
        let def = ctx.project.networks.get(key).cloned().unwrap_or_default();
        let mut labels: HashMap<String, String> = def.labels.into_iter().collect();
        labels.insert(PROJECT_LABEL.into(), ctx.project_name.clone());
        labels.insert(NETWORK_LABEL.into(), key.to_owned());
        labels.insert(VERSION_LABEL.into(), "orbitr".into());
        labels.insert(WORKSPACE_LABEL.into(), ctx.workspace.clone());
        let request = NetworkCreateRequest {
            name: name.to_owned(),
            driver: def.driver.clone(),
            internal: Some(def.internal),
            attachable: Some(def.attachable),
            enable_ipv6: Some(def.enable_ipv6),
            options: (!def.driver_opts.is_empty()).then(|| def.driver_opts.into_iter().collect()),
            ipam: (!def.subnets.is_empty()).then(|| bollard::models::Ipam {
                config: Some(
                    def.subnets
                        .iter()
                        .map(|s| bollard::models::IpamConfig {
                            subnet: Some(s.clone()),
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            }),
            labels: Some(labels),
            ..Default::default()
        };
        match self
            .call("networks.create", |d| async move {
                d.create_network(request).await
            })
            .await
        {
            // Created meanwhile by a concurrent deploy or the CLI: the same network.
            Ok(_) | Err(DockerError::Api { status: 409, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn create_project_volume(
        &self,
        ctx: &DeployContext,
        key: &str,
        name: &str,
    ) -> Result<(), DockerError> {
        let def = ctx.project.volumes.get(key).cloned().unwrap_or_default();
        let mut labels: HashMap<String, String> = def.labels.into_iter().collect();
        labels.insert(PROJECT_LABEL.into(), ctx.project_name.clone());
        labels.insert(VOLUME_LABEL.into(), key.to_owned());
        labels.insert(VERSION_LABEL.into(), "orbitr".into());
        labels.insert(WORKSPACE_LABEL.into(), ctx.workspace.clone());
        let request = VolumeCreateRequest {
            name: Some(name.to_owned()),
            driver: def.driver.clone(),
            driver_opts: (!def.driver_opts.is_empty())
                .then(|| def.driver_opts.into_iter().collect()),
            labels: Some(labels),
            ..Default::default()
        };
        self.call("volumes.create", |d| async move {
            d.create_volume(request).await
        })
        .await
        .map(|_| ())
    }

    async fn stop_and_remove(&self, id: &str, grace_secs: i32) -> Result<(), DockerError> {
        let _teardown = self.teardown_guard().await;
        let key = id.to_owned();
        let stopped = self
            .call("containers.stop", |d| async move {
                d.stop_container(
                    &key,
                    Some(StopContainerOptions {
                        t: Some(grace_secs),
                        signal: None,
                    }),
                )
                .await
            })
            .await;
        match stopped {
            Ok(())
            | Err(DockerError::Api {
                status: 304 | 404, ..
            }) => {}
            Err(e) => return Err(e),
        }
        let key = id.to_owned();
        match self
            .call("containers.remove", |d| async move {
                d.remove_container(
                    &key,
                    Some(RemoveContainerOptions {
                        v: false,
                        force: true,
                        link: false,
                    }),
                )
                .await
            })
            .await
        {
            Ok(()) | Err(DockerError::Api { status: 404, .. }) => {
                self.containers().remove(id);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Waits for the service's dependencies, then creates, recreates or starts its replicas.
    /// Returns the ids of its containers.
    async fn deploy_service(
        &self,
        ctx: &DeployContext,
        service: &Service,
        actions: &[Action],
        states: &HashMap<String, watch::Sender<ServiceState>>,
        report: &Reporter,
    ) -> Result<Vec<String>, String> {
        let name = service.name.as_str();
        // New containers are created before the wait: creating runs nothing, and the start
        // (the slow part) then follows the dependencies' conditions at once.
        let mut created: HashMap<u32, (String, String)> = HashMap::new();
        for action in actions {
            if let Action::Create { number, name, .. } = action {
                let made = self
                    .create_for(ctx, service, *number, (name.clone(), name), report)
                    .await?;
                created.insert(*number, made);
            }
        }
        for (dep, dependency) in &service.depends_on {
            let Some(tx) = states.get(dep) else { continue };
            let mut rx = tx.subscribe();
            report(event(
                Some(name),
                None,
                DeployPhase::Waiting,
                format!("waiting for {dep} ({})", dependency.condition.as_str()),
            ));
            let state = rx
                .wait_for(|s| *s != ServiceState::Pending)
                .await
                .map(|s| s.clone())
                .unwrap_or(ServiceState::Failed("deploy ended".into()));
            let ids = match state {
                ServiceState::Started(ids) => ids,
                ServiceState::Failed(why) if dependency.required => {
                    return Err(format!("dependency {dep} failed: {why}"));
                }
                _ => continue,
            };
            match self
                .wait_condition(dep, &ids, dependency.condition, ctx.wait_timeout)
                .await
            {
                Ok(()) => {
                    let phase = match dependency.condition {
                        Condition::ServiceHealthy => DeployPhase::Healthy,
                        Condition::ServiceCompletedSuccessfully => DeployPhase::Completed,
                        Condition::ServiceStarted => DeployPhase::Running,
                    };
                    report(event(
                        Some(dep),
                        None,
                        phase,
                        format!(
                            "{dep} is {}",
                            match phase {
                                DeployPhase::Healthy => "healthy",
                                DeployPhase::Completed => "completed successfully",
                                _ => "started",
                            }
                        ),
                    ));
                }
                Err(why) if dependency.required => return Err(why),
                Err(_) => {}
            }
        }
        let stop_grace = service
            .stop_grace_period_ns
            .map_or(10, |ns| i32::try_from(ns / 1_000_000_000).unwrap_or(10));
        let mut ids = Vec::new();
        for action in actions {
            let id = match action {
                Action::Keep {
                    id, name: cname, ..
                } => {
                    report(event(
                        Some(name),
                        Some(cname),
                        DeployPhase::Kept,
                        format!("{cname} is up to date"),
                    ));
                    id.clone()
                }
                Action::Start {
                    id, name: cname, ..
                } => {
                    report(event(
                        Some(name),
                        Some(cname),
                        DeployPhase::Starting,
                        format!("starting {cname}"),
                    ));
                    self.start(id)
                        .await
                        .map_err(|e| format!("starting {cname}: {e}"))?;
                    report(event(
                        Some(name),
                        Some(cname),
                        DeployPhase::Running,
                        format!("{cname} running"),
                    ));
                    id.clone()
                }
                Action::Create {
                    number,
                    name: cname,
                    ..
                } => {
                    let made = match created.remove(number) {
                        Some(made) => made,
                        None => {
                            self.create_for(ctx, service, *number, (cname.clone(), cname), report)
                                .await?
                        }
                    };
                    self.start_created(name, made, report).await?
                }
                Action::Recreate {
                    number,
                    name: cname,
                    id,
                    ..
                } => {
                    report(event(
                        Some(name),
                        Some(cname),
                        DeployPhase::Stopping,
                        format!("replacing {cname}"),
                    ));
                    // The new container is made under a temporary name while the old one
                    // stops, then takes the name: the service is down for the start only.
                    let temporary = format!("{}_{cname}", id.get(..12).unwrap_or(id));
                    let (made, removed) = tokio::join!(
                        self.create_for(ctx, service, *number, (temporary, cname), report),
                        self.stop_and_remove(id, stop_grace)
                    );
                    removed.map_err(|e| format!("removing the old {cname}: {e}"))?;
                    let (new_id, _) = made?;
                    self.rename(&new_id, cname)
                        .await
                        .map_err(|e| format!("naming {cname}: {e}"))?;
                    self.start_created(name, (new_id, cname.clone()), report)
                        .await?
                }
                _ => continue,
            };
            ids.push(id);
        }
        Ok(ids)
    }

    /// Creates replica `number` named `cname` (in `names`, with the name people read: the final
    /// one while a replacement is made under a temporary name) and connects it to its other
    /// networks; (id, name).
    async fn create_for(
        &self,
        ctx: &DeployContext,
        service: &Service,
        number: u32,
        names: (String, &String),
        report: &Reporter,
    ) -> Result<(String, String), String> {
        let (cname, shown) = names;
        let (body, extra_networks) = container_body(ctx, service, number);
        report(event(
            Some(&service.name),
            Some(shown),
            DeployPhase::Creating,
            format!("creating {shown}"),
        ));
        let name = cname.clone();
        let platform = service.platform.clone().unwrap_or_default();
        let created = self
            .call("containers.create", |d| async move {
                d.create_container(
                    Some(CreateContainerOptions {
                        name: Some(name),
                        platform,
                    }),
                    body,
                )
                .await
            })
            .await
            .map_err(|e| format!("creating {shown}: {e}"))?;
        for (network, settings) in extra_networks {
            let request = NetworkConnectRequest {
                container: created.id.clone(),
                endpoint_config: Some(settings),
            };
            let net = network.clone();
            self.call("networks.connect", |d| async move {
                d.connect_network(&net, request).await
            })
            .await
            .map_err(|e| format!("connecting {shown} to {network}: {e}"))?;
        }
        Ok((created.id, cname))
    }

    /// Starts a container made by [`Self::create_for`].
    async fn start_created(
        &self,
        service: &str,
        (id, cname): (String, String),
        report: &Reporter,
    ) -> Result<String, String> {
        report(event(
            Some(service),
            Some(&cname),
            DeployPhase::Starting,
            format!("starting {cname}"),
        ));
        self.start(&id)
            .await
            .map_err(|e| format!("starting {cname}: {e}"))?;
        report(event(
            Some(service),
            Some(&cname),
            DeployPhase::Running,
            format!("{cname} running"),
        ));
        Ok(id)
    }

    async fn rename(&self, id: &str, name: &str) -> Result<(), DockerError> {
        let (key, name) = (id.to_owned(), name.to_owned());
        self.call("containers.rename", |d| async move {
            d.rename_container(
                &key,
                bollard::query_parameters::RenameContainerOptions { name },
            )
            .await
        })
        .await
    }

    async fn start(&self, id: &str) -> Result<(), DockerError> {
        let key = id.to_owned();
        match self
            .call("containers.start", |d| async move {
                d.start_container(&key, None).await
            })
            .await
        {
            Ok(()) | Err(DockerError::Api { status: 304, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Waits until every container of a dependency meets `condition`.
    async fn wait_condition(
        &self,
        dep: &str,
        ids: &[String],
        condition: Condition,
        timeout: Duration,
    ) -> Result<(), String> {
        if condition == Condition::ServiceStarted {
            return Ok(());
        }
        let deadline = Instant::now() + timeout;
        for id in ids {
            loop {
                let key = id.clone();
                let inspect = self
                    .call("containers.inspect", |d| async move {
                        d.inspect_container(&key, None).await
                    })
                    .await
                    .map_err(|e| format!("watching {dep}: {e}"))?;
                let state = inspect.state.unwrap_or_default();
                let running = state.running.unwrap_or(false);
                let health = state.health.and_then(|h| h.status).map(|s| s.to_string());
                match condition {
                    Condition::ServiceHealthy => match health.as_deref() {
                        Some("healthy") => break,
                        Some("unhealthy") => return Err(format!("dependency {dep} is unhealthy")),
                        None | Some("none" | "") => {
                            return Err(format!(
                                "dependency {dep} has no health check, so it can never be healthy"
                            ));
                        }
                        _ if !running => {
                            return Err(format!("dependency {dep} exited before it was healthy"));
                        }
                        _ => {}
                    },
                    Condition::ServiceCompletedSuccessfully => {
                        if !running
                            && state.status.map(|s| s.to_string()).as_deref() == Some("exited")
                        {
                            let code = state.exit_code.unwrap_or(-1);
                            if code == 0 {
                                break;
                            }
                            return Err(format!("dependency {dep} exited with code {code}"));
                        }
                    }
                    Condition::ServiceStarted => break,
                }
                if Instant::now() >= deadline {
                    return Err(format!(
                        "dependency {dep} did not become {} within {}s",
                        condition.as_str(),
                        timeout.as_secs()
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(())
    }
}
