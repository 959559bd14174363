//! Container operations: what the engine says about a container, turned into Orbitr's views,
//! the actions on it, and creating one from the form (validated field by field and against the
//! workspace's security policy).

use std::collections::{BTreeMap, HashMap};

use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, HostConfig, PortBinding, RestartPolicy,
    RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptions, KillContainerOptions, RemoveContainerOptions, RenameContainerOptions,
    RestartContainerOptions, StopContainerOptions,
};
use compose::policy::{Privileges, SecurityPolicy, Violation};

use crate::docker::{DockerEngine, DockerError};
pub use crate::model::resources::ContainerSpec;
use crate::model::resources::{
    ContainerAction, ContainerDetail, ContainerView, HealthRun, MountView, NetworkAttachment,
    PROJECT_LABEL, PortView, SERVICE_LABEL, WORKSPACE_LABEL, mask_env,
};

/// Labels that say who owns a container (workspace, stack, extension): set by Orbitr only.
const OWNERSHIP_LABELS: [&str; 4] = [
    WORKSPACE_LABEL,
    "dev.orbitr.stack",
    "dev.orbitr.extension",
    "com.docker.compose.",
];

/// Seconds a stop or restart waits for the process to exit before killing it.
const STOP_GRACE_SECS: i32 = 10;

