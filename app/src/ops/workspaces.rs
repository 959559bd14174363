//! Workspaces, their members and invitations.

use super::Op;
use crate::access::Need;

/// The caller's workspaces.
pub static MINE: Op = Op {
    name: "workspace.mine",
    need: Need::SignedIn,
};
/// Choosing the workspace pages work in.
pub static SWITCH: Op = Op {
    name: "workspace.switch",
    need: Need::Workspace("workspace", "read"),
};
/// Creating a workspace.
pub static CREATE: Op = Op {
    name: "workspace.create",
    need: Need::Platform("workspace", "create"),
};
/// One workspace.
pub static GET: Op = Op {
    name: "workspace.get",
    need: Need::Workspace("workspace", "read"),
};
/// Renaming a workspace.
pub static RENAME: Op = Op {
    name: "workspace.rename",
    need: Need::Workspace("workspace", "update"),
};
/// Deleting a workspace.
pub static DELETE: Op = Op {
    name: "workspace.delete",
    need: Need::Workspace("workspace", "delete"),
};
/// A workspace's members.
pub static LIST_MEMBERS: Op = Op {
    name: "member.list",
    need: Need::Workspace("member", "read"),
};
/// Changing a member's role.
pub static SET_MEMBER_ROLE: Op = Op {
    name: "member.set_role",
    need: Need::Workspace("member", "manage"),
};
/// Removing a member.
pub static REMOVE_MEMBER: Op = Op {
    name: "member.remove",
    need: Need::Workspace("member", "manage"),
};
/// Leaving a workspace.
pub static LEAVE: Op = Op {
    name: "workspace.leave",
    need: Need::Workspace("workspace", "read"),
};
/// A workspace's open invitations.
pub static LIST_INVITATIONS: Op = Op {
    name: "invitation.list",
    need: Need::Workspace("member", "manage"),
};
/// Inviting someone (the link is shown once).
pub static CREATE_INVITATION: Op = Op {
    name: "invitation.create",
    need: Need::Workspace("member", "manage"),
};
/// Revoking an invitation.
pub static REVOKE_INVITATION: Op = Op {
    name: "invitation.revoke",
    need: Need::Workspace("member", "manage"),
};
/// Whether an invitation link is still good.
pub static CHECK_INVITATION: Op = Op {
    name: "invitation.check",
    need: Need::Anyone,
};
/// Accepting an invitation (signing up or in).
pub static ACCEPT_INVITATION: Op = Op {
    name: "invitation.accept",
    need: Need::Anyone,
};
