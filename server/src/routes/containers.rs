//! `/api/v1/containers`: the live container list, one container, its actions, renaming and
//! removing it; `/api/v1/workspaces/{workspace}/containers` creates one and
//! `/api/v1/workspaces/{workspace}/policy` holds the workspace's security policy.
//! Permissions are declared in `crate::access::REST` and checked before these run (for one
//! container, in the workspace that owns it).

use app::ops::{Grant, containers};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use engine::model::resources::{
    ContainerAction, ContainerDetail, ContainerList, ContainerSpec, ContainerView, SecurityPolicy,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api_error::{ApiError, answer};

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
    Extension(grant): Extension<Grant>,
    Query(filter): Query<ListFilter>,
) -> Response {
    let filter = containers::Filter {
        workspace: filter.workspace,
        state: filter.state,
        stack: filter.stack,
        text: filter.q,
    };
    answer(containers::list(&grant, &filter).await, StatusCode::OK)
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
pub async fn get_container(
    Extension(grant): Extension<Grant>,
    Path(key): Path<String>,
) -> Response {
    answer(containers::get(&grant, &key).await, StatusCode::OK)
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
    Extension(grant): Extension<Grant>,
    Path((key, action)): Path<(String, String)>,
) -> Response {
    answer(containers::act(&grant, &key, &action).await, StatusCode::OK)
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
    Extension(grant): Extension<Grant>,
    Path(key): Path<String>,
    Json(body): Json<NewName>,
) -> Response {
    answer(
        containers::rename(&grant, &key, &body.name).await,
        StatusCode::NO_CONTENT,
    )
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
    Extension(grant): Extension<Grant>,
    Path(key): Path<String>,
    Query(options): Query<RemoveOptions>,
) -> Response {
    answer(
        containers::remove(&grant, &key, options.volumes).await,
        StatusCode::NO_CONTENT,
    )
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
    Extension(grant): Extension<Grant>,
    Json(spec): Json<ContainerSpec>,
) -> Response {
    answer(containers::create(&grant, &spec).await, StatusCode::CREATED)
}

/// The workspace's security policy.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{workspace}/policy",
    tag = "containers",
    params(("workspace" = String, Path, description = "Workspace id")),
    responses((status = 200, description = "The policy (the default allows nothing beyond the ordinary)", body = SecurityPolicy))
)]
pub async fn get_policy(Extension(grant): Extension<Grant>) -> Response {
    answer(
        containers::get_policy(&grant).await.map(|view| view.policy),
        StatusCode::OK,
    )
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
    Extension(grant): Extension<Grant>,
    Json(policy): Json<SecurityPolicy>,
) -> Response {
    answer(containers::set_policy(&grant, policy).await, StatusCode::OK)
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
    State(state): State<app::AppState>,
    Extension(grant): Extension<Grant>,
    Path(key): Path<String>,
    Query(query): Query<crate::routes::feeds::DownloadQuery>,
) -> Response {
    match containers::for_logs(&grant, &key) {
        Ok(found) => {
            let name = found.name.clone();
            crate::routes::feeds::download(&state, vec![found], query.range(), &name)
        }
        Err(e) => crate::api_error::from_app(&e),
    }
}
