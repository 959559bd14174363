//! Images, networks and volumes. Lists read Orbitr's live lists (kept current from the engine's
//! events) and name the containers using each object among those the caller may see. Images are
//! shared by every workspace: everyone signed in sees them, and only platform admins remove them.
//! Networks and volumes belong to the workspace that created them. What each function needs is
//! declared in [`crate::access::SERVER_FNS`].

use engine::resources::{ImageView, NetworkSpec, NetworkView, PruneReport, VolumeView};
use leptos::prelude::*;

use crate::error::AppError;

#[cfg(feature = "ssr")]
mod convert {
    use super::AppError;
    use engine::objects::ObjectError;

    impl From<ObjectError> for AppError {
        fn from(e: ObjectError) -> Self {
            match e {
                ObjectError::Invalid { field, message } => Self::Invalid { field, message },
                ObjectError::InUse(message) => Self::Conflict(message),
                ObjectError::NotFound(kind) => Self::NotFound(kind.into()),
                ObjectError::Docker(e) => e.into(),
            }
        }
    }
}

/// The caller's visible containers, images, networks and volumes, with `used_by` filled.
#[cfg(feature = "ssr")]
pub async fn visible(
    state: &crate::state::AppState,
    user: &engine::accounts::User,
    token: Option<&engine::tokens::TokenInfo>,
) -> Result<(Vec<ImageView>, Vec<NetworkView>, Vec<VolumeView>), AppError> {
    let scope = crate::access::readable(state, user, token, "container").await?;
    let docker = &state.docker;
    let containers = docker
        .containers()
        .filtered(|c| scope.sees(c.workspace.as_deref()));
    let mut images = docker.images().to_vec();
    let mut networks: Vec<NetworkView> = docker
        .networks()
        .iter()
        .filter(|n| scope.sees(n.workspace.as_deref()))
        .cloned()
        .collect();
    let mut volumes: Vec<VolumeView> = docker
        .volumes()
        .iter()
        .filter(|v| scope.sees(v.workspace.as_deref()))
        .cloned()
        .collect();
    engine::resources::fill_usage(&containers, &mut images, &mut networks, &mut volumes);
    Ok((images, networks, volumes))
}

/// Every image, newest first, with the containers (that the caller may see) using it.
#[server(endpoint = "list_images", output = crate::api::codec::Json)]
pub async fn list_images() -> Result<Vec<ImageView>, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<ListImages>(None).await?;
            let user = ctx.require_user()?;
            Ok(visible(&ctx.state, user, ctx.token.as_ref()).await?.0)
        }
        .await,
    )
}

/// Removes an image; refused with the engine's reason while in use, unless `force`.
#[server(endpoint = "remove_image", output = crate::api::codec::Json)]
pub async fn remove_image(id: String, force: bool) -> Result<Vec<String>, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<RemoveImage>(None).await?;
            let result = ctx.state.docker.remove_image(&id, force).await;
            ctx.audited("image.remove", Some(format!("image:{id}")), result)
                .await
        }
        .await,
    )
}

/// Removes dangling images.
#[server(endpoint = "prune_images", output = crate::api::codec::Json)]
pub async fn prune_images() -> Result<PruneReport, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<PruneImages>(None).await?;
            let result = ctx.state.docker.prune_images().await;
            ctx.audited("image.prune", None, result).await
        }
        .await,
    )
}

/// The networks the caller may see, by name.
#[server(endpoint = "list_networks", output = crate::api::codec::Json)]
pub async fn list_networks() -> Result<Vec<NetworkView>, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<ListNetworks>(None).await?;
            let user = ctx.require_user()?;
            Ok(visible(&ctx.state, user, ctx.token.as_ref()).await?.1)
        }
        .await,
    )
}

