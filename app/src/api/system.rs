//! The engine's figures and connection state.

use engine::system::{EngineStatus, SystemInfo};
use leptos::prelude::*;

use crate::error::AppError;

/// Orbitr's version and the engine's figures (the dashboard cards).
#[server]
pub async fn get_system_info() -> Result<SystemInfo, AppError> {
    let state = expect_context::<crate::state::AppState>();
    Ok(state.docker.system_info().await?)
}

/// Whether the engine is reachable right now, and if not why.
#[server]
pub async fn get_engine_status() -> Result<EngineStatus, AppError> {
    let state = expect_context::<crate::state::AppState>();
    Ok(state.docker.status())
}