/// Why a container could not be created or changed.
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    /// A form field is wrong; `field` names it (`ports[1]`).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The workspace's security policy refuses it.
    #[error("{0}")]
    Policy(Violation),
    #[error("no such container {0}")]
    NotFound(String),
    #[error(transparent)]
    Docker(#[from] DockerError),
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> ContainerError {
    ContainerError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Milliseconds since the epoch of an RFC 3339 time from the engine; `None` for its "never"
/// (`0001-01-01T00:00:00Z`) and anything unreadable.
pub(crate) fn epoch_ms(raw: Option<&str>) -> Option<i64> {
    let parsed =
        time::OffsetDateTime::parse(raw?, &time::format_description::well_known::Rfc3339).ok()?;
    let ms = i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000).ok()?;
    (ms > 0).then_some(ms)
}

/// The list view of an inspected container.
pub fn view_of(c: &ContainerInspectResponse) -> ContainerView {
    let labels = c.config.as_ref().and_then(|cfg| cfg.labels.as_ref());
    let label = |key: &str| labels.and_then(|l| l.get(key)).cloned();
    let state = c.state.as_ref();
    let status = state
        .and_then(|s| s.status)
        .map_or_else(|| "unknown".to_owned(), |s| s.to_string());
    let up = matches!(status.as_str(), "running" | "paused" | "restarting");
    let mut ports: Vec<PortView> = c
        .network_settings
        .as_ref()
        .and_then(|n| n.ports.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|(key, bindings)| {
            let (port, protocol) = key.split_once('/').unwrap_or((key, "tcp"));
            let container_port: u16 = port.parse().ok()?;
            Some(
                bindings
                    .iter()
                    .flatten()
                    .filter_map(move |b| {
                        Some(PortView {
                            host_ip: b.host_ip.clone().unwrap_or_default(),
                            host_port: b.host_port.as_deref()?.parse().ok()?,
                            container_port,
                            protocol: protocol.to_owned(),
                        })
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect();
    ports.sort();
    ContainerView {
        id: c.id.clone().unwrap_or_default(),
        name: c
            .name
            .as_deref()
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_owned(),
        image: c
            .config
            .as_ref()
            .and_then(|cfg| cfg.image.clone())
            .unwrap_or_default(),
        health: state
            .and_then(|s| s.health.as_ref())
            .and_then(|h| h.status)
            .map(|h| h.to_string())
            .filter(|h| !h.is_empty() && h != "none"),
        exit_code: state
            .and_then(|s| s.exit_code)
            .filter(|_| !up && status != "created"),
        created_at: epoch_ms(c.created.as_deref()).unwrap_or(0),
        started_at: state
            .and_then(|s| epoch_ms(s.started_at.as_deref()))
            .filter(|_| up),
        state: status,
        ports,
        workspace: label(WORKSPACE_LABEL),
        stack: label(PROJECT_LABEL),
        service: label(SERVICE_LABEL),
        image_id: c.image.clone().unwrap_or_default(),
        networks: {
            let mut names: Vec<String> = c
                .network_settings
                .as_ref()
                .and_then(|n| n.networks.as_ref())
                .map(|n| n.keys().cloned().collect())
                .unwrap_or_default();
            names.sort();
            names
        },
        volumes: c
            .mounts
            .iter()
            .flatten()
            .filter(|m| m.typ.as_deref() == Some("volume"))
            .filter_map(|m| m.name.clone())
            .collect(),
    }
}

/// The detail view of an inspected container (secret-looking environment values masked).
pub fn detail_of(c: &ContainerInspectResponse) -> ContainerDetail {
    let cfg = c.config.as_ref();
    let host = c.host_config.as_ref();
    let restart = host.and_then(|h| h.restart_policy.as_ref());
    let restart_policy = match restart.and_then(|r| r.name) {
        Some(RestartPolicyNameEnum::ON_FAILURE) => {
            match restart.and_then(|r| r.maximum_retry_count) {
                Some(n) if n > 0 => format!("on-failure:{n}"),
                _ => "on-failure".to_owned(),
            }
        }
        Some(RestartPolicyNameEnum::EMPTY) | None => "no".to_owned(),
        Some(other) => other.to_string(),
    };
    let mut networks: Vec<NetworkAttachment> = c
        .network_settings
        .as_ref()
        .and_then(|n| n.networks.as_ref())
        .into_iter()
        .flatten()
        .map(|(name, ep)| NetworkAttachment {
            network: name.clone(),
            ip_address: ep.ip_address.clone().filter(|ip| !ip.is_empty()),
            aliases: ep.aliases.clone().unwrap_or_default(),
        })
        .collect();
    networks.sort_by(|a, b| a.network.cmp(&b.network));
    let health_log = c
        .state
        .as_ref()
        .and_then(|s| s.health.as_ref())
        .and_then(|h| h.log.as_ref())
        .into_iter()
        .flatten()
        .map(|run| HealthRun {
            exit_code: run.exit_code.unwrap_or(-1),
            output: run.output.clone().unwrap_or_default(),
            ended_at: epoch_ms(run.end.as_deref()),
        })
        .collect();
    ContainerDetail {
        summary: view_of(c),
        image_id: c.image.clone().unwrap_or_default(),
        command: cfg.and_then(|c| c.cmd.clone()).unwrap_or_default(),
        entrypoint: cfg.and_then(|c| c.entrypoint.clone()).unwrap_or_default(),
        working_dir: cfg
            .and_then(|c| c.working_dir.clone())
            .filter(|w| !w.is_empty()),
        env: cfg
            .and_then(|c| c.env.as_ref())
            .into_iter()
            .flatten()
            .map(|e| mask_env(e))
            .collect(),
        mounts: c
            .mounts
            .iter()
            .flatten()
            .map(|m| MountView {
                kind: m.typ.clone().unwrap_or_default(),
                source: if m.typ.as_deref() == Some("volume") {
                    m.name.clone().unwrap_or_default()
                } else {
                    m.source.clone().unwrap_or_default()
                },
                destination: m.destination.clone().unwrap_or_default(),
                read_only: m.rw == Some(false),
            })
            .collect(),
        networks,
        labels: cfg
            .and_then(|c| c.labels.clone())
            .unwrap_or_default()
            .into_iter()
            .collect::<BTreeMap<_, _>>(),
        restart_policy,
        restart_count: c.restart_count.unwrap_or(0),
        #[allow(clippy::cast_precision_loss)]
        cpus: host
            .and_then(|h| h.nano_cpus)
            .filter(|n| *n > 0)
            .map(|n| n as f64 / 1e9),
        memory_bytes: host.and_then(|h| h.memory).filter(|m| *m > 0),
        privileged: host.and_then(|h| h.privileged).unwrap_or(false),
        health_log,
        error: c
            .state
            .as_ref()
            .and_then(|s| s.error.clone())
            .filter(|e| !e.is_empty()),
    }
}

pub use compose::units::{parse_bytes, split_command};

/// A checked create request: what goes to the engine, and what the policy looks at.
#[derive(Debug)]
pub struct CreatePlan {
    pub name: Option<String>,
    pub body: ContainerCreateBody,
    pub privileges: Privileges,
    /// Position in `volumes` of each bind mount in `privileges.binds`.
    pub(crate) bind_positions: Vec<usize>,
    /// Named volumes it mounts, with their position in `volumes`.
    pub volume_names: Vec<(usize, String)>,
}

pub(crate) fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Checks every field of `spec` and builds the engine request, labelled for `workspace`.
/// The first wrong field is reported, by name and position.
pub fn plan_create(spec: &ContainerSpec, workspace: &str) -> Result<CreatePlan, ContainerError> {
    let image = spec.image.trim();
    if image.is_empty() {
        return Err(invalid("image", "an image is required"));
    }
    if image.chars().any(char::is_whitespace) || image.starts_with(['-', ':', '@', '/']) {
        return Err(invalid(
            "image",
            format!("{image:?} is not an image reference like nginx:1.27 or ghcr.io/org/app:tag"),
        ));
    }
    let name = spec.name.trim();
    if !name.is_empty() && !is_valid_name(name) {
        return Err(invalid(
            "name",
            "use letters, digits, `_`, `.` and `-`, starting with a letter or digit",
        ));
    }
    let cmd = if spec.command.trim().is_empty() {
        None
    } else {
        Some(split_command(&spec.command).map_err(|m| invalid("command", m))?)
    };
    let mut env = Vec::new();
    for (i, entry) in non_blank(&spec.env) {
        match entry.split_once('=') {
            Some((key, _)) if !key.is_empty() && !key.contains(char::is_whitespace) => {
                env.push(entry.to_owned());
            }
            _ => return Err(invalid(format!("env[{i}]"), "write KEY=value")),
        }
    }
    let mut exposed: Vec<String> = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for (i, entry) in non_blank(&spec.ports) {
        let field = format!("ports[{i}]");
        let (mapping, protocol) = entry.rsplit_once('/').unwrap_or((entry, "tcp"));
        if !matches!(protocol, "tcp" | "udp" | "sctp") {
            return Err(invalid(
                field,
                format!("protocol {protocol:?}: use tcp, udp or sctp"),
            ));
        }
        let parts: Vec<&str> = mapping.rsplitn(3, ':').collect();
        let port = |raw: &str, what: &str| -> Result<u16, ContainerError> {
            raw.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                invalid(
                    field.clone(),
                    format!("{what} port {raw:?} must be 1 to 65535"),
                )
            })
        };
        let (host_ip, host_port, container_port) = match parts.as_slice() {
            [container, host] => (None, port(host, "host")?, port(container, "container")?),
            [container, host, ip] => (
                Some((*ip).trim_matches(['[', ']']).to_owned()),
                port(host, "host")?,
                port(container, "container")?,
            ),
            _ => {
                return Err(invalid(
                    field,
                    "write host_port:container_port, e.g. 8080:80 or 127.0.0.1:8080:80/tcp",
                ));
            }
        };
        if let Some(ip) = &host_ip
            && ip.parse::<std::net::IpAddr>().is_err()
        {
            return Err(invalid(field, format!("{ip:?} is not an IP address")));
        }
        publish(
            &mut exposed,
            &mut bindings,
            format!("{container_port}/{protocol}"),
            PortBinding {
                host_ip,
                host_port: Some(host_port.to_string()),
            },
        );
    }
    let mut binds = Vec::new();
    let mut host_paths = Vec::new();
    let mut bind_positions = Vec::new();
    let mut volume_names = Vec::new();
    for (i, entry) in non_blank(&spec.volumes) {
        let field = format!("volumes[{i}]");
        let parts: Vec<&str> = entry.split(':').collect();
        let (source, destination, mode) = match parts.as_slice() {
            [s, d] => (*s, *d, None),
            [s, d, m] => (*s, *d, Some(*m)),
            _ => {
                return Err(invalid(
                    field,
                    "write source:destination[:ro], e.g. data:/var/lib/app or /srv/app:/data:ro",
                ));
            }
        };
        if source.is_empty() {
            return Err(invalid(
                field,
                "the source (volume name or host path) is missing",
            ));
        }
        if !destination.starts_with('/') {
            return Err(invalid(
                field,
                format!(
                    "the destination {destination:?} must be an absolute path in the container"
                ),
            ));
        }
        if let Some(m) = mode
            && !matches!(m, "ro" | "rw")
        {
            return Err(invalid(field, format!("mode {m:?}: use ro or rw")));
        }
        if source.starts_with('/') || source.starts_with('.') || source.starts_with('~') {
            host_paths.push(source.to_owned());
            bind_positions.push(i);
        } else if !is_valid_name(source) {
            return Err(invalid(
                field,
                format!("{source:?} is neither an absolute host path nor a volume name"),
            ));
        } else {
            volume_names.push((i, source.to_owned()));
        }
        binds.push(entry.to_owned());
    }
    let network = spec.network.trim();
    let restart_policy = parse_restart(spec.restart.trim()).map_err(|m| invalid("restart", m))?;
    let mut labels: HashMap<String, String> = HashMap::new();
    for (i, entry) in non_blank(&spec.labels) {
        match entry.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                if OWNERSHIP_LABELS.iter().any(|l| key.trim().starts_with(l)) {
                    return Err(invalid(
                        format!("labels[{i}]"),
                        format!("{} says who owns the container; Orbitr sets it", key.trim()),
                    ));
                }
                labels.insert(key.trim().to_owned(), value.to_owned());
            }
            _ => return Err(invalid(format!("labels[{i}]"), "write key=value")),
        }
    }
    labels.insert(WORKSPACE_LABEL.to_owned(), workspace.to_owned());
    let nano_cpus = if spec.cpus.trim().is_empty() {
        None
    } else {
        let cpus: f64 = spec
            .cpus
            .trim()
            .parse()
            .ok()
            .filter(|c: &f64| c.is_finite() && *c > 0.0 && *c <= 1024.0)
            .ok_or_else(|| invalid("cpus", "a number of CPUs such as 0.5 or 2"))?;
        #[allow(clippy::cast_possible_truncation)]
        Some((cpus * 1e9) as i64)
    };
    let memory = if spec.memory.trim().is_empty() {
        None
    } else {
        let bytes = parse_bytes(&spec.memory).map_err(|m| invalid("memory", m))?;
        if bytes < 6 * 1024 * 1024 {
            return Err(invalid("memory", "the engine needs at least 6m"));
        }
        Some(bytes)
    };
    let cap_add: Vec<String> = non_blank(&spec.cap_add)
        .map(|(_, c)| c.to_owned())
        .collect();
    let devices: Vec<String> = non_blank(&spec.devices)
        .map(|(_, d)| d.to_owned())
        .collect();
    let mut device_mappings = Vec::new();
    for (i, d) in devices.iter().enumerate() {
        let parts: Vec<&str> = d.split(':').collect();
        if !parts[0].starts_with("/dev/") || parts.len() > 3 {
            return Err(invalid(
                format!("devices[{i}]"),
                "write /dev/name[:/dev/name-in-container[:rwm]]",
            ));
        }
        device_mappings.push(bollard::models::DeviceMapping {
            path_on_host: Some(parts[0].to_owned()),
            path_in_container: Some(parts.get(1).unwrap_or(&parts[0]).to_string()),
            cgroup_permissions: Some(parts.get(2).unwrap_or(&"rwm").to_string()),
        });
    }
    let privileges = Privileges {
        privileged: spec.privileged,
        network_mode: (!network.is_empty()).then(|| network.to_owned()),
        pid_mode: None,
        ipc_mode: None,
        binds: host_paths,
        cap_add: cap_add.clone(),
        devices: devices
            .iter()
            .map(|d| d.split(':').next().unwrap_or(d).to_owned())
            .collect(),
    };
    let body = ContainerCreateBody {
        image: Some(image.to_owned()),
        cmd,
        env: (!env.is_empty()).then_some(env),
        labels: Some(labels),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        host_config: Some(HostConfig {
            binds: (!binds.is_empty()).then_some(binds),
            port_bindings: (!bindings.is_empty()).then_some(bindings),
            network_mode: (!network.is_empty()).then(|| network.to_owned()),
            restart_policy: Some(restart_policy),
            nano_cpus,
            memory,
            privileged: Some(spec.privileged),
            cap_add: (!cap_add.is_empty()).then_some(cap_add),
            devices: (!device_mappings.is_empty()).then_some(device_mappings),
            ..Default::default()
        }),
        ..Default::default()
    };
    Ok(CreatePlan {
        name: (!name.is_empty()).then(|| name.to_owned()),
        body,
        privileges,
        bind_positions,
        volume_names,
    })
}

/// Exposes `key` (`80/tcp`) once and adds a host binding for it.
pub(crate) fn publish(
    exposed: &mut Vec<String>,
    bindings: &mut HashMap<String, Option<Vec<PortBinding>>>,
    key: String,
    binding: PortBinding,
) {
    if !exposed.contains(&key) {
        exposed.push(key.clone());
    }
    bindings
        .entry(key)
        .or_insert_with(|| Some(Vec::new()))
        .get_or_insert_with(Vec::new)
        .push(binding);
}

impl CreatePlan {
    /// The policy's refusals, with list positions as the form numbers them.
    pub fn violations(&self, policy: &SecurityPolicy) -> Vec<Violation> {
        policy
            .check(&self.privileges)
            .into_iter()
            .map(|mut v| {
                if v.field == "volumes"
                    && let Some(i) = v.index
                {
                    v.index = self.bind_positions.get(i).copied().or(Some(i));
                }
                if v.field == "network_mode" {
                    v.field = "network".into();
                }
                v
            })
            .collect()
    }
}

fn non_blank(list: &[String]) -> impl Iterator<Item = (usize, &str)> {
    list.iter()
        .map(|s| s.trim())
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
}

pub(crate) fn parse_restart(raw: &str) -> Result<RestartPolicy, String> {
    let (name, retries) = match raw.split_once(':') {
        Some((name, n)) => (
            name,
            Some(
                n.parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| format!("{n:?} is not a retry count"))?,
            ),
        ),
        None => (raw, None),
    };
    let name = match name {
        "" | "no" => RestartPolicyNameEnum::NO,
        "always" => RestartPolicyNameEnum::ALWAYS,
        "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
        "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
        other => {
            return Err(format!(
                "{other:?}: use no, always, unless-stopped or on-failure[:N]"
            ));
        }
    };
    if retries.is_some() && name != RestartPolicyNameEnum::ON_FAILURE {
        return Err("a retry count goes with on-failure only".into());
    }
    Ok(RestartPolicy {
        name: Some(name),
        maximum_retry_count: retries,
    })
}

impl DockerEngine {
    /// Reads one container from the engine and records it in the live state (or forgets it when
    /// it is gone). Returns the fresh view.
    pub async fn refresh_container(&self, id: &str) -> Result<Option<ContainerView>, DockerError> {
        let key = id.to_owned();
        match self
            .call("containers.inspect", |d| async move {
                d.inspect_container(&key, None).await
            })
            .await
        {
            Ok(inspect) => {
                let view = self.owned_view(&inspect);
                self.containers().upsert(view.clone());
                Ok(Some(view))
            }
            Err(DockerError::Api { status: 404, .. }) => {
                self.containers().remove(id);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The list view, with the adoption's workspace when the label is missing.
    fn owned_view(&self, c: &ContainerInspectResponse) -> ContainerView {
        let mut view = view_of(c);
        if view.workspace.is_none() {
            view.workspace = self.adopted_owner(&view.id);
        }
        view
    }

    /// Inspects a container for its page.
    pub async fn inspect_container(&self, id: &str) -> Result<ContainerDetail, ContainerError> {
        let key = id.to_owned();
        match self
            .call("containers.inspect", |d| async move {
                d.inspect_container(&key, None).await
            })
            .await
        {
            Ok(inspect) => {
                let mut detail = detail_of(&inspect);
                detail.summary = self.owned_view(&inspect);
                Ok(detail)
            }
            Err(DockerError::Api { status: 404, .. }) => Err(ContainerError::NotFound(id.into())),
            Err(e) => Err(e.into()),
        }
    }

    /// Starts, stops, restarts, kills, pauses or resumes a container, then records its new state.
    pub async fn container_action(
        &self,
        id: &str,
        action: ContainerAction,
    ) -> Result<Option<ContainerView>, ContainerError> {
        let key = id.to_owned();
        let result = match action {
            ContainerAction::Start => {
                self.call("containers.start", |d| async move {
                    d.start_container(&key, None).await
                })
                .await
            }
            ContainerAction::Stop => {
                self.call("containers.stop", |d| async move {
                    d.stop_container(
                        &key,
                        Some(StopContainerOptions {
                            t: Some(STOP_GRACE_SECS),
                            signal: None,
                        }),
                    )
                    .await
                })
                .await
            }
            ContainerAction::Restart => {
                self.call("containers.restart", |d| async move {
                    d.restart_container(
                        &key,
                        Some(RestartContainerOptions {
                            t: Some(STOP_GRACE_SECS),
                            signal: None,
                        }),
                    )
                    .await
                })
                .await
            }
            ContainerAction::Kill => {
                self.call("containers.kill", |d| async move {
                    d.kill_container(
                        &key,
                        Some(KillContainerOptions {
                            signal: "SIGKILL".into(),
                        }),
                    )
                    .await
                })
                .await
            }
            ContainerAction::Pause => {
                self.call("containers.pause", |d| async move {
                    d.pause_container(&key).await
                })
                .await
            }
            ContainerAction::Unpause => {
                self.call("containers.unpause", |d| async move {
                    d.unpause_container(&key).await
                })
                .await
            }
        };
        match result {
            Ok(()) => Ok(self.refresh_container(id).await?),
            Err(DockerError::Api { status: 404, .. }) => Err(ContainerError::NotFound(id.into())),
            Err(e) => Err(e.into()),
        }
    }

    /// Renames a container.
    pub async fn rename_container(&self, id: &str, name: &str) -> Result<(), ContainerError> {
        let name = name.trim();
        if !is_valid_name(name) {
            return Err(invalid(
                "name",
                "use letters, digits, `_`, `.` and `-`, starting with a letter or digit",
            ));
        }
        let (key, new) = (id.to_owned(), name.to_owned());
        self.call("containers.rename", |d| async move {
            d.rename_container(&key, RenameContainerOptions { name: new })
                .await
        })
        .await
        .map_err(|e| match e {
            DockerError::Api { status: 404, .. } => ContainerError::NotFound(id.into()),
            e => e.into(),
        })?;
        self.refresh_container(id).await?;
        Ok(())
    }

    /// Removes a container (forcefully when running), with its anonymous volumes if asked.
    pub async fn remove_container(&self, id: &str, volumes: bool) -> Result<(), ContainerError> {
        let key = id.to_owned();
        self.call("containers.remove", |d| async move {
            d.remove_container(
                &key,
                Some(RemoveContainerOptions {
                    v: volumes,
                    force: true,
                    link: false,
                }),
            )
            .await
        })
        .await
        .map_err(|e| match e {
            DockerError::Api { status: 404, .. } => ContainerError::NotFound(id.into()),
            e => e.into(),
        })?;
        self.containers().remove(id);
        Ok(())
    }

    /// Creates (and, if asked, starts) a container from a checked plan. When the start fails
    /// the container is removed again, so nothing half-made is left.
    pub async fn create_container(
        &self,
        plan: CreatePlan,
        start: bool,
    ) -> Result<ContainerView, ContainerError> {
        let CreatePlan { name, body, .. } = plan;
        let created = self
            .call("containers.create", |d| async move {
                d.create_container(
                    Some(CreateContainerOptions {
                        name,
                        ..Default::default()
                    }),
                    body,
                )
                .await
            })
            .await?;
        if start
            && let Err(e) = self
                .container_action(&created.id, ContainerAction::Start)
                .await
        {
            let _ = self.remove_container(&created.id, true).await;
            return Err(e);
        }
        self.refresh_container(&created.id)
            .await?
            .ok_or_else(|| ContainerError::NotFound(created.id))
    }

    /// Reads every container from the engine (inspecting each, a few at a time).
    pub(crate) async fn read_all_containers(&self) -> Result<Vec<ContainerView>, DockerError> {
        use futures::StreamExt;
        let list = self
            .call("containers.list", |d| async move {
                d.list_containers(Some(bollard::query_parameters::ListContainersOptions {
                    all: true,
                    ..Default::default()
                }))
                .await
            })
            .await?;
        let ids: Vec<String> = list.into_iter().filter_map(|c| c.id).collect();
        let inspected: Vec<Result<Option<ContainerInspectResponse>, DockerError>> =
            futures::stream::iter(ids)
                .map(|id| async move {
                    match self
                        .call("containers.inspect", |d| async move {
                            d.inspect_container(&id, None).await
                        })
                        .await
                    {
                        Ok(c) => Ok(Some(c)),
                        // Removed between the list and the inspect.
                        Err(DockerError::Api { status: 404, .. }) => Ok(None),
                        Err(e) => Err(e),
                    }
                })
                .buffer_unordered(16)
                .collect()
                .await;
        let mut views = Vec::new();
        for result in inspected {
            if let Some(c) = result? {
                views.push(self.owned_view(&c));
            }
        }
        Ok(views)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(image: &str) -> ContainerSpec {
        ContainerSpec {
            image: image.into(),
            ..Default::default()
        }
    }

    fn field_of(result: Result<CreatePlan, ContainerError>) -> String {
        match result {
            Err(ContainerError::Invalid { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn commands_split_like_a_shell() {
        assert_eq!(
            split_command(r#"sh -c "echo 'hi there'" x\ y"#).expect("test value"),
            ["sh", "-c", "echo 'hi there'", "x y"]
        );
        assert_eq!(
            split_command("  ").expect("test value"),
            Vec::<String>::new()
        );
        assert_eq!(split_command("a ''").expect("test value"), ["a", ""]);
        assert!(split_command("echo \"open").is_err());
    }

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_bytes("512m").expect("test value"), 512 * 1024 * 1024);
        assert_eq!(
            parse_bytes("1.5GiB").expect("test value"),
            1536 * 1024 * 1024
        );
        assert_eq!(parse_bytes("2048").expect("test value"), 2048);
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("5q").is_err());
    }

    #[test]
    fn a_good_spec_becomes_a_labelled_request() {
        let plan = plan_create(
            &ContainerSpec {
                image: "nginx:1.27".into(),
                name: "web".into(),
                command: "nginx -g 'daemon off;'".into(),
                env: vec!["A=1".into(), "  ".into()],
                ports: vec!["127.0.0.1:8080:80/tcp".into(), "9000:9000/udp".into()],
                volumes: vec!["data:/data".into(), "/srv/app:/app:ro".into()],
                restart: "on-failure:3".into(),
                labels: vec!["team=blue".into()],
                cpus: "0.5".into(),
                memory: "256m".into(),
                ..Default::default()
            },
            "ws1",
        )
        .expect("valid");
        let host = plan.body.host_config.as_ref().expect("test value");
        assert_eq!(plan.name.as_deref(), Some("web"));
        assert_eq!(
            plan.body
                .labels
                .as_ref()
                .expect("test value")
                .get(WORKSPACE_LABEL)
                .map(String::as_str),
            Some("ws1")
        );
        assert_eq!(host.nano_cpus, Some(500_000_000));
        assert_eq!(host.memory, Some(256 * 1024 * 1024));
        assert_eq!(
            host.restart_policy
                .as_ref()
                .expect("test value")
                .maximum_retry_count,
            Some(3)
        );
        let ports = host.port_bindings.as_ref().expect("test value");
        assert_eq!(
            ports["80/tcp"].as_ref().expect("test value")[0]
                .host_ip
                .as_deref(),
            Some("127.0.0.1")
        );
        assert!(ports.contains_key("9000/udp"));
        assert_eq!(plan.privileges.binds, ["/srv/app"]);
        assert_eq!(
            plan.body.cmd.as_ref().expect("test value")[2],
            "daemon off;"
        );
    }

    #[test]
    fn each_bad_field_is_named_with_its_position() {
        assert_eq!(field_of(plan_create(&spec(""), "w")), "image");
        assert_eq!(field_of(plan_create(&spec("bad image"), "w")), "image");
        let mut s = spec("img");
        s.ports = vec!["80:80".into(), "http".into()];
        assert_eq!(field_of(plan_create(&s, "w")), "ports[1]");
        s.ports = vec!["70000:80".into()];
        assert_eq!(field_of(plan_create(&s, "w")), "ports[0]");
        let mut s = spec("img");
        s.volumes = vec!["data".into()];
        assert_eq!(field_of(plan_create(&s, "w")), "volumes[0]");
        let mut s = spec("img");
        s.env = vec!["".into(), "=x".into()];
        assert_eq!(field_of(plan_create(&s, "w")), "env[1]");
        let mut s = spec("img");
        s.restart = "sometimes".into();
        assert_eq!(field_of(plan_create(&s, "w")), "restart");
        let mut s = spec("img");
        s.labels = vec!["dev.orbitr.workspace=other".into()];
        assert_eq!(field_of(plan_create(&s, "w")), "labels[0]");
        let mut s = spec("img");
        s.memory = "1k".into();
        assert_eq!(field_of(plan_create(&s, "w")), "memory");
        let mut s = spec("img");
        s.name = "-x".into();
        assert_eq!(field_of(plan_create(&s, "w")), "name");
    }

    #[test]
    fn policy_violations_point_at_the_form_position() {
        let mut s = spec("img");
        s.volumes = vec![
            "data:/data".into(),
            "/var/run/docker.sock:/var/run/docker.sock".into(),
        ];
        s.network = "host".into();
        s.privileged = true;
        let plan = plan_create(&s, "w").expect("well formed");
        let found = plan.violations(&SecurityPolicy::default());
        let fields: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert!(
            fields.iter().any(|f| f.starts_with("privileged:")),
            "{fields:?}"
        );
        assert!(
            fields.iter().any(|f| f.starts_with("network:")),
            "{fields:?}"
        );
        assert!(
            fields.iter().any(|f| f.starts_with("volumes[1]:")),
            "{fields:?}"
        );
        assert!(plan.violations(&SecurityPolicy::unrestricted()).is_empty());
    }
}
