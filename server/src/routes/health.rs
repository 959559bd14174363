//! Liveness and readiness.

use app::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use engine::model::system::EngineStatus;
use serde::Serialize;

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness report.
#[derive(Debug, Serialize)]
pub struct Readiness {
    /// `ready` or `not_ready`.
    pub status: &'static str,
    pub database: DatabaseCheck,
    pub docker: EngineStatus,
}

/// Database part of the readiness report.
#[derive(Debug, Serialize)]
pub struct DatabaseCheck {
    pub ok: bool,
    pub backend: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Readiness: the database answers and the Docker engine is connected; 503 otherwise.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let db = state.db.ping().await;
    let docker = state.docker.status();
    let ready = db.is_ok() && docker.is_connected();
    let body = Readiness {
        status: if ready { "ready" } else { "not_ready" },
        database: DatabaseCheck {
            ok: db.is_ok(),
            backend: state.db.backend(),
            error: db.err().map(|e| e.to_string()),
        },
        docker,
    };
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body))
}
