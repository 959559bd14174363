//! Platform settings from the browser: a change applies at once (no restart) and is audited;
//! a bad value names its field and nothing is stored; a setting the file or environment gives
//! is refused, naming where it comes from; a public URL this browser does not use is refused.

use reqwest::Method;
use serde_json::Value;

use crate::containers::call;
use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, new_client, spawn_app, spawn_app_with};

/// The `field` (`value` or `source`) of setting `key` on the settings page.
fn setting<'a>(page: &'a Value, key: &str, field: &str) -> &'a Value {
    page["settings"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["tunable"] == key))
        .map_or(&Value::Null, |s| &s[field])
}

fn source<'a>(page: &'a Value, key: &str) -> &'a Value {
    setting(page, key, "source")
}

fn value<'a>(page: &'a Value, key: &str) -> &'a Value {
    setting(page, key, "value")
}

async fn update(app: &crate::helpers::TestApp, pairs: &[(&str, &str)]) -> reqwest::Response {
    let form: Vec<(String, &str)> = pairs
        .iter()
        .map(|(k, v)| (format!("values[{k}]"), *v))
        .collect();
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    app.post_form(&app.client, "/api/update_settings", &form)
        .await
}

#[tokio::test]
async fn a_sign_in_limit_changed_in_the_browser_applies_at_once_and_is_audited() {
    let app = spawn_app().await;
    let response = update(&app, &[("login_failures_per_account", "2")]).await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.expect("page");
    assert_eq!(value(&page, "login_failures_per_account"), "2");
    assert_eq!(
        source(&page, "login_failures_per_account")["Stored"]["by"],
        "Ada Admin",
        "{page}"
    );

    // Two wrong passwords from another browser now lock the account (the default is five).
    let other = new_client();
    for _ in 0..2 {
        let r = app
            .login(&other, ADMIN_EMAIL, "not the password at all")
            .await;
        assert_eq!(r.status(), 401);
    }
    let locked = app.login(&other, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(locked.status(), 429, "even the right password waits");

    let record = app.state.audit.recent(5).await.expect("audit");
    assert!(
        record.iter().any(|r| r.action == "settings.update"
            && r.target.as_deref() == Some("settings:login_failures_per_account")),
        "{record:?}"
    );

    // Back to the default: the stored row goes.
    let response = update(&app, &[("login_failures_per_account", "")]).await;
    let page: Value = response.json().await.expect("page");
    assert_eq!(value(&page, "login_failures_per_account"), "5");
    assert_eq!(source(&page, "login_failures_per_account"), "Default");
}

#[tokio::test]
async fn a_bad_value_names_its_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let response = update(
        &app,
        &[
            ("login_failures_per_account", "3"),
            ("session_max_days", "0"),
        ],
    )
    .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("error");
    let text = body.to_string();
    assert!(text.contains("session_max_days"), "{text}");
    assert!(text.contains("1 to 365"), "{text}");
    let (_, page) = call(&app, &app.client, Method::POST, "/api/get_settings", None).await;
    assert_eq!(
        value(&page, "login_failures_per_account"),
        "5",
        "not half-changed"
    );
    assert_eq!(source(&page, "login_failures_per_account"), "Default");

    let response = update(&app, &[("bind", "0.0.0.0:80")]).await;
    assert_eq!(response.status(), 400, "not a setting of this page");
}

#[tokio::test]
async fn a_setting_the_environment_gives_is_shown_with_its_origin_and_refused() {
    let app = spawn_app_with(|s| {
        s.marketplace_sync_mins = 5;
        s.given.insert(
            "marketplace_sync_mins",
            "environment variable ORBITR_MARKETPLACE_SYNC_MINS".into(),
        );
    })
    .await;
    let (status, page) = call(&app, &app.client, Method::POST, "/api/get_settings", None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(value(&page, "marketplace_sync_mins"), "5");
    assert_eq!(
        source(&page, "marketplace_sync_mins")["Fixed"],
        "environment variable ORBITR_MARKETPLACE_SYNC_MINS"
    );
    let response = update(&app, &[("marketplace_sync_mins", "60")]).await;
    assert_eq!(response.status(), 409);
    let text = response.text().await.unwrap_or_default();
    assert!(text.contains("ORBITR_MARKETPLACE_SYNC_MINS"), "{text}");
    // Sending its value unchanged (as the form does) is no change.
    assert_eq!(
        update(&app, &[("marketplace_sync_mins", "5")])
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn the_public_url_must_be_the_address_this_browser_uses_and_then_rules_at_once() {
    let app = spawn_app().await;
    let response = update(&app, &[("public_url", "https://orbitr.example.com")]).await;
    assert_eq!(response.status(), 400, "it would lock this browser out");
    let text = response.text().await.unwrap_or_default();
    assert!(text.contains("public_url"), "{text}");

    // The address in use, as https behind a proxy: accepted, and cookies are Secure from now.
    let host = app.address.trim_start_matches("http://").to_owned();
    let https = format!("https://{host}");
    let response = update(&app, &[("public_url", &https)]).await;
    assert_eq!(response.status(), 200);
    let other = new_client();
    let signed_in = other
        .post(app.url("/api/login"))
        .header("origin", &https)
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(signed_in.status(), 200);
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
    // A state change from the plain-http origin is refused now.
    let refused = other
        .post(app.url("/api/logout"))
        .header("origin", &app.address)
        .send()
        .await
        .expect("logout");
    assert_eq!(refused.status(), 403);
}
