//! Images (shared by every workspace: all see them, platform admins remove them), networks and
//! volumes (each checked in the workspace that owns it), and adopting unmanaged objects.

use std::collections::HashMap;

use engine::docker::objects::ObjectError;
use engine::model::resources::{
    ContainerView, ImageDetail, ImageView, NetworkSpec, NetworkView, PruneReport, VolumeView,
};

use super::{Caller, Grant, Op};
use crate::access::Need;
use crate::error::AppError;

/// Images (shared by every workspace: all see them).
pub static LIST_IMAGES: Op = Op {
    name: "image.list",
    need: Need::SignedIn,
};
/// One image.
pub static GET_IMAGE: Op = Op {
    name: "image.get",
    need: Need::SignedIn,
};
/// Removing an image (platform admins).
pub static REMOVE_IMAGE: Op = Op {
    name: "image.remove",
    need: Need::Platform("image", "remove"),
};
/// Removing unused images (platform admins).
pub static PRUNE_IMAGES: Op = Op {
    name: "image.prune",
    need: Need::Platform("image", "remove"),
};
/// The networks the caller may see.
pub static LIST_NETWORKS: Op = Op {
    name: "network.list",
    need: Need::SignedIn,
};
/// Creating a network in a workspace.
pub static CREATE_NETWORK: Op = Op {
    name: "network.create",
    need: Need::Workspace("network", "manage"),
};
/// Removing a network.
pub static REMOVE_NETWORK: Op = Op {
    name: "network.remove",
    need: Need::Owned("network", "manage"),
};
/// Connecting a container to a network, or disconnecting it.
pub static ATTACH_NETWORK: Op = Op {
    name: "network.attach",
    need: Need::Owned("network", "manage"),
};
/// The volumes the caller may see.
pub static LIST_VOLUMES: Op = Op {
    name: "volume.list",
    need: Need::SignedIn,
};
/// The sizes of the volumes the caller may see.
pub static VOLUME_SIZES: Op = Op {
    name: "volume.sizes",
    need: Need::SignedIn,
};
/// Creating a volume in a workspace.
pub static CREATE_VOLUME: Op = Op {
    name: "volume.create",
    need: Need::Workspace("volume", "manage"),
};
/// Removing a volume.
pub static REMOVE_VOLUME: Op = Op {
    name: "volume.remove",
    need: Need::Owned("volume", "manage"),
};
/// Removing a workspace's unused volumes.
pub static PRUNE_VOLUMES: Op = Op {
    name: "volume.prune",
    need: Need::Workspace("volume", "manage"),
};
/// Adopting an unmanaged container, network or volume into a workspace.
pub static ADOPT: Op = Op {
    name: "object.adopt",
    need: Need::Platform("object", "adopt"),
};

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

