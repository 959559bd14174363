//! Workspaces, members and invitations. What each function needs is declared in
//! [`crate::access::SERVER_FNS`]; the check happens in `RequestCtx::authorize`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

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
}

#[cfg(feature = "ssr")]
mod convert {
    use super::*;
    use engine::workspaces::{Invitation, Membership, WorkspaceError};

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
}

/// Session key of the workspace the user works in.
#[cfg(feature = "ssr")]
pub(crate) const SESSION_WORKSPACE: &str = "workspace";

#[cfg(feature = "ssr")]
fn permissions_of(user: &engine::accounts::User, role: Option<&str>) -> Vec<String> {
    if user.is_admin {
        vec!["*:*".to_owned()]
    } else {
        role.map(|r| engine::access::role_permissions(r).into_iter().collect())
            .unwrap_or_default()
    }
}

#[cfg(feature = "ssr")]
fn internal(e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "session store failed");
    AppError::Internal
}

/// The caller's workspaces and the current one (kept in the session; the first one until the
/// user picks another).
#[server(endpoint = "my_workspaces", output = crate::api::codec::Json)]
pub async fn my_workspaces() -> Result<WorkspaceContext, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<MyWorkspaces>(None).await?;
            let user = ctx.require_user()?;
            let workspaces: Vec<WorkspaceSummary> = ctx
                .state
                .workspaces
                .for_user(user)
                .await?
                .into_iter()
                .map(WorkspaceSummary::from)
                .collect();
            let chosen: Option<String> = match &ctx.session {
                Some(session) => session.get(SESSION_WORKSPACE).await.map_err(internal)?,
                None => None,
            };
            let current = chosen
                .and_then(|id| workspaces.iter().find(|w| w.id == id))
                .or_else(|| workspaces.first());
            Ok(WorkspaceContext {
                permissions: permissions_of(user, current.and_then(|w| w.role.as_deref())),
                current: current.map(|w| w.id.clone()),
                is_admin: user.is_admin,
                workspaces,
            })
        }
        .await,
    )
}

/// Makes `workspace` the one the user works in.
#[server(endpoint = "switch_workspace", output = crate::api::codec::Json)]
pub async fn switch_workspace(workspace: String) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::auth::RequestCtx::authorize::<SwitchWorkspace>(Some(&workspace)).await?;
            ctx.session()?
                .insert(SESSION_WORKSPACE, &workspace)
                .await
                .map_err(internal)
        }
        .await,
    )
}

/// Creates a workspace with the caller as owner, and switches to it.
#[server(endpoint = "create_workspace", output = crate::api::codec::Json)]
pub async fn create_workspace(name: String) -> Result<WorkspaceSummary, AppError> {
    crate::auth::reply(
        async {
            use engine::audit::Outcome;
            let mut ctx = crate::auth::RequestCtx::authorize::<CreateWorkspace>(None).await?;
            let user = ctx.require_user()?.clone();
            let ws = ctx.state.workspaces.create(&name, &user).await?;
            ctx.workspace = Some(ws.id.clone());
            ctx.audit(
                "workspace.create",
                Some(format!("workspace:{} ({})", ws.id, ws.name)),
                Outcome::Ok,
                None,
            )
            .await;
            if let Some(session) = &ctx.session {
                session
                    .insert(SESSION_WORKSPACE, &ws.id)
                    .await
                    .map_err(internal)?;
            }
            Ok(WorkspaceSummary {
                id: ws.id,
                name: ws.name,
                role: Some("owner".into()),
                created_at: ws.created_at,
            })
        }
        .await,
    )
}

/// One workspace with what the caller may do in it.
#[server(endpoint = "get_workspace", output = crate::api::codec::Json)]
pub async fn get_workspace(workspace: String) -> Result<WorkspaceDetail, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<GetWorkspace>(Some(&workspace)).await?;
            let user = ctx.require_user()?;
            let ws = ctx
                .state
                .workspaces
                .get(&workspace)
                .await?
                .ok_or_else(|| AppError::NotFound("workspace".into()))?;
            let role = ctx.state.workspaces.role_of(&workspace, &user.id).await?;
            let role = role.map(|r| r.as_str().to_owned());
            Ok(WorkspaceDetail {
                permissions: permissions_of(user, role.as_deref()),
                workspace: WorkspaceSummary {
                    id: ws.id,
                    name: ws.name,
                    role,
                    created_at: ws.created_at,
                },
            })
        }
        .await,
    )
}

/// Renames a workspace.
#[server(endpoint = "rename_workspace", output = crate::api::codec::Json)]
pub async fn rename_workspace(workspace: String, name: String) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            use engine::audit::Outcome;
            let ctx =
                crate::auth::RequestCtx::authorize::<RenameWorkspace>(Some(&workspace)).await?;
            let ws = ctx.state.workspaces.rename(&workspace, &name).await?;
            ctx.audit(
                "workspace.rename",
                Some(format!("workspace:{} ({})", ws.id, ws.name)),
                Outcome::Ok,
                None,
            )
            .await;
            Ok(())
        }
        .await,
    )
}

