//! Orbitr's and the engine's status.

use engine::model::system::{EngineStatus, SystemInfo};

use super::{Grant, Op};
use crate::access::{Need, Scope};
use crate::error::AppError;
use crate::state::AppState;

/// Orbitr's and the engine's facts, scoped to what the caller sees.
pub static INFO: Op = Op {
    name: "system.info",
    need: Need::SignedIn,
};
/// Whether the engine is reachable.
pub static ENGINE_STATUS: Op = Op {
    name: "system.engine_status",
    need: Need::SignedIn,
};

/// Orbitr's version and the engine's figures as the caller may see them (the dashboard cards).
pub async fn info(grant: &Grant) -> Result<SystemInfo, AppError> {
    grant.expect(&INFO)?;
    let user = grant.require_user()?;
    let info = grant.state.docker.system_info().await?;
    let scope =
        crate::access::readable(&grant.state, user, grant.token.as_ref(), "container").await?;
    Ok(figures_for(&grant.state, &scope, info))
}

/// Whether the engine is reachable right now, and if not why.
pub fn engine_status(grant: &Grant) -> Result<EngineStatus, AppError> {
    grant.expect(&ENGINE_STATUS)?;
    Ok(grant.state.docker.status())
}

/// The figures as `scope` may see them: the engine's own for platform admins; for everyone else
/// the containers, volumes and networks of the workspaces they may read, so the dashboard agrees
/// with their lists and tells nothing of other teams.
pub fn figures_for(state: &AppState, scope: &Scope, info: SystemInfo) -> SystemInfo {
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
