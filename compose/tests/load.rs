//! The loader end to end: interpolation, extends, include, profiles, normalization, and the
//! semantic checks, each asserting on the diagnostic's path and position.

use std::collections::BTreeMap;

use compose::diag::{Diagnostic, Severity};
use compose::load::{Loaded, Options, load};
use compose::model::{Condition, MountKind, Project};

fn with_env(pairs: &[(&str, &str)]) -> Options<'static> {
    Options {
        env: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..Options::default()
    }
}

fn ok(text: &str, options: &Options) -> Project {
    let loaded = load("compose.yaml", text, options);
    assert!(!loaded.has_errors(), "{:#?}", loaded.diagnostics);
    loaded.project.expect("project")
}

fn errors(loaded: &Loaded) -> Vec<String> {
    loaded.errors().map(Diagnostic::to_string).collect()
}

#[test]
fn variables_are_interpolated_with_defaults_and_required_ones_fail_at_their_line() {
    let text = "services:\n  web:\n    image: nginx:${TAG:-1.27}\n    environment:\n      DB: ${DB_HOST}\n";
    let p = ok(text, &with_env(&[("DB_HOST", "db")]));
    assert_eq!(p.services["web"].image.as_deref(), Some("nginx:1.27"));
    assert_eq!(p.services["web"].environment["DB"].as_deref(), Some("db"));

    let text = "services:\n  web:\n    image: nginx\n    environment:\n      PASS: ${PASS:?set a password}\n";
    let loaded = load("compose.yaml", text, &Options::default());
    assert_eq!(
        errors(&loaded),
        [
            "5:13: error: services.web.environment.PASS: required variable PASS is missing a value: set a password"
        ]
    );
}

#[test]
fn an_unset_variable_warns_and_becomes_empty() {
    let loaded = load(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    user: $UID\n",
        &Options::default(),
    );
    assert!(!loaded.has_errors());
    let w = &loaded.diagnostics[0];
    assert_eq!(w.severity, Severity::Warning);
    assert_eq!((w.line, w.path.as_str()), (4, "services.web.user"));
    assert_eq!(
        loaded.project.expect("p").services["web"].user.as_deref(),
        Some("")
    );
}

#[test]
fn short_syntaxes_are_normalized() {
    let text = r#"
services:
  web:
    image: nginx
    command: nginx -g 'daemon off;'
    ports: ["127.0.0.1:8080:80", "9000-9001:7000-7001/udp", 443]
    volumes: ["data:/var/lib/data:ro", "./site:/usr/share/nginx/html", "/cache"]
    environment: [A=1, B]
    labels: [tier=front]
    depends_on:
      db: {condition: service_healthy}
    healthcheck:
      test: curl -f http://localhost
      interval: 1m30s
  db:
    image: postgres
volumes:
  data:
"#;
    let mut options = with_env(&[("B", "from-env")]);
    options.project_dir = Some("/srv/stacks/app".into());
    let p = ok(text, &options);
    let web = &p.services["web"];
    assert_eq!(
        web.command.as_deref(),
        Some(&["nginx".to_owned(), "-g".into(), "daemon off;".into()][..])
    );
    let ports: Vec<String> = web
        .ports
        .iter()
        .map(|p| {
            format!(
                "{}|{}|{}|{}",
                p.host_ip.clone().unwrap_or_default(),
                p.published.clone().unwrap_or_default(),
                p.target,
                p.protocol
            )
        })
        .collect();
    assert_eq!(
        ports,
        [
            "127.0.0.1|8080|80|tcp",
            "|9000|7000|udp",
            "|9001|7001|udp",
            "||443|tcp"
        ]
    );
    assert_eq!(web.volumes[0].kind, MountKind::Volume);
    assert!(web.volumes[0].read_only);
    assert_eq!(
        web.volumes[1].source.as_deref(),
        Some("/srv/stacks/app/site")
    );
    assert_eq!(web.volumes[1].kind, MountKind::Bind);
    assert_eq!(web.volumes[2].source, None);
    assert_eq!(web.environment["B"].as_deref(), Some("from-env"));
    assert_eq!(web.labels["tier"], "front");
    assert_eq!(web.depends_on["db"].condition, Condition::ServiceHealthy);
    let hc = web.healthcheck.as_ref().expect("healthcheck");
    assert_eq!(hc.test, ["CMD-SHELL", "curl -f http://localhost"]);
    assert_eq!(hc.interval_ns, Some(90_000_000_000));
    assert!(web.networks.contains_key("default"));
}

