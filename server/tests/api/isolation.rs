//! The attack suite for workspace isolation inside Docker: an operator of workspace A tries to
//! reach workspace B's container, volume and network, and the host, through what a deploy or a
//! container create may name. Workspace B has a container serving a secret on its loopback, a
//! volume holding a file and a network. Every attempt is refused naming the field, and nothing
//! of the attacker's is created. One control shows the attack is real: the same file deployed
//! by a platform admin (whom the policy does not limit) reads B's secret.

use std::collections::HashMap;

use engine::docker::WORKSPACE_LABEL;
use engine::model::resources::PROJECT_LABEL;
use reqwest::Method;
use serde_json::{Value, json};
use testkit::docker::{RUN_LABEL, TestRun};

use crate::containers::{call, team};
use crate::helpers::{TestApp, spawn_app};
use crate::stacks::stack_name;

const SECRET: &str = "B-TOPSECRET-42";

/// Workspace B's objects: a container serving [`SECRET`] on 127.0.0.1:8080 inside its own
/// network namespace (and holding it in its environment), a volume with the secret in a file,
/// a network. Names are returned.
struct Victim {
    container: String,
    volume: String,
    network: String,
}

async fn victim(app: &TestApp, run: &TestRun, ws_b: &str) -> Victim {
    let script = format!(
        "mkdir -p /www && echo {SECRET} > /www/s && exec httpd -f -p 127.0.0.1:8080 -h /www"
    );
    crate::feeds::started(app, run, "victim", ws_b, None, &script).await;
    let docker = run.docker();
    let mut object_labels = run.labels();
    object_labels.insert(WORKSPACE_LABEL.to_owned(), ws_b.to_owned());
    let volume = run.name("victim-data");
    docker
        .create_volume(bollard::models::VolumeCreateRequest {
            name: Some(volume.clone()),
            labels: Some(object_labels.clone()),
            ..Default::default()
        })
        .await
        .expect("the victim volume");
    let network = run.name("victim-net");
    docker
        .create_network(bollard::models::NetworkCreateRequest {
            name: network.clone(),
            labels: Some(object_labels),
            ..Default::default()
        })
        .await
        .expect("the victim network");
    app.state.docker.refresh_for_check().await.expect("refresh");
    Victim {
        container: run.name("victim"),
        volume,
        network,
    }
}

/// A one-service stack of the fixture image with `extra` (YAML lines under the service, at
/// four spaces) and `tail` (top-level sections).
async fn compose_of(run: &TestRun, extra: &str, tail: &str) -> String {
    let image = run.fixture_image().await.expect("fixture image");
    format!(
        "services:\n  app:\n    image: {image}\n    command: [sh, -c, 'sleep 600']\n    labels:\n      {RUN_LABEL}: {}\n{extra}{tail}",
        run.id()
    )
}

