//! Access control over the whole HTTP surface: every server function and REST route declares
//! what it needs, and a matrix calls each one as every kind of principal, directly (as a script
//! bypassing the UI would), comparing the answer with what the policy file says.

use std::collections::BTreeSet;
use std::time::Duration;

use app::access::Need;
use app::api::SERVER_FNS;
use app::ops::Op;
use engine::identity::accounts::{NewUser, User};
use engine::stacks::NewStack;
use engine::tenancy::access::{Role, policy_rules};
use http::Method;
use server::access::{OPERATION_HEADER, REST};
use testkit::docker::TestRun;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, new_client, spawn_app, wait_for};

/// The extra routes outside the OpenAPI document that go through the REST route layer.
const NON_OPENAPI_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/logs"),
    ("GET", "/api/v1/stats"),
];

#[test]
fn every_server_function_declares_what_it_needs() {
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    assert!(registered.len() >= 20, "found {registered:?}");
    let declared: BTreeSet<String> = SERVER_FNS.iter().map(|(p, _)| (*p).to_owned()).collect();
    let missing: Vec<_> = registered.difference(&declared).collect();
    assert!(
        missing.is_empty(),
        "server functions without a declared permission: {missing:?}"
    );
    let stale: Vec<_> = declared.difference(&registered).collect();
    assert!(
        stale.is_empty(),
        "declarations for server functions that do not exist: {stale:?}"
    );
    assert_eq!(
        declared.len(),
        SERVER_FNS.len(),
        "a server function is declared twice"
    );
}

#[test]
fn every_rest_route_declares_what_it_needs() {
    let (_, openapi) = server::routes::api();
    let mut routes: BTreeSet<(String, String)> = BTreeSet::new();
    for (path, item) in &openapi.paths.paths {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ] {
            if op.is_some() {
                routes.insert((method.to_owned(), path.clone()));
            }
        }
    }
    routes.extend(
        NON_OPENAPI_ROUTES
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned())),
    );
    let declared: BTreeSet<(String, String)> = REST
        .iter()
        .map(|(m, p, _)| (m.as_str().to_owned(), (*p).to_owned()))
        .collect();
    let missing: Vec<_> = routes.difference(&declared).collect();
    assert!(
        missing.is_empty(),
        "REST routes without a declared permission: {missing:?}"
    );
    let stale: Vec<_> = declared.difference(&routes).collect();
    assert!(
        stale.is_empty(),
        "declarations for routes that do not exist: {stale:?}"
    );
}

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Principal {
    Anonymous,
    Viewer,
    Operator,
    Owner,
    /// Owner of another workspace, no role in this one.
    Outsider,
    Admin,
    /// A read-scoped API token of this workspace's owner.
    ReadToken,
}

const PRINCIPALS: [Principal; 7] = [
    Principal::Anonymous,
    Principal::Viewer,
    Principal::Operator,
    Principal::Owner,
    Principal::Outsider,
    Principal::Admin,
    Principal::ReadToken,
];

/// What the policy file says, evaluated here without casbin. `rest` is the method of a REST
/// call (`None` for a server function).
fn expected(need: Need, who: Principal, rest: Option<&Method>) -> bool {
    let role_allows = |role: &str, obj: &str, act: &str| {
        policy_rules()
            .iter()
            .any(|[r, o, a]| r == role && (o == obj || o == "*") && (a == act || a == "*"))
    };
    let member_role = |who| match who {
        Principal::Viewer => Some("viewer"),
        Principal::Operator => Some("operator"),
        Principal::Owner | Principal::ReadToken => Some("owner"),
        _ => None,
    };
    match (who, rest) {
        // Tokens are for the REST API only.
        (Principal::ReadToken, None) => return false,
        // A read token is refused on anything but GET/HEAD, whatever the route declares (a
        // POST that only reads, such as checking a stack's files, included).
        (Principal::ReadToken, Some(method)) if ![Method::GET, Method::HEAD].contains(method) => {
            return false;
        }
        _ => {}
    }
    match need {
        Need::Anyone => true,
        Need::SignedIn => who != Principal::Anonymous,
        Need::Session => !matches!(who, Principal::Anonymous | Principal::ReadToken),
        Need::Workspace(obj, act) | Need::Owned(obj, act) => match who {
            Principal::Anonymous | Principal::Outsider => false,
            Principal::Admin => role_allows("admin", obj, act),
            Principal::ReadToken => {
                ["read", "logs"].contains(&act) && role_allows("owner", obj, act)
            }
            other => member_role(other).is_some_and(|r| role_allows(r, obj, act)),
        },
        Need::Platform(obj, act) => who == Principal::Admin && role_allows("admin", obj, act),
    }
}

