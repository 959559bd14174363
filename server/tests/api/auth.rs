use std::time::{Duration, Instant};

use engine::audit::{Audit, Verification};
use engine::on_pool;

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, new_client, spawn_app, spawn_app_with, spawn_fresh_app,
};

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned()
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("orbitr_session="))
        .map(str::to_owned)
}

#[tokio::test]
async fn before_setup_every_page_leads_to_setup() {
    let app = spawn_fresh_app().await;
    for path in ["/", "/login", "/anything"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(location(&response), "/setup", "{path}");
    }
    assert_eq!(app.get("/setup").await.status(), 200);
}

#[tokio::test]
async fn setup_creates_the_admin_signs_in_with_a_safe_cookie_and_then_closes() {
    let app = spawn_fresh_app().await;
    let response = app.setup_admin(&app.client, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 200);
    let cookie = session_cookie(&response).expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    assert_eq!(app.get("/").await.status(), 200, "signed in");

    let other = new_client();
    let again = app.setup_admin(&other, ADMIN_PASSWORD).await;
    assert_eq!(again.status(), 409);
    assert!(again.text().await.expect("body").contains("already set up"));
    assert_eq!(location(&app.get("/setup").await), "/", "setup is closed");
}

#[tokio::test]
async fn cookies_are_secure_when_the_public_url_is_https() {
    let app = crate::helpers::spawn_fresh_app_with(|s| {
        s.public_url = Some("https://orbitr.example".into())
    })
    .await;
    let response = app
        .client
        .post(app.url("/api/setup"))
        .header("origin", "https://orbitr.example")
        .form(&[
            ("name", "A"),
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
            ("confirm", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    assert!(
        session_cookie(&response)
            .expect("cookie")
            .contains("Secure")
    );

    // With a public URL set, the request's own host is not enough.
    let same_host = app.setup_admin(&new_client(), ADMIN_PASSWORD).await;
    assert_eq!(same_host.status(), 403);
}

#[tokio::test]
async fn bad_setup_fields_are_refused_naming_the_field_and_nothing_is_stored() {
    let app = spawn_fresh_app().await;
    let cases = [
        (
            ("Ada", "not-an-email", ADMIN_PASSWORD, ADMIN_PASSWORD),
            "email",
        ),
        (("", ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_PASSWORD), "name"),
        (("Ada", ADMIN_EMAIL, "short", "short"), "password"),
        (
            ("Ada", ADMIN_EMAIL, "passwordpassword", "passwordpassword"),
            "password",
        ),
        (
            (
                "Ada",
                ADMIN_EMAIL,
                ADMIN_PASSWORD,
                "something else entirely",
            ),
            "confirm",
        ),
    ];
    for ((name, email, password, confirm), field) in cases {
        let response = app
            .post_form(
                &app.client,
                "/api/setup",
                &[
                    ("name", name),
                    ("email", email),
                    ("password", password),
                    ("confirm", confirm),
                ],
            )
            .await;
        assert_eq!(response.status(), 400, "{field}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["Invalid"]["field"], field, "{body}");
    }
    let users: (i64,) = on_pool!(&app.db, |pool| sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(pool)
        .await
        .expect("count"));
    assert_eq!(users.0, 0);
    assert_eq!(app.get("/").await.status(), 303, "still before setup");
}

#[tokio::test]
async fn unknown_accounts_and_wrong_passwords_get_the_same_answer_in_similar_time() {
    let app = spawn_app().await;
    let client = new_client();
    let timed = |email: &'static str| {
        let client = client.clone();
        let app = &app;
        async move {
            let started = Instant::now();
            let response = app
                .login(&client, email, "not the right password at all")
                .await;
            let status = response.status();
            (
                status,
                response.text().await.expect("body"),
                started.elapsed(),
            )
        }
    };
    let (s1, b1, t1) = timed(ADMIN_EMAIL).await;
    let (s2, b2, t2) = timed("nobody@orbitr.test").await;
    assert_eq!((s1.as_u16(), &b1), (s2.as_u16(), &b2));
    assert_eq!(s1, 401);
    let (fast, slow) = if t1 < t2 { (t1, t2) } else { (t2, t1) };
    assert!(
        slow < fast * 3 + Duration::from_millis(20),
        "wrong password {t1:?} vs unknown account {t2:?}"
    );
}

#[tokio::test]
async fn signing_in_rotates_the_session_and_signing_out_ends_it() {
    let app = spawn_app().await;
    let first = new_client();
    let response = app.login(&first, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 200);
    let id1 = session_cookie(&response).expect("cookie");

    let response = app.login(&first, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let id2 = session_cookie(&response).expect("a new cookie");
    assert_ne!(
        id1.split(';').next(),
        id2.split(';').next(),
        "a new id at every sign-in"
    );

    // The old id no longer opens anything.
    let old = id1.split(';').next().expect("pair").to_owned();
    let with_old = app
        .client
        .get(app.url("/api/v1/system"))
        .header("cookie", &old);
    let stale = reqwest::Client::new()
        .execute(with_old.build().expect("request"))
        .await
        .expect("send");
    assert_eq!(stale.status(), 401);

    let out = app.post_form(&first, "/api/logout", &[]).await;
    assert_eq!(out.status(), 200);
    let after = first.get(app.url("/")).send().await.expect("request");
    assert_eq!(after.status(), 303);
    assert!(location(&after).starts_with("/login?next="));
}

#[tokio::test]
async fn too_many_failed_sign_ins_lock_the_account_and_are_audited() {
    let app = spawn_app_with(|s| s.login_failures_per_account = 3).await;
    let client = new_client();
    for _ in 0..3 {
        assert_eq!(
            app.login(&client, ADMIN_EMAIL, "wrong wrong wrong wrong")
                .await
                .status(),
            401
        );
    }
    let locked = app.login(&client, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(locked.status(), 429, "even the right password waits");
    assert!(locked.text().await.expect("body").contains("RateLimited"));

    let audit = Audit::new(app.db.clone());
    let records = audit.recent(10).await.expect("records");
    assert_eq!(records[0].action, "auth.login");
    assert_eq!(records[0].result, "denied");
    assert_eq!(
        records
            .iter()
            .filter(|r| r.action == "auth.login" && r.result == "failed")
            .count(),
        3
    );
    assert!(
        records
            .iter()
            .all(|r| r.request_id.is_some() && r.source_ip.is_some())
    );
    assert!(
        records
            .iter()
            .all(|r| !format!("{r:?}").contains("wrong wrong")),
        "passwords never reach the audit log"
    );
}

#[tokio::test]
async fn cross_site_state_changes_are_refused() {
    let app = spawn_app().await;
    let client = new_client();
    let evil = client
        .post(app.url("/api/login"))
        .header("origin", "http://evil.example")
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(evil.status(), 403);
    let body: serde_json::Value = evil.json().await.expect("json");
    assert_eq!(body["error"]["code"], "cross_site_request");

    let bare = client
        .post(app.url("/api/login"))
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(bare.status(), 403, "no Origin and no Referer");

    let by_referer = client
        .post(app.url("/api/login"))
        .header("referer", app.url("/login"))
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(by_referer.status(), 200);

    // A signed-in session does not make a cross-site sign-out pass.
    let out = app
        .client
        .post(app.url("/api/logout"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .expect("request");
    assert_eq!(out.status(), 403);
    assert_eq!(app.get("/").await.status(), 200, "still signed in");
}

#[tokio::test]
async fn the_rest_api_and_live_socket_need_a_signed_in_user() {
    let app = spawn_app().await;
    let anonymous = new_client();
    for path in ["/api/v1/system", "/api/v1/events"] {
        let response = anonymous.get(app.url(path)).send().await.expect("request");
        assert_eq!(response.status(), 401, "{path}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    for path in ["/healthz", "/readyz", "/api/v1/openapi.json"] {
        assert_ne!(
            anonymous
                .get(app.url(path))
                .send()
                .await
                .expect("request")
                .status(),
            401,
            "{path}"
        );
    }
    let page = anonymous
        .get(app.url("/?x=1"))
        .send()
        .await
        .expect("request");
    assert_eq!(page.status(), 303);
    assert_eq!(location(&page), "/login?next=/%3Fx%3D1");
}

#[tokio::test]
async fn the_audit_chain_verifies_and_detects_tampering() {
    let app = spawn_app().await;
    let client = new_client();
    app.login(&client, ADMIN_EMAIL, "wrong wrong wrong wrong")
        .await;
    app.login(&client, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let audit = Audit::new(app.db.clone());
    let Verification::Intact { records } = audit.verify().await.expect("verify") else {
        panic!("an untouched log verifies");
    };
    assert!(records >= 3, "setup, failed and good sign-in: {records}");

    let second = audit
        .recent(100)
        .await
        .expect("records")
        .iter()
        .map(|r| r.seq)
        .min()
        .expect("records")
        + 1;
    on_pool!(&app.db, |pool| sqlx::query(
        "UPDATE audit_log SET result = 'ok' WHERE seq = $1"
    )
    .bind(second)
    .execute(pool)
    .await
    .map(drop)
    .expect("tamper"));
    assert_eq!(
        audit.verify().await.expect("verify"),
        Verification::Broken {
            seq: second,
            why: "its content does not match its hash (the record was changed)"
        }
    );
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session_but_this_one() {
    let app = spawn_app().await;
    let other = new_client();
    assert_eq!(
        app.login(&other, ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        200
    );
    let new_password = "a brand new quiet meadow lantern";

    let wrong = app
        .post_form(
            &app.client,
            "/api/change_password",
            &[
                ("current", "nope nope nope nope"),
                ("password", new_password),
                ("confirm", new_password),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 400);
    let body: serde_json::Value = wrong.json().await.expect("json");
    assert_eq!(body["Invalid"]["field"], "current");

    let weak = app
        .post_form(
            &app.client,
            "/api/change_password",
            &[
                ("current", ADMIN_PASSWORD),
                ("password", "password1234"),
                ("confirm", "password1234"),
            ],
        )
        .await;
    assert_eq!(weak.status(), 400);
    let body: serde_json::Value = weak.json().await.expect("json");
    assert_eq!(body["Invalid"]["field"], "password");
    assert_eq!(
        other
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .expect("request")
            .status(),
        200,
        "nothing changed yet"
    );

    let ok = app
        .post_form(
            &app.client,
            "/api/change_password",
            &[
                ("current", ADMIN_PASSWORD),
                ("password", new_password),
                ("confirm", new_password),
            ],
        )
        .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(
        app.get("/api/v1/me").await.status(),
        200,
        "this session stays"
    );
    assert_eq!(
        other
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .expect("request")
            .status(),
        401,
        "the other one ends"
    );

    assert_eq!(
        app.login(&new_client(), ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login(&new_client(), ADMIN_EMAIL, new_password)
            .await
            .status(),
        200
    );
    let records = Audit::new(app.db.clone()).recent(20).await.expect("audit");
    assert!(
        records
            .iter()
            .any(|r| r.action == "auth.change_password" && r.result == "ok")
    );
    assert!(
        records
            .iter()
            .any(|r| r.action == "auth.change_password" && r.result == "failed")
    );
}

#[tokio::test]
async fn sign_in_and_setup_answer_503_when_the_database_is_unavailable() {
    let app = spawn_app().await;
    app.db.close().await;
    let response = app.login(&new_client(), ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 503);
    let body = response.text().await.expect("body");
    assert!(body.contains("DatabaseUnavailable"), "{body}");

    let fresh = spawn_fresh_app().await;
    fresh.db.close().await;
    let response = fresh.setup_admin(&new_client(), ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 503);
}
