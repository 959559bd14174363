//! The live container state against the real engine: containers made, changed and removed from
//! outside Orbitr show up by themselves from the event stream, and after the engine was cut off
//! a full read brings in what changed meanwhile. Every container carries the run label.

use std::time::{Duration, Instant};

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{CreateContainerOptions, RemoveContainerOptions};
use engine::docker::DockerEngine;
use engine::model::resources::{ContainerChange, ContainerView};
use testkit::docker::TestRun;
use testkit::proxy::SocketProxy;

async fn create(run: &TestRun, name: &str, workspace: Option<&str>) -> String {
    let mut labels = run.labels();
    if let Some(ws) = workspace {
        labels.insert(engine::docker::WORKSPACE_LABEL.into(), ws.into());
    }
    run.docker()
        .create_container(
            Some(CreateContainerOptions {
                name: Some(run.name(name)),
                ..Default::default()
            }),
            ContainerCreateBody {
                image: Some(run.fixture_image().await.expect("fixture image")),
                labels: Some(labels),
                ..Default::default()
            },
        )
        .await
        .expect("create")
        .id
}

/// Waits until the live view of `id` satisfies `ok` (`None`: it is gone).
async fn until(
    engine: &DockerEngine,
    id: &str,
    limit: Duration,
    what: &str,
    ok: impl Fn(Option<&ContainerView>) -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        if ok(engine.containers().find(id).as_ref()) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "{what}: not seen within {limit:?}; now {:?}",
            engine.containers().find(id)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn changes_made_outside_orbitr_reach_the_live_state_by_themselves() {
    let run = TestRun::new().expect("docker");
    let engine = DockerEngine::new(None);
    let _monitor = engine.spawn_monitor();
    let mut syncs = engine.containers().subscribe_syncs();
    syncs.wait_for(|n| *n > 0).await.expect("first full read");
    assert!(!engine.containers().is_stale());
    let mut changes = engine.containers().subscribe();

    let id = create(&run, "outside", Some("ws-a")).await;
    let took = until(&engine, &id, Duration::from_secs(2), "created", |c| {
        c.is_some_and(|c| c.state == "created")
    })
    .await;
    eprintln!("a container created outside appeared after {took:?}");
    let view = engine.containers().find(&id).expect("known");
    assert_eq!(view.workspace.as_deref(), Some("ws-a"));
    assert_eq!(view.name, run.name("outside"));

    run.docker()
        .start_container(&id, None)
        .await
        .expect("start");
    until(&engine, &id, Duration::from_secs(2), "running", |c| {
        c.is_some_and(|c| c.state == "running" && c.started_at.is_some())
    })
    .await;
    run.docker().stop_container(&id, None).await.expect("stop");
    until(&engine, &id, Duration::from_secs(2), "exited", |c| {
        c.is_some_and(|c| c.state == "exited" && c.exit_code.is_some())
    })
    .await;
    run.docker()
        .remove_container(&id, None::<RemoveContainerOptions>)
        .await
        .expect("remove");
    until(&engine, &id, Duration::from_secs(2), "removed", |c| {
        c.is_none()
    })
    .await;

    // The broadcast told the same story, in order.
    let mut story = Vec::new();
    while let Ok(change) = changes.try_recv() {
        match change {
            ContainerChange::Updated { container }
                if container.id == id && story.last() != Some(&container.state) =>
            {
                story.push(container.state);
            }
            ContainerChange::Removed { id: gone, .. } if gone == id => story.push("removed".into()),
            _ => {}
        }
    }
    // `removing`, and `dead` on a busy engine, are real, brief states a read may catch during
    // the removal.
    story.retain(|s| s != "removing" && s != "dead");
    assert_eq!(story, ["created", "running", "exited", "removed"]);
}

#[tokio::test]
async fn after_a_cut_the_state_is_stale_then_catches_up_within_2_s() {
    let run = TestRun::new().expect("docker");
    let dir = tempfile::tempdir().expect("dir");
    let mut proxy = SocketProxy::new(dir.path().join("docker.sock"));
    proxy.start().expect("proxy");
    let engine = DockerEngine::new(Some(&proxy.docker_host()));
    let _monitor = engine.spawn_monitor();
    let kept = create(&run, "kept", None).await;
    let doomed = create(&run, "doomed", None).await;
    until(&engine, &doomed, Duration::from_secs(3), "seen", |c| {
        c.is_some()
    })
    .await;
    until(&engine, &kept, Duration::from_secs(3), "seen", |c| {
        c.is_some()
    })
    .await;

    proxy.stop();
    let started = Instant::now();
    while !engine.containers().is_stale() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the cut was not noticed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The last state is still served.
    assert!(engine.containers().find(&kept).is_some());

    // Changes while Orbitr cannot see the engine.
    run.docker()
        .remove_container(&doomed, None::<RemoveContainerOptions>)
        .await
        .expect("remove");
    run.docker()
        .start_container(&kept, None)
        .await
        .expect("start");
    let born = create(&run, "born", None).await;
    assert!(engine.containers().find(&born).is_none());

    proxy.start().expect("proxy back");
    let back = Instant::now();
    until(
        &engine,
        &born,
        Duration::from_secs(2),
        "created meanwhile",
        |c| c.is_some(),
    )
    .await;
    until(
        &engine,
        &doomed,
        Duration::from_secs(2),
        "removed meanwhile",
        |c| c.is_none(),
    )
    .await;
    until(
        &engine,
        &kept,
        Duration::from_secs(2),
        "started meanwhile",
        |c| c.is_some_and(|c| c.state == "running"),
    )
    .await;
    assert!(!engine.containers().is_stale());
    eprintln!("caught up {:?} after the engine came back", back.elapsed());
}
