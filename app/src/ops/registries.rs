//! Registry credentials per workspace (sealed) and pulling images with them.

use super::Op;
use crate::access::Need;

/// A workspace's registry credentials (secrets never shown).
pub static LIST: Op = Op {
    name: "registry.list",
    need: Need::Workspace("registry", "manage"),
};
/// Saving a registry credential (sealed).
pub static SAVE: Op = Op {
    name: "registry.save",
    need: Need::Workspace("registry", "manage"),
};
/// Removing a registry credential.
pub static REMOVE: Op = Op {
    name: "registry.remove",
    need: Need::Workspace("registry", "manage"),
};
/// Pulling an image with the workspace's credentials.
pub static PULL: Op = Op {
    name: "image.pull",
    need: Need::Workspace("image", "pull"),
};
