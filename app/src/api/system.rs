//! The engine's figures and connection state over server functions: each one transports its
//! operation in [`crate::ops::system`].

use engine::model::system::{EngineStatus, SystemInfo};
use leptos::prelude::*;

use crate::error::AppError;

/// Orbitr's version and the engine's figures (the dashboard cards).
#[server(output = crate::api::codec::Json)]
pub async fn get_system_info() -> Result<SystemInfo, AppError> {
    use crate::ops::{On, admit, system};
    crate::auth::reply(
        async {
            let grant = admit(&system::INFO, On::Nothing).await?;
            system::info(&grant).await
        }
        .await,
    )
}

/// Whether the engine is reachable right now, and if not why.
#[server(output = crate::api::codec::Json)]
pub async fn get_engine_status() -> Result<EngineStatus, AppError> {
    use crate::ops::{On, admit, system};
    crate::auth::reply(
        async {
            let grant = admit(&system::ENGINE_STATUS, On::Nothing).await?;
            system::engine_status(&grant)
        }
        .await,
    )
}
