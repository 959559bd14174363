//! Docker objects as Orbitr shows them: containers, with the workspace and stack that own them.
//! Plain data, shared with the browser (the live websocket sends these).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::tagged::tag_first_decoder;

pub use compose::policy::{SecurityPolicy, Violation};

/// A workspace's policy, and whether the caller may change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyView {
    pub policy: SecurityPolicy,
    pub editable: bool,
}

/// The label naming the workspace that owns a Docker object.
pub const WORKSPACE_LABEL: &str = "dev.orbitr.workspace";
/// The Compose CLI's project label: the stack a container belongs to.
pub const PROJECT_LABEL: &str = "com.docker.compose.project";
/// The stack (by name) an Orbitr-deployed object belongs to.
pub const STACK_LABEL: &str = "dev.orbitr.stack";
/// The Compose CLI's service label.
pub const SERVICE_LABEL: &str = "com.docker.compose.service";

/// A container in lists and pushes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContainerView {
    /// Full container id.
    pub id: String,
    /// Name without the leading `/`.
    pub name: String,
    /// Image as the container was created from (`name:tag` or an id).
    pub image: String,
    /// Id of the image it runs (`sha256:…`).
    pub image_id: String,
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    pub state: String,
    /// Health-check state (`starting`, `healthy`, `unhealthy`), when the image defines one.
    pub health: Option<String>,
    /// Exit code of the last run, for stopped containers.
    pub exit_code: Option<i64>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// When it last started (ms since the epoch), while running or paused.
    pub started_at: Option<i64>,
    /// Published ports.
    pub ports: Vec<PortView>,
    /// Owning workspace (`dev.orbitr.workspace`); `None`: unmanaged.
    pub workspace: Option<String>,
    /// Compose project (stack), if any.
    pub stack: Option<String>,
    /// Compose service, if any.
    pub service: Option<String>,
    /// Networks it is attached to, by name.
    pub networks: Vec<String>,
    /// Named volumes it mounts.
    pub volumes: Vec<String>,
}

impl ContainerView {
    /// Whether the container is up (running or paused).
    pub fn is_up(&self) -> bool {
        matches!(self.state.as_str(), "running" | "paused" | "restarting")
    }

    /// Whether it matches a free-text filter (name, image, stack, service, id prefix).
    pub fn matches_text(&self, text: &str) -> bool {
        let text = text.trim().to_lowercase();
        text.is_empty()
            || self.name.to_lowercase().contains(&text)
            || self.image.to_lowercase().contains(&text)
            || self
                .stack
                .as_deref()
                .is_some_and(|s| s.to_lowercase().contains(&text))
            || self
                .service
                .as_deref()
                .is_some_and(|s| s.to_lowercase().contains(&text))
            || self.id.starts_with(&text)
    }
}

/// A published port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub struct PortView {
    /// Host address it is published on (`0.0.0.0`, `::`, `127.0.0.1`…).
    pub host_ip: String,
    pub host_port: u16,
    pub container_port: u16,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
}

/// Everything the container page shows about one container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ContainerDetail {
    pub summary: ContainerView,
    pub image_id: String,
    pub command: Vec<String>,
    pub entrypoint: Vec<String>,
    pub working_dir: Option<String>,
    /// `KEY=value`; values of keys that look secret are replaced by `••••••`.
    pub env: Vec<String>,
    pub mounts: Vec<MountView>,
    /// Networks it is attached to, with its address on each.
    pub networks: Vec<NetworkAttachment>,
    pub labels: BTreeMap<String, String>,
    /// `no`, `always`, `unless-stopped`, `on-failure` (with `:N` retries).
    pub restart_policy: String,
    pub restart_count: i64,
    /// CPU limit in CPUs (`None`: unlimited).
    pub cpus: Option<f64>,
    /// Memory limit in bytes (`None`: unlimited).
    pub memory_bytes: Option<i64>,
    pub privileged: bool,
    /// The last health-check runs, newest last.
    pub health_log: Vec<HealthRun>,
    /// Engine error of the last start, if any.
    pub error: Option<String>,
}

/// A mount of a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MountView {
    /// `bind`, `volume`, `tmpfs`…
    pub kind: String,
    /// Host path (bind) or volume name.
    pub source: String,
    pub destination: String,
    pub read_only: bool,
}

/// A network a container is attached to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NetworkAttachment {
    pub network: String,
    pub ip_address: Option<String>,
    pub aliases: Vec<String>,
}

/// One health-check run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HealthRun {
    pub exit_code: i64,
    pub output: String,
    /// When it ended (ms since the epoch).
    pub ended_at: Option<i64>,
}

