//! `/api/v1/stacks`: Compose stacks, their files, revisions and operations;
//! `/api/v1/workspaces/{workspace}/stacks` creates one. Permissions are declared in
//! `crate::access::REST` and checked before these run (for one stack, in the workspace that
//! owns it). Operations run in the background; `?wait=true` answers when they end.

use app::AppState;
use app::api::stacks::{checked, visible_stacks};
use app::auth::{CurrentUser, TokenAuth};
use app::error::AppError;
use app::ops::policy_for;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use compose::diag::Diagnostic;
use engine::resources::{
    DeployBrief, DeployRecord, OperationForm, Revision, StackDetail, StackSummary, UnmanagedProject,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api_error::{ApiError, from_app};
use app::ops::Grant;

fn failed(e: impl Into<AppError>) -> Response {
    from_app(&e.into())
}

/// Filters of `GET /api/v1/stacks`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StackFilter {
    /// Only this workspace's stacks.
    pub workspace: Option<String>,
}

/// The stacks the caller may see, with their running counts.
#[utoipa::path(
    get,
    path = "/api/v1/stacks",
    tag = "stacks",
    params(StackFilter),
    responses((status = 200, description = "Stacks by name", body = [StackSummary]))
)]
pub async fn list_stacks(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    token: Option<Extension<TokenAuth>>,
    Query(filter): Query<StackFilter>,
) -> Response {
    let token = token.map(|Extension(TokenAuth(t))| t);
    let result = async {
        let scope = app::access::readable(&state, &user, token.as_ref(), "stack").await?;
        visible_stacks(&state, &scope, filter.workspace.as_deref()).await
    }
    .await;
    match result {
        Ok(list) => Json(list).into_response(),
        Err(e) => failed(e),
    }
}

/// Body of `POST /api/v1/workspaces/{workspace}/stacks`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewStack {
    /// The Compose project name: lowercase letters, digits, `-` and `_`.
    pub name: String,
    /// The compose file.
    pub compose: String,
    /// The `.env` file (variables for interpolation).
    #[serde(default)]
    pub env: String,
}

/// Creates a stack with its first revision (nothing is deployed yet).
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{workspace}/stacks",
    tag = "stacks",
    params(("workspace" = String, Path, description = "Workspace id")),
    request_body = NewStack,
    responses(
        (status = 201, description = "Created", body = StackSummary),
        (status = 400, description = "A field is not acceptable", body = ApiError),
        (status = 409, description = "The name is taken", body = ApiError),
    )
)]
pub async fn create_stack(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(workspace): Path<String>,
    Json(body): Json<NewStack>,
) -> Response {
    let result = async {
        let row = state
            .stacks
            .create(
                &workspace,
                &body.name,
                &body.compose,
                &body.env,
                &audit.actor(),
            )
            .await?;
        state.stacks.summary(&row).await
    }
    .await;
    let result = audit
        .audited(
            "stack.create",
            Some(format!("stack:{}", body.name.trim())),
            result,
        )
        .await;
    match result {
        Ok(summary) => (StatusCode::CREATED, Json(summary)).into_response(),
        Err(e) => failed(e),
    }
}

/// One stack: its files as they are now, the deployed compose file and the revisions.
#[utoipa::path(
    get,
    path = "/api/v1/stacks/{stack}",
    tag = "stacks",
    params(("stack" = String, Path, description = "Stack id or name")),
    responses(
        (status = 200, description = "The stack", body = StackDetail),
        (status = 404, description = "No such stack, or not one the caller may see", body = ApiError),
    )
)]
pub async fn get_stack(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    token: Option<Extension<TokenAuth>>,
    Path(key): Path<String>,
) -> Response {
    let token = token.map(|Extension(TokenAuth(t))| t);
    let result = async {
        let row = state.stacks.get(&key).await?;
        app::api::stacks::detail_for(&state, Some(&user), token.as_ref(), &row).await
    }
    .await;
    match result {
        Ok(detail) => Json(detail).into_response(),
        Err(e) => failed(e),
    }
}

/// Body of `PUT /api/v1/stacks/{stack}` and `POST /api/v1/stacks/{stack}/check`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StackFiles {
    pub compose: String,
    #[serde(default)]
    pub env: String,
}

/// The revision a save made.
#[derive(Debug, Serialize, ToSchema)]
pub struct Saved {
    pub revision: i64,
}

