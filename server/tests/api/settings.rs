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

/// Saves a sign-in provider from the settings page as `client` (`provider[field]` pairs).
async fn save_provider(
    app: &crate::helpers::TestApp,
    client: &reqwest::Client,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let form: Vec<(String, &str)> = fields
        .iter()
        .map(|(k, v)| (format!("provider[{k}]"), *v))
        .collect();
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    app.post_form(client, "/api/save_sign_in_provider", &form)
        .await
}

/// Removes sign-in provider `name` from the settings page as `client`.
async fn remove_provider(
    app: &crate::helpers::TestApp,
    client: &reqwest::Client,
    name: &str,
) -> reqwest::Response {
    app.post_form(client, "/api/remove_sign_in_provider", &[("name", name)])
        .await
}

/// How many sign-in providers the settings page stored.
async fn stored_providers(app: &crate::helpers::TestApp) -> usize {
    app.state
        .settings
        .providers
        .all()
        .await
        .expect("stored")
        .len()
}

/// The provider named `name` on a settings page.
fn provider<'a>(page: &'a Value, name: &str) -> Option<&'a Value> {
    page["providers"]
        .as_array()?
        .iter()
        .find(|p| p["spec"]["name"] == name)
}

/// Signs `sub` in through provider `name` from the sign-in page: where Orbitr sends the
/// browser in the end (the refusal page when the provider is not there).
async fn sign_in_through(
    app: &crate::helpers::TestApp,
    client: &reqwest::Client,
    name: &str,
    sub: &str,
) -> String {
    let response = crate::oauth::post_start(app, client, &[("provider", name)]).await;
    let to = crate::oauth::location(&response);
    if !to.starts_with("http") {
        return to;
    }
    let back = crate::oauth::authorize_at_provider(&to, sub).await;
    crate::oauth::callback(client, &back).await
}

const SECRET: &str = "corp-client-secret-5d1f";

