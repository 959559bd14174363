//! Workspaces, their members and invitations.

use engine::audit::Outcome;
use engine::workspaces::{Invitation, Membership, WorkspaceError};

use super::{Grant, Op};
use crate::access::Need;
use crate::error::AppError;
use crate::model::workspaces::{InvitationView, MemberView, WorkspaceSummary};

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

impl From<Membership> for WorkspaceSummary {
    fn from(m: Membership) -> Self {
        Self {
            id: m.workspace.id,
            name: m.workspace.name,
            role: m.role.map(|r| r.as_str().to_owned()),
            created_at: m.workspace.created_at,
        }
    }
}

impl From<engine::workspaces::Member> for MemberView {
    fn from(m: engine::workspaces::Member) -> Self {
        Self {
            user_id: m.user_id,
            email: m.email,
            name: m.name,
            role: m.role.as_str().to_owned(),
            joined_at: m.joined_at,
        }
    }
}

impl From<Invitation> for InvitationView {
    fn from(i: Invitation) -> Self {
        Self {
            id: i.id,
            workspace_id: i.workspace_id,
            workspace_name: i.workspace_name,
            role: i.role.as_str().to_owned(),
            email: i.email,
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

impl From<WorkspaceError> for AppError {
    fn from(e: WorkspaceError) -> Self {
        match e {
            WorkspaceError::Invalid { field, message } => Self::Invalid {
                field: field.into(),
                message: message.into(),
            },
            WorkspaceError::NameTaken => Self::Invalid {
                field: "name".into(),
                message: "a workspace with this name already exists".into(),
            },
            WorkspaceError::NotFound => Self::NotFound("workspace".into()),
            WorkspaceError::NoSuchMember => Self::NotFound("member".into()),
            e @ (WorkspaceError::LastOwner
            | WorkspaceError::AlreadyMember
            | WorkspaceError::IdentityTaken
            | WorkspaceError::Unusable(_)) => Self::Conflict(e.to_string()),
            WorkspaceError::Account(e) => e.into(),
            other => {
                tracing::error!(error = %other, "workspace operation failed");
                Self::Internal
            }
        }
    }
}

/// The caller's workspaces (every one for a platform admin), by name.
pub async fn mine(grant: &Grant) -> Result<Vec<WorkspaceSummary>, AppError> {
    grant.expect(&MINE)?;
    let user = grant.require_user()?;
    Ok(grant
        .state
        .workspaces
        .for_user(user)
        .await?
        .into_iter()
        .map(WorkspaceSummary::from)
        .collect())
}

/// Creates a workspace with the caller as owner (audited once it exists, in it).
pub async fn create(grant: &mut Grant, name: &str) -> Result<WorkspaceSummary, AppError> {
    grant.expect(&CREATE)?;
    let user = grant.require_user()?.clone();
    let ws = grant.state.workspaces.create(name, &user).await?;
    grant.workspace = Some(ws.id.clone());
    grant
        .audit(
            "workspace.create",
            Some(format!("workspace:{} ({})", ws.id, ws.name)),
            Outcome::Ok,
            None,
        )
        .await;
    Ok(WorkspaceSummary {
        id: ws.id,
        name: ws.name,
        role: Some("owner".into()),
        created_at: ws.created_at,
    })
}

/// The granted workspace, with the caller's role in it (`None`: a platform admin who is not a
/// member).
pub async fn get(grant: &Grant) -> Result<WorkspaceSummary, AppError> {
    grant.expect(&GET)?;
    let user = grant.require_user()?;
    let id = grant.in_workspace()?;
    let ws = grant
        .state
        .workspaces
        .get(id)
        .await?
        .ok_or_else(|| AppError::NotFound("workspace".into()))?;
    let role = grant.state.workspaces.role_of(id, &user.id).await?;
    Ok(WorkspaceSummary {
        id: ws.id,
        name: ws.name,
        role: role.map(|r| r.as_str().to_owned()),
        created_at: ws.created_at,
    })
}

/// The granted workspace's members, owners first.
pub async fn list_members(grant: &Grant) -> Result<Vec<MemberView>, AppError> {
    grant.expect(&LIST_MEMBERS)?;
    let id = grant.in_workspace()?;
    Ok(grant
        .state
        .workspaces
        .members(id)
        .await?
        .into_iter()
        .map(MemberView::from)
        .collect())
}
