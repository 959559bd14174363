//! Stacks: the list, one stack with its files and revisions, creating, saving, checking,
//! operating (deploy, stop, start, restart, down, pull; a rollback is a deploy of an old
//! revision) and deleting. Progress of an operation arrives over the live websocket; its full
//! record stays readable afterwards.

use compose::diag::Diagnostic;
use engine::resources::{
    DeployBrief, DeployRecord, Revision, StackDetail, StackSummary, UnmanagedProject,
};
use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
#[cfg(feature = "ssr")]
use crate::ops::policy_for;

pub use engine::resources::OperationForm;

#[cfg(feature = "ssr")]
mod convert {
    use super::AppError;
    use engine::stacks::StackError;

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
}

/// The stacks the caller may see (all of them for platform admins), optionally of one workspace.
#[server(endpoint = "list_stacks", output = crate::api::codec::Json)]
pub async fn list_stacks(workspace: Option<String>) -> Result<Vec<StackSummary>, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<ListStacks>(None).await?;
            let user = ctx.require_user()?;
            let scope =
                crate::access::readable(&ctx.state, user, ctx.token.as_ref(), "stack").await?;
            visible_stacks(&ctx.state, &scope, workspace.as_deref()).await
        }
        .await,
    )
}

/// The summaries of the stacks `scope` sees, of one workspace when given.
#[cfg(feature = "ssr")]
pub async fn visible_stacks(
    state: &crate::state::AppState,
    scope: &crate::access::Scope,
    workspace: Option<&str>,
) -> Result<Vec<StackSummary>, AppError> {
    let mut out = Vec::new();
    for row in state.stacks.rows(None).await? {
        if scope.sees(Some(&row.workspace_id)) && workspace.is_none_or(|w| w == row.workspace_id) {
            out.push(state.stacks.summary(&row).await?);
        }
    }
    Ok(out)
}

/// One stack: its files as they are now, the deployed compose file and the revisions.
#[server(endpoint = "get_stack", output = crate::api::codec::Json)]
pub async fn get_stack(id: String) -> Result<StackDetail, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize_owned::<GetStack>("stack", &id).await?;
            let row = ctx.state.stacks.get(&id).await?;
            detail_for(&ctx.state, ctx.user.as_ref(), ctx.token.as_ref(), &row).await
        }
        .await,
    )
}

/// The secrets a caller may not read in `row`'s files: none for those who may change the
/// stack (operators, owners, platform admins); for the others its app's secret values, which
/// the files are then shown without (secret-looking `.env` values too).
#[cfg(feature = "ssr")]
async fn hidden_secrets(
    state: &crate::state::AppState,
    user: Option<&engine::accounts::User>,
    token: Option<&engine::tokens::TokenInfo>,
    row: &engine::stacks::StackRow,
) -> Result<Option<Vec<String>>, AppError> {
    let may_change = crate::access::check(
        state,
        user,
        token,
        crate::access::Need::Owned("stack", "deploy"),
        Some(&row.workspace_id),
    )
    .await
    .is_ok();
    if may_change {
        return Ok(None);
    }
    Ok(Some(state.marketplace.stack_secrets(&row.name).await?))
}

/// The stack's detail as the caller may see it (shared with the REST route).
#[cfg(feature = "ssr")]
pub async fn detail_for(
    state: &crate::state::AppState,
    user: Option<&engine::accounts::User>,
    token: Option<&engine::tokens::TokenInfo>,
    row: &engine::stacks::StackRow,
) -> Result<StackDetail, AppError> {
    let mut detail = state.stacks.detail(row).await?;
    let mut names = crate::api::users::Names::default();
    for revision in &mut detail.revisions {
        revision.author = names
            .person(state, &revision.created_by)
            .await
            .map(|u| u.name);
    }
    Ok(match hidden_secrets(state, user, token, row).await? {
        Some(secrets) => detail.masked(&secrets),
        None => detail,
    })
}

