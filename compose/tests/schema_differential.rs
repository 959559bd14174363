//! Our `schema::validate` against the canonical Compose schema (compose-go's `compose-spec.json`,
//! run by the `jsonschema` crate): on every Compose file of the conformance corpora, and on
//! systematic mutations of files both accept. Accepting means no error (warnings are fine).
//!
//! The corpora live beside the workspace on the development machine; without them the tests say
//! so and pass.

mod common;

use std::fs;
use std::path::Path;

use common::{compose_files, corpora, relative};
use compose::schema;
use compose::yaml::{self, Key, Limits, Node, Tag, Value};
use jsonschema::Validator;
use serde_json::Value as Json;

/// Documents on which the `jsonschema` crate is known to be wrong, with the reason. None: every
/// disagreement found so far was ours, and fixed.
const EXCEPTIONS: &[(&str, &str)] = &[];

fn canonical_validator(corpora: &Path) -> Validator {
    let path = corpora.join("compose-go/schema/compose-spec.json");
    let text = fs::read_to_string(&path).expect("read compose-spec.json");
    let schema: Json = serde_json::from_str(&text).expect("compose-spec.json is JSON");
    // Formats are annotations only in 2020-12, and compose-go does not assert them either.
    jsonschema::draft202012::new(&schema).expect("compose-spec.json compiles")
}

/// The document as compose-go validates it: `!reset` values are removed before validation.
fn json_without_resets(node: &Node) -> Json {
    match &node.value {
        Value::Seq(items) => Json::Array(
            items
                .iter()
                .filter(|n| n.tag != Some(Tag::Reset))
                .map(json_without_resets)
                .collect(),
        ),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .filter(|(_, v)| v.tag != Some(Tag::Reset))
                .map(|(k, v)| (k.name.clone(), json_without_resets(v)))
                .collect(),
        ),
        _ => node.to_json(),
    }
}

/// Both verdicts on one document; `Some` with both explanations when they differ.
struct Verdict {
    canonical_ok: bool,
    disagreement: Option<String>,
}

fn compare(canonical: &Validator, node: &Node) -> Verdict {
    let json = json_without_resets(node);
    let canonical_ok = canonical.is_valid(&json);
    let ours: Vec<String> = schema::validate(node)
        .into_iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    let disagreement = (canonical_ok != ours.is_empty()).then(|| {
        let theirs: Vec<String> = canonical
            .iter_errors(&json)
            .take(5)
            .map(|e| format!("{} (at {:?})", e, e.instance_path().as_str()))
            .collect();
        format!(
            "canonical schema: {}\n    ours: {}",
            if canonical_ok {
                "valid".to_owned()
            } else {
                theirs.join("; ")
            },
            if ours.is_empty() {
                "valid".to_owned()
            } else {
                ours.join("; ")
            }
        )
    });
    Verdict {
        canonical_ok,
        disagreement,
    }
}

fn is_exception(name: &str) -> bool {
    EXCEPTIONS.iter().any(|(file, _)| *file == name)
}

