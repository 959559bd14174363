//! Compose stacks: lists show what the caller may read; one stack is checked in the workspace that
//! owns it.

use compose::diag::Diagnostic;
use engine::model::resources::{
    DeployBrief, DeployRecord, OperationForm, Revision, StackDetail, StackSummary, UnmanagedProject,
};
use engine::stacks::{NewStack, Operation, OperationRequest, Running, StackError, StackRow};

use super::{Caller, Grant, Op, policy_for};
use crate::access::Need;
use crate::error::AppError;

/// The stacks the caller may see.
pub static LIST: Op = Op {
    name: "stack.list",
    need: Need::SignedIn,
};
/// One stack: files, revisions, last operations.
pub static GET: Op = Op {
    name: "stack.get",
    need: Need::Owned("stack", "read"),
};
/// Creating a stack in a workspace.
pub static CREATE: Op = Op {
    name: "stack.create",
    need: Need::Workspace("stack", "deploy"),
};
/// Saving a stack's files as a new revision.
pub static SAVE: Op = Op {
    name: "stack.save",
    need: Need::Owned("stack", "deploy"),
};
/// Checking a stack's files without saving them.
pub static CHECK: Op = Op {
    name: "stack.check",
    need: Need::Owned("stack", "read"),
};
/// Deploying, stopping, starting, restarting, rolling back or taking down a stack.
pub static OPERATE: Op = Op {
    name: "stack.operate",
    need: Need::Owned("stack", "deploy"),
};
/// Deleting a stack that is down.
pub static DELETE: Op = Op {
    name: "stack.delete",
    need: Need::Owned("stack", "deploy"),
};
/// One saved revision of a stack.
pub static GET_REVISION: Op = Op {
    name: "stack.get_revision",
    need: Need::Owned("stack", "read"),
};
/// A stack's operations, newest first.
pub static LIST_DEPLOYS: Op = Op {
    name: "stack.list_deploys",
    need: Need::Owned("stack", "read"),
};
/// One operation of a stack, with its events.
pub static GET_DEPLOY: Op = Op {
    name: "stack.get_deploy",
    need: Need::Owned("stack", "read"),
};
/// A stack's retained logs, downloaded.
pub static LOGS: Op = Op {
    name: "stack.logs",
    need: Need::Owned("stack", "logs"),
};
/// Compose projects Orbitr does not manage.
pub static LIST_UNMANAGED: Op = Op {
    name: "stack.list_unmanaged",
    need: Need::Platform("object", "adopt"),
};
/// Adopting a Compose project as a stack of a workspace.
pub static ADOPT: Op = Op {
    name: "stack.adopt",
    need: Need::Platform("object", "adopt"),
};

impl From<StackError> for AppError {
    fn from(e: StackError) -> Self {
        match e {
            StackError::Invalid { field, message } => Self::Invalid { field, message },
            StackError::NotFound => Self::NotFound("stack".into()),
            StackError::NoRevision(n) => Self::NotFound(format!("revision {n}")),
            StackError::NoDeploy => Self::NotFound("operation".into()),
            StackError::Diagnostics(d) => Self::Diagnostics(d),
            e @ (StackError::NameTaken(_) | StackError::Busy | StackError::HasContainers) => {
                Self::Conflict(e.to_string())
            }
            StackError::Files(m) => {
                tracing::error!(error = %m, "stack files could not be written");
                Self::Internal
            }
            StackError::Docker(e) => e.into(),
            StackError::Db(e) => e.into(),
        }
    }
}

/// The stacks the caller may see (all of them for platform admins), of one workspace when
/// given.
pub async fn list(grant: &Grant, workspace: Option<&str>) -> Result<Vec<StackSummary>, AppError> {
    grant.expect(&LIST)?;
    let user = grant.require_user()?;
    let scope = crate::access::readable(&grant.state, user, grant.token.as_ref(), "stack").await?;
    let mut out = Vec::new();
    for row in grant.state.stacks.rows(None).await? {
        if scope.sees(Some(&row.workspace_id)) && workspace.is_none_or(|w| w == row.workspace_id) {
            out.push(grant.state.stacks.summary(&row).await?);
        }
    }
    Ok(out)
}

