use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("body"), "ok");
}

#[tokio::test]
async fn readyz_reports_the_database_and_a_connected_engine() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"]["ok"], true);
    let expected = if testkit::postgres::server_url().is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(body["database"]["backend"], expected);
    assert_eq!(app.backend, expected);
    assert_eq!(body["docker"]["state"], "connected");
}

#[tokio::test]
async fn a_request_id_is_created_or_echoed_back() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    let made = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(made.len(), 36, "a UUID: {made}");

    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["x-request-id"], "trace-42");

    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id\twith tab")
        .send()
        .await
        .expect("request");
    assert_ne!(response.headers()["x-request-id"], "bad id\twith tab");
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_and_docker_calls() {
    let app = spawn_app().await;
    app.get("/healthz").await;
    app.get("/api/v1/system").await;
    let body = app.get("/metrics").await.text().await.expect("body");
    assert!(
        body.lines()
            .any(|l| l.starts_with("orbitr_http_requests_total")
                && l.contains("route=\"/healthz\"")
                && l.contains("status=\"200\"")),
        "{body}"
    );
    assert!(
        body.contains("orbitr_http_request_duration_seconds_bucket"),
        "{body}"
    );
    assert!(
        body.lines()
            .any(|l| l.starts_with("orbitr_docker_api_calls_total") && l.contains("op=\"info\"")),
        "{body}"
    );
}

#[tokio::test]
async fn metrics_need_a_metrics_token_or_a_platform_admin() {
    let app = spawn_app().await;
    let anonymous = reqwest::Client::new();
    let status = |r: reqwest::Response| r.status().as_u16();
    let get = |token: Option<String>| {
        let mut request = anonymous.get(app.url("/metrics"));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        request.send()
    };
    assert_eq!(status(get(None).await.expect("request")), 401);
    let admin = app
        .state
        .accounts
        .find_by_email(crate::helpers::ADMIN_EMAIL)
        .await
        .expect("lookup")
        .expect("admin");
    let token = |scope| {
        let tokens = app.state.tokens.clone();
        let id = admin.id.clone();
        async move {
            tokens
                .create(&id, "t", scope, None, None)
                .await
                .expect("token")
                .1
        }
    };
    let read = token(engine::identity::tokens::Scope::Read).await;
    assert_eq!(status(get(Some(read)).await.expect("request")), 401);
    let metrics = token(engine::identity::tokens::Scope::Metrics).await;
    let answer = get(Some(metrics.clone())).await.expect("request");
    assert_eq!(answer.status(), 200);
    assert!(
        answer
            .text()
            .await
            .expect("body")
            .contains("orbitr_http_requests_total")
    );
    // A metrics token reads nothing else.
    let api = anonymous
        .get(app.url("/api/v1/system"))
        .bearer_auth(&metrics)
        .send()
        .await
        .expect("request");
    assert_eq!(api.status(), 403);
    // The admin's own sign-in may look.
    assert_eq!(status(app.get("/metrics").await), 200);
    // Only platform admins make metrics tokens.
    let team = crate::containers::team(&app).await;
    let made = app
        .post_form(
            &team.operator.1,
            "/api/create_api_token",
            &[("name", "prom"), ("scope", "metrics")],
        )
        .await;
    assert_eq!(made.status(), 400);
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_the_system_route() {
    let app = spawn_app().await;
    let (status, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(
        doc["openapi"].as_str().expect("version").starts_with("3.1"),
        "{doc}"
    );
    assert!(doc["paths"]["/api/v1/system"]["get"].is_object(), "{doc}");
    assert!(
        doc["components"]["schemas"]["SystemInfo"].is_object(),
        "{doc}"
    );
    // Both ways in are declared, so the docs page offers "Authorize" for a token.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["token"]["type"], "http", "{schemes}");
    assert_eq!(schemes["token"]["scheme"], "bearer", "{schemes}");
    assert_eq!(schemes["session"]["in"], "cookie", "{schemes}");
    assert_eq!(schemes["session"]["name"], "orbitr_session", "{schemes}");
    assert_eq!(
        doc["security"],
        serde_json::json!([{ "token": [] }, { "session": [] }])
    );
}

#[tokio::test]
async fn the_api_docs_are_served_from_orbitr_itself() {
    let app = spawn_app().await;
    let page = app.get("/api/docs/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("body");
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("https://"),
        "the docs page must not load anything from the internet"
    );
    let bundle = app.get("/api/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status(), 200);
}
