//! The one shape of REST API errors.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Error body of the REST API.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiError {
    pub error: ApiErrorBody,
}

/// What went wrong, for people and programs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorBody {
    /// Stable machine-readable code, e.g. `docker_unavailable`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// What to do about it, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl ApiError {
    /// A JSON error response: `{"error":{"code":…,"message":…,"hint":…}}`.
    pub fn response(
        status: StatusCode,
        code: &'static str,
        message: String,
        hint: Option<String>,
    ) -> Response {
        (
            status,
            Json(ApiError {
                error: ApiErrorBody {
                    code,
                    message,
                    hint,
                },
            }),
        )
            .into_response()
    }
}
