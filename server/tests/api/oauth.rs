//! Sign-in through a real OpenID Connect provider (PyPI `oidc-provider-mock`, started per test):
//! who may get an account, linking and unlinking, and refused or replayed flows.

use engine::audit::Filter;
use engine::identity::oauth::{ProviderKind, ProviderSettings};
use engine::model::providers::ProviderSpec;
use engine::tenancy::access::Role;
use testkit::oidc::OidcMock;

use crate::helpers::{ADMIN_EMAIL, TestApp, new_client, spawn_app_with};

const PROVIDER: &str = "mock";

async fn app_with_mock() -> (TestApp, OidcMock) {
    app_with_mock_trusting(false).await
}

/// With `trust_email`, emails without an `email_verified` claim count as verified.
async fn app_with_mock_trusting(trust_email: bool) -> (TestApp, OidcMock) {
    let mock = OidcMock::start().await.expect("OIDC provider");
    let issuer = mock.issuer.clone();
    let app = spawn_app_with(move |s| {
        s.oauth = vec![ProviderSettings {
            spec: ProviderSpec {
                name: PROVIDER.into(),
                kind: ProviderKind::Oidc,
                label: "Test SSO".into(),
                client_id: "orbitr-test".into(),
                issuer,
                allowed_domains: vec!["example.test".into()],
                trust_email,
            },
            client_secret: "test-secret".into(),
        }];
    })
    .await;
    (app, mock)
}

/// Where a response redirects to.
pub(crate) fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Posts the start form as a browser does (`Accept: text/html`, so redirects are real 302s).
pub(crate) async fn post_start(
    app: &TestApp,
    client: &reqwest::Client,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url("/api/oauth/start"))
        .header("origin", &app.address)
        .header("accept", "text/html")
        .form(form)
        .send()
        .await
        .expect("start")
}

/// Starts a sign-in at the mock provider: returns the provider's authorization URL.
async fn start(app: &TestApp, client: &reqwest::Client, form: &[(&str, &str)]) -> String {
    let mut fields = vec![("provider", PROVIDER)];
    fields.extend_from_slice(form);
    let response = post_start(app, client, &fields).await;
    assert_eq!(
        response.status(),
        302,
        "start answered {}",
        response.status()
    );
    location(&response)
}

/// Signs in at the provider as `sub` (its form posts `sub` to the authorization URL): returns
/// Orbitr's callback URL with code and state.
pub(crate) async fn authorize_at_provider(authorize_url: &str, sub: &str) -> String {
    let response = new_client()
        .post(authorize_url)
        .form(&[("sub", sub)])
        .send()
        .await
        .expect("authorize");
    assert_eq!(
        response.status(),
        302,
        "provider answered {}",
        response.status()
    );
    location(&response)
}

/// Follows the provider's redirect back to Orbitr: returns where Orbitr sends the browser.
pub(crate) async fn callback(client: &reqwest::Client, callback_url: &str) -> String {
    let response = client
        .get(callback_url)
        .header("accept", "text/html")
        .send()
        .await
        .expect("callback");
    assert_eq!(
        response.status(),
        302,
        "callback answered {}",
        response.status()
    );
    location(&response)
}

/// The whole round trip as `sub`; returns the final destination.
async fn sign_in(
    app: &TestApp,
    client: &reqwest::Client,
    sub: &str,
    form: &[(&str, &str)],
) -> String {
    let authorize = start(app, client, form).await;
    let back = authorize_at_provider(&authorize, sub).await;
    callback(client, &back).await
}

pub(crate) async fn me(app: &TestApp, client: &reqwest::Client) -> Option<serde_json::Value> {
    let response = client.get(app.url("/api/v1/me")).send().await.expect("me");
    (response.status() == 200).then_some(response.json().await.expect("json"))
}

async fn user_count(app: &TestApp) -> i64 {
    app.state.accounts.count().await.expect("count")
}

async fn audit_reasons(app: &TestApp, action: &str) -> Vec<(String, Option<String>)> {
    app.state
        .audit
        .query(
            &Filter {
                action: Some(action.into()),
                ..Filter::default()
            },
            None,
            100,
        )
        .await
        .expect("audit")
        .into_iter()
        .map(|r| (r.result, r.reason))
        .collect()
}