const PASSWORD: &str = "matrix orbit kettle winter";

struct World {
    users: [(Principal, User, reqwest::Client); 5],
    admin: reqwest::Client,
    token: String,
}

async fn user(app: &TestApp, email: &str) -> (User, reqwest::Client) {
    let user = app
        .state
        .accounts
        .create(NewUser {
            email,
            name: "Matrix Person",
            password: PASSWORD,
            is_admin: false,
        })
        .await
        .expect("user");
    let client = new_client();
    assert_eq!(app.login(&client, email, PASSWORD).await.status(), 200);
    (user, client)
}

async fn world(app: &TestApp) -> World {
    let (owner, owner_c) = user(app, "owner@matrix.test").await;
    let (operator, operator_c) = user(app, "operator@matrix.test").await;
    let (viewer, viewer_c) = user(app, "viewer@matrix.test").await;
    let (outsider, outsider_c) = user(app, "outsider@matrix.test").await;
    // The outsider owns a workspace of their own.
    app.state
        .workspaces
        .create("Elsewhere", &outsider)
        .await
        .expect("workspace");
    let (_, token) = app
        .state
        .tokens
        .create(
            &owner.id,
            "matrix",
            engine::identity::tokens::Scope::Read,
            None,
            None,
        )
        .await
        .expect("token");
    let admin = new_client();
    assert_eq!(
        app.login(&admin, ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        200
    );
    World {
        users: [
            (Principal::Owner, owner, owner_c),
            (Principal::Operator, operator, operator_c),
            (Principal::Viewer, viewer, viewer_c),
            (Principal::Outsider, outsider, outsider_c.clone()),
            (Principal::Anonymous, placeholder_user(), new_client()),
        ],
        admin,
        token,
    }
}

fn placeholder_user() -> User {
    User {
        id: String::new().into(),
        email: String::new(),
        name: String::new(),
        is_admin: false,
        created_at: 0,
        password_changed_at: 0,
    }
}

/// The HTTP client a principal calls with (the read token's carries no session).
fn client_of(world: &World, who: Principal) -> reqwest::Client {
    match who {
        Principal::Admin => world.admin.clone(),
        Principal::ReadToken => new_client(),
        other => world
            .users
            .iter()
            .find(|(p, _, _)| *p == other)
            .expect("principal")
            .2
            .clone(),
    }
}

/// Signs a principal's client in again after a call that ended its session.
async fn sign_in_again(app: &TestApp, world: &World, who: Principal) {
    let (client, email, password) = match who {
        Principal::Admin => (&world.admin, ADMIN_EMAIL.to_owned(), ADMIN_PASSWORD),
        Principal::Anonymous | Principal::ReadToken => return,
        other => {
            let (_, user, client) = world
                .users
                .iter()
                .find(|(p, _, _)| *p == other)
                .expect("principal");
            (client, user.email.clone(), PASSWORD)
        }
    };
    assert_eq!(app.login(client, &email, password).await.status(), 200);
}

/// A fresh workspace with owner, operator and viewer, so calls that change things (leave,
/// remove, rename) never affect the next principal's call.
async fn fresh_workspace(app: &TestApp, world: &World, n: usize) -> String {
    let owner = &world.users[0].1;
    let ws = app
        .state
        .workspaces
        .create(&format!("Matrix {n}"), owner)
        .await
        .expect("workspace");
    for (who, role) in [(1, Role::Operator), (2, Role::Viewer)] {
        let (_, code) = app
            .state
            .workspaces
            .invite(&ws.id, role, None, 1, &owner.id)
            .await
            .expect("invite");
        app.state
            .workspaces
            .accept(&code, &world.users[who].1)
            .await
            .expect("accept");
    }
    ws.id.into()
}

/// Form arguments for a server function: enough to pass parsing, harmless when allowed.
fn server_fn_args(
    path: &str,
    ws: &str,
    user_id: &str,
    n: usize,
    container: &str,
) -> Vec<(String, String)> {
    let name = path.trim_start_matches("/api/");
    let pairs: Vec<(&str, String)> = match name {
        "setup" | "login" => vec![
            ("name", "Nobody".into()),
            ("email", "nobody@matrix.test".into()),
            ("password", "wrong wrong wrong".into()),
            ("confirm", "different".into()),
        ],
        "change_password" => vec![
            ("current", "not the password".into()),
            ("password", PASSWORD.into()),
            ("confirm", PASSWORD.into()),
        ],
        "create_api_token" => vec![("name", format!("matrix {n}")), ("scope", "read".into())],
        "revoke_api_token" => vec![("id", "nope".into())],
        "create_workspace" => vec![("name", format!("Created {n}"))],
        "rename_workspace" => vec![("workspace", ws.into()), ("name", format!("Renamed {n}"))],
        "delete_workspace" => vec![("workspace", ws.into()), ("confirm", "not the name".into())],
        "set_member_role" => vec![
            ("workspace", ws.into()),
            ("user_id", user_id.into()),
            ("role", "viewer".into()),
        ],
        "remove_member" => vec![("workspace", ws.into()), ("user_id", user_id.into())],
        "create_invitation" => vec![
            ("workspace", ws.into()),
            ("role", "viewer".into()),
            ("expires_in_hours", "1".into()),
        ],
        "revoke_invitation" => vec![("workspace", ws.into()), ("id", "nope".into())],
        "revoke_session" => vec![("id", "nope".into())],
        // The default again: the admin's call changes nothing.
        "update_settings" => vec![("values[marketplace_sync_mins]", "360".into())],
        // An invalid name is refused after the permission check: nothing is stored.
        "save_sign_in_provider" => vec![("provider[name]", "Not A Name".into())],
        "remove_sign_in_provider" => vec![("name", "nope".into())],
        // No mail server is set: refused after the permission check, nothing is sent.
        "send_test_mail" => vec![],
        "set_platform_admin" => vec![("user_id", user_id.into()), ("admin", "false".into())],
        "delete_user" => vec![("user_id", "nobody".into())],
        "create_password_reset" => vec![("user_id", user_id.into())],
        "check_password_reset" => vec![("code", "rst_nope_nope".into())],
        "complete_password_reset" => vec![
            ("code", "rst_nope_nope".into()),
            ("password", PASSWORD.into()),
            ("confirm", PASSWORD.into()),
        ],
        "list_users" | "list_containers" | "list_stacks" => vec![],
        "get_container" => vec![("id", container.into())],
        "container_action" => vec![("id", container.into()), ("action", "stop".into())],
        "rename_container" => vec![("id", container.into()), ("name", format!("renamed-{n}"))],
        "remove_container" => vec![("id", container.into()), ("volumes", "true".into())],
        // An empty image fails validation, after the permission check: nothing is created.
        "create_container" => vec![("workspace", ws.into()), ("spec[image]", String::new())],
        "remove_network" => vec![("id", container.into())],
        "attach_network" => vec![
            ("network", container.into()),
            ("container", "no-such-container".into()),
            ("connect", "true".into()),
        ],
        "remove_volume" => vec![("name", container.into())],
        "get_image" => vec![("id", "sha256:0000000000000000".into())],
        "remove_image" => vec![
            ("id", "sha256:0000000000000000".into()),
            ("force", "false".into()),
        ],
        "list_images" | "list_networks" | "list_volumes" | "prune_images" | "volume_sizes" => {
            vec![]
        }
        "create_network" => vec![
            ("workspace", ws.into()),
            ("spec[name]", "not a name".into()),
        ],
        "create_volume" => vec![("workspace", ws.into()), ("name", "not a name".into())],
        "list_registry_credentials" => vec![("workspace", ws.into())],
        "save_registry_credential" => vec![
            ("workspace", ws.into()),
            ("registry", "not a registry/".into()),
            ("username", "u".into()),
            ("password", "p".into()),
        ],
        "remove_registry_credential" => vec![("workspace", ws.into()), ("id", "nope".into())],
        // An invalid reference is refused after the permission check: nothing is pulled.
        "pull_image" => vec![
            ("workspace", ws.into()),
            ("reference", "not a reference".into()),
        ],
        "adopt_object" => vec![
            ("workspace", ws.into()),
            ("kind", "container".into()),
            ("id", "no-such-container".into()),
        ],
        "set_security_policy" => vec![
            ("workspace", ws.into()),
            ("policy[allow_privileged]", "false".into()),
        ],
        // Stacks: `container` is the stack's id. An invalid name or operation is refused
        // after the permission check; saving a revision and deleting a stack that was never
        // deployed touch nothing else.
        "create_stack" => vec![
            ("workspace", ws.into()),
            ("name", "Not A Name".into()),
            ("compose", String::new()),
            ("env", String::new()),
        ],
        "get_stack" | "list_deploys" | "delete_stack" => vec![("id", container.into())],
        "save_stack" | "check_stack" => vec![
            ("id", container.into()),
            ("compose", "services: {}\n".into()),
            ("env", String::new()),
        ],
        "stack_operation" => vec![
            ("id", container.into()),
            ("form[operation]", "no-such-operation".into()),
        ],
        "get_revision" => vec![("id", container.into()), ("number", "1".into())],
        "get_deploy" => vec![
            ("id", container.into()),
            ("deploy", "no-such-operation".into()),
        ],
        "list_unmanaged_projects" => vec![],
        // No such project: nothing is adopted.
        "adopt_project" => vec![
            ("workspace", ws.into()),
            ("name", "no-such-project".into()),
            ("compose", String::new()),
        ],
        // Marketplace: unknown extensions, sources and apps, invalid forms; nothing changes.
        "search_extensions" => vec![("query[sort]", "name".into())],
        "get_extension" | "list_reviews" => vec![("id", "redis".into())],
        "list_sources" | "list_apps" => vec![],
        "add_source" => vec![
            ("form[name]", format!("Matrix {n}")),
            ("form[kind]", "zip".into()),
            ("form[location]", "nowhere".into()),
        ],
        "sync_source" | "remove_source" | "delete_review" => vec![("id", "nope".into())],
        "plan_install" | "install_extension" => vec![
            ("workspace", ws.into()),
            ("form[extension]", "nope".into()),
            ("form[stack]", "Not A Name".into()),
        ],
        "install_from_git" => vec![
            ("workspace", ws.into()),
            ("form[url]", "ftp://nowhere".into()),
            ("form[extension]", String::new()),
            ("form[stack]", "Not A Name".into()),
        ],
        "app_update_preview" | "update_app" | "approve_app" => {
            vec![("workspace", ws.into()), ("app", "nope".into())]
        }
        "uninstall_app" => vec![
            ("workspace", ws.into()),
            ("app", "nope".into()),
            ("volumes", "false".into()),
        ],
        "save_review" => vec![("id", "nope".into()), ("form[rating]", "0".into())],
        "vote_review" => vec![
            ("id", "nope".into()),
            ("author", "nobody".into()),
            ("helpful", "true".into()),
        ],
        "list_audit" => vec![("query[action]", "auth.".into())],
        "list_workspace_audit" => vec![("workspace", ws.into()), ("query[action]", "auth.".into())],
        "list_sessions"
        | "sign_out_everywhere"
        | "logout"
        | "my_workspaces"
        | "get_me"
        | "list_api_tokens"
        | "get_system_info"
        | "get_engine_status" => vec![],
        "check_invitation" | "accept_invitation" => vec![("code", "inv_nope_nope".into())],
        "oauth/start" | "unlink_provider" => vec![("provider", "none".into())],
        "oauth/callback" | "sign_in_providers" | "my_sign_in_methods" => vec![],
        _ => vec![("workspace", ws.into())],
    };
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// What is wrong, if anything, with how a request reached its operation: the answer names the
/// operation that ran, which must be the route's own, and no answer may be a success that
/// skipped it (the door refuses those with `operation_skipped`).
fn through_its_operation(response: &reqwest::Response, op: &Op) -> Option<String> {
    let named = response
        .headers()
        .get(OPERATION_HEADER)
        .and_then(|v| v.to_str().ok());
    match named {
        Some(name) if name != op.name => Some(format!("ran {name}, not its own {}", op.name)),
        None if response.status() == 500 => {
            Some("answered 500 without running its operation (skipped, or failed before it)".into())
        }
        _ => None,
    }
}

/// Whether the answer was a refusal by access control (not a validation error or a wrong
/// password, which come after the check).
/// For an owned object (a container, network, volume or stack), "not found" naming its kind is
/// a refusal too: who may not see it is not told it exists. (A missing revision or operation of
/// a visible stack names what is missing, not the stack.)
async fn denied(response: reqwest::Response, need: Need) -> (bool, u16, String) {
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    let hidden = match need {
        Need::Owned(kind, _) => status == 404 && body.contains(kind),
        _ => false,
    };
    let refused = (matches!(status, 401 | 403) && !body.contains("InvalidCredentials")) || hidden;
    (refused, status, body)
}

/// An object of `kind` owned by `ws` (a stopped fixture container, a network, a volume, or a
/// stack that was never deployed), once Orbitr's live state has it; returns its id (name for
/// volumes).
async fn owned_object(app: &TestApp, run: &TestRun, kind: &str, ws: &str, n: usize) -> String {
    let mut labels = run.labels();
    labels.insert(engine::docker::WORKSPACE_LABEL.to_owned(), ws.to_owned());
    let docker = run.docker();
    let name = run.name(&format!("matrix-{n}"));
    let key = match kind {
        "container" => {
            docker
                .create_container(
                    Some(bollard::query_parameters::CreateContainerOptions {
                        name: Some(name),
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
                .id
        }
        "network" => {
            docker
                .create_network(bollard::models::NetworkCreateRequest {
                    name,
                    labels: Some(labels),
                    // An explicit subnet per network: the matrix makes dozens at once, more
                    // than the engine's default address pools hold (31 on Docker 20.10).
                    ipam: Some(bollard::models::Ipam {
                        config: Some(vec![bollard::models::IpamConfig {
                            subnet: Some(format!("10.{}.{}.0/24", 213 + n / 256, n % 256)),
                            ..Default::default()
                        }]),
                        ..Default::default()
                    }),
                    ..Default::default()
                })
                .await
                .expect("network")
                .id
        }
        "stack" => {
            let new = NewStack {
                workspace: &ws.into(),
                name: &name,
                compose: &stack_compose(run).await,
                env: "",
            };
            app.state
                .stacks
                .create(new, "matrix")
                .await
                .expect("stack")
                .id
                .into()
        }
        "volume" => {
            docker
                .create_volume(bollard::models::VolumeCreateRequest {
                    name: Some(name),
                    labels: Some(labels),
                    ..Default::default()
                })
                .await
                .expect("volume")
                .name
        }
        other => panic!("no owned object of kind {other} to make"),
    };
    wait_for(
        &format!("the {kind} in the live state"),
        Duration::from_secs(5),
        || async { app::access::owner_of(&app.state, kind, &key).map(drop) },
    )
    .await;
    key
}

/// A valid compose file running the fixture image (the matrix never deploys it).
async fn stack_compose(run: &TestRun) -> String {
    let image = run.fixture_image().await.expect("fixture image");
    format!("services:\n  app:\n    image: {image}\n")
}

/// The JSON body of a POST or PUT: enough to pass parsing where that matters, refused after the
/// permission check or harmless when allowed.
fn rest_body(template: &str, n: usize, compose: &str) -> serde_json::Value {
    match template {
        // An invalid name: nothing is created.
        "/api/v1/workspaces/{workspace}/stacks" => {
            serde_json::json!({ "name": format!("Rest {n}"), "compose": compose })
        }
        // A new revision, or a check of the same files.
        "/api/v1/stacks/{stack}" | "/api/v1/stacks/{stack}/check" => {
            serde_json::json!({ "compose": compose, "env": "" })
        }
        // An unknown operation: nothing runs.
        "/api/v1/stacks/{stack}/operations" => {
            serde_json::json!({ "operation": "no-such-operation" })
        }
        // The bodies below read, and their operations refuse what they say: nothing changes.
        "/api/v1/extensions/{extension}/reviews" => serde_json::json!({ "rating": 0 }),
        "/api/v1/extension-sources" => {
            serde_json::json!({ "name": "", "kind": "nope", "location": "" })
        }
        "/api/v1/workspaces/{workspace}/apps" | "/api/v1/workspaces/{workspace}/apps/plan" => {
            serde_json::json!({ "extension": "no-such-extension", "stack": "" })
        }
        "/api/v1/workspaces/{workspace}/apps/from-git" => {
            serde_json::json!({ "url": "", "extension": "no-such-extension", "stack": "" })
        }
        "/api/v1/workspaces/{workspace}/adopt" => serde_json::json!({ "kind": "nope", "id": "" }),
        "/api/v1/workspaces/{workspace}/images/pull" => serde_json::json!({ "reference": "" }),
        "/api/v1/workspaces/{workspace}/registries" => {
            serde_json::json!({ "registry": "", "username": "", "password": "" })
        }
        "/api/v1/networks/{network}/connect" | "/api/v1/networks/{network}/disconnect" => {
            serde_json::json!({ "container": "no-such-container" })
        }
        _ => serde_json::json!({ "name": format!("Rest {n}") }),
    }
}

#[tokio::test]
async fn every_route_answers_every_principal_as_the_policy_says() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let run = TestRun::new().expect("docker");
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut n = 0;
    let compose = stack_compose(&run).await;
    // Routes and server functions seen running their own operation (the answer names it).
    let mut ran: BTreeSet<String> = BTreeSet::new();

    // REST routes.
    for (method, template, op) in REST {
        let need = &op.need;
        for who in PRINCIPALS {
            n += 1;
            let ws = fresh_workspace(&app, &world, n).await;
            let mut path = template.replace("{workspace}", &ws);
            if let Need::Owned(kind, _) = need {
                let key = owned_object(&app, &run, kind, &ws, n).await;
                path = path
                    .replace(&format!("{{{kind}}}"), &key)
                    .replace("{action}", "stop");
            }
            path = path
                .replace("{image}", "sha256:0000000000000000")
                .replace("{number}", "1")
                .replace("{deploy}", "no-such-operation")
                .replace("{extension}", "redis")
                .replace("{author}", "nobody")
                .replace("{source}", "nope")
                .replace("{app}", "nope");
            let mut request = client_of(&world, who)
                .request(method.clone(), app.url(&path))
                .header("origin", &app.address);
            if [Method::POST, Method::PUT].contains(method) {
                request = request.json(&rest_body(template, n, &compose));
            }
            if who == Principal::ReadToken {
                request = request.bearer_auth(&world.token);
            }
            if NON_OPENAPI_ROUTES.contains(&(method.as_str(), *template)) {
                request = request
                    .header("connection", "upgrade")
                    .header("upgrade", "websocket")
                    .header("sec-websocket-version", "13")
                    .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
            }
            let response = request.send().await.expect("request");
            let route = format!("{method} {template}");
            if let Some(problem) = through_its_operation(&response, op) {
                failures.push(format!("{route} as {who:?}: {problem}"));
            } else if response.headers().contains_key(OPERATION_HEADER) {
                ran.insert(route);
            }
            let (refused, status, body) = denied(response, *need).await;
            let want = expected(*need, who, Some(method));
            if refused == want {
                failures.push(format!(
                    "{method} {path} as {who:?}: expected {}, got {status} {body}",
                    if want { "allowed" } else { "denied" }
                ));
            }
            checked += 1;
        }
    }

    // Server functions. Those that end the caller's session are followed by signing in again.
    for (path, op) in SERVER_FNS {
        let need = &op.need;
        for who in PRINCIPALS {
            n += 1;
            let ws = fresh_workspace(&app, &world, n).await;
            // The member acted on is the viewer: never the last owner.
            let container = if let Need::Owned(kind, _) = need {
                owned_object(&app, &run, kind, &ws, n).await
            } else {
                String::new()
            };
            let args = server_fn_args(path, &ws, &world.users[2].1.id, n, &container);
            let form: Vec<(&str, &str)> =
                args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            // The provider callback is a GET (browsers arrive there by redirect).
            let method = if *path == "/api/oauth/callback" {
                Method::GET
            } else {
                Method::POST
            };
            let client = client_of(&world, who);
            let mut request = if method == Method::GET {
                client.get(app.url(path))
            } else {
                client
                    .post(app.url(path))
                    .header("origin", &app.address)
                    .form(&form)
            };
            if who == Principal::ReadToken {
                request = request.bearer_auth(&world.token);
            }
            let response = request.send().await.expect("request");
            if let Some(problem) = through_its_operation(&response, op) {
                failures.push(format!("{path} as {who:?}: {problem}"));
            } else if response.headers().contains_key(OPERATION_HEADER) {
                ran.insert((*path).to_owned());
            }
            let (refused, status, body) = denied(response, *need).await;
            if ["/api/logout", "/api/sign_out_everywhere"].contains(path) {
                sign_in_again(&app, &world, who).await;
            }
            let want = expected(*need, who, None);
            if refused == want {
                failures.push(format!(
                    "{path} as {who:?}: expected {}, got {status} {body}",
                    if want { "allowed" } else { "denied" }
                ));
            }
            checked += 1;
        }
    }

    // Every route and server function answered at least once through its own operation.
    let every = REST
        .iter()
        .map(|(method, template, _)| format!("{method} {template}"))
        .chain(SERVER_FNS.iter().map(|(path, _)| (*path).to_owned()));
    for route in every {
        if !ran.contains(&route) {
            failures.push(format!(
                "{route}: no principal's call ran its operation (no {OPERATION_HEADER} answer)"
            ));
        }
    }

    println!(
        "permission matrix: {} routes x {} principals = {checked} calls ({} backend)",
        SERVER_FNS.len() + REST.len(),
        PRINCIPALS.len(),
        app.backend
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_refused_direct_call_is_audited_with_the_permission_it_lacked() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let ws = fresh_workspace(&app, &world, 0).await;
    let viewer = &world.users[2].2;
    let response = app
        .post_form(
            viewer,
            "/api/create_invitation",
            &[
                ("workspace", &ws),
                ("role", "owner"),
                ("expires_in_hours", "1"),
            ],
        )
        .await;
    assert_eq!(response.status(), 403);
    let records = app.state.audit.recent(5).await.expect("audit");
    let denial = records
        .iter()
        .find(|r| r.action == "member.manage")
        .expect("a denial record");
    assert_eq!(denial.result, "denied");
    assert_eq!(denial.workspace.as_deref(), Some(ws.as_str()));
    assert_eq!(denial.actor, format!("user:{}", world.users[2].1.id));
}
