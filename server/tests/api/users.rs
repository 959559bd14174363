//! Account administration: reset links (one-time, field-named errors, sessions end), the admin
//! role, deletion, and never losing the last admin.

use engine::identity::accounts::NewUser;

use crate::helpers::{TestApp, new_client, spawn_app};

const OLD: &str = "first kettle orbit plum";
const NEW: &str = "second lantern meadow quiet";

async fn person(app: &TestApp, email: &str) -> (String, reqwest::Client) {
    let user = app
        .state
        .accounts
        .create(NewUser {
            email,
            name: "Pat Person",
            password: OLD,
            is_admin: false,
        })
        .await
        .expect("user");
    let client = new_client();
    assert_eq!(app.login(&client, email, OLD).await.status(), 200);
    (user.id.into(), client)
}

async fn status_of(client: &reqwest::Client, app: &TestApp) -> u16 {
    client
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let app = spawn_app().await;
    let (id, pat) = person(&app, "pat@users.test").await;
    let response = app
        .post_form(
            &app.client,
            "/api/create_password_reset",
            &[("user_id", &id)],
        )
        .await;
    assert_eq!(response.status(), 200);
    let path: String = response.json().await.expect("json");
    let code = path
        .strip_prefix("/reset/")
        .expect("a reset path")
        .to_owned();

    let anonymous = new_client();
    let check = app
        .post_form(&anonymous, "/api/check_password_reset", &[("code", &code)])
        .await;
    assert_eq!(check.status(), 200);
    assert_eq!(
        check.json::<String>().await.expect("json"),
        "pat@users.test"
    );
    // The page itself is open to anyone holding the link.
    let page = anonymous.get(app.url(&path)).send().await.expect("page");
    assert_eq!(page.status(), 200);

    let weak = app
        .post_form(
            &anonymous,
            "/api/complete_password_reset",
            &[("code", &code), ("password", "short"), ("confirm", "short")],
        )
        .await;
    assert_eq!(weak.status(), 400);
    let body: serde_json::Value = weak.json().await.expect("json");
    assert_eq!(body["Invalid"]["field"], "password");

    let done = app
        .post_form(
            &anonymous,
            "/api/complete_password_reset",
            &[("code", &code), ("password", NEW), ("confirm", NEW)],
        )
        .await;
    assert_eq!(done.status(), 200);
    assert_eq!(status_of(&pat, &app).await, 401, "the old session ended");
    assert_eq!(
        app.login(&new_client(), "pat@users.test", OLD)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login(&new_client(), "pat@users.test", NEW)
            .await
            .status(),
        200
    );

    let again = app
        .post_form(
            &anonymous,
            "/api/complete_password_reset",
            &[("code", &code), ("password", OLD), ("confirm", OLD)],
        )
        .await;
    assert_eq!(again.status(), 409, "a link works once");
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted_or_deleted_and_deleted_users_are_signed_out() {
    let app = spawn_app().await;
    let me: serde_json::Value = app.get_json("/api/v1/me").await.1;
    let admin_id = me["id"].as_str().expect("id").to_owned();

    let demote_self = app
        .post_form(
            &app.client,
            "/api/set_platform_admin",
            &[("user_id", &admin_id), ("admin", "false")],
        )
        .await;
    assert_eq!(demote_self.status(), 409);
    let body: serde_json::Value = demote_self.json().await.expect("json");
    assert!(
        body["Conflict"]
            .as_str()
            .expect("message")
            .contains("at least one admin")
    );
    let delete_self = app
        .post_form(&app.client, "/api/delete_user", &[("user_id", &admin_id)])
        .await;
    assert_eq!(delete_self.status(), 409);

    // A second admin may demote the first; then they are the last one.
    let (second, second_client) = person(&app, "second@users.test").await;
    let grant = app
        .post_form(
            &app.client,
            "/api/set_platform_admin",
            &[("user_id", &second), ("admin", "true")],
        )
        .await;
    assert_eq!(grant.status(), 200);
    let users = app.post_form(&second_client, "/api/list_users", &[]).await;
    assert_eq!(users.status(), 200, "the new admin may list users at once");
    let demote_first = app
        .post_form(
            &second_client,
            "/api/set_platform_admin",
            &[("user_id", &admin_id), ("admin", "false")],
        )
        .await;
    assert_eq!(demote_first.status(), 200);
    let demote_last = app
        .post_form(
            &second_client,
            "/api/set_platform_admin",
            &[("user_id", &second), ("admin", "false")],
        )
        .await;
    assert_eq!(demote_last.status(), 409);
    let users = app.post_form(&app.client, "/api/list_users", &[]).await;
    assert_eq!(users.status(), 403, "the first one is no longer an admin");

    // Deleting an account ends its sessions at once.
    let (pat, pat_client) = person(&app, "pat@users.test").await;
    let delete = app
        .post_form(&second_client, "/api/delete_user", &[("user_id", &pat)])
        .await;
    assert_eq!(delete.status(), 200);
    assert_eq!(status_of(&pat_client, &app).await, 401);
    assert_eq!(
        app.login(&new_client(), "pat@users.test", OLD)
            .await
            .status(),
        401
    );
    let actions: Vec<(String, String)> = app
        .state
        .audit
        .recent(20)
        .await
        .expect("audit")
        .into_iter()
        .map(|r| (r.action, r.result))
        .collect();
    for wanted in ["user.delete", "user.grant_admin", "user.revoke_admin"] {
        assert!(
            actions.contains(&(wanted.to_owned(), "ok".to_owned())),
            "{wanted} in {actions:?}"
        );
    }
    assert!(actions.contains(&("user.revoke_admin".to_owned(), "failed".to_owned())));
}
