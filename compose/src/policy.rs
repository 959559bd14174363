//! The per-workspace security policy: what non-admin members may give a container beyond the
//! ordinary (privileged mode, the host's network/PID/IPC namespaces, bind mounts, the Docker
//! socket, added capabilities, devices). Pure logic, so the container form, stack deploys,
//! extension installs and the browser's editor all check with the same rules.
//!
//! Bind-mount paths are compared lexically after resolving `.` and `..`, on whole path
//! components (`/srv/apps` allows `/srv/apps/x`, not `/srv/apps2`). Mounting a folder that
//! contains the Docker socket (`/`, `/var/run`, `/run`) counts as mounting the socket.

use serde::{Deserialize, Serialize};

/// Where the Docker socket lives on a host (`/var/run` is normally a link to `/run`).
const DOCKER_SOCKETS: [&str; 2] = ["/var/run/docker.sock", "/run/docker.sock"];

/// What a workspace allows. The default allows none of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SecurityPolicy {
    pub allow_privileged: bool,
    pub allow_host_network: bool,
    pub allow_host_pid: bool,
    pub allow_host_ipc: bool,
    pub allow_bind_mounts: bool,
    /// Host folders bind mounts may use when they are allowed; empty means any folder.
    pub bind_roots: Vec<String>,
    pub allow_docker_socket: bool,
    /// Capabilities that may be added (`NET_ADMIN`, …; `ALL` only when listed itself).
    pub allowed_capabilities: Vec<String>,
    pub allow_devices: bool,
    /// Further host settings members may use, by Compose field as `compose::fields` names
    /// them: `sysctls`, `security_opt`, `runtime`, `cgroup_parent`, `userns_mode`, `logging`,
    /// `volumes.driver`, `volumes.driver_opts`, `networks.driver`, `networks.driver_opts`, …
    pub allowed_host_settings: Vec<String>,
    /// Bind mounts on an engine whose files Orbitr cannot see (a remote engine): their sources
    /// cannot be resolved through symbolic links before the check, so they need this switch.
    pub trust_unresolved_binds: bool,
}

/// The parts of a container's configuration the policy looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Privileges {
    pub privileged: bool,
    /// `host`, `bridge`, a network name, `container:<id>`, …
    pub network_mode: Option<String>,
    pub pid_mode: Option<String>,
    pub ipc_mode: Option<String>,
    /// Host paths of bind mounts, in the order given (named volumes are not listed).
    pub binds: Vec<String>,
    pub cap_add: Vec<String>,
    /// Host devices (`/dev/ttyUSB0`, …).
    pub devices: Vec<String>,
}

/// One thing the policy refuses: the field (with its position in a list) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// `privileged`, `network_mode`, `pid_mode`, `ipc_mode`, `volumes`, `cap_add`, `devices`.
    pub field: String,
    /// The position within a list field.
    pub index: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.index {
            Some(i) => write!(f, "{}[{i}]: {}", self.field, self.message),
            None => write!(f, "{}: {}", self.field, self.message),
        }
    }
}

fn violation(field: &str, index: Option<usize>, message: String) -> Violation {
    Violation {
        field: field.to_owned(),
        index,
        message,
    }
}