/// One stack: its files as they are now, the deployed compose file and the revisions (with
/// their authors' names), secrets masked for those who may not change the stack.
pub async fn get(grant: &Grant, key: &str) -> Result<StackDetail, AppError> {
    grant.expect(&GET)?;
    let row = grant.state.stacks.get(key).await?;
    let mut detail = grant.state.stacks.detail(&row).await?;
    let mut names = crate::ops::users::Names::default();
    for revision in &mut detail.revisions {
        revision.author = names
            .person(&grant.state, &revision.created_by)
            .await
            .map(|u| u.name);
    }
    Ok(match hidden_secrets(grant, &row).await? {
        Some(secrets) => detail.masked(&secrets),
        None => detail,
    })
}

/// One saved revision with its files, secrets masked as for [`get`].
pub async fn get_revision(grant: &Grant, key: &str, number: i64) -> Result<Revision, AppError> {
    grant.expect(&GET_REVISION)?;
    let row = grant.state.stacks.get(key).await?;
    let revision = grant.state.stacks.revision(&row.id, number).await?;
    Ok(match hidden_secrets(grant, &row).await? {
        Some(secrets) => revision.masked(&secrets),
        None => revision,
    })
}

/// Creates a stack in the granted workspace with its first revision (nothing is deployed yet).
pub async fn create(
    grant: &Grant,
    name: &str,
    compose: &str,
    env: &str,
) -> Result<StackSummary, AppError> {
    grant.expect(&CREATE)?;
    let workspace = grant.in_workspace()?;
    let result = async {
        let row = grant
            .state
            .stacks
            .create(
                NewStack {
                    workspace,
                    name,
                    compose,
                    env,
                },
                &grant.actor(),
            )
            .await?;
        grant.state.stacks.summary(&row).await
    }
    .await;
    grant
        .audited(
            "stack.create",
            Some(format!("stack:{}", name.trim())),
            result,
        )
        .await
}

/// Saves the stack's files as a new revision; answers its number.
pub async fn save(grant: &Grant, key: &str, compose: &str, env: &str) -> Result<i64, AppError> {
    grant.expect(&SAVE)?;
    let row = grant.state.stacks.get(key).await?;
    let result = grant
        .state
        .stacks
        .save(&row, compose, env, &grant.actor())
        .await;
    grant
        .audited("stack.save", Some(format!("stack:{}", row.name)), result)
        .await
}

/// Checks files the way a deploy would (other files of the stack's folder, the workspace's
/// security policy for non-admins) without saving them.
pub async fn check(
    grant: &Grant,
    key: &str,
    compose: &str,
    env: &str,
) -> Result<Vec<Diagnostic>, AppError> {
    grant.expect(&CHECK)?;
    let row = grant.state.stacks.get(key).await?;
    let policy = policy_for(grant, &row.workspace_id).await?;
    Ok(grant
        .state
        .stacks
        .check_files(&row, compose, env, policy.as_ref())
        .diagnostics)
}

