//! The live websockets keep to the same rules as every other request: a page of another origin
//! cannot open one with the user's cookie, and an open socket ends, with a close frame saying
//! why, within a second of sign-out, token revocation or removal from the workspace. A refusal
//! on the logs socket names what was asked, never another workspace's container ids.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use testkit::docker::TestRun;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::containers::{Socket, team};
use crate::feeds::started;
use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, spawn_app};

/// Signs in as `email` with a client that keeps no cookies; the session cookie.
async fn session_cookie(app: &TestApp, email: &str, password: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = app.login(&client, email, password).await;
    assert_eq!(response.status(), 200);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).to_owned())
        .collect::<Vec<_>>()
        .join("; ");
    assert!(!cookie.is_empty(), "no session cookie");
    cookie
}

/// Opens `path` with a cookie (and `origin`) or a token.
async fn open(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    token: Option<&str>,
    origin: Option<&str>,
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("{}{path}", app.address.replace("http", "ws"))
        .into_client_request()
        .expect("request");
    let headers = request.headers_mut();
    if let Some(cookie) = cookie {
        headers.insert("cookie", cookie.parse().expect("header"));
    }
    if let Some(token) = token {
        headers.insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
    }
    if let Some(origin) = origin {
        headers.insert("origin", origin.parse().expect("header"));
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(s, _)| s)
}

/// A read token of `user`.
async fn read_token(app: &TestApp, user: &engine::identity::accounts::User) -> String {
    app.state
        .tokens
        .create(
            &user.id,
            "logs",
            engine::identity::tokens::Scope::Read,
            None,
            None,
        )
        .await
        .expect("token")
        .1
}

/// Reads until the server closes the socket; the close reason and how long it took.
async fn closed_within(socket: &mut Socket, limit: Duration) -> (String, Duration) {
    let started = Instant::now();
    loop {
        let next = tokio::time::timeout(limit.saturating_sub(started.elapsed()), socket.next())
            .await
            .unwrap_or_else(|_| panic!("the socket still open after {limit:?}"));
        match next {
            Some(Ok(Message::Close(frame))) => {
                return (
                    frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                    started.elapsed(),
                );
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return (String::new(), started.elapsed()),
        }
    }
}

#[tokio::test]
async fn a_websocket_opened_from_another_origin_is_refused() {
    let app = spawn_app().await;
    let cookie = session_cookie(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for path in ["/api/v1/events", "/api/v1/logs", "/api/v1/stats"] {
        let refused = open(&app, path, Some(&cookie), None, Some("http://127.0.0.1:1")).await;
        match refused {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 403, "{path}");
            }
            other => panic!(
                "{path}: a foreign origin was not refused: {:?}",
                other.is_ok()
            ),
        }
        // Without any origin, a cookie is not enough either (browsers always send one).
        assert!(
            open(&app, path, Some(&cookie), None, None).await.is_err(),
            "{path}"
        );
    }
    let mut own = open(
        &app,
        "/api/v1/events",
        Some(&cookie),
        None,
        Some(&app.address),
    )
    .await
    .expect("Orbitr's own page may open it");
    let first = tokio::time::timeout(Duration::from_secs(3), own.next())
        .await
        .expect("a first push")
        .expect("open")
        .expect("frame");
    assert!(matches!(first, Message::Text(_)), "{first:?}");
}

#[tokio::test]
async fn the_events_socket_closes_within_a_second_of_sign_out() {
    let app = spawn_app().await;
    let cookie = session_cookie(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut socket = open(
        &app,
        "/api/v1/events",
        Some(&cookie),
        None,
        Some(&app.address),
    )
    .await
    .expect("socket");
    let signed_out = reqwest::Client::new()
        .post(app.url("/api/logout"))
        .header("origin", &app.address)
        .header("cookie", &cookie)
        .send()
        .await
        .expect("logout");
    assert_eq!(signed_out.status(), 200);
    let (reason, took) = closed_within(&mut socket, Duration::from_secs(1)).await;
    eprintln!("closed {took:?} after sign-out: {reason}");
    assert_eq!(reason, "signed out");
}

#[tokio::test]
async fn a_token_socket_closes_within_a_second_of_revocation() {
    let app = spawn_app().await;
    let admin = app
        .state
        .accounts
        .find_by_email(ADMIN_EMAIL)
        .await
        .expect("lookup")
        .expect("admin");
    let (info, secret) = app
        .state
        .tokens
        .create(
            &admin.id,
            "live",
            engine::identity::tokens::Scope::Read,
            None,
            None,
        )
        .await
        .expect("token");
    let mut socket = open(&app, "/api/v1/events", None, Some(&secret), None)
        .await
        .expect("socket");
    assert!(
        app.state
            .tokens
            .revoke(&admin.id, &info.id)
            .await
            .expect("revoke")
    );
    let (reason, took) = closed_within(&mut socket, Duration::from_secs(1)).await;
    eprintln!("closed {took:?} after revocation: {reason}");
    assert!(reason.contains("revoked"), "{reason}");
}

#[tokio::test]
async fn a_logs_socket_closes_within_a_second_of_removal_from_the_workspace() {
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let id = started(
        &app,
        &run,
        "talker",
        &team.ws,
        None,
        "echo hello; exec sleep 600",
    )
    .await;
    let token = read_token(&app, &team.viewer.0).await;
    let mut socket = open(&app, "/api/v1/logs", None, Some(&token), None)
        .await
        .expect("socket");
    socket
        .send(Message::Text(
            json!({ "containers": [id] }).to_string().into(),
        ))
        .await
        .expect("subscribe");
    // Joined: the viewer reads the log.
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a frame")
            .expect("open")
            .expect("frame");
        if let Message::Text(text) = frame {
            let v: Value = serde_json::from_str(&text).expect("JSON");
            if v["type"] == "joined" {
                break;
            }
            assert_ne!(v["type"], "refused", "{v}");
        }
    }
    let removed = app
        .post_form(
            &app.client,
            "/api/remove_member",
            &[("workspace", &team.ws), ("user_id", &team.viewer.0.id)],
        )
        .await;
    assert_eq!(removed.status(), 200);
    let (reason, took) = closed_within(&mut socket, Duration::from_secs(1)).await;
    eprintln!("closed {took:?} after removal: {reason}");
    assert!(!reason.is_empty(), "closed without a reason");
}

#[tokio::test]
async fn a_refused_stack_on_the_logs_socket_names_the_stack_not_its_containers() {
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let team = team(&app).await;
    // A container of another workspace's stack.
    let stack = format!("{}-theirs", run.id());
    let id = started(
        &app,
        &run,
        "theirs",
        &team.other_ws,
        Some(&stack),
        "exec sleep 600",
    )
    .await;
    let token = read_token(&app, &team.operator.0).await;
    let mut socket = open(&app, "/api/v1/logs", None, Some(&token), None)
        .await
        .expect("socket");
    socket
        .send(Message::Text(
            json!({ "stack": stack, "follow": false })
                .to_string()
                .into(),
        ))
        .await
        .expect("subscribe");
    let mut frames = Vec::new();
    while let Ok(Some(Ok(frame))) =
        tokio::time::timeout(Duration::from_secs(3), socket.next()).await
    {
        match frame {
            Message::Text(text) => frames.push(text.to_string()),
            Message::Close(_) => break,
            _ => {}
        }
    }
    let all = frames.join("\n");
    assert!(all.contains("\"refused\""), "{all}");
    assert!(
        !all.contains(&id[..12]),
        "a refusal named their container: {all}"
    );
}