/// Saves the stack's files as a new revision.
#[utoipa::path(
    put,
    path = "/api/v1/stacks/{stack}",
    tag = "stacks",
    params(("stack" = String, Path, description = "Stack id or name")),
    request_body = StackFiles,
    responses(
        (status = 200, description = "Saved", body = Saved),
        (status = 400, description = "A file is too large or the .env file is not valid", body = ApiError),
    )
)]
pub async fn save_stack(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(key): Path<String>,
    Json(body): Json<StackFiles>,
) -> Response {
    let row = match state.stacks.get(&key).await {
        Ok(row) => row,
        Err(e) => return failed(e),
    };
    let result = state
        .stacks
        .save(&row, &body.compose, &body.env, &audit.actor())
        .await;
    let result = audit
        .audited("stack.save", Some(format!("stack:{}", row.name)), result)
        .await;
    match result {
        Ok(revision) => Json(Saved { revision }).into_response(),
        Err(e) => failed(e),
    }
}

/// Checks files the way a deploy would, without saving them: every diagnostic with its line.
#[utoipa::path(
    post,
    path = "/api/v1/stacks/{stack}/check",
    tag = "stacks",
    params(("stack" = String, Path, description = "Stack id or name")),
    request_body = StackFiles,
    responses((status = 200, description = "Diagnostics (empty: the files would deploy)", body = [Diagnostic]))
)]
pub async fn check_stack(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(key): Path<String>,
    Json(body): Json<StackFiles>,
) -> Response {
    let result = async {
        let row = state.stacks.get(&key).await?;
        let policy = policy_for(&audit, &row.workspace_id).await?;
        Ok::<_, AppError>(
            state
                .stacks
                .check_files(&row, &body.compose, &body.env, policy.as_ref())
                .diagnostics,
        )
    }
    .await;
    match result {
        Ok(d) => Json(d).into_response(),
        Err(e) => failed(e),
    }
}

/// `?wait=true` on an operation.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Wait {
    /// Answer when the operation has ended, with all its events.
    #[serde(default)]
    pub wait: bool,
}

/// Starts an operation (deploy, stop, start, restart, down, pull; a deploy of an old revision is
/// a rollback). Files with errors, or refused by the workspace's policy, answer 422 with the
/// diagnostics and nothing is touched.
#[utoipa::path(
    post,
    path = "/api/v1/stacks/{stack}/operations",
    tag = "stacks",
    params(("stack" = String, Path, description = "Stack id or name"), Wait),
    request_body = OperationForm,
    responses(
        (status = 202, description = "Started; progress arrives on the events websocket", body = DeployBrief),
        (status = 200, description = "With `wait=true`: ended", body = DeployRecord),
        (status = 409, description = "Another operation on the stack is running", body = ApiError),
        (status = 422, description = "The files have errors; `diagnostics` lists them", body = ApiError),
    )
)]
pub async fn stack_operation(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(key): Path<String>,
    Query(wait): Query<Wait>,
    Json(form): Json<OperationForm>,
) -> Response {
    let row = match state.stacks.get(&key).await {
        Ok(row) => row,
        Err(e) => return failed(e),
    };
    let c = match checked(&row, &form) {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let policy = match policy_for(&audit, &row.workspace_id).await {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let result = state
        .stacks
        .start(
            &row,
            c.operation,
            &c.request,
            policy.as_ref(),
            &audit.actor(),
        )
        .await;
    let result = audit.audited(&c.action, Some(c.target), result).await;
    match result {
        Ok(running) if wait.wait => match running.done.await {
            Ok(record) => Json(record).into_response(),
            Err(_) => failed(AppError::Internal),
        },
        Ok(running) => (StatusCode::ACCEPTED, Json(running.brief)).into_response(),
        Err(e) => failed(e),
    }
}

/// Deletes a stack whose containers are gone: its files and history.
#[utoipa::path(
    delete,
    path = "/api/v1/stacks/{stack}",
    tag = "stacks",
    params(("stack" = String, Path, description = "Stack id or name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "It still has containers; take it down first", body = ApiError),
    )
)]
pub async fn delete_stack(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(key): Path<String>,
) -> Response {
    let row = match state.stacks.get(&key).await {
        Ok(row) => row,
        Err(e) => return failed(e),
    };
    let result = state.stacks.delete(&row).await;
    let result = audit
        .audited("stack.delete", Some(format!("stack:{}", row.name)), result)
        .await;
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => failed(e),
    }
}

