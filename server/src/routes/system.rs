//! `GET /api/v1/system`.

use app::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use engine::docker::DockerError;
use engine::system::SystemInfo;

use crate::api_error::ApiError;

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
