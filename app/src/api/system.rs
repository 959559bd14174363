//! The engine's figures and connection state.

use engine::system::{EngineStatus, SystemInfo};
use leptos::prelude::*;

use crate::error::AppError;

/// Orbitr's version and the engine's figures (the dashboard cards).
#[server]
pub async fn get_system_info() -> Result<SystemInfo, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<GetSystemInfo>(None).await?;
            Ok(ctx.state.docker.system_info().await?)
        }
        .await,
    )
}

/// Whether the engine is reachable right now, and if not why.
#[server]
pub async fn get_engine_status() -> Result<EngineStatus, AppError> {
    crate::auth::reply(
        crate::auth::RequestCtx::authorize::<GetEngineStatus>(None)
            .await
            .map(|ctx| ctx.state.docker.status()),
    )
}
