//! Stacks over HTTP against the real engine: created, deployed and listed live, progress pushed
//! on the websocket to the stack's workspace only, compose errors and policy refusals answered
//! with their line, refusals by role and workspace, revisions and rollbacks, taking down and
//! deleting, and every change in the audit log. Every stack's Compose project is removed by its
//! label when the test ends, even on failure.

use std::time::{Duration, Instant};

use engine::identity::accounts::User;
use engine::model::resources::PROJECT_LABEL;
use engine::stacks::{NewStack, Operation, OperationRequest};
use reqwest::Method;
use serde_json::{Value, json};
use testkit::docker::{RUN_LABEL, TestRun};

use crate::containers::{Socket, call, connect, next_push, team};
use crate::helpers::{TestApp, new_client, spawn_app, wait_for};

/// A stack name unique to this run; its Compose project is removed when the run ends.
pub fn stack_name(run: &mut TestRun, what: &str) -> String {
    let name = format!("{}-{what}", run.id());
    run.also_remove(format!("{PROJECT_LABEL}={name}"));
    name
}

/// One long-running fixture service, `web`, with `MODE` in its environment.
async fn web(run: &TestRun, mode: &str) -> String {
    let image = run.fixture_image().await.expect("fixture image");
    format!(
        "services:\n  web:\n    image: {image}\n    environment:\n      MODE: {mode}\n    labels:\n      {RUN_LABEL}: {}\n",
        run.id()
    )
}

async fn create(
    app: &TestApp,
    client: &reqwest::Client,
    ws: &str,
    name: &str,
    compose: &str,
) -> Value {
    let (status, created) = call(
        app,
        client,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/stacks"),
        Some(json!({ "name": name, "compose": compose })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    created
}

/// Runs an operation with `?wait=true`: the status and the record (or the error).
async fn operate(
    app: &TestApp,
    client: &reqwest::Client,
    stack: &str,
    form: Value,
) -> (u16, Value) {
    call(
        app,
        client,
        Method::POST,
        &format!("/api/v1/stacks/{stack}/operations?wait=true"),
        Some(form),
    )
    .await
}

/// Runs an operation that must succeed; returns its record.
async fn succeed(app: &TestApp, client: &reqwest::Client, stack: &str, form: Value) -> Value {
    let (status, record) = operate(app, client, stack, form.clone()).await;
    assert_eq!(status, 200, "{form}: {record}");
    assert_eq!(record["brief"]["status"], "succeeded", "{form}: {record:#}");
    record
}

/// The stack's containers in the live state, once `done` says they are as expected.
async fn containers_when(
    app: &TestApp,
    client: &reqwest::Client,
    stack: &str,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let (list, took) = wait_for(what, Duration::from_secs(5), || async {
        let (_, list) = call(
            app,
            client,
            Method::GET,
            &format!("/api/v1/containers?stack={stack}"),
            None,
        )
        .await;
        let all = list["containers"].as_array()?.clone();
        done(&all).then_some(all)
    })
    .await;
    eprintln!("{what}: {took:?}");
    list
}

/// Waits until the stack's web container runs with `MODE=mode`.
async fn mode_when(app: &TestApp, client: &reqwest::Client, stack: &str, mode: &str) {
    let path = format!("/api/v1/containers/{stack}-web-1");
    let want = format!("MODE={mode}");
    wait_for(
        &format!("the web container with {want}"),
        Duration::from_secs(5),
        || async {
            let (status, detail) = call(app, client, Method::GET, &path, None).await;
            let running = detail["summary"]["state"] == "running";
            let env = detail["env"].as_array()?;
            (status == 200 && running && env.iter().any(|e| e == want.as_str())).then_some(())
        },
    )
    .await;
}

async fn read_token(app: &TestApp, user: &User) -> String {
    app.state
        .tokens
        .create(
            &user.id,
            "live",
            engine::identity::tokens::Scope::Read,
            None,
            None,
        )
        .await
        .expect("token")
        .1
}

/// The `deploy` pushes for one stack up to its `finished` one; every other push is kept in
/// `others`.
async fn deploy_pushes(socket: &mut Socket, stack: &str, others: &mut Vec<Value>) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let push = next_push(socket).await;
        if push["type"] == "deploy" && push["stack"] == stack {
            let finished = push["event"]["phase"] == "finished";
            events.push(push["event"].clone());
            if finished {
                return events;
            }
        } else {
            others.push(push);
        }
    }
}

