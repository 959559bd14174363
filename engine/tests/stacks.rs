//! Stacks against the real engine: deploys honour dependency conditions, recreate only what
//! changed, scale, remove orphans, refuse what the policy forbids, leave nothing behind after a
//! failed pull, survive the engine connection being cut, and interoperate with the Compose CLI.
//! Every project is removed by its label when the test ends, even on failure.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use engine::db::{Database, DatabaseUrl};
use engine::docker::DockerEngine;
use engine::identity::accounts::NewUser;
use engine::model::ids::{StackId, WorkspaceId};
use engine::model::resources::{DeployPhase, DeployRecord, PROJECT_LABEL};
use engine::services::{ServiceConfig, Services};
use engine::stacks::{
    NewStack, Operation, OperationRequest, Running, StackError, StackRow, Stacks,
};
use testkit::docker::TestRun;
use testkit::postgres::TestDatabase;
use testkit::proxy::SocketProxy;

struct World {
    db: Database,
    stacks: Stacks,
    docker: DockerEngine,
    workspace: WorkspaceId,
    image: String,
    run: TestRun,
    _monitor: engine::docker::MonitorGuard,
    dir: tempfile::TempDir,
    _pg: Option<TestDatabase>,
}

/// A stacks world on the engine at `docker_host` (the local one when `None`), its services
/// opened the way `orbitr serve` opens them.
async fn world_with(docker_host: Option<String>) -> World {
    let dir = tempfile::tempdir().expect("dir");
    let pg = testkit::postgres::for_this_run().await.expect("database");
    let url = match &pg {
        Some(pg) => DatabaseUrl::parse(pg.url()).expect("url"),
        None => DatabaseUrl::sqlite_file(&dir.path().join("o.db")),
    };
    let db = Database::open(url).await.expect("open");
    let mut config = ServiceConfig::new(dir.path());
    config.docker_host = docker_host;
    let services = Services::open(db.clone(), &config).await.expect("services");
    let user = services
        .accounts
        .create(NewUser {
            email: "owner@example.test",
            name: "Owner",
            password: "plum orbit kettle winter",
            is_admin: true,
        })
        .await
        .expect("user");
    let ws = services
        .workspaces
        .create("Stacks", &user)
        .await
        .expect("workspace");
    let engine = services.docker.clone();
    let monitor = engine.spawn_monitor();
    let mut syncs = engine.containers().subscribe_syncs();
    syncs.wait_for(|n| *n > 0).await.expect("first read");
    let run = TestRun::new().expect("docker");
    let image = run.fixture_image().await.expect("fixture image");
    World {
        stacks: services.stacks,
        db,
        docker: engine,
        workspace: ws.id,
        image,
        run,
        _monitor: monitor,
        dir,
        _pg: pg,
    }
}

async fn world() -> World {
    world_with(None).await
}

impl World {
    fn name(&mut self, what: &str) -> String {
        let name = format!("{}-{what}", self.run.id());
        self.run.also_remove(format!("{PROJECT_LABEL}={name}"));
        name
    }

    async fn stack(&mut self, what: &str, compose: &str) -> StackRow {
        let name = self.name(what);
        let compose = compose.replace("IMAGE", &self.image);
        self.stacks
            .create(
                NewStack {
                    workspace: &self.workspace,
                    name: &name,
                    compose: &compose,
                    env: "",
                },
                "tester",
            )
            .await
            .expect("create stack")
    }

    async fn save(&self, stack: &StackRow, compose: &str) {
        let compose = compose.replace("IMAGE", &self.image);
        self.stacks
            .save(stack, &compose, "", "tester")
            .await
            .expect("save");
    }

    /// Starts `op` on `stack`; it goes on in the background.
    async fn begin(&self, stack: &StackRow, op: Operation, request: &OperationRequest) -> Running {
        self.stacks
            .start(stack, op, request, None, "tester")
            .await
            .unwrap_or_else(|e| panic!("{op:?} refused: {e}"))
    }