#[tokio::test]
async fn the_start_sends_the_browser_to_the_provider_with_state_nonce_and_pkce() {
    let (app, mock) = app_with_mock().await;
    let url = start(&app, &new_client(), &[]).await;
    assert!(
        url.starts_with(&format!("{}/oauth2/authorize?", mock.issuer)),
        "{url}"
    );
    for part in [
        "response_type=code",
        "client_id=orbitr-test",
        "state=",
        "nonce=",
        "code_challenge=",
        "code_challenge_method=S256",
        "scope=openid+email+profile",
        &format!(
            "redirect_uri={}",
            app.url("/api/oauth/callback")
                .replace(':', "%3A")
                .replace('/', "%2F")
        ),
    ] {
        assert!(url.contains(part), "{part} missing in {url}");
    }
    // The login page offers the provider.
    let (status, providers) = {
        let r = app
            .client
            .post(app.url("/api/sign_in_providers"))
            .header("origin", &app.address)
            .send()
            .await
            .expect("providers");
        (r.status(), r.text().await.expect("body"))
    };
    assert_eq!(status, 200);
    assert!(providers.contains("Test SSO"), "{providers}");
}

#[tokio::test]
async fn a_person_without_account_or_invitation_is_refused_and_nothing_is_created() {
    let (app, mock) = app_with_mock().await;
    mock.set_user(
        "stranger",
        r#"{"email":"stranger@elsewhere.test","email_verified":true,"name":"Stranger"}"#,
    )
    .await
    .expect("claims");
    let before = user_count(&app).await;
    let client = new_client();
    let to = sign_in(&app, &client, "stranger", &[]).await;
    assert_eq!(to, "/signin/refused?why=not_allowed&provider=mock");
    assert_eq!(user_count(&app).await, before);
    assert!(me(&app, &client).await.is_none());
    let page = client.get(app.url(&to)).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("Sign-in with Test SSO refused"), "{html}");
    assert!(
        html.contains("Ask a workspace owner or an admin for an invitation"),
        "{html}"
    );
    assert!(audit_reasons(&app, "auth.login").await.contains(&(
        "denied".into(),
        Some("no account, no invitation, email domain not allowed".into())
    )));
}

#[tokio::test]
async fn an_allowed_domain_creates_one_account_that_signs_in_again_without_a_password() {
    let (app, mock) = app_with_mock().await;
    mock.set_user(
        "ada-sub",
        r#"{"email":"Ada@Example.test","email_verified":true,"name":"Ada Lovelace"}"#,
    )
    .await
    .expect("claims");
    let before = user_count(&app).await;
    let client = new_client();
    assert_eq!(
        sign_in(&app, &client, "ada-sub", &[("next", "/profile")]).await,
        "/profile"
    );
    let first = me(&app, &client).await.expect("signed in");
    assert_eq!(first["email"], "ada@example.test");
    assert_eq!(first["name"], "Ada Lovelace");
    assert_eq!(first["is_admin"], false);
    assert_eq!(user_count(&app).await, before + 1);

    // Again, from another browser: the same account, no second one.
    let other = new_client();
    assert_eq!(sign_in(&app, &other, "ada-sub", &[]).await, "/");
    assert_eq!(
        me(&app, &other).await.expect("signed in")["id"],
        first["id"]
    );
    assert_eq!(user_count(&app).await, before + 1);

    // The account has no password: password sign-in fails like any wrong password, and the
    // only link cannot be removed.
    assert_eq!(
        app.login(&new_client(), "ada@example.test", "")
            .await
            .status(),
        401
    );
    let unlink = app
        .post_form(&client, "/api/unlink_provider", &[("provider", PROVIDER)])
        .await;
    assert_eq!(unlink.status(), 409);
    assert!(
        unlink
            .text()
            .await
            .expect("body")
            .contains("only way you sign in"),
        "unlink must be refused"
    );
    let methods = app
        .post_form(&client, "/api/my_sign_in_methods", &[])
        .await
        .text()
        .await
        .expect("body");
    assert!(methods.contains("\"has_password\":false"), "{methods}");
    assert!(methods.contains("ada@example.test"), "{methods}");
}

