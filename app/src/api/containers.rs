//! Containers: the live list, one container's details, actions, creating one, and each
//! workspace's security policy. Lists read Orbitr's live state (kept current from the engine's
//! events), never the engine. What each function needs is declared in
//! [`crate::access::SERVER_FNS`].

use engine::resources::{ContainerDetail, ContainerList, ContainerView};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub use engine::resources::{ContainerSpec, SecurityPolicy};

/// A workspace's policy, and whether the caller may change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyView {
    pub policy: SecurityPolicy,
    pub editable: bool,
}

#[cfg(feature = "ssr")]
mod convert {
    use super::AppError;
    use engine::containers::ContainerError;
    use engine::policies::PolicyError;

    impl From<ContainerError> for AppError {
        fn from(e: ContainerError) -> Self {
            match e {
                ContainerError::Invalid { field, message } => Self::Invalid { field, message },
                ContainerError::Policy(v) => Self::Invalid {
                    field: match v.index {
                        Some(i) => format!("{}[{i}]", v.field),
                        None => v.field,
                    },
                    message: format!("{} (workspace security policy)", v.message),
                },
                ContainerError::NotFound(_) => Self::NotFound("container".into()),
                ContainerError::Docker(e) => e.into(),
            }
        }
    }

    impl From<PolicyError> for AppError {
        fn from(e: PolicyError) -> Self {
            match e {
                PolicyError::Invalid { field, message } => Self::Invalid { field, message },
                PolicyError::NoWorkspace => Self::NotFound("workspace".into()),
                PolicyError::Db(e) => e.into(),
            }
        }
    }
}

/// The containers the caller may see (every one for platform admins, unmanaged included),
/// by name, with whether the list may be out of date.
#[server(endpoint = "list_containers", output = crate::api::codec::Json)]
pub async fn list_containers() -> Result<ContainerList, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<ListContainers>(None).await?;
            let user = ctx.require_user()?;
            let scope =
                crate::access::readable(&ctx.state, user, ctx.token.as_ref(), "container").await?;
            let live = ctx.state.docker.containers();
            Ok(ContainerList {
                containers: live.filtered(|c| scope.sees(c.workspace.as_deref())),
                stale: live.is_stale(),
            })
        }
        .await,
    )
}

/// One container, inspected now (environment values of secret-looking keys masked).
#[server(endpoint = "get_container", output = crate::api::codec::Json)]
pub async fn get_container(id: String) -> Result<ContainerDetail, AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::auth::RequestCtx::authorize_owned::<GetContainer>("container", &id).await?;
            let found = ctx.state.docker.containers().find(&id);
            let key = found.map_or(id, |c| c.id);
            Ok(ctx.state.docker.inspect_container(&key).await?)
        }
        .await,
    )
}

/// Starts, stops, restarts, kills, pauses or resumes a container; answers its new state.
#[server(endpoint = "container_action", output = crate::api::codec::Json)]
pub async fn container_action(id: String, action: String) -> Result<ContainerView, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize_owned::<ContainerAction>("container", &id)
                .await?;
            let action = engine::resources::ContainerAction::parse(&action).ok_or_else(|| {
                AppError::Invalid {
                    field: "action".into(),
                    message: format!(
                        "{action:?}: use start, stop, restart, kill, pause or unpause"
                    ),
                }
            })?;
            let container = find_container(&ctx.state, &id)?;
            let result = ctx
                .state
                .docker
                .container_action(&container.id, action)
                .await
                .and_then(|v| v.ok_or_else(|| engine::containers::ContainerError::NotFound(id)));
            ctx.audited(
                &format!("container.{}", action.as_str()),
                Some(target(&container)),
                result,
            )
            .await
        }
        .await,
    )
}

/// Renames a container.
#[server(endpoint = "rename_container", output = crate::api::codec::Json)]
pub async fn rename_container(id: String, name: String) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize_owned::<RenameContainer>("container", &id)
                .await?;
            let container = find_container(&ctx.state, &id)?;
            let result = ctx
                .state
                .docker
                .rename_container(&container.id, &name)
                .await;
            ctx.audited(
                "container.rename",
                Some(format!("{} -> {}", target(&container), name.trim())),
                result,
            )
            .await
        }
        .await,
    )
}

/// Removes a container (stopping it first), with its anonymous volumes when `volumes`.
#[server(endpoint = "remove_container", output = crate::api::codec::Json)]
pub async fn remove_container(id: String, volumes: bool) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize_owned::<RemoveContainer>("container", &id)
                .await?;
            let container = find_container(&ctx.state, &id)?;
            let result = ctx
                .state
                .docker
                .remove_container(&container.id, volumes)
                .await;
            ctx.audited("container.remove", Some(target(&container)), result)
                .await
        }
        .await,
    )
}

