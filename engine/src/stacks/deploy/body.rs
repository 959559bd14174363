//! What a Compose service becomes on the engine: the create request of one replica, and the
//! networks it joins after it is created.

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, DeviceMapping, EndpointSettings, HealthConfig, HostConfig,
    HostConfigLogConfig, Mount as EngineMount, MountType, NetworkingConfig, PortBinding,
    ResourcesUlimits,
};
use compose::model::{MountKind, Service};

use super::{CONFIG_FILES_LABEL, DeployContext, VERSION_LABEL, WORKING_DIR_LABEL};
use crate::docker::containers::{parse_restart, publish};
use crate::model::resources::{
    CONFIG_HASH_LABEL, NUMBER_LABEL, ONEOFF_LABEL, PROJECT_LABEL, SERVICE_LABEL, STACK_LABEL,
    WORKSPACE_LABEL,
};

/// The engine request for replica `number` of `service`, and the networks to connect after
/// creating it (the engine attaches one network at create time).
pub fn container_body(
    ctx: &DeployContext,
    service: &Service,
    number: u32,
) -> (ContainerCreateBody, Vec<(String, EndpointSettings)>) {
    let project = &ctx.project;
    let name = &ctx.project_name;
    let mut labels: HashMap<String, String> = service.labels.clone().into_iter().collect();
    labels.insert(PROJECT_LABEL.into(), name.clone());
    labels.insert(SERVICE_LABEL.into(), service.name.clone());
    labels.insert(NUMBER_LABEL.into(), number.to_string());
    labels.insert(ONEOFF_LABEL.into(), "False".into());
    labels.insert(CONFIG_HASH_LABEL.into(), service.config_hash());
    labels.insert(WORKING_DIR_LABEL.into(), ctx.working_dir.clone());
    labels.insert(
        CONFIG_FILES_LABEL.into(),
        format!("{}/compose.yaml", ctx.working_dir),
    );
    labels.insert(VERSION_LABEL.into(), "orbitr".into());
    labels.insert(WORKSPACE_LABEL.into(), ctx.workspace.clone());
    labels.insert(STACK_LABEL.into(), name.clone());

    let env: Vec<String> = service
        .environment
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
    let mut exposed: Vec<String> = service
        .expose
        .iter()
        .map(|e| {
            if e.contains('/') {
                e.clone()
            } else {
                format!("{e}/tcp")
            }
        })
        .collect();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for port in &service.ports {
        publish(
            &mut exposed,
            &mut bindings,
            format!("{}/{}", port.target, port.protocol),
            PortBinding {
                host_ip: port.host_ip.clone(),
                host_port: port.published.clone(),
            },
        );
    }
    let mut mounts: Vec<EngineMount> = service
        .volumes
        .iter()
        .map(|m| EngineMount {
            target: Some(m.target.clone()),
            source: match (m.kind, &m.source) {
                (MountKind::Volume, Some(s)) => Some(project.volume_name(name, s)),
                (_, s) => s.clone(),
            },
            typ: Some(match m.kind {
                MountKind::Bind => MountType::BIND,
                MountKind::Volume => MountType::VOLUME,
                MountKind::Tmpfs => MountType::TMPFS,
            }),
            read_only: Some(m.read_only),
            ..Default::default()
        })
        .collect();
    for (mounts_of, defined) in [
        (&service.secrets, &project.secrets),
        (&service.configs, &project.configs),
    ] {
        for m in mounts_of {
            if let Some(file) = defined.get(&m.source).and_then(|d| d.file.clone()) {
                mounts.push(EngineMount {
                    target: Some(m.target.clone()),
                    source: Some(file),
                    typ: Some(MountType::BIND),
                    read_only: Some(true),
                    ..Default::default()
                });
            }
        }
    }
    let tmpfs: HashMap<String, String> = service
        .tmpfs
        .iter()
        .map(|t| match t.split_once(':') {
            Some((path, opts)) => (path.to_owned(), opts.to_owned()),
            None => (t.clone(), String::new()),
        })
        .collect();
    let devices: Vec<DeviceMapping> = service
        .devices
        .iter()
        .map(|d| {
            let parts: Vec<&str> = d.split(':').collect();
            DeviceMapping {
                path_on_host: Some(parts[0].to_owned()),
                path_in_container: Some(parts.get(1).unwrap_or(&parts[0]).to_string()),
                cgroup_permissions: Some(parts.get(2).unwrap_or(&"rwm").to_string()),
            }
        })
        .collect();
    let healthcheck = service.healthcheck.as_ref().map(|h| HealthConfig {
        test: (!h.test.is_empty()).then(|| h.test.clone()),
        interval: h.interval_ns,
        timeout: h.timeout_ns,
        retries: h.retries,
        start_period: h.start_period_ns,
        start_interval: h.start_interval_ns,
    });

    // Networks: the first at create time, the others connected before the start.
    let mut endpoints: Vec<(String, EndpointSettings)> = service
        .networks
        .iter()
        .map(|(key, attachment)| {
            let mut aliases = vec![service.name.clone()];
            aliases.extend(attachment.aliases.iter().cloned());
            let settings = EndpointSettings {
                aliases: Some(aliases),
                ipam_config: (attachment.ipv4_address.is_some()
                    || attachment.ipv6_address.is_some())
                .then(|| bollard::models::EndpointIpamConfig {
                    ipv4_address: attachment.ipv4_address.clone(),
                    ipv6_address: attachment.ipv6_address.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            };
            (project.network_name(name, key), settings)
        })
        .collect();
    let network_mode = match &service.network_mode {
        Some(mode) => Some(
            mode.strip_prefix("service:")
                .map_or_else(|| mode.clone(), |svc| format!("container:{name}-{svc}-1")),
        ),
        None => endpoints.first().map(|(n, _)| n.clone()),
    };
    let first = if service.network_mode.is_none() && !endpoints.is_empty() {
        Some(endpoints.remove(0))
    } else {
        None
    };
    let restart_policy = service
        .restart
        .as_deref()
        .and_then(|r| parse_restart(r).ok());
    #[allow(clippy::cast_possible_truncation)]
    let nano_cpus = service.cpus.map(|c| (c * 1e9) as i64);
    let body = ContainerCreateBody {
        image: service.image.clone(),
        cmd: service.command.clone(),
        entrypoint: service.entrypoint.clone(),
        env: Some(env),
        labels: Some(labels),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        hostname: service.hostname.clone(),
        domainname: service.domainname.clone(),
        user: service.user.clone(),
        working_dir: service.working_dir.clone(),
        tty: Some(service.tty),
        open_stdin: Some(service.stdin_open),
        stop_signal: service.stop_signal.clone(),
        stop_timeout: service.stop_grace_period_ns.map(|ns| ns / 1_000_000_000),
        healthcheck,
        host_config: Some(HostConfig {
            mounts: (!mounts.is_empty()).then_some(mounts),
            port_bindings: (!bindings.is_empty()).then_some(bindings),
            network_mode,
            restart_policy,
            nano_cpus,
            memory: service.mem_limit,
            memory_swap: service.memswap_limit,
            memory_reservation: service.mem_reservation,
            cpu_shares: service.cpu_shares,
            pids_limit: service.pids_limit,
            privileged: Some(service.privileged),
            cap_add: (!service.cap_add.is_empty()).then(|| service.cap_add.clone()),
            cap_drop: (!service.cap_drop.is_empty()).then(|| service.cap_drop.clone()),
            devices: (!devices.is_empty()).then_some(devices),
            dns: (!service.dns.is_empty()).then(|| service.dns.clone()),
            dns_search: (!service.dns_search.is_empty()).then(|| service.dns_search.clone()),
            dns_options: (!service.dns_opt.is_empty()).then(|| service.dns_opt.clone()),
            extra_hosts: (!service.extra_hosts.is_empty()).then(|| service.extra_hosts.clone()),
            security_opt: (!service.security_opt.is_empty()).then(|| service.security_opt.clone()),
            group_add: (!service.group_add.is_empty()).then(|| service.group_add.clone()),
            pid_mode: service.pid.clone(),
            ipc_mode: service.ipc.clone(),
            userns_mode: service.userns_mode.clone(),
            cgroup_parent: service.cgroup_parent.clone(),
            runtime: service.runtime.clone(),
            shm_size: service.shm_size,
            readonly_rootfs: Some(service.read_only),
            init: service.init,
            oom_score_adj: service.oom_score_adj,
            tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
            ulimits: (!service.ulimits.is_empty()).then(|| {
                service
                    .ulimits
                    .iter()
                    .map(|(name, (soft, hard))| ResourcesUlimits {
                        name: Some(name.clone()),
                        soft: Some(*soft),
                        hard: Some(*hard),
                    })
                    .collect()
            }),
            sysctls: (!service.sysctls.is_empty())
                .then(|| service.sysctls.clone().into_iter().collect()),
            log_config: service.logging.as_ref().map(|l| HostConfigLogConfig {
                typ: l.driver.clone(),
                config: Some(l.options.clone().into_iter().collect()),
            }),
            ..Default::default()
        }),
        networking_config: first.map(|(n, settings)| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(n, settings)])),
        }),
        ..Default::default()
    };
    (body, endpoints)
}
