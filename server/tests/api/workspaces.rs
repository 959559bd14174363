//! Workspaces over HTTP: creating, renaming, deleting (refused while Docker objects still belong
//! to the workspace), field-named errors, and tokens limited to one workspace.

use bollard::models::VolumeCreateRequest;
use engine::docker::WORKSPACE_LABEL;
use testkit::docker::TestRun;

use crate::helpers::{TestApp, new_client, spawn_app};

pub(crate) async fn create(app: &TestApp, name: &str) -> String {
    let response = app
        .post_form(&app.client, "/api/create_workspace", &[("name", name)])
        .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    body["id"].as_str().expect("id").to_owned()
}

async fn error_of(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn a_workspace_is_deleted_only_when_no_docker_object_belongs_to_it() {
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let ws = create(&app, "Media").await;

    let rename = app
        .post_form(
            &app.client,
            "/api/rename_workspace",
            &[("workspace", &ws), ("name", "Media Server")],
        )
        .await;
    assert_eq!(rename.status(), 200);

    // A volume labelled as the workspace's blocks deletion, and the message names it.
    let mut labels = run.labels();
    labels.insert(WORKSPACE_LABEL.to_owned(), ws.clone());
    let volume = run.name("data");
    run.docker()
        .create_volume(VolumeCreateRequest {
            name: Some(volume.clone()),
            labels: Some(labels),
            ..Default::default()
        })
        .await
        .expect("volume");
    let wrong_name = app
        .post_form(
            &app.client,
            "/api/delete_workspace",
            &[("workspace", &ws), ("confirm", "Media")],
        )
        .await;
    let (status, body) = error_of(wrong_name).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["Invalid"]["field"], "confirm");

    let delete_form = [("workspace", ws.as_str()), ("confirm", "Media Server")];
    let delete = || app.post_form(&app.client, "/api/delete_workspace", &delete_form);
    let (status, body) = error_of(delete().await).await;
    assert_eq!(status, 409, "{body}");
    let message = body["Conflict"].as_str().expect("message");
    assert!(message.contains(&format!("volume {volume}")), "{message}");

    run.docker()
        .remove_volume(
            &volume,
            None::<bollard::query_parameters::RemoveVolumeOptions>,
        )
        .await
        .expect("remove volume");
    let done = delete().await;
    let status = done.status();
    assert_eq!(status, 200, "{}", done.text().await.unwrap_or_default());
    let (status, _) = app.get_json(&format!("/api/v1/workspaces/{ws}")).await;
    assert_eq!(status, 404, "the admin may look, but it is gone");

    let actions: Vec<(String, String)> = app
        .state
        .audit
        .recent(10)
        .await
        .expect("audit")
        .into_iter()
        .filter(|r| r.action.starts_with("workspace."))
        .map(|r| (r.action, r.result))
        .collect();
    assert!(
        actions.contains(&("workspace.delete".into(), "failed".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("workspace.delete".into(), "ok".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("workspace.rename".into(), "ok".into())),
        "{actions:?}"
    );
}

#[tokio::test]
async fn bad_input_gets_an_error_naming_its_field() {
    let app = spawn_app().await;
    let ws = create(&app, "Lab").await;
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: [Case; 5] = [
        ("/api/create_workspace", vec![("name", "  ")], "name"),
        ("/api/create_workspace", vec![("name", "lab")], "name"),
        (
            "/api/create_invitation",
            vec![
                ("workspace", &ws),
                ("role", "king"),
                ("expires_in_hours", "1"),
            ],
            "role",
        ),
        (
            "/api/create_invitation",
            vec![
                ("workspace", &ws),
                ("role", "viewer"),
                ("expires_in_hours", "soon"),
            ],
            "expires_in_hours",
        ),
        (
            "/api/create_invitation",
            vec![
                ("workspace", &ws),
                ("role", "viewer"),
                ("email", "not-an-email"),
                ("expires_in_hours", "1"),
            ],
            "email",
        ),
    ];
    for (path, form, field) in cases {
        let (status, body) = error_of(app.post_form(&app.client, path, &form).await).await;
        assert_eq!(status, 400, "{path} {form:?}: {body}");
        assert_eq!(body["Invalid"]["field"], field, "{path} {form:?}: {body}");
    }
    // The last owner cannot leave or be demoted.
    let me: serde_json::Value = app.get_json("/api/v1/me").await.1;
    let my_id = me["id"].as_str().expect("id");
    let (status, body) = error_of(
        app.post_form(
            &app.client,
            "/api/set_member_role",
            &[("workspace", &ws), ("user_id", my_id), ("role", "viewer")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["Conflict"]
            .as_str()
            .expect("message")
            .contains("owner")
    );
}

#[tokio::test]
async fn a_token_limited_to_one_workspace_cannot_reach_another() {
    let app = spawn_app().await;
    let a = create(&app, "Alpha").await;
    let b = create(&app, "Beta").await;
    let response = app
        .post_form(
            &app.client,
            "/api/create_api_token",
            &[
                ("name", "alpha only"),
                ("scope", "write"),
                ("workspace", &a),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["token"]["workspace_id"], a.as_str());
    let secret = body["secret"].as_str().expect("secret");
    let get = |path: String| new_client().get(app.url(&path)).bearer_auth(secret).send();
    assert_eq!(
        get(format!("/api/v1/workspaces/{a}/members"))
            .await
            .expect("request")
            .status(),
        200
    );
    assert_eq!(
        get(format!("/api/v1/workspaces/{b}"))
            .await
            .expect("request")
            .status(),
        403
    );
    // Platform actions are outside any one workspace.
    let create = new_client()
        .post(app.url("/api/v1/workspaces"))
        .bearer_auth(secret)
        .json(&serde_json::json!({ "name": "Gamma" }))
        .send()
        .await
        .expect("request");
    assert_eq!(create.status(), 403);

    // A workspace the owner does not belong to cannot be chosen.
    let response = app
        .post_form(
            &app.client,
            "/api/create_api_token",
            &[
                ("name", "nowhere"),
                ("scope", "read"),
                ("workspace", "000000000000"),
            ],
        )
        .await;
    let (status, body) = error_of(response).await;
    assert_eq!(status, 400);
    assert_eq!(body["Invalid"]["field"], "workspace");
}

#[tokio::test]
async fn an_admin_creates_a_workspace_over_rest_and_it_is_audited() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/workspaces"))
        .header("origin", &app.address)
        .json(&serde_json::json!({ "name": "Ops" }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["role"], "owner");
    let (status, list) = app.get_json("/api/v1/workspaces").await;
    assert_eq!(status, 200);
    assert_eq!(list[0]["name"], "Ops");
    let record = app.state.audit.recent(1).await.expect("audit").remove(0);
    assert_eq!(record.action, "workspace.create");
    assert_eq!(record.workspace.as_deref(), body["id"].as_str());
}
