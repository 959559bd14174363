//! `/api/v1/images`, `/api/v1/networks`, `/api/v1/volumes` and their workspace-scoped creates.
//! Lists come from Orbitr's live lists; permissions are declared in `crate::access::REST`.

use app::AppState;
use app::api::objects::{find_network, visible};
use app::auth::{CurrentUser, TokenAuth};
use app::error::AppError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use engine::resources::{ImageView, NetworkSpec, NetworkView, PruneReport, VolumeView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api_error::{ApiError, from_app};
use app::ops::Grant;

fn failed(e: impl Into<AppError>) -> Response {
    from_app(&e.into())
}

/// Audits an operation's outcome and answers it (`ok` turns the value into the response).
async fn finish<T, E>(
    audit: &Grant,
    action: &str,
    target: Option<String>,
    result: Result<T, E>,
    ok: impl FnOnce(T) -> Response,
) -> Response
where
    E: std::fmt::Display + Into<AppError>,
{
    match audit.audited(action, target, result).await {
        Ok(value) => ok(value),
        Err(e) => failed(e),
    }
}

async fn lists(
    state: &AppState,
    user: &engine::accounts::User,
    token: Option<Extension<TokenAuth>>,
) -> Result<(Vec<ImageView>, Vec<NetworkView>, Vec<VolumeView>), AppError> {
    let token = token.map(|Extension(TokenAuth(t))| t);
    visible(state, user, token.as_ref()).await
}

/// Every image, newest first, with the containers (that the caller may see) using each.
#[utoipa::path(get, path = "/api/v1/images", tag = "images",
    responses((status = 200, description = "Images", body = [ImageView])))]
pub async fn list_images(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    token: Option<Extension<TokenAuth>>,
) -> Response {
    match lists(&state, &user, token).await {
        Ok((images, _, _)) => Json(images).into_response(),
        Err(e) => failed(e),
    }
}

/// Options of `DELETE /api/v1/images/{image}`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemoveImageOptions {
    /// Remove it even while containers use it.
    #[serde(default)]
    pub force: bool,
}

/// Removes an image (platform admins); refused with the engine's reason while in use unless
/// `force`.
#[utoipa::path(delete, path = "/api/v1/images/{image}", tag = "images",
    params(("image" = String, Path, description = "Image id (`sha256:…`) or `name:tag` without a registry path"), RemoveImageOptions),
    responses(
        (status = 200, description = "What was untagged and deleted", body = [String]),
        (status = 404, description = "No such image", body = ApiError),
        (status = 409, description = "In use; the engine's reason", body = ApiError),
    ))]
pub async fn remove_image(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(image): Path<String>,
    Query(options): Query<RemoveImageOptions>,
) -> Response {
    let result = state.docker.remove_image(&image, options.force).await;
    finish(
        &audit,
        "image.remove",
        Some(format!("image:{image}")),
        result,
        |gone| Json(gone).into_response(),
    )
    .await
}

/// Removes dangling images (platform admins).
#[utoipa::path(post, path = "/api/v1/images/prune", tag = "images",
    responses((status = 200, description = "What went and the space freed", body = PruneReport)))]
pub async fn prune_images(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
) -> Response {
    let result = state.docker.prune_images().await;
    finish(&audit, "image.prune", None, result, |r| {
        Json(r).into_response()
    })
    .await
}

/// The networks the caller may see (platform admins: every one), by name.
#[utoipa::path(get, path = "/api/v1/networks", tag = "networks",
    responses((status = 200, description = "Networks", body = [NetworkView])))]
pub async fn list_networks(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    token: Option<Extension<TokenAuth>>,
) -> Response {
    match lists(&state, &user, token).await {
        Ok((_, networks, _)) => Json(networks).into_response(),
        Err(e) => failed(e),
    }
}

/// Creates a network in the workspace.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/networks", tag = "networks",
    params(("workspace" = String, Path, description = "Workspace id")),
    request_body = NetworkSpec,
    responses(
        (status = 201, description = "Created", body = NetworkView),
        (status = 400, description = "A field is wrong; the message names it", body = ApiError),
    ))]