#[test]
fn every_corpus_file_gets_the_canonical_verdict() {
    let Some(corpora) = corpora() else {
        return;
    };
    let canonical = canonical_validator(&corpora);
    let files = compose_files(&corpora);
    let (mut valid, mut invalid, mut not_documents) = (0, 0, 0);
    let mut disagreements = Vec::new();
    for file in &files {
        let name = relative(&corpora, file);
        let text = fs::read_to_string(file).expect("read corpus file");
        let Ok(node) = yaml::load(&text, &Limits::default()) else {
            not_documents += 1;
            continue;
        };
        let verdict = compare(&canonical, &node);
        if verdict.canonical_ok {
            valid += 1;
        } else {
            invalid += 1;
        }
        if let Some(why) = verdict.disagreement.filter(|_| !is_exception(&name)) {
            disagreements.push(format!("{name}\n    {why}"));
        }
    }
    println!(
        "schema differential: {} files, {valid} valid, {invalid} invalid, {} disagreements, {not_documents} not YAML documents",
        files.len(),
        disagreements.len()
    );
    assert!(files.len() > 100, "only {} corpus files found", files.len());
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Mutations

/// A document of our own using every key the specification defines, in every form.
const KITCHEN_SINK: &str = r#"
version: "3.8"
name: kitchen-sink
include:
  - other.yaml
  - path: [a.yaml, b.yaml]
    env_file: .env
    project_directory: sub
services:
  web:
    develop:
      watch:
        - path: ./src
          action: sync+exec
          target: /app
          ignore: [node_modules]
          include: "*.js"
          initial_sync: true
          exec:
            command: [npm, run, build]
            user: root
            privileged: false
            working_dir: /app
            environment: {A: "1"}
    deploy:
      mode: replicated
      endpoint_mode: vip
      replicas: 2
      labels: [a=b]
      rollback_config: {parallelism: 1, delay: 10s, failure_action: pause, monitor: 5s, max_failure_ratio: 0.1, order: stop-first}
      update_config: {parallelism: "2", delay: 10s, failure_action: rollback, monitor: 5s, max_failure_ratio: "0.2", order: start-first}
      resources:
        limits: {cpus: "0.5", memory: 512M, pids: 100}
        reservations:
          cpus: 0.25
          memory: 128M
          generic_resources:
            - discrete_resource_spec: {kind: gpu, value: 2}
          devices:
            - capabilities: [gpu]
              count: 1
              device_ids: ["0"]
              driver: nvidia
              options: {a: b}
      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 120s}
      placement:
        constraints: [node.role==manager]
        preferences:
          - spread: node.labels.zone
        max_replicas_per_node: 1
    annotations: {com.example.a: b}
    attach: false
    build:
      context: .
      dockerfile: Dockerfile
      dockerfile_inline: FROM alpine
      entitlements: [network.host]
      args: [A=1]
      ssh: [default]
      labels: {a: b}
      cache_from: [a]
      cache_to: [b]
      no_cache: true
      no_cache_filter: stage
      additional_contexts: {x: ./x}
      network: host
      provenance: true
      sbom: "true"
      pull: true
      target: prod
      shm_size: 64
      extra_hosts: {db: 10.0.0.1}
      isolation: default
      privileged: false
      secrets: [token]
      tags: ["app:1"]
      ulimits: {nofile: 1024}
      platforms: [linux/amd64]
    blkio_config:
      device_read_bps: [{path: /dev/sda, rate: 1048576}]
      device_read_iops: [{path: /dev/sda, rate: 100}]
      device_write_bps: [{path: /dev/sda, rate: 12mb}]
      device_write_iops: [{path: /dev/sda, rate: 100}]
      weight: 300
      weight_device: [{path: /dev/sda, weight: 400}]
    cap_add: [NET_ADMIN]
    cap_drop: [ALL]
    cgroup: host
    cgroup_parent: parent
    command: echo hello
    configs:
      - my_config
      - source: my_config
        target: /c
        uid: "1000"
        gid: "1000"
        mode: 0440
    container_name: web-1
    cpu_count: 2
    cpu_percent: 50
    cpu_shares: 512
    cpu_quota: 50000
    cpu_period: 100000
    cpu_rt_period: 1000
    cpu_rt_runtime: 950
    cpus: 1.5
    cpuset: 0-1
    credential_spec: {config: cs, file: f.json, registry: r}
    depends_on:
      db:
        condition: service_healthy
        restart: true
        required: false
    device_cgroup_rules: ["c 1:3 mr"]
    devices:
      - /dev/ttyUSB0:/dev/ttyUSB0
      - source: /dev/sda
        target: /dev/xvda
        permissions: rwm
    dns: 8.8.8.8
    dns_opt: [use-vc]
    dns_search: [example.com]
    domainname: example.com
    entrypoint: [/bin/sh, -c]
    env_file:
      - .env
      - path: ./other.env
        required: false
        format: raw
    label_file: ./labels
    environment: {A: 1, B: true, C: null, D: text}
    expose: ["3000", 3001]
    extends: {service: base, file: base.yaml}
    provider:
      type: model
      options: {model: ai/smollm2, flags: [a, 1, true]}
    external_links: ["redis:cache"]
    extra_hosts: ["somehost=162.242.195.82"]
    gpus: all
    group_add: [mail, 42]
    healthcheck:
      test: [CMD, curl, -f, http://localhost]
      interval: 30s
      timeout: 10s
      retries: 3
      start_period: 40s
      start_interval: 5s
      disable: false
    hostname: web
    image: nginx:alpine
    init: true
    ipc: shareable
    isolation: default
    labels: [com.example=1]
    links: ["db:database"]
    logging:
      driver: json-file
      options: {max-size: 10m, max-file: 3, tag: null}
    mac_address: "02:42:ac:11:65:43"
    mem_limit: 1g
    mem_reservation: 512m
    mem_swappiness: 60
    memswap_limit: 2g
    network_mode: bridge
    models:
      llm:
        endpoint_var: LLM_URL
        model_var: LLM_MODEL
      other:
    networks:
      front:
        aliases: [web]
        interface_name: eth0
        ipv4_address: 172.16.238.10
        ipv6_address: "2001:3984:3989::10"
        link_local_ips: [169.254.8.8]
        mac_address: "02:42:ac:11:65:44"
        driver_opts: {com.docker.network.bridge.name: br0, mtu: 1500}
        priority: 100
        gw_priority: 1
      back:
    oom_kill_disable: true
    oom_score_adj: -500
    pid: host
    pids_limit: 100
    platform: linux/amd64
    ports:
      - 80
      - "8080:80"
      - name: web
        mode: host
        host_ip: 127.0.0.1
        target: 443
        published: "8443"
        protocol: tcp
        app_protocol: https
    pre_start:
      - image: busybox
        command: [sh, -c, "echo init"]
        user: root
        privileged: false
        working_dir: /
        environment: [A=1]
        per_replica: true
    post_start:
      - command: echo started
        user: root
        privileged: true
        working_dir: /
        environment: {A: 1}
    pre_stop:
      - command: [echo, stopping]
    privileged: false
    profiles: [debug]
    pull_policy: missing
    pull_refresh_after: 1h
    read_only: true
    restart: unless-stopped
    runtime: runc
    scale: 1
    security_opt: ["no-new-privileges:true"]
    shm_size: 64m
    secrets:
      - token
      - source: token
        target: /run/secrets/t
        mode: 0400
    sysctls: {net.core.somaxconn: 1024}
    stdin_open: true
    stop_grace_period: 1m30s
    stop_signal: SIGTERM
    storage_opt: {size: 1G}
    tmpfs: [/tmp]
    tty: true
    ulimits:
      nproc: 65535
      nofile: {soft: 20000, hard: 40000}
    use_api_socket: false
    user: "1000:1000"
    uts: host
    userns_mode: host
    volumes:
      - ./data:/data:ro
      - type: bind
        source: ./src
        target: /src
        read_only: true
        consistency: cached
        bind: {propagation: rprivate, create_host_path: true, recursive: readonly, selinux: z}
      - type: volume
        source: data
        target: /vol
        volume: {labels: {a: b}, nocopy: true, subpath: sub}
      - type: tmpfs
        target: /cache
        tmpfs: {size: 1000, mode: 1777}
      - type: image
        source: alpine
        target: /img
        image: {subpath: etc}
    volumes_from: ["other:ro"]
    working_dir: /app
    x-custom: {anything: [1]}
  db:
    image: postgres
    depends_on: [cache]
    networks: [back]
    models: [llm]
    gpus:
      - driver: nvidia
        count: 1
        capabilities: [gpu]
        device_ids: ["0"]
        options: {a: b}
    extends: base
    build: ./db
    command: null
    env_file: .env
    label_file: [a, b]
    healthcheck: {test: "pg_isready", disable: "false"}
    ulimits: {nofile: "1024"}
    extra_hosts: {db2: [10.0.0.2, 10.0.0.3]}
    logging: {driver: none}
    cpu_count: "${CPUS}"
    tmpfs: /run
    dns: [1.1.1.1]
  cache:
    image: redis
    develop:
    deploy:
    entrypoint: ["redis-server"]
models:
  llm:
    model: ai/smollm2
    name: small
    context_size: 4096
    runtime_flags: [--verbose]
networks:
  front:
    name: front-net
    driver: bridge
    driver_opts: {a: b, mtu: 1500}
    ipam:
      driver: default
      config:
        - subnet: 172.16.238.0/24
          ip_range: 172.16.238.0/25
          gateway: 172.16.238.1
          aux_addresses: {host1: 172.16.238.5}
      options: {foo: bar}
    internal: false
    enable_ipv4: true
    enable_ipv6: true
    attachable: true
    labels: [a=b]
  back:
  outside:
    external: true
  legacy:
    external: {name: legacy-net}
volumes:
  data:
    driver: local
    driver_opts: {type: none, o: bind, device: /srv}
    labels: {a: b}
    name: my-data
  ext:
    external: true
  empty:
secrets:
  token:
    file: ./token.txt
  env_secret:
    environment: TOKEN
    name: env-secret
    labels: {a: b}
    driver: d
    driver_opts: {a: 1}
    template_driver: golang
  ext_secret:
    external: {name: s, other: stuff}
configs:
  my_config:
    file: ./c.txt
    name: cfg
    labels: [a=b]
    template_driver: golang
  inline:
    content: hello
  env:
    environment: CFG
  ext:
    external: {name: c}
x-top: 1
"#;

/// Replacement values tried at every place of a document: each JSON type, integers on both sides
/// of the specification's bounds, a float with and without fraction, strings that are and are not
/// enum values or pull policies, lists that are and are not unique.
const PROBES: [&str; 29] = [
    "null",
    "true",
    "7",
    "-3",
    "101",
    "-1001",
    "1001",
    "2.0",
    "1.5",
    "''",
    "bogus-value",
    "'${VAR}'",
    "all",
    "every_2h",
    "every_12",
    "neverland",
    "'-a'",
    "ab",
    "[]",
    "[a]",
    "[a, a]",
    "[1, 1.0]",
    "[{k: v}]",
    "{}",
    "{k: v}",
    "{x-k: 1}",
    "{soft: 1, hard: 2}",
    "{type: bind, target: /t}",
    "{condition: service_started}",
];

/// Keys added to every mapping: unknown, an extension, not a valid name, not lowercase, empty,
/// on two lines (`^.+$` refuses it, `.+` accepts it).
const EXTRA_KEYS: [&str; 6] = ["bogus_key", "x-probe", "bad name!", "UPPER", "", "a\nb"];

/// Values given to the added keys: one most places accept, one almost none does.
const EXTRA_VALUES: [&str; 2] = ["v", "[[1]]"];

#[derive(Clone, Copy)]
enum Step {
    Entry(usize),
    Item(usize),
}

/// Every node of the document, as the steps leading to it and a readable path.
fn places(node: &Node, steps: &mut Vec<Step>, path: &str, out: &mut Vec<(Vec<Step>, String)>) {
    out.push((steps.clone(), path.to_owned()));
    match &node.value {
        Value::Map(entries) => {
            for (i, (key, value)) in entries.iter().enumerate() {
                steps.push(Step::Entry(i));
                places(value, steps, &format!("{path}.{}", key.name), out);
                steps.pop();
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                steps.push(Step::Item(i));
                places(item, steps, &format!("{path}[{i}]"), out);
                steps.pop();
            }
        }
        _ => {}
    }
}

fn node_at<'a>(node: &'a Node, steps: &[Step]) -> &'a Node {
    steps
        .iter()
        .fold(node, |node, step| match (step, &node.value) {
            (Step::Entry(i), Value::Map(entries)) => &entries[*i].1,
            (Step::Item(i), Value::Seq(items)) => &items[*i],
            _ => panic!("the steps were taken from this document"),
        })
}

