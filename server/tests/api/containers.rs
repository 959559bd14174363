//! Containers over HTTP against the real engine: every action, refusals by role, by ownership
//! and by the workspace security policy, pushes on the live websocket filtered per viewer, and
//! the engine cut off mid-way. Every container carries the test run's label.

use std::time::Duration;

use engine::identity::accounts::{NewUser, User};
use engine::tenancy::access::Role;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use testkit::docker::{RUN_LABEL, TestRun};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{TestApp, new_client, spawn_app, spawn_app_with, wait_for};

const PASSWORD: &str = "container orbit kettle winter";

/// A workspace with an operator and a viewer (each signed in), and an outsider.
pub struct Team {
    pub ws: String,
    pub other_ws: String,
    pub operator: (User, reqwest::Client),
    pub viewer: (User, reqwest::Client),
    pub outsider: (User, reqwest::Client),
}

async fn person(app: &TestApp, email: &str) -> (User, reqwest::Client) {
    let user = app
        .state
        .accounts
        .create(NewUser {
            email,
            name: "Container Person",
            password: PASSWORD,
            is_admin: false,
        })
        .await
        .expect("user");
    let client = new_client();
    assert_eq!(app.login(&client, email, PASSWORD).await.status(), 200);
    (user, client)
}

pub async fn team(app: &TestApp) -> Team {
    let admin = app
        .state
        .accounts
        .find_by_email(crate::helpers::ADMIN_EMAIL)
        .await
        .expect("lookup")
        .expect("admin");
    let ws = app
        .state
        .workspaces
        .create("Containers", &admin)
        .await
        .expect("workspace")
        .id;
    let other_ws = app
        .state
        .workspaces
        .create("Elsewhere", &admin)
        .await
        .expect("workspace")
        .id;
    let operator = person(app, "operator@containers.test").await;
    let viewer = person(app, "viewer@containers.test").await;
    let outsider = person(app, "outsider@containers.test").await;
    for (user, role, workspace) in [
        (&operator.0, Role::Operator, &ws),
        (&viewer.0, Role::Viewer, &ws),
        (&outsider.0, Role::Owner, &other_ws),
    ] {
        let (_, code) = app
            .state
            .workspaces
            .invite(workspace, role, None, 1, &admin.id)
            .await
            .expect("invite");
        app.state
            .workspaces
            .accept(&code, user)
            .await
            .expect("accept");
    }
    Team {
        ws: ws.into(),
        other_ws: other_ws.into(),
        operator,
        viewer,
        outsider,
    }
}

/// A stopped fixture container (owned by `ws`, or unmanaged), once Orbitr's live state has it.
pub async fn outside_container(
    app: &TestApp,
    run: &TestRun,
    name: &str,
    ws: Option<&str>,
) -> String {
    let mut labels = run.labels();
    if let Some(ws) = ws {
        labels.insert(engine::docker::WORKSPACE_LABEL.to_owned(), ws.to_owned());
    }
    let id = run
        .docker()
        .create_container(
            Some(bollard::query_parameters::CreateContainerOptions {
                name: Some(run.name(name)),
                ..Default::default()
            }),
            bollard::models::ContainerCreateBody {
                image: Some(run.fixture_image().await.expect("fixture image")),
                labels: Some(labels),
                ..Default::default()
            },
        )
        .await
        .expect("create")
        .id;
    wait_for(
        "the container in the live state",
        Duration::from_secs(3),
        || async { app.state.docker.containers().find(&id).map(drop) },
    )
    .await;
    id
}

pub async fn call(
    app: &TestApp,
    client: &reqwest::Client,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client
        .request(method, app.url(path))
        .header("origin", &app.address);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn spec(run: &TestRun, name: &str, extra: Value) -> Value {
    let mut spec = json!({
        "image": testkit::docker::FIXTURE_REPO,
        "name": run.name(name),
        "labels": [format!("{RUN_LABEL}={}", run.id())],
        "start": true,
    });
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            spec.insert(k.clone(), v.clone());
        }
    }
    spec
}

/// The fixture image's full tag, for specs.
async fn with_image(run: &TestRun, mut spec: Value) -> Value {
    spec["image"] = json!(run.fixture_image().await.expect("fixture image"));
    spec
}