/// An absolute path with `.`, `..` and repeated `/` resolved; `None` for a relative path.
pub fn normalize_host_path(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// Whether `path` is `root` or inside it (both normalized).
fn within(path: &str, root: &str) -> bool {
    root == "/"
        || path == root
        || path
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// `CAP_NET_ADMIN`, `net_admin` → `NET_ADMIN`.
fn capability_name(raw: &str) -> String {
    let upper = raw.trim().to_ascii_uppercase();
    upper
        .strip_prefix("CAP_")
        .map_or_else(|| upper.clone(), str::to_owned)
}

impl SecurityPolicy {
    /// A policy that allows everything (platform admins' own deploys).
    pub fn unrestricted() -> Self {
        Self {
            allow_privileged: true,
            allow_host_network: true,
            allow_host_pid: true,
            allow_host_ipc: true,
            allow_bind_mounts: true,
            bind_roots: Vec::new(),
            allow_docker_socket: true,
            allowed_capabilities: vec!["ALL".into()],
            allow_devices: true,
            allowed_host_settings: vec!["*".into()],
            trust_unresolved_binds: true,
        }
    }

    /// Whether the host setting `field` (`sysctls`, `volumes.driver_opts`) is allowed.
    pub fn allows_host_setting(&self, field: &str) -> bool {
        self.allowed_host_settings
            .iter()
            .any(|a| a.trim() == field || a.trim() == "*")
    }

    /// Every violation of this policy by `p`, in field order; empty when `p` may run.
    pub fn check(&self, p: &Privileges) -> Vec<Violation> {
        let mut found = Vec::new();
        if p.privileged && !self.allow_privileged {
            found.push(violation(
                "privileged",
                None,
                "privileged mode is not allowed in this workspace".into(),
            ));
        }
        for (field, mode, allowed, what) in [
            (
                "network_mode",
                &p.network_mode,
                self.allow_host_network,
                "the host's network",
            ),
            (
                "pid_mode",
                &p.pid_mode,
                self.allow_host_pid,
                "the host's process namespace",
            ),
            (
                "ipc_mode",
                &p.ipc_mode,
                self.allow_host_ipc,
                "the host's IPC namespace",
            ),
        ] {
            if mode.as_deref().map(str::trim) == Some("host") && !allowed {
                found.push(violation(
                    field,
                    None,
                    format!("{what} (`host`) is not allowed in this workspace"),
                ));
            }
        }
        let roots: Vec<String> = self
            .bind_roots
            .iter()
            .filter_map(|r| normalize_host_path(r))
            .collect();
        for (i, raw) in p.binds.iter().enumerate() {
            let Some(path) = normalize_host_path(raw) else {
                found.push(violation(
                    "volumes",
                    Some(i),
                    format!("bind mount source {raw:?} must be an absolute host path"),
                ));
                continue;
            };
            let is_socket = DOCKER_SOCKETS.contains(&path.as_str());
            let reaches_socket = DOCKER_SOCKETS.iter().any(|socket| within(socket, &path));
            let refusal = if reaches_socket && !self.allow_docker_socket {
                Some(format!(
                    "{path} gives the container the Docker socket (control of the host), which is not allowed in this workspace"
                ))
            } else if is_socket {
                // The socket itself, allowed: no folder is shared with it.
                None
            } else if !self.allow_bind_mounts {
                Some(format!(
                    "bind mounts of host folders ({path}) are not allowed in this workspace; use a named volume"
                ))
            } else if !roots.is_empty() && !roots.iter().any(|root| within(&path, root)) {
                Some(format!(
                    "{path} is outside the host folders this workspace may mount ({})",
                    roots.join(", ")
                ))
            } else {
                None
            };
            if let Some(message) = refusal {
                found.push(violation("volumes", Some(i), message));
            }
        }
        let allowed: Vec<String> = self
            .allowed_capabilities
            .iter()
            .map(|c| capability_name(c))
            .collect();
        for (i, raw) in p.cap_add.iter().enumerate() {
            let cap = capability_name(raw);
            if !allowed.contains(&cap) && !allowed.iter().any(|a| a == "ALL") {
                found.push(violation(
                    "cap_add",
                    Some(i),
                    format!("adding the capability {cap} is not allowed in this workspace"),
                ));
            }
        }
        if !self.allow_devices {
            for (i, device) in p.devices.iter().enumerate() {
                found.push(violation(
                    "devices",
                    Some(i),
                    format!("access to the host device {device} is not allowed in this workspace"),
                ));
            }
        }
        found
    }
}

/// Host settings with a rule of their own (in [`SecurityPolicy::check`] or below), so the
/// generic rule for host fields leaves them alone.
const OWN_RULES: [&str; 10] = [
    "privileged",
    "network_mode",
    "pid",
    "ipc",
    "cap_add",
    "devices",
    "volumes",
    "security_opt",
    "logging",
    "networks",
];

/// Logging drivers that keep logs in the engine's own files (anything else sends them to the
/// host's journal or syslog, or over the network).
const LOCAL_LOG_DRIVERS: [&str; 3] = ["json-file", "local", "none"];

/// Network drivers that make a network of the engine's own (others reach host interfaces).
const OWN_NETWORK_DRIVERS: [&str; 2] = ["bridge", "overlay"];

/// `no-new-privileges` only takes privileges away; every other security option (apparmor,
/// seccomp, label, systempaths) can lift the engine's confinement.
fn narrows(option: &str) -> bool {
    let o = option.trim().to_ascii_lowercase();
    matches!(
        o.as_str(),
        "no-new-privileges" | "no-new-privileges:true" | "no-new-privileges=true"
    )
}

/// What a namespace setting (`network_mode`, `pid`, `ipc`) joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Join {
    /// The container's own (or the engine's default: `bridge`, `none`, `private`, …).
    Own,
    /// The host's.
    Host,
    /// Another container's, by name or id (`container:<name>`).
    Container(String),
    /// Another service's of the same stack (`service:<name>`).
    Service(String),
    /// A network by name (`network_mode: <network>`; network mode only).
    Network(String),
}

/// What the namespace setting `field` (`network_mode`, `pid`, `ipc`) set to `value` joins.
pub fn join_of(field: &str, value: &str) -> Join {
    let v = value.trim();
    if v == "host" {
        return Join::Host;
    }
    if let Some(c) = v.strip_prefix("container:") {
        return Join::Container(c.trim().to_owned());
    }
    if let Some(s) = v.strip_prefix("service:") {
        return Join::Service(s.trim().to_owned());
    }
    match (field, v) {
        ("network_mode", "" | "none" | "bridge" | "default") => Join::Own,
        ("network_mode", name) => Join::Network(name.to_owned()),
        _ => Join::Own,
    }
}

/// A Docker object that a project names and that must belong to the deploying workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub kind: ObjectKind,
    /// The engine's name (or id) of the object.
    pub name: String,
    /// Whether the object must exist already (`external`, `container:`); otherwise the
    /// deploy creates it when it is missing.
    pub existing: bool,
    /// The field that names it (`services.web.network_mode`, `volumes.data`).
    pub path: String,
    pub pos: crate::diag::Pos,
}

