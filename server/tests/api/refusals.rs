//! The caller's mistakes are answered as such: the engine's refusals of a request keep their
//! meaning (400 for a request it finds wrong, 404, 409 for a name taken or an object in use)
//! instead of 502, server functions refuse unreadable arguments with 400 and an oversized body
//! with 413, and the OpenAPI document refers only to schemas it defines.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use testkit::docker::{RUN_LABEL, TestRun};

use crate::containers::{call, team};
use crate::helpers::{spawn_app, wait_for};

#[tokio::test]
async fn engine_refusals_keep_their_meaning() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let team = team(&app).await;
    // What the API makes carries only the workspace's label.
    run.also_remove(format!("{}={}", engine::docker::WORKSPACE_LABEL, team.ws));
    let admin = &app.client;
    // A volume name the engine does not accept.
    let (status, error) = call(
        &app,
        admin,
        Method::POST,
        &format!("/api/v1/workspaces/{}/volumes", team.ws),
        Some(json!({ "name": "Q" })),
    )
    .await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Q")),
        "{error}"
    );

    // An image reference the engine refuses.
    let (status, error) = call(
        &app,
        admin,
        Method::POST,
        &format!("/api/v1/workspaces/{}/containers", team.ws),
        Some(
            json!({ "image": "Not/A:Valid:Ref", "labels": [format!("{RUN_LABEL}={}", run.id())] }),
        ),
    )
    .await;
    assert_eq!(status, 400, "{error}");

    // Two containers; renaming one to the other's name is a conflict.
    let image = run.fixture_image().await.expect("fixture image");
    let mut names = Vec::new();
    for what in ["first", "second"] {
        let name = run.name(what);
        let (status, made) = call(
            &app,
            admin,
            Method::POST,
            &format!("/api/v1/workspaces/{}/containers", team.ws),
            Some(json!({
                "image": image,
                "name": name,
                "command": "sleep 600",
                "labels": [format!("{RUN_LABEL}={}", run.id())],
                "start": true,
            })),
        )
        .await;
        assert_eq!(status, 201, "{made}");
        names.push(name);
    }
    let (status, error) = call(
        &app,
        admin,
        Method::PUT,
        &format!("/api/v1/containers/{}/name", names[0]),
        Some(json!({ "name": names[1] })),
    )
    .await;
    assert_eq!(status, 409, "{error}");

    // A network in use cannot be removed; disconnecting what is not connected is refused.
    let net = run.name("busy-net");
    let (status, made) = call(
        &app,
        admin,
        Method::POST,
        &format!("/api/v1/workspaces/{}/networks", team.ws),
        Some(json!({ "name": net, "subnet": "10.231.7.0/24" })),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let (status, error) = call(
        &app,
        admin,
        Method::POST,
        &format!("/api/v1/networks/{net}/disconnect"),
        Some(json!({ "container": names[0] })),
    )
    .await;
    assert_eq!(status, 409, "{error}");
    let (status, _) = call(
        &app,
        admin,
        Method::POST,
        &format!("/api/v1/networks/{net}/connect"),
        Some(json!({ "container": names[0] })),
    )
    .await;
    assert_eq!(status, 204);
    let (status, error) = call(
        &app,
        admin,
        Method::DELETE,
        &format!("/api/v1/networks/{net}"),
        None,
    )
    .await;
    assert_eq!(status, 409, "{error}");
    for name in &names {
        let _ = call(
            &app,
            admin,
            Method::DELETE,
            &format!("/api/v1/containers/{name}"),
            None,
        )
        .await;
    }
    wait_for("the containers gone", Duration::from_secs(5), || async {
        names
            .iter()
            .all(|n| app.state.docker.containers().find(n).is_none())
            .then_some(())
    })
    .await;
    let (status, _) = call(
        &app,
        admin,
        Method::DELETE,
        &format!("/api/v1/networks/{net}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn server_functions_refuse_bad_arguments_with_400_and_huge_bodies_with_413() {
    let app = spawn_app().await;
    // `create_workspace` without its `name`.
    let response = app
        .post_form(&app.client, "/api/create_workspace", &[])
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert!(body.to_string().contains("name"), "{body}");
    // A filter with nothing set is no filter (as the audit page sends it after a switch).
    let response = app.post_form(&app.client, "/api/list_audit", &[]).await;
    assert_eq!(response.status(), 200);
    // A 10 MB form.
    let big = "x".repeat(10 * 1024 * 1024);
    let response = app
        .post_form(&app.client, "/api/create_workspace", &[("name", &big)])
        .await;
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.expect("JSON");
    assert!(body.to_string().contains("larger than"), "{body}");
}

#[tokio::test]
async fn the_openapi_document_refers_only_to_schemas_it_defines() {
    let app = spawn_app().await;
    let (status, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let defined = doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .clone();
    let text = doc.to_string();
    let mut missing = Vec::new();
    for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = part.split('"').next().unwrap_or_default();
        if !defined.contains_key(name) && !missing.contains(&name.to_owned()) {
            missing.push(name.to_owned());
        }
    }
    assert!(
        missing.is_empty(),
        "referenced but not defined: {missing:?}"
    );
}

#[tokio::test]
async fn a_refusal_is_audited_naming_the_object_asked_for() {
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let id = crate::containers::outside_container(&app, &run, "guarded", Some(&team.ws)).await;
    let name = run.name("guarded");
    // The outsider (of another workspace) over REST and through a server function; the
    // viewer (who sees it) through a server function.
    let (status, _) = call(
        &app,
        &team.outsider.1,
        Method::POST,
        &format!("/api/v1/containers/{name}/start"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let refused = app
        .post_form(
            &team.viewer.1,
            "/api/remove_container",
            &[("id", &id), ("volumes", "false")],
        )
        .await;
    assert_eq!(refused.status(), 403);
    let (status, records) = app
        .get_json("/api/v1/audit?result=denied&format=json")
        .await;
    assert_eq!(status, 200, "{records}");
    let targets: Vec<&str> = records
        .as_array()
        .expect("records")
        .iter()
        .filter_map(|r| r["target"].as_str())
        .collect();
    assert!(
        targets.contains(&format!("container:{name}").as_str()),
        "{targets:?}"
    );
    assert!(
        targets.contains(&format!("container:{id}").as_str()),
        "{targets:?}"
    );
    assert!(
        !targets.iter().any(|t| t.contains("{container}")),
        "{targets:?}"
    );
}
