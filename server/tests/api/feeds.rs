//! `GET /api/v1/logs` and `GET /api/v1/stats`: a viewer gets the tail (or the recent samples)
//! and then live items; a stack's feed takes in containers created later; containers the caller
//! may not read are refused as if they did not exist.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use testkit::docker::TestRun;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::containers::{Socket, team};
use crate::helpers::{TestApp, spawn_app, wait_for};
use engine::stacks::NewStack;

/// Starts a fixture container in workspace `ws` (and stack `stack`) running `script`.
pub async fn started(
    app: &TestApp,
    run: &TestRun,
    name: &str,
    ws: &str,
    stack: Option<&str>,
    script: &str,
) -> String {
    let mut labels = std::collections::HashMap::from([(
        engine::docker::WORKSPACE_LABEL.to_owned(),
        ws.to_owned(),
    )]);
    if let Some(stack) = stack {
        labels.insert(
            engine::model::resources::PROJECT_LABEL.to_owned(),
            stack.to_owned(),
        );
        labels.insert(
            engine::model::resources::SERVICE_LABEL.to_owned(),
            name.to_owned(),
        );
    }
    let id = run
        .start_script(name, script, labels)
        .await
        .expect("a container");
    wait_for(
        "the container in the live state",
        Duration::from_secs(3),
        || async { app.state.docker.containers().find(&id).map(drop) },
    )
    .await;
    id
}

const TALKER: &str = "echo one; echo two >&2; exec sleep 86400";

async fn open(app: &TestApp, path: &str, token: &str, request: Value) -> Socket {
    let mut upgrade = format!("{}{path}", app.address.replace("http", "ws"))
        .into_client_request()
        .expect("request");
    upgrade.headers_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    let mut socket = tokio_tungstenite::connect_async(upgrade)
        .await
        .expect("websocket")
        .0;
    socket
        .send(Message::Text(request.to_string().into()))
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

/// What a socket said besides the item we wait for.
#[derive(Default)]
struct Seen {
    refused: Vec<String>,
    joined: Vec<Value>,
    /// Every item so far (stdout and stderr lines written together may arrive in either order).
    items: Vec<Value>,
}

/// The first item, seen before or in the frames that follow, satisfying `found`.
async fn item(socket: &mut Socket, seen: &mut Seen, found: impl Fn(&Value) -> bool) -> Value {
    if let Some(hit) = seen.items.iter().find(|i| found(i)) {
        return hit.clone();
    }
    loop {
        let f = frame(socket).await;
        match f["type"].as_str() {
            Some("refused") => seen
                .refused
                .push(f["container"].as_str().unwrap_or_default().to_owned()),
            Some("joined") => seen
                .joined
                .extend(f["members"].as_array().into_iter().flatten().cloned()),
            _ => {
                let items = f["items"].as_array().cloned().unwrap_or_default();
                let hit = items.iter().find(|i| found(i)).cloned();
                seen.items.extend(items);
                if let Some(hit) = hit {
                    return hit;
                }
            }
        }
    }
}

async fn token(app: &TestApp, user: &engine::identity::accounts::User) -> String {
    app.state
        .tokens
        .create(
            &user.id,
            "feeds",
            engine::identity::tokens::Scope::Read,
            None,
            None,
        )
        .await
        .expect("token")
        .1
}

#[tokio::test]
async fn a_log_viewer_gets_the_tail_then_new_lines_and_other_workspaces_are_refused() {
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let mine = started(&app, &run, "mine", &team.ws, None, TALKER).await;
    let theirs = started(&app, &run, "theirs", &team.other_ws, None, TALKER).await;
    let viewer = token(&app, &team.viewer.0).await;
    let mut socket = open(
        &app,
        "/api/v1/logs",
        &viewer,
        json!({ "containers": [mine, theirs], "tail": 10 }),
    )
    .await;
    let mut seen = Seen::default();
    let one = item(&mut socket, &mut seen, |i| i["text"] == "one").await;
    assert_eq!(one["stream"], "stdout");
    assert_eq!(one["container"], mine);
    let two = item(&mut socket, &mut seen, |i| i["text"] == "two").await;
    assert_eq!(two["stream"], "stderr");
    assert_eq!(
        seen.refused,
        std::slice::from_ref(&theirs),
        "the other workspace's container is refused"
    );
    assert_eq!(seen.joined.len(), 1);
    assert_eq!(seen.joined[0]["name"], run.name("mine"));

    // A line written now arrives by itself.
    let written = Instant::now();
    testkit::docker::print_line(run.docker(), &mine, "fresh <b>", false)
        .await
        .expect("print");
    item(&mut socket, &mut seen, |i| i["text"] == "fresh <b>").await;
    eprintln!(
        "a new line reached the viewer {:?} after it was written",
        written.elapsed()
    );
    assert_eq!(app.state.logs.counters().upstreams, 1);

    // The outsider may not read this workspace's logs at all.
    let outsider = token(&app, &team.outsider.0).await;
    let mut other = open(
        &app,
        "/api/v1/logs",
        &outsider,
        json!({ "containers": [mine], "follow": false }),
    )
    .await;
    let f = frame(&mut other).await;
    assert_eq!(f["type"], "refused");
    assert_eq!(f["container"], mine);

    // The whole log downloads as text; the outsider gets nothing.
    let download = |token: String, query: &'static str| {
        let url = format!("{}/api/v1/containers/{mine}/logs{query}", app.address);
        async move {
            let response = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("download");
            let status = response.status().as_u16();
            let disposition = response
                .headers()
                .get("content-disposition")
                .map(|v| v.to_str().unwrap_or_default().to_owned());
            (
                status,
                disposition,
                response.text().await.unwrap_or_default(),
            )
        }
    };
    let (status, disposition, text) = download(viewer.clone(), "?timestamps=false").await;
    assert_eq!(status, 200);
    assert_eq!(
        disposition.as_deref(),
        Some(format!("attachment; filename=\"{}.log\"", run.name("mine")).as_str())
    );
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    assert_eq!(lines, ["fresh <b>", "one", "two"]);
    let (_, _, stamped) = download(viewer.clone(), "").await;
    assert!(stamped.lines().all(|l| l.starts_with("20")), "{stamped}");
    let (_, _, none) = download(viewer.clone(), "?since=4102444800000").await;
    assert_eq!(none, "", "nothing after 2100");
    let (status, _, _) = download(outsider.clone(), "").await;
    assert!(status == 403 || status == 404, "{status}");

    // Nonsense is answered, not ignored.
    let mut bad = open(&app, "/api/v1/logs", &viewer, json!({ "tail": "lots" })).await;
    let f = frame(&mut bad).await;
    assert_eq!(f["type"], "error");
    assert!(
        f["message"].as_str().unwrap_or_default().contains("tail"),
        "{f}"
    );
}