    async fn run_op(
        &self,
        stack: &StackRow,
        op: Operation,
        request: OperationRequest,
    ) -> DeployRecord {
        let running = self.begin(stack, op, &request).await;
        running.done.await.expect("operation finished")
    }

    async fn deploy(&self, stack: &StackRow) -> DeployRecord {
        let record = self
            .run_op(stack, Operation::Deploy, OperationRequest::default())
            .await;
        assert_eq!(
            record.brief.status, "succeeded",
            "{:?}\n{:#?}",
            record.brief.error, record.events
        );
        record
    }

    /// (service, number) → (id, running) of the project's containers.
    async fn containers(&self, stack: &StackRow) -> HashMap<(String, u32), (String, bool)> {
        let observed = self
            .docker
            .observe_project(&stack.name)
            .await
            .expect("observe");
        let mut out = HashMap::new();
        for c in observed.containers {
            let previous = out.insert((c.service.clone(), c.number), (c.id.clone(), c.running));
            assert!(
                previous.is_none(),
                "two containers for {} #{}",
                c.service,
                c.number
            );
        }
        out
    }
}

/// Waits for `stack`'s first event of `phase`.
async fn until_phase(
    events: &mut tokio::sync::broadcast::Receiver<(
        StackId,
        WorkspaceId,
        engine::model::resources::DeployEvent,
    )>,
    stack: &StackRow,
    phase: DeployPhase,
) {
    loop {
        let (stack_id, _, event) = events.recv().await.expect("events");
        if stack_id == stack.id && event.phase == phase {
            return;
        }
    }
}

const APP: &str = r#"
services:
  init:
    image: IMAGE
    command: ["sh", "-c", "echo migrated"]
  db:
    image: IMAGE
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      retries: 30
    volumes: [data:/data]
    networks: [back]
  web:
    image: IMAGE
    depends_on:
      db: {condition: service_healthy}
      init: {condition: service_completed_successfully}
    environment: {MODE: one}
    networks: [front, back]
    deploy: {replicas: 2}
networks:
  front: {}
  back: {}
volumes:
  data: {}
"#;

#[tokio::test]
async fn a_deploy_waits_for_healthy_and_completed_dependencies() {
    let mut w = world().await;
    let stack = w.stack("app", APP).await;
    let started = Instant::now();
    let record = w.deploy(&stack).await;
    eprintln!("cold deploy of 4 containers took {:?}", started.elapsed());

    let containers = w.containers(&stack).await;
    assert_eq!(containers.len(), 4, "{containers:?}");
    assert!(!containers[&("init".into(), 1)].1, "init ran and exited");
    assert!(containers[&("db".into(), 1)].1);
    assert!(containers[&("web".into(), 1)].1 && containers[&("web".into(), 2)].1);

    // web started only after db was healthy and init had completed.
    let index = |phase: DeployPhase, service: &str| {
        record
            .events
            .iter()
            .position(|e| e.phase == phase && e.service.as_deref() == Some(service))
            .unwrap_or_else(|| panic!("no {phase:?} event for {service}: {:#?}", record.events))
    };
    // (Its containers may be created earlier: creating runs nothing.)
    let web_started = index(DeployPhase::Starting, "web");
    assert!(index(DeployPhase::Healthy, "db") < web_started);
    assert!(index(DeployPhase::Completed, "init") < web_started);

    // The Compose CLI's labels, and the networks and volume under the project's names.
    let web = w
        .docker
        .inspect_container(&containers[&("web".into(), 1)].0)
        .await
        .expect("inspect");
    let labels = &web.labels;
    assert_eq!(labels.get("com.docker.compose.project"), Some(&stack.name));
    assert_eq!(
        labels.get("com.docker.compose.service").map(String::as_str),
        Some("web")
    );
    assert_eq!(
        labels
            .get("com.docker.compose.container-number")
            .map(String::as_str),
        Some("1")
    );
    assert_eq!(
        labels.get("com.docker.compose.oneoff").map(String::as_str),
        Some("False")
    );
    assert_eq!(
        labels.get("dev.orbitr.workspace").map(String::as_str),
        Some(w.workspace.as_str())
    );
    let mut nets = web.summary.networks.clone();
    nets.sort();
    assert_eq!(
        nets,
        [
            format!("{}_back", stack.name),
            format!("{}_front", stack.name)
        ]
    );
    assert_eq!(web.summary.name, format!("{}-web-1", stack.name));

    let detail = w
        .stacks
        .detail(&w.stacks.get(&stack.id).await.expect("row"))
        .await
        .expect("detail");
    assert_eq!(detail.summary.deployed_revision, Some(1));
    assert_eq!(
        detail.summary.last_deploy.map(|d| d.status).as_deref(),
        Some("succeeded")
    );
}