fn at<'a>(node: &'a mut Node, steps: &[Step]) -> &'a mut Node {
    steps
        .iter()
        .fold(node, |node, step| match (step, &mut node.value) {
            (Step::Entry(i), Value::Map(entries)) => &mut entries[*i].1,
            (Step::Item(i), Value::Seq(items)) => &mut items[*i],
            _ => panic!("the steps were taken from this document"),
        })
}

/// Every mutation of `doc`, named: each place replaced by each probe, each mapping given each
/// extra key and stripped of each key in turn, each list given a copy of its first item.
fn mutations(doc: &Node) -> Vec<(String, Node)> {
    let probes: Vec<Node> = PROBES
        .iter()
        .map(|p| yaml::load(p, &Limits::default()).expect("probe is YAML"))
        .collect();
    let extra_values: Vec<Node> = EXTRA_VALUES
        .iter()
        .map(|v| yaml::load(v, &Limits::default()).expect("extra value is YAML"))
        .collect();
    let mut all = Vec::new();
    places(doc, &mut Vec::new(), "", &mut all);
    let mut out = Vec::new();
    for (steps, path) in &all {
        // Replacing the document itself tells nothing the corpus does not.
        if !steps.is_empty() {
            for (text, probe) in PROBES.iter().zip(&probes) {
                let mut changed = doc.clone();
                let target = at(&mut changed, steps);
                *target = Node::new(probe.value.clone(), target.pos);
                out.push((format!("{path} := {text}"), changed));
            }
        }
        match &node_at(doc, steps).value {
            Value::Map(entries) => {
                for (key, (text, value)) in EXTRA_KEYS
                    .iter()
                    .flat_map(|k| EXTRA_VALUES.iter().zip(&extra_values).map(move |v| (k, v)))
                {
                    let mut changed = doc.clone();
                    let target = at(&mut changed, steps);
                    let pos = target.pos;
                    if let Value::Map(entries) = &mut target.value
                        && entries.iter().all(|(k, _)| k.name != *key)
                    {
                        let name = (*key).to_owned();
                        entries.push((Key { name, pos }, value.clone()));
                        out.push((format!("{path} + {key:?}: {text}"), changed));
                    }
                }
                for i in 0..entries.len() {
                    let mut changed = doc.clone();
                    if let Value::Map(entries) = &mut at(&mut changed, steps).value {
                        let (key, _) = entries.remove(i);
                        out.push((format!("{path} - {:?}", key.name), changed));
                    }
                }
            }
            Value::Seq(items) if !items.is_empty() => {
                let mut changed = doc.clone();
                if let Value::Seq(items) = &mut at(&mut changed, steps).value {
                    items.push(items[0].clone());
                    out.push((format!("{path} + copy of [0]"), changed));
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn mutated_documents_get_the_canonical_verdict() {
    let Some(corpora) = corpora() else {
        return;
    };
    let canonical = canonical_validator(&corpora);
    let mut seeds = vec![("kitchen sink".to_owned(), KITCHEN_SINK.to_owned())];
    for file in [
        "compose-go-history/9dee8f4f1a356a87744cebc7a25ac15f971c84a5/loader/full-example.yml",
        "compose-go/schema/using-variables.yaml",
    ] {
        let text = fs::read_to_string(corpora.join(file)).expect("read seed file");
        seeds.push((file.to_owned(), text));
    }
    let (mut cases, mut valid, mut invalid) = (0, 0, 0);
    let mut disagreements = Vec::new();
    for (name, text) in &seeds {
        let doc = yaml::load(text, &Limits::default()).expect("seed is YAML");
        let verdict = compare(&canonical, &doc);
        assert!(
            verdict.canonical_ok && verdict.disagreement.is_none(),
            "seed {name} must be valid for both: {:?}",
            verdict.disagreement
        );
        for (what, mutated) in mutations(&doc) {
            cases += 1;
            let verdict = compare(&canonical, &mutated);
            if verdict.canonical_ok {
                valid += 1;
            } else {
                invalid += 1;
            }
            if let Some(why) = verdict.disagreement {
                disagreements.push(format!("{name}: {what}\n    {why}"));
            }
        }
    }
    println!(
        "schema differential (mutations): {cases} cases from {} seeds, {valid} valid, {invalid} invalid, {} disagreements",
        seeds.len(),
        disagreements.len()
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(200)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