/// Creates a network in a workspace.
#[server(endpoint = "create_network", output = crate::api::codec::Json)]
pub async fn create_network(workspace: String, spec: NetworkSpec) -> Result<NetworkView, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<CreateNetwork>(Some(&workspace)).await?;
            let result = ctx.state.docker.create_network(&spec, &workspace).await;
            ctx.audited(
                "network.create",
                Some(format!("network:{}", spec.name.trim())),
                result,
            )
            .await
        }
        .await,
    )
}

/// Removes a network (refused while containers are attached).
#[server(endpoint = "remove_network", output = crate::api::codec::Json)]
pub async fn remove_network(id: String) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::auth::RequestCtx::authorize_owned::<RemoveNetwork>("network", &id).await?;
            let network = find_network(&ctx.state, &id)?;
            let result = ctx.state.docker.remove_network(&network.id).await;
            ctx.audited(
                "network.remove",
                Some(format!("network:{}", network.name)),
                result,
            )
            .await
        }
        .await,
    )
}

/// The volumes the caller may see, by name.
#[server(endpoint = "list_volumes", output = crate::api::codec::Json)]
pub async fn list_volumes() -> Result<Vec<VolumeView>, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<ListVolumes>(None).await?;
            let user = ctx.require_user()?;
            Ok(visible(&ctx.state, user, ctx.token.as_ref()).await?.2)
        }
        .await,
    )
}

/// Creates a named volume in a workspace.
#[server(endpoint = "create_volume", output = crate::api::codec::Json)]
pub async fn create_volume(workspace: String, name: String) -> Result<VolumeView, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<CreateVolume>(Some(&workspace)).await?;
            let result = ctx.state.docker.create_volume(&name, &workspace).await;
            ctx.audited(
                "volume.create",
                Some(format!("volume:{}", name.trim())),
                result,
            )
            .await
        }
        .await,
    )
}

/// Removes a volume (refused while a container uses it).
#[server(endpoint = "remove_volume", output = crate::api::codec::Json)]
pub async fn remove_volume(name: String) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::auth::RequestCtx::authorize_owned::<RemoveVolume>("volume", &name).await?;
            let result = ctx.state.docker.remove_volume(&name).await;
            ctx.audited("volume.remove", Some(format!("volume:{name}")), result)
                .await
        }
        .await,
    )
}

/// Removes the workspace's volumes that no container uses.
#[server(endpoint = "prune_volumes", output = crate::api::codec::Json)]
pub async fn prune_volumes(workspace: String) -> Result<PruneReport, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<PruneVolumes>(Some(&workspace)).await?;
            let result = ctx.state.docker.prune_volumes(&workspace).await;
            ctx.audited("volume.prune", None, result).await
        }
        .await,
    )
}

/// A network by id or name.
#[cfg(feature = "ssr")]
pub fn find_network(state: &crate::state::AppState, key: &str) -> Result<NetworkView, AppError> {
    state
        .docker
        .networks()
        .iter()
        .find(|n| n.id == key || n.name == key)
        .cloned()
        .ok_or_else(|| AppError::NotFound("network".into()))
}

#[cfg(feature = "ssr")]
impl From<engine::adoptions::AdoptError> for AppError {
    fn from(e: engine::adoptions::AdoptError) -> Self {
        use engine::adoptions::AdoptError;
        match e {
            AdoptError::BadKind(kind) => Self::Invalid {
                field: "kind".into(),
                message: format!("{kind:?} is not one of container, network, volume"),
            },
            AdoptError::NotFound(kind) => Self::NotFound(kind),
            AdoptError::NoWorkspace => Self::NotFound("workspace".into()),
            e @ AdoptError::Owned { .. } => Self::Conflict(e.to_string()),
            AdoptError::Db(e) => e.into(),
        }
    }
}

