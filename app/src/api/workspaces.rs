//! Workspaces, members and invitations. What each function needs is declared in
//! [`crate::api::SERVER_FNS`]; the operations are in `crate::ops::workspaces`.

use leptos::prelude::*;

use crate::error::AppError;

pub use crate::model::workspaces::{
    InvitationView, MemberView, NewInvitation, WorkspaceContext, WorkspaceDetail, WorkspaceSummary,
};

/// The caller's workspaces and the current one (kept in the session; the first one until the
/// user picks another).
#[server(endpoint = "my_workspaces", output = crate::api::codec::Json)]
pub async fn my_workspaces() -> Result<WorkspaceContext, AppError> {
    use crate::ops::{On, admit, workspaces};
    crate::auth::reply(
        async {
            let grant = admit(&workspaces::MINE, On::Nothing).await?;
            workspaces::context(&grant).await
        }
        .await,
    )
}

/// Makes `workspace` the one the user works in.
#[server(endpoint = "switch_workspace", output = crate::api::codec::Json)]
pub async fn switch_workspace(workspace: String) -> Result<(), AppError> {
    use crate::ops::{On, admit, workspaces};
    crate::auth::reply(
        async {
            let grant = admit(&workspaces::SWITCH, On::Workspace(&workspace)).await?;
            workspaces::switch(&grant).await
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
            workspaces::work_in(&grant, &ws.id).await?;
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
            workspaces::detail(&grant).await
        }
        .await,
    )
}

/// Renames a workspace.
#[server(endpoint = "rename_workspace", output = crate::api::codec::Json)]
pub async fn rename_workspace(workspace: String, name: String) -> Result<(), AppError> {
    use crate::ops::{On, admit, workspaces};
    crate::auth::reply(
        async {
            let grant = admit(&workspaces::RENAME, On::Workspace(&workspace)).await?;
            workspaces::rename(&grant, &name).await
        }
        .await,
    )
}

/// Deletes a workspace, refused while Docker objects still belong to it. `confirm` must repeat
/// its name.
#[server(endpoint = "delete_workspace", output = crate::api::codec::Json)]
pub async fn delete_workspace(workspace: String, confirm: String) -> Result<String, AppError> {
    use crate::ops::{On, admit, workspaces};
    crate::auth::reply(
        async {
            let grant = admit(&workspaces::DELETE, On::Workspace(&workspace)).await?;
            workspaces::delete(&grant, &confirm).await
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

/// Changes a member's role.
#[server(endpoint = "set_member_role", output = crate::api::codec::Json)]
pub async fn set_member_role(
    workspace: String,
    user_id: String,
    role: String,
) -> Result<(), AppError> {
    use crate::ops::{On, admit, workspaces};
    crate::auth::reply(
        async {
            let grant = admit(&workspaces::SET_MEMBER_ROLE, On::Workspace(&workspace)).await?;
            workspaces::set_member_role(&grant, &user_id, &role).await
        }
        .await,
    )
}

/// Removes a member.
#[server(endpoint = "remove_member", output = crate::api::codec::Json)]
pub async fn remove_member(workspace: String, user_id: String) -> Result<(), AppError> {
    use crate::ops::{On, admit, workspaces};
    crate::auth::reply(
        async {
            let grant = admit(&workspaces::REMOVE_MEMBER, On::Workspace(&workspace)).await?;
            workspaces::remove_member(&grant, &user_id).await
        }
        .await,
    )
}

/// Leaves a workspace (refused for its last owner). Returns where to go next.
#[server(endpoint = "leave_workspace", output = crate::api::codec::Json)]
pub async fn leave_workspace(workspace: String) -> Result<String, AppError> {
    use crate::ops::{On, admit, workspaces};
    crate::auth::reply(
        async {
            let grant = admit(&workspaces::LEAVE, On::Workspace(&workspace)).await?;
            workspaces::leave(&grant).await
        }
        .await,
    )
}

/// Invitations of a workspace that can still be used.
#[server(endpoint = "list_invitations", output = crate::api::codec::Json)]
pub async fn list_invitations(workspace: String) -> Result<Vec<InvitationView>, AppError> {
    use crate::ops::{On, admit, workspaces};
    crate::auth::reply(
        async {
            let grant = admit(&workspaces::LIST_INVITATIONS, On::Workspace(&workspace)).await?;
            workspaces::list_invitations(&grant).await
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
    use crate::ops::{On, admit, workspaces};
    crate::auth::reply(
        async {
            let grant = admit(&workspaces::CREATE_INVITATION, On::Workspace(&workspace)).await?;
            let form = workspaces::NewInvitationForm {
                role,
                email,
                expires_in_hours,
            };
            workspaces::create_invitation(&grant, form).await
        }
        .await,
    )
}

/// Withdraws a pending invitation.
#[server(endpoint = "revoke_invitation", output = crate::api::codec::Json)]
pub async fn revoke_invitation(workspace: String, id: String) -> Result<(), AppError> {
    use crate::ops::{On, admit, workspaces};
    crate::auth::reply(
        async {
            let grant = admit(&workspaces::REVOKE_INVITATION, On::Workspace(&workspace)).await?;
            workspaces::revoke_invitation(&grant, &id).await
        }
        .await,
    )
}

/// What an invitation link offers, or why it cannot be used.
#[server(endpoint = "check_invitation", output = crate::api::codec::Json)]
pub async fn check_invitation(code: String) -> Result<InvitationView, AppError> {
    use crate::ops::{On, admit, workspaces};
    crate::auth::reply(
        async {
            let grant = admit(&workspaces::CHECK_INVITATION, On::Nothing).await?;
            workspaces::check_invitation(&grant, &code).await
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
    use crate::ops::{On, admit, workspaces};
    crate::auth::reply(
        async {
            let mut grant = admit(&workspaces::ACCEPT_INVITATION, On::Nothing).await?;
            let newcomer = workspaces::Newcomer {
                name,
                email,
                password,
            };
            workspaces::accept_invitation(&mut grant, &code, newcomer).await
        }
        .await,
    )
}
