//! Workspaces, their members and invitations.

use engine::audit::Outcome;
use engine::tenancy::workspaces::{Invitation, Membership, WorkspaceError};

use super::{Grant, Op};
use crate::access::Need;
use crate::error::AppError;
use crate::model::workspaces::{
    InvitationView, MemberView, NewInvitation, WorkspaceContext, WorkspaceDetail, WorkspaceSummary,
};

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
            id: m.workspace.id.into(),
            name: m.workspace.name,
            role: m.role.map(|r| r.as_str().to_owned()),
            created_at: m.workspace.created_at,
        }
    }
}

impl From<engine::tenancy::workspaces::Member> for MemberView {
    fn from(m: engine::tenancy::workspaces::Member) -> Self {
        Self {
            user_id: m.user_id.into(),
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
            workspace_id: i.workspace_id.into(),
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
        id: ws.id.into(),
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
        id: ws.id.into(),
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

/// Session key of the workspace the user works in.
const SESSION_WORKSPACE: &str = "workspace";

/// A session store failure, logged; the caller sees an internal error.
fn session_failed(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store failed");
    AppError::Internal
}

/// `object:action` pairs a user may perform with `role` (`*:*` for platform admins).
fn permissions_of(user: &engine::identity::accounts::User, role: Option<&str>) -> Vec<String> {
    if user.is_admin {
        vec!["*:*".to_owned()]
    } else {
        role.map(|r| {
            engine::tenancy::access::role_permissions(r)
                .into_iter()
                .collect()
        })
        .unwrap_or_default()
    }
}

/// Makes `workspace` the one the caller's pages work in (kept in the session, if there is one).
pub async fn work_in(grant: &Grant, workspace: &str) -> Result<(), AppError> {
    match &grant.session {
        Some(session) => session
            .insert(SESSION_WORKSPACE, workspace)
            .await
            .map_err(session_failed),
        None => Ok(()),
    }
}

/// The caller's workspaces, the one they work in (the session's choice, else the first) and
/// what they may do there.
pub async fn context(grant: &Grant) -> Result<WorkspaceContext, AppError> {
    let workspaces = mine(grant).await?;
    let user = grant.require_user()?;
    let chosen: Option<String> = match &grant.session {
        Some(session) => session
            .get(SESSION_WORKSPACE)
            .await
            .map_err(session_failed)?,
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

/// The granted workspace with what the caller may do in it.
pub async fn detail(grant: &Grant) -> Result<WorkspaceDetail, AppError> {
    let workspace = get(grant).await?;
    Ok(WorkspaceDetail {
        permissions: permissions_of(grant.require_user()?, workspace.role.as_deref()),
        workspace,
    })
}

/// Makes the granted workspace the one the caller's pages work in.
pub async fn switch(grant: &Grant) -> Result<(), AppError> {
    grant.expect(&SWITCH)?;
    work_in(grant, grant.in_workspace()?).await
}

/// Renames the granted workspace.
pub async fn rename(grant: &Grant, name: &str) -> Result<(), AppError> {
    grant.expect(&RENAME)?;
    let ws = grant
        .state
        .workspaces
        .rename(grant.in_workspace()?, name)
        .await?;
    grant
        .audit(
            "workspace.rename",
            Some(format!("workspace:{} ({})", ws.id, ws.name)),
            Outcome::Ok,
            None,
        )
        .await;
    Ok(())
}

/// Deletes the granted workspace, refused while Docker objects still belong to it; `confirm`
/// must repeat its name. Returns where to go next.
pub async fn delete(grant: &Grant, confirm: &str) -> Result<String, AppError> {
    grant.expect(&DELETE)?;
    let id = grant.in_workspace()?;
    let ws = grant
        .state
        .workspaces
        .get(id)
        .await?
        .ok_or_else(|| AppError::NotFound("workspace".into()))?;
    if confirm.trim() != ws.name {
        return Err(AppError::Invalid {
            field: "confirm".into(),
            message: format!("type the workspace name, {}, to confirm", ws.name),
        });
    }
    let owned = grant.state.docker.owned_by_workspace(id).await?;
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
        grant
            .audit(
                "workspace.delete",
                target,
                Outcome::Failed,
                Some(message.clone()),
            )
            .await;
        return Err(AppError::Conflict(message));
    }
    grant.state.workspaces.delete(id).await?;
    // Tokens limited to it went with it (by cascade).
    grant.state.tokens.clear_cache();
    grant
        .audit("workspace.delete", target, Outcome::Ok, None)
        .await;
    Ok("/workspaces".into())
}

/// Sets (`Some`) or removes (`None`) a membership of the granted workspace, auditing the outcome
/// under `action`.
async fn change_member(
    grant: &Grant,
    user_id: &str,
    role: Option<engine::tenancy::access::Role>,
    action: &str,
) -> Result<(), AppError> {
    let result = grant
        .state
        .workspaces
        .set_member(grant.in_workspace()?, user_id, role)
        .await;
    let target = Some(match role {
        Some(role) => format!("user:{user_id} as {}", role.as_str()),
        None => format!("user:{user_id}"),
    });
    grant.audited(action, target, result).await
}

/// Changes a member's role.
pub async fn set_member_role(grant: &Grant, user_id: &str, role: &str) -> Result<(), AppError> {
    grant.expect(&SET_MEMBER_ROLE)?;
    let role = engine::tenancy::workspaces::parse_role(role)?;
    change_member(grant, user_id, Some(role), "member.role").await
}

/// Removes a member.
pub async fn remove_member(grant: &Grant, user_id: &str) -> Result<(), AppError> {
    grant.expect(&REMOVE_MEMBER)?;
    change_member(grant, user_id, None, "member.remove").await
}

/// Leaves the granted workspace (refused for its last owner). Returns where to go next.
pub async fn leave(grant: &Grant) -> Result<String, AppError> {
    grant.expect(&LEAVE)?;
    let user_id = grant.require_user()?.id.clone();
    change_member(grant, &user_id, None, "member.leave").await?;
    Ok("/workspaces".into())
}

/// Invitations of the granted workspace that can still be used.
pub async fn list_invitations(grant: &Grant) -> Result<Vec<InvitationView>, AppError> {
    grant.expect(&LIST_INVITATIONS)?;
    Ok(grant
        .state
        .workspaces
        .pending_invitations(grant.in_workspace()?)
        .await?
        .into_iter()
        .map(InvitationView::from)
        .collect())
}

/// What an invitation is to be.
pub struct NewInvitationForm {
    pub role: String,
    /// Empty: anyone holding the link.
    pub email: Option<String>,
    /// 1 to 720.
    pub expires_in_hours: String,
}

/// Creates a single-use invitation link to the granted workspace (its path is shown once).
pub async fn create_invitation(
    grant: &Grant,
    form: NewInvitationForm,
) -> Result<NewInvitation, AppError> {
    grant.expect(&CREATE_INVITATION)?;
    let user_id = &grant.require_user()?.id;
    let role = engine::tenancy::workspaces::parse_role(&form.role)?;
    let hours = form
        .expires_in_hours
        .trim()
        .parse::<u32>()
        .map_err(|_| AppError::Invalid {
            field: "expires_in_hours".into(),
            message: "must be a whole number of hours (1 to 720)".into(),
        })?;
    let (invitation, code) = grant
        .state
        .workspaces
        .invite(
            grant.in_workspace()?,
            role,
            form.email.as_deref(),
            hours,
            user_id,
        )
        .await?;
    let for_whom = invitation
        .email
        .as_ref()
        .map(|e| format!(" for {e}"))
        .unwrap_or_default();
    grant
        .audit(
            "invitation.create",
            Some(format!(
                "invitation:{} as {}{for_whom}",
                invitation.id,
                role.as_str(),
            )),
            Outcome::Ok,
            None,
        )
        .await;
    let path = format!("/invite/{code}");
    let mailed = match &invitation.email {
        Some(to) => mail_invitation(grant, &invitation, to, &path).await,
        None => None,
    };
    Ok(NewInvitation {
        invitation: invitation.into(),
        path,
        mailed,
    })
}

/// Withdraws a pending invitation of the granted workspace.
pub async fn revoke_invitation(grant: &Grant, id: &str) -> Result<(), AppError> {
    grant.expect(&REVOKE_INVITATION)?;
    let revoked = grant
        .state
        .workspaces
        .revoke_invitation(grant.in_workspace()?, id)
        .await?;
    if !revoked {
        return Err(AppError::NotFound("invitation".into()));
    }
    grant
        .audit(
            "invitation.revoke",
            Some(format!("invitation:{id}")),
            Outcome::Ok,
            None,
        )
        .await;
    Ok(())
}

/// What an invitation link offers, or why it cannot be used.
pub async fn check_invitation(grant: &Grant, code: &str) -> Result<InvitationView, AppError> {
    grant.expect(&CHECK_INVITATION)?;
    Ok(grant.state.workspaces.check_invitation(code).await?.into())
}

/// Who accepts an invitation while not signed in: the account to create.
pub struct Newcomer {
    pub name: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
}

/// Uses an invitation: a signed-in user joins as they are; anyone else creates an account from
/// `newcomer` and is signed in. The workspace joined becomes the one they work in. Returns
/// where to go next.
pub async fn accept_invitation(
    grant: &mut Grant,
    code: &str,
    newcomer: Newcomer,
) -> Result<String, AppError> {
    grant.expect(&ACCEPT_INVITATION)?;
    let result = match grant.user.clone() {
        Some(user) if grant.token.is_none() => grant
            .state
            .workspaces
            .accept(code, &user)
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
            let name = required(newcomer.name, "name")?;
            let email = required(newcomer.email, "email")?;
            let password = required(newcomer.password, "password")?;
            grant
                .state
                .workspaces
                .accept_new_account(
                    code,
                    &grant.state.accounts,
                    engine::identity::accounts::NewUser {
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
            if let WorkspaceError::Unusable(problem) = &e {
                grant
                    .audit(
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
    if grant.user.is_none() {
        grant.start_session(&user).await?;
        grant.user = Some(user);
    }
    work_in(grant, &invitation.workspace_id).await?;
    grant.workspace = Some(invitation.workspace_id.clone());
    grant
        .audit(
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

/// Mails the link of an invitation bound to `to`, when a mail server is set (`None` when none
/// is): `Ok`, or why it could not be sent. The mail is audited (`invitation.mail`).
async fn mail_invitation(
    grant: &Grant,
    invitation: &engine::tenancy::workspaces::Invitation,
    to: &str,
    path: &str,
) -> Option<Result<(), String>> {
    let server = match crate::ops::settings::mail_server(&grant.state).await {
        Ok(Some(server)) => server,
        Ok(None) => return None,
        Err(e) => return Some(Err(e.to_string())),
    };
    let by = grant
        .user
        .as_ref()
        .map_or_else(|| "Someone".to_owned(), |u| u.name.clone());
    let mail = engine::mail::Mail {
        to: to.to_owned(),
        subject: format!("Join {} on Orbitr", invitation.workspace_name),
        body: format!(
            "{by} invited you to the workspace \"{}\" on Orbitr, as {}.\n\n\
             Open this link to join (it works once, until {} UTC):\n{}{path}\n\n\
             If you did not expect this, ignore this mail.\n",
            invitation.workspace_name,
            invitation.role.as_str(),
            time::OffsetDateTime::from_unix_timestamp(invitation.expires_at / 1000)
                .ok()
                .and_then(|t| {
                    t.format(time::macros::format_description!(
                        "[year]-[month]-[day] [hour]:[minute]"
                    ))
                    .ok()
                })
                .unwrap_or_default(),
            grant.site_origin(),
        ),
    };
    let sent = crate::ops::settings::send_through(&server, &mail).await;
    let target = Some(format!("invitation:{} to {to}", invitation.id));
    Some(
        grant
            .audited("invitation.mail", target, sent)
            .await
            .map_err(|e| e.to_string()),
    )
}