pub async fn create_network(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(workspace): Path<String>,
    Json(spec): Json<NetworkSpec>,
) -> Response {
    let result = state.docker.create_network(&spec, &workspace).await;
    finish(
        &audit,
        "network.create",
        Some(format!("network:{}", spec.name.trim())),
        result,
        |n| (StatusCode::CREATED, Json(n)).into_response(),
    )
    .await
}

/// Removes a network (refused while containers are attached).
#[utoipa::path(delete, path = "/api/v1/networks/{network}", tag = "networks",
    params(("network" = String, Path, description = "Network id or name")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such network", body = ApiError),
        (status = 409, description = "In use; the engine's reason", body = ApiError),
    ))]
pub async fn remove_network(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(key): Path<String>,
) -> Response {
    let network = match find_network(&state, &key) {
        Ok(n) => n,
        Err(e) => return failed(e),
    };
    let result = state.docker.remove_network(&network.id).await;
    finish(
        &audit,
        "network.remove",
        Some(format!("network:{}", network.name)),
        result,
        |()| StatusCode::NO_CONTENT.into_response(),
    )
    .await
}

/// The volumes the caller may see (platform admins: every one), by name.
#[utoipa::path(get, path = "/api/v1/volumes", tag = "volumes",
    responses((status = 200, description = "Volumes", body = [VolumeView])))]
pub async fn list_volumes(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    token: Option<Extension<TokenAuth>>,
) -> Response {
    match lists(&state, &user, token).await {
        Ok((_, _, volumes)) => Json(volumes).into_response(),
        Err(e) => failed(e),
    }
}

/// Body of `POST /api/v1/workspaces/{workspace}/volumes`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewVolume {
    pub name: String,
}

/// Creates a named volume in the workspace.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/volumes", tag = "volumes",
    params(("workspace" = String, Path, description = "Workspace id")),
    request_body = NewVolume,
    responses(
        (status = 201, description = "Created", body = VolumeView),
        (status = 400, description = "The name is wrong or taken", body = ApiError),
    ))]
pub async fn create_volume(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(workspace): Path<String>,
    Json(body): Json<NewVolume>,
) -> Response {
    let result = state.docker.create_volume(&body.name, &workspace).await;
    finish(
        &audit,
        "volume.create",
        Some(format!("volume:{}", body.name.trim())),
        result,
        |v| (StatusCode::CREATED, Json(v)).into_response(),
    )
    .await
}

/// Removes a volume (refused while a container uses it).
#[utoipa::path(delete, path = "/api/v1/volumes/{volume}", tag = "volumes",
    params(("volume" = String, Path, description = "Volume name")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such volume", body = ApiError),
        (status = 409, description = "In use; the engine's reason", body = ApiError),
    ))]
pub async fn remove_volume(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(name): Path<String>,
) -> Response {
    let result = state.docker.remove_volume(&name).await;
    finish(
        &audit,
        "volume.remove",
        Some(format!("volume:{name}")),
        result,
        |()| StatusCode::NO_CONTENT.into_response(),
    )
    .await
}

/// Removes the workspace's volumes that no container uses.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/volumes/prune", tag = "volumes",
    params(("workspace" = String, Path, description = "Workspace id")),
    responses((status = 200, description = "What went and the space freed", body = PruneReport)))]
pub async fn prune_volumes(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(workspace): Path<String>,
) -> Response {
    let result = state.docker.prune_volumes(&workspace).await;
    finish(&audit, "volume.prune", None, result, |r| {
        Json(r).into_response()
    })
    .await
}

/// Body of `POST /api/v1/workspaces/{workspace}/adopt`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Adopt {
    /// `container`, `network` or `volume`.
    pub kind: String,
    /// Id or name.
    pub id: String,
}

