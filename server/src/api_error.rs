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
    /// For `invalid_compose`: every problem in the files, with its line, column and field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<compose::diag::Diagnostic>,
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
                    diagnostics: Vec::new(),
                },
            }),
        )
            .into_response()
    }
}

/// The REST answer for an application error: its status, a stable code and its message.
pub fn from_app(error: &app::error::AppError) -> Response {
    use app::error::AppError;
    let code = match error {
        AppError::DockerUnavailable { .. } => "docker_unavailable",
        AppError::DatabaseUnavailable => "database_unavailable",
        AppError::Docker { .. } => "docker_error",
        AppError::Invalid { .. } => "invalid",
        AppError::Diagnostics(_) => "invalid_compose",
        AppError::InvalidCredentials => "invalid_credentials",
        AppError::RateLimited { .. } => "rate_limited",
        AppError::Unauthorized => "unauthorized",
        AppError::Forbidden => "forbidden",
        AppError::NotFound(_) => "not_found",
        AppError::Conflict(_) => "conflict",
        AppError::Upstream(_) => "upstream_error",
        AppError::Internal | AppError::Transport(_) => "internal",
    };
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let diagnostics = match error {
        AppError::Diagnostics(d) => d.clone(),
        _ => Vec::new(),
    };
    (
        status,
        Json(ApiError {
            error: ApiErrorBody {
                code,
                message: error.to_string(),
                hint: None,
                diagnostics,
            },
        }),
    )
        .into_response()
}

/// The REST answer of an operation: its value as JSON with `status` (no body for 204), or the
/// error as [`from_app`] answers it.
pub fn answer<T: Serialize, E: Into<app::error::AppError>>(
    result: Result<T, E>,
    status: StatusCode,
) -> Response {
    match result {
        Ok(_) if status == StatusCode::NO_CONTENT => status.into_response(),
        Ok(value) => (status, Json(value)).into_response(),
        Err(e) => from_app(&e.into()),
    }
}