#[tokio::test]
async fn a_stack_log_feed_takes_in_containers_created_later() {
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let stack = run.name("shop");
    app.state
        .stacks
        .create(
            NewStack {
                workspace: &team.ws.as_str().into(),
                name: &stack,
                compose: "services: {}\n",
                env: "",
            },
            &team.operator.0.id,
        )
        .await
        .expect("a stack row for the containers");
    started(&app, &run, "web", &team.ws, Some(&stack), TALKER).await;
    let viewer = token(&app, &team.viewer.0).await;
    let mut socket = open(
        &app,
        "/api/v1/logs",
        &viewer,
        json!({ "stack": stack, "streams": ["stdout"] }),
    )
    .await;
    let mut seen = Seen::default();
    item(&mut socket, &mut seen, |i| i["text"] == "one").await;

    // A service started after the viewer subscribed joins the feed, with its name and service.
    let worker = started(
        &app,
        &run,
        "worker",
        &team.ws,
        Some(&stack),
        "echo working; echo oops >&2; echo still working; exec sleep 86400",
    )
    .await;
    let line = item(&mut socket, &mut seen, |i| i["text"] == "still working").await;
    assert!(
        !seen.items.iter().any(|i| i["text"] == "oops"),
        "only stdout was asked for"
    );
    assert_eq!(line["container"], worker);
    let member = seen
        .joined
        .iter()
        .find(|m| m["container"] == worker)
        .expect("the worker joined");
    assert_eq!(member["service"], "worker");
    assert!(seen.refused.is_empty());

    // The stack's logs download as one file, each line with its container's name.

    let text = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/stacks/{stack}/logs?timestamps=false",
            app.address
        ))
        .bearer_auth(&viewer)
        .send()
        .await
        .expect("download")
        .text()
        .await
        .expect("text");
    let worker_name = run.name("worker");
    assert!(
        text.lines()
            .any(|l| l == format!("{worker_name} | still working")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l == format!("{} | one", run.name("web"))),
        "{text}"
    );
}

#[tokio::test]
async fn a_stats_viewer_gets_usage_every_second_from_one_shared_stream() {
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let team = team(&app).await;
    // Busy: one CPU spinning, so the CPU figure is far from zero.
    let busy = started(&app, &run, "busy", &team.ws, None, "while :; do :; done").await;
    let theirs = started(&app, &run, "theirs", &team.other_ws, None, TALKER).await;
    let viewer = token(&app, &team.viewer.0).await;
    let request = json!({ "containers": [busy, theirs] });
    let mut first = open(&app, "/api/v1/stats", &viewer, request.clone()).await;
    let mut seen = Seen::default();
    let sample = item(&mut first, &mut seen, |s| s["cpu_percent"].is_number()).await;
    assert_eq!(sample["container"], busy);
    let cpu = sample["cpu_percent"].as_f64().unwrap_or_default();
    assert!(cpu > 20.0, "a spinning shell uses CPU: {sample}");
    assert!(
        sample["memory_bytes"].as_u64().unwrap_or_default() > 0,
        "{sample}"
    );
    assert!(sample["pids"].as_u64().unwrap_or_default() >= 1, "{sample}");
    assert_eq!(seen.refused, std::slice::from_ref(&theirs));

    // A second viewer gets the recent samples at once and shares the stream.
    let mut second = open(
        &app,
        "/api/v1/stats",
        &viewer,
        json!({ "containers": [busy] }),
    )
    .await;
    let history = item(&mut second, &mut Seen::default(), |s| {
        s["container"] == busy
    })
    .await;
    assert!(
        history["at"].as_i64() <= sample["at"].as_i64(),
        "history first"
    );
    assert_eq!(app.state.stats.counters().upstreams, 1);
    assert_eq!(app.state.stats.counters().viewers, 2);

    // The outsider is refused.
    let outsider = token(&app, &team.outsider.0).await;
    let mut other = open(
        &app,
        "/api/v1/stats",
        &outsider,
        json!({ "containers": [busy] }),
    )
    .await;
    let f = frame(&mut other).await;
    assert_eq!(f["type"], "refused");

    // A new request replaces the first: nothing but the new container's samples follow.
    let quiet = started(&app, &run, "quiet", &team.ws, None, TALKER).await;
    first
        .send(Message::Text(
            json!({ "containers": [quiet] }).to_string().into(),
        ))
        .await
        .expect("resubscribe");
    item(&mut first, &mut seen, |s| s["container"] == quiet).await;
    for _ in 0..3 {
        let f = frame(&mut first).await;
        for s in f["items"].as_array().into_iter().flatten() {
            assert_eq!(s["container"], quiet, "the old subscription ended");
        }
    }
}
