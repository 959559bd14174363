//! `GET /api/v1/system`.

use app::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use engine::docker::DockerError;
use engine::system::SystemInfo;
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
    fn response(
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

/// Orbitr's version and the Docker engine's figures.
#[utoipa::path(
    get,
    path = "/api/v1/system",
    tag = "system",
    responses(
        (status = 200, description = "Engine figures", body = SystemInfo),
        (status = 503, description = "The Docker engine is unreachable", body = ApiError),
        (status = 502, description = "The Docker engine answered with an error", body = ApiError),
    )
)]
pub async fn get_system(State(state): State<AppState>) -> Response {
    match state.docker.system_info().await {
        Ok(info) => Json(info).into_response(),
        Err(e @ DockerError::Unavailable { .. }) => ApiError::response(
            StatusCode::SERVICE_UNAVAILABLE,
            "docker_unavailable",
            e.to_string(),
            Some(state.docker.status().hint()),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "system info failed");
            ApiError::response(StatusCode::BAD_GATEWAY, "docker_error", e.to_string(), None)
        }
    }
}
