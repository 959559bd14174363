//! The normalized Compose project: every short syntax expanded to its long form, every value
//! typed, so that deploying and comparing need no further interpretation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diag::Pos;

/// A loaded, interpolated, merged and checked Compose project.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Project {
    /// The project name from the file (`name:`), when it has one.
    pub name: Option<String>,
    pub services: BTreeMap<String, Service>,
    pub networks: BTreeMap<String, NetworkDef>,
    pub volumes: BTreeMap<String, VolumeDef>,
    pub secrets: BTreeMap<String, FileObject>,
    pub configs: BTreeMap<String, FileObject>,
    /// Services left out because none of their profiles is active.
    pub disabled: Vec<String>,
}

/// `depends_on` conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    #[default]
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}

impl Condition {
    /// The condition as written in Compose files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ServiceStarted => "service_started",
            Self::ServiceHealthy => "service_healthy",
            Self::ServiceCompletedSuccessfully => "service_completed_successfully",
        }
    }
}

/// One `depends_on` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    pub condition: Condition,
    /// Restart this service when the dependency is updated.
    pub restart: bool,
    /// When false, a missing or failed dependency only warns.
    pub required: bool,
}

/// A published or exposed port, long syntax.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Port {
    pub target: u16,
    /// Host port or range (`8080`, `8000-8010`); `None` lets the engine choose.
    pub published: Option<String>,
    pub host_ip: Option<String>,
    pub protocol: String,
    /// The `ports` entry it comes from (a range gives several ports).
    #[serde(skip)]
    pub item: usize,
}

/// What a service volume entry mounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    Bind,
    Volume,
    Tmpfs,
}

/// A service volume entry, long syntax.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Mount {
    pub kind: MountKind,
    /// Host path (bind, absolute or relative to the project folder) or volume name.
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
}

/// A service's attachment to a project network.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ServiceNetwork {
    pub aliases: Vec<String>,
    pub ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
}

/// A container health check.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Healthcheck {
    /// `["CMD", …]`, `["CMD-SHELL", "…"]` or `["NONE"]`.
    pub test: Vec<String>,
    pub interval_ns: Option<i64>,
    pub timeout_ns: Option<i64>,
    pub start_period_ns: Option<i64>,
    pub start_interval_ns: Option<i64>,
    pub retries: Option<i64>,
    pub disable: bool,
}

/// A logging driver and its options.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Logging {
    pub driver: Option<String>,
    pub options: BTreeMap<String, String>,
}

/// A secret or config made available to a service as a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMount {
    pub source: String,
    pub target: String,
}

/// A service, normalized.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    pub image: Option<String>,
    /// Whether the file asks to build the image (Orbitr deploys images; it warns).
    pub build: bool,
    /// Whether a provider plugin (`provider:`) stands for this service instead of an image
    /// (Orbitr runs no provider; it warns). Not serialized when false, so that the config hash
    /// of every other service stays what it was before the field existed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provider: bool,
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    /// `None` values mean "unset in the container".
    pub environment: BTreeMap<String, Option<String>>,
    pub ports: Vec<Port>,
    pub expose: Vec<String>,
    pub volumes: Vec<Mount>,
    pub tmpfs: Vec<String>,
    pub networks: BTreeMap<String, ServiceNetwork>,
    pub network_mode: Option<String>,
    pub depends_on: BTreeMap<String, Dependency>,
    pub healthcheck: Option<Healthcheck>,
    pub restart: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub container_name: Option<String>,
    pub hostname: Option<String>,
    pub domainname: Option<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub platform: Option<String>,
    pub pull_policy: Option<String>,
    pub privileged: bool,
    pub init: Option<bool>,
    pub read_only: bool,
    pub stdin_open: bool,
    pub tty: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    /// `host[:container[:permissions]]`.
    pub devices: Vec<String>,
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_opt: Vec<String>,
    /// `host:ip`.
    pub extra_hosts: Vec<String>,
    pub security_opt: Vec<String>,
    pub group_add: Vec<String>,
    pub pid: Option<String>,
    pub ipc: Option<String>,
    pub userns_mode: Option<String>,
    pub cgroup_parent: Option<String>,
    pub runtime: Option<String>,
    pub mac_address: Option<String>,
    pub stop_signal: Option<String>,
    pub stop_grace_period_ns: Option<i64>,
    pub shm_size: Option<i64>,
    pub mem_limit: Option<i64>,
    pub memswap_limit: Option<i64>,
    pub mem_reservation: Option<i64>,
    pub cpus: Option<f64>,
    pub cpu_shares: Option<i64>,
    pub pids_limit: Option<i64>,
    pub oom_score_adj: Option<i64>,
    pub ulimits: BTreeMap<String, (i64, i64)>,
    pub sysctls: BTreeMap<String, String>,
    pub logging: Option<Logging>,
    pub secrets: Vec<FileMount>,
    pub configs: Vec<FileMount>,
    pub replicas: u32,
    pub profiles: Vec<String>,
    /// Where the service is defined.
    pub pos: Pos,
    /// Where each field (`image`, `ports[1]`, `depends_on.db`) is written, for diagnostics.
    #[serde(skip)]
    pub positions: BTreeMap<String, Pos>,
}

