//! Every field a Compose file can set, classified once by what it can reach. This table is the
//! allow-list behind the workspace policy: a field that reaches the host is refused for
//! non-admins unless the policy allows it, a field that names another Docker object is allowed
//! only for objects of the same workspace, and only the rest is free. A test walks the Compose
//! specification's schema and fails for any field this table does not classify, so a field the
//! specification adds can never reach the engine unexamined.
//!
//! Paths are written as the schema nests them: `services.*.volumes[].bind`. A field not listed
//! takes the class of its nearest listed parent, unless that parent is [`Reach::Parts`].

/// What a field can reach beyond the container it configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Only the container itself (its command, environment, limits, ports, labels, …).
    Inert,
    /// Another Docker object by name (a container's namespaces, a volume, a network): allowed
    /// only when that object belongs to the same workspace (for `service:`, the same stack).
    Workspace,
    /// The host: its namespaces, folders, devices, kernel settings, the engine's runtime or
    /// drivers. Refused for non-admins unless the workspace policy allows it explicitly.
    Host,
    /// Classified field by field: see the entries under it.
    Parts,
}

use Reach::{Host, Inert, Parts, Workspace};

/// The classification: (path, class). Sorted by path within each section.
pub const FIELDS: &[(&str, Reach)] = &[
    ("version", Inert),
    ("name", Inert),
    // Included files are read from the stack's own folder only (the loader's reader).
    ("include", Inert),
    // Models run by a provider; Orbitr runs none (the loader warns).
    ("models", Inert),
    ("services", Parts),
    ("services.*", Parts),
    ("services.*.annotations", Inert),
    ("services.*.attach", Inert),
    ("services.*.blkio_config", Host),
    // Orbitr refuses services that only build; a build section with an image is ignored.
    ("services.*.build", Inert),
    ("services.*.build.entitlements", Host),
    ("services.*.build.privileged", Host),
    ("services.*.cap_add", Host),
    ("services.*.cap_drop", Inert),
    ("services.*.cgroup", Host),
    ("services.*.cgroup_parent", Host),
    ("services.*.command", Inert),
    // The stack's own configs; their sources are classified under `configs`.
    ("services.*.configs", Inert),
    ("services.*.container_name", Inert),
    ("services.*.cpu_count", Inert),
    ("services.*.cpu_percent", Inert),
    ("services.*.cpu_period", Inert),
    ("services.*.cpu_quota", Inert),
    ("services.*.cpu_rt_period", Host),
    ("services.*.cpu_rt_runtime", Host),
    ("services.*.cpu_shares", Inert),
    ("services.*.cpus", Inert),
    ("services.*.cpuset", Inert),
    ("services.*.credential_spec", Host),
    ("services.*.depends_on", Inert),
    ("services.*.deploy", Parts),
    ("services.*.deploy.endpoint_mode", Inert),
    ("services.*.deploy.labels", Inert),
    ("services.*.deploy.mode", Inert),
    ("services.*.deploy.placement", Inert),
    ("services.*.deploy.replicas", Inert),
    ("services.*.deploy.resources", Parts),
    ("services.*.deploy.resources.limits", Inert),
    ("services.*.deploy.resources.reservations", Parts),
    ("services.*.deploy.resources.reservations.cpus", Inert),
    ("services.*.deploy.resources.reservations.devices", Host),
    (
        "services.*.deploy.resources.reservations.generic_resources",
        Host,
    ),
    ("services.*.deploy.resources.reservations.memory", Inert),
    ("services.*.deploy.restart_policy", Inert),
    ("services.*.deploy.rollback_config", Inert),
    ("services.*.deploy.update_config", Inert),
    // File watching for `compose watch` (a developer's machine); Orbitr runs none of it.
    ("services.*.develop", Inert),
    ("services.*.develop.watch[].exec.privileged", Host),
    ("services.*.device_cgroup_rules", Host),
    ("services.*.devices", Host),
    ("services.*.dns", Inert),
    ("services.*.dns_opt", Inert),
    ("services.*.dns_search", Inert),
    ("services.*.domainname", Inert),
    ("services.*.entrypoint", Inert),
    // Read from the stack's own folder by the loader (never a path outside it).
    ("services.*.env_file", Inert),
    ("services.*.environment", Inert),
    ("services.*.expose", Inert),
    ("services.*.extends", Inert),
    ("services.*.external_links", Workspace),
    ("services.*.extra_hosts", Inert),
    ("services.*.gpus", Host),
    ("services.*.group_add", Inert),
    ("services.*.healthcheck", Inert),
    ("services.*.hostname", Inert),
    ("services.*.image", Inert),
    ("services.*.init", Inert),
    // `host` reaches the host; `container:`/`service:` another container.
    ("services.*.ipc", Host),
    ("services.*.isolation", Host),
    ("services.*.label_file", Inert),
    ("services.*.labels", Inert),
    ("services.*.links", Inert),
    // Drivers other than the engine's local files send logs to the host or the network.
    ("services.*.logging", Host),
    ("services.*.mac_address", Inert),
    ("services.*.mem_limit", Inert),
    ("services.*.mem_reservation", Inert),
    ("services.*.mem_swappiness", Inert),
    ("services.*.memswap_limit", Inert),
    ("services.*.models", Inert),
    // `host` reaches the host; `container:`, `service:` or a network name another object.
    ("services.*.network_mode", Host),
    ("services.*.networks", Parts),
    ("services.*.networks.*", Parts),
    ("services.*.networks.*.aliases", Inert),
    ("services.*.networks.*.driver_opts", Host),
    ("services.*.networks.*.gw_priority", Inert),
    ("services.*.networks.*.interface_name", Inert),
    ("services.*.networks.*.ipv4_address", Inert),
    ("services.*.networks.*.ipv6_address", Inert),
    ("services.*.networks.*.link_local_ips", Inert),
    ("services.*.networks.*.mac_address", Inert),
    ("services.*.networks.*.priority", Inert),
    ("services.*.oom_kill_disable", Host),
    ("services.*.oom_score_adj", Inert),
    ("services.*.pid", Host),
    ("services.*.pids_limit", Inert),
    ("services.*.platform", Inert),
    ("services.*.ports", Inert),
    // Lifecycle hooks: Orbitr runs none (the loader warns); a privileged one would be host.
    ("services.*.post_start", Inert),
    ("services.*.post_start[].privileged", Host),
    ("services.*.pre_start", Inert),
    ("services.*.pre_start[].privileged", Host),
    ("services.*.pre_stop", Inert),
    ("services.*.pre_stop[].privileged", Host),
    ("services.*.privileged", Host),
    ("services.*.profiles", Inert),
    ("services.*.provider", Inert),
    ("services.*.pull_policy", Inert),
    ("services.*.pull_refresh_after", Inert),
    ("services.*.read_only", Inert),
    ("services.*.restart", Inert),
    ("services.*.runtime", Host),
    ("services.*.scale", Inert),
    ("services.*.secrets", Inert),
    // `no-new-privileges` only narrows; every other option (apparmor, seccomp, label) is host.
    ("services.*.security_opt", Host),
    ("services.*.shm_size", Inert),
    ("services.*.stdin_open", Inert),
    ("services.*.stop_grace_period", Inert),
    ("services.*.stop_signal", Inert),
    ("services.*.storage_opt", Host),
    ("services.*.sysctls", Host),
    ("services.*.tmpfs", Inert),
    ("services.*.tty", Inert),
    ("services.*.ulimits", Inert),
    ("services.*.use_api_socket", Host),
    ("services.*.user", Inert),
    ("services.*.userns_mode", Host),
    ("services.*.uts", Host),
    ("services.*.volumes", Parts),
    ("services.*.volumes[]", Parts),
    // Bind options (propagation, recursion, SELinux relabelling, creating the host folder).
    ("services.*.volumes[].bind", Host),
    ("services.*.volumes[].consistency", Inert),
    ("services.*.volumes[].image", Inert),
    ("services.*.volumes[].read_only", Inert),
    // A host path (bind: host) or a volume (workspace), by `type`.
    ("services.*.volumes[].source", Workspace),
    ("services.*.volumes[].target", Inert),
    ("services.*.volumes[].tmpfs", Inert),
    ("services.*.volumes[].type", Inert),
    ("services.*.volumes[].volume", Inert),
    ("services.*.volumes_from", Workspace),
    ("services.*.working_dir", Inert),
    ("networks", Parts),
    ("networks.*", Parts),
    ("networks.*.attachable", Inert),
    ("networks.*.driver", Host),
    ("networks.*.driver_opts", Host),
    ("networks.*.enable_ipv4", Inert),
    ("networks.*.enable_ipv6", Inert),
    ("networks.*.external", Workspace),
    ("networks.*.internal", Inert),
    ("networks.*.ipam", Parts),
    ("networks.*.ipam.config", Inert),
    // An IPAM plugin and its options (the loader reads only the subnets).
    ("networks.*.ipam.driver", Host),
    ("networks.*.ipam.options", Host),
    ("networks.*.labels", Inert),
    ("networks.*.name", Workspace),
    ("volumes", Parts),
    ("volumes.*", Parts),
    ("volumes.*.driver", Host),
    ("volumes.*.driver_opts", Host),
    ("volumes.*.external", Workspace),
    ("volumes.*.labels", Inert),
    ("volumes.*.name", Workspace),
    ("secrets", Parts),
    ("secrets.*", Parts),
    ("secrets.*.driver", Host),
    ("secrets.*.driver_opts", Host),
    ("secrets.*.environment", Inert),
    ("secrets.*.external", Workspace),
    // A host file, mounted into the container: a bind mount.
    ("secrets.*.file", Host),
    ("secrets.*.labels", Inert),
    ("secrets.*.name", Workspace),
    ("secrets.*.template_driver", Host),
    ("configs", Parts),
    ("configs.*", Parts),
    ("configs.*.content", Inert),
    ("configs.*.environment", Inert),
    ("configs.*.external", Workspace),
    ("configs.*.file", Host),
    ("configs.*.labels", Inert),
    ("configs.*.name", Workspace),
    ("configs.*.template_driver", Host),
];