#[test]
fn a_dependency_cycle_names_the_cycle() {
    let text = "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [c]\n  c:\n    image: x\n    depends_on: [a]\n";
    let loaded = load("compose.yaml", text, &Options::default());
    let errs = errors(&loaded);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("dependency cycle detected: a -> b -> c -> a"),
        "{errs:?}"
    );
    assert!(errs[0].starts_with("2:3:"), "{errs:?}");
}

#[test]
fn references_to_undefined_things_are_errors_at_the_service() {
    let text = "services:\n  web:\n    image: nginx\n    depends_on: [db]\n    networks: [front]\n    volumes: ['data:/d']\n    secrets: [token]\n";
    let loaded = load("compose.yaml", text, &Options::default());
    let errs = errors(&loaded).join("\n");
    for needle in [
        "services.web.depends_on.db: service \"web\" depends on undefined service \"db\"",
        "services.web.networks.front: service \"web\" refers to undefined network \"front\"",
        "services.web.volumes[0]: service \"web\" refers to undefined volume \"data\"",
        "services.web.secrets[0]: service \"web\" refers to undefined secret \"token\"",
    ] {
        assert!(errs.contains(needle), "missing {needle:?} in\n{errs}");
    }
}

#[test]
fn a_host_port_published_twice_is_an_error_naming_both() {
    let text = "services:\n  a:\n    image: x\n    ports: ['8080:80']\n  b:\n    image: x\n    ports: ['8079-8081:90-92']\n";
    let loaded = load("compose.yaml", text, &Options::default());
    let errs = errors(&loaded);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains(
            "services.b.ports[0]: host port 8080/tcp is already published by services.a.ports[0]"
        ),
        "{errs:?}"
    );
}

#[test]
fn malformed_image_references_and_sizes_are_explained() {
    let text = "services:\n  a:\n    image: Nginx:latest\n  b:\n    image: 'nginx:bad tag'\n  c:\n    image: nginx\n    mem_limit: 12parsecs\n    stop_grace_period: soon\n";
    let loaded = load("compose.yaml", text, &Options::default());
    let errs = errors(&loaded).join("\n");
    assert!(
        errs.contains(
            "invalid image reference \"Nginx:latest\": the repository name must be lowercase"
        ),
        "{errs}"
    );
    assert!(
        errs.contains("invalid image reference \"nginx:bad tag\": it contains whitespace"),
        "{errs}"
    );
    assert!(
        errs.contains("8:16: error: services.c.mem_limit:"),
        "{errs}"
    );
    assert!(
        errs.contains("9:24: error: services.c.stop_grace_period:"),
        "{errs}"
    );
}

#[test]
fn the_obsolete_version_key_only_warns() {
    let loaded = load(
        "compose.yaml",
        "version: '3.8'\nservices:\n  a:\n    image: x\n",
        &Options::default(),
    );
    assert!(!loaded.has_errors());
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(|d| d.path == "version" && d.message.contains("obsolete"))
    );
}

#[test]
fn an_empty_file_is_an_error() {
    let loaded = load("compose.yaml", "\n", &Options::default());
    assert_eq!(errors(&loaded), ["1:1: error: empty compose file"]);
    assert!(loaded.project.is_none());
}

#[test]
fn extends_merges_the_base_and_reset_removes_inherited_values() {
    let text = r#"
x-base: &base
  image: app
  environment: {A: "1", B: "2"}
  ports: ["80"]
services:
  base:
    <<: *base
  web:
    extends: base
    environment: [B=3]
    ports: !reset []
    command: ["serve"]
  worker:
    extends: {service: web}
    command: !override ["work"]
"#;
    let p = ok(text, &Options::default());
    let web = &p.services["web"];
    assert_eq!(web.image.as_deref(), Some("app"));
    assert_eq!(web.environment["A"].as_deref(), Some("1"));
    assert_eq!(web.environment["B"].as_deref(), Some("3"));
    assert!(web.ports.is_empty(), "{:?}", web.ports);
    assert_eq!(
        p.services["worker"].command.as_deref(),
        Some(&["work".to_owned()][..])
    );
    assert!(p.services["worker"].ports.is_empty());
}