/// Fields that do not change what a container is, so a change to them never recreates one.
const NOT_HASHED: &[&str] = &[
    "replicas",
    "depends_on",
    "profiles",
    "pull_policy",
    "build",
    "pos",
    "name",
];

impl Service {
    /// The hash of everything that defines this service's containers: when it changes, they are
    /// recreated; when it does not, they are kept.
    pub fn config_hash(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(map) = value.as_object_mut() {
            for key in NOT_HASHED {
                map.remove(*key);
            }
        }
        // serde_json's map is ordered by key, so the text is canonical.
        let text = value.to_string();
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    /// Where `field` (relative to the service, e.g. `ports[1]`) is written, else the service.
    pub fn pos_of(&self, field: &str) -> Pos {
        if let Some(p) = self.positions.get(field) {
            return *p;
        }
        let head = field.split(['.', '[']).next().unwrap_or(field);
        self.positions.get(head).copied().unwrap_or(self.pos)
    }

    /// The services this one waits for.
    pub fn dependencies(&self) -> impl Iterator<Item = &str> {
        self.depends_on.keys().map(String::as_str)
    }
}

/// A top-level network.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NetworkDef {
    /// The engine's name (`<project>_<key>` unless `name:` or external).
    pub name: Option<String>,
    pub external: bool,
    pub driver: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub internal: bool,
    pub attachable: bool,
    pub enable_ipv6: bool,
    pub subnets: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// Where it is defined, for diagnostics.
    #[serde(skip)]
    pub pos: Pos,
}

/// A top-level volume.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VolumeDef {
    pub name: Option<String>,
    pub external: bool,
    pub driver: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    /// Where it is defined, for diagnostics.
    #[serde(skip)]
    pub pos: Pos,
}

/// A top-level secret or config.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FileObject {
    pub name: Option<String>,
    pub file: Option<String>,
    pub environment: Option<String>,
    pub content: Option<String>,
    pub external: bool,
}

impl Project {
    /// The engine name of a project network.
    pub fn network_name(&self, project: &str, key: &str) -> String {
        match self.networks.get(key) {
            Some(NetworkDef { name: Some(n), .. }) => n.clone(),
            Some(NetworkDef { external: true, .. }) => key.to_owned(),
            _ => format!("{project}_{key}"),
        }
    }

    /// The engine name of a project volume.
    pub fn volume_name(&self, project: &str, key: &str) -> String {
        match self.volumes.get(key) {
            Some(VolumeDef { name: Some(n), .. }) => n.clone(),
            Some(VolumeDef { external: true, .. }) => key.to_owned(),
            _ => format!("{project}_{key}"),
        }
    }

    /// Service names in an order where each comes after what it depends on (names break ties).
    pub fn start_order(&self) -> Vec<String> {
        let mut done: Vec<String> = Vec::new();
        let mut left: Vec<&Service> = self.services.values().collect();
        while !left.is_empty() {
            let before = left.len();
            left.retain(|s| {
                let ready = s
                    .dependencies()
                    .all(|d| done.iter().any(|x| x == d) || !self.services.contains_key(d));
                if ready {
                    done.push(s.name.clone());
                }
                !ready
            });
            if left.len() == before {
                // A cycle: the loader reports it; keep the rest in name order.
                done.extend(left.iter().map(|s| s.name.clone()));
                break;
            }
        }
        done
    }
}
