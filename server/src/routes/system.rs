//! `GET /api/v1/system`.

use app::AppState;
use app::error::AppError;
use app::ops::{Grant, system};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use engine::model::system::SystemInfo;

use crate::api_error::{ApiError, from_app};

/// Orbitr's version and the Docker engine's figures; the counts cover what the caller may see
/// (the whole engine for platform admins, `scope` says which).
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
pub async fn get_system(
    State(state): State<AppState>,
    Extension(grant): Extension<Grant>,
) -> Response {
    match system::info(&grant).await {
        Ok(info) => Json(info).into_response(),
        Err(e @ AppError::DockerUnavailable { .. }) => ApiError::response(
            StatusCode::SERVICE_UNAVAILABLE,
            "docker_unavailable",
            e.to_string(),
            Some(state.docker.status().hint()),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "system info failed");
            from_app(&e)
        }
    }
}
