//! Workspaces, members and invitations. What each function needs is declared in
//! [`crate::api::SERVER_FNS`]; the check happens in `crate::ops::admit`.

use leptos::prelude::*;

use crate::error::AppError;

pub use crate::model::workspaces::{
    InvitationView, MemberView, NewInvitation, WorkspaceContext, WorkspaceDetail, WorkspaceSummary,
};

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
    use crate::ops::{On, admit, workspaces};
    crate::auth::reply(
        async {
            let grant = admit(&workspaces::MINE, On::Nothing).await?;
            let user = grant.require_user()?;
            let workspaces = workspaces::mine(&grant).await?;
            let chosen: Option<String> = match &grant.session {
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
            let ctx = crate::ops::admit(
                &crate::ops::workspaces::SWITCH,
                crate::ops::On::Workspace(&workspace),
            )
            .await?;
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
    use crate::ops::{On, admit, workspaces};
    crate::auth::reply(
        async {
            let mut grant = admit(&workspaces::CREATE, On::Nothing).await?;
            let ws = workspaces::create(&mut grant, &name).await?;
            if let Some(session) = &grant.session {
                session
                    .insert(SESSION_WORKSPACE, &ws.id)
                    .await
                    .map_err(internal)?;
            }
            Ok(ws)
        }
        .await,
    )
}

/// One workspace with what the caller may do in it.
#[server(endpoint = "get_workspace", output = crate::api::codec::Json)]
pub async fn get_workspace(workspace: String) -> Result<WorkspaceDetail, AppError> {
    use crate::ops::{On, admit, workspaces};
    crate::auth::reply(
        async {
            let grant = admit(&workspaces::GET, On::Workspace(&workspace)).await?;
            let ws = workspaces::get(&grant).await?;
            Ok(WorkspaceDetail {
                permissions: permissions_of(grant.require_user()?, ws.role.as_deref()),
                workspace: ws,
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
            let ctx = crate::ops::admit(
                &crate::ops::workspaces::RENAME,
                crate::ops::On::Workspace(&workspace),
            )
            .await?;
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
            let ctx = crate::ops::admit(
                &crate::ops::workspaces::DELETE,
                crate::ops::On::Workspace(&workspace),
            )
            .await?;
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
    use crate::ops::{On, admit, workspaces};
    crate::auth::reply(
        async {
            let grant = admit(&workspaces::LIST_MEMBERS, On::Workspace(&workspace)).await?;
            workspaces::list_members(&grant).await
        }
        .await,
    )
}

/// Sets or removes a membership, auditing the outcome under `action`.
#[cfg(feature = "ssr")]
async fn change_member(
    ctx: &crate::ops::Grant,
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
            let ctx = crate::ops::admit(
                &crate::ops::workspaces::SET_MEMBER_ROLE,
                crate::ops::On::Workspace(&workspace),
            )
            .await?;
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
            let ctx = crate::ops::admit(
                &crate::ops::workspaces::REMOVE_MEMBER,
                crate::ops::On::Workspace(&workspace),
            )
            .await?;
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
            let ctx = crate::ops::admit(
                &crate::ops::workspaces::LEAVE,
                crate::ops::On::Workspace(&workspace),
            )
            .await?;
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
            let ctx = crate::ops::admit(
                &crate::ops::workspaces::LIST_INVITATIONS,
                crate::ops::On::Workspace(&workspace),
            )
            .await?;
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
            let ctx = crate::ops::admit(
                &crate::ops::workspaces::CREATE_INVITATION,
                crate::ops::On::Workspace(&workspace),
            )
            .await?;
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
            let ctx = crate::ops::admit(
                &crate::ops::workspaces::REVOKE_INVITATION,
                crate::ops::On::Workspace(&workspace),
            )
            .await?;
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
            let ctx = crate::ops::admit(
                &crate::ops::workspaces::CHECK_INVITATION,
                crate::ops::On::Nothing,
            )
            .await?;
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
            let mut ctx = crate::ops::admit(
                &crate::ops::workspaces::ACCEPT_INVITATION,
                crate::ops::On::Nothing,
            )
            .await?;
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
