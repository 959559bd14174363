//! `/api/v1/stacks`: Compose stacks, their files, revisions and operations;
//! `/api/v1/workspaces/{workspace}/stacks` creates one. Each handler transports its operation in
//! `app::ops::stacks`. Operations run in the background; `?wait=true` answers when they end.

use app::AppState;
use app::error::AppError;
use app::ops::{Grant, stacks};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use compose::diag::Diagnostic;
use engine::model::resources::{
    DeployBrief, DeployRecord, OperationForm, Revision, StackDetail, StackSummary, UnmanagedProject,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api_error::{ApiError, answer, from_app};

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
    Extension(grant): Extension<Grant>,
    Query(filter): Query<StackFilter>,
) -> Response {
    answer(
        stacks::list(&grant, filter.workspace.as_deref()).await,
        StatusCode::OK,
    )
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
    Extension(grant): Extension<Grant>,
    Json(body): Json<NewStack>,
) -> Response {
    answer(
        stacks::create(&grant, &body.name, &body.compose, &body.env).await,
        StatusCode::CREATED,
    )
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
pub async fn get_stack(Extension(grant): Extension<Grant>, Path(key): Path<String>) -> Response {
    answer(stacks::get(&grant, &key).await, StatusCode::OK)
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
    Extension(grant): Extension<Grant>,
    Path(key): Path<String>,
    Json(body): Json<StackFiles>,
) -> Response {
    answer(
        stacks::save(&grant, &key, &body.compose, &body.env)
            .await
            .map(|revision| Saved { revision }),
        StatusCode::OK,
    )
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
    Extension(grant): Extension<Grant>,
    Path(key): Path<String>,
    Json(body): Json<StackFiles>,
) -> Response {
    answer(
        stacks::check(&grant, &key, &body.compose, &body.env).await,
        StatusCode::OK,
    )
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
    Extension(grant): Extension<Grant>,
    Path(key): Path<String>,
    Query(wait): Query<Wait>,
    Json(form): Json<OperationForm>,
) -> Response {
    match stacks::operate(&grant, &key, &form).await {
        Ok(running) if wait.wait => match running.done.await {
            Ok(record) => Json(record).into_response(),
            Err(_) => from_app(&AppError::Internal),
        },
        Ok(running) => (StatusCode::ACCEPTED, Json(running.brief)).into_response(),
        Err(e) => from_app(&e),
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
pub async fn delete_stack(Extension(grant): Extension<Grant>, Path(key): Path<String>) -> Response {
    answer(stacks::delete(&grant, &key).await, StatusCode::NO_CONTENT)
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
    Extension(grant): Extension<Grant>,
    Path((key, number)): Path<(String, i64)>,
) -> Response {
    answer(
        stacks::get_revision(&grant, &key, number).await,
        StatusCode::OK,
    )
}

/// The stack's latest operations, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/stacks/{stack}/deploys",
    tag = "stacks",
    params(("stack" = String, Path, description = "Stack id or name")),
    responses((status = 200, description = "Operations", body = [DeployBrief]))
)]
pub async fn list_deploys(Extension(grant): Extension<Grant>, Path(key): Path<String>) -> Response {
    answer(stacks::list_deploys(&grant, &key).await, StatusCode::OK)
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
    Extension(grant): Extension<Grant>,
    Path((key, deploy)): Path<(String, String)>,
) -> Response {
    answer(
        stacks::get_deploy(&grant, &key, &deploy).await,
        StatusCode::OK,
    )
}

/// Compose projects on the engine that no stack holds (started with the CLI).
#[utoipa::path(
    get,
    path = "/api/v1/stacks/unmanaged",
    tag = "stacks",
    responses((status = 200, description = "Projects by name", body = [UnmanagedProject]))
)]
pub async fn list_unmanaged(Extension(grant): Extension<Grant>) -> Response {
    answer(stacks::list_unmanaged(&grant).await, StatusCode::OK)
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
    Extension(grant): Extension<Grant>,
    Json(body): Json<AdoptProject>,
) -> Response {
    answer(
        stacks::adopt(&grant, &body.name, body.compose.as_deref()).await,
        StatusCode::CREATED,
    )
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
    Extension(grant): Extension<Grant>,
    Path(key): Path<String>,
    Query(query): Query<crate::routes::feeds::DownloadQuery>,
) -> Response {
    let row = match stacks::for_logs(&grant, &key).await {
        Ok(row) => row,
        Err(e) => return from_app(&e),
    };
    let containers = state
        .docker
        .containers()
        .filtered(|c| c.stack.as_deref() == Some(row.name.as_str()));
    crate::routes::feeds::download(&state, containers, query.range(), &row.name)
}