/// Adopts an unmanaged container, network or volume into the workspace (platform admins),
/// recorded in the database; the workspace's members see and act on it from then on.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/adopt", tag = "containers",
    params(("workspace" = String, Path, description = "Workspace id")),
    request_body = Adopt,
    responses(
        (status = 200, description = "Adopted; its id (name for volumes)", body = String),
        (status = 404, description = "No such object or workspace", body = ApiError),
        (status = 409, description = "It already belongs to a workspace", body = ApiError),
    ))]
pub async fn adopt(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(workspace): Path<String>,
    Json(body): Json<Adopt>,
) -> Response {
    let result = state
        .adoptions
        .adopt(
            &state.docker,
            &body.kind,
            &body.id,
            &workspace,
            &audit.actor(),
        )
        .await;
    finish(
        &audit,
        "object.adopt",
        Some(format!("{}:{}", body.kind, body.id)),
        result,
        |id| Json(id).into_response(),
    )
    .await
}

/// Body of `POST /api/v1/workspaces/{workspace}/images/pull`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Pull {
    /// `name[:tag]`, `registry/name:tag` or `name@sha256:…`.
    pub reference: String,
}

/// Starts pulling an image with the workspace's credentials for its registry; answers the
/// pull's id at once. Progress (per layer) arrives on the live websocket as `pull` messages;
/// the outcome is audited when it ends.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/images/pull", tag = "images",
    params(("workspace" = String, Path, description = "Workspace id")),
    request_body = Pull,
    responses(
        (status = 202, description = "Started; the pull's id", body = String),
        (status = 400, description = "Not an image reference", body = ApiError),
    ))]
pub async fn pull_image(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(workspace): Path<String>,
    Json(body): Json<Pull>,
) -> Response {
    let entry = audit.entry(
        audit.actor(),
        "image.pull",
        Some(format!("image:{}", body.reference.trim())),
        None,
    );
    match app::api::registries::start_pull(&state, &workspace, &body.reference, entry).await {
        Ok(id) => (StatusCode::ACCEPTED, Json(id)).into_response(),
        Err(e) => failed(e),
    }
}

/// The workspace's registry credentials (owners; never the passwords).
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/registries", tag = "images",
    params(("workspace" = String, Path, description = "Workspace id")),
    responses((status = 200, description = "Credentials by registry", body = [engine::resources::RegistryCredential])))]
pub async fn list_registries(
    State(state): State<AppState>,
    Path(workspace): Path<String>,
) -> Response {
    match state.registries.list(&workspace).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => failed(e),
    }
}

/// Body of `POST /api/v1/workspaces/{workspace}/registries`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewCredential {
    /// `host[:port]`.
    pub registry: String,
    pub username: String,
    /// Password or access token; stored encrypted, never returned.
    pub password: String,
}

/// Saves (or replaces) the workspace's credential for a registry (owners).
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/registries", tag = "images",
    params(("workspace" = String, Path, description = "Workspace id")),
    request_body = NewCredential,
    responses(
        (status = 200, description = "Saved", body = engine::resources::RegistryCredential),
        (status = 400, description = "A field is wrong; the message names it", body = ApiError),
    ))]
pub async fn save_registry(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(workspace): Path<String>,
    Json(body): Json<NewCredential>,
) -> Response {
    let result = state
        .registries
        .save(
            &workspace,
            &body.registry,
            &body.username,
            &body.password,
            &audit.actor(),
        )
        .await;
    finish(
        &audit,
        "registry.save",
        Some(format!("registry:{}", body.registry.trim())),
        result,
        |c| Json(c).into_response(),
    )
    .await
}

/// Deletes one of the workspace's registry credentials (owners).
#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace}/registries/{id}", tag = "images",
    params(("workspace" = String, Path, description = "Workspace id"), ("id" = String, Path, description = "Credential id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such credential", body = ApiError)))]
pub async fn remove_registry(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path((workspace, id)): Path<(String, String)>,
) -> Response {
    let result = state.registries.remove(&workspace, &id).await;
    finish(
        &audit,
        "registry.remove",
        Some(format!("registry:{id}")),
        result,
        |()| StatusCode::NO_CONTENT.into_response(),
    )
    .await
}

