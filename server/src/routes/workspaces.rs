//! `/api/v1/workspaces`: the caller's workspaces, one workspace, its members, and creating one.
//! Each handler transports its operation in `app::ops::workspaces`.

use app::model::workspaces::{MemberView, WorkspaceSummary};
use app::ops::{Grant, workspaces};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api_error::{ApiError, answer};

/// A workspace with the caller's role in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceOut {
    pub id: String,
    pub name: String,
    /// `owner`, `operator`, `viewer`, or absent for a platform admin who is not a member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
}

impl From<WorkspaceSummary> for WorkspaceOut {
    fn from(w: WorkspaceSummary) -> Self {
        Self {
            id: w.id,
            name: w.name,
            role: w.role,
            created_at: w.created_at,
        }
    }
}

/// A member of a workspace.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberOut {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub joined_at: i64,
}

impl From<MemberView> for MemberOut {
    fn from(m: MemberView) -> Self {
        Self {
            user_id: m.user_id,
            email: m.email,
            name: m.name,
            role: m.role,
            joined_at: m.joined_at,
        }
    }
}

/// Body of `POST /api/v1/workspaces`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewWorkspace {
    pub name: String,
}

/// The workspaces the caller sees (every one for a platform admin).
#[utoipa::path(
    get,
    path = "/api/v1/workspaces",
    tag = "workspaces",
    responses((status = 200, description = "Workspaces by name", body = [WorkspaceOut]))
)]
pub async fn list_workspaces(Extension(grant): Extension<Grant>) -> Response {
    answer(
        workspaces::mine(&grant)
            .await
            .map(|list| list.into_iter().map(WorkspaceOut::from).collect::<Vec<_>>()),
        StatusCode::OK,
    )
}

/// Creates a workspace with the caller as owner (platform admins).
#[utoipa::path(
    post,
    path = "/api/v1/workspaces",
    tag = "workspaces",
    request_body = NewWorkspace,
    responses(
        (status = 201, description = "Created", body = WorkspaceOut),
        (status = 400, description = "The name is missing, too long or taken", body = ApiError),
        (status = 403, description = "Only platform admins create workspaces", body = ApiError),
    )
)]
pub async fn create_workspace(
    Extension(mut grant): Extension<Grant>,
    Json(body): Json<NewWorkspace>,
) -> Response {
    answer(
        workspaces::create(&mut grant, &body.name)
            .await
            .map(WorkspaceOut::from),
        StatusCode::CREATED,
    )
}

/// One workspace.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{workspace}",
    tag = "workspaces",
    params(("workspace" = String, Path, description = "Workspace id")),
    responses(
        (status = 200, description = "The workspace", body = WorkspaceOut),
        (status = 403, description = "Not a member", body = ApiError),
        (status = 404, description = "No such workspace (platform admins)", body = ApiError),
    )
)]
pub async fn get_workspace(Extension(grant): Extension<Grant>) -> Response {
    answer(
        workspaces::get(&grant).await.map(WorkspaceOut::from),
        StatusCode::OK,
    )
}

/// The members of a workspace, owners first.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{workspace}/members",
    tag = "workspaces",
    params(("workspace" = String, Path, description = "Workspace id")),
    responses(
        (status = 200, description = "Members", body = [MemberOut]),
        (status = 403, description = "Not a member", body = ApiError),
    )
)]
pub async fn list_members(Extension(grant): Extension<Grant>) -> Response {
    answer(
        workspaces::list_members(&grant)
            .await
            .map(|members| members.into_iter().map(MemberOut::from).collect::<Vec<_>>()),
        StatusCode::OK,
    )
}
