//! Images (shared by every workspace: all see them, platform admins remove them), networks and volumes (each checked in the workspace that owns it), and adopting unmanaged objects.

use super::Op;
use crate::access::Need;

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
