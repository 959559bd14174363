//! Containers: the live list, one container, its actions, renaming and removing it, creating
//! one, and each workspace's security policy. Lists read Orbitr's live state (kept current
//! from the engine's events), never the engine.

use engine::docker::containers::ContainerError;
use engine::model::resources::{
    ContainerAction, ContainerDetail, ContainerList, ContainerSpec, ContainerView, PolicyView,
    SecurityPolicy,
};
use engine::tenancy::policies::PolicyError;

use super::{Grant, Op};
use crate::access::Need;
use crate::error::AppError;

/// The containers the caller may see (every one for platform admins, unmanaged included).
pub static LIST: Op = Op {
    name: "container.list",
    need: Need::SignedIn,
};
/// One container, inspected now.
pub static GET: Op = Op {
    name: "container.get",
    need: Need::Owned("container", "read"),
};
/// A container's retained log, downloaded.
pub static LOGS: Op = Op {
    name: "container.logs",
    need: Need::Owned("container", "logs"),
};
/// Start, stop, restart, kill, pause or unpause.
pub static ACT: Op = Op {
    name: "container.act",
    need: Need::Owned("container", "operate"),
};
pub static RENAME: Op = Op {
    name: "container.rename",
    need: Need::Owned("container", "operate"),
};
pub static REMOVE: Op = Op {
    name: "container.remove",
    need: Need::Owned("container", "operate"),
};
pub static CREATE: Op = Op {
    name: "container.create",
    need: Need::Workspace("container", "create"),
};
pub static GET_POLICY: Op = Op {
    name: "policy.get",
    need: Need::Workspace("workspace", "read"),
};
pub static SET_POLICY: Op = Op {
    name: "policy.update",
    need: Need::Platform("policy", "manage"),
};

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

/// Which containers a list shows, besides what the caller may see.
#[derive(Debug, Default)]
pub struct Filter {
    /// Only this workspace's containers (`unmanaged`: those without one).
    pub workspace: Option<String>,
    /// Only containers in this state (`running`, `exited`…).
    pub state: Option<String>,
    /// Only this stack's containers.
    pub stack: Option<String>,
    /// Free text: name, image, stack, service or id prefix.
    pub text: Option<String>,
}

/// The containers the caller may see that pass `filter`, by name, with whether the list may be
/// out of date.
pub async fn list(grant: &Grant, filter: &Filter) -> Result<ContainerList, AppError> {
    grant.expect(&LIST)?;
    let user = grant.require_user()?;
    let scope =
        crate::access::readable(&grant.state, user, grant.token.as_ref(), "container").await?;
    let live = grant.state.docker.containers();
    let containers = live.filtered(|c| {
        scope.sees(c.workspace.as_deref())
            && filter.workspace.as_deref().is_none_or(|w| {
                if w == "unmanaged" {
                    c.workspace.is_none()
                } else {
                    c.workspace.as_deref() == Some(w)
                }
            })
            && filter.state.as_deref().is_none_or(|s| c.state == s)
            && filter
                .stack
                .as_deref()
                .is_none_or(|s| c.stack.as_deref() == Some(s))
            && filter.text.as_deref().is_none_or(|q| c.matches_text(q))
    });
    Ok(ContainerList {
        containers,
        stale: live.is_stale(),
    })
}

/// One container, inspected now (environment values of secret-looking keys masked).
pub async fn get(grant: &Grant, key: &str) -> Result<ContainerDetail, AppError> {
    grant.expect(&GET)?;
    let found = find(grant, key)?;
    Ok(grant.state.docker.inspect_container(&found.id).await?)
}

/// The container whose retained log [`LOGS`] downloads.
pub fn for_logs(grant: &Grant, key: &str) -> Result<ContainerView, AppError> {
    grant.expect(&LOGS)?;
    find(grant, key)
}

