//! Extensions over REST: the manifest's JSON Schema (so editors can complete `orbitr.yaml`).

use axum::Json;
use axum::response::{IntoResponse, Response};

/// The JSON Schema of `orbitr.yaml`, generated from the manifest's types.
#[utoipa::path(
    get,
    path = "/api/v1/schemas/extension.json",
    tag = "extensions",
    responses((status = 200, description = "JSON Schema (2020-12) of an extension manifest", content_type = "application/schema+json"))
)]
pub async fn extension_schema() -> Response {
    (
        [(http::header::CONTENT_TYPE, "application/schema+json")],
        Json(engine::extensions::manifest::json_schema()),
    )
        .into_response()
}
