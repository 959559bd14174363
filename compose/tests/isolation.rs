//! The workspace policy as an allow-list: every field that reaches the host is refused for
//! non-admins naming its line, whatever else the service says; the same files pass for admins;
//! names of other Docker objects come out as references for the engine to check.

use compose::load::{Options, load};
use compose::model::Project;
use compose::policy::{ObjectKind, SecurityPolicy, check_project, references};

fn project(text: &str) -> Project {
    let loaded = load("compose.yaml", text, &Options::default());
    assert!(!loaded.has_errors(), "{text}\n{:#?}", loaded.diagnostics);
    loaded.project.expect("a project")
}

/// `path line: message` of each refusal.
fn refusals(text: &str, policy: &SecurityPolicy) -> Vec<String> {
    check_project(&project(text), policy)
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{} {}: {}", d.path, d.line, d.message))
        .collect()
}

/// Host-touching service fields, each as YAML lines under a service and the path refused.
const HOST_FIELDS: &[(&str, &str)] = &[
    ("privileged: true", "privileged"),
    ("network_mode: host", "network_mode"),
    ("pid: host", "pid"),
    ("ipc: host", "ipc"),
    ("cap_add: [SYS_ADMIN]", "cap_add[0]"),
    ("devices: [/dev/kmsg]", "devices[0]"),
    ("volumes: [/etc:/host-etc]", "volumes[0]"),
    ("volumes: [/var/run/docker.sock:/s]", "volumes[0]"),
    ("security_opt: [apparmor=unconfined]", "security_opt[0]"),
    ("security_opt: [seccomp=unconfined]", "security_opt[0]"),
    ("security_opt: [\"label:disable\"]", "security_opt[0]"),
    ("cgroup_parent: /system.slice", "cgroup_parent"),
    ("userns_mode: host", "userns_mode"),
    ("runtime: runc-unsafe", "runtime"),
    ("sysctls: {kernel.shmmax: 1}", "sysctls"),
    ("uts: host", "uts"),
    ("cgroup: host", "cgroup"),
    ("storage_opt: {size: 1G}", "storage_opt"),
    ("device_cgroup_rules: ['c 1:3 mr']", "device_cgroup_rules"),
    ("oom_kill_disable: true", "oom_kill_disable"),
    ("logging: {driver: journald}", "logging.driver"),
    ("use_api_socket: true", "use_api_socket"),
    ("isolation: process", "isolation"),
    ("gpus: all", "gpus"),
];

/// Inert service fields, mixed in to show they change nothing.
const INERT_FIELDS: &[&str] = &[
    "command: [sh, -c, 'echo hi']",
    "environment: {A: b}",
    "ports: ['8080:80']",
    "restart: unless-stopped",
    "labels: {com.example.tier: web}",
    "healthcheck: {test: [CMD, 'true'], interval: 5s}",
    "mem_limit: 64m",
    "cap_drop: [ALL]",
    "security_opt: [no-new-privileges:true]",
    "logging: {driver: json-file, options: {max-size: 10m}}",
    "read_only: true",
    "user: '1000'",
    "tmpfs: [/tmp]",
    "ulimits: {nofile: 1024}",
];

/// A small deterministic generator (no test depends on the machine's randomness).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        #[allow(clippy::cast_possible_truncation)]
        let v = (self.0 >> 33) as usize;
        v % n
    }
}

#[test]
fn each_host_field_is_refused_alone_naming_its_line() {
    for (yaml, field) in HOST_FIELDS {
        let text = format!("services:\n  app:\n    image: x\n    {yaml}\n");
        let found = refusals(&text, &SecurityPolicy::default());
        assert_eq!(found.len(), 1, "{yaml}: {found:#?}");
        assert!(
            found[0].starts_with(&format!("services.app.{field} 4: ")),
            "{yaml}: {found:#?}"
        );
        assert!(
            check_project(&project(&text), &SecurityPolicy::unrestricted()).is_empty(),
            "{yaml} is allowed for admins"
        );
    }
}

