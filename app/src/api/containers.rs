//! Containers over server functions: each one transports its operation in
//! [`crate::ops::containers`] (where what it needs is declared, and the work and its audit
//! record happen).

use engine::model::resources::{ContainerDetail, ContainerList, ContainerView};
use leptos::prelude::*;

use crate::error::AppError;

pub use engine::model::resources::{ContainerSpec, PolicyView, SecurityPolicy};

/// The containers the caller may see (every one for platform admins, unmanaged included),
/// by name, with whether the list may be out of date.
#[server(endpoint = "list_containers", output = crate::api::codec::Json)]
pub async fn list_containers() -> Result<ContainerList, AppError> {
    use crate::ops::{On, admit, containers};
    crate::auth::reply(
        async {
            let grant = admit(&containers::LIST, On::Nothing).await?;
            containers::list(&grant, &containers::Filter::default()).await
        }
        .await,
    )
}

/// One container, inspected now (environment values of secret-looking keys masked).
#[server(endpoint = "get_container", output = crate::api::codec::Json)]
pub async fn get_container(id: String) -> Result<ContainerDetail, AppError> {
    use crate::ops::{On, admit, containers};
    crate::auth::reply(
        async {
            let grant = admit(&containers::GET, On::Object(&id)).await?;
            containers::get(&grant, &id).await
        }
        .await,
    )
}

/// Starts, stops, restarts, kills, pauses or resumes a container; answers its new state.
#[server(endpoint = "container_action", output = crate::api::codec::Json)]
pub async fn container_action(id: String, action: String) -> Result<ContainerView, AppError> {
    use crate::ops::{On, admit, containers};
    crate::auth::reply(
        async {
            let grant = admit(&containers::ACT, On::Object(&id)).await?;
            containers::act(&grant, &id, &action).await
        }
        .await,
    )
}

/// Renames a container.
#[server(endpoint = "rename_container", output = crate::api::codec::Json)]
pub async fn rename_container(id: String, name: String) -> Result<(), AppError> {
    use crate::ops::{On, admit, containers};
    crate::auth::reply(
        async {
            let grant = admit(&containers::RENAME, On::Object(&id)).await?;
            containers::rename(&grant, &id, &name).await
        }
        .await,
    )
}

/// Removes a container (stopping it first), with its anonymous volumes when `volumes`.
#[server(endpoint = "remove_container", output = crate::api::codec::Json)]
pub async fn remove_container(id: String, volumes: bool) -> Result<(), AppError> {
    use crate::ops::{On, admit, containers};
    crate::auth::reply(
        async {
            let grant = admit(&containers::REMOVE, On::Object(&id)).await?;
            containers::remove(&grant, &id, volumes).await
        }
        .await,
    )
}

/// Creates a container in a workspace from the form, checked field by field and against the
/// workspace's security policy (platform admins are not limited by it).
#[server(endpoint = "create_container", output = crate::api::codec::Json)]
pub async fn create_container(
    workspace: String,
    spec: ContainerSpec,
) -> Result<ContainerView, AppError> {
    use crate::ops::{On, admit, containers};
    crate::auth::reply(
        async {
            let grant = admit(&containers::CREATE, On::Workspace(&workspace)).await?;
            containers::create(&grant, &spec).await
        }
        .await,
    )
}

/// A workspace's security policy.
#[server(endpoint = "get_security_policy", output = crate::api::codec::Json)]
pub async fn get_security_policy(workspace: String) -> Result<PolicyView, AppError> {
    use crate::ops::{On, admit, containers};
    crate::auth::reply(
        async {
            let grant = admit(&containers::GET_POLICY, On::Workspace(&workspace)).await?;
            containers::get_policy(&grant).await
        }
        .await,
    )
}

/// Replaces a workspace's security policy (platform admins).
#[server(endpoint = "set_security_policy", output = crate::api::codec::Json)]
pub async fn set_security_policy(
    workspace: String,
    policy: SecurityPolicy,
) -> Result<SecurityPolicy, AppError> {
    use crate::ops::{On, admit, containers};
    crate::auth::reply(
        async {
            let grant = admit(&containers::SET_POLICY, On::Workspace(&workspace)).await?;
            containers::set_policy(&grant, policy).await
        }
        .await,
    )
}