/// Starts an operation (deploy, stop, start, restart, down, pull; a deploy of an old revision
/// is a rollback). Files with errors, or refused by the policy, answer their diagnostics and
/// nothing is touched. Its progress arrives over the live websocket; `done` answers when it
/// ends.
pub async fn operate(grant: &Grant, key: &str, form: &OperationForm) -> Result<Running, AppError> {
    grant.expect(&OPERATE)?;
    let row = grant.state.stacks.get(key).await?;
    let operation = Operation::parse(&form.operation).ok_or_else(|| AppError::Invalid {
        field: "operation".into(),
        message: format!(
            "{:?}: use deploy, stop, start, restart, down or pull",
            form.operation
        ),
    })?;
    let request = OperationRequest {
        revision: form.revision,
        remove_orphans: form.remove_orphans,
        force_recreate: form.force_recreate,
        volumes: form.volumes,
    };
    let action = match (operation, form.revision) {
        (Operation::Deploy, Some(_)) => "stack.rollback".to_owned(),
        (op, _) => format!("stack.{}", op.as_str()),
    };
    let target = match form.revision {
        Some(n) => format!("stack:{} (revision {n})", row.name),
        None => format!("stack:{}", row.name),
    };
    let policy = policy_for(grant, &row.workspace_id).await?;
    let result = grant
        .state
        .stacks
        .start(&row, operation, &request, policy.as_ref(), &grant.actor())
        .await;
    grant.audited(&action, Some(target), result).await
}

/// Deletes a stack whose containers are gone (take it down first): its files and history.
pub async fn delete(grant: &Grant, key: &str) -> Result<(), AppError> {
    grant.expect(&DELETE)?;
    let row = grant.state.stacks.get(key).await?;
    let result = grant.state.stacks.delete(&row).await;
    grant
        .audited("stack.delete", Some(format!("stack:{}", row.name)), result)
        .await
}

/// The stack's latest operations, newest first.
pub async fn list_deploys(grant: &Grant, key: &str) -> Result<Vec<DeployBrief>, AppError> {
    grant.expect(&LIST_DEPLOYS)?;
    let row = grant.state.stacks.get(key).await?;
    Ok(grant.state.stacks.deploys(&row.id, 50).await?)
}

/// One operation with all its progress events.
pub async fn get_deploy(grant: &Grant, key: &str, deploy: &str) -> Result<DeployRecord, AppError> {
    grant.expect(&GET_DEPLOY)?;
    let row = grant.state.stacks.get(key).await?;
    Ok(grant.state.stacks.deploy_record(&row, deploy).await?)
}

/// The stack whose retained logs [`LOGS`] downloads.
pub async fn for_logs(grant: &Grant, key: &str) -> Result<StackRow, AppError> {
    grant.expect(&LOGS)?;
    Ok(grant.state.stacks.get(key).await?)
}

/// Compose projects on the engine that no stack holds (started with the CLI).
pub async fn list_unmanaged(grant: &Grant) -> Result<Vec<UnmanagedProject>, AppError> {
    grant.expect(&LIST_UNMANAGED)?;
    Ok(grant.state.stacks.unmanaged().await?)
}

/// Adopts a Compose project started outside Orbitr into the named workspace as a stack.
/// `compose` absent: the file the CLI recorded, when Orbitr can read it.
pub async fn adopt(
    grant: &Grant,
    name: &str,
    compose: Option<&str>,
) -> Result<StackSummary, AppError> {
    grant.expect(&ADOPT)?;
    let workspace = grant
        .workspace
        .clone()
        .ok_or_else(|| AppError::NotFound("workspace".into()))?;
    let result = async {
        let row = grant
            .state
            .stacks
            .adopt(
                &grant.state.adoptions,
                &workspace,
                name,
                compose,
                &grant.actor(),
            )
            .await?;
        grant.state.stacks.summary(&row).await
    }
    .await;
    grant
        .audited("stack.adopt", Some(format!("stack:{name}")), result)
        .await
}

/// The secrets a caller may not read in `row`'s files: none for those who may change the
/// stack (operators, owners, platform admins); for the others its app's secret values, which
/// the files are then shown without (secret-looking `.env` values too).
async fn hidden_secrets(caller: &Caller, row: &StackRow) -> Result<Option<Vec<String>>, AppError> {
    if caller.holds(SAVE.need, Some(&row.workspace_id)).await {
        return Ok(None);
    }
    Ok(Some(
        caller.state.marketplace.stack_secrets(&row.name).await?,
    ))
}