#[test]
fn random_services_with_host_fields_are_refused_and_admins_accept_them() {
    let mut rng = Lcg(0x0bb1_7a11);
    for case in 0..400 {
        let mut lines: Vec<&str> = Vec::new();
        let mut expected: Vec<&str> = Vec::new();
        let mut used_keys: Vec<&str> = Vec::new();
        for _ in 0..1 + rng.below(4) {
            let (yaml, field) = HOST_FIELDS[rng.below(HOST_FIELDS.len())];
            let key = yaml.split(':').next().unwrap_or(yaml);
            if !used_keys.contains(&key) {
                used_keys.push(key);
                lines.push(yaml);
                expected.push(field);
            }
        }
        for _ in 0..rng.below(4) {
            let yaml = INERT_FIELDS[rng.below(INERT_FIELDS.len())];
            let key = yaml.split(':').next().unwrap_or(yaml);
            if !used_keys.contains(&key) {
                used_keys.push(key);
                lines.push(yaml);
            }
        }
        // Shuffle the order the fields are written in.
        for i in (1..lines.len()).rev() {
            let j = rng.below(i + 1);
            lines.swap(i, j);
        }
        let body: String = lines.iter().map(|l| format!("    {l}\n")).collect();
        let text = format!("services:\n  app:\n    image: x\n{body}");
        let found = refusals(&text, &SecurityPolicy::default());
        for field in &expected {
            assert!(
                found
                    .iter()
                    .any(|f| f.starts_with(&format!("services.app.{field} "))),
                "case {case}: {field} not refused in\n{text}\n{found:#?}"
            );
        }
        // The network mode `host` refusal also covers the default network's absence; nothing
        // inert is ever refused.
        assert_eq!(
            found.len(),
            expected.len(),
            "case {case}:\n{text}\n{found:#?}"
        );
        assert!(
            check_project(&project(&text), &SecurityPolicy::unrestricted()).is_empty(),
            "case {case}: admins may\n{text}"
        );
    }
}

#[test]
fn volume_and_network_drivers_and_their_options_are_host_access() {
    let text = "services:
  app:
    image: x
    volumes: [rb:/a, nfs:/b, mem:/c]
    networks: [mac, plain]
volumes:
  rb:
    driver_opts: {type: none, o: rbind, device: /}
  nfs:
    driver_opts: {type: nfs, o: 'addr=10.0.0.1', device: ':/export'}
  mem:
    driver_opts: {type: tmpfs, device: tmpfs, o: size=10m}
  plugin:
    driver: rexray/ebs
networks:
  mac:
    driver: macvlan
    driver_opts: {parent: eth0}
  plain: {}
";
    let found = refusals(text, &SecurityPolicy::default());
    let paths: Vec<&str> = found
        .iter()
        .map(|f| f.split(' ').next().unwrap_or(f))
        .collect();
    assert_eq!(
        paths,
        [
            "volumes.nfs.driver_opts",
            "volumes.plugin.driver",
            "networks.mac.driver",
            "networks.mac.driver_opts",
            "services.app.volumes[0]",
        ],
        "{found:#?}"
    );
    assert!(found[4].contains("Docker socket"), "{found:#?}");
    let allowed = SecurityPolicy {
        allowed_host_settings: vec![
            "volumes.driver_opts".into(),
            "volumes.driver".into(),
            "networks.driver".into(),
            "networks.driver_opts".into(),
        ],
        ..SecurityPolicy::default()
    };
    // The rbind is still a bind mount of the host's root.
    assert_eq!(refusals(text, &allowed).len(), 1);
}

#[test]
fn an_external_network_named_host_is_the_hosts_network() {
    let text = "services:\n  app:\n    image: x\n    networks: [h]\nnetworks:\n  h:\n    external: true\n    name: host\n";
    let found = refusals(text, &SecurityPolicy::default());
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].starts_with("services.app.networks "), "{found:#?}");
    assert!(found[0].contains("the host's network"), "{found:#?}");
    let allowed = SecurityPolicy {
        allow_host_network: true,
        ..SecurityPolicy::default()
    };
    assert!(refusals(text, &allowed).is_empty());
}

#[test]
fn other_objects_named_by_a_project_become_references() {
    let text = "services:
  app:
    image: x
    network_mode: container:their-app
    pid: container:their-app
  side:
    image: x
    network_mode: service:app
    ipc: service:nope
  joined:
    image: x
    network_mode: their-network
  vols:
    image: x
    volumes: [ext:/a, named:/b, plain:/c]
    networks: [outer]
volumes:
  ext: {external: true, name: their-volume}
  named: {name: their-other-volume}
  plain: {}
networks:
  outer: {external: true, name: their-net}
";
    let (refs, wrong) = references(&project(text), "mystack");
    let listed: Vec<String> = refs
        .iter()
        .map(|r| format!("{} {} {} {}", r.kind.as_str(), r.name, r.existing, r.path))
        .collect();
    assert_eq!(
        listed,
        [
            "container their-app true services.app.network_mode",
            "container their-app true services.app.pid",
            "network their-network true services.joined.network_mode",
            "volume their-volume true volumes.ext",
            "volume their-other-volume false volumes.named",
            "volume mystack_plain false volumes.plain",
            "network their-net true networks.outer",
        ]
    );
    assert_eq!(wrong.len(), 1, "{wrong:#?}");
    assert_eq!(wrong[0].path, "services.side.ipc");
    assert!(
        refs.iter()
            .all(|r| r.kind != ObjectKind::Container || r.existing)
    );
}