impl From<engine::tenancy::adoptions::AdoptError> for AppError {
    fn from(e: engine::tenancy::adoptions::AdoptError) -> Self {
        use engine::tenancy::adoptions::AdoptError;
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

/// The caller's visible images, networks and volumes, with `used_by` naming only the
/// containers the caller may see.
pub(super) async fn visible(
    caller: &Caller,
) -> Result<(Vec<ImageView>, Vec<NetworkView>, Vec<VolumeView>), AppError> {
    let user = caller.require_user()?;
    let scope =
        crate::access::readable(&caller.state, user, caller.token.as_ref(), "container").await?;
    let docker = &caller.state.docker;
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
    engine::model::resources::fill_usage(&containers, &mut images, &mut networks, &mut volumes);
    Ok((images, networks, volumes))
}

/// Every image, newest first, with the containers (that the caller may see) using each.
pub async fn list_images(grant: &Grant) -> Result<Vec<ImageView>, AppError> {
    grant.expect(&LIST_IMAGES)?;
    Ok(visible(grant).await?.0)
}

/// One image: configuration (secret-looking environment values masked), layers, history, and
/// the containers using it that the caller may see.
pub async fn get_image(grant: &Grant, id: &str) -> Result<ImageDetail, AppError> {
    grant.expect(&GET_IMAGE)?;
    let mut detail = grant.state.docker.inspect_image(id).await?;
    detail.summary.used_by = visible(grant)
        .await?
        .0
        .into_iter()
        .find(|i| i.id == detail.summary.id)
        .map(|i| i.used_by)
        .unwrap_or_default();
    Ok(detail)
}

/// Removes an image; refused with the engine's reason while in use, unless `force`. Answers
/// what was untagged and deleted.
pub async fn remove_image(grant: &Grant, id: &str, force: bool) -> Result<Vec<String>, AppError> {
    grant.expect(&REMOVE_IMAGE)?;
    let result = grant.state.docker.remove_image(id, force).await;
    grant
        .audited("image.remove", Some(format!("image:{id}")), result)
        .await
}

/// Removes dangling images.
pub async fn prune_images(grant: &Grant) -> Result<PruneReport, AppError> {
    grant.expect(&PRUNE_IMAGES)?;
    let result = grant.state.docker.prune_images().await;
    grant.audited("image.prune", None, result).await
}

/// The networks the caller may see (platform admins: every one), by name.
pub async fn list_networks(grant: &Grant) -> Result<Vec<NetworkView>, AppError> {
    grant.expect(&LIST_NETWORKS)?;
    Ok(visible(grant).await?.1)
}

/// Creates a network in the granted workspace.
pub async fn create_network(grant: &Grant, spec: &NetworkSpec) -> Result<NetworkView, AppError> {
    grant.expect(&CREATE_NETWORK)?;
    let workspace = grant.in_workspace()?;
    let result = grant.state.docker.create_network(spec, workspace).await;
    grant
        .audited(
            "network.create",
            Some(format!("network:{}", spec.name.trim())),
            result,
        )
        .await
}

/// Removes a network (refused while containers are attached).
pub async fn remove_network(grant: &Grant, key: &str) -> Result<(), AppError> {
    grant.expect(&REMOVE_NETWORK)?;
    let network = find_network(grant, key)?;
    let result = grant.state.docker.remove_network(&network.id).await;
    grant
        .audited(
            "network.remove",
            Some(format!("network:{}", network.name)),
            result,
        )
        .await
}

/// Connects a container to a network, or disconnects it (`connect` false). The caller must
/// be able to operate the container, and both must belong to the same workspace (platform
/// admins: any).
pub async fn attach_network(
    grant: &Grant,
    network: &str,
    container: &str,
    connect: bool,
) -> Result<(), AppError> {
    grant.expect(&ATTACH_NETWORK)?;
    let net = find_network(grant, network)?;
    let found: ContainerView = grant
        .state
        .docker
        .containers()
        .find(container)
        .ok_or_else(|| AppError::NotFound("container".into()))?;
    if !grant
        .holds(
            Need::Owned("container", "operate"),
            found.workspace.as_deref(),
        )
        .await
    {
        return Err(AppError::NotFound("container".into()));
    }
    if !grant.holds(ADOPT.need, None).await && found.workspace != net.workspace {
        return Err(AppError::Invalid {
            field: "container".into(),
            message: "the container and the network belong to different workspaces".into(),
        });
    }
    let result = grant.state.docker.attach(&net.id, &found.id, connect).await;
    grant
        .audited(
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

/// The volumes the caller may see (platform admins: every one), by name.
pub async fn list_volumes(grant: &Grant) -> Result<Vec<VolumeView>, AppError> {
    grant.expect(&LIST_VOLUMES)?;
    Ok(visible(grant).await?.2)
}

/// Bytes used by each volume the caller may see, where Orbitr can read the volume's folder on
/// the engine's host (a volume missing from the answer: unknown).
pub async fn volume_sizes(grant: &Grant) -> Result<HashMap<String, i64>, AppError> {
    grant.expect(&VOLUME_SIZES)?;
    let names = visible(grant)
        .await?
        .2
        .into_iter()
        .map(|v| v.name)
        .collect();
    Ok(grant.state.docker.volume_sizes(names).await)
}

/// Creates a named volume in the granted workspace.
pub async fn create_volume(grant: &Grant, name: &str) -> Result<VolumeView, AppError> {
    grant.expect(&CREATE_VOLUME)?;
    let workspace = grant.in_workspace()?;
    let result = grant.state.docker.create_volume(name, workspace).await;
    grant
        .audited(
            "volume.create",
            Some(format!("volume:{}", name.trim())),
            result,
        )
        .await
}

/// Removes a volume (refused while a container uses it).
pub async fn remove_volume(grant: &Grant, name: &str) -> Result<(), AppError> {
    grant.expect(&REMOVE_VOLUME)?;
    let result = grant.state.docker.remove_volume(name).await;
    grant
        .audited("volume.remove", Some(format!("volume:{name}")), result)
        .await
}

/// Removes the granted workspace's volumes that no container uses.
pub async fn prune_volumes(grant: &Grant) -> Result<PruneReport, AppError> {
    grant.expect(&PRUNE_VOLUMES)?;
    let workspace = grant.in_workspace()?;
    let result = grant.state.docker.prune_volumes(workspace).await;
    grant.audited("volume.prune", None, result).await
}

/// Adopts an unmanaged container, network or volume (`kind`, `id`: id or name) into the named
/// workspace: from then on its members see and act on it. Answers its id (name for volumes).
pub async fn adopt(grant: &Grant, kind: &str, id: &str) -> Result<String, AppError> {
    grant.expect(&ADOPT)?;
    let workspace = grant
        .workspace
        .clone()
        .ok_or_else(|| AppError::NotFound("workspace".into()))?;
    let result = grant
        .state
        .adoptions
        .adopt(&grant.state.docker, kind, id, &workspace, &grant.actor())
        .await;
    grant
        .audited("object.adopt", Some(format!("{kind}:{id}")), result)
        .await
}

/// A network of the live state by id or name.
fn find_network(grant: &Grant, key: &str) -> Result<NetworkView, AppError> {
    grant
        .state
        .docker
        .networks()
        .iter()
        .find(|n| n.id == key || n.name == key)
        .cloned()
        .ok_or_else(|| AppError::NotFound("network".into()))
}