#[tokio::test]
async fn an_unverified_email_gets_no_account() {
    let (app, mock) = app_with_mock().await;
    mock.set_user(
        "bob",
        r#"{"email":"bob@example.test","email_verified":false}"#,
    )
    .await
    .expect("claims");
    let before = user_count(&app).await;
    let to = sign_in(&app, &new_client(), "bob", &[]).await;
    assert_eq!(to, "/signin/refused?why=email_unverified&provider=mock");
    assert_eq!(user_count(&app).await, before);
}

#[tokio::test]
async fn trusted_emails_stand_in_for_a_missing_claim_never_for_a_false_one() {
    let (app, mock) = app_with_mock_trusting(true).await;
    mock.set_user("unclaimed", r#"{"email":"una@example.test"}"#)
        .await
        .expect("claims");
    mock.set_user(
        "unverified",
        r#"{"email":"ceo@example.test","email_verified":false}"#,
    )
    .await
    .expect("claims");
    assert_eq!(
        sign_in(&app, &new_client(), "unverified", &[]).await,
        "/signin/refused?why=email_unverified&provider=mock"
    );
    let client = new_client();
    assert_eq!(sign_in(&app, &client, "unclaimed", &[]).await, "/");
    assert_eq!(
        me(&app, &client).await.expect("signed in")["email"],
        "una@example.test"
    );
}

#[tokio::test]
async fn an_invitation_lets_a_provider_account_join_its_workspace() {
    let (app, mock) = app_with_mock().await;
    let admin = app
        .state
        .accounts
        .find_by_email(ADMIN_EMAIL)
        .await
        .expect("query")
        .expect("admin");
    let ws = app
        .state
        .workspaces
        .create("Invited", &admin)
        .await
        .expect("workspace");
    let (_, code) = app
        .state
        .workspaces
        .invite(&ws.id, Role::Operator, None, 1, &admin.id)
        .await
        .expect("invite");
    // Not in an allowed domain: the invitation is what lets them in.
    mock.set_user(
        "grace",
        r#"{"email":"grace@navy.test","email_verified":true,"name":"Grace Hopper"}"#,
    )
    .await
    .expect("claims");
    let client = new_client();
    let to = sign_in(&app, &client, "grace", &[("invite", &code)]).await;
    assert_eq!(to, format!("/workspaces/{}", ws.id));
    let grace = me(&app, &client).await.expect("signed in");
    assert_eq!(grace["email"], "grace@navy.test");
    let role = app
        .state
        .workspaces
        .role_of(&ws.id, grace["id"].as_str().expect("id"))
        .await
        .expect("role");
    assert_eq!(role, Some(Role::Operator));
    // Used up: the next person with the link is told so.
    mock.set_user("eve", r#"{"email":"eve@navy.test","email_verified":true}"#)
        .await
        .expect("claims");
    let to = sign_in(&app, &new_client(), "eve", &[("invite", &code)]).await;
    assert_eq!(to, "/signin/refused?why=invitation&provider=mock");
}

#[tokio::test]
async fn an_existing_account_links_the_provider_from_its_session_and_can_unlink_it() {
    let (app, mock) = app_with_mock().await;
    mock.set_user(
        "admin-sub",
        &format!(r#"{{"email":"{ADMIN_EMAIL}","email_verified":true}}"#),
    )
    .await
    .expect("claims");
    // Same email as an account that has not linked it: no silent takeover.
    let stranger = new_client();
    assert_eq!(
        sign_in(&app, &stranger, "admin-sub", &[]).await,
        "/signin/refused?why=link_first&provider=mock"
    );
    assert!(me(&app, &stranger).await.is_none());

    // Linking needs a session.
    assert_eq!(
        start(&app, &new_client(), &[("intent", "link")]).await,
        "/signin/refused?why=sign_in_first&provider=mock"
    );
    // The admin links it from the profile.
    assert_eq!(
        sign_in(&app, &app.client, "admin-sub", &[("intent", "link")]).await,
        "/profile"
    );
    let admin_id = me(&app, &app.client).await.expect("admin")["id"].clone();
    // Now the provider signs them in.
    let browser = new_client();
    assert_eq!(sign_in(&app, &browser, "admin-sub", &[]).await, "/");
    assert_eq!(me(&app, &browser).await.expect("signed in")["id"], admin_id);

    // Nobody else can link the same provider account.
    let other_user = app
        .state
        .accounts
        .create(engine::identity::accounts::NewUser {
            email: "other@example.test",
            name: "Other",
            password: "correct horse battery staple",
            is_admin: false,
        })
        .await
        .expect("user");
    let other = new_client();
    assert_eq!(
        app.login(&other, &other_user.email, "correct horse battery staple")
            .await
            .status(),
        200
    );
    assert_eq!(
        sign_in(&app, &other, "admin-sub", &[("intent", "link")]).await,
        "/signin/refused?why=taken&provider=mock"
    );

    // Unlinked (the admin has a password), the provider no longer signs them in.
    let unlink = app
        .post_form(
            &app.client,
            "/api/unlink_provider",
            &[("provider", PROVIDER)],
        )
        .await;
    assert_eq!(
        unlink.status(),
        200,
        "{}",
        unlink.text().await.unwrap_or_default()
    );
    assert_eq!(
        sign_in(&app, &new_client(), "admin-sub", &[]).await,
        "/signin/refused?why=link_first&provider=mock"
    );
    let actions = audit_reasons(&app, "auth.").await;
    for (action, result) in [("auth.link_provider", "ok"), ("auth.unlink_provider", "ok")] {
        let records = audit_reasons(&app, action).await;
        assert!(
            records.iter().any(|(r, _)| r == result),
            "{action}: {actions:?}"
        );
    }
    assert!(
        audit_reasons(&app, "auth.link_provider")
            .await
            .iter()
            .any(|(r, _)| r == "denied"),
        "the refused link is audited"
    );
}

#[tokio::test]
async fn a_replayed_or_foreign_state_is_refused() {
    let (app, mock) = app_with_mock().await;
    mock.set_user(
        "ada-sub",
        r#"{"email":"ada@example.test","email_verified":true}"#,
    )
    .await
    .expect("claims");
    // Another browser's callback (an attacker's code planted on the victim): its state was
    // never started in the victim's session.
    let attacker = new_client();
    let authorize = start(&app, &attacker, &[]).await;
    let planted = authorize_at_provider(&authorize, "ada-sub").await;
    let victim = new_client();
    assert_eq!(
        callback(&victim, &planted).await,
        "/signin/refused?why=expired&provider="
    );
    assert!(me(&app, &victim).await.is_none());

    // The rightful browser completes it once; the same answer again is refused.
    let rightful = new_client();
    let authorize = start(&app, &rightful, &[]).await;
    let back = authorize_at_provider(&authorize, "ada-sub").await;
    assert_eq!(callback(&rightful, &back).await, "/");
    let again = new_client();
    // (a new browser holding the used URL)
    assert_eq!(
        callback(&again, &back).await,
        "/signin/refused?why=expired&provider="
    );
    assert!(me(&app, &again).await.is_none());
    // A callback with no state at all.
    assert_eq!(
        callback(&new_client(), &app.url("/api/oauth/callback?code=x")).await,
        "/signin/refused?why=expired&provider="
    );
}

#[tokio::test]
async fn a_sign_in_cancelled_at_the_provider_is_refused_and_audited() {
    let (app, _mock) = app_with_mock().await;
    let client = new_client();
    let authorize = start(&app, &client, &[]).await;
    let response = new_client()
        .post(&authorize)
        .form(&[("action", "deny")])
        .send()
        .await
        .expect("deny");
    assert_eq!(response.status(), 302);
    let back = location(&response);
    assert!(back.contains("error=access_denied"), "{back}");
    // The mock leaves `state` out of a denial; a provider that keeps it gets "denied".
    let to = callback(&client, &back).await;
    assert!(to.starts_with("/signin/refused?why="), "{to}");
    assert!(me(&app, &client).await.is_none());
}

#[tokio::test]
async fn an_unknown_or_unreachable_provider_gets_a_refusal_page_not_an_error() {
    // A provider whose issuer does not answer.
    let dead = "http://127.0.0.1:9".to_owned();
    let app = spawn_app_with(move |s| {
        s.oauth = vec![ProviderSettings {
            spec: ProviderSpec {
                name: "down".into(),
                kind: ProviderKind::Oidc,
                label: "Down SSO".into(),
                client_id: "x".into(),
                issuer: dead,
                allowed_domains: Vec::new(),
                trust_email: false,
            },
            client_secret: "y".into(),
        }];
    })
    .await;
    let response = post_start(&app, &new_client(), &[("provider", "down")]).await;
    assert_eq!(
        location(&response),
        "/signin/refused?why=provider_failed&provider=down"
    );
    let failed = audit_reasons(&app, "auth.oauth").await;
    assert!(
        failed.iter().any(|(r, why)| r == "failed"
            && why
                .as_deref()
                .is_some_and(|w| w.contains("Down SSO cannot be reached"))),
        "{failed:?}"
    );
    let response = post_start(&app, &new_client(), &[("provider", "nope")]).await;
    assert_eq!(
        location(&response),
        "/signin/refused?why=unknown_provider&provider=nope"
    );
}

/// A stand-in for github.com's OAuth and REST endpoints (GitHub offers no local test server):
/// it checks the PKCE verifier against the challenge of the authorization URL, the client
/// secret and the redirect URI, and answers `/user` and `/user/emails` for its token only.
mod fake_github {
    use std::sync::{Arc, Mutex};

    use axum::extract::{Form, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::{get, post};
    use axum::{Json, Router};
    use base64::Engine as _;
    use sha2::{Digest, Sha256};

    #[derive(Default)]
    pub struct Expected {
        pub challenge: String,
        pub redirect_uri: String,
        pub emails: serde_json::Value,
    }

    pub type Shared = Arc<Mutex<Expected>>;

    async fn token(
        State(expected): State<Shared>,
        headers: HeaderMap,
        Form(form): Form<std::collections::HashMap<String, String>>,
    ) -> (StatusCode, Json<serde_json::Value>) {
        let expected = expected.lock().expect("lock");
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(verifier.as_bytes()));
        // oauth2 sends the client credentials as HTTP Basic auth.
        let basic = base64::engine::general_purpose::STANDARD.encode("gh-client:gh-secret");
        let authorized = headers.get("authorization").and_then(|v| v.to_str().ok())
            == Some(format!("Basic {basic}").as_str());
        let error = if challenge != expected.challenge {
            Some("bad_verification_code: PKCE verifier does not match")
        } else if !authorized {
            Some("incorrect_client_credentials")
        } else if form.get("redirect_uri") != Some(&expected.redirect_uri) {
            Some("redirect_uri_mismatch")
        } else if form.get("code").map(String::as_str) != Some("gh-code") {
            Some("bad_verification_code")
        } else {
            None
        };
        match error {
            // Like GitHub: errors come back with status 200.
            Some(error) => (StatusCode::OK, Json(serde_json::json!({ "error": error }))),
            None => (
                StatusCode::OK,
                Json(serde_json::json!({
                    "access_token": "gho_faketoken",
                    "token_type": "bearer",
                    "scope": "read:user,user:email"
                })),
            ),
        }
    }

    fn authorized(headers: &HeaderMap) -> bool {
        headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer gho_faketoken")
            && headers.get("user-agent").is_some()
    }

    async fn user(headers: HeaderMap) -> (StatusCode, Json<serde_json::Value>) {
        if !authorized(&headers) {
            return (StatusCode::UNAUTHORIZED, Json(serde_json::json!({})));
        }
        (
            StatusCode::OK,
            Json(serde_json::json!({ "id": 583231, "login": "octocat", "name": null })),
        )
    }

    async fn emails(
        State(expected): State<Shared>,
        headers: HeaderMap,
    ) -> (StatusCode, Json<serde_json::Value>) {
        if !authorized(&headers) {
            return (StatusCode::UNAUTHORIZED, Json(serde_json::json!({})));
        }
        (
            StatusCode::OK,
            Json(expected.lock().expect("lock").emails.clone()),
        )
    }

    /// Serves the fake on a free port; returns its base URL.
    pub async fn start(expected: Shared) -> String {
        let router = Router::new()
            .route("/login/oauth/access_token", post(token))
            .route("/api/v3/user", get(user))
            .route("/api/v3/user/emails", get(emails))
            .with_state(expected);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, router).await });
        format!("http://{address}")
    }
}

