//! Extensions over REST: the manifest's JSON Schema (so editors can complete `orbitr.yaml`).

use app::ops::{Grant, marketplace};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

/// The JSON Schema of `orbitr.yaml`, generated from the manifest's types.
#[utoipa::path(
    get,
    path = "/api/v1/schemas/extension.json",
    tag = "extensions",
    responses((status = 200, description = "JSON Schema (2020-12) of an extension manifest", content_type = "application/schema+json"))
)]
pub async fn extension_schema(Extension(grant): Extension<Grant>) -> Response {
    match marketplace::schema(&grant) {
        Ok(schema) => (
            [(http::header::CONTENT_TYPE, "application/schema+json")],
            Json(schema),
        )
            .into_response(),
        Err(e) => crate::api_error::from_app(&e),
    }
}