/// Starts, stops, restarts, kills, pauses or resumes a container; answers its new state.
pub async fn act(grant: &Grant, key: &str, action: &str) -> Result<ContainerView, AppError> {
    grant.expect(&ACT)?;
    let action = ContainerAction::parse(action).ok_or_else(|| AppError::Invalid {
        field: "action".into(),
        message: format!("{action:?}: use start, stop, restart, kill, pause or unpause"),
    })?;
    let found = find(grant, key)?;
    let result = grant
        .state
        .docker
        .container_action(&found.id, action)
        .await
        .and_then(|v| v.ok_or_else(|| ContainerError::NotFound(found.id.clone())));
    grant
        .audited(
            &format!("container.{}", action.as_str()),
            Some(target(&found)),
            result,
        )
        .await
}

/// Renames a container.
pub async fn rename(grant: &Grant, key: &str, name: &str) -> Result<(), AppError> {
    grant.expect(&RENAME)?;
    let found = find(grant, key)?;
    let result = grant.state.docker.rename_container(&found.id, name).await;
    grant
        .audited(
            "container.rename",
            Some(format!("{} -> {}", target(&found), name.trim())),
            result,
        )
        .await
}

/// Removes a container (stopping it first), with its anonymous volumes when `volumes`.
pub async fn remove(grant: &Grant, key: &str, volumes: bool) -> Result<(), AppError> {
    grant.expect(&REMOVE)?;
    let found = find(grant, key)?;
    let result = grant
        .state
        .docker
        .remove_container(&found.id, volumes)
        .await;
    grant
        .audited("container.remove", Some(target(&found)), result)
        .await
}

/// Creates a container in the granted workspace, checked field by field and against the
/// workspace's security policy (platform admins are not limited by it).
pub async fn create(grant: &Grant, spec: &ContainerSpec) -> Result<ContainerView, AppError> {
    grant.expect(&CREATE)?;
    let workspace = grant.workspace.clone().ok_or(AppError::Forbidden)?;
    let result = async {
        let plan = engine::docker::containers::plan_create(spec, &workspace)?;
        let policy =
            super::policy_for(grant, &workspace)
                .await
                .map_err(|e| ContainerError::Invalid {
                    field: "policy".into(),
                    message: e.to_string(),
                })?;
        grant
            .state
            .docker
            .create_in_workspace(plan, policy.as_ref(), &workspace, spec.start)
            .await
    }
    .await;
    let target = if spec.name.trim().is_empty() {
        format!("container:({})", spec.image.trim())
    } else {
        format!("container:{} ({})", spec.name.trim(), spec.image.trim())
    };
    grant
        .audited("container.create", Some(target), result)
        .await
}

/// The granted workspace's security policy, and whether the caller may change it.
pub async fn get_policy(grant: &Grant) -> Result<PolicyView, AppError> {
    grant.expect(&GET_POLICY)?;
    let workspace = grant.in_workspace()?;
    let editable = grant.holds(SET_POLICY.need, None).await;
    Ok(PolicyView {
        policy: grant.state.policies.get(workspace).await?,
        editable,
    })
}

/// Replaces the named workspace's security policy (platform admins).
pub async fn set_policy(grant: &Grant, policy: SecurityPolicy) -> Result<SecurityPolicy, AppError> {
    grant.expect(&SET_POLICY)?;
    let workspace = grant
        .workspace
        .clone()
        .ok_or_else(|| AppError::NotFound("workspace".into()))?;
    let result = grant
        .state
        .policies
        .set(&workspace, policy, &grant.actor())
        .await;
    grant
        .audited(
            "policy.update",
            Some(format!("workspace:{workspace}")),
            result,
        )
        .await
}

/// A container of the live state by id, name or id prefix, or `NotFound`.
fn find(grant: &Grant, key: &str) -> Result<ContainerView, AppError> {
    grant
        .state
        .docker
        .containers()
        .find(key)
        .ok_or_else(|| AppError::NotFound("container".into()))
}

/// `container:<name> (<short id>)`, how audit records name a container.
fn target(c: &ContainerView) -> String {
    format!("container:{} ({})", c.name, c.id.get(..12).unwrap_or(&c.id))
}