#[tokio::test]
async fn github_sign_in_uses_pkce_and_the_primary_verified_email() {
    let expected = fake_github::Shared::default();
    expected.lock().expect("lock").emails = serde_json::json!([
        { "email": "octo@old.test", "primary": false, "verified": true, "visibility": null },
        { "email": "Octocat@Example.test", "primary": true, "verified": true, "visibility": "public" }
    ]);
    let site = fake_github::start(expected.clone()).await;
    let app = spawn_app_with(move |s| {
        s.oauth = vec![ProviderSettings {
            spec: ProviderSpec {
                name: "github".into(),
                kind: ProviderKind::GitHub,
                label: "GitHub".into(),
                client_id: "gh-client".into(),
                issuer: site,
                allowed_domains: vec!["example.test".into()],
                trust_email: false,
            },
            client_secret: "gh-secret".into(),
        }];
    })
    .await;
    let client = new_client();
    let begin = |client: reqwest::Client| {
        let app = &app;
        async move {
            let response = post_start(app, &client, &[("provider", "github")]).await;
            reqwest::Url::parse(&location(&response)).expect("authorize URL")
        }
    };
    let authorize = begin(client.clone()).await;
    assert_eq!(authorize.path(), "/login/oauth/authorize");
    let query: std::collections::HashMap<String, String> =
        authorize.query_pairs().into_owned().collect();
    assert_eq!(query["scope"], "read:user user:email");
    assert!(!query.contains_key("nonce"));
    {
        let mut e = expected.lock().expect("lock");
        e.challenge = query["code_challenge"].clone();
        e.redirect_uri = query["redirect_uri"].clone();
    }
    // GitHub sends the browser back with the code and the state.
    let back = format!(
        "{}?code=gh-code&state={}",
        query["redirect_uri"], query["state"]
    );
    assert_eq!(callback(&client, &back).await, "/");
    let octocat = me(&app, &client).await.expect("signed in");
    assert_eq!(octocat["email"], "octocat@example.test");
    assert_eq!(octocat["name"], "octocat");

    // A wrong verifier (the challenge of another sign-in) is refused by the provider, and
    // Orbitr refuses the sign-in.
    let other = new_client();
    let authorize = begin(other.clone()).await;
    let query: std::collections::HashMap<String, String> =
        authorize.query_pairs().into_owned().collect();
    let back = format!(
        "{}?code=gh-code&state={}",
        query["redirect_uri"], query["state"]
    );
    assert_eq!(
        callback(&other, &back).await,
        "/signin/refused?why=provider_failed&provider=github"
    );
    assert!(me(&app, &other).await.is_none());
    let failed = audit_reasons(&app, "auth.oauth").await;
    assert!(
        failed
            .iter()
            .any(|(r, why)| r == "failed" && why.as_deref().is_some_and(|w| w.contains("PKCE"))),
        "{failed:?}"
    );
}

#[tokio::test]
async fn the_database_going_down_mid_sign_in_ends_on_a_503_page() {
    let (app, mock) = app_with_mock().await;
    mock.set_user(
        "ada-sub",
        r#"{"email":"ada@example.test","email_verified":true}"#,
    )
    .await
    .expect("claims");
    let client = new_client();
    let authorize = start(&app, &client, &[]).await;
    let back = authorize_at_provider(&authorize, "ada-sub").await;
    app.db.close().await;
    // The refusal page cannot be reached either: the session (the used-up state) cannot be
    // saved, so the answer is the outage page itself.
    let response = client
        .get(&back)
        .header("accept", "text/html")
        .send()
        .await
        .expect("callback");
    assert_eq!(response.status(), 503);
    let html = response.text().await.expect("html");
    assert!(
        html.contains("database is unavailable right now; nothing was changed"),
        "{html}"
    );
    // The refusal page for it says the same with 503 (reached when only the query failed).
    let page = new_client()
        .get(app.url("/signin/refused?why=unavailable&provider="))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 503);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("database is unavailable right now")
    );
}
