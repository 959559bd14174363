//! `/api/v1/workspaces`: the caller's workspaces, one workspace, its members, and creating one.
//! Permissions are declared in `crate::access::REST` and checked before these run.

use app::AppState;
use app::api::workspaces::{MemberView, WorkspaceSummary};
use app::auth::CurrentUser;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use engine::audit::Outcome;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api_error::{ApiError, from_app};
use app::ops::Grant;

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

fn failed(e: impl Into<app::error::AppError>) -> Response {
    from_app(&e.into())
}

/// The workspaces the caller sees (every one for a platform admin).
#[utoipa::path(
    get,
    path = "/api/v1/workspaces",
    tag = "workspaces",
    responses((status = 200, description = "Workspaces by name", body = [WorkspaceOut]))
)]
pub async fn list_workspaces(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
) -> Response {
    match state.workspaces.for_user(&user).await {
        Ok(list) => Json(
            list.into_iter()
                .map(|m| WorkspaceOut::from(WorkspaceSummary::from(m)))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => failed(e),
    }
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
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    Extension(mut audit): Extension<Grant>,
    Json(body): Json<NewWorkspace>,
) -> Response {
    match state.workspaces.create(&body.name, &user).await {
        Ok(ws) => {
            audit.workspace = Some(ws.id.clone());
            audit
                .audit(
                    "workspace.create",
                    Some(format!("workspace:{} ({})", ws.id, ws.name)),
                    Outcome::Ok,
                    None,
                )
                .await;
            (
                StatusCode::CREATED,
                Json(WorkspaceOut {
                    id: ws.id,
                    name: ws.name,
                    role: Some("owner".into()),
                    created_at: ws.created_at,
                }),
            )
                .into_response()
        }
        Err(e) => failed(e),
    }
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
pub async fn get_workspace(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    Path(workspace): Path<String>,
) -> Response {
    let found = async {
        let ws = state.workspaces.get(&workspace).await?;
        let role = state.workspaces.role_of(&workspace, &user.id).await?;
        Ok::<_, engine::workspaces::WorkspaceError>(ws.map(|ws| WorkspaceOut {
            id: ws.id,
            name: ws.name,
            role: role.map(|r| r.as_str().to_owned()),
            created_at: ws.created_at,
        }))
    }
    .await;
    match found {
        Ok(Some(ws)) => Json(ws).into_response(),
        Ok(None) => failed(app::error::AppError::NotFound("workspace".into())),
        Err(e) => failed(e),
    }
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
pub async fn list_members(
    State(state): State<AppState>,
    Path(workspace): Path<String>,
) -> Response {
    match state.workspaces.members(&workspace).await {
        Ok(members) => Json(
            members
                .into_iter()
                .map(|m| MemberOut::from(MemberView::from(m)))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => failed(e),
    }
}