#[test]
fn an_extends_cycle_is_refused() {
    let text =
        "services:\n  a:\n    extends: b\n    image: x\n  b:\n    extends: a\n    image: x\n";
    let loaded = load("compose.yaml", text, &Options::default());
    assert!(
        errors(&loaded)
            .iter()
            .any(|e| e.contains("Circular reference")),
        "{:?}",
        errors(&loaded)
    );
}

#[test]
fn other_files_are_read_through_the_callback() {
    let files: BTreeMap<&str, &str> = [
        (
            "common/base.yaml",
            "services:\n  base:\n    image: app\n    env_file: ./base.env\n",
        ),
        ("common/base.env", "FROM_BASE=yes\n"),
        ("db.yaml", "services:\n  db:\n    image: postgres\n"),
        ("web.env", "A=from-file\nB=${B_SRC}\n"),
    ]
    .into();
    let read = |name: &str| {
        files
            .get(name)
            .map(|t| (*t).to_owned())
            .ok_or_else(|| "no such file".to_owned())
    };
    let options = Options {
        read_file: Some(&read),
        env: [("B_SRC".to_owned(), "interpolated".to_owned())].into(),
        ..Options::default()
    };
    let text = "include: [db.yaml]\nservices:\n  web:\n    extends: {file: common/base.yaml, service: base}\n    env_file: web.env\n    environment: {A: explicit}\n    depends_on: [db]\n";
    let p = ok(text, &options);
    let web = &p.services["web"];
    assert_eq!(web.image.as_deref(), Some("app"));
    assert_eq!(web.environment["A"].as_deref(), Some("explicit"));
    assert_eq!(web.environment["B"].as_deref(), Some("interpolated"));
    assert!(p.services.contains_key("db"));

    let missing = load(
        "compose.yaml",
        "include: [nope.yaml]\nservices: {}\n",
        &options,
    );
    assert_eq!(
        errors(&missing),
        ["1:11: error: include[0]: cannot read \"nope.yaml\": no such file"]
    );
}

#[test]
fn an_include_cycle_is_refused() {
    let read = |_: &str| Ok("include: [compose.yaml]\nservices: {}\n".to_owned());
    let options = Options {
        read_file: Some(&read),
        ..Options::default()
    };
    let loaded = load(
        "compose.yaml",
        "include: [compose.yaml]\nservices: {}\n",
        &options,
    );
    assert!(
        errors(&loaded)
            .iter()
            .any(|e| e.contains("include cycle detected")),
        "{:?}",
        errors(&loaded)
    );
}

#[test]
fn profiles_leave_services_out_unless_active() {
    let text = "services:\n  web:\n    image: x\n  debug:\n    image: x\n    profiles: [debug]\n";
    let p = ok(text, &Options::default());
    assert_eq!(p.services.keys().collect::<Vec<_>>(), ["web"]);
    assert_eq!(p.disabled, ["debug"]);
    let options = Options {
        profiles: vec!["debug".into()],
        ..Options::default()
    };
    assert_eq!(ok(text, &options).services.len(), 2);
}

#[test]
fn the_config_hash_ignores_scale_and_dependencies_but_not_the_image() {
    let base = "services:\n  db:\n    image: x\n  web:\n    image: nginx\n";
    let h = |text: &str| ok(text, &Options::default()).services["web"].config_hash();
    let original = h(base);
    assert_eq!(
        original,
        h(&base.replace(
            "image: nginx\n",
            "image: nginx\n    deploy: {replicas: 2}\n    depends_on: [db]\n"
        ))
    );
    assert_ne!(original, h(&base.replace("nginx", "nginx:2")));
    assert_ne!(
        original,
        h(&base.replace("image: nginx\n", "image: nginx\n    environment: [A=1]\n"))
    );
}