/// Kinds of Docker object a project can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Container,
    Volume,
    Network,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Container => "container",
            Self::Volume => "volume",
            Self::Network => "network",
        }
    }
}

/// Network names the engine makes itself: `bridge` and `none` are every container's
/// defaults, `host` is the host's network (governed by the policy, not by ownership).
const ENGINE_NETWORKS: [&str; 3] = ["bridge", "none", "host"];

/// Every Docker object `project` (deployed as stack `stack`) names outside itself, for the
/// caller to check against what exists; and the diagnostics for names that cannot be right
/// whatever exists (`service:` naming no service of the stack).
pub fn references(
    project: &crate::model::Project,
    stack: &str,
) -> (Vec<Reference>, Vec<crate::diag::Diagnostic>) {
    use crate::diag::{Diagnostic, join_key};
    let mut refs = Vec::new();
    let mut found = Vec::new();
    for (name, service) in &project.services {
        let at = join_key("services", name);
        for (field, value) in [
            ("network_mode", &service.network_mode),
            ("pid", &service.pid),
            ("ipc", &service.ipc),
        ] {
            let Some(value) = value else { continue };
            let path = format!("{at}.{field}");
            let pos = service.pos_of(field);
            match join_of(field, value) {
                Join::Container(c) => refs.push(Reference {
                    kind: ObjectKind::Container,
                    name: c,
                    existing: true,
                    path,
                    pos,
                }),
                Join::Network(n) if !ENGINE_NETWORKS.contains(&n.as_str()) => {
                    refs.push(Reference {
                        kind: ObjectKind::Network,
                        name: n,
                        existing: true,
                        path,
                        pos,
                    });
                }
                Join::Service(s) if !project.services.contains_key(&s) || s == *name => {
                    found.push(Diagnostic::error(
                        path,
                        pos,
                        format!("`service:{s}` must name another service of this stack"),
                    ));
                }
                _ => {}
            }
        }
    }
    for (key, def) in &project.volumes {
        refs.push(Reference {
            kind: ObjectKind::Volume,
            name: project.volume_name(stack, key),
            existing: def.external,
            path: join_key("volumes", key),
            pos: def.pos,
        });
    }
    for (key, def) in &project.networks {
        let name = project.network_name(stack, key);
        if def.external && ENGINE_NETWORKS.contains(&name.as_str()) {
            continue;
        }
        refs.push(Reference {
            kind: ObjectKind::Network,
            name,
            existing: def.external,
            path: join_key("networks", key),
            pos: def.pos,
        });
    }
    (refs, found)
}