/// (action, result, target) of the audit records whose action starts with `prefix`.
pub async fn audited(app: &TestApp, prefix: &str) -> Vec<(String, String, String)> {
    app.state
        .audit
        .recent(500)
        .await
        .expect("audit")
        .into_iter()
        .filter(|r| r.action.starts_with(prefix))
        .map(|r| (r.action, r.result, r.target.unwrap_or_default()))
        .collect()
}

pub fn has(records: &[(String, String, String)], action: &str, result: &str) -> bool {
    records.iter().any(|(a, r, _)| a == action && r == result)
}

#[tokio::test]
async fn an_operator_deploys_a_stack_and_only_its_workspace_hears_the_progress() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let op = &team.operator.1;
    let name = stack_name(&mut run, "live");

    // A member of the workspace and the owner of another one listen.
    let mut member = connect(&app, &read_token(&app, &team.viewer.0).await).await;
    let mut outsider = connect(&app, &read_token(&app, &team.outsider.0).await).await;
    // The first push comes once the socket hears everything.
    for socket in [&mut member, &mut outsider] {
        assert_eq!(next_push(socket).await["type"], "engine");
    }

    let created = create(&app, op, &team.ws, &name, &web(&run, "one").await).await;
    assert_eq!(created["workspace"], team.ws.as_str());
    assert_eq!(created["revision"], 1);
    assert!(created["deployed_revision"].is_null(), "{created}");
    let id = created["id"].as_str().expect("id").to_owned();

    let started = Instant::now();
    let record = succeed(&app, op, &name, json!({ "operation": "deploy" })).await;
    eprintln!("deploying one service took {:?}", started.elapsed());
    assert_eq!(record["brief"]["operation"], "deploy");
    assert_eq!(record["brief"]["revision"], 1);
    assert_eq!(record["stack"], name.as_str());

    let containers = containers_when(&app, op, &name, "the stack's container running", |all| {
        all.len() == 1 && all[0]["state"] == "running"
    })
    .await;
    assert_eq!(containers[0]["name"], format!("{name}-web-1"));
    assert_eq!(containers[0]["service"], "web");
    assert_eq!(containers[0]["workspace"], team.ws.as_str());
    let (_, stack) = call(&app, op, Method::GET, &format!("/api/v1/stacks/{id}"), None).await;
    assert_eq!(stack["summary"]["deployed_revision"], 1, "{stack}");
    assert_eq!(stack["summary"]["running"], 1, "{stack}");
    assert_eq!(stack["summary"]["last_deploy"]["status"], "succeeded");

    // The member heard every step the record has, in order.
    let mut others = Vec::new();
    let pushed = deploy_pushes(&mut member, &id, &mut others).await;
    let phases = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .map(|e| e["phase"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let recorded = record["events"].as_array().expect("events");
    assert_eq!(phases(&pushed), phases(recorded), "{pushed:#?}");
    assert!(
        phases(&pushed).contains(&"creating".to_owned()),
        "{pushed:#?}"
    );

    // The outsider heard nothing of it: an operation on a stack of their own workspace, on the
    // same channel and so after every event of the deploy, is the first they hear.
    let fence_name = stack_name(&mut run, "fence");
    let fence = app
        .state
        .stacks
        .create(
            NewStack {
                workspace: &team.other_ws.as_str().into(),
                name: &fence_name,
                compose: &web(&run, "fence").await,
                env: "",
            },
            "test",
        )
        .await
        .expect("fence stack");
    app.state
        .stacks
        .start(
            &fence,
            Operation::Stop,
            &OperationRequest::default(),
            None,
            "test",
        )
        .await
        .expect("fence operation")
        .done
        .await
        .expect("fence finished");
    let mut seen = Vec::new();
    let fenced = deploy_pushes(&mut outsider, &fence.id, &mut seen).await;
    assert!(!fenced.is_empty());
    let leaked: Vec<&Value> = seen
        .iter()
        .filter(|p| {
            let text = p.to_string();
            text.contains(&id) || text.contains(&name)
        })
        .collect();
    assert!(
        leaked.is_empty(),
        "another workspace's stack reached the outsider: {leaked:#?}"
    );
    let (_, list) = call(&app, &team.outsider.1, Method::GET, "/api/v1/stacks", None).await;
    assert!(!list.to_string().contains(&id), "{list}");
}

#[tokio::test]
async fn compose_errors_and_policy_refusals_answer_422_naming_the_line() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let op = &team.operator.1;
    let admin = &app.client;
    let image = run.fixture_image().await.expect("fixture image");
    let name = stack_name(&mut run, "refused");

    // A required variable without a value, on line 5.
    let broken = format!(
        "services:\n  web:\n    image: {image}\n    environment:\n      PASS: ${{PASS:?set a password}}\n"
    );
    create(&app, op, &team.ws, &name, &broken).await;
    let (status, error) = operate(&app, op, &name, json!({ "operation": "deploy" })).await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["error"]["code"], "invalid_compose", "{error}");
    let first = &error["error"]["diagnostics"][0];
    assert_eq!(first["line"], 5, "{error}");
    assert_eq!(first["path"], "services.web.environment.PASS", "{error}");
    assert_eq!(first["severity"], "error");
    assert!(
        first["message"]
            .as_str()
            .is_some_and(|m| m.contains("set a password")),
        "{error}"
    );
    // Checking says the same without deploying; nothing ran or was recorded.
    let (status, checked) = call(
        &app,
        op,
        Method::POST,
        &format!("/api/v1/stacks/{name}/check"),
        Some(json!({ "compose": broken })),
    )
    .await;
    assert_eq!(status, 200, "{checked}");
    assert_eq!(checked[0], *first);
    let (_, deploys) = call(
        &app,
        op,
        Method::GET,
        &format!("/api/v1/stacks/{name}/deploys"),
        None,
    )
    .await;
    assert_eq!(deploys, json!([]));

    // Privileged mode, on line 4: refused for an operator by the default policy.
    let privileged = format!(
        "services:\n  web:\n    image: {image}\n    privileged: true\n    labels:\n      {RUN_LABEL}: {}\n",
        run.id()
    );
    let (status, saved) = call(
        &app,
        op,
        Method::PUT,
        &format!("/api/v1/stacks/{name}"),
        Some(json!({ "compose": privileged })),
    )
    .await;
    assert_eq!((status, &saved), (200, &json!({ "revision": 2 })));
    let (status, error) = operate(&app, op, &name, json!({ "operation": "deploy" })).await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["error"]["code"], "invalid_compose");
    let refusal = error["error"]["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["path"] == "services.web.privileged")
        .unwrap_or_else(|| panic!("no diagnostic for privileged: {error}"))
        .clone();
    assert_eq!(refusal["line"], 4, "{refusal}");
    assert_eq!(refusal["severity"], "error");
    assert!(
        refusal["message"]
            .as_str()
            .is_some_and(|m| m.contains("privileged mode is not allowed")),
        "{refusal}"
    );
    let check_path = format!("/api/v1/stacks/{name}/check");
    let files = json!({ "compose": privileged });
    let (_, checked) = call(&app, op, Method::POST, &check_path, Some(files.clone())).await;
    assert!(
        checked.to_string().contains("services.web.privileged"),
        "{checked}"
    );
    let (_, checked) = call(&app, admin, Method::POST, &check_path, Some(files)).await;
    assert_eq!(checked, json!([]), "admins are not limited by the policy");
    assert!(
        containers_when(&app, op, &name, "an empty stack", |all| all.is_empty())
            .await
            .is_empty()
    );

    // A platform admin's deploy is not refused by the policy; then it comes down.
    let (status, record) = operate(&app, admin, &name, json!({ "operation": "deploy" })).await;
    assert_eq!(status, 200, "not refused for an admin: {record}");
    assert_eq!(record["brief"]["revision"], 2);
    eprintln!(
        "the admin's privileged deploy: {} {}",
        record["brief"]["status"], record["brief"]["error"]
    );
    succeed(&app, admin, &name, json!({ "operation": "down" })).await;
    containers_when(&app, admin, &name, "the stack down", |all| all.is_empty()).await;

    let records = audited(&app, "stack.").await;
    let refused: Vec<_> = records
        .iter()
        .filter(|(a, r, _)| a == "stack.deploy" && r == "failed")
        .collect();
    assert_eq!(refused.len(), 2, "both refusals are audited: {records:?}");
    assert!(has(&records, "stack.deploy", "ok"), "{records:?}");
    assert!(has(&records, "stack.down", "ok"), "{records:?}");
}

