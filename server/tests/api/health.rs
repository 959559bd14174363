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