/// Every violation of `policy` by the services of `project`, as diagnostics at the field that
/// asks for it (`services.web.volumes[2]`, line and column). Host access is an allow-list:
/// every field written in a service is looked up in [`crate::fields`], and a host field with
/// no rule that allows it is refused.
pub fn check_project(
    project: &crate::model::Project,
    policy: &SecurityPolicy,
) -> Vec<crate::diag::Diagnostic> {
    use crate::diag::{Diagnostic, join_index, join_key};
    use crate::fields::{Reach, classify};
    use crate::model::MountKind;
    let mut found = Vec::new();
    let refused_setting = |field: &str, what: &str| {
        format!(
            "`{field}` {what}, which is not allowed in this workspace (a platform admin can allow `{field}` in the security policy)"
        )
    };
    for (key, def) in &project.volumes {
        let at = join_key("volumes", key);
        if def
            .driver
            .as_deref()
            .is_some_and(|d| !d.trim().is_empty() && d.trim() != "local")
            && !policy.allows_host_setting("volumes.driver")
        {
            found.push(Diagnostic::error(
                format!("{at}.driver"),
                def.pos,
                refused_setting("volumes.driver", "uses a volume plugin on the host"),
            ));
        }
        if !def.driver_opts.is_empty()
            && volume_bind_device(def).is_none()
            && !is_tmpfs_volume(def)
            && !policy.allows_host_setting("volumes.driver_opts")
        {
            found.push(Diagnostic::error(
                format!("{at}.driver_opts"),
                def.pos,
                refused_setting(
                    "volumes.driver_opts",
                    "mounts a host device, folder or network share",
                ),
            ));
        }
    }
    for (key, def) in &project.networks {
        let at = join_key("networks", key);
        if !def.external
            && def
                .driver
                .as_deref()
                .is_some_and(|d| !OWN_NETWORK_DRIVERS.contains(&d.trim()))
            && !policy.allows_host_setting("networks.driver")
        {
            found.push(Diagnostic::error(
                format!("{at}.driver"),
                def.pos,
                refused_setting("networks.driver", "attaches to the host's interfaces"),
            ));
        }
        if !def.external
            && !def.driver_opts.is_empty()
            && !policy.allows_host_setting("networks.driver_opts")
        {
            found.push(Diagnostic::error(
                format!("{at}.driver_opts"),
                def.pos,
                refused_setting(
                    "networks.driver_opts",
                    "changes the host's network settings",
                ),
            ));
        }
    }
    for (name, service) in &project.services {
        let at = join_key("services", name);
        // Bind sources in order, with the field each came from, so a violation names its line.
        let mut binds: Vec<(String, String)> = Vec::new();
        for (i, mount) in service.volumes.iter().enumerate() {
            if let (MountKind::Bind, Some(source)) = (mount.kind, &mount.source) {
                binds.push((source.clone(), join_index("volumes", i)));
            }
        }
        for (section, mounts, defined) in [
            ("secrets", &service.secrets, &project.secrets),
            ("configs", &service.configs, &project.configs),
        ] {
            for (i, m) in mounts.iter().enumerate() {
                if let Some(file) = defined.get(&m.source).and_then(|d| d.file.clone()) {
                    binds.push((file, join_index(section, i)));
                }
            }
        }
        for (i, mount) in service.volumes.iter().enumerate() {
            let Some(def) = mount.source.as_ref().and_then(|s| project.volumes.get(s)) else {
                continue;
            };
            // `driver_opts: {type: none, o: bind, device: /path}` is a bind mount in disguise.
            if let Some(device) = volume_bind_device(def) {
                binds.push((device.to_owned(), join_index("volumes", i)));
            }
        }
        // An external network named `host` is the host's network.
        let host_network = service
            .networks
            .keys()
            .any(|k| project.network_name("", k) == "host");
        let network_mode = if host_network && service.network_mode.is_none() {
            Some("host".to_owned())
        } else {
            service.network_mode.clone()
        };
        let privileges = Privileges {
            privileged: service.privileged,
            network_mode,
            pid_mode: service.pid.clone(),
            ipc_mode: service.ipc.clone(),
            binds: binds.iter().map(|(b, _)| b.clone()).collect(),
            cap_add: service.cap_add.clone(),
            devices: service
                .devices
                .iter()
                .map(|d| d.split(':').next().unwrap_or(d).to_owned())
                .collect(),
        };
        for v in policy.check(&privileges) {
            let field = match (v.field.as_str(), v.index) {
                ("volumes", Some(i)) => binds.get(i).map(|(_, f)| f.clone()).unwrap_or_default(),
                ("network_mode", _) if host_network && service.network_mode.is_none() => {
                    "networks".to_owned()
                }
                ("network_mode", _) => "network_mode".to_owned(),
                ("pid_mode", _) => "pid".to_owned(),
                ("ipc_mode", _) => "ipc".to_owned(),
                (f, Some(i)) => join_index(f, i),
                (f, None) => f.to_owned(),
            };
            let path = format!("{at}.{field}");
            found.push(Diagnostic::error(path, service.pos_of(&field), v.message));
        }
        if !policy.allows_host_setting("security_opt") {
            for (i, option) in service.security_opt.iter().enumerate() {
                if !narrows(option) {
                    let field = join_index("security_opt", i);
                    found.push(Diagnostic::error(
                        format!("{at}.{field}"),
                        service.pos_of(&field),
                        refused_setting(
                            "security_opt",
                            &format!("({option}) lifts the engine's confinement of the container"),
                        ),
                    ));
                }
            }
        }
        if let Some(driver) = service.logging.as_ref().and_then(|l| l.driver.as_deref())
            && !LOCAL_LOG_DRIVERS.contains(&driver.trim())
            && !policy.allows_host_setting("logging")
        {
            found.push(Diagnostic::error(
                format!("{at}.logging.driver"),
                service.pos_of("logging.driver"),
                refused_setting(
                    "logging",
                    &format!("({driver}) sends the logs to the host or the network"),
                ),
            ));
        }
        // Everything else written in the service: the allow-list.
        let mut reported: Vec<&str> = Vec::new();
        for (field, pos) in &service.positions {
            let top = field.split(['.', '[']).next().unwrap_or(field);
            if top.starts_with("x-") || OWN_RULES.contains(&top) {
                continue;
            }
            let message = match classify(&format!("services.*.{field}")) {
                Some((_, Reach::Inert | Reach::Workspace | Reach::Parts)) => continue,
                Some((entry, Reach::Host)) => {
                    let setting = entry.strip_prefix("services.*.").unwrap_or(entry);
                    if policy.allows_host_setting(setting) || reported.contains(&setting) {
                        continue;
                    }
                    reported.push(setting);
                    refused_setting(setting, "reaches the host")
                }
                None => {
                    format!(
                        "`{field}` is not a field Orbitr knows what it reaches, so it is not allowed in this workspace"
                    )
                }
            };
            found.push(Diagnostic::error(format!("{at}.{field}"), *pos, message));
        }
    }
    found
}