/// Deletes a workspace, refused while Docker objects still belong to it. `confirm` must repeat
/// its name.
#[server(endpoint = "delete_workspace", output = crate::api::codec::Json)]
pub async fn delete_workspace(workspace: String, confirm: String) -> Result<String, AppError> {
    crate::auth::reply(
        async {
            use engine::audit::Outcome;
            let ctx =
                crate::auth::RequestCtx::authorize::<DeleteWorkspace>(Some(&workspace)).await?;
            let ws = ctx
                .state
                .workspaces
                .get(&workspace)
                .await?
                .ok_or_else(|| AppError::NotFound("workspace".into()))?;
            if confirm.trim() != ws.name {
                return Err(AppError::Invalid {
                    field: "confirm".into(),
                    message: format!("type the workspace name, {}, to confirm", ws.name),
                });
            }
            let owned = ctx.state.docker.owned_by_workspace(&workspace).await?;
            let target = Some(format!("workspace:{} ({})", ws.id, ws.name));
            if !owned.is_empty() {
                let shown: Vec<&str> = owned.iter().take(5).map(String::as_str).collect();
                let more = owned.len().saturating_sub(shown.len());
                let message = format!(
                    "{} still belongs to this workspace{}; remove it first",
                    shown.join(", "),
                    if more > 0 {
                        format!(" (and {more} more)")
                    } else {
                        String::new()
                    }
                );
                ctx.audit(
                    "workspace.delete",
                    target,
                    Outcome::Failed,
                    Some(message.clone()),
                )
                .await;
                return Err(AppError::Conflict(message));
            }
            ctx.state.workspaces.delete(&workspace).await?;
            // Tokens limited to it went with it (by cascade).
            ctx.state.tokens.clear_cache();
            ctx.audit("workspace.delete", target, Outcome::Ok, None)
                .await;
            Ok("/workspaces".into())
        }
        .await,
    )
}

/// The members of a workspace.
#[server(endpoint = "list_members", output = crate::api::codec::Json)]
pub async fn list_members(workspace: String) -> Result<Vec<MemberView>, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<ListMembers>(Some(&workspace)).await?;
            Ok(ctx
                .state
                .workspaces
                .members(&workspace)
                .await?
                .into_iter()
                .map(MemberView::from)
                .collect())
        }
        .await,
    )
}

/// Sets or removes a membership, auditing the outcome under `action`.
#[cfg(feature = "ssr")]
async fn change_member(
    ctx: &crate::auth::RequestCtx,
    workspace: &str,
    user_id: &str,
    role: Option<engine::access::Role>,
    action: &str,
) -> Result<(), AppError> {
    let result = ctx
        .state
        .workspaces
        .set_member(workspace, user_id, role)
        .await;
    let target = Some(match role {
        Some(role) => format!("user:{user_id} as {}", role.as_str()),
        None => format!("user:{user_id}"),
    });
    ctx.audited(action, target, result).await
}

/// Changes a member's role.
#[server(endpoint = "set_member_role", output = crate::api::codec::Json)]
pub async fn set_member_role(
    workspace: String,
    user_id: String,
    role: String,
) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<SetMemberRole>(Some(&workspace)).await?;
            let role = engine::workspaces::parse_role(&role)?;
            change_member(&ctx, &workspace, &user_id, Some(role), "member.role").await
        }
        .await,
    )
}

/// Removes a member.
#[server(endpoint = "remove_member", output = crate::api::codec::Json)]
pub async fn remove_member(workspace: String, user_id: String) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<RemoveMember>(Some(&workspace)).await?;
            change_member(&ctx, &workspace, &user_id, None, "member.remove").await
        }
        .await,
    )
}

/// Leaves a workspace (refused for its last owner). Returns where to go next.
#[server(endpoint = "leave_workspace", output = crate::api::codec::Json)]
pub async fn leave_workspace(workspace: String) -> Result<String, AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::auth::RequestCtx::authorize::<LeaveWorkspace>(Some(&workspace)).await?;
            let user_id = ctx.require_user()?.id.clone();
            change_member(&ctx, &workspace, &user_id, None, "member.leave").await?;
            Ok("/workspaces".into())
        }
        .await,
    )
}

/// Invitations of a workspace that can still be used.
#[server(endpoint = "list_invitations", output = crate::api::codec::Json)]
pub async fn list_invitations(workspace: String) -> Result<Vec<InvitationView>, AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::auth::RequestCtx::authorize::<ListInvitations>(Some(&workspace)).await?;
            Ok(ctx
                .state
                .workspaces
                .pending_invitations(&workspace)
                .await?
                .into_iter()
                .map(InvitationView::from)
                .collect())
        }
        .await,
    )
}