#[tokio::test]
async fn a_provider_added_in_the_browser_signs_people_in_at_once_and_its_secret_is_never_shown() {
    let mock = testkit::oidc::OidcMock::start()
        .await
        .expect("OIDC provider");
    mock.set_user(
        "grace-sub",
        r#"{"email":"grace@corp.test","email_verified":true,"name":"Grace Hopper"}"#,
    )
    .await
    .expect("claims");
    let app = spawn_app().await;
    let person = new_client();
    assert_eq!(
        sign_in_through(&app, &person, "corp", "grace-sub").await,
        "/signin/refused?why=unknown_provider&provider=corp",
        "not there before it is added"
    );

    let response = save_provider(
        &app,
        &app.client,
        &[
            ("name", "corp"),
            ("kind", "oidc"),
            ("label", "Corp SSO"),
            ("issuer", &mock.issuer),
            ("client_id", "orbitr-corp"),
            ("client_secret", SECRET),
            ("allowed_domains", "corp.test"),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap_or_default();
    assert!(
        !text.contains(SECRET),
        "the secret is never sent back: {text}"
    );
    let page: Value = serde_json::from_str(&text).expect("page");
    let corp = provider(&page, "corp").expect("listed");
    assert_eq!(corp["spec"]["label"], "Corp SSO");
    assert_eq!(corp["source"]["Stored"]["by"], "Ada Admin");
    assert!(
        corp["callback_url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/api/oauth/callback")),
        "{corp}"
    );

    // The sign-in page offers it, and it works at once: a person of the allowed domain gets
    // an account.
    let (_, buttons) = call(
        &app,
        &new_client(),
        Method::POST,
        "/api/sign_in_providers",
        None,
    )
    .await;
    assert!(buttons.to_string().contains("Corp SSO"), "{buttons}");
    assert_eq!(
        sign_in_through(&app, &person, "corp", "grace-sub").await,
        "/"
    );
    let me = crate::oauth::me(&app, &person).await.expect("signed in");
    assert_eq!(me["email"], "grace@corp.test");

    // Sealed at rest, and never in the audit record.
    let stored: (String,) = match &app.state.db {
        engine::db::Database::Sqlite(pool) => {
            sqlx::query_as("SELECT client_secret FROM signin_providers WHERE name = 'corp'")
                .fetch_one(pool)
                .await
        }
        engine::db::Database::Postgres(pool) => {
            sqlx::query_as("SELECT client_secret FROM signin_providers WHERE name = 'corp'")
                .fetch_one(pool)
                .await
        }
    }
    .expect("row");
    assert!(!stored.0.contains(SECRET) && !stored.0.is_empty());
    let record = app.state.audit.recent(10).await.expect("audit");
    assert!(
        record.iter().any(|r| r.action == "settings.provider.save"
            && r.target.as_deref() == Some("provider:corp")),
        "{record:?}"
    );
    assert!(!format!("{record:?}").contains(SECRET));

    // A change without a secret keeps the stored one; the page shows the linked account.
    let response = save_provider(
        &app,
        &app.client,
        &[
            ("name", "corp"),
            ("kind", "oidc"),
            ("label", "Corp Login"),
            ("issuer", &mock.issuer),
            ("client_id", "orbitr-corp"),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.expect("page");
    let corp = provider(&page, "corp").expect("listed");
    assert_eq!(corp["spec"]["label"], "Corp Login");
    assert_eq!(corp["spec"]["allowed_domains"], serde_json::json!([]));
    assert_eq!(corp["linked_accounts"], 1);
    let kept = app.state.settings.providers.all().await.expect("stored");
    assert_eq!(kept[0].provider.client_secret, SECRET);
    assert_eq!(
        sign_in_through(&app, &new_client(), "corp", "grace-sub").await,
        "/",
        "the linked account signs in after the change"
    );

    // Removed: the sign-in page no longer offers it.
    let response = remove_provider(&app, &app.client, "corp").await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.expect("page");
    assert!(provider(&page, "corp").is_none(), "{page}");
    assert_eq!(
        sign_in_through(&app, &new_client(), "corp", "grace-sub").await,
        "/signin/refused?why=unknown_provider&provider=corp"
    );
    let record = app.state.audit.recent(5).await.expect("audit");
    assert!(
        record
            .iter()
            .any(|r| r.action == "settings.provider.remove" && r.result == "ok"),
        "{record:?}"
    );
}

#[tokio::test]
async fn a_bad_provider_names_its_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let base = [
        ("name", "corp"),
        ("kind", "oidc"),
        ("issuer", "https://sso.example.com"),
        ("client_id", "orbitr"),
        ("client_secret", SECRET),
    ];
    for (field, value) in [
        ("name", "Corp SSO"),
        ("kind", "saml"),
        ("issuer", "sso.example.com"),
        ("allowed_domains", "localhost"),
        (
            "label",
            "a label far longer than the forty characters allowed",
        ),
        ("client_id", ""),
    ] {
        let mut fields = base.to_vec();
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        let response = save_provider(&app, &app.client, &fields).await;
        assert_eq!(response.status(), 400, "{field}");
        let body: Value = response.json().await.expect("error");
        assert_eq!(body["Invalid"]["field"], field, "{body}");
        assert!(!body.to_string().contains(SECRET));
    }
    // A new provider needs its secret.
    let mut fields = base.to_vec();
    fields.retain(|(k, _)| *k != "client_secret");
    let response = save_provider(&app, &app.client, &fields).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("error");
    assert_eq!(body["Invalid"]["field"], "client_secret", "{body}");
    assert_eq!(stored_providers(&app).await, 0, "nothing stored");
    assert!(app.state.providers.all().is_empty());
}

#[tokio::test]
async fn only_platform_admins_change_providers_and_never_those_of_the_settings_file() {
    let app = spawn_app_with(|s| {
        s.oauth = vec![engine::identity::oauth::ProviderSettings {
            spec: engine::model::providers::ProviderSpec {
                name: "github".into(),
                kind: engine::model::providers::ProviderKind::GitHub,
                label: "GitHub".into(),
                client_id: "gh".into(),
                issuer: "https://github.com".into(),
                allowed_domains: Vec::new(),
                trust_email: false,
            },
            client_secret: "file-secret".into(),
        }];
    })
    .await;
    let fields = [
        ("name", "corp"),
        ("kind", "oidc"),
        ("issuer", "https://sso.example.com"),
        ("client_id", "orbitr"),
        ("client_secret", SECRET),
    ];

    // A member who is not a platform admin.
    app.state
        .accounts
        .create(engine::identity::accounts::NewUser {
            email: "member@example.test",
            name: "Mo Member",
            password: "member password 1234",
            is_admin: false,
        })
        .await
        .expect("member");
    let member = new_client();
    assert_eq!(
        app.login(&member, "member@example.test", "member password 1234")
            .await
            .status(),
        200
    );
    assert_eq!(save_provider(&app, &member, &fields).await.status(), 403);
    let refused = remove_provider(&app, &member, "github").await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        save_provider(&app, &new_client(), &fields).await.status(),
        401
    );
    assert_eq!(stored_providers(&app).await, 0, "nothing stored");

    // The file's provider is shown with where it comes from, never its secret, and cannot be
    // changed or removed here.
    let (status, page) = call(&app, &app.client, Method::POST, "/api/get_settings", None).await;
    assert_eq!(status, 200);
    let github = provider(&page, "github").expect("listed");
    assert!(
        github["source"]["Fixed"]
            .as_str()
            .is_some_and(|s| s.contains("orbitr.toml [oauth.github]")),
        "{github}"
    );
    assert!(!page.to_string().contains("file-secret"));
    let response = save_provider(
        &app,
        &app.client,
        &[
            ("name", "github"),
            ("client_id", "other"),
            ("client_secret", "x"),
        ],
    )
    .await;
    assert_eq!(response.status(), 409);
    let text = response.text().await.unwrap_or_default();
    assert!(text.contains("ORBITR_OAUTH_GITHUB_"), "{text}");
    let response = remove_provider(&app, &app.client, "github").await;
    assert_eq!(response.status(), 409);
    assert_eq!(app.state.providers.all()[0].client_id, "gh");
}

#[tokio::test]
async fn the_idle_session_lifetime_changes_without_a_restart_and_ends_idle_sessions() {
    let app = spawn_app().await;
    let response = update(&app, &[("session_idle_hours", "2")]).await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.expect("page");
    assert_eq!(value(&page, "session_idle_hours"), "2");
    assert_eq!(app.state.auth.session_idle_ms(), 2 * 3_600_000);

    // A session idle for longer than the lifetime in force ends at its next request; a fresh
    // one signs in again.
    let other = new_client();
    assert_eq!(
        app.login(&other, ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        200
    );
    let me = |client: reqwest::Client| {
        let url = app.url("/api/v1/me");
        async move { client.get(url).send().await.expect("me").status() }
    };
    assert_eq!(me(other.clone()).await, 200);
    app.state
        .auth
        .session_idle_ms
        .store(1, std::sync::atomic::Ordering::Relaxed);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(me(other.clone()).await, 401, "idle past the lifetime");
    assert_eq!(me(other).await, 401, "and the session is gone");
    let response = update(&app, &[("session_idle_hours", "")]);
    assert_eq!(
        response.await.status(),
        401,
        "the admin's session ended too"
    );
}

/// Points the mail settings at `smtp` (no encryption, no sign-in) from the settings page.
async fn mail_through(app: &crate::helpers::TestApp, smtp: &testkit::smtp::SmtpServer) {
    let port = smtp.port.to_string();
    let response = update(
        app,
        &[
            ("smtp_host", &smtp.host),
            ("smtp_port", &port),
            ("smtp_security", "none"),
            ("smtp_from", "orbitr@example.test"),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
}

/// The body of a received message (base64 as Orbitr sends it), decoded.
fn mail_body(message: &str) -> String {
    use base64::Engine as _;
    let body = message
        .replace("\r\n", "\n")
        .split_once("\n\n")
        .map(|(_, body)| body.replace('\n', ""))
        .unwrap_or_default();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test]
async fn mail_settings_apply_at_once_a_test_mail_arrives_and_the_password_is_never_shown() {
    let smtp = testkit::smtp::SmtpServer::start()
        .await
        .expect("SMTP server");
    let app = spawn_app().await;
    let (status, body) = call(&app, &app.client, Method::POST, "/api/send_test_mail", None).await;
    assert_eq!(status, 400, "no mail server yet: {body}");
    assert_eq!(body["Invalid"]["field"], "smtp_host", "{body}");

    let port = smtp.port.to_string();
    mail_through(&app, &smtp).await;
    let (status, to) = call(&app, &app.client, Method::POST, "/api/send_test_mail", None).await;
    assert_eq!(status, 200, "{to}");
    assert_eq!(to, ADMIN_EMAIL);
    let messages = smtp.wait_for(1).await.expect("the test mail");
    let mail = &messages[0];
    assert!(mail.contains(&format!("To: <{ADMIN_EMAIL}>")), "{mail}");
    assert!(
        mail.contains("From: Orbitr <orbitr@example.test>"),
        "{mail}"
    );
    assert!(mail.contains("Subject: Orbitr test mail"), "{mail}");
    assert!(mail_body(mail).contains("its mail settings work"), "{mail}");
    let record = app.state.audit.recent(5).await.expect("audit");
    assert!(
        record
            .iter()
            .any(|r| r.action == "settings.mail.test" && r.result == "ok"),
        "{record:?}"
    );

    // A user name and password: this server offers no AUTH, and the refusal names the server
    // and the command, never the password; the page says a password is stored, not which.
    const PASSWORD: &str = "smtp-pass-7f3e0a";
    let response = update(
        &app,
        &[("smtp_username", "orbitr"), ("smtp_password", PASSWORD)],
    )
    .await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap_or_default();
    assert!(!text.contains(PASSWORD), "{text}");
    let page: Value = serde_json::from_str(&text).expect("page");
    assert_eq!(page["smtp_password"]["Stored"]["by"], "Ada Admin", "{page}");
    let response = app.post_form(&app.client, "/api/send_test_mail", &[]).await;
    assert_eq!(response.status(), 502);
    let text = response.text().await.unwrap_or_default();
    assert!(text.contains("AUTH") && text.contains(&port), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");
    let record = app.state.audit.recent(10).await.expect("audit");
    assert!(!format!("{record:?}").contains(PASSWORD));
    assert_eq!(smtp.messages().expect("mailbox").len(), 1);

    // Without the user name, mail goes out again (no restart).
    assert_eq!(update(&app, &[("smtp_username", "")]).await.status(), 200);
    let (status, _) = call(&app, &app.client, Method::POST, "/api/send_test_mail", None).await;
    assert_eq!(status, 200);
    smtp.wait_for(2).await.expect("the second test mail");
}

#[tokio::test]
async fn bad_mail_settings_name_their_field_and_a_password_the_environment_gives_is_refused() {
    let app = spawn_app_with(|s| {
        s.smtp_password = Some("from-the-environment".into());
        s.given.insert(
            "smtp_password",
            "environment variable ORBITR_SMTP_PASSWORD".into(),
        );
    })
    .await;
    for (key, value) in [
        ("smtp_host", "smtp example"),
        ("smtp_port", "70000"),
        ("smtp_security", "ssl"),
        ("smtp_from", "Orbitr <orbitr@example.test>"),
    ] {
        let response = update(&app, &[(key, value)]).await;
        assert_eq!(response.status(), 400, "{key}");
        let body: Value = response.json().await.expect("error");
        assert_eq!(body["Invalid"]["field"], key, "{body}");
    }
    let (_, page) = call(&app, &app.client, Method::POST, "/api/get_settings", None).await;
    assert_eq!(value(&page, "smtp_host"), "", "nothing stored");
    assert_eq!(
        page["smtp_password"]["Fixed"],
        "environment variable ORBITR_SMTP_PASSWORD"
    );
    assert!(!page.to_string().contains("from-the-environment"));
    let response = update(&app, &[("smtp_password", "another")]).await;
    assert_eq!(response.status(), 409);
    let text = response.text().await.unwrap_or_default();
    assert!(text.contains("ORBITR_SMTP_PASSWORD"), "{text}");
}

#[tokio::test]
async fn an_invitation_for_an_email_is_mailed_with_its_link_once_a_mail_server_is_set() {
    let smtp = testkit::smtp::SmtpServer::start()
        .await
        .expect("SMTP server");
    let app = spawn_app().await;
    let ws = crate::workspaces::create(&app, "Mail Lab").await;
    let invite = |email: &'static str| {
        let ws = ws.clone();
        let app = &app;
        async move {
            let response = app
                .post_form(
                    &app.client,
                    "/api/create_invitation",
                    &[
                        ("workspace", ws.as_str()),
                        ("role", "operator"),
                        ("email", email),
                        ("expires_in_hours", "24"),
                    ],
                )
                .await;
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.expect("invitation")
        }
    };
    // Without a mail server the link is only shown.
    let shown = invite("grace@example.test").await;
    assert_eq!(shown["mailed"], Value::Null, "{shown}");

    mail_through(&app, &smtp).await;
    let mailed = invite("linus@example.test").await;
    assert_eq!(mailed["mailed"]["Ok"], Value::Null, "{mailed}");
    let messages = smtp.wait_for(1).await.expect("the invitation");
    let mail = &messages[0];
    assert!(mail.contains("To: <linus@example.test>"), "{mail}");
    assert!(mail.contains("Subject: Join Mail Lab on Orbitr"), "{mail}");
    let link = format!("{}{}", app.address, mailed["path"].as_str().expect("path"));
    let body = mail_body(mail);
    assert!(
        body.contains(&link) && body.contains("as operator"),
        "{body}"
    );

    // The mail server goes away: the invitation is still made, and says why it was not mailed.
    drop(smtp);
    let unsent = invite("ken@example.test").await;
    let why = unsent["mailed"]["Err"].as_str().unwrap_or_default();
    assert!(why.contains("cannot be reached"), "{unsent}");
    assert!(
        unsent["path"]
            .as_str()
            .is_some_and(|p| p.starts_with("/invite/"))
    );
    let record = app.state.audit.recent(10).await.expect("audit");
    assert!(
        record
            .iter()
            .any(|r| r.action == "invitation.mail" && r.result == "failed"),
        "{record:?}"
    );
}