const TWO: &str = r#"
services:
  db:
    image: IMAGE
  web:
    image: IMAGE
    depends_on: [db]
    environment: {MODE: one}
"#;

#[tokio::test]
async fn when_finished_is_announced_the_record_is_stored_and_the_stack_is_free() {
    let mut w = world().await;
    let stack = w.stack("announce", TWO).await;
    let mut events = w.stacks.subscribe();
    let running = w
        .begin(&stack, Operation::Deploy, &OperationRequest::default())
        .await;
    let id = running.brief.id.clone();
    until_phase(&mut events, &stack, DeployPhase::Finished).await;
    // Whoever reacts to the announcement may start the next operation at once (this start
    // checks the stack is free before it awaits anything)...
    let next = w
        .begin(&stack, Operation::Restart, &OperationRequest::default())
        .await;
    // ...and reads the finished record, events included.
    let record = w.stacks.deploy_record(&stack, &id).await.expect("record");
    assert_eq!(record.brief.status, "succeeded", "{:?}", record.brief.error);
    assert!(
        record
            .events
            .last()
            .is_some_and(|e| e.phase == DeployPhase::Finished),
        "{:#?}",
        record.events
    );
    assert_eq!(next.done.await.expect("restart").brief.status, "succeeded");
    running.done.await.expect("deploy record");
}

#[tokio::test]
async fn only_the_changed_service_is_recreated_and_an_unchanged_file_changes_nothing() {
    let mut w = world().await;
    let stack = w.stack("partial", TWO).await;
    w.deploy(&stack).await;
    let before = w.containers(&stack).await;

    let started = Instant::now();
    let record = w.deploy(&stack).await;
    eprintln!("no-op deploy took {:?}", started.elapsed());
    assert!(
        record
            .events
            .iter()
            .all(|e| !matches!(e.phase, DeployPhase::Creating | DeployPhase::Stopping)),
        "{:#?}",
        record.events
    );
    assert_eq!(w.containers(&stack).await, before);

    w.save(&stack, &TWO.replace("MODE: one", "MODE: two")).await;
    w.deploy(&stack).await;
    let after = w.containers(&stack).await;
    assert_eq!(
        after[&("db".into(), 1)],
        before[&("db".into(), 1)],
        "db kept"
    );
    assert_ne!(
        after[&("web".into(), 1)].0,
        before[&("web".into(), 1)].0,
        "web recreated"
    );
    let env = w
        .docker
        .inspect_container(&after[&("web".into(), 1)].0)
        .await
        .expect("inspect")
        .env;
    assert!(env.iter().any(|e| e == "MODE=two"), "{env:?}");

    // A rollback deploys revision 1 again, and writes its files back.
    let record = w
        .run_op(
            &stack,
            Operation::Deploy,
            OperationRequest {
                revision: Some(1),
                ..OperationRequest::default()
            },
        )
        .await;
    assert_eq!(record.brief.status, "succeeded", "{:?}", record.brief.error);
    let (compose, _) = w.stacks.files(&stack).await.expect("files");
    assert!(compose.contains("MODE: one"));
    assert_eq!(
        w.stacks
            .revisions(&stack.id)
            .await
            .expect("revisions")
            .len(),
        3
    );
}