/// Creates a container in a workspace from the form, checked field by field and against the
/// workspace's security policy (platform admins are not limited by it).
#[server(endpoint = "create_container", output = crate::api::codec::Json)]
pub async fn create_container(
    workspace: String,
    spec: ContainerSpec,
) -> Result<ContainerView, AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::auth::RequestCtx::authorize::<CreateContainer>(Some(&workspace)).await?;
            let result = create_checked(
                &ctx.state,
                ctx.user.as_ref(),
                ctx.token.as_ref(),
                &workspace,
                &spec,
            )
            .await;
            ctx.audited("container.create", Some(create_target(&spec)), result)
                .await
        }
        .await,
    )
}

/// The checks and the engine call behind [`create_container`], shared with the REST route.
#[cfg(feature = "ssr")]
pub async fn create_checked(
    state: &crate::state::AppState,
    user: Option<&engine::accounts::User>,
    token: Option<&engine::tokens::TokenInfo>,
    workspace: &str,
    spec: &ContainerSpec,
) -> Result<ContainerView, engine::containers::ContainerError> {
    use engine::containers::ContainerError;
    let plan = engine::containers::plan_create(spec, workspace)?;
    let policy = policy_for(state, user, token, workspace)
        .await
        .map_err(|e| ContainerError::Invalid {
            field: "policy".into(),
            message: e.to_string(),
        })?;
    state
        .docker
        .create_in_workspace(plan, policy.as_ref(), workspace, spec.start)
        .await
}

/// The workspace's policy for the caller: `None` for platform admins, who are not limited.
#[cfg(feature = "ssr")]
pub async fn policy_for(
    state: &crate::state::AppState,
    user: Option<&engine::accounts::User>,
    token: Option<&engine::tokens::TokenInfo>,
    workspace: &str,
) -> Result<Option<compose::policy::SecurityPolicy>, AppError> {
    let unrestricted = crate::access::check(
        state,
        user,
        token,
        crate::access::Need::Platform("policy", "manage"),
        None,
    )
    .await
    .is_ok();
    if unrestricted {
        Ok(None)
    } else {
        Ok(Some(state.policies.get(workspace).await?))
    }
}

/// `container:<name> (<image>)`, how audit records name a container being created.
#[cfg(feature = "ssr")]
pub fn create_target(spec: &ContainerSpec) -> String {
    if spec.name.trim().is_empty() {
        format!("container:({})", spec.image.trim())
    } else {
        format!("container:{} ({})", spec.name.trim(), spec.image.trim())
    }
}

/// A container of the live state by id, name or id prefix, or `NotFound`.
#[cfg(feature = "ssr")]
pub fn find_container(
    state: &crate::state::AppState,
    key: &str,
) -> Result<ContainerView, AppError> {
    state
        .docker
        .containers()
        .find(key)
        .ok_or_else(|| AppError::NotFound("container".into()))
}

/// `container:<name> (<short id>)`, how audit records name a container.
#[cfg(feature = "ssr")]
pub fn target(c: &ContainerView) -> String {
    format!("container:{} ({})", c.name, c.id.get(..12).unwrap_or(&c.id))
}

/// A workspace's security policy.
#[server(endpoint = "get_security_policy", output = crate::api::codec::Json)]
pub async fn get_security_policy(workspace: String) -> Result<PolicyView, AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::auth::RequestCtx::authorize::<GetSecurityPolicy>(Some(&workspace)).await?;
            let editable = crate::access::check(
                &ctx.state,
                ctx.user.as_ref(),
                ctx.token.as_ref(),
                crate::access::Need::Platform("policy", "manage"),
                None,
            )
            .await
            .is_ok();
            Ok(PolicyView {
                policy: ctx.state.policies.get(&workspace).await?,
                editable,
            })
        }
        .await,
    )
}

/// Replaces a workspace's security policy (platform admins).
#[server(endpoint = "set_security_policy", output = crate::api::codec::Json)]
pub async fn set_security_policy(
    workspace: String,
    policy: SecurityPolicy,
) -> Result<SecurityPolicy, AppError> {
    crate::auth::reply(
        async {
            let mut ctx = crate::auth::RequestCtx::authorize::<SetSecurityPolicy>(None).await?;
            ctx.workspace = Some(workspace.clone());
            let result = ctx
                .state
                .policies
                .set(&workspace, policy, &ctx.actor())
                .await;
            ctx.audited(
                "policy.update",
                Some(format!("workspace:{workspace}")),
                result,
            )
            .await
        }
        .await,
    )
}