/// A path cut into its parts: `volumes[2].bind` → `volumes`, `[]`, `bind`; a bracketed key
/// (`labels["com.example"]`, as diagnostics write keys with dots) is one name.
fn segments(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut name = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => out.extend((!name.is_empty()).then(|| std::mem::take(&mut name))),
            '[' => {
                out.extend((!name.is_empty()).then(|| std::mem::take(&mut name)));
                if chars.peek() == Some(&'"') {
                    chars.next();
                    let mut key = String::new();
                    while let Some(k) = chars.next() {
                        match k {
                            '\\' => key.extend(chars.next()),
                            '"' => break,
                            other => key.push(other),
                        }
                    }
                    out.push(key);
                } else {
                    out.push("[]".to_owned());
                }
                for k in chars.by_ref() {
                    if k == ']' {
                        break;
                    }
                }
            }
            other => name.push(other),
        }
    }
    out.extend((!name.is_empty()).then_some(name));
    out
}

/// Whether a table path's parts match a written path's (`*` stands for any one name).
fn matches(pattern: &[String], path: &[String]) -> bool {
    pattern.len() == path.len()
        && pattern
            .iter()
            .zip(path)
            .all(|(p, s)| p == s || (p == "*" && s != "[]"))
}

/// The table entry that classifies the field at `path` (`services.web.volumes[0].bind`, or in
/// the table's own form): its own or its nearest listed parent's; `None` when it is not
/// classified, or only its parent is, as [`Reach::Parts`].
pub fn classify(path: &str) -> Option<(&'static str, Reach)> {
    let written = segments(path);
    for len in (1..=written.len()).rev() {
        let prefix = &written[..len];
        let found = FIELDS.iter().find(|(p, _)| matches(&segments(p), prefix));
        match found {
            Some((p, Parts)) if len == written.len() => return Some((p, Parts)),
            Some((_, Parts)) => return None,
            Some(entry) => return Some(*entry),
            None => {}
        }
    }
    None
}

