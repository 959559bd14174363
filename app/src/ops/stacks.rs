//! Compose stacks: lists show what the caller may read; one stack is checked in the workspace that
//! owns it.

use super::Op;
use crate::access::Need;

/// The stacks the caller may see.
pub static LIST: Op = Op {
    name: "stack.list",
    need: Need::SignedIn,
};
/// One stack: files, revisions, last operations.
pub static GET: Op = Op {
    name: "stack.get",
    need: Need::Owned("stack", "read"),
};
/// Creating a stack in a workspace.
pub static CREATE: Op = Op {
    name: "stack.create",
    need: Need::Workspace("stack", "deploy"),
};
/// Saving a stack's files as a new revision.
pub static SAVE: Op = Op {
    name: "stack.save",
    need: Need::Owned("stack", "deploy"),
};
/// Checking a stack's files without saving them.
pub static CHECK: Op = Op {
    name: "stack.check",
    need: Need::Owned("stack", "read"),
};
/// Deploying, stopping, starting, restarting, rolling back or taking down a stack.
pub static OPERATE: Op = Op {
    name: "stack.operate",
    need: Need::Owned("stack", "deploy"),
};
/// Deleting a stack that is down.
pub static DELETE: Op = Op {
    name: "stack.delete",
    need: Need::Owned("stack", "deploy"),
};
/// One saved revision of a stack.
pub static GET_REVISION: Op = Op {
    name: "stack.get_revision",
    need: Need::Owned("stack", "read"),
};
/// A stack's operations, newest first.
pub static LIST_DEPLOYS: Op = Op {
    name: "stack.list_deploys",
    need: Need::Owned("stack", "read"),
};
/// One operation of a stack, with its events.
pub static GET_DEPLOY: Op = Op {
    name: "stack.get_deploy",
    need: Need::Owned("stack", "read"),
};
/// A stack's retained logs, downloaded.
pub static LOGS: Op = Op {
    name: "stack.logs",
    need: Need::Owned("stack", "logs"),
};
/// Compose projects Orbitr does not manage.
pub static LIST_UNMANAGED: Op = Op {
    name: "stack.list_unmanaged",
    need: Need::Platform("object", "adopt"),
};
/// Adopting a Compose project as a stack of a workspace.
pub static ADOPT: Op = Op {
    name: "stack.adopt",
    need: Need::Platform("object", "adopt"),
};
