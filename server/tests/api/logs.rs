//! `GET /api/v1/logs`: a viewer's subscription gets the tail and then new lines as they are
//! written; containers the caller may not read logs of are refused as if they did not exist.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use testkit::docker::TestRun;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::containers::{Socket, team};
use crate::helpers::{spawn_app, wait_for};

async fn talker(app: &crate::helpers::TestApp, run: &TestRun, name: &str, ws: &str) -> String {
    let mut labels = run.labels();
    labels.insert(engine::docker::WORKSPACE_LABEL.to_owned(), ws.to_owned());
    let docker = run.docker();
    let id = docker
        .create_container(
            Some(bollard::query_parameters::CreateContainerOptions {
                name: Some(run.name(name)),
                ..Default::default()
            }),
            bollard::models::ContainerCreateBody {
                image: Some(run.fixture_image().await.expect("fixture image")),
                cmd: Some(vec![
                    "sh".into(),
                    "-c".into(),
                    "echo one; echo two >&2; exec sleep 86400".into(),
                ]),
                labels: Some(labels),
                ..Default::default()
            },
        )
        .await
        .expect("create")
        .id;
    docker.start_container(&id, None).await.expect("start");
    wait_for(
        "the container in the live state",
        Duration::from_secs(3),
        || async { app.state.docker.containers().find(&id).map(drop) },
    )
    .await;
    id
}

async fn logs_socket(app: &crate::helpers::TestApp, token: &str, subscription: Value) -> Socket {
    let mut request = format!("{}/api/v1/logs", app.address.replace("http", "ws"))
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    let mut socket = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket")
        .0;
    socket
        .send(Message::Text(subscription.to_string().into()))
        .await
        .expect("subscribe");
    socket
}

async fn frame(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame within 10 s")
            .expect("open")
            .expect("frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).expect("JSON");
        }
    }
}

/// Frames until one has a line with `text`; the line.
async fn line(socket: &mut Socket, text: &str, refused: &mut Vec<String>) -> Value {
    loop {
        let f = frame(socket).await;
        if f["type"] == "refused" {
            refused.push(f["container"].as_str().unwrap_or_default().to_owned());
            continue;
        }
        if let Some(found) = f["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|i| i["text"] == text)
        {
            return found.clone();
        }
    }
}

#[tokio::test]
async fn a_viewer_gets_the_tail_then_new_lines_and_other_workspaces_are_refused() {
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let mine = talker(&app, &run, "mine", &team.ws).await;
    let theirs = talker(&app, &run, "theirs", &team.other_ws).await;
    let (_, token) = app
        .state
        .tokens
        .create(
            &team.viewer.0.id,
            "logs",
            engine::tokens::Scope::Read,
            None,
            None,
        )
        .await
        .expect("token");
    let mut socket = logs_socket(
        &app,
        &token,
        json!({ "containers": [mine, theirs], "tail": 10 }),
    )
    .await;
    let mut refused = Vec::new();
    let one = line(&mut socket, "one", &mut refused).await;
    assert_eq!(one["stream"], "stdout");
    assert_eq!(one["container"], mine);
    let two = line(&mut socket, "two", &mut refused).await;
    assert_eq!(two["stream"], "stderr");
    assert_eq!(
        refused,
        std::slice::from_ref(&theirs),
        "the other workspace's container is refused"
    );

    // A line written now arrives by itself.
    let written = Instant::now();
    let exec = run
        .docker()
        .create_exec(
            &mine,
            bollard::models::ExecConfig {
                cmd: Some(vec![
                    "sh".into(),
                    "-c".into(),
                    "echo fresh > /proc/1/fd/1".into(),
                ]),
                ..Default::default()
            },
        )
        .await
        .expect("exec");
    run.docker()
        .start_exec(&exec.id, None)
        .await
        .expect("run exec");
    line(&mut socket, "fresh", &mut refused).await;
    eprintln!(
        "a new line reached the viewer {:?} after it was written",
        written.elapsed()
    );
    assert_eq!(app.state.logs.counters().upstreams, 1);

    // The outsider may not read this workspace's logs at all.
    let (_, outsider_token) = app
        .state
        .tokens
        .create(
            &team.outsider.0.id,
            "logs",
            engine::tokens::Scope::Read,
            None,
            None,
        )
        .await
        .expect("token");
    let mut other = logs_socket(
        &app,
        &outsider_token,
        json!({ "containers": [mine], "follow": false }),
    )
    .await;
    let f = frame(&mut other).await;
    assert_eq!(f["type"], "refused");
    assert_eq!(f["container"], mine);
}