#[tokio::test]
async fn scaling_and_orphans_converge() {
    let mut w = world().await;
    let stack = w.stack("scale", TWO).await;
    w.deploy(&stack).await;
    w.save(
        &stack,
        &TWO.replace(
            "environment: {MODE: one}",
            "environment: {MODE: one}\n    scale: 3",
        ),
    )
    .await;
    w.deploy(&stack).await;
    let scaled = w.containers(&stack).await;
    assert_eq!(scaled.len(), 4, "{scaled:?}");

    // web removed from the file: kept without remove_orphans, removed with it.
    w.save(&stack, "services:\n  db:\n    image: IMAGE\n").await;
    w.deploy(&stack).await;
    assert_eq!(w.containers(&stack).await.len(), 4);
    let record = w
        .run_op(
            &stack,
            Operation::Deploy,
            OperationRequest {
                remove_orphans: true,
                ..OperationRequest::default()
            },
        )
        .await;
    assert_eq!(record.brief.status, "succeeded");
    let left = w.containers(&stack).await;
    assert_eq!(
        left.keys().cloned().collect::<Vec<_>>(),
        [("db".to_owned(), 1)]
    );

    // Stop, start, down.
    let record = w
        .run_op(&stack, Operation::Stop, OperationRequest::default())
        .await;
    assert_eq!(record.brief.status, "succeeded");
    assert!(!w.containers(&stack).await[&("db".into(), 1)].1);
    w.run_op(&stack, Operation::Start, OperationRequest::default())
        .await;
    assert!(w.containers(&stack).await[&("db".into(), 1)].1);
    assert!(matches!(
        w.stacks.delete(&stack).await,
        Err(StackError::HasContainers)
    ));
    let record = w
        .run_op(
            &stack,
            Operation::Down,
            OperationRequest {
                volumes: true,
                ..OperationRequest::default()
            },
        )
        .await;
    assert_eq!(record.brief.status, "succeeded", "{:?}", record.brief.error);
    assert!(w.containers(&stack).await.is_empty());
    w.stacks.delete(&stack).await.expect("delete");
    assert!(
        !w.dir
            .path()
            .join("stacks")
            .join(w.workspace.as_str())
            .join(&stack.name)
            .exists()
    );
}

#[tokio::test]
async fn the_policy_refuses_with_the_line_and_nothing_is_created() {
    let mut w = world().await;
    let stack = w
        .stack(
            "policy",
            "services:\n  web:\n    image: IMAGE\n    privileged: true\n",
        )
        .await;
    let policy = engine::model::resources::SecurityPolicy::default();
    let Err(StackError::Diagnostics(diags)) = w
        .stacks
        .start(
            &stack,
            Operation::Deploy,
            &OperationRequest::default(),
            Some(&policy),
            "member",
        )
        .await
    else {
        panic!("a privileged service must be refused");
    };
    let d = diags.iter().find(|d| d.is_error()).expect("an error");
    assert_eq!(
        (d.line, d.path.as_str()),
        (4, "services.web.privileged"),
        "{d}"
    );
    assert!(w.containers(&stack).await.is_empty());
}

#[tokio::test]
async fn a_service_to_build_is_refused_with_its_line() {
    let mut w = world().await;
    let stack = w
        .stack("build", "services:\n  web:\n    build: ./app\n")
        .await;
    let Err(StackError::Diagnostics(diags)) = w
        .stacks
        .start(
            &stack,
            Operation::Deploy,
            &OperationRequest::default(),
            None,
            "admin",
        )
        .await
    else {
        panic!("a service without an image must be refused");
    };
    let d = diags.iter().find(|d| d.is_error()).expect("an error");
    assert_eq!((d.line, d.path.as_str()), (3, "services.web.build"), "{d}");
    assert!(d.message.contains("does not build"), "{d}");
}