/// Whether an environment variable's name suggests its value is a secret.
pub fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_uppercase();
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "KEY",
        "CREDENTIAL",
        "PRIVATE",
        "AUTH",
        "SALT",
        "DSN",
    ]
    .iter()
    .any(|word| key.contains(word))
}

/// `KEY=value` with the value masked when the key looks secret.
pub fn mask_env(entry: &str) -> String {
    match entry.split_once('=') {
        Some((key, value)) if looks_secret(key) && !value.is_empty() => format!("{key}=••••••"),
        _ => entry.to_owned(),
    }
}

/// What stands for a secret shown to someone who may not read it.
pub const MASK: &str = "••••••";

/// `text` with every occurrence of each secret (at least 4 characters, longest first, so one
/// that contains another goes whole) replaced by [`MASK`].
pub fn mask_secrets(text: &str, secrets: &[String]) -> String {
    let mut sorted: Vec<&String> = secrets.iter().filter(|s| s.chars().count() >= 4).collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_owned();
    for secret in sorted {
        out = out.replace(secret.as_str(), MASK);
    }
    out
}

/// A `.env` file with the values of secret-looking keys masked, line by line.
pub fn mask_env_file(text: &str) -> String {
    text.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            if trimmed.starts_with('#') {
                line.to_owned()
            } else if let Some(rest) = line.strip_prefix("export ") {
                format!("export {}", mask_env(rest))
            } else {
                mask_env(line)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl StackDetail {
    /// What a member who may not change the stack sees: `secrets` and secret-looking `.env`
    /// values masked in every file.
    pub fn masked(mut self, secrets: &[String]) -> Self {
        self.compose = mask_secrets(&self.compose, secrets);
        self.env = mask_secrets(&mask_env_file(&self.env), secrets);
        self.deployed_compose = self.deployed_compose.map(|c| mask_secrets(&c, secrets));
        self
    }
}

impl Revision {
    /// See [`StackDetail::masked`].
    pub fn masked(mut self, secrets: &[String]) -> Self {
        self.compose = mask_secrets(&self.compose, secrets);
        self.env = mask_secrets(&mask_env_file(&self.env), secrets);
        self
    }
}

/// What can be done to a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContainerAction {
    Start,
    Stop,
    Restart,
    Kill,
    Pause,
    Unpause,
}

impl ContainerAction {
    pub const ALL: [Self; 6] = [
        Self::Start,
        Self::Stop,
        Self::Restart,
        Self::Kill,
        Self::Pause,
        Self::Unpause,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Restart => "restart",
            Self::Kill => "kill",
            Self::Pause => "pause",
            Self::Unpause => "unpause",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    /// What it is called while it runs, for progress labels ("Stopping…").
    pub fn progressive(self) -> &'static str {
        match self {
            Self::Start => "Starting",
            Self::Stop => "Stopping",
            Self::Restart => "Restarting",
            Self::Kill => "Killing",
            Self::Pause => "Pausing",
            Self::Unpause => "Resuming",
        }
    }
}

/// What the "create container" form sends. Lists are one entry per line in the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ContainerSpec {
    /// Image reference (`name[:tag]`, `registry/name:tag`, `name@sha256:…`).
    pub image: String,
    /// Container name; empty lets the engine pick one.
    pub name: String,
    /// Command, split like a shell would (quotes group words); empty keeps the image's.
    pub command: String,
    /// `KEY=value`.
    pub env: Vec<String>,
    /// `[host_ip:]host_port:container_port[/tcp|udp]`.
    pub ports: Vec<String>,
    /// `source:destination[:ro]`: an absolute host path is a bind mount, else a volume name.
    pub volumes: Vec<String>,
    /// Network to attach to (`bridge` when empty; `host` uses the host's network).
    pub network: String,
    /// `no`, `always`, `unless-stopped`, `on-failure[:N]`.
    pub restart: String,
    /// `key=value`.
    pub labels: Vec<String>,
    /// CPU limit, e.g. `0.5`.
    pub cpus: String,
    /// Memory limit, e.g. `512m`, `1g`.
    pub memory: String,
    pub privileged: bool,
    /// Capabilities to add (`NET_ADMIN`…).
    pub cap_add: Vec<String>,
    /// Host devices (`/dev/ttyUSB0[:/dev/ttyUSB0[:rwm]]`).
    pub devices: Vec<String>,
    /// Start it once created.
    pub start: bool,
}

/// An image in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImageView {
    /// `sha256:…`
    pub id: String,
    /// `name:tag` references; empty for a dangling image.
    pub tags: Vec<String>,
    /// Bytes on disk (layers shared with other images counted in each).
    pub size: i64,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// Names of the containers (that the caller may see) using it.
    #[serde(default)]
    pub used_by: Vec<String>,
}

