//! Workspaces, members and invitations as pages show them.

use serde::{Deserialize, Serialize};

/// A workspace in the switcher and lists, with the caller's role (`None`: a platform admin who
/// is not a member).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSummary {
    pub id: String,
    pub name: String,
    pub role: Option<String>,
    pub created_at: i64,
}

/// The caller's workspaces, the one they work in now and what they may do there.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WorkspaceContext {
    pub workspaces: Vec<WorkspaceSummary>,
    pub current: Option<String>,
    /// `object:action` pairs allowed in the current workspace (`*:*` for platform admins).
    pub permissions: Vec<String>,
    pub is_admin: bool,
}

impl WorkspaceContext {
    /// Whether the caller may perform `object:action` in the current workspace.
    pub fn can(&self, object: &str, action: &str) -> bool {
        allows(&self.permissions, object, action)
    }

    /// The current workspace.
    pub fn current_workspace(&self) -> Option<&WorkspaceSummary> {
        let id = self.current.as_deref()?;
        self.workspaces.iter().find(|w| w.id == id)
    }
}

/// One workspace as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceDetail {
    pub workspace: WorkspaceSummary,
    /// `object:action` pairs the caller holds here (`*:*` for platform admins).
    pub permissions: Vec<String>,
}

impl WorkspaceDetail {
    pub fn can(&self, object: &str, action: &str) -> bool {
        allows(&self.permissions, object, action)
    }
}

/// Whether a list of `object:action` permissions (`*:*`: everything) includes this one.
fn allows(permissions: &[String], object: &str, action: &str) -> bool {
    permissions.iter().any(|p| {
        p == "*:*"
            || p.split_once(':')
                .is_some_and(|(o, a)| o == object && a == action)
    })
}

/// A member row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub joined_at: i64,
}

/// A pending invitation (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: String,
    pub workspace_id: String,
    pub workspace_name: String,
    pub role: String,
    pub email: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A new invitation with its link path (`/invite/…`), shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInvitation {
    pub invitation: InvitationView,
    pub path: String,
    /// For an invitation with an email while a mail server is set: `Ok` when the link was
    /// mailed to it, else why not (the link is still shown to share by hand).
    pub mailed: Option<Result<(), String>>,
}