async fn audit_actions(app: &TestApp, prefix: &str) -> Vec<(String, String)> {
    app.state
        .audit
        .recent(500)
        .await
        .expect("audit")
        .into_iter()
        .filter(|r| r.action.starts_with(prefix))
        .map(|r| (r.action, r.result))
        .collect()
}

#[tokio::test]
async fn an_operator_runs_every_action_and_each_is_audited() {
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let op = &team.operator.1;
    use reqwest::Method;

    let body = with_image(
        &run,
        spec(&run, "web", json!({"env": ["DB_PASSWORD=hunter2"]})),
    )
    .await;
    let (status, created) = call(
        &app,
        op,
        Method::POST,
        &format!("/api/v1/workspaces/{}/containers", team.ws),
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["state"], "running");
    assert_eq!(created["workspace"], team.ws.as_str());
    let id = created["id"].as_str().expect("id").to_owned();

    let (status, detail) = call(
        &app,
        op,
        Method::GET,
        &format!("/api/v1/containers/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{detail}");
    let env: Vec<&str> = detail["env"]
        .as_array()
        .expect("env")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(env.contains(&"DB_PASSWORD=••••••"), "{env:?}");
    assert!(
        !detail.to_string().contains("hunter2"),
        "the secret never leaves"
    );

    for (action, state) in [
        ("stop", "exited"),
        ("start", "running"),
        ("restart", "running"),
        ("pause", "paused"),
        ("unpause", "running"),
        ("kill", "exited"),
    ] {
        let (status, view) = call(
            &app,
            op,
            Method::POST,
            &format!("/api/v1/containers/{id}/{action}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{action}: {view}");
        assert_eq!(view["state"], state, "{action}");
    }
    // The same through the page's server function.
    let response = app
        .post_form(
            op,
            "/api/container_action",
            &[("id", &id), ("action", "start")],
        )
        .await;
    assert_eq!(response.status(), 200);
    let (status, refused) = call(
        &app,
        op,
        Method::POST,
        &format!("/api/v1/containers/{id}/explode"),
        None,
    )
    .await;
    assert_eq!(status, 400, "{refused}");

    let new_name = run.name("renamed");
    let (status, _) = call(
        &app,
        op,
        Method::PUT,
        &format!("/api/v1/containers/{id}/name"),
        Some(json!({ "name": new_name })),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        app.state.docker.containers().find(&id).map(|c| c.name),
        Some(new_name.clone())
    );
    let (status, bad) = call(
        &app,
        op,
        Method::PUT,
        &format!("/api/v1/containers/{id}/name"),
        Some(json!({ "name": "no spaces" })),
    )
    .await;
    assert_eq!(status, 400, "{bad}");
    assert!(
        bad["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("name:")),
        "{bad}"
    );

    let (status, _) = call(
        &app,
        op,
        Method::DELETE,
        &format!("/api/v1/containers/{id}?volumes=true"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (_, list) = call(&app, op, Method::GET, "/api/v1/containers", None).await;
    assert!(
        !list.to_string().contains(&id),
        "removed containers leave the list: {list}"
    );

    let audited = audit_actions(&app, "container.").await;
    for action in [
        "container.create",
        "container.stop",
        "container.start",
        "container.restart",
        "container.pause",
        "container.unpause",
        "container.kill",
        "container.rename",
        "container.remove",
    ] {
        assert!(
            audited.contains(&(action.to_owned(), "ok".to_owned())),
            "{action} missing from {audited:?}"
        );
    }
}

#[tokio::test]
async fn roles_and_ownership_decide_who_sees_and_acts() {
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let team = team(&app).await;
    use reqwest::Method;
    let mine = outside_container(&app, &run, "mine", Some(&team.ws)).await;
    let theirs = outside_container(&app, &run, "theirs", Some(&team.other_ws)).await;
    let unmanaged = outside_container(&app, &run, "unmanaged", None).await;

    // The viewer reads but may not act; the refusal is audited.
    let viewer = &team.viewer.1;
    let (status, _) = call(
        &app,
        viewer,
        Method::GET,
        &format!("/api/v1/containers/{mine}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &app,
        viewer,
        Method::POST,
        &format!("/api/v1/containers/{mine}/start"),
        None,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let response = app
        .post_form(
            viewer,
            "/api/container_action",
            &[("id", &mine), ("action", "start")],
        )
        .await;
    assert_eq!(response.status(), 403);
    assert!(
        audit_actions(&app, "container.operate")
            .await
            .iter()
            .any(|(_, result)| result == "denied"),
        "the refusal is audited"
    );
    assert_eq!(
        app.state.docker.containers().find(&mine).map(|c| c.state),
        Some("created".to_owned()),
        "nothing happened"
    );

    // Other workspaces' containers and unmanaged ones do not exist for members.
    for id in [&theirs, &unmanaged] {
        let (status, _) = call(
            &app,
            viewer,
            Method::GET,
            &format!("/api/v1/containers/{id}"),
            None,
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = call(
            &app,
            &team.operator.1,
            Method::POST,
            &format!("/api/v1/containers/{id}/start"),
            None,
        )
        .await;
        assert_eq!(status, 404);
    }
    let (status, _) = call(
        &app,
        &team.outsider.1,
        Method::GET,
        &format!("/api/v1/containers/{mine}"),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // Lists are filtered the same way; platform admins see everything, unmanaged included.
    let (_, list) = call(&app, viewer, Method::GET, "/api/v1/containers", None).await;
    let text = list.to_string();
    assert!(
        text.contains(&mine) && !text.contains(&theirs) && !text.contains(&unmanaged),
        "{list}"
    );
    let (_, all) = call(
        &app,
        &app.client,
        Method::GET,
        "/api/v1/containers?workspace=unmanaged",
        None,
    )
    .await;
    let text = all.to_string();
    assert!(text.contains(&unmanaged) && !text.contains(&mine), "{all}");
    let (status, view) = call(
        &app,
        &app.client,
        Method::POST,
        &format!("/api/v1/containers/{unmanaged}/start"),
        None,
    )
    .await;
    assert_eq!(status, 200, "admins act on unmanaged containers: {view}");

    // A read-scoped token of the operator reads but does not act.
    let (_, token) = app
        .state
        .tokens
        .create(
            &team.operator.0.id,
            "ci",
            engine::identity::tokens::Scope::Read,
            None,
            None,
        )
        .await
        .expect("token");
    let bare = new_client();
    let response = bare
        .post(app.url(&format!("/api/v1/containers/{mine}/start")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 403);
    let response = bare
        .get(app.url(&format!("/api/v1/containers/{mine}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn the_security_policy_refuses_by_field_and_only_admins_change_it() {
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let team = team(&app).await;
    use reqwest::Method;
    let op = &team.operator.1;
    let create_path = format!("/api/v1/workspaces/{}/containers", team.ws);
    let policy_path = format!("/api/v1/workspaces/{}/policy", team.ws);
    let root = tempfile::tempdir().expect("dir");
    let root_path = root.path().display().to_string();

    for (extra, field) in [
        (json!({"privileged": true}), "privileged"),
        (json!({"network": "host"}), "network"),
        (
            json!({"volumes": ["data:/data", "/etc:/host-etc"]}),
            "volumes[1]",
        ),
        (
            json!({"volumes": ["/var/run/docker.sock:/var/run/docker.sock"]}),
            "volumes[0]",
        ),
        (json!({"cap_add": ["SYS_ADMIN"]}), "cap_add[0]"),
    ] {
        let body = with_image(&run, spec(&run, "refused", extra.clone())).await;
        let (status, error) = call(&app, op, Method::POST, &create_path, Some(body)).await;
        assert_eq!(status, 400, "{extra}: {error}");
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with(&format!("{field}:")) && message.contains("policy"),
            "{extra}: {message}"
        );
    }
    assert!(
        app.state
            .docker
            .containers()
            .find(&run.name("refused"))
            .is_none(),
        "a refused create leaves nothing behind"
    );

    // Operators cannot change the policy; admins can, and bad fields are named.
    let loosened = json!({"allow_bind_mounts": true, "bind_roots": [root_path]});
    let (status, _) = call(&app, op, Method::PUT, &policy_path, Some(loosened.clone())).await;
    assert_eq!(status, 403);
    let (status, error) = call(
        &app,
        &app.client,
        Method::PUT,
        &policy_path,
        Some(json!({"bind_roots": ["relative/dir"]})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("bind_roots[0]:")),
        "{error}"
    );
    let (status, saved) = call(&app, &app.client, Method::PUT, &policy_path, Some(loosened)).await;
    assert_eq!(status, 200, "{saved}");
    let (status, read) = call(&app, &team.viewer.1, Method::GET, &policy_path, None).await;
    assert_eq!((status, &read), (200, &saved));

    let inside = format!("{root_path}/app:/data");
    let body = with_image(&run, spec(&run, "bound", json!({"volumes": [inside]}))).await;
    let (status, created) = call(&app, op, Method::POST, &create_path, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let body = with_image(
        &run,
        spec(&run, "outside", json!({"volumes": ["/etc:/data"]})),
    )
    .await;
    let (status, error) = call(&app, op, Method::POST, &create_path, Some(body)).await;
    assert_eq!(status, 400);
    assert!(
        error.to_string().contains("outside the host folders"),
        "{error}"
    );

    // Platform admins are not limited by the policy.
    let body = with_image(
        &run,
        spec(
            &run,
            "admin-made",
            json!({"privileged": true, "start": false}),
        ),
    )
    .await;
    let (status, created) = call(&app, &app.client, Method::POST, &create_path, Some(body)).await;
    assert_eq!(status, 201, "{created}");

    let audited = audit_actions(&app, "policy.").await;
    assert!(
        audited.contains(&("policy.update".into(), "ok".into())),
        "{audited:?}"
    );
    assert!(
        audited.contains(&("policy.manage".into(), "denied".into())),
        "{audited:?}"
    );
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The live websocket, authenticated with an API token.
pub async fn connect(app: &TestApp, token: &str) -> Socket {
    let mut request = format!("{}/api/v1/events", app.address.replace("http", "ws"))
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket")
        .0
}

/// The next JSON push (within 3 s).
pub async fn next_push(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(3), socket.next())
            .await
            .expect("a push within 3 s")
            .expect("open")
            .expect("frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).expect("JSON");
        }
    }
}

#[tokio::test]
async fn the_websocket_pushes_only_what_the_viewer_may_see() {
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let (_, token) = app
        .state
        .tokens
        .create(
            &team.viewer.0.id,
            "live",
            engine::identity::tokens::Scope::Read,
            None,
            None,
        )
        .await
        .expect("token");
    let mut socket = connect(&app, &token).await;
    // The opening list comes first after the engine's state.
    loop {
        if next_push(&mut socket).await["type"] == "containers" {
            break;
        }
    }

    let theirs = outside_container(&app, &run, "theirs", Some(&team.other_ws)).await;
    let mine = outside_container(&app, &run, "mine", Some(&team.ws)).await;
    run.docker()
        .start_container(&mine, None)
        .await
        .expect("start");
    let started = std::time::Instant::now();
    let mut seen = Vec::new();
    loop {
        let event = next_push(&mut socket).await;
        seen.push(event.clone());
        if event["type"] == "container"
            && event["change"]["container"]["id"] == mine.as_str()
            && event["change"]["container"]["state"] == "running"
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "no pushed start: {seen:?}"
        );
    }
    let took = started.elapsed();
    eprintln!("a start made outside Orbitr was pushed within {took:?}");
    assert!(
        !seen.iter().any(|e| e.to_string().contains(&theirs)),
        "another workspace's container leaked: {seen:?}"
    );
    let _ = socket.send(Message::Close(None)).await;
}

#[tokio::test]
async fn with_the_engine_cut_lists_serve_the_last_state_and_actions_say_why() {
    let run = TestRun::new().expect("docker");
    let dir = tempfile::tempdir().expect("dir");
    let mut proxy = testkit::proxy::SocketProxy::new(dir.path().join("docker.sock"));
    proxy.start().expect("proxy");
    let app = spawn_app_with(|s| s.docker_host = Some(proxy.docker_host())).await;
    use reqwest::Method;
    let kept = outside_container(&app, &run, "kept", None).await;

    proxy.stop();
    wait_for("the cut to be noticed", Duration::from_secs(5), || async {
        app.state.docker.containers().is_stale().then_some(())
    })
    .await;
    let (status, list) = call(&app, &app.client, Method::GET, "/api/v1/containers", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["stale"], true);
    assert!(
        list.to_string().contains(&kept),
        "the last state is served: {list}"
    );
    let (status, error) = call(
        &app,
        &app.client,
        Method::POST,
        &format!("/api/v1/containers/{kept}/start"),
        None,
    )
    .await;
    assert_eq!(status, 503, "{error}");
    assert_eq!(error["error"]["code"], "docker_unavailable");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("docker.sock")),
        "{error}"
    );

    // Changes while Orbitr is cut off arrive once the engine is back.
    run.docker()
        .start_container(&kept, None)
        .await
        .expect("start");
    let born = {
        let image = run.fixture_image().await.expect("image");
        run.docker()
            .create_container(
                Some(bollard::query_parameters::CreateContainerOptions {
                    name: Some(run.name("born")),
                    ..Default::default()
                }),
                bollard::models::ContainerCreateBody {
                    image: Some(image),
                    labels: Some(run.labels()),
                    ..Default::default()
                },
            )
            .await
            .expect("create")
            .id
    };
    proxy.start().expect("proxy back");
    let (_, took) = wait_for("the catch-up", Duration::from_secs(2), || async {
        let (_, list) = call(&app, &app.client, Method::GET, "/api/v1/containers", None).await;
        let fresh = list["stale"] == false
            && list["containers"].as_array().is_some_and(|all| {
                all.iter().any(|c| c["id"] == born.as_str())
                    && all
                        .iter()
                        .any(|c| c["id"] == kept.as_str() && c["state"] == "running")
            });
        fresh.then_some(())
    })
    .await;
    eprintln!("caught up {took:?} after the engine came back");
}

#[tokio::test]
async fn an_admin_adopts_an_unmanaged_container_into_a_workspace() {
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let team = team(&app).await;
    use reqwest::Method;
    let stray = outside_container(&app, &run, "stray", None).await;
    let op = &team.operator.1;
    let adopt_path = format!("/api/v1/workspaces/{}/adopt", team.ws);
    let body = json!({ "kind": "container", "id": stray });

    let (status, _) = call(
        &app,
        op,
        Method::GET,
        &format!("/api/v1/containers/{stray}"),
        None,
    )
    .await;
    assert_eq!(status, 404, "unmanaged: admins only");
    let (status, _) = call(&app, op, Method::POST, &adopt_path, Some(body.clone())).await;
    assert_eq!(status, 403, "only platform admins adopt");

    let (status, adopted) = call(
        &app,
        &app.client,
        Method::POST,
        &adopt_path,
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 200, "{adopted}");
    let (status, view) = call(
        &app,
        op,
        Method::POST,
        &format!("/api/v1/containers/{stray}/start"),
        None,
    )
    .await;
    assert_eq!(
        status, 200,
        "the workspace's operator acts on it now: {view}"
    );
    assert_eq!(view["workspace"], team.ws.as_str());
    let (status, again) = call(&app, &app.client, Method::POST, &adopt_path, Some(body)).await;
    assert_eq!(status, 409, "{again}");
    let (status, _) = call(
        &app,
        &app.client,
        Method::POST,
        &adopt_path,
        Some(json!({ "kind": "image", "id": "x" })),
    )
    .await;
    assert_eq!(status, 400);

    // The workspace now owns it: deleting the workspace is refused, naming it.
    let response = app
        .post_form(
            &app.client,
            "/api/delete_workspace",
            &[("workspace", &team.ws), ("confirm", "Containers")],
        )
        .await;
    assert_eq!(response.status(), 409);
    let text = response.text().await.unwrap_or_default();
    assert!(text.contains(&run.name("stray")), "{text}");

    // The adoption survives a restart of Orbitr: it is in the database.
    let owner: (String,) = engine::on_pool!(&app.db, |pool| {
        sqlx::query_as("SELECT workspace_id FROM adopted_objects WHERE object_id = $1")
            .bind(&stray)
            .fetch_one(pool)
            .await
            .expect("row")
    });
    assert_eq!(owner.0, team.ws);
    let fresh = engine::docker::DockerEngine::new(None);
    app.state.adoptions.load_into(&fresh).await.expect("load");
    let _monitor = fresh.spawn_monitor();
    wait_for(
        "the adoption after a restart",
        Duration::from_secs(3),
        || async {
            fresh
                .containers()
                .find(&stray)
                .filter(|c| c.workspace.as_deref() == Some(team.ws.as_str()))
                .map(drop)
        },
    )
    .await;
}
