//! `/api/v1/containers`: the live container list, one container, its actions, renaming and
//! removing it; `/api/v1/workspaces/{workspace}/containers` creates one and
//! `/api/v1/workspaces/{workspace}/policy` holds the workspace's security policy.
//! Permissions are declared in `crate::access::REST` and checked before these run (for one
//! container, in the workspace that owns it).

use app::AppState;
use app::api::containers::{create_checked, create_target, find_container, target};
use app::auth::{CurrentUser, TokenAuth};
use app::error::AppError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use engine::resources::{
    ContainerAction, ContainerDetail, ContainerList, ContainerSpec, ContainerView, SecurityPolicy,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::access::AuditCtx;
use crate::api_error::{ApiError, from_app};

fn failed(e: impl Into<AppError>) -> Response {
    from_app(&e.into())
}

/// Filters of `GET /api/v1/containers`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    /// Only this workspace's containers (`unmanaged`: those without one).
    pub workspace: Option<String>,
    /// Only containers in this state (`running`, `exited`…).
    pub state: Option<String>,
    /// Only this stack's containers.
    pub stack: Option<String>,
    /// Free text: name, image, stack, service or id prefix.
    pub q: Option<String>,
}

/// The containers the caller may see, by name, from Orbitr's live state (no engine call).
#[utoipa::path(
    get,
    path = "/api/v1/containers",
    tag = "containers",
    params(ListFilter),
    responses((status = 200, description = "Containers by name; `stale` while the engine is unreachable", body = ContainerList))
)]
pub async fn list_containers(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    token: Option<Extension<TokenAuth>>,
    Query(filter): Query<ListFilter>,
) -> Response {
    let token = token.map(|Extension(TokenAuth(t))| t);
    let scope = match app::access::readable(&state, &user, token.as_ref(), "container").await {
        Ok(scope) => scope,
        Err(e) => return failed(e),
    };
    let live = state.docker.containers();
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
            && filter.q.as_deref().is_none_or(|q| c.matches_text(q))
    });
    Json(ContainerList {
        containers,
        stale: live.is_stale(),
    })
    .into_response()
}

/// One container, inspected now; environment values of secret-looking keys are masked.
#[utoipa::path(
    get,
    path = "/api/v1/containers/{container}",
    tag = "containers",
    params(("container" = String, Path, description = "Container id, name or unambiguous id prefix")),
    responses(
        (status = 200, description = "The container", body = ContainerDetail),
        (status = 404, description = "No such container, or not one the caller may see", body = ApiError),
        (status = 503, description = "The engine is unreachable", body = ApiError),
    )
)]
pub async fn get_container(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let found = match find_container(&state, &key) {
        Ok(found) => found,
        Err(e) => return failed(e),
    };
    match state.docker.inspect_container(&found.id).await {
        Ok(detail) => Json(detail).into_response(),
        Err(e) => failed(e),
    }
}

/// Starts, stops, restarts, kills, pauses or resumes a container; answers its new state.
#[utoipa::path(
    post,
    path = "/api/v1/containers/{container}/{action}",
    tag = "containers",
    params(
        ("container" = String, Path, description = "Container id, name or unambiguous id prefix"),
        ("action" = ContainerAction, Path, description = "start, stop, restart, kill, pause or unpause"),
    ),
    responses(
        (status = 200, description = "Done; the container as it is now", body = ContainerView),
        (status = 400, description = "Unknown action", body = ApiError),
        (status = 403, description = "The caller's role does not allow it", body = ApiError),
        (status = 404, description = "No such container", body = ApiError),
        (status = 502, description = "The engine refused, with its message", body = ApiError),
        (status = 503, description = "The engine is unreachable", body = ApiError),
    )
)]
pub async fn container_action(
    State(state): State<AppState>,
    Extension(audit): Extension<AuditCtx>,
    Path((key, action)): Path<(String, String)>,
) -> Response {
    let Some(action) = ContainerAction::parse(&action) else {
        return failed(AppError::Invalid {
            field: "action".into(),
            message: format!("{action:?}: use start, stop, restart, kill, pause or unpause"),
        });
    };
    let found = match find_container(&state, &key) {
        Ok(found) => found,
        Err(e) => return failed(e),
    };
    let result = state
        .docker
        .container_action(&found.id, action)
        .await
        .and_then(|v| {
            v.ok_or_else(|| engine::containers::ContainerError::NotFound(found.id.clone()))
        });
    audit
        .outcome(
            &state,
            &format!("container.{}", action.as_str()),
            Some(target(&found)),
            &result,
        )
        .await;
    match result {
        Ok(view) => Json(view).into_response(),
        Err(e) => failed(e),
    }
}

/// Body of `PUT /api/v1/containers/{container}/name`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewName {
    pub name: String,
}

/// Renames a container.
#[utoipa::path(
    put,
    path = "/api/v1/containers/{container}/name",
    tag = "containers",
    params(("container" = String, Path, description = "Container id, name or unambiguous id prefix")),
    request_body = NewName,
    responses(
        (status = 204, description = "Renamed"),
        (status = 400, description = "The name is not acceptable", body = ApiError),
        (status = 404, description = "No such container", body = ApiError),
        (status = 409, description = "The name is taken (the engine's message)", body = ApiError),
        (status = 502, description = "The engine failed, with its message", body = ApiError),
    )
)]
pub async fn rename_container(
    State(state): State<AppState>,
    Extension(audit): Extension<AuditCtx>,
    Path(key): Path<String>,
    Json(body): Json<NewName>,
) -> Response {
    let found = match find_container(&state, &key) {
        Ok(found) => found,
        Err(e) => return failed(e),
    };
    let result = state.docker.rename_container(&found.id, &body.name).await;
    audit
        .outcome(
            &state,
            "container.rename",
            Some(format!("{} -> {}", target(&found), body.name.trim())),
            &result,
        )
        .await;
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => failed(e),
    }
}

