//! Images, networks and volumes over HTTP against the real engine: created in a workspace,
//! listed with the containers using them, refused while in use, removed, pruned; refusals by
//! role and ownership. Objects Orbitr creates are removed by their workspace label.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use testkit::docker::{RUN_LABEL, TestRun};

use crate::containers::{Team, call, team};
use crate::helpers::{TestApp, spawn_app, wait_for};

async fn listed(app: &TestApp, client: &reqwest::Client, path: &str, name: &str) -> Option<Value> {
    let (_, list) = call(app, client, Method::GET, path, None).await;
    list.as_array()?.iter().find(|o| o["name"] == name).cloned()
}

fn track(run: &mut TestRun, team: &Team) {
    run.also_remove(format!("{}={}", engine::docker::WORKSPACE_LABEL, team.ws));
    run.also_remove(format!(
        "{}={}",
        engine::docker::WORKSPACE_LABEL,
        team.other_ws
    ));
}

#[tokio::test]
async fn volumes_and_networks_are_created_used_refused_in_use_and_removed() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let team = team(&app).await;
    track(&mut run, &team);
    let op = &team.operator.1;
    let volume = run.name("data");
    let network = run.name("net");

    let (status, created) = call(
        &app,
        op,
        Method::POST,
        &format!("/api/v1/workspaces/{}/volumes", team.ws),
        Some(json!({ "name": volume })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["workspace"], team.ws.as_str());
    let (status, error) = call(
        &app,
        op,
        Method::POST,
        &format!("/api/v1/workspaces/{}/networks", team.ws),
        Some(json!({ "name": network, "subnet": "10.77.0.0/33" })),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("subnet:")),
        "{error}"
    );
    let (status, created) = call(
        &app,
        op,
        Method::POST,
        &format!("/api/v1/workspaces/{}/networks", team.ws),
        Some(json!({ "name": network, "subnet": "10.77.31.0/24", "gateway": "10.77.31.1", "internal": true })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["subnet"], "10.77.31.0/24");

    // A container using both: the lists name it.
    let image = run.fixture_image().await.expect("image");
    let spec = json!({
        "image": image,
        "name": run.name("user"),
        "volumes": [format!("{volume}:/data")],
        "network": network,
        "labels": [format!("{RUN_LABEL}={}", run.id())],
        "start": true,
    });
    let (status, container) = call(
        &app,
        op,
        Method::POST,
        &format!("/api/v1/workspaces/{}/containers", team.ws),
        Some(spec),
    )
    .await;
    assert_eq!(status, 201, "{container}");
    let user = run.name("user");
    // The container writes into the volume; its size is read from disk.
    let id = container["id"].as_str().expect("id").to_owned();
    let code = testkit::docker::exec(run.docker(), &id, "head -c 300000 /dev/zero > /data/blob")
        .await
        .expect("exec");
    assert_eq!(code, 0);
    let (size, _) = wait_for("the volume's size", Duration::from_secs(3), || async {
        let (_, sizes) = call(&app, op, Method::GET, "/api/v1/volumes/sizes", None).await;
        sizes[&volume].as_i64().filter(|s| *s >= 300_000)
    })
    .await;
    assert!(size < 400_000, "{size}");
    let (found, _) = wait_for("the users to be listed", Duration::from_secs(3), || async {
        let v = listed(&app, op, "/api/v1/volumes", &volume).await?;
        let n = listed(&app, op, "/api/v1/networks", &network).await?;
        (v["used_by"] == json!([user]) && n["used_by"] == json!([user])).then_some((v, n))
    })
    .await;
    assert_eq!(found.1["internal"], true);

    // In use: refused with the engine's reason; the viewer and outsiders cannot remove at all.
    let (status, error) = call(
        &app,
        op,
        Method::DELETE,
        &format!("/api/v1/volumes/{volume}"),
        None,
    )
    .await;
    assert_eq!(status, 409, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("in use")),
        "{error}"
    );
    let (status, _) = call(
        &app,
        &team.viewer.1,
        Method::DELETE,
        &format!("/api/v1/volumes/{volume}"),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = call(
        &app,
        &team.outsider.1,
        Method::DELETE,
        &format!("/api/v1/networks/{network}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert!(
        listed(&app, &team.outsider.1, "/api/v1/volumes", &volume)
            .await
            .is_none()
    );

    let id = container["id"].as_str().expect("id");
    let (status, _) = call(
        &app,
        op,
        Method::DELETE,
        &format!("/api/v1/containers/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(
        &app,
        op,
        Method::DELETE,
        &format!("/api/v1/networks/{network}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(
        &app,
        op,
        Method::DELETE,
        &format!("/api/v1/volumes/{volume}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert!(listed(&app, op, "/api/v1/volumes", &volume).await.is_none());
    assert!(
        listed(&app, op, "/api/v1/networks", &network)
            .await
            .is_none()
    );

    // Prune removes this workspace's unused volumes only.
    let other = run.name("other-ws");
    let spare = run.name("spare");
    for (ws, name) in [(&team.ws, &spare), (&team.other_ws, &other)] {
        let (status, body) = call(
            &app,
            &app.client,
            Method::POST,
            &format!("/api/v1/workspaces/{ws}/volumes"),
            Some(json!({ "name": name })),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, report) = call(
        &app,
        op,
        Method::POST,
        &format!("/api/v1/workspaces/{}/volumes/prune", team.ws),
        None,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert!(
        report["removed"]
            .as_array()
            .is_some_and(|r| r.contains(&json!(spare))),
        "{report}"
    );
    assert!(
        listed(&app, &app.client, "/api/v1/volumes", &other)
            .await
            .is_some(),
        "the other workspace's volume stays"
    );

    let audited: Vec<String> = app
        .state
        .audit
        .recent(300)
        .await
        .expect("audit")
        .into_iter()
        .filter(|r| r.result == "ok")
        .map(|r| r.action)
        .collect();
    for action in [
        "volume.create",
        "network.create",
        "network.remove",
        "volume.remove",
        "volume.prune",
    ] {
        assert!(
            audited.iter().any(|a| a == action),
            "{action} not audited: {audited:?}"
        );
    }
}

#[tokio::test]
async fn images_are_listed_with_their_users_and_only_admins_remove_them() {
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let image = run.fixture_image().await.expect("image");
    // A tag of this run's own on the shared fixture image: removing it only untags.
    let tag = format!("orbitr-untag-me:{}", run.id());
    let (repo, version) = tag.split_once(':').expect("tag");
    run.docker()
        .tag_image(
            &image,
            Some(bollard::query_parameters::TagImageOptions {
                repo: Some(repo.to_owned()),
                tag: Some(version.to_owned()),
            }),
        )
        .await
        .expect("tag");
    crate::containers::outside_container(&app, &run, "runner", Some(&team.ws)).await;

    let (found, _) = wait_for(
        "the fixture image with its user",
        Duration::from_secs(3),
        || async {
            let (_, list) = call(&app, &team.viewer.1, Method::GET, "/api/v1/images", None).await;
            list.as_array()?
                .iter()
                .find(|i| {
                    i["tags"]
                        .as_array()
                        .is_some_and(|t| t.contains(&json!(tag)))
                })
                .filter(|i| i["used_by"] == json!([run.name("runner")]))
                .cloned()
        },
    )
    .await;
    assert!(found["size"].as_i64().is_some_and(|s| s > 0), "{found}");

    let path = format!("/api/v1/images/{tag}");
    let (status, detail) = call(&app, &team.viewer.1, Method::GET, &path, None).await;
    assert_eq!(status, 200, "{detail}");
    assert!(
        detail["layers"].as_array().is_some_and(|l| !l.is_empty()),
        "{detail}"
    );
    assert!(
        detail["history"].to_string().contains("busybox"),
        "{detail}"
    );
    assert_eq!(detail["summary"]["used_by"], json!([run.name("runner")]));
    let (status, _) = call(&app, &team.operator.1, Method::DELETE, &path, None).await;
    assert_eq!(
        status, 403,
        "owners and operators do not remove shared images"
    );
    let (status, gone) = call(&app, &app.client, Method::DELETE, &path, None).await;
    assert_eq!(status, 200, "{gone}");
    assert!(gone.to_string().contains(&tag), "{gone}");
    let (status, _) = call(&app, &app.client, Method::DELETE, &path, None).await;
    assert_eq!(status, 404);
}

const REGISTRY_PASSWORD: &str = "registry-pass-7f3a";

/// Pull messages for `id` from the websocket until the pull is done.
async fn pull_messages(socket: &mut crate::containers::Socket, id: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let push = crate::containers::next_push(socket).await;
        if push["type"] == "pull" && push["pull"]["id"] == id {
            let done = push["pull"]["done"] == true;
            seen.push(push["pull"].clone());
            if done {
                return seen;
            }
        }
    }
}

#[tokio::test]
async fn images_are_pulled_with_the_workspace_credentials_and_progress_is_pushed() {
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let registry = testkit::registry::LocalRegistry::start("alice", REGISTRY_PASSWORD)
        .await
        .expect("registry");
    let reference = registry
        .publish_run_image(&run, "alice", REGISTRY_PASSWORD)
        .await
        .expect("publish");
    let admin = &app.client;

    // Owners (here the admin) store the credential; it is encrypted at rest.
    let path = format!("/api/v1/workspaces/{}/registries", team.ws);
    let (status, error) = call(
        &app,
        admin,
        Method::POST,
        &path,
        Some(json!({"registry": "bad/host", "username": "alice", "password": "x"})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(error.to_string().contains("registry:"), "{error}");
    let (status, saved) = call(
        &app,
        admin,
        Method::POST,
        &path,
        Some(
            json!({"registry": registry.host, "username": "alice", "password": REGISTRY_PASSWORD}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert!(!saved.to_string().contains(REGISTRY_PASSWORD));
    let (status, _) = call(&app, &team.operator.1, Method::GET, &path, None).await;
    assert_eq!(status, 403, "operators use credentials but do not see them");
    let stored: (String,) = engine::on_pool!(&app.db, |pool| {
        sqlx::query_as("SELECT secret FROM registry_credentials")
            .fetch_one(pool)
            .await
            .expect("row")
    });
    assert!(!stored.0.contains(REGISTRY_PASSWORD), "stored encrypted");

    // The operator pulls; progress arrives on the websocket, per layer, then done.
    let (_, token) = app
        .state
        .tokens
        .create(
            &team.operator.0.id,
            "pull",
            engine::identity::tokens::Scope::Write,
            None,
            None,
        )
        .await
        .expect("token");
    let mut socket = crate::containers::connect(&app, &token).await;
    let (status, id) = call(
        &app,
        &team.operator.1,
        Method::POST,
        &format!("/api/v1/workspaces/{}/images/pull", team.ws),
        Some(json!({ "reference": reference })),
    )
    .await;
    assert_eq!(status, 202, "{id}");
    let messages = pull_messages(&mut socket, id.as_str().expect("id")).await;
    let last = messages.last().expect("done");
    assert_eq!(last["error"], Value::Null, "{last}");
    assert!(
        messages
            .iter()
            .any(|m| m["layers"].as_array().is_some_and(|l| !l.is_empty())),
        "layer progress was pushed: {messages:?}"
    );
    let (found, _) = wait_for(
        "the pulled image in the list",
        Duration::from_secs(3),
        || async {
            let (_, list) = call(&app, &team.operator.1, Method::GET, "/api/v1/images", None).await;
            list.as_array()?
                .iter()
                .any(|i| {
                    i["tags"]
                        .as_array()
                        .is_some_and(|t| t.contains(&json!(reference)))
                })
                .then_some(())
        },
    )
    .await;
    let () = found;

    // Without credentials (another workspace) the registry refuses, and the message says so.
    testkit::registry::remove_local(&run, &reference)
        .await
        .expect("remove the local image");
    let (_, outsider_token) = app
        .state
        .tokens
        .create(
            &team.outsider.0.id,
            "pull",
            engine::identity::tokens::Scope::Write,
            None,
            None,
        )
        .await
        .expect("token");
    let mut socket = crate::containers::connect(&app, &outsider_token).await;
    let (status, id) = call(
        &app,
        &team.outsider.1,
        Method::POST,
        &format!("/api/v1/workspaces/{}/images/pull", team.other_ws),
        Some(json!({ "reference": reference })),
    )
    .await;
    assert_eq!(status, 202);
    let messages = pull_messages(&mut socket, id.as_str().expect("id")).await;
    let error = messages
        .last()
        .and_then(|m| m["error"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(
        error.contains(&reference) && error.contains(&registry.host),
        "{error}"
    );
    assert!(
        error.contains("auth") || error.contains("unauthorized"),
        "{error}"
    );

    // A public image cannot be pulled here: the error names the image and Docker Hub.
    let mut socket = crate::containers::connect(&app, &token).await;
    let (_, id) = call(
        &app,
        &team.operator.1,
        Method::POST,
        &format!("/api/v1/workspaces/{}/images/pull", team.ws),
        Some(json!({ "reference": "nginx:1.27" })),
    )
    .await;
    let messages = pull_messages(&mut socket, id.as_str().expect("id")).await;
    let error = messages
        .last()
        .and_then(|m| m["error"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(
        error.contains("nginx:1.27") && error.contains("docker.io"),
        "{error}"
    );

    let audited: Vec<(String, String)> = app
        .state
        .audit
        .recent(200)
        .await
        .expect("audit")
        .into_iter()
        .filter(|r| r.action == "image.pull" || r.action == "registry.save")
        .map(|r| (r.action, r.result))
        .collect();
    assert!(
        audited.contains(&("image.pull".into(), "ok".into())),
        "{audited:?}"
    );
    assert!(
        audited.contains(&("image.pull".into(), "failed".into())),
        "{audited:?}"
    );
    assert!(
        audited.contains(&("registry.save".into(), "ok".into())),
        "{audited:?}"
    );
    let _ = run
        .docker()
        .remove_image(
            &reference,
            None::<bollard::query_parameters::RemoveImageOptions>,
            None,
        )
        .await;
}

#[tokio::test]
async fn containers_are_connected_to_and_disconnected_from_their_workspace_networks() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let team = team(&app).await;
    track(&mut run, &team);
    let op = &team.operator.1;
    let network = run.name("backend");
    let (status, _) = call(
        &app,
        op,
        Method::POST,
        &format!("/api/v1/workspaces/{}/networks", team.ws),
        Some(json!({ "name": network })),
    )
    .await;
    assert_eq!(status, 201);
    let mine = crate::containers::outside_container(&app, &run, "app", Some(&team.ws)).await;
    let theirs =
        crate::containers::outside_container(&app, &run, "theirs", Some(&team.other_ws)).await;
    let networks_of = |id: String| {
        let app = &app;
        async move {
            app.state
                .docker
                .containers()
                .find(&id)
                .map(|c| c.networks)
                .unwrap_or_default()
        }
    };

    let connect = format!("/api/v1/networks/{network}/connect");
    let (status, body) = call(
        &app,
        op,
        Method::POST,
        &connect,
        Some(json!({ "container": mine })),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    assert!(networks_of(mine.clone()).await.contains(&network));
    let (status, _) = call(
        &app,
        op,
        Method::POST,
        &connect,
        Some(json!({ "container": theirs })),
    )
    .await;
    assert_eq!(status, 404, "another workspace's container is not visible");
    let (status, body) = call(
        &app,
        &app.client,
        Method::POST,
        &connect,
        Some(json!({ "container": theirs })),
    )
    .await;
    assert_eq!(
        status, 204,
        "platform admins connect across workspaces: {body}"
    );
    let (status, _) = call(
        &app,
        &team.viewer.1,
        Method::POST,
        &connect,
        Some(json!({ "container": mine })),
    )
    .await;
    assert_eq!(status, 403);

    let (status, _) = call(
        &app,
        op,
        Method::POST,
        &format!("/api/v1/networks/{network}/disconnect"),
        Some(json!({ "container": mine })),
    )
    .await;
    assert_eq!(status, 204);
    assert!(!networks_of(mine).await.contains(&network));
}