#[tokio::test]
async fn a_failed_pull_names_the_image_and_leaves_nothing_behind() {
    let mut w = world().await;
    let compose = "services:\n  web:\n    image: 127.0.0.1:9/orbitr-missing:1\n    networks: [front]\n    volumes: [data:/data]\nnetworks:\n  front: {}\nvolumes:\n  data: {}\n";
    let stack = w.stack("pull", compose).await;
    let record = w
        .run_op(&stack, Operation::Deploy, OperationRequest::default())
        .await;
    assert_eq!(record.brief.status, "failed");
    let error = record.brief.error.expect("error");
    assert!(
        error.contains("127.0.0.1:9/orbitr-missing:1") && error.contains("from 127.0.0.1:9"),
        "{error}"
    );
    let observed = w
        .docker
        .observe_project(&stack.name)
        .await
        .expect("observe");
    assert!(observed.containers.is_empty());
    assert!(!observed.networks.contains(&format!("{}_front", stack.name)));
    assert!(!observed.volumes.contains(&format!("{}_data", stack.name)));
}

#[tokio::test]
async fn a_deploy_cut_off_from_the_engine_fails_with_the_reason_and_the_next_one_converges() {
    let proxy_dir = tempfile::tempdir().expect("dir");
    let mut proxy = SocketProxy::new(proxy_dir.path().join("docker.sock"));
    proxy.start().expect("proxy");
    let mut w = world_with(Some(proxy.docker_host())).await;
    // db never becomes healthy, so the deploy is still waiting when the connection goes.
    let slow = "services:\n  db:\n    image: IMAGE\n    healthcheck:\n      test: [CMD, test, -e, /tmp/ready]\n      interval: 1s\n  web:\n    image: IMAGE\n    depends_on:\n      db: {condition: service_healthy}\n";
    let stack = w.stack("cut", slow).await;
    let mut events = w.stacks.subscribe();
    let running = w
        .begin(&stack, Operation::Deploy, &OperationRequest::default())
        .await;
    until_phase(&mut events, &stack, DeployPhase::Waiting).await;
    proxy.stop();
    let record = running.done.await.expect("finished");
    assert_eq!(record.brief.status, "failed");
    let error = record.brief.error.expect("error");
    eprintln!("deploy cut off: {error}");
    assert!(error.contains("web"), "{error}");

    proxy.start().expect("proxy again");
    let mut status = w.docker.subscribe();
    tokio::time::timeout(
        Duration::from_secs(10),
        status.wait_for(|s| s.state == engine::model::system::EngineState::Connected),
    )
    .await
    .expect("reconnected")
    .expect("status");
    w.save(
        &stack,
        &slow.replace("test: [CMD, test, -e, /tmp/ready]", "test: [CMD, \"true\"]"),
    )
    .await;
    w.deploy(&stack).await;
    let containers = w.containers(&stack).await;
    assert_eq!(
        containers.len(),
        2,
        "one container per service: {containers:?}"
    );
    assert!(containers.values().all(|(_, running)| *running));
}

#[tokio::test]
async fn a_crash_mid_deploy_is_recovered_from_the_labels() {
    let mut w = world().await;
    let stack = w.stack("crash", TWO).await;
    w.deploy(&stack).await;
    // What a kill between "create new" and "remove old" leaves: two containers claim web #1.
    let before = w.containers(&stack).await;
    let web = w
        .docker
        .inspect_container(&before[&("web".into(), 1)].0)
        .await
        .expect("inspect");
    let body = bollard::models::ContainerCreateBody {
        image: Some(w.image.clone()),
        labels: Some(web.labels.clone().into_iter().collect()),
        ..Default::default()
    };
    w.run
        .docker()
        .create_container(
            Some(bollard::query_parameters::CreateContainerOptions {
                name: Some(format!("{}-web-1-half", stack.name)),
                ..Default::default()
            }),
            body,
        )
        .await
        .expect("duplicate");
    assert_eq!(w.stacks.recover().await.expect("recover"), 0);
    let record = w.deploy(&stack).await;
    assert!(
        record
            .events
            .iter()
            .any(|e| e.message.contains("(duplicate)")),
        "{:#?}",
        record.events
    );
    assert_eq!(w.containers(&stack).await.len(), 2);
}