/// The host folder a volume's `driver_opts` bind (`o: bind` or `rbind`) mounts, if it does.
fn volume_bind_device(def: &crate::model::VolumeDef) -> Option<&str> {
    let binds = def
        .driver_opts
        .get("o")
        .is_some_and(|o| o.split(',').any(|x| matches!(x.trim(), "bind" | "rbind")));
    let typ = def.driver_opts.get("type").map(|t| t.trim());
    let only_bind_keys = def
        .driver_opts
        .keys()
        .all(|k| matches!(k.as_str(), "type" | "o" | "device"));
    match (binds, typ, def.driver_opts.get("device")) {
        (true, None | Some("none"), Some(device)) if only_bind_keys => Some(device),
        _ => None,
    }
}

/// Whether a volume's `driver_opts` make a tmpfs (memory, nothing of the host's files).
fn is_tmpfs_volume(def: &crate::model::VolumeDef) -> bool {
    def.driver_opts.get("type").map(|t| t.trim()) == Some("tmpfs")
        && def
            .driver_opts
            .get("device")
            .is_none_or(|d| d.trim() == "tmpfs")
        && def
            .driver_opts
            .keys()
            .all(|k| matches!(k.as_str(), "type" | "o" | "device"))
        && def
            .driver_opts
            .get("o")
            .is_none_or(|o| !o.split(',').any(|x| matches!(x.trim(), "bind" | "rbind")))
}