/// Creates stack `name` in `ws` as `client` and deploys it, waiting: the status and answer.
async fn deploy(
    app: &TestApp,
    client: &reqwest::Client,
    ws: &str,
    name: &str,
    compose: &str,
) -> (u16, Value) {
    let (status, created) = call(
        app,
        client,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/stacks"),
        Some(json!({ "name": name, "compose": compose })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    call(
        app,
        client,
        Method::POST,
        &format!("/api/v1/stacks/{name}/operations?wait=true"),
        Some(json!({ "operation": "deploy" })),
    )
    .await
}

/// Asserts a 422 whose diagnostics refuse `path` with a message containing `says`, and that
/// the stack made no container, volume or network.
async fn assert_refused(run: &TestRun, answer: &(u16, Value), stack: &str, path: &str, says: &str) {
    let (status, error) = answer;
    assert_eq!(*status, 422, "{path}: {error}");
    let diagnostics = error["error"]["diagnostics"]
        .as_array()
        .expect("diagnostics");
    let found = diagnostics
        .iter()
        .find(|d| d["path"] == path && d["severity"] == "error")
        .unwrap_or_else(|| panic!("no refusal of {path}: {error:#}"));
    let message = found["message"].as_str().unwrap_or_default();
    assert!(message.contains(says), "{path}: {message}");
    assert!(found["line"].as_u64().is_some_and(|l| l > 0), "{found}");
    assert!(!error.to_string().contains(SECRET), "{message}");
    nothing_made(run, stack).await;
}

/// No container, volume or network carries the stack's project label.
async fn nothing_made(run: &TestRun, stack: &str) {
    let docker = run.docker();
    let filter = HashMap::from([("label".to_owned(), vec![format!("{PROJECT_LABEL}={stack}")])]);
    let containers = docker
        .list_containers(Some(bollard::query_parameters::ListContainersOptions {
            all: true,
            filters: Some(filter.clone()),
            ..Default::default()
        }))
        .await
        .expect("containers");
    assert!(containers.is_empty(), "{stack} made {containers:?}");
    let volumes = docker
        .list_volumes(Some(bollard::query_parameters::ListVolumesOptions {
            filters: Some(filter.clone()),
        }))
        .await
        .expect("volumes");
    assert!(
        volumes.volumes.unwrap_or_default().is_empty(),
        "{stack} made volumes"
    );
    let networks = docker
        .list_networks(Some(bollard::query_parameters::ListNetworksOptions {
            filters: Some(filter),
        }))
        .await
        .expect("networks");
    assert!(networks.is_empty(), "{stack} made networks");
}

/// Deploys a one-service stack named after `what` with `files` (service lines, top-level
/// sections) as `client` in `ws`, and asserts it is refused at `refusal` (field, message part)
/// with nothing made.
async fn attack(
    app: &TestApp,
    client: &reqwest::Client,
    run: &mut TestRun,
    ws: &str,
    what: &str,
    files: (&str, &str),
    refusal: (&str, &str),
) {
    let stack = stack_name(run, what);
    let compose = compose_of(run, files.0, files.1).await;
    let answer = deploy(app, client, ws, &stack, &compose).await;
    assert_refused(run, &answer, &stack, refusal.0, refusal.1).await;
}

/// Creates a container through the API as `client` in `ws`: the status and the message.
async fn create_container(
    app: &TestApp,
    client: &reqwest::Client,
    run: &TestRun,
    ws: &str,
    name: &str,
    extra: Value,
) -> (u16, String) {
    let mut spec = json!({
        "image": run.fixture_image().await.expect("fixture image"),
        "name": run.name(name),
        "command": "sleep 600",
        "labels": [format!("{RUN_LABEL}={}", run.id())],
        "start": true,
    });
    for (k, v) in extra.as_object().expect("an object") {
        spec[k] = v.clone();
    }
    let (status, answer) = call(
        app,
        client,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/containers"),
        Some(spec),
    )
    .await;
    let message = answer["error"]["message"]
        .as_str()
        .map_or_else(|| answer.to_string(), str::to_owned);
    (status, message)
}

/// Asserts a create was refused with 400 naming `field`, and left no container.
fn assert_create_refused(
    app: &TestApp,
    run: &TestRun,
    name: &str,
    answer: &(u16, String),
    field: &str,
) {
    assert_eq!(answer.0, 400, "{field}: {}", answer.1);
    assert!(
        answer.1.starts_with(&format!("{field}:")),
        "{field}: {}",
        answer.1
    );
    assert!(!answer.1.contains(SECRET), "{}", answer.1);
    assert!(
        app.state
            .docker
            .containers()
            .find(&run.name(name))
            .is_none(),
        "a refused create made {name}"
    );
}

#[tokio::test]
async fn joining_another_workspaces_container_namespaces_is_refused() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let victim = victim(&app, &run, &team.other_ws).await;
    let op = &team.operator.1;
    for (field, line) in [
        (
            "network_mode",
            format!("    network_mode: container:{}\n", victim.container),
        ),
        ("pid", format!("    pid: container:{}\n", victim.container)),
        ("ipc", format!("    ipc: container:{}\n", victim.container)),
    ] {
        let says = format!(
            "there is no container \"{}\" in this workspace",
            victim.container
        );
        let what = format!("join-{}", field.replace('_', ""));
        let path = format!("services.app.{field}");
        attack(
            &app,
            op,
            &mut run,
            &team.ws,
            &what,
            (&line, ""),
            (&path, &says),
        )
        .await;
    }
    // By id prefix, as the engine would also resolve it.
    let id = app
        .state
        .docker
        .containers()
        .find(&victim.container)
        .expect("victim")
        .id;
    attack(
        &app,
        op,
        &mut run,
        &team.ws,
        "join-prefix",
        (&format!("    network_mode: container:{}\n", &id[..12]), ""),
        ("services.app.network_mode", "no container"),
    )
    .await;
    // `service:` only within the stack.
    attack(
        &app,
        op,
        &mut run,
        &team.ws,
        "join-service",
        ("    network_mode: service:victim\n", ""),
        ("services.app.network_mode", "another service of this stack"),
    )
    .await;
    // The create API.
    let answer = create_container(
        &app,
        op,
        &run,
        &team.ws,
        "joiner",
        json!({ "network": format!("container:{}", victim.container) }),
    )
    .await;
    assert_create_refused(&app, &run, "joiner", &answer, "network");

    // The control: a platform admin's deploy of the same file joins and reads the secret, so
    // the refusals above are what stands between the workspaces.
    let stack = stack_name(&mut run, "join-admin");
    let compose = compose_of(
        &run,
        &format!("    network_mode: container:{}\n", victim.container),
        "",
    )
    .await;
    let (status, record) = deploy(&app, &app.client, &team.ws, &stack, &compose).await;
    assert_eq!(status, 200, "{record}");
    let joined = format!("{stack}-app-1");
    let code = testkit::docker::exec(
        run.docker(),
        &joined,
        &format!("wget -q -O - http://127.0.0.1:8080/s | grep -q {SECRET}"),
    )
    .await
    .expect("exec");
    assert_eq!(
        code, 0,
        "the admin's container reads the secret through the shared namespace"
    );
}

#[tokio::test]
async fn another_workspaces_volume_is_refused_by_name_or_external() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let victim = victim(&app, &run, &team.other_ws).await;
    let op = &team.operator.1;
    let mount = "    volumes: [data:/x]\n";
    for (what, tail, says) in [
        (
            "external",
            format!(
                "volumes:\n  data:\n    external: true\n    name: {}\n",
                victim.volume
            ),
            format!("there is no volume \"{}\" in this workspace", victim.volume),
        ),
        (
            "named",
            format!("volumes:\n  data:\n    name: {}\n", victim.volume),
            format!(
                "the volume name \"{}\" is taken outside this workspace",
                victim.volume
            ),
        ),
    ] {
        let what = format!("vol-{what}");
        attack(
            &app,
            op,
            &mut run,
            &team.ws,
            &what,
            (mount, &tail),
            ("volumes.data", &says),
        )
        .await;
    }
    let answer = create_container(
        &app,
        op,
        &run,
        &team.ws,
        "vol-reader",
        json!({ "volumes": [format!("{}:/x", victim.volume)] }),
    )
    .await;
    assert_create_refused(&app, &run, "vol-reader", &answer, "volumes[0]");

    // A volume of one's own workspace, by name, is fine; one that does not exist yet is made
    // for the workspace, not left to the engine to make for nobody.
    let own = run.name("own-data");
    let answer = create_container(
        &app,
        op,
        &run,
        &team.ws,
        "own-reader",
        json!({ "volumes": [format!("{own}:/x")] }),
    )
    .await;
    assert_eq!(answer.0, 201, "{}", answer.1);
    let made = run
        .docker()
        .inspect_volume(&own)
        .await
        .expect("the volume was made");
    assert_eq!(made.labels.get(WORKSPACE_LABEL), Some(&team.ws));
    run.docker()
        .remove_container(
            &run.name("own-reader"),
            Some(bollard::query_parameters::RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await
        .expect("remove");
    let _ = run
        .docker()
        .remove_volume(&own, None::<bollard::query_parameters::RemoveVolumeOptions>)
        .await;
}

#[tokio::test]
async fn another_workspaces_network_and_the_hosts_are_refused() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let victim = victim(&app, &run, &team.other_ws).await;
    let op = &team.operator.1;
    let attach = "    networks: [outer]\n";
    attack(
        &app,
        op,
        &mut run,
        &team.ws,
        "net-external",
        (
            attach,
            &format!(
                "networks:\n  outer:\n    external: true\n    name: {}\n",
                victim.network
            ),
        ),
        ("networks.outer", "there is no network"),
    )
    .await;

    attack(
        &app,
        op,
        &mut run,
        &team.ws,
        "net-named",
        (
            attach,
            &format!("networks:\n  outer:\n    name: {}\n", victim.network),
        ),
        ("networks.outer", "is taken outside this workspace"),
    )
    .await;

    attack(
        &app,
        op,
        &mut run,
        &team.ws,
        "net-mode",
        (&format!("    network_mode: {}\n", victim.network), ""),
        ("services.app.network_mode", "there is no network"),
    )
    .await;

    attack(
        &app,
        op,
        &mut run,
        &team.ws,
        "net-host",
        (
            attach,
            "networks:\n  outer:\n    external: true\n    name: host\n",
        ),
        ("services.app.networks", "the host's network"),
    )
    .await;

    let answer = create_container(
        &app,
        op,
        &run,
        &team.ws,
        "net-joiner",
        json!({ "network": victim.network }),
    )
    .await;
    assert_create_refused(&app, &run, "net-joiner", &answer, "network");
}

#[tokio::test]
async fn symbolic_links_out_of_the_allowed_folders_are_refused() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let op = &team.operator.1;
    let root = tempfile::tempdir().expect("a folder");
    let root_path = root.path().canonicalize().expect("canonical");
    let allowed = root_path.join("apps");
    std::fs::create_dir_all(allowed.join("a")).expect("folders");
    // What a first container with `apps/a` mounted could plant.
    std::os::unix::fs::symlink("/run/docker.sock", allowed.join("a/sock")).expect("link");
    std::os::unix::fs::symlink("/etc", allowed.join("a/etc")).expect("link");
    let (status, _) = call(
        &app,
        &app.client,
        Method::PUT,
        &format!("/api/v1/workspaces/{}/policy", team.ws),
        Some(json!({ "allow_bind_mounts": true, "bind_roots": [allowed.display().to_string()] })),
    )
    .await;
    assert_eq!(status, 200);
    let a = allowed.join("a").display().to_string();
    for (what, source, says) in [
        ("sock", format!("{a}/sock"), "Docker socket"),
        ("etc", format!("{a}/etc/shadow"), "/etc/shadow is outside"),
    ] {
        let stack = stack_name(&mut run, &format!("link-{what}"));
        let compose = compose_of(&run, &format!("    volumes: ['{source}:/x']\n"), "").await;
        let answer = deploy(&app, op, &team.ws, &stack, &compose).await;
        assert_refused(&run, &answer, &stack, "services.app.volumes[0]", says).await;
        assert!(
            answer.1.to_string().contains("through a symbolic link"),
            "{}",
            answer.1
        );
        let name = format!("link-{what}");
        let answer = create_container(
            &app,
            op,
            &run,
            &team.ws,
            &name,
            json!({ "volumes": [format!("{source}:/x")] }),
        )
        .await;
        assert_create_refused(&app, &run, &name, &answer, "volumes[0]");
    }
    // A folder inside the root, through no link, still mounts.
    let stack = stack_name(&mut run, "link-ok");
    let compose = compose_of(&run, &format!("    volumes: ['{a}:/x']\n"), "").await;
    let (status, record) = deploy(&app, op, &team.ws, &stack, &compose).await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["brief"]["status"], "succeeded", "{record:#}");
}