/// The class of the field at `path`: see [`classify`].
pub fn reach_of(path: &str) -> Option<Reach> {
    classify(path).map(|(_, r)| r)
}

/// The class of a field written in a service, relative to it (`pid`, `deploy.resources`).
pub fn service_field_reach(field: &str) -> Option<Reach> {
    reach_of(&format!("services.*.{field}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_classify_their_children_unless_they_are_parts() {
        assert_eq!(reach_of("services.*.pid"), Some(Host));
        assert_eq!(reach_of("services.*.healthcheck.test"), Some(Inert));
        assert_eq!(
            reach_of("services.*.volumes[].bind.propagation"),
            Some(Host)
        );
        assert_eq!(reach_of("services.*.deploy.unknown"), None);
        assert_eq!(reach_of("services.*.volumes[]"), Some(Parts));
        assert_eq!(service_field_reach("volumes_from"), Some(Workspace));
        assert_eq!(service_field_reach("no_such_key"), None);
        // Written paths: names for `*`, positions for `[]`, dotted keys under a mapping.
        assert_eq!(service_field_reach("volumes[3].bind"), Some(Host));
        assert_eq!(
            service_field_reach("networks.front.driver_opts"),
            Some(Host)
        );
        assert_eq!(
            service_field_reach("networks.front.aliases[0]"),
            Some(Inert)
        );
        assert_eq!(
            service_field_reach("sysctls.net.core.somaxconn"),
            Some(Host)
        );
        assert_eq!(
            service_field_reach(r#"networks["my.net"].driver_opts["a.b"]"#),
            Some(Host)
        );
        assert_eq!(
            service_field_reach(r#"networks["my.net"].aliases[0]"#),
            Some(Inert)
        );
        assert_eq!(service_field_reach("post_start[1].privileged"), Some(Host));
        assert_eq!(service_field_reach("post_start[1].command"), Some(Inert));
        assert_eq!(reach_of("volumes.data.driver_opts.device"), Some(Host));
    }

    #[test]
    fn the_table_lists_each_path_once() {
        let mut seen = std::collections::BTreeSet::new();
        for (path, _) in FIELDS {
            assert!(seen.insert(*path), "{path} is listed twice");
        }
    }
}