/// Adopts an unmanaged container, network or volume into a workspace (platform admins): from
/// then on the workspace's members see and act on it. Answers its id (name for volumes).
#[server(endpoint = "adopt_object", output = crate::api::codec::Json)]
pub async fn adopt_object(workspace: String, kind: String, id: String) -> Result<String, AppError> {
    crate::auth::reply(
        async {
            let mut ctx = crate::auth::RequestCtx::authorize::<AdoptObject>(None).await?;
            ctx.workspace = Some(workspace.clone());
            let actor = ctx.actor();
            let result = ctx
                .state
                .adoptions
                .adopt(&ctx.state.docker, &kind, &id, &workspace, &actor)
                .await;
            ctx.audited("object.adopt", Some(format!("{kind}:{id}")), result)
                .await
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
    crate::auth::reply(
        async {
            let ctx =
                crate::auth::RequestCtx::authorize_owned::<AttachNetwork>("network", &network)
                    .await?;
            let (net, found) = attachable_for(
                &ctx.state,
                ctx.user.as_ref(),
                ctx.token.as_ref(),
                &network,
                &container,
            )
            .await?;
            let result = ctx.state.docker.attach(&net.id, &found.id, connect).await;
            ctx.audited(
                if connect {
                    "network.connect"
                } else {
                    "network.disconnect"
                },
                Some(format!("network:{} container:{}", net.name, found.name)),
                result,
            )
            .await
        }
        .await,
    )
}

/// The network and container of an attach, checked: the caller may operate the container, and
/// it belongs to the network's workspace unless the caller is a platform admin.
#[cfg(feature = "ssr")]
pub async fn attachable_for(
    state: &crate::state::AppState,
    user: Option<&engine::accounts::User>,
    token: Option<&engine::tokens::TokenInfo>,
    network: &str,
    container: &str,
) -> Result<(NetworkView, engine::resources::ContainerView), AppError> {
    use crate::access::{Need, check};
    let net = find_network(state, network)?;
    let found = state
        .docker
        .containers()
        .find(container)
        .ok_or_else(|| AppError::NotFound("container".into()))?;
    let need = Need::Owned("container", "operate");
    if check(state, user, token, need, found.workspace.as_deref())
        .await
        .is_err()
    {
        return Err(AppError::NotFound("container".into()));
    }
    let admin = check(state, user, token, Need::Platform("object", "adopt"), None)
        .await
        .is_ok();
    if !admin && found.workspace != net.workspace {
        return Err(AppError::Invalid {
            field: "container".into(),
            message: "the container and the network belong to different workspaces".into(),
        });
    }
    Ok((net, found))
}

/// One image: configuration (secret-looking environment values masked), layers, history.
#[server(endpoint = "get_image", output = crate::api::codec::Json)]
pub async fn get_image(id: String) -> Result<engine::resources::ImageDetail, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<GetImage>(None).await?;
            let user = ctx.require_user()?;
            image_detail(&ctx.state, user, ctx.token.as_ref(), &id).await
        }
        .await,
    )
}

/// An image's details, naming only the containers (using it) that the caller may see. Shared
/// with the REST route.
#[cfg(feature = "ssr")]
pub async fn image_detail(
    state: &crate::state::AppState,
    user: &engine::accounts::User,
    token: Option<&engine::tokens::TokenInfo>,
    id: &str,
) -> Result<engine::resources::ImageDetail, AppError> {
    let mut detail = state.docker.inspect_image(id).await?;
    detail.summary.used_by = visible(state, user, token)
        .await?
        .0
        .into_iter()
        .find(|i| i.id == detail.summary.id)
        .map(|i| i.used_by)
        .unwrap_or_default();
    Ok(detail)
}

/// Bytes used by each volume the caller may see, where Orbitr can read the volume's folder on
/// the engine's host (a volume missing from the answer: unknown).
#[server(endpoint = "volume_sizes", output = crate::api::codec::Json)]
pub async fn volume_sizes() -> Result<std::collections::HashMap<String, i64>, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<VolumeSizes>(None).await?;
            let user = ctx.require_user()?;
            let names = visible(&ctx.state, user, ctx.token.as_ref())
                .await?
                .2
                .into_iter()
                .map(|v| v.name)
                .collect();
            Ok(ctx.state.docker.volume_sizes(names).await)
        }
        .await,
    )
}
