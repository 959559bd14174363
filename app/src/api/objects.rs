//! Images, networks and volumes over server functions: each one transports its operation in
//! [`crate::ops::objects`] (where what it needs is declared, and the work and its audit record
//! happen).

use engine::model::resources::{ImageView, NetworkSpec, NetworkView, PruneReport, VolumeView};
use leptos::prelude::*;

use crate::error::AppError;

/// Every image, newest first, with the containers (that the caller may see) using it.
#[server(endpoint = "list_images", output = crate::api::codec::Json)]
pub async fn list_images() -> Result<Vec<ImageView>, AppError> {
    use crate::ops::{On, admit, objects};
    crate::auth::reply(
        async {
            let grant = admit(&objects::LIST_IMAGES, On::Nothing).await?;
            objects::list_images(&grant).await
        }
        .await,
    )
}

/// Removes an image; refused with the engine's reason while in use, unless `force`.
#[server(endpoint = "remove_image", output = crate::api::codec::Json)]
pub async fn remove_image(id: String, force: bool) -> Result<Vec<String>, AppError> {
    use crate::ops::{On, admit, objects};
    crate::auth::reply(
        async {
            let grant = admit(&objects::REMOVE_IMAGE, On::Nothing).await?;
            objects::remove_image(&grant, &id, force).await
        }
        .await,
    )
}

/// Removes dangling images.
#[server(endpoint = "prune_images", output = crate::api::codec::Json)]
pub async fn prune_images() -> Result<PruneReport, AppError> {
    use crate::ops::{On, admit, objects};
    crate::auth::reply(
        async {
            let grant = admit(&objects::PRUNE_IMAGES, On::Nothing).await?;
            objects::prune_images(&grant).await
        }
        .await,
    )
}

/// The networks the caller may see, by name.
#[server(endpoint = "list_networks", output = crate::api::codec::Json)]
pub async fn list_networks() -> Result<Vec<NetworkView>, AppError> {
    use crate::ops::{On, admit, objects};
    crate::auth::reply(
        async {
            let grant = admit(&objects::LIST_NETWORKS, On::Nothing).await?;
            objects::list_networks(&grant).await
        }
        .await,
    )
}

/// Creates a network in a workspace.
#[server(endpoint = "create_network", output = crate::api::codec::Json)]
pub async fn create_network(workspace: String, spec: NetworkSpec) -> Result<NetworkView, AppError> {
    use crate::ops::{On, admit, objects};
    crate::auth::reply(
        async {
            let grant = admit(&objects::CREATE_NETWORK, On::Workspace(&workspace)).await?;
            objects::create_network(&grant, &spec).await
        }
        .await,
    )
}

/// Removes a network (refused while containers are attached).
#[server(endpoint = "remove_network", output = crate::api::codec::Json)]
pub async fn remove_network(id: String) -> Result<(), AppError> {
    use crate::ops::{On, admit, objects};
    crate::auth::reply(
        async {
            let grant = admit(&objects::REMOVE_NETWORK, On::Object(&id)).await?;
            objects::remove_network(&grant, &id).await
        }
        .await,
    )
}

/// The volumes the caller may see, by name.
#[server(endpoint = "list_volumes", output = crate::api::codec::Json)]
pub async fn list_volumes() -> Result<Vec<VolumeView>, AppError> {
    use crate::ops::{On, admit, objects};
    crate::auth::reply(
        async {
            let grant = admit(&objects::LIST_VOLUMES, On::Nothing).await?;
            objects::list_volumes(&grant).await
        }
        .await,
    )
}

/// Creates a named volume in a workspace.
#[server(endpoint = "create_volume", output = crate::api::codec::Json)]
pub async fn create_volume(workspace: String, name: String) -> Result<VolumeView, AppError> {
    use crate::ops::{On, admit, objects};
    crate::auth::reply(
        async {
            let grant = admit(&objects::CREATE_VOLUME, On::Workspace(&workspace)).await?;
            objects::create_volume(&grant, &name).await
        }
        .await,
    )
}

/// Removes a volume (refused while a container uses it).
#[server(endpoint = "remove_volume", output = crate::api::codec::Json)]
pub async fn remove_volume(name: String) -> Result<(), AppError> {
    use crate::ops::{On, admit, objects};
    crate::auth::reply(
        async {
            let grant = admit(&objects::REMOVE_VOLUME, On::Object(&name)).await?;
            objects::remove_volume(&grant, &name).await
        }
        .await,
    )
}

/// Removes the workspace's volumes that no container uses.
#[server(endpoint = "prune_volumes", output = crate::api::codec::Json)]
pub async fn prune_volumes(workspace: String) -> Result<PruneReport, AppError> {
    use crate::ops::{On, admit, objects};
    crate::auth::reply(
        async {
            let grant = admit(&objects::PRUNE_VOLUMES, On::Workspace(&workspace)).await?;
            objects::prune_volumes(&grant).await
        }
        .await,
    )
}

/// Adopts an unmanaged container, network or volume into a workspace (platform admins): from
/// then on the workspace's members see and act on it. Answers its id (name for volumes).
#[server(endpoint = "adopt_object", output = crate::api::codec::Json)]
pub async fn adopt_object(workspace: String, kind: String, id: String) -> Result<String, AppError> {
    use crate::ops::{On, admit, objects};
    crate::auth::reply(
        async {
            let grant = admit(&objects::ADOPT, On::Workspace(&workspace)).await?;
            objects::adopt(&grant, &kind, &id).await
        }
        .await,
    )
}

/// Connects a container to a network, or disconnects it (`connect` false). Both must belong to
/// the same workspace (platform admins: any).
#[server(endpoint = "attach_network", output = crate::api::codec::Json)]
pub async fn attach_network(
    network: String,
    container: String,
    connect: bool,
) -> Result<(), AppError> {
    use crate::ops::{On, admit, objects};
    crate::auth::reply(
        async {
            let grant = admit(&objects::ATTACH_NETWORK, On::Object(&network)).await?;
            objects::attach_network(&grant, &network, &container, connect).await
        }
        .await,
    )
}

/// One image: configuration (secret-looking environment values masked), layers, history.
#[server(endpoint = "get_image", output = crate::api::codec::Json)]
pub async fn get_image(id: String) -> Result<engine::model::resources::ImageDetail, AppError> {
    use crate::ops::{On, admit, objects};
    crate::auth::reply(
        async {
            let grant = admit(&objects::GET_IMAGE, On::Nothing).await?;
            objects::get_image(&grant, &id).await
        }
        .await,
    )
}

/// Bytes used by each volume the caller may see, where Orbitr can read the volume's folder on
/// the engine's host (a volume missing from the answer: unknown).
#[server(endpoint = "volume_sizes", output = crate::api::codec::Json)]
pub async fn volume_sizes() -> Result<std::collections::HashMap<String, i64>, AppError> {
    use crate::ops::{On, admit, objects};
    crate::auth::reply(
        async {
            let grant = admit(&objects::VOLUME_SIZES, On::Nothing).await?;
            objects::volume_sizes(&grant).await
        }
        .await,
    )
}
