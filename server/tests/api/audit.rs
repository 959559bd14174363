//! Reading the audit log: filters, paging, field-named errors, JSON and CSV export, and owners
//! limited to their own workspace.

use engine::audit::{Entry, Outcome};
use engine::identity::accounts::NewUser;

use crate::helpers::{ADMIN_EMAIL, TestApp, new_client, spawn_app};

async fn page(
    app: &TestApp,
    client: &reqwest::Client,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let response = app.post_form(client, "/api/list_audit", form).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

fn entry(action: &str, workspace: Option<&str>) -> Entry {
    Entry {
        actor: "anonymous".into(),
        workspace: workspace.map(str::to_owned),
        action: action.into(),
        target: None,
        reason: None,
        request_id: None,
        source_ip: Some("192.0.2.1".into()),
    }
}

#[tokio::test]
async fn admins_filter_page_and_export_the_log() {
    let app = spawn_app().await;
    for i in 0..60 {
        let outcome = if i % 3 == 0 {
            Outcome::Failed
        } else {
            Outcome::Ok
        };
        app.state
            .audit
            .record(&entry(&format!("test.bulk{i}"), None), outcome)
            .await
            .expect("record");
    }

    // Newest first, 50 a page, then the rest.
    let (status, first) = page(&app, &app.client, &[("query[action]", "test.")]).await;
    assert_eq!(status, 200, "{first}");
    let rows = first["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 50);
    assert_eq!(rows[0]["action"], "test.bulk59");
    let older = first["older"].as_i64().expect("an older page");
    let (_, second) = page(
        &app,
        &app.client,
        &[
            ("query[action]", "test."),
            ("query[before]", &older.to_string()),
        ],
    )
    .await;
    assert_eq!(second["rows"].as_array().expect("rows").len(), 10);
    assert!(second["older"].is_null());

    // Result filter, and actor by email (the admin's own setup record).
    let (_, failed) = page(
        &app,
        &app.client,
        &[("query[action]", "test."), ("query[result]", "failed")],
    )
    .await;
    assert_eq!(failed["rows"].as_array().expect("rows").len(), 20);
    let (_, mine) = page(&app, &app.client, &[("query[actor]", ADMIN_EMAIL)]).await;
    let mine = mine["rows"].as_array().expect("rows");
    assert!(!mine.is_empty());
    assert!(
        mine.iter().all(|r| r["actor_email"] == ADMIN_EMAIL),
        "{mine:?}"
    );

    // Bad filters name their field.
    for (field, value) in [
        ("result", "maybe"),
        ("from", "yesterday"),
        ("actor", "nobody@nowhere.test"),
    ] {
        let key = format!("query[{field}]");
        let (status, body) = page(&app, &app.client, &[(key.as_str(), value)]).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["Invalid"]["field"], field);
    }

    // Export what matches as CSV and JSON.
    let csv = app
        .get("/api/v1/audit?action=test.&result=failed&format=csv")
        .await;
    assert_eq!(csv.status(), 200);
    assert_eq!(
        csv.headers()["content-type"].to_str().expect("type"),
        "text/csv; charset=utf-8"
    );
    let text = csv.text().await.expect("body");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("seq,at,actor,"), "{}", lines[0]);
    assert_eq!(lines.len(), 21);
    assert!(lines[1].contains(",test.bulk57,"), "{}", lines[1]);
    let (status, json) = app
        .get_json("/api/v1/audit?action=test.bulk1&format=json")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        json.as_array().expect("array").len(),
        11,
        "bulk1 and bulk10..19"
    );
    let (status, body) = app.get_json("/api/v1/audit?format=xml").await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .starts_with("format:")
    );
}

#[tokio::test]
async fn an_owner_reads_only_their_workspace_s_records() {
    let app = spawn_app().await;
    let owner = app
        .state
        .accounts
        .create(NewUser {
            email: "owner@audit.test",
            name: "Owner",
            password: "audit orbit kettle winter",
            is_admin: false,
        })
        .await
        .expect("user");
    let ws = app
        .state
        .workspaces
        .create("Mine", &owner)
        .await
        .expect("workspace");
    app.state
        .audit
        .record(&entry("test.mine", Some(&ws.id)), Outcome::Ok)
        .await
        .expect("record");
    app.state
        .audit
        .record(&entry("test.theirs", Some("elsewhere")), Outcome::Ok)
        .await
        .expect("record");
    let client = new_client();
    assert_eq!(
        app.login(&client, "owner@audit.test", "audit orbit kettle winter")
            .await
            .status(),
        200
    );

    let response = app
        .post_form(
            &client,
            "/api/list_workspace_audit",
            &[
                ("workspace", &ws.id),
                ("query[action]", "test."),
                ("query[workspace]", "elsewhere"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    let actions: Vec<&str> = body["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions,
        ["test.mine"],
        "a workspace filter cannot widen the scope"
    );

    let (status, _) = page(&app, &client, &[("query[action]", "")]).await;
    assert_eq!(status, 403, "the whole log is for platform admins");
    let csv = client
        .get(app.url(&format!("/api/v1/workspaces/{}/audit?format=csv", ws.id)))
        .send()
        .await
        .expect("request");
    assert_eq!(csv.status(), 200);
    assert!(csv.text().await.expect("body").contains("test.mine"));
    let all = client
        .get(app.url("/api/v1/audit"))
        .send()
        .await
        .expect("request");
    assert_eq!(all.status(), 403);
}