#[tokio::test]
async fn a_viewer_reads_a_stack_but_cannot_change_it_and_other_workspaces_cannot_see_it() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let name = stack_name(&mut run, "watched");
    let compose = web(&run, "one").await;
    let created = create(&app, &app.client, &team.ws, &name, &compose).await;
    let id = created["id"].as_str().expect("id").to_owned();
    let viewer = &team.viewer.1;
    let outsider = &team.outsider.1;
    let stack_path = format!("/api/v1/stacks/{name}");
    let operations = format!("{stack_path}/operations");
    let deploy = json!({ "operation": "deploy" });
    let files = json!({ "compose": compose });

    // The viewer reads everything.
    let (status, detail) = call(&app, viewer, Method::GET, &stack_path, None).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["compose"], compose.as_str());
    assert_eq!(detail["summary"]["services"], json!(["web"]));
    for path in [
        format!("{stack_path}/revisions/1"),
        format!("{stack_path}/deploys"),
    ] {
        let (status, body) = call(&app, viewer, Method::GET, &path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    let (_, list) = call(&app, viewer, Method::GET, "/api/v1/stacks", None).await;
    assert!(list.to_string().contains(&id), "{list}");
    let (status, _) = call(
        &app,
        viewer,
        Method::POST,
        &format!("{stack_path}/check"),
        Some(files.clone()),
    )
    .await;
    assert_eq!(status, 200, "checking is reading");

    // A read token of the viewer reads too, but only with GET: checking is a POST.
    let token = read_token(&app, &team.viewer.0).await;
    let bare = new_client();
    let response = bare
        .get(app.url(&stack_path))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let response = bare
        .post(app.url(&format!("{stack_path}/check")))
        .bearer_auth(&token)
        .json(&files)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 403);

    // …and changes nothing, through REST or the page's server functions.
    for (method, path, body) in [
        (Method::PUT, stack_path.clone(), Some(files.clone())),
        (Method::POST, operations.clone(), Some(deploy.clone())),
        (Method::DELETE, stack_path.clone(), None),
        (
            Method::POST,
            format!("/api/v1/workspaces/{}/stacks", team.ws),
            Some(json!({ "name": stack_name(&mut run, "viewers"), "compose": compose })),
        ),
    ] {
        let (status, body) = call(&app, viewer, method.clone(), &path, body).await;
        assert_eq!(status, 403, "{method} {path}: {body}");
    }
    let response = app
        .post_form(
            viewer,
            "/api/stack_operation",
            &[("id", &id), ("form[operation]", "deploy")],
        )
        .await;
    assert_eq!(response.status(), 403);

    // Another workspace's owner is not told it exists.
    for (method, path, body) in [
        (Method::GET, stack_path.clone(), None),
        (Method::GET, format!("{stack_path}/revisions/1"), None),
        (Method::PUT, stack_path.clone(), Some(files.clone())),
        (Method::POST, operations.clone(), Some(deploy.clone())),
        (Method::DELETE, stack_path.clone(), None),
    ] {
        let (status, body) = call(&app, outsider, method.clone(), &path, body).await;
        assert_eq!(status, 404, "{method} {path}: {body}");
        assert_eq!(body["error"]["code"], "not_found", "{body}");
    }
    let response = app
        .post_form(outsider, "/api/get_stack", &[("id", &id)])
        .await;
    assert_eq!(response.status(), 404);
    let (_, list) = call(&app, outsider, Method::GET, "/api/v1/stacks", None).await;
    assert!(!list.to_string().contains(&id), "{list}");

    // Nothing happened, and the viewer's attempts are in the log.
    let (_, detail) = call(&app, &app.client, Method::GET, &stack_path, None).await;
    assert_eq!(detail["summary"]["revision"], 1, "{detail}");
    assert!(detail["summary"]["last_deploy"].is_null(), "{detail}");
    let viewer_actor = format!("user:{}", team.viewer.0.id);
    let denials: Vec<String> = app
        .state
        .audit
        .recent(500)
        .await
        .expect("audit")
        .into_iter()
        .filter(|r| r.result == "denied" && r.actor == viewer_actor)
        .map(|r| {
            assert_eq!(r.workspace.as_deref(), Some(team.ws.as_str()));
            r.action
        })
        .collect();
    assert_eq!(
        denials.iter().filter(|a| *a == "stack.deploy").count(),
        5,
        "save, operate (twice), delete, create: {denials:?}"
    );
}

