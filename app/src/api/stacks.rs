//! Stacks over server functions: the list, one stack with its files and revisions, creating,
//! saving, checking, operating (deploy, stop, start, restart, down, pull; a rollback is a
//! deploy of an old revision) and deleting. Each one transports its operation in
//! [`crate::ops::stacks`] (where what it needs is declared, and the work and its audit record
//! happen). Progress of an operation arrives over the live websocket; its full record stays
//! readable afterwards.

use compose::diag::Diagnostic;
use engine::model::resources::{
    DeployBrief, DeployRecord, Revision, StackDetail, StackSummary, UnmanagedProject,
};
use leptos::prelude::*;

use crate::error::AppError;

pub use engine::model::resources::OperationForm;

/// The stacks the caller may see (all of them for platform admins), optionally of one workspace.
#[server(endpoint = "list_stacks", output = crate::api::codec::Json)]
pub async fn list_stacks(workspace: Option<String>) -> Result<Vec<StackSummary>, AppError> {
    use crate::ops::{On, admit, stacks};
    crate::auth::reply(
        async {
            let grant = admit(&stacks::LIST, On::Nothing).await?;
            stacks::list(&grant, workspace.as_deref()).await
        }
        .await,
    )
}

/// One stack: its files as they are now, the deployed compose file and the revisions.
#[server(endpoint = "get_stack", output = crate::api::codec::Json)]
pub async fn get_stack(id: String) -> Result<StackDetail, AppError> {
    use crate::ops::{On, admit, stacks};
    crate::auth::reply(
        async {
            let grant = admit(&stacks::GET, On::Object(&id)).await?;
            stacks::get(&grant, &id).await
        }
        .await,
    )
}

/// Creates a stack in a workspace with its first revision (nothing is deployed yet).
#[server(endpoint = "create_stack", output = crate::api::codec::Json)]
pub async fn create_stack(
    workspace: String,
    name: String,
    compose: String,
    env: String,
) -> Result<StackSummary, AppError> {
    use crate::ops::{On, admit, stacks};
    crate::auth::reply(
        async {
            let grant = admit(&stacks::CREATE, On::Workspace(&workspace)).await?;
            stacks::create(&grant, &name, &compose, &env).await
        }
        .await,
    )
}

/// Saves the stack's files as a new revision; returns its number.
#[server(endpoint = "save_stack", output = crate::api::codec::Json)]
pub async fn save_stack(id: String, compose: String, env: String) -> Result<i64, AppError> {
    use crate::ops::{On, admit, stacks};
    crate::auth::reply(
        async {
            let grant = admit(&stacks::SAVE, On::Object(&id)).await?;
            stacks::save(&grant, &id, &compose, &env).await
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
    use crate::ops::{On, admit, stacks};
    crate::auth::reply(
        async {
            let grant = admit(&stacks::CHECK, On::Object(&id)).await?;
            stacks::check(&grant, &id, &compose, &env).await
        }
        .await,
    )
}

/// Starts an operation on a stack; its progress arrives over the live websocket and in
/// [`get_deploy`]. Files with errors, or refused by the policy, answer their diagnostics.
#[server(endpoint = "stack_operation", output = crate::api::codec::Json)]
pub async fn stack_operation(id: String, form: OperationForm) -> Result<DeployBrief, AppError> {
    use crate::ops::{On, admit, stacks};
    crate::auth::reply(
        async {
            let grant = admit(&stacks::OPERATE, On::Object(&id)).await?;
            stacks::operate(&grant, &id, &form)
                .await
                .map(|running| running.brief)
        }
        .await,
    )
}

/// Deletes a stack whose containers are gone (take it down first): its files and history.
#[server(endpoint = "delete_stack", output = crate::api::codec::Json)]
pub async fn delete_stack(id: String) -> Result<(), AppError> {
    use crate::ops::{On, admit, stacks};
    crate::auth::reply(
        async {
            let grant = admit(&stacks::DELETE, On::Object(&id)).await?;
            stacks::delete(&grant, &id).await
        }
        .await,
    )
}

/// One saved revision with its files.
#[server(endpoint = "get_revision", output = crate::api::codec::Json)]
pub async fn get_revision(id: String, number: i64) -> Result<Revision, AppError> {
    use crate::ops::{On, admit, stacks};
    crate::auth::reply(
        async {
            let grant = admit(&stacks::GET_REVISION, On::Object(&id)).await?;
            stacks::get_revision(&grant, &id, number).await
        }
        .await,
    )
}

/// The stack's latest operations, newest first.
#[server(endpoint = "list_deploys", output = crate::api::codec::Json)]
pub async fn list_deploys(id: String) -> Result<Vec<DeployBrief>, AppError> {
    use crate::ops::{On, admit, stacks};
    crate::auth::reply(
        async {
            let grant = admit(&stacks::LIST_DEPLOYS, On::Object(&id)).await?;
            stacks::list_deploys(&grant, &id).await
        }
        .await,
    )
}

/// One operation with all its progress events.
#[server(endpoint = "get_deploy", output = crate::api::codec::Json)]
pub async fn get_deploy(id: String, deploy: String) -> Result<DeployRecord, AppError> {
    use crate::ops::{On, admit, stacks};
    crate::auth::reply(
        async {
            let grant = admit(&stacks::GET_DEPLOY, On::Object(&id)).await?;
            stacks::get_deploy(&grant, &id, &deploy).await
        }
        .await,
    )
}

/// Compose projects on the engine that no stack holds (started with the CLI); platform admins.
#[server(endpoint = "list_unmanaged_projects", output = crate::api::codec::Json)]
pub async fn list_unmanaged_projects() -> Result<Vec<UnmanagedProject>, AppError> {
    use crate::ops::{On, admit, stacks};
    crate::auth::reply(
        async {
            let grant = admit(&stacks::LIST_UNMANAGED, On::Nothing).await?;
            stacks::list_unmanaged(&grant).await
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
    use crate::ops::{On, admit, stacks};
    crate::auth::reply(
        async {
            let grant = admit(&stacks::ADOPT, On::Workspace(&workspace)).await?;
            stacks::adopt(
                &grant,
                &name,
                (!compose.trim().is_empty()).then_some(compose.as_str()),
            )
            .await
        }
        .await,
    )
}