/// What the image page shows: the image's configuration, layers and history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImageDetail {
    pub summary: ImageView,
    pub architecture: String,
    pub os: String,
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    /// `KEY=value`; values of keys that look secret masked.
    pub env: Vec<String>,
    /// `80/tcp`…
    pub exposed_ports: Vec<String>,
    /// Layer digests, base first.
    pub layers: Vec<String>,
    /// Build steps, newest first.
    pub history: Vec<HistoryStep>,
}

/// One build step of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HistoryStep {
    pub created_by: String,
    pub size: i64,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// A network in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NetworkView {
    pub id: String,
    pub name: String,
    /// `bridge`, `host`, `overlay`, `macvlan`, `null`…
    pub driver: String,
    pub internal: bool,
    pub subnet: Option<String>,
    pub gateway: Option<String>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// Owning workspace; `None`: unmanaged (the engine's own `bridge`, `host`, `none` too).
    pub workspace: Option<String>,
    /// Names of the containers (that the caller may see) attached to it.
    #[serde(default)]
    pub used_by: Vec<String>,
}

/// A volume in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VolumeView {
    pub name: String,
    pub driver: String,
    /// Where its data lives on the host.
    pub mountpoint: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// Owning workspace; `None`: unmanaged.
    pub workspace: Option<String>,
    /// Names of the containers (that the caller may see) mounting it.
    #[serde(default)]
    pub used_by: Vec<String>,
}

/// Fills each image's, network's and volume's `used_by` from the containers given.
pub fn fill_usage(
    containers: &[ContainerView],
    images: &mut [ImageView],
    networks: &mut [NetworkView],
    volumes: &mut [VolumeView],
) {
    for image in images.iter_mut() {
        image.used_by = containers
            .iter()
            .filter(|c| c.image_id == image.id)
            .map(|c| c.name.clone())
            .collect();
    }
    for network in networks.iter_mut() {
        network.used_by = containers
            .iter()
            .filter(|c| c.networks.contains(&network.name))
            .map(|c| c.name.clone())
            .collect();
    }
    for volume in volumes.iter_mut() {
        volume.used_by = containers
            .iter()
            .filter(|c| c.volumes.contains(&volume.name))
            .map(|c| c.name.clone())
            .collect();
    }
}

/// What the "create network" form sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct NetworkSpec {
    pub name: String,
    /// `bridge` when empty.
    pub driver: String,
    /// CIDR, e.g. `172.30.0.0/24`; empty lets the engine choose.
    pub subnet: String,
    /// An address within the subnet; empty lets the engine choose.
    pub gateway: String,
    /// No route to the outside world.
    pub internal: bool,
}

/// What was removed by a prune, and the space it freed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PruneReport {
    pub removed: Vec<String>,
    pub space_reclaimed: i64,
}

/// One layer's progress in a pull.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LayerProgress {
    pub id: String,
    /// The engine's words: `Waiting`, `Downloading`, `Extracting`, `Pull complete`, `Already exists`…
    pub status: String,
    pub current: i64,
    pub total: i64,
}

/// A pull as it goes: every layer seen, then done (with the error when it failed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PullProgress {
    /// Identifies this pull among the live messages.
    pub id: String,
    pub reference: String,
    pub workspace: String,
    pub layers: Vec<LayerProgress>,
    /// The engine's last status line (`Digest: …`, `Status: Downloaded newer image…`).
    pub status: String,
    pub done: bool,
    pub error: Option<String>,
}

/// A stored credential as shown (never the password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RegistryCredential {
    pub id: String,
    /// `host[:port]`, e.g. `ghcr.io`, `registry.example.com:5000`, `docker.io`.
    pub registry: String,
    pub username: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// A change to the live container state, as pushed to viewers, `change` first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum ContainerChange {
    /// Created or changed: the new view.
    Updated { container: Box<ContainerView> },
    /// Removed from the engine.
    Removed {
        id: String,
        workspace: Option<String>,
    },
}

tag_first_decoder!(ContainerChange, "change", {
    Updated { container: Box<ContainerView> },
    Removed { id: String, workspace: Option<String> },
});

impl ContainerChange {
    /// The owning workspace of the container changed (`None`: unmanaged).
    pub fn workspace(&self) -> Option<&str> {
        match self {
            Self::Updated { container } => container.workspace.as_deref(),
            Self::Removed { workspace, .. } => workspace.as_deref(),
        }
    }
}

/// The containers a caller may see, with whether the list may be out of date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContainerList {
    pub containers: Vec<ContainerView>,
    /// True while the engine is unreachable: this is the last state Orbitr saw.
    pub stale: bool,
}

