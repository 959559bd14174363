//! The engine connection against the real Docker engine, with fixture containers that carry a
//! run label and are removed by it.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{CreateContainerOptions, ListContainersOptions};
use engine::docker::DockerEngine;
use testkit::docker::TestRun;

async fn create_fixture_container(run: &TestRun, name: &str) -> String {
    let image = run.fixture_image().await.expect("fixture image");
    let body = ContainerCreateBody {
        image: Some(image),
        labels: Some(run.labels()),
        ..Default::default()
    };
    let options = CreateContainerOptions {
        name: Some(run.name(name)),
        ..Default::default()
    };
    run.docker()
        .create_container(Some(options), body)
        .await
        .expect("create")
        .id
}

async fn labelled(run: &TestRun) -> usize {
    let filters = HashMap::from([("label".to_owned(), vec![run.label_filter()])]);
    run.docker()
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .expect("list")
        .len()
}

#[tokio::test]
async fn the_fixture_image_runs_busybox() {
    let run = TestRun::new().expect("docker");
    let image = run.fixture_image().await.expect("fixture image");
    assert!(image.starts_with("orbitr-fixture:"), "{image}");
    let again = run.fixture_image().await.expect("cached");
    assert_eq!(image, again, "the tag is a content hash");
    let inspect = run.docker().inspect_image(&image).await.expect("inspect");
    assert_eq!(
        inspect.config.and_then(|c| c.cmd),
        Some(vec!["sleep".to_owned(), "86400".to_owned()])
    );
}

#[tokio::test]
async fn test_objects_are_removed_by_label_even_when_the_test_panics() {
    let run = TestRun::new().expect("docker");
    let probe = TestRun::new().expect("docker");
    let id = run.id().to_owned();
    create_fixture_container(&run, "doomed").await;
    assert_eq!(labelled(&run).await, 1);

    // The test body panics while holding the run; its Drop still cleans up.
    let outcome = tokio::task::spawn_blocking(move || {
        let _owned = run;
        panic!("simulated test failure");
    })
    .await;
    assert!(outcome.is_err(), "the body panicked");

    let filters = HashMap::from([(
        "label".to_owned(),
        vec![format!("{}={id}", testkit::docker::RUN_LABEL)],
    )]);
    let left = probe
        .docker()
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .expect("list");
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test]
async fn engine_info_matches_what_docker_reports() {
    let run = TestRun::new().expect("docker");
    let engine = DockerEngine::new(None);
    assert!(engine.connect().await, "{:?}", engine.status());
    let ours = engine.engine_info().await.expect("info");
    let theirs = run.docker().info().await.expect("docker info");
    assert_eq!(Some(ours.cpus), theirs.ncpu);
    assert_eq!(Some(ours.memory_bytes), theirs.mem_total);
    assert_eq!(Some(ours.kernel_version), theirs.kernel_version);
    assert!(!ours.api_version.is_empty());
}

#[tokio::test]
async fn the_system_snapshot_follows_container_changes_from_engine_events() {
    let run = TestRun::new().expect("docker");
    let image = run.fixture_image().await.expect("image");
    let engine = DockerEngine::new(None);
    let _monitor = engine.spawn_monitor();
    let mut updates = engine.subscribe_system();
    tokio::time::timeout(Duration::from_secs(5), updates.wait_for(Option::is_some))
        .await
        .expect("first snapshot in time")
        .expect("channel open");

    let before = engine
        .system_snapshot()
        .expect("snapshot")
        .engine
        .containers
        .total;
    let body = ContainerCreateBody {
        image: Some(image),
        labels: Some(run.labels()),
        ..Default::default()
    };
    run.docker()
        .create_container(
            Some(CreateContainerOptions {
                name: Some(run.name("watched")),
                ..Default::default()
            }),
            body,
        )
        .await
        .expect("create");

    // Other tests create containers too: wait for a snapshot that counts at least ours.
    let seen = tokio::time::timeout(
        Duration::from_secs(5),
        updates.wait_for(|s| {
            s.as_ref()
                .is_some_and(|s| s.engine.containers.total > before)
        }),
    )
    .await;
    assert!(
        seen.is_ok(),
        "no snapshot with the new container within 5 s"
    );
}

#[tokio::test]
async fn an_unreachable_engine_is_reported_with_its_address() {
    let engine = DockerEngine::new(Some("unix:///nonexistent/docker.sock"));
    assert!(!engine.connect().await);
    let status = engine.status();
    assert_eq!(
        status.state,
        engine::model::system::EngineState::Unreachable
    );
    assert!(
        status
            .error
            .as_deref()
            .is_some_and(|e| e.contains("/nonexistent/docker.sock")),
        "{status:?}"
    );
    let err = engine
        .system_info()
        .await
        .expect_err("no engine")
        .to_string();
    assert!(err.contains("unix:///nonexistent/docker.sock"), "{err}");
}
