use engine::audit::Audit;
use engine::on_pool;

use crate::helpers::{TestApp, new_client, spawn_app};

async fn create_token(
    app: &TestApp,
    name: &str,
    scope: &str,
    days: Option<&str>,
) -> (String, String) {
    let mut form = vec![("name", name), ("scope", scope)];
    if let Some(days) = days {
        form.push(("expires_in_days", days));
    }
    let response = app
        .post_form(&app.client, "/api/create_api_token", &form)
        .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    let secret = body["secret"].as_str().expect("secret").to_owned();
    let id = body["token"]["id"].as_str().expect("id").to_owned();
    (id, secret)
}

async fn me_with(app: &TestApp, token: &str) -> (u16, serde_json::Value) {
    let response = new_client()
        .get(app.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn a_token_authenticates_as_its_owner_and_records_its_use() {
    let app = spawn_app().await;
    let (id, secret) = create_token(&app, "backup script", "read", Some("30")).await;
    assert!(secret.starts_with(&format!("orbitr_{id}_")), "{secret}");

    let (status, me) = me_with(&app, &secret).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["email"], crate::helpers::ADMIN_EMAIL);
    assert_eq!(me["authenticated_by"], "token");
    assert_eq!(me["token_scope"], "read");

    let list = app
        .post_form(&app.client, "/api/list_api_tokens", &[])
        .await;
    let list: serde_json::Value = list.json().await.expect("json");
    assert_eq!(list[0]["name"], "backup script");
    assert!(list[0]["last_used_at"].is_i64(), "{list}");
    assert!(list[0]["expires_at"].is_i64(), "{list}");
    assert!(
        !list.to_string().contains(&secret),
        "the secret is never listed"
    );

    let (status, session_me) = app.get_json("/api/v1/me").await;
    assert_eq!(status, 200);
    assert_eq!(session_me["authenticated_by"], "session");
}

#[tokio::test]
async fn a_read_token_cannot_change_anything_and_tokens_cannot_make_tokens() {
    let app = spawn_app().await;
    let (_, read) = create_token(&app, "reader", "read", None).await;
    let (_, write) = create_token(&app, "writer", "write", None).await;

    let response = new_client()
        .post(app.url("/api/v1/me"))
        .bearer_auth(&read)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 403);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "read_only_token");

    for token in [&read, &write] {
        let response = new_client()
            .post(app.url("/api/create_api_token"))
            .bearer_auth(token)
            .form(&[("name", "escalate"), ("scope", "write")])
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 401, "tokens only work on /api/v1/");
    }
}

#[tokio::test]
async fn revoked_expired_unknown_and_malformed_tokens_are_refused() {
    let app = spawn_app().await;
    let (id, secret) = create_token(&app, "short-lived", "write", Some("1")).await;
    assert_eq!(me_with(&app, &secret).await.0, 200);

    let wrong_secret = format!("orbitr_{id}_{}", "A".repeat(43));
    for bad in [wrong_secret.as_str(), "orbitr_nope_nope", "garbage", ""] {
        let (status, body) = me_with(&app, bad).await;
        assert_eq!(status, 401, "{bad:?}: {body}");
        assert_eq!(body["error"]["code"], "invalid_token");
    }

    on_pool!(&app.db, |pool| sqlx::query(
        "UPDATE api_tokens SET expires_at = 1 WHERE id = $1"
    )
    .bind(&id)
    .execute(pool)
    .await
    .map(drop)
    .expect("expire"));
    // The token cache owns the table's contents; a row changed behind its back needs a reload
    // (here the edit stands in for a day passing).
    app.state.tokens.clear_cache();
    assert_eq!(me_with(&app, &secret).await.0, 401, "expired");

    let (id2, secret2) = create_token(&app, "to revoke", "read", None).await;
    assert_eq!(me_with(&app, &secret2).await.0, 200);
    let revoked = app
        .post_form(&app.client, "/api/revoke_api_token", &[("id", &id2)])
        .await;
    assert_eq!(revoked.status(), 200);
    assert_eq!(me_with(&app, &secret2).await.0, 401, "revoked");
    let again = app
        .post_form(&app.client, "/api/revoke_api_token", &[("id", &id2)])
        .await;
    assert_eq!(again.status(), 400);

    let records = Audit::new(app.db.clone()).recent(20).await.expect("audit");
    assert!(
        records
            .iter()
            .any(|r| r.action == "token.create" && r.result == "ok")
    );
    assert!(
        records
            .iter()
            .any(|r| r.action == "token.revoke" && r.result == "ok")
    );
    assert!(
        records
            .iter()
            .any(|r| r.action == "token.revoke" && r.result == "failed")
    );
    assert!(
        records
            .iter()
            .all(|r| !format!("{r:?}").contains(&secret) && !format!("{r:?}").contains(&secret2)),
        "secrets never reach the audit log"
    );
}

#[tokio::test]
async fn token_fields_are_validated_by_name() {
    let app = spawn_app().await;
    for (form, field) in [
        (vec![("name", ""), ("scope", "read")], "name"),
        (vec![("name", "x"), ("scope", "admin")], "scope"),
        (
            vec![("name", "x"), ("scope", "read"), ("expires_in_days", "0")],
            "expires_in_days",
        ),
        (
            vec![
                ("name", "x"),
                ("scope", "read"),
                ("expires_in_days", "soon"),
            ],
            "expires_in_days",
        ),
    ] {
        let response = app
            .post_form(&app.client, "/api/create_api_token", &form)
            .await;
        assert_eq!(response.status(), 400, "{field}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["Invalid"]["field"], field);
    }
    let anonymous = app
        .post_form(
            &new_client(),
            "/api/create_api_token",
            &[("name", "x"), ("scope", "read")],
        )
        .await;
    assert_eq!(anonymous.status(), 401);
}