/// One revision as the caller may see it (shared with the REST route).
#[cfg(feature = "ssr")]
pub async fn revision_for(
    state: &crate::state::AppState,
    user: Option<&engine::accounts::User>,
    token: Option<&engine::tokens::TokenInfo>,
    row: &engine::stacks::StackRow,
    number: i64,
) -> Result<Revision, AppError> {
    let revision = state.stacks.revision(&row.id, number).await?;
    Ok(match hidden_secrets(state, user, token, row).await? {
        Some(secrets) => revision.masked(&secrets),
        None => revision,
    })
}

/// Creates a stack in a workspace with its first revision (nothing is deployed yet).
#[server(endpoint = "create_stack", output = crate::api::codec::Json)]
pub async fn create_stack(
    workspace: String,
    name: String,
    compose: String,
    env: String,
) -> Result<StackSummary, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<CreateStack>(Some(&workspace)).await?;
            let result = async {
                let row = ctx
                    .state
                    .stacks
                    .create(&workspace, &name, &compose, &env, &ctx.actor())
                    .await?;
                ctx.state.stacks.summary(&row).await
            }
            .await;
            ctx.audited(
                "stack.create",
                Some(format!("stack:{}", name.trim())),
                result,
            )
            .await
        }
        .await,
    )
}

/// Saves the stack's files as a new revision; returns its number.
#[server(endpoint = "save_stack", output = crate::api::codec::Json)]
pub async fn save_stack(id: String, compose: String, env: String) -> Result<i64, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize_owned::<SaveStack>("stack", &id).await?;
            let row = ctx.state.stacks.get(&id).await?;
            let mut ctx = ctx;
            ctx.workspace = Some(row.workspace_id.clone());
            let result = ctx
                .state
                .stacks
                .save(&row, &compose, &env, &ctx.actor())
                .await;
            ctx.audited("stack.save", Some(format!("stack:{}", row.name)), result)
                .await
        }
        .await,
    )
}

/// Checks files the way a deploy would (other files of the stack's folder, the workspace's
/// security policy for non-admins) without saving them.
#[server(endpoint = "check_stack", output = crate::api::codec::Json)]
pub async fn check_stack(
    id: String,
    compose: String,
    env: String,
) -> Result<Vec<Diagnostic>, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize_owned::<CheckStack>("stack", &id).await?;
            let row = ctx.state.stacks.get(&id).await?;
            let policy = policy_for(&ctx, &row.workspace_id).await?;
            Ok(ctx
                .state
                .stacks
                .check_files(&row, &compose, &env, policy.as_ref())
                .diagnostics)
        }
        .await,
    )
}

/// Starts an operation on a stack; its progress arrives over the live websocket and in
/// [`get_deploy`]. Files with errors, or refused by the policy, answer their diagnostics.
#[server(endpoint = "stack_operation", output = crate::api::codec::Json)]
pub async fn stack_operation(id: String, form: OperationForm) -> Result<DeployBrief, AppError> {
    crate::auth::reply(
        async {
            let mut ctx =
                crate::auth::RequestCtx::authorize_owned::<StackOperation>("stack", &id).await?;
            let row = ctx.state.stacks.get(&id).await?;
            ctx.workspace = Some(row.workspace_id.clone());
            operate(&ctx, &row, &form).await.map(|r| r.brief)
        }
        .await,
    )
}

/// A checked operation: what to run, and how the audit log names it.
#[cfg(feature = "ssr")]
pub struct Checked {
    pub operation: engine::stacks::Operation,
    pub request: engine::stacks::OperationRequest,
    /// `stack.deploy`, `stack.rollback`, `stack.down`…
    pub action: String,
    pub target: String,
}

/// Reads an operation form (shared with the REST route).
#[cfg(feature = "ssr")]
pub fn checked(row: &engine::stacks::StackRow, form: &OperationForm) -> Result<Checked, AppError> {
    use engine::stacks::{Operation, OperationRequest};
    let operation = Operation::parse(&form.operation).ok_or_else(|| AppError::Invalid {
        field: "operation".into(),
        message: format!(
            "{:?}: use deploy, stop, start, restart, down or pull",
            form.operation
        ),
    })?;
    Ok(Checked {
        operation,
        request: OperationRequest {
            revision: form.revision,
            remove_orphans: form.remove_orphans,
            force_recreate: form.force_recreate,
            volumes: form.volumes,
        },
        action: match (operation, form.revision) {
            (Operation::Deploy, Some(_)) => "stack.rollback".to_owned(),
            (op, _) => format!("stack.{}", op.as_str()),
        },
        target: match form.revision {
            Some(n) => format!("stack:{} (revision {n})", row.name),
            None => format!("stack:{}", row.name),
        },
    })
}