#[test]
fn interpolation_syntax_errors_point_at_the_value() {
    let loaded = load(
        "compose.yaml",
        "services:\n  web:\n    image: nginx:${TAG\n",
        &Options::default(),
    );
    let errs = errors(&loaded);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("3:12: error: services.web.image: invalid interpolation format"),
        "{errs:?}"
    );
}

#[test]
fn the_security_policy_names_the_line_that_breaks_it() {
    use compose::policy::{SecurityPolicy, check_project};
    let text = "services:\n  web:\n    image: x\n    privileged: true\n    volumes:\n      - data:/data\n      - /var/run/docker.sock:/var/run/docker.sock\n    cap_add: [NET_ADMIN]\n  db:\n    image: y\n    volumes: [sneaky:/host]\nvolumes:\n  data: {}\n  sneaky:\n    driver_opts: {type: none, o: bind, device: /etc}\n";
    let p = ok(text, &Options::default());
    let found: Vec<String> = check_project(&p, &SecurityPolicy::default())
        .iter()
        .map(|d| format!("{}:{} {}", d.line, d.path, d.message))
        .collect();
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(
        found[0].starts_with("11:services.db.volumes[0] bind mounts of host folders (/etc)"),
        "{found:#?}"
    );
    assert!(
        found[1].starts_with("4:services.web.privileged privileged mode"),
        "{found:#?}"
    );
    assert!(
        found[2].starts_with(
            "7:services.web.volumes[1] /var/run/docker.sock gives the container the Docker socket"
        ),
        "{found:#?}"
    );
    assert!(
        found[3].starts_with("8:services.web.cap_add[0] adding the capability NET_ADMIN"),
        "{found:#?}"
    );
    assert!(check_project(&p, &SecurityPolicy::unrestricted()).is_empty());
}

/// Options reading from an in-memory folder tree.
fn reading<'a>(read: &'a dyn Fn(&str) -> Result<String, String>) -> Options<'a> {
    Options {
        read_file: Some(read),
        ..Options::default()
    }
}

fn tree<'a>(files: &'a BTreeMap<&str, &str>) -> impl Fn(&str) -> Result<String, String> + 'a {
    |name: &str| {
        files
            .get(name)
            .map(|t| (*t).to_owned())
            .ok_or_else(|| format!("no file {name}"))
    }
}

#[test]
fn an_included_file_keeps_its_paths_relative_to_its_own_folder() {
    let files: BTreeMap<&str, &str> = [
        (
            "sub/app.yaml",
            "services:\n  app:\n    image: app\n    env_file: [app.env, {path: ./opt.env, required: false}]\n    volumes: ['./data:/data', {type: bind, source: conf, target: /conf}]\nsecrets:\n  key:\n    file: ./key.txt\n",
        ),
        ("sub/app.env", "FROM_APP_ENV=1\n"),
        ("elsewhere/dir/db.yaml", "services:\n  db:\n    image: postgres\n    env_file: db.env\n"),
        ("elsewhere/db.env", "FROM_DB_ENV=1\n"),
    ]
    .into();
    let read = tree(&files);
    let mut options = reading(&read);
    options.project_dir = Some("/srv/app".into());
    let text = "include:\n  - sub/app.yaml\n  - path: elsewhere/dir/db.yaml\n    project_directory: elsewhere\nservices:\n  web:\n    image: web\n";
    let p = ok(text, &options);
    let app = &p.services["app"];
    assert_eq!(app.environment["FROM_APP_ENV"].as_deref(), Some("1"));
    let sources: Vec<&str> = app
        .volumes
        .iter()
        .filter_map(|m| m.source.as_deref())
        .collect();
    assert_eq!(sources, ["/srv/app/sub/data", "/srv/app/sub/conf"]);
    assert_eq!(
        p.secrets["key"].file.as_deref(),
        Some("/srv/app/sub/key.txt")
    );
    // project_directory, not the file's folder, is where the included paths start.
    assert_eq!(
        p.services["db"].environment["FROM_DB_ENV"].as_deref(),
        Some("1")
    );
}

