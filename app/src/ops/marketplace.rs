//! The marketplace: the catalog and its sources, installed apps, reviews. Reading the catalog and
//! reviewing are open to every signed-in user; a review is always the caller's own.

use super::Op;
use crate::access::Need;

/// Searching the catalog.
pub static SEARCH: Op = Op {
    name: "extension.search",
    need: Need::SignedIn,
};
/// One extension of the catalog.
pub static GET: Op = Op {
    name: "extension.get",
    need: Need::SignedIn,
};
/// The extension manifest's JSON Schema.
pub static SCHEMA: Op = Op {
    name: "extension.schema",
    need: Need::Anyone,
};
/// An extension's reviews.
pub static LIST_REVIEWS: Op = Op {
    name: "review.list",
    need: Need::SignedIn,
};
/// Writing one's own review.
pub static SAVE_REVIEW: Op = Op {
    name: "review.save",
    need: Need::SignedIn,
};
/// Deleting one's own review.
pub static DELETE_REVIEW: Op = Op {
    name: "review.delete",
    need: Need::SignedIn,
};
/// Marking a review helpful, or not.
pub static VOTE_REVIEW: Op = Op {
    name: "review.vote",
    need: Need::SignedIn,
};
/// The catalog's sources.
pub static LIST_SOURCES: Op = Op {
    name: "extension_source.list",
    need: Need::Platform("extension_source", "manage"),
};
/// Adding a source to the catalog.
pub static ADD_SOURCE: Op = Op {
    name: "extension_source.add",
    need: Need::Platform("extension_source", "manage"),
};
/// Syncing a source now.
pub static SYNC_SOURCE: Op = Op {
    name: "extension_source.sync",
    need: Need::Platform("extension_source", "manage"),
};
/// Removing a source.
pub static REMOVE_SOURCE: Op = Op {
    name: "extension_source.remove",
    need: Need::Platform("extension_source", "manage"),
};
/// The installed apps the caller may see.
pub static LIST_APPS: Op = Op {
    name: "app.list",
    need: Need::SignedIn,
};
/// Installs waiting for a platform admin's approval.
pub static LIST_AWAITING: Op = Op {
    name: "app.list_awaiting",
    need: Need::Platform("extension", "approve"),
};
/// A workspace's installed apps.
pub static LIST_WORKSPACE_APPS: Op = Op {
    name: "app.list_workspace",
    need: Need::Workspace("extension", "read"),
};
/// One installed app.
pub static GET_APP: Op = Op {
    name: "app.get",
    need: Need::Workspace("extension", "read"),
};
/// What an install would do, checked, without doing it.
pub static PLAN: Op = Op {
    name: "app.plan",
    need: Need::Workspace("extension", "read"),
};
/// Installing an extension as an app of a workspace.
pub static INSTALL: Op = Op {
    name: "app.install",
    need: Need::Workspace("extension", "install"),
};
/// Installing straight from a git repository (which becomes a source).
pub static INSTALL_FROM_GIT: Op = Op {
    name: "app.install_from_git",
    need: Need::Platform("extension_source", "manage"),
};
/// What updating an app would change.
pub static UPDATE_PREVIEW: Op = Op {
    name: "app.update_preview",
    need: Need::Workspace("extension", "read"),
};
/// Updating an app.
pub static UPDATE: Op = Op {
    name: "app.update",
    need: Need::Workspace("extension", "install"),
};
/// Uninstalling an app, keeping or deleting its data.
pub static UNINSTALL: Op = Op {
    name: "app.uninstall",
    need: Need::Workspace("extension", "install"),
};
/// Approving an install that asks for host access.
pub static APPROVE: Op = Op {
    name: "app.approve",
    need: Need::Platform("extension", "approve"),
};