#[cfg(feature = "ssr")]
async fn operate(
    ctx: &crate::auth::RequestCtx,
    row: &engine::stacks::StackRow,
    form: &OperationForm,
) -> Result<engine::stacks::Running, AppError> {
    let c = checked(row, form)?;
    let policy = policy_for(ctx, &row.workspace_id).await?;
    let result = ctx
        .state
        .stacks
        .start(row, c.operation, &c.request, policy.as_ref(), &ctx.actor())
        .await;
    ctx.audited(&c.action, Some(c.target), result).await
}

/// Deletes a stack whose containers are gone (take it down first): its files and history.
#[server(endpoint = "delete_stack", output = crate::api::codec::Json)]
pub async fn delete_stack(id: String) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            let mut ctx =
                crate::auth::RequestCtx::authorize_owned::<DeleteStack>("stack", &id).await?;
            let row = ctx.state.stacks.get(&id).await?;
            ctx.workspace = Some(row.workspace_id.clone());
            let result = ctx.state.stacks.delete(&row).await;
            ctx.audited("stack.delete", Some(format!("stack:{}", row.name)), result)
                .await
        }
        .await,
    )
}

/// One saved revision with its files.
#[server(endpoint = "get_revision", output = crate::api::codec::Json)]
pub async fn get_revision(id: String, number: i64) -> Result<Revision, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize_owned::<GetRevision>("stack", &id).await?;
            let row = ctx.state.stacks.get(&id).await?;
            revision_for(
                &ctx.state,
                ctx.user.as_ref(),
                ctx.token.as_ref(),
                &row,
                number,
            )
            .await
        }
        .await,
    )
}

/// The stack's latest operations, newest first.
#[server(endpoint = "list_deploys", output = crate::api::codec::Json)]
pub async fn list_deploys(id: String) -> Result<Vec<DeployBrief>, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize_owned::<ListDeploys>("stack", &id).await?;
            let row = ctx.state.stacks.get(&id).await?;
            Ok(ctx.state.stacks.deploys(&row.id, 50).await?)
        }
        .await,
    )
}

/// One operation with all its progress events.
#[server(endpoint = "get_deploy", output = crate::api::codec::Json)]
pub async fn get_deploy(id: String, deploy: String) -> Result<DeployRecord, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize_owned::<GetDeploy>("stack", &id).await?;
            let row = ctx.state.stacks.get(&id).await?;
            Ok(ctx.state.stacks.deploy_record(&row, &deploy).await?)
        }
        .await,
    )
}

/// Compose projects on the engine that no stack holds (started with the CLI); platform admins.
#[server(endpoint = "list_unmanaged_projects", output = crate::api::codec::Json)]
pub async fn list_unmanaged_projects() -> Result<Vec<UnmanagedProject>, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<ListUnmanagedProjects>(None).await?;
            Ok(ctx.state.stacks.unmanaged().await?)
        }
        .await,
    )
}

/// Adopts a Compose project started outside Orbitr into a workspace as a stack (platform
/// admins). `compose` empty: the file the CLI recorded, when Orbitr can read it.
#[server(endpoint = "adopt_project", output = crate::api::codec::Json)]
pub async fn adopt_project(
    workspace: String,
    name: String,
    compose: String,
) -> Result<StackSummary, AppError> {
    crate::auth::reply(
        async {
            let mut ctx = crate::auth::RequestCtx::authorize::<AdoptProject>(None).await?;
            ctx.workspace = Some(workspace.clone());
            let actor = ctx.actor();
            let given = (!compose.trim().is_empty()).then_some(compose.as_str());
            let result = async {
                let row = ctx
                    .state
                    .stacks
                    .adopt(&ctx.state.adoptions, &workspace, &name, given, &actor)
                    .await?;
                ctx.state.stacks.summary(&row).await
            }
            .await;
            ctx.audited("stack.adopt", Some(format!("stack:{name}")), result)
                .await
        }
        .await,
    )
}