/// Options of `DELETE /api/v1/containers/{container}`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemoveOptions {
    /// Remove its anonymous volumes too.
    #[serde(default)]
    pub volumes: bool,
}

/// Removes a container, stopping it first.
#[utoipa::path(
    delete,
    path = "/api/v1/containers/{container}",
    tag = "containers",
    params(("container" = String, Path, description = "Container id, name or unambiguous id prefix"), RemoveOptions),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such container", body = ApiError),
    )
)]
pub async fn remove_container(
    State(state): State<AppState>,
    Extension(audit): Extension<AuditCtx>,
    Path(key): Path<String>,
    Query(options): Query<RemoveOptions>,
) -> Response {
    let found = match find_container(&state, &key) {
        Ok(found) => found,
        Err(e) => return failed(e),
    };
    let result = state
        .docker
        .remove_container(&found.id, options.volumes)
        .await;
    audit
        .outcome(&state, "container.remove", Some(target(&found)), &result)
        .await;
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => failed(e),
    }
}

/// Creates a container in the workspace, checked field by field and against the workspace's
/// security policy (platform admins are not limited by it).
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{workspace}/containers",
    tag = "containers",
    params(("workspace" = String, Path, description = "Workspace id")),
    request_body = ContainerSpec,
    responses(
        (status = 201, description = "Created (and started when asked)", body = ContainerView),
        (status = 400, description = "A field is wrong or the policy refuses it; the message names the field", body = ApiError),
        (status = 403, description = "The caller's role does not allow it", body = ApiError),
        (status = 409, description = "The name is taken (the engine's message)", body = ApiError),
        (status = 502, description = "The engine failed, with its message", body = ApiError),
    )
)]
pub async fn create_container(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    token: Option<Extension<TokenAuth>>,
    Extension(audit): Extension<AuditCtx>,
    Path(workspace): Path<String>,
    Json(spec): Json<ContainerSpec>,
) -> Response {
    let token = token.map(|Extension(TokenAuth(t))| t);
    let result = create_checked(&state, Some(&user), token.as_ref(), &workspace, &spec).await;
    audit
        .outcome(
            &state,
            "container.create",
            Some(create_target(&spec)),
            &result,
        )
        .await;
    match result {
        Ok(view) => (StatusCode::CREATED, Json(view)).into_response(),
        Err(e) => failed(e),
    }
}

/// The workspace's security policy.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{workspace}/policy",
    tag = "containers",
    params(("workspace" = String, Path, description = "Workspace id")),
    responses((status = 200, description = "The policy (the default allows nothing beyond the ordinary)", body = SecurityPolicy))
)]
pub async fn get_policy(State(state): State<AppState>, Path(workspace): Path<String>) -> Response {
    match state.policies.get(&workspace).await {
        Ok(policy) => Json(policy).into_response(),
        Err(e) => failed(e),
    }
}

/// Replaces the workspace's security policy (platform admins).
#[utoipa::path(
    put,
    path = "/api/v1/workspaces/{workspace}/policy",
    tag = "containers",
    params(("workspace" = String, Path, description = "Workspace id")),
    request_body = SecurityPolicy,
    responses(
        (status = 200, description = "Saved, as stored (paths resolved, capabilities normalized)", body = SecurityPolicy),
        (status = 400, description = "A field is wrong; the message names it", body = ApiError),
        (status = 403, description = "Only platform admins change policies", body = ApiError),
        (status = 404, description = "No such workspace", body = ApiError),
    )
)]
pub async fn put_policy(
    State(state): State<AppState>,
    Extension(audit): Extension<AuditCtx>,
    Path(workspace): Path<String>,
    Json(policy): Json<SecurityPolicy>,
) -> Response {
    let result = state.policies.set(&workspace, policy, &audit.actor).await;
    audit
        .outcome(
            &state,
            "policy.update",
            Some(format!("workspace:{workspace}")),
            &result,
        )
        .await;
    match result {
        Ok(policy) => Json(policy).into_response(),
        Err(e) => failed(e),
    }
}

/// The container's log (what the engine retains) as a text file, streamed.
#[utoipa::path(
    get,
    path = "/api/v1/containers/{container}/logs",
    tag = "containers",
    params(
        ("container" = String, Path, description = "Container id, name or unambiguous id prefix"),
        crate::routes::feeds::DownloadQuery,
    ),
    responses(
        (status = 200, description = "The log as text/plain, streamed", content_type = "text/plain"),
        (status = 404, description = "No such container, or not one the caller may see", body = ApiError),
    )
)]
pub async fn download_logs(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<crate::routes::feeds::DownloadQuery>,
) -> Response {
    match find_container(&state, &key) {
        Ok(found) => {
            let name = found.name.clone();
            crate::routes::feeds::download(&state, vec![found], query.range(), &name)
        }
        Err(e) => failed(e),
    }
}