#[test]
fn an_include_interpolates_with_its_env_files_under_the_callers_variables() {
    let files: BTreeMap<&str, &str> = [
        (
            "child/compose.yaml",
            "services:\n  child:\n    image: ${IMAGE}:${TAG}\n    environment: {FROM_DOTENV: $DOTENV_ONLY}\n",
        ),
        ("vars.env", "IMAGE=from-file\nTAG=1\n"),
        ("child/.env", "DOTENV_ONLY=yes\n"),
    ]
    .into();
    let read = tree(&files);
    let mut options = reading(&read);
    options.env = [("TAG".to_owned(), "from-caller".to_owned())].into();
    let text = "include:\n  - path: child/compose.yaml\n    env_file: vars.env\nservices: {}\n";
    let p = ok(text, &options);
    assert_eq!(
        p.services["child"].image.as_deref(),
        Some("from-file:from-caller")
    );
    // With env_file given, the folder's .env is not read.
    assert_eq!(
        p.services["child"].environment["FROM_DOTENV"].as_deref(),
        Some("")
    );
    // Without it, the included project's .env is.
    let text = "include: [child/compose.yaml]\nservices: {}\n";
    let loaded = load("compose.yaml", text, &options);
    let child = &loaded.project.expect("project").services["child"];
    assert_eq!(child.environment["FROM_DOTENV"].as_deref(), Some("yes"));
}

#[test]
fn the_files_of_one_include_are_merged_as_overrides() {
    let files: BTreeMap<&str, &str> = [
        (
            "base.yaml",
            "services:\n  app:\n    image: app:1\n    environment: {A: a}\n",
        ),
        (
            "override.yaml",
            "services:\n  app:\n    image: app:2\n    environment: {B: b}\n",
        ),
    ]
    .into();
    let read = tree(&files);
    let text = "include:\n  - path: [base.yaml, override.yaml]\nservices: {}\n";
    let p = ok(text, &reading(&read));
    let app = &p.services["app"];
    assert_eq!(app.image.as_deref(), Some("app:2"));
    assert_eq!(app.environment.len(), 2);
}

#[test]
fn a_bare_relative_env_file_extended_from_another_folder_is_found() {
    let files: BTreeMap<&str, &str> = [
        (
            "lib/base.yaml",
            "services:\n  base:\n    image: x\n    env_file: base.env\n",
        ),
        ("lib/base.env", "FROM_BASE=1\n"),
    ]
    .into();
    let read = tree(&files);
    let text = "services:\n  web:\n    extends: {file: lib/base.yaml, service: base}\n";
    let p = ok(text, &reading(&read));
    assert_eq!(
        p.services["web"].environment["FROM_BASE"].as_deref(),
        Some("1")
    );
}

#[test]
fn remote_references_reach_the_reader_as_written_and_their_cycles_are_caught() {
    let files: BTreeMap<&str, &str> = [
        (
            "remote:cycle/a.yaml",
            "services:\n  a:\n    extends: {file: 'remote:cycle/b.yaml', service: b}\n",
        ),
        (
            "remote:cycle/b.yaml",
            "services:\n  b:\n    extends: {file: 'remote:cycle/a.yaml', service: a}\n",
        ),
    ]
    .into();
    let read = tree(&files);
    let text = "services:\n  web:\n    extends: {file: 'remote:cycle/a.yaml', service: a}\n";
    let loaded = load("stack/compose.yaml", text, &reading(&read));
    let errs = errors(&loaded);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(
        errs[0],
        "remote:cycle/b.yaml:3:14: error: services.b.extends: Circular reference: extends cycle stack/compose.yaml:web -> remote:cycle/a.yaml:a -> remote:cycle/b.yaml:b -> remote:cycle/a.yaml:a"
    );
    // No second error about the image the broken chain could not bring.
    assert!(!errs[0].contains("neither an image"), "{errs:?}");
}

#[test]
fn an_empty_image_is_no_image() {
    let text =
        "services:\n  built:\n    image: ${IMAGE}\n    build: .\n  pulled:\n    image: ${IMAGE}\n";
    let loaded = load("compose.yaml", text, &Options::default());
    assert_eq!(
        errors(&loaded),
        [
            "6:12: error: services.pulled.image: service \"pulled\" has an empty image (an unset variable?) and no build section"
        ]
    );
    let p = loaded.project.expect("project");
    assert_eq!(p.services["built"].image, None);
}

