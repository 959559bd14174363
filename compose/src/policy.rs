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
        }
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

/// Every violation of `policy` by the services of `project`, as diagnostics at the field that
/// asks for it (`services.web.volumes[2]`, line and column).
pub fn check_project(
    project: &crate::model::Project,
    policy: &SecurityPolicy,
) -> Vec<crate::diag::Diagnostic> {
    use crate::diag::{Diagnostic, join_index, join_key};
    use crate::model::MountKind;
    let mut found = Vec::new();
    for (name, service) in &project.services {
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
            let is_bind = def
                .driver_opts
                .get("o")
                .is_some_and(|o| o.split(',').any(|x| x == "bind"));
            if let (true, Some(device)) = (is_bind, def.driver_opts.get("device")) {
                binds.push((device.clone(), join_index("volumes", i)));
            }
        }
        let privileges = Privileges {
            privileged: service.privileged,
            network_mode: service.network_mode.clone(),
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
                ("network_mode", _) => "network_mode".to_owned(),
                ("pid_mode", _) => "pid".to_owned(),
                ("ipc_mode", _) => "ipc".to_owned(),
                (f, Some(i)) => join_index(f, i),
                (f, None) => f.to_owned(),
            };
            let path = format!("{}.{field}", join_key("services", name));
            found.push(Diagnostic::error(path, service.pos_of(&field), v.message));
        }
    }
    found
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