#[tokio::test]
async fn saving_makes_a_revision_and_a_rollback_deploys_the_old_one_again() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let op = &team.operator.1;
    let name = stack_name(&mut run, "revised");
    let stack_path = format!("/api/v1/stacks/{name}");
    let (one, two) = (web(&run, "one").await, web(&run, "two").await);

    create(&app, op, &team.ws, &name, &one).await;
    succeed(&app, op, &name, json!({ "operation": "deploy" })).await;
    mode_when(&app, op, &name, "one").await;

    let (status, saved) = call(
        &app,
        op,
        Method::PUT,
        &stack_path,
        Some(json!({ "compose": two })),
    )
    .await;
    assert_eq!((status, &saved), (200, &json!({ "revision": 2 })));
    let (status, first) = call(
        &app,
        op,
        Method::GET,
        &format!("{stack_path}/revisions/1"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        first["compose"],
        one.as_str(),
        "revision 1 keeps the old file"
    );
    let (status, missing) = call(
        &app,
        op,
        Method::GET,
        &format!("{stack_path}/revisions/9"),
        None,
    )
    .await;
    assert_eq!(status, 404, "{missing}");
    let (_, detail) = call(&app, op, Method::GET, &stack_path, None).await;
    assert_eq!(detail["compose"], two.as_str());
    assert_eq!(detail["deployed_compose"], one.as_str());
    assert_eq!(detail["summary"]["revision"], 2);
    assert_eq!(detail["summary"]["deployed_revision"], 1);
    assert_eq!(detail["revisions"].as_array().map(Vec::len), Some(2));

    let record = succeed(&app, op, &name, json!({ "operation": "deploy" })).await;
    assert_eq!(record["brief"]["revision"], 2);
    mode_when(&app, op, &name, "two").await;

    // A rollback deploys revision 1 again and writes its files back as the newest revision.
    let record = succeed(
        &app,
        op,
        &name,
        json!({ "operation": "deploy", "revision": 1 }),
    )
    .await;
    assert_eq!(record["brief"]["revision"], 1);
    mode_when(&app, op, &name, "one").await;
    let (_, detail) = call(&app, op, Method::GET, &stack_path, None).await;
    assert_eq!(detail["compose"], one.as_str());
    assert_eq!(detail["summary"]["revision"], 3);
    assert_eq!(detail["summary"]["deployed_revision"], 1);

    // Every operation is kept, newest first, with its events.
    let (_, deploys) = call(
        &app,
        op,
        Method::GET,
        &format!("{stack_path}/deploys"),
        None,
    )
    .await;
    let deploys = deploys.as_array().expect("deploys");
    let revisions: Vec<&Value> = deploys.iter().map(|d| &d["revision"]).collect();
    assert_eq!(revisions, [&json!(1), &json!(2), &json!(1)], "{deploys:?}");
    assert!(deploys.iter().all(|d| d["status"] == "succeeded"));
    let latest = deploys[0]["id"].as_str().expect("id");
    let (status, kept) = call(
        &app,
        op,
        Method::GET,
        &format!("{stack_path}/deploys/{latest}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(kept["brief"], deploys[0]);
    assert_eq!(
        kept["events"]
            .as_array()
            .and_then(|e| e.last())
            .map(|e| &e["phase"]),
        Some(&json!("finished"))
    );
    let (status, missing) = call(
        &app,
        op,
        Method::GET,
        &format!("{stack_path}/deploys/no-such-operation"),
        None,
    )
    .await;
    assert_eq!(status, 404, "{missing}");
    assert_eq!(
        missing["error"]["message"], "No such operation",
        "a missing operation of a visible stack is named as such"
    );

    let records = audited(&app, "stack.").await;
    for action in [
        "stack.create",
        "stack.save",
        "stack.deploy",
        "stack.rollback",
    ] {
        assert!(
            has(&records, action, "ok"),
            "{action} missing from {records:?}"
        );
    }
    assert!(
        records.iter().any(|(a, _, target)| a == "stack.rollback"
            && *target == format!("stack:{name} (revision 1)")),
        "{records:?}"
    );
    assert_eq!(
        records
            .iter()
            .filter(|(a, r, _)| a == "stack.deploy" && r == "ok")
            .count(),
        2,
        "{records:?}"
    );
}

#[tokio::test]
async fn a_stack_is_deleted_only_once_it_is_down() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let op = &team.operator.1;
    let name = stack_name(&mut run, "gone");
    let stack_path = format!("/api/v1/stacks/{name}");
    create(&app, op, &team.ws, &name, &web(&run, "one").await).await;
    succeed(&app, op, &name, json!({ "operation": "deploy" })).await;
    containers_when(&app, op, &name, "the stack up", |all| all.len() == 1).await;

    let (status, refused) = call(&app, op, Method::DELETE, &stack_path, None).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "conflict", "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("take it down first")),
        "{refused}"
    );

    let record = succeed(&app, op, &name, json!({ "operation": "down" })).await;
    assert!(record["brief"]["revision"].is_null(), "{record}");
    containers_when(&app, op, &name, "the stack's containers gone", |all| {
        all.is_empty()
    })
    .await;
    let (_, detail) = call(&app, op, Method::GET, &stack_path, None).await;
    assert!(detail["summary"]["deployed_revision"].is_null(), "{detail}");

    let (status, body) = call(&app, op, Method::DELETE, &stack_path, None).await;
    assert_eq!(status, 204, "{body}");
    let (status, _) = call(&app, op, Method::GET, &stack_path, None).await;
    assert_eq!(status, 404);
    let (_, list) = call(&app, op, Method::GET, "/api/v1/stacks", None).await;
    assert_eq!(list, json!([]));

    let records = audited(&app, "stack.").await;
    assert!(has(&records, "stack.down", "ok"), "{records:?}");
    assert!(has(&records, "stack.delete", "failed"), "{records:?}");
    assert!(has(&records, "stack.delete", "ok"), "{records:?}");
}