/// One saved revision with its files.
#[utoipa::path(
    get,
    path = "/api/v1/stacks/{stack}/revisions/{number}",
    tag = "stacks",
    params(("stack" = String, Path, description = "Stack id or name"), ("number" = i64, Path, description = "Revision number")),
    responses((status = 200, description = "The revision", body = Revision), (status = 404, description = "No such revision", body = ApiError))
)]
pub async fn get_revision(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    token: Option<Extension<TokenAuth>>,
    Path((key, number)): Path<(String, i64)>,
) -> Response {
    let token = token.map(|Extension(TokenAuth(t))| t);
    let result = async {
        let row = state.stacks.get(&key).await?;
        app::api::stacks::revision_for(&state, Some(&user), token.as_ref(), &row, number).await
    }
    .await;
    match result {
        Ok(r) => Json(r).into_response(),
        Err(e) => failed(e),
    }
}

/// The stack's latest operations, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/stacks/{stack}/deploys",
    tag = "stacks",
    params(("stack" = String, Path, description = "Stack id or name")),
    responses((status = 200, description = "Operations", body = [DeployBrief]))
)]
pub async fn list_deploys(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let result = async {
        let row = state.stacks.get(&key).await?;
        state.stacks.deploys(&row.id, 50).await
    }
    .await;
    match result {
        Ok(list) => Json(list).into_response(),
        Err(e) => failed(e),
    }
}

/// One operation with all its progress events.
#[utoipa::path(
    get,
    path = "/api/v1/stacks/{stack}/deploys/{deploy}",
    tag = "stacks",
    params(("stack" = String, Path, description = "Stack id or name"), ("deploy" = String, Path, description = "Operation id")),
    responses((status = 200, description = "The operation", body = DeployRecord), (status = 404, description = "No such operation", body = ApiError))
)]
pub async fn get_deploy(
    State(state): State<AppState>,
    Path((key, deploy)): Path<(String, String)>,
) -> Response {
    let result = async {
        let row = state.stacks.get(&key).await?;
        state.stacks.deploy_record(&row, &deploy).await
    }
    .await;
    match result {
        Ok(r) => Json(r).into_response(),
        Err(e) => failed(e),
    }
}

/// Compose projects on the engine that no stack holds (started with the CLI).
#[utoipa::path(
    get,
    path = "/api/v1/stacks/unmanaged",
    tag = "stacks",
    responses((status = 200, description = "Projects by name", body = [UnmanagedProject]))
)]
pub async fn list_unmanaged(State(state): State<AppState>) -> Response {
    match state.stacks.unmanaged().await {
        Ok(list) => Json(list).into_response(),
        Err(e) => failed(e),
    }
}

/// Body of `POST /api/v1/workspaces/{workspace}/stacks/adopt`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AdoptProject {
    /// The Compose project's name.
    pub name: String,
    /// The compose file; absent: the one the CLI recorded, when Orbitr can read it.
    #[serde(default)]
    pub compose: Option<String>,
}

/// Adopts a Compose project started outside Orbitr into the workspace as a stack.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{workspace}/stacks/adopt",
    tag = "stacks",
    params(("workspace" = String, Path, description = "Workspace id")),
    request_body = AdoptProject,
    responses(
        (status = 201, description = "Adopted", body = StackSummary),
        (status = 400, description = "The recorded compose file cannot be used; send it", body = ApiError),
        (status = 404, description = "No such unmanaged project", body = ApiError),
    )
)]
pub async fn adopt_project(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(workspace): Path<String>,
    Json(body): Json<AdoptProject>,
) -> Response {
    let result = async {
        let row = state
            .stacks
            .adopt(
                &state.adoptions,
                &workspace,
                &body.name,
                body.compose.as_deref(),
                &audit.actor(),
            )
            .await?;
        state.stacks.summary(&row).await
    }
    .await;
    let result = audit
        .audited("stack.adopt", Some(format!("stack:{}", body.name)), result)
        .await;
    match result {
        Ok(summary) => (StatusCode::CREATED, Json(summary)).into_response(),
        Err(e) => failed(e),
    }
}

/// The logs of every container of the stack as one text file, each line prefixed with its
/// container's name.
#[utoipa::path(
    get,
    path = "/api/v1/stacks/{stack}/logs",
    tag = "stacks",
    params(
        ("stack" = String, Path, description = "Stack id or name"),
        crate::routes::feeds::DownloadQuery,
    ),
    responses(
        (status = 200, description = "The logs as text/plain, streamed", content_type = "text/plain"),
        (status = 404, description = "No such stack", body = ApiError),
    )
)]
pub async fn download_stack_logs(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<crate::routes::feeds::DownloadQuery>,
) -> Response {
    let row = match state.stacks.get(&key).await {
        Ok(row) => row,
        Err(e) => return failed(e),
    };
    let containers = state
        .docker
        .containers()
        .filtered(|c| c.stack.as_deref() == Some(row.name.as_str()));
    crate::routes::feeds::download(&state, containers, query.range(), &row.name)
}