fn compose_cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new("docker-compose")
        .args(args)
        .output()
        .expect("docker-compose runs (Debian package docker-compose)")
}

#[tokio::test]
async fn the_compose_cli_sees_orbitr_stacks_and_orbitr_takes_over_cli_projects() {
    let mut w = world().await;
    let stack = w.stack("cli", TWO).await;
    w.deploy(&stack).await;
    let file = w
        .dir
        .path()
        .join("stacks")
        .join(w.workspace.as_str())
        .join(&stack.name)
        .join("compose.yaml");
    let file = file.to_string_lossy().into_owned();
    let out = compose_cli(&["-p", &stack.name, "-f", &file, "ps", "-q"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let ours: Vec<String> = w
        .containers(&stack)
        .await
        .into_values()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(
        ids.iter().all(|id| ours.contains(id)),
        "{ids:?} vs {ours:?}"
    );
    let out = compose_cli(&["-p", &stack.name, "-f", &file, "down"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(w.containers(&stack).await.is_empty());

    // The other way: the CLI starts the project, Orbitr's deploy converges without duplicates.
    let out = compose_cli(&["-p", &stack.name, "-f", &file, "up", "-d"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(w.containers(&stack).await.len(), 2);
    w.deploy(&stack).await;
    let after = w.containers(&stack).await;
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.values().all(|(_, running)| *running));
}

#[tokio::test]
async fn a_project_started_with_the_cli_is_listed_and_adopted_with_its_recorded_file() {
    let mut w = world().await;
    let name = w.name("adopt");
    let folder = tempfile::tempdir().expect("dir");
    let file = folder.path().join("compose.yaml");
    std::fs::write(&file, TWO.replace("IMAGE", &w.image)).expect("write");
    std::fs::write(folder.path().join(".env"), "GREETING=hello\n").expect("env");
    let file = file.to_string_lossy().into_owned();
    let out = compose_cli(&["-p", &name, "-f", &file, "up", "-d"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let listed = w.stacks.unmanaged().await.expect("unmanaged");
    let project = listed.iter().find(|p| p.name == name).expect("listed");
    assert_eq!(project.services, ["db", "web"]);
    assert_eq!((project.running, project.containers), (2, 2));
    assert_eq!(project.config_files.as_deref(), Some(file.as_str()));

    // The containers are unmanaged until adopted; then the workspace sees them at once.
    let adoptions = engine::tenancy::adoptions::Adoptions::new(w.db.clone());
    let stack = w
        .stacks
        .adopt(&adoptions, &w.workspace, &name, None, "admin")
        .await
        .expect("adopt");
    assert!(
        w.stacks
            .unmanaged()
            .await
            .expect("unmanaged")
            .iter()
            .all(|p| p.name != name)
    );
    let (compose, env) = w.stacks.files(&stack).await.expect("files");
    assert!(compose.contains("depends_on: [db]"));
    assert_eq!(env, "GREETING=hello\n");
    for c in w
        .docker
        .observe_project(&name)
        .await
        .expect("observe")
        .containers
    {
        let view = w
            .docker
            .refresh_container(&c.id)
            .await
            .expect("refresh")
            .expect("exists");
        assert_eq!(
            view.workspace.as_deref(),
            Some(w.workspace.as_str()),
            "{}",
            c.name
        );
    }

    // The first deploy replaces the CLI's containers with Orbitr's, without duplicates.
    w.deploy(&stack).await;
    let after = w.containers(&stack).await;
    assert_eq!(after.len(), 2, "{after:?}");
    for (id, _) in after.values() {
        let detail = w.docker.inspect_container(id).await.expect("inspect");
        assert_eq!(
            detail
                .labels
                .get("dev.orbitr.workspace")
                .map(String::as_str),
            Some(w.workspace.as_str())
        );
    }
}
