//! Registry credentials and image pulls over server functions: each one transports its
//! operation in [`crate::ops::registries`] (where what it needs is declared, and the work and
//! its audit record happen).

use engine::model::resources::RegistryCredential;
use leptos::prelude::*;

use crate::error::AppError;

/// The workspace's registry credentials (never their passwords).
#[server(endpoint = "list_registry_credentials", output = crate::api::codec::Json)]
pub async fn list_registry_credentials(
    workspace: String,
) -> Result<Vec<RegistryCredential>, AppError> {
    use crate::ops::{On, admit, registries};
    crate::auth::reply(
        async {
            let grant = admit(&registries::LIST, On::Workspace(&workspace)).await?;
            registries::list(&grant).await
        }
        .await,
    )
}

/// Saves (or replaces) the workspace's credential for a registry.
#[server(endpoint = "save_registry_credential", output = crate::api::codec::Json)]
pub async fn save_registry_credential(
    workspace: String,
    registry: String,
    username: String,
    password: String,
) -> Result<RegistryCredential, AppError> {
    use crate::ops::{On, admit, registries};
    crate::auth::reply(
        async {
            let grant = admit(&registries::SAVE, On::Workspace(&workspace)).await?;
            registries::save(&grant, &registry, &username, &password).await
        }
        .await,
    )
}

/// Deletes one of the workspace's registry credentials.
#[server(endpoint = "remove_registry_credential", output = crate::api::codec::Json)]
pub async fn remove_registry_credential(workspace: String, id: String) -> Result<(), AppError> {
    use crate::ops::{On, admit, registries};
    crate::auth::reply(
        async {
            let grant = admit(&registries::REMOVE, On::Workspace(&workspace)).await?;
            registries::remove(&grant, &id).await
        }
        .await,
    )
}

/// Starts pulling an image for a workspace (with its credentials for the image's registry).
/// Answers the pull's id at once; progress arrives on the live websocket, and the outcome is
/// audited when it ends.
#[server(endpoint = "pull_image", output = crate::api::codec::Json)]
pub async fn pull_image(workspace: String, reference: String) -> Result<String, AppError> {
    use crate::ops::{On, admit, registries};
    crate::auth::reply(
        async {
            let grant = admit(&registries::PULL, On::Workspace(&workspace)).await?;
            registries::pull(&grant, &reference).await
        }
        .await,
    )
}