#[test]
fn a_provider_service_needs_no_image() {
    let text = "services:\n  app:\n    image: x\n    depends_on: [model]\n  model:\n    provider:\n      type: model\n      options: {model: ai/smollm2}\n";
    let loaded = load("compose.yaml", text, &Options::default());
    assert!(!loaded.has_errors(), "{:?}", errors(&loaded));
    let p = loaded.project.expect("project");
    assert!(p.services["model"].provider);
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(|d| d.path == "services.model.provider" && d.line == 6)
    );
    // The field stays out of other services' hash, which therefore did not change.
    let json = serde_json::to_value(&p.services["app"]).expect("json");
    assert!(json.get("provider").is_none());
}

#[test]
fn a_raw_env_file_is_taken_verbatim() {
    let files: BTreeMap<&str, &str> =
        [("raw.env", "TEST_VAR='{\"key\": \"value\"}'\nREF=$HOME\n")].into();
    let read = tree(&files);
    let text = "services:\n  app:\n    image: x\n    env_file:\n      - path: raw.env\n        format: raw\n";
    let p = ok(text, &reading(&read));
    let env = &p.services["app"].environment;
    assert_eq!(env["TEST_VAR"].as_deref(), Some("'{\"key\": \"value\"}'"));
    assert_eq!(env["REF"].as_deref(), Some("$HOME"));

    let text = "services:\n  app:\n    image: x\n    env_file:\n      - path: raw.env\n        format: ini\n";
    let loaded = load("compose.yaml", text, &reading(&read));
    assert_eq!(
        errors(&loaded),
        [
            "6:17: error: services.app.env_file[0].format: unknown env_file format \"ini\" (the one Compose knows is raw)"
        ]
    );
}

#[test]
fn a_volume_whose_source_variable_is_unset_says_so() {
    let text = "services:\n  plex:\n    image: x\n    volumes:\n      - ${MEDIA}:/media/\n";
    let loaded = load("compose.yaml", text, &Options::default());
    assert_eq!(
        errors(&loaded),
        [
            "5:9: error: services.plex.volumes[0]: \":/media/\": the host path or volume name before ':' is empty"
        ]
    );
}

#[test]
fn a_flow_sequence_closed_under_its_key_loads_with_a_warning() {
    let text = "services:\n  app:\n    image: x\n    command: [\n      \"serve\",\n    ]\n    user: [1\n  ]\n";
    let loaded = load("compose.yaml", text, &Options::default());
    let p = loaded.project.as_ref().expect("project");
    assert_eq!(
        p.services["app"].command.as_deref(),
        Some(&["serve".to_owned()][..])
    );
    let warnings: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| !d.is_error())
        .map(Diagnostic::to_string)
        .collect();
    assert!(
        warnings[0].starts_with("6:5: warning: this line of the flow collection opened at line 4"),
        "{warnings:?}"
    );
    assert!(warnings[1].starts_with("8:3: warning:"), "{warnings:?}");
    // `user: [1]` is a list, which the schema refuses (once) at its original position.
    assert_eq!(
        errors(&loaded),
        ["7:11: error: services.app.user: \"user\" must be a string, not a list"],
    );
}

#[test]
fn a_service_that_is_not_a_mapping_gets_one_error() {
    let text = "services:\n  nil:\n  web:\n    image: x\n";
    let loaded = load("compose.yaml", text, &Options::default());
    assert_eq!(errors(&loaded).len(), 1, "{:?}", errors(&loaded));
}

#[test]
fn resource_paths_under_deploy_are_dotted() {
    let text = "services:\n  app:\n    image: x\n    deploy:\n      resources:\n        reservations:\n          memory: lots\n";
    let loaded = load("compose.yaml", text, &Options::default());
    assert!(
        errors(&loaded)[0]
            .starts_with("7:19: error: services.app.deploy.resources.reservations.memory:"),
        "{:?}",
        errors(&loaded)
    );
}
