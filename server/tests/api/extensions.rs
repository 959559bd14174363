//! Extensions over HTTP: the manifest's JSON Schema is public and describes every field.

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_manifest_schema_is_served_to_anyone() {
    let app = spawn_app().await;
    // No session, no token.
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/schemas/extension.json", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/schema+json")
    );
    let schema: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(schema["$id"], "/api/v1/schemas/extension.json");
    for field in ["id", "version", "inputs", "requires", "permissions"] {
        assert!(schema["properties"].get(field).is_some(), "{field}");
    }
    assert!(schema["components"]["schemas"].get("Input").is_some());
}
