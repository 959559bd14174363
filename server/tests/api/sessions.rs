//! The profile's list of sign-ins: each sign-in is listed with its device, one can be ended
//! from another, and "sign out everywhere" ends them all.

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, spawn_app};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

fn browser(agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .user_agent(agent)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn me_status(app: &TestApp, client: &reqwest::Client) -> u16 {
    client
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

async fn sessions(app: &TestApp, client: &reqwest::Client) -> Vec<serde_json::Value> {
    let response = app.post_form(client, "/api/list_sessions", &[]).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

#[tokio::test]
async fn a_sign_in_is_listed_can_be_ended_from_another_and_all_can_be_ended_at_once() {
    let app = spawn_app().await;
    let laptop = browser(FIREFOX);
    assert_eq!(
        app.login(&laptop, ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        200
    );

    let list = sessions(&app, &app.client).await;
    assert_eq!(list.len(), 2, "{list:?}");
    let current: Vec<_> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    let other = list
        .iter()
        .find(|s| s["current"] == false)
        .expect("the laptop");
    assert_eq!(other["device"], "Firefox on Linux");
    assert_eq!(other["ip"], "127.0.0.1");

    // Ending the laptop's sign-in from here signs it out at its next request.
    let id = other["id"].as_str().expect("id");
    let response = app
        .post_form(&app.client, "/api/revoke_session", &[("id", id)])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(me_status(&app, &laptop).await, 401);
    assert_eq!(me_status(&app, &app.client).await, 200);
    assert_eq!(sessions(&app, &app.client).await.len(), 1);
    let again = app
        .post_form(&app.client, "/api/revoke_session", &[("id", id)])
        .await;
    assert_eq!(again.status(), 404);

    // Sign out everywhere: both are out, and it is audited.
    assert_eq!(
        app.login(&laptop, ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        200
    );
    let response = app
        .post_form(&app.client, "/api/sign_out_everywhere", &[])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(me_status(&app, &laptop).await, 401);
    assert_eq!(me_status(&app, &app.client).await, 401);
    let actions: Vec<String> = app
        .state
        .audit
        .recent(3)
        .await
        .expect("audit")
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert!(
        actions.contains(&"session.revoke_all".to_owned()),
        "{actions:?}"
    );
}

#[tokio::test]
async fn signing_out_ends_the_listed_sign_in() {
    let app = spawn_app().await;
    let laptop = browser(FIREFOX);
    assert_eq!(
        app.login(&laptop, ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        200
    );
    assert_eq!(sessions(&app, &app.client).await.len(), 2);
    let response = app.post_form(&laptop, "/api/logout", &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(sessions(&app, &app.client).await.len(), 1);
}