/// Creates a single-use invitation link; `email` empty means anyone holding the link.
#[server(endpoint = "create_invitation", output = crate::api::codec::Json)]
pub async fn create_invitation(
    workspace: String,
    role: String,
    email: Option<String>,
    expires_in_hours: String,
) -> Result<NewInvitation, AppError> {
    crate::auth::reply(
        async {
            use engine::audit::Outcome;
            let ctx =
                crate::auth::RequestCtx::authorize::<CreateInvitation>(Some(&workspace)).await?;
            let user_id = ctx.require_user()?.id.clone();
            let role = engine::workspaces::parse_role(&role)?;
            let hours = expires_in_hours
                .trim()
                .parse::<u32>()
                .map_err(|_| AppError::Invalid {
                    field: "expires_in_hours".into(),
                    message: "must be a whole number of hours (1 to 720)".into(),
                })?;
            let (invitation, code) = ctx
                .state
                .workspaces
                .invite(&workspace, role, email.as_deref(), hours, &user_id)
                .await?;
            ctx.audit(
                "invitation.create",
                Some(format!(
                    "invitation:{} as {}{}",
                    invitation.id,
                    role.as_str(),
                    invitation
                        .email
                        .as_ref()
                        .map(|e| format!(" for {e}"))
                        .unwrap_or_default()
                )),
                Outcome::Ok,
                None,
            )
            .await;
            Ok(NewInvitation {
                invitation: invitation.into(),
                path: format!("/invite/{code}"),
            })
        }
        .await,
    )
}

/// Withdraws a pending invitation.
#[server(endpoint = "revoke_invitation", output = crate::api::codec::Json)]
pub async fn revoke_invitation(workspace: String, id: String) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            use engine::audit::Outcome;
            let ctx =
                crate::auth::RequestCtx::authorize::<RevokeInvitation>(Some(&workspace)).await?;
            let revoked = ctx
                .state
                .workspaces
                .revoke_invitation(&workspace, &id)
                .await?;
            let target = Some(format!("invitation:{id}"));
            if revoked {
                ctx.audit("invitation.revoke", target, Outcome::Ok, None)
                    .await;
                Ok(())
            } else {
                Err(AppError::NotFound("invitation".into()))
            }
        }
        .await,
    )
}

/// What an invitation link offers, or why it cannot be used.
#[server(endpoint = "check_invitation", output = crate::api::codec::Json)]
pub async fn check_invitation(code: String) -> Result<InvitationView, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<CheckInvitation>(None).await?;
            Ok(ctx.state.workspaces.check_invitation(&code).await?.into())
        }
        .await,
    )
}

/// Uses an invitation: a signed-in user joins as they are; anyone else creates an account
/// with `name`, `email` and `password` and is signed in. Returns where to go next.
#[server(endpoint = "accept_invitation", output = crate::api::codec::Json)]
pub async fn accept_invitation(
    code: String,
    name: Option<String>,
    email: Option<String>,
    password: Option<String>,
) -> Result<String, AppError> {
    crate::auth::reply(
        async {
            use engine::audit::Outcome;
            let mut ctx = crate::auth::RequestCtx::authorize::<AcceptInvitation>(None).await?;
            let result = match ctx.user.clone() {
                Some(user) if ctx.token.is_none() => ctx
                    .state
                    .workspaces
                    .accept(&code, &user)
                    .await
                    .map(|invitation| (user, invitation)),
                Some(_) => return Err(AppError::Forbidden),
                None => {
                    let required = |value: Option<String>, field: &str| {
                        value
                            .filter(|v| !v.trim().is_empty())
                            .ok_or(AppError::Invalid {
                                field: field.into(),
                                message: "is required".into(),
                            })
                    };
                    let name = required(name, "name")?;
                    let email = required(email, "email")?;
                    let password = required(password, "password")?;
                    ctx.state
                        .workspaces
                        .accept_new_account(
                            &code,
                            &ctx.state.accounts,
                            engine::accounts::NewUser {
                                email: &email,
                                name: &name,
                                password: &password,
                                is_admin: false,
                            },
                        )
                        .await
                }
            };
            let (user, invitation) = match result {
                Ok(done) => done,
                Err(e) => {
                    if let engine::workspaces::WorkspaceError::Unusable(problem) = &e {
                        ctx.audit(
                            "invitation.accept",
                            None,
                            Outcome::Denied,
                            Some(problem.to_string()),
                        )
                        .await;
                    }
                    return Err(e.into());
                }
            };
            if ctx.user.is_none() {
                ctx.start_session(&user).await?;
                ctx.user = Some(user.clone());
            }
            ctx.session()?
                .insert(SESSION_WORKSPACE, &invitation.workspace_id)
                .await
                .map_err(internal)?;
            ctx.workspace = Some(invitation.workspace_id.clone());
            ctx.audit(
                "invitation.accept",
                Some(format!(
                    "invitation:{} as {}",
                    invitation.id,
                    invitation.role.as_str()
                )),
                Outcome::Ok,
                None,
            )
            .await;
            Ok(format!("/workspaces/{}", invitation.workspace_id))
        }
        .await,
    )
}