/// The Compose CLI's label holding a service's configuration hash.
pub const CONFIG_HASH_LABEL: &str = "com.docker.compose.config-hash";
/// The Compose CLI's label numbering a service's replicas from 1.
pub const NUMBER_LABEL: &str = "com.docker.compose.container-number";
/// The Compose CLI's label marking `run` containers.
pub const ONEOFF_LABEL: &str = "com.docker.compose.oneoff";

/// A stack in lists: its name, workspace, and how many of its containers run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StackSummary {
    pub id: String,
    /// The Compose project name.
    pub name: String,
    pub workspace: String,
    /// Services in the latest saved revision.
    pub services: Vec<String>,
    /// Containers of the project that are up.
    pub running: u32,
    /// Containers of the project the engine has.
    pub containers: u32,
    /// Latest saved revision.
    pub revision: i64,
    /// The revision last deployed, if any.
    pub deployed_revision: Option<i64>,
    pub updated_at: i64,
    /// The last operation (deploy, stop, down…), if any.
    pub last_deploy: Option<DeployBrief>,
}

/// How a deploy (or stop, down…) went, in short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeployBrief {
    pub id: String,
    pub operation: String,
    pub revision: Option<i64>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    pub error: Option<String>,
}

/// A stack with its files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StackDetail {
    pub summary: StackSummary,
    pub compose: String,
    pub env: String,
    /// The compose file of the deployed revision, to diff against before a deploy.
    pub deployed_compose: Option<String>,
    pub revisions: Vec<RevisionBrief>,
}

/// One saved revision, in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RevisionBrief {
    pub number: i64,
    pub created_at: i64,
    /// The actor that saved it (`user:<id>`, `user:<id> token:<id>`, …).
    pub created_by: String,
    /// That person's name, while they have an account (filled by the layer that knows them).
    #[serde(default)]
    pub author: Option<String>,
}

/// A saved revision with its files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Revision {
    pub number: i64,
    pub compose: String,
    pub env: String,
    pub created_at: i64,
    pub created_by: String,
}

/// The step a deploy event reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeployPhase {
    /// The plan, one event per action (message = the action).
    Planned,
    Pulling,
    Pulled,
    Creating,
    Starting,
    /// Waiting for a dependency's condition (message says which).
    Waiting,
    Running,
    Healthy,
    /// A one-shot service ended successfully.
    Completed,
    Kept,
    Stopping,
    /// A container stopped (it is kept).
    Stopped,
    Removed,
    Failed,
    /// The whole operation ended (message says how).
    Finished,
}

/// One step of a deploy's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeployEvent {
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub service: Option<String>,
    pub container: Option<String>,
    pub phase: DeployPhase,
    pub message: String,
    /// Bytes so far and in all, while pulling.
    pub current: Option<i64>,
    pub total: Option<i64>,
}

/// A Compose project on the engine that no stack of Orbitr's holds (started with the CLI, or by
/// another tool); platform admins adopt it into a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UnmanagedProject {
    pub name: String,
    pub services: Vec<String>,
    pub containers: u32,
    pub running: u32,
    /// The compose files the CLI recorded (`com.docker.compose.project.config_files`).
    pub config_files: Option<String>,
    /// The folder the CLI ran in.
    pub working_dir: Option<String>,
}

/// What an operation request on a stack carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OperationForm {
    /// `deploy`, `stop`, `start`, `restart`, `down` or `pull`.
    pub operation: String,
    /// Deploy this saved revision (a rollback).
    #[serde(default)]
    pub revision: Option<i64>,
    /// Remove containers of services no longer in the file.
    #[serde(default)]
    pub remove_orphans: bool,
    /// Recreate containers even when their configuration did not change.
    #[serde(default)]
    pub force_recreate: bool,
    /// `down` only: remove the stack's volumes too.
    #[serde(default)]
    pub volumes: bool,
}

/// A deploy with all its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeployRecord {
    pub brief: DeployBrief,
    pub stack: String,
    pub events: Vec<DeployEvent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_looking_values_are_masked() {
        assert_eq!(
            mask_env("POSTGRES_PASSWORD=hunter2"),
            "POSTGRES_PASSWORD=••••••"
        );
        assert_eq!(mask_env("api_token=abc"), "api_token=••••••");
        assert_eq!(mask_env("PATH=/usr/bin"), "PATH=/usr/bin");
        assert_eq!(mask_env("EMPTY_SECRET="), "EMPTY_SECRET=");
        assert_eq!(mask_env("NOVALUE"), "NOVALUE");
    }

    #[test]
    fn actions_round_trip() {
        for action in ContainerAction::ALL {
            assert_eq!(ContainerAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(ContainerAction::parse("explode"), None);
    }
}