#[tokio::test]
async fn rbind_volumes_and_host_settings_are_refused_under_the_default_policy() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let op = &team.operator.1;
    attack(
        &app,
        op,
        &mut run,
        &team.ws,
        "rbind",
        (
            "    volumes: [hostroot:/host]\n",
            "volumes:\n  hostroot:\n    driver_opts: {type: none, o: rbind, device: /etc}\n",
        ),
        (
            "services.app.volumes[0]",
            "bind mounts of host folders (/etc)",
        ),
    )
    .await;

    for (i, (field, line)) in [
        (
            "security_opt[0]",
            "    security_opt: [apparmor=unconfined]\n",
        ),
        (
            "security_opt[0]",
            "    security_opt: [seccomp=unconfined]\n",
        ),
        ("cgroup_parent", "    cgroup_parent: /\n"),
        ("userns_mode", "    userns_mode: host\n"),
        ("runtime", "    runtime: runc\n"),
        ("sysctls", "    sysctls: {net.ipv4.ip_forward: 1}\n"),
    ]
    .into_iter()
    .enumerate()
    {
        let key = field.split('[').next().unwrap_or(field);
        let (what, path, says) = (
            format!("host-{i}"),
            format!("services.app.{field}"),
            format!("`{key}`"),
        );
        attack(
            &app,
            op,
            &mut run,
            &team.ws,
            &what,
            (line, ""),
            (&path, &says),
        )
        .await;
    }
    // An explicit rule lets one through: the policy names the field.
    let (status, saved) = call(
        &app,
        &app.client,
        Method::PUT,
        &format!("/api/v1/workspaces/{}/policy", team.ws),
        Some(json!({ "allowed_host_settings": ["sysctls"] })),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    let stack = stack_name(&mut run, "host-allowed");
    let compose = compose_of(
        &run,
        "    sysctls: {net.ipv4.ip_unprivileged_port_start: 0}\n",
        "",
    )
    .await;
    let (status, record) = deploy(&app, op, &team.ws, &stack, &compose).await;
    assert_eq!(status, 200, "{record}");
    // A name that is not a host setting is refused when the policy is saved.
    let (status, error) = call(
        &app,
        &app.client,
        Method::PUT,
        &format!("/api/v1/workspaces/{}/policy", team.ws),
        Some(json!({ "allowed_host_settings": ["image"] })),
    )
    .await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error.to_string().contains("allowed_host_settings[0]"),
        "{error}"
    );
}
