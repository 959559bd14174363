//! `/api/v1/images`, `/api/v1/networks`, `/api/v1/volumes` and their workspace-scoped creates.
//! Each handler transports its operation in `app::ops::objects` or `app::ops::registries`.

use app::ops::{Grant, objects, registries};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use engine::model::resources::{ImageView, NetworkSpec, NetworkView, PruneReport, VolumeView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api_error::{ApiError, answer};

/// Every image, newest first, with the containers (that the caller may see) using each.
#[utoipa::path(get, path = "/api/v1/images", tag = "images",
    responses((status = 200, description = "Images", body = [ImageView])))]
pub async fn list_images(Extension(grant): Extension<Grant>) -> Response {
    answer(objects::list_images(&grant).await, StatusCode::OK)
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
    Extension(grant): Extension<Grant>,
    Path(image): Path<String>,
    Query(options): Query<RemoveImageOptions>,
) -> Response {
    answer(
        objects::remove_image(&grant, &image, options.force).await,
        StatusCode::OK,
    )
}

/// Removes dangling images (platform admins).
#[utoipa::path(post, path = "/api/v1/images/prune", tag = "images",
    responses((status = 200, description = "What went and the space freed", body = PruneReport)))]
pub async fn prune_images(Extension(grant): Extension<Grant>) -> Response {
    answer(objects::prune_images(&grant).await, StatusCode::OK)
}

/// The networks the caller may see (platform admins: every one), by name.
#[utoipa::path(get, path = "/api/v1/networks", tag = "networks",
    responses((status = 200, description = "Networks", body = [NetworkView])))]
pub async fn list_networks(Extension(grant): Extension<Grant>) -> Response {
    answer(objects::list_networks(&grant).await, StatusCode::OK)
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
    Extension(grant): Extension<Grant>,
    Json(spec): Json<NetworkSpec>,
) -> Response {
    answer(
        objects::create_network(&grant, &spec).await,
        StatusCode::CREATED,
    )
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
    Extension(grant): Extension<Grant>,
    Path(key): Path<String>,
) -> Response {
    answer(
        objects::remove_network(&grant, &key).await,
        StatusCode::NO_CONTENT,
    )
}

/// The volumes the caller may see (platform admins: every one), by name.
#[utoipa::path(get, path = "/api/v1/volumes", tag = "volumes",
    responses((status = 200, description = "Volumes", body = [VolumeView])))]
pub async fn list_volumes(Extension(grant): Extension<Grant>) -> Response {
    answer(objects::list_volumes(&grant).await, StatusCode::OK)
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
    Extension(grant): Extension<Grant>,
    Json(body): Json<NewVolume>,
) -> Response {
    answer(
        objects::create_volume(&grant, &body.name).await,
        StatusCode::CREATED,
    )
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
    Extension(grant): Extension<Grant>,
    Path(name): Path<String>,
) -> Response {
    answer(
        objects::remove_volume(&grant, &name).await,
        StatusCode::NO_CONTENT,
    )
}

/// Removes the workspace's volumes that no container uses.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/volumes/prune", tag = "volumes",
    params(("workspace" = String, Path, description = "Workspace id")),
    responses((status = 200, description = "What went and the space freed", body = PruneReport)))]
pub async fn prune_volumes(Extension(grant): Extension<Grant>) -> Response {
    answer(objects::prune_volumes(&grant).await, StatusCode::OK)
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
pub async fn adopt(Extension(grant): Extension<Grant>, Json(body): Json<Adopt>) -> Response {
    answer(
        objects::adopt(&grant, &body.kind, &body.id).await,
        StatusCode::OK,
    )
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
pub async fn pull_image(Extension(grant): Extension<Grant>, Json(body): Json<Pull>) -> Response {
    answer(
        registries::pull(&grant, &body.reference).await,
        StatusCode::ACCEPTED,
    )
}

/// The workspace's registry credentials (owners; never the passwords).
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/registries", tag = "images",
    params(("workspace" = String, Path, description = "Workspace id")),
    responses((status = 200, description = "Credentials by registry", body = [engine::model::resources::RegistryCredential])))]
pub async fn list_registries(Extension(grant): Extension<Grant>) -> Response {
    answer(registries::list(&grant).await, StatusCode::OK)
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
        (status = 200, description = "Saved", body = engine::model::resources::RegistryCredential),
        (status = 400, description = "A field is wrong; the message names it", body = ApiError),
    ))]
pub async fn save_registry(
    Extension(grant): Extension<Grant>,
    Json(body): Json<NewCredential>,
) -> Response {
    answer(
        registries::save(&grant, &body.registry, &body.username, &body.password).await,
        StatusCode::OK,
    )
}

/// Deletes one of the workspace's registry credentials (owners).
#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace}/registries/{id}", tag = "images",
    params(("workspace" = String, Path, description = "Workspace id"), ("id" = String, Path, description = "Credential id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such credential", body = ApiError)))]
pub async fn remove_registry(
    Extension(grant): Extension<Grant>,
    Path((_workspace, id)): Path<(String, String)>,
) -> Response {
    answer(
        registries::remove(&grant, &id).await,
        StatusCode::NO_CONTENT,
    )
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
    Extension(grant): Extension<Grant>,
    Path(network): Path<String>,
    Json(body): Json<Attach>,
) -> Response {
    answer(
        objects::attach_network(&grant, &network, &body.container, true).await,
        StatusCode::NO_CONTENT,
    )
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
    Extension(grant): Extension<Grant>,
    Path(network): Path<String>,
    Json(body): Json<Attach>,
) -> Response {
    answer(
        objects::attach_network(&grant, &network, &body.container, false).await,
        StatusCode::NO_CONTENT,
    )
}

/// One image: configuration (secret-looking environment values masked), layers, history.
#[utoipa::path(get, path = "/api/v1/images/{image}", tag = "images",
    params(("image" = String, Path, description = "Image id (`sha256:…`) or `name:tag` without a registry path")),
    responses(
        (status = 200, description = "The image", body = engine::model::resources::ImageDetail),
        (status = 404, description = "No such image", body = ApiError),
    ))]
pub async fn get_image(Extension(grant): Extension<Grant>, Path(image): Path<String>) -> Response {
    answer(objects::get_image(&grant, &image).await, StatusCode::OK)
}

/// Bytes used by each volume the caller may see, read from its folder on the engine's host
/// (volumes Orbitr cannot read, e.g. on another host, are left out).
#[utoipa::path(get, path = "/api/v1/volumes/sizes", tag = "volumes",
    responses((status = 200, description = "Volume name → bytes", body = std::collections::HashMap<String, i64>)))]
pub async fn volume_sizes(Extension(grant): Extension<Grant>) -> Response {
    answer(objects::volume_sizes(&grant).await, StatusCode::OK)
}
