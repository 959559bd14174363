use std::time::Duration;

use testkit::proxy::SocketProxy;

use crate::helpers::{spawn_app_with, wait_for};

#[tokio::test]
async fn an_unreachable_engine_gives_503_json_and_a_page_that_says_which_socket() {
    let dir = tempfile::tempdir().expect("dir");
    let host = format!("unix://{}/missing.sock", dir.path().display());
    let app = spawn_app_with(|s| s.docker_host = Some(host.clone())).await;

    let (status, body) = app.get_json("/api/v1/system").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "docker_unavailable");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("missing.sock"), "{message}");
    assert!(
        body["error"]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("DOCKER_HOST")),
        "{body}"
    );

    let (status, ready) = app.get_json("/readyz").await;
    assert_eq!(status, 503);
    assert_eq!(ready["docker"]["state"], "unreachable");
    assert_eq!(ready["database"]["ok"], true);

    let page = app.get("/").await;
    assert_eq!(page.status(), 200, "the dashboard still renders");
    let html = page.text().await.expect("body");
    assert!(html.contains("Docker engine unreachable"), "{html}");
    assert!(html.contains("missing.sock"), "{html}");
}

#[tokio::test]
async fn orbitr_reconnects_within_2_s_when_the_engine_comes_back() {
    let dir = tempfile::tempdir().expect("dir");
    let mut proxy = SocketProxy::new(dir.path().join("docker.sock"));
    let app = spawn_app_with(|s| s.docker_host = Some(proxy.docker_host())).await;
    let (status, _) = app.get_json("/api/v1/system").await;
    assert_eq!(status, 503, "the engine is cut off at start");

    proxy.start().expect("proxy");
    let ((), took) = wait_for(
        "the engine to be reachable again",
        Duration::from_secs(2),
        || async { (app.get_json("/api/v1/system").await.0 == 200).then_some(()) },
    )
    .await;
    eprintln!("reconnected {took:?} after the engine came back");

    // Cut it while connected: noticed, then recovered again without a restart.
    proxy.stop();
    wait_for(
        "the engine loss to be noticed",
        Duration::from_secs(5),
        || async { (app.get_json("/readyz").await.0 == 503).then_some(()) },
    )
    .await;
    proxy.start().expect("proxy");
    let ((), took) = wait_for(
        "the second reconnection",
        Duration::from_secs(2),
        || async { (app.get_json("/readyz").await.0 == 200).then_some(()) },
    )
    .await;
    eprintln!("reconnected again {took:?} after the engine came back");
}