/// Every bind source of `project` (service bind mounts, secret and config files, volumes that
/// bind a host folder), to be replaced by `f` (the engine resolves them through links first).
pub fn for_each_bind_source(project: &mut crate::model::Project, mut f: impl FnMut(&mut String)) {
    use crate::model::MountKind;
    for service in project.services.values_mut() {
        for mount in &mut service.volumes {
            if let (MountKind::Bind, Some(source)) = (mount.kind, &mut mount.source) {
                f(source);
            }
        }
    }
    for def in project
        .secrets
        .values_mut()
        .chain(project.configs.values_mut())
    {
        if let Some(file) = &mut def.file {
            f(file);
        }
    }
    for def in project.volumes.values_mut() {
        if volume_bind_device(def).is_some()
            && let Some(device) = def.driver_opts.get_mut("device")
        {
            f(device);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binds(paths: &[&str]) -> Privileges {
        Privileges {
            binds: paths.iter().map(|p| (*p).to_owned()).collect(),
            ..Privileges::default()
        }
    }

    fn messages(policy: &SecurityPolicy, p: &Privileges) -> Vec<String> {
        policy.check(p).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_default_policy_refuses_each_privilege_naming_the_field() {
        let p = Privileges {
            privileged: true,
            network_mode: Some("host".into()),
            pid_mode: Some("host".into()),
            ipc_mode: Some("host".into()),
            binds: vec!["/srv/data".into()],
            cap_add: vec!["NET_ADMIN".into()],
            devices: vec!["/dev/ttyUSB0".into()],
        };
        let found = messages(&SecurityPolicy::default(), &p);
        let fields: Vec<&str> = found
            .iter()
            .map(|m| m.split(':').next().unwrap_or_default())
            .collect();
        assert_eq!(
            fields,
            [
                "privileged",
                "network_mode",
                "pid_mode",
                "ipc_mode",
                "volumes[0]",
                "cap_add[0]",
                "devices[0]"
            ],
            "{found:#?}"
        );
        assert!(SecurityPolicy::unrestricted().check(&p).is_empty());
        // Ordinary containers pass the strictest policy.
        let plain = Privileges {
            network_mode: Some("bridge".into()),
            ..Privileges::default()
        };
        assert!(SecurityPolicy::default().check(&plain).is_empty());
    }

    #[test]
    fn bind_roots_match_whole_components_after_resolving_dots() {
        let policy = SecurityPolicy {
            allow_bind_mounts: true,
            bind_roots: vec!["/srv/apps/".into()],
            ..SecurityPolicy::default()
        };
        assert!(
            policy
                .check(&binds(&["/srv/apps", "/srv/apps/web/data"]))
                .is_empty()
        );
        let found = messages(
            &policy,
            &binds(&[
                "/srv/apps2",
                "/srv/apps/../../etc",
                "relative/path",
                "/srv//apps/./ok",
            ]),
        );
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(
            found[0].starts_with("volumes[0]: /srv/apps2 is outside"),
            "{}",
            found[0]
        );
        assert!(
            found[1].starts_with("volumes[1]: /etc is outside"),
            "{}",
            found[1]
        );
        assert!(found[2].contains("absolute host path"), "{}", found[2]);
    }

    #[test]
    fn the_docker_socket_is_refused_directly_and_through_its_folders() {
        let policy = SecurityPolicy {
            allow_bind_mounts: true,
            ..SecurityPolicy::default()
        };
        for path in [
            "/var/run/docker.sock",
            "/run/docker.sock",
            "/var/run",
            "/",
            "/run/../run",
        ] {
            let found = messages(&policy, &binds(&[path]));
            assert_eq!(found.len(), 1, "{path}: {found:?}");
            assert!(found[0].contains("Docker socket"), "{path}: {}", found[0]);
        }
        assert!(policy.check(&binds(&["/var/lib/app"])).is_empty());
        let socket_ok = SecurityPolicy {
            allow_docker_socket: true,
            ..SecurityPolicy::default()
        };
        // Allowing the socket is not allowing other bind mounts.
        assert!(
            socket_ok
                .check(&binds(&["/var/run/docker.sock"]))
                .is_empty()
        );
        assert_eq!(socket_ok.check(&binds(&["/srv"])).len(), 1);
    }

    #[test]
    fn capabilities_are_compared_by_name_and_all_only_when_listed() {
        let policy = SecurityPolicy {
            allowed_capabilities: vec!["cap_net_admin".into()],
            ..SecurityPolicy::default()
        };
        let p = |caps: &[&str]| Privileges {
            cap_add: caps.iter().map(|c| (*c).to_owned()).collect(),
            ..Privileges::default()
        };
        assert!(policy.check(&p(&["NET_ADMIN", "CAP_NET_ADMIN"])).is_empty());
        assert_eq!(
            messages(&policy, &p(&["SYS_ADMIN", "ALL"])),
            [
                "cap_add[0]: adding the capability SYS_ADMIN is not allowed in this workspace",
                "cap_add[1]: adding the capability ALL is not allowed in this workspace"
            ]
        );
        let everything = SecurityPolicy {
            allowed_capabilities: vec!["ALL".into()],
            ..SecurityPolicy::default()
        };
        assert!(everything.check(&p(&["SYS_ADMIN", "ALL"])).is_empty());
    }

    #[test]
    fn paths_normalize_lexically() {
        assert_eq!(
            normalize_host_path("/a/./b/../c//d/").as_deref(),
            Some("/a/c/d")
        );
        assert_eq!(normalize_host_path("/../..").as_deref(), Some("/"));
        assert_eq!(normalize_host_path("a/b"), None);
    }
}