/// Body of `POST /api/v1/networks/{network}/connect` and `…/disconnect`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Attach {
    /// Container id, name or unambiguous id prefix.
    pub container: String,
}

/// Connects a container to the network (both of the same workspace; platform admins: any).
#[utoipa::path(post, path = "/api/v1/networks/{network}/connect", tag = "networks",
    params(("network" = String, Path, description = "Network id or name")),
    request_body = Attach,
    responses(
        (status = 204, description = "Connected"),
        (status = 400, description = "The container belongs to another workspace", body = ApiError),
        (status = 409, description = "The engine refused (already connected, host network…)", body = ApiError),
    ))]
pub async fn connect_network(
    state: State<AppState>,
    user: Extension<CurrentUser>,
    token: Option<Extension<TokenAuth>>,
    audit: Extension<Grant>,
    Path(network): Path<String>,
    Json(body): Json<Attach>,
) -> Response {
    attach(state, user, token, audit, network, body, true).await
}

/// Disconnects a container from the network.
#[utoipa::path(post, path = "/api/v1/networks/{network}/disconnect", tag = "networks",
    params(("network" = String, Path, description = "Network id or name")),
    request_body = Attach,
    responses(
        (status = 204, description = "Disconnected"),
        (status = 409, description = "The engine refused", body = ApiError),
    ))]
pub async fn disconnect_network(
    state: State<AppState>,
    user: Extension<CurrentUser>,
    token: Option<Extension<TokenAuth>>,
    audit: Extension<Grant>,
    Path(network): Path<String>,
    Json(body): Json<Attach>,
) -> Response {
    attach(state, user, token, audit, network, body, false).await
}

async fn attach(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    token: Option<Extension<TokenAuth>>,
    Extension(audit): Extension<Grant>,
    network: String,
    body: Attach,
    connect: bool,
) -> Response {
    let token = token.map(|Extension(TokenAuth(t))| t);
    let checked = app::api::objects::attachable_for(
        &state,
        Some(&user),
        token.as_ref(),
        &network,
        &body.container,
    )
    .await;
    let (net, found) = match checked {
        Ok(pair) => pair,
        Err(e) => return failed(e),
    };
    let result = state.docker.attach(&net.id, &found.id, connect).await;
    finish(
        &audit,
        if connect {
            "network.connect"
        } else {
            "network.disconnect"
        },
        Some(format!("network:{} container:{}", net.name, found.name)),
        result,
        |()| StatusCode::NO_CONTENT.into_response(),
    )
    .await
}

/// One image: configuration (secret-looking environment values masked), layers, history.
#[utoipa::path(get, path = "/api/v1/images/{image}", tag = "images",
    params(("image" = String, Path, description = "Image id (`sha256:…`) or `name:tag` without a registry path")),
    responses(
        (status = 200, description = "The image", body = engine::resources::ImageDetail),
        (status = 404, description = "No such image", body = ApiError),
    ))]
pub async fn get_image(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    token: Option<Extension<TokenAuth>>,
    Path(image): Path<String>,
) -> Response {
    let token = token.map(|Extension(TokenAuth(t))| t);
    match app::api::objects::image_detail(&state, &user, token.as_ref(), &image).await {
        Ok(detail) => Json(detail).into_response(),
        Err(e) => failed(e),
    }
}

/// Bytes used by each volume the caller may see, read from its folder on the engine's host
/// (volumes Orbitr cannot read, e.g. on another host, are left out).
#[utoipa::path(get, path = "/api/v1/volumes/sizes", tag = "volumes",
    responses((status = 200, description = "Volume name → bytes", body = std::collections::HashMap<String, i64>)))]
pub async fn volume_sizes(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    token: Option<Extension<TokenAuth>>,
) -> Response {
    match lists(&state, &user, token).await {
        Ok((_, _, volumes)) => {
            let names = volumes.into_iter().map(|v| v.name).collect();
            Json(state.docker.volume_sizes(names).await).into_response()
        }
        Err(e) => failed(e),
    }
}
