//! The engine's figures and connection state.

use engine::system::{EngineStatus, SystemInfo};
use leptos::prelude::*;

use crate::error::AppError;

/// Orbitr's version and the engine's figures (the dashboard cards).
#[server(output = crate::api::codec::Json)]
pub async fn get_system_info() -> Result<SystemInfo, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<GetSystemInfo>(None).await?;
            seen_system_info(&ctx.state, ctx.require_user()?, ctx.token.as_ref()).await
        }
        .await,
    )
}

/// Whether the engine is reachable right now, and if not why.
#[server(output = crate::api::codec::Json)]
pub async fn get_engine_status() -> Result<EngineStatus, AppError> {
    crate::auth::reply(
        crate::auth::RequestCtx::authorize::<GetEngineStatus>(None)
            .await
            .map(|ctx| ctx.state.docker.status()),
    )
}

/// Orbitr's and the engine's figures as `user` may see them (the dashboard, `GET /api/v1/system`).
#[cfg(feature = "ssr")]
pub async fn seen_system_info(
    state: &crate::state::AppState,
    user: &engine::accounts::User,
    token: Option<&engine::tokens::TokenInfo>,
) -> Result<SystemInfo, AppError> {
    let info = state.docker.system_info().await?;
    let scope = crate::access::readable(state, user, token, "container").await?;
    Ok(figures_for(state, &scope, info))
}

/// The figures as `scope` may see them: the engine's own for platform admins; for everyone else
/// the containers, volumes and networks of the workspaces they may read, so the dashboard agrees
/// with their lists and tells nothing of other teams.
#[cfg(feature = "ssr")]
pub fn figures_for(
    state: &crate::state::AppState,
    scope: &crate::access::Scope,
    info: SystemInfo,
) -> SystemInfo {
    if scope.everything {
        return info;
    }
    let docker = &state.docker;
    let containers = docker
        .containers()
        .filtered(|c| scope.sees(c.workspace.as_deref()));
    let volumes = docker
        .volumes()
        .iter()
        .filter(|v| scope.sees(v.workspace.as_deref()))
        .count();
    let networks = docker
        .networks()
        .iter()
        .filter(|n| scope.sees(n.workspace.as_deref()))
        .count();
    info.narrowed(&containers, volumes, networks)
}
