//! Account administration for platform admins, and the password-reset link it issues.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// An account as the users page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
    pub created_at: i64,
    /// The admin looking at the list.
    pub is_me: bool,
}

#[cfg(feature = "ssr")]
impl From<engine::admin::AdminError> for AppError {
    fn from(e: engine::admin::AdminError) -> Self {
        use engine::admin::AdminError;
        match e {
            AdminError::NoSuchUser => Self::NotFound("user".into()),
            e @ AdminError::LastAdmin => Self::Conflict(e.to_string()),
            e @ AdminError::BadResetLink => Self::Conflict(e.to_string()),
            AdminError::Account(e) => e.into(),
            AdminError::Db(e) => {
                tracing::error!(error = %e, "account administration failed");
                Self::Internal
            }
        }
    }
}

/// Every account.
#[server(endpoint = "list_users", output = crate::api::codec::Json)]
pub async fn list_users() -> Result<Vec<UserView>, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::ops::admit(&crate::ops::users::LIST, crate::ops::On::Nothing).await?;
            let me = ctx.require_user()?.id.clone();
            Ok(ctx
                .state
                .admin
                .users()
                .await?
                .into_iter()
                .map(|u| UserView {
                    is_me: u.id == me,
                    id: u.id,
                    email: u.email,
                    name: u.name,
                    is_admin: u.is_admin,
                    created_at: u.created_at,
                })
                .collect())
        }
        .await,
    )
}

/// Applies an admin change to an account and audits it under `action`.
#[cfg(feature = "ssr")]
async fn change_user(
    ctx: &crate::ops::Grant,
    user_id: &str,
    admin: Option<bool>,
    action: &str,
) -> Result<(), AppError> {
    let result = ctx.state.admin.change(user_id, admin).await;
    if result.is_ok() {
        if let Err(e) = ctx.state.workspaces.access().reload_user(user_id).await {
            tracing::error!(error = %e, "reloading role links failed");
        }
        if admin.is_none() {
            ctx.state.tokens.clear_cache();
        }
        if admin.is_none()
            && let Err(e) = ctx.state.signins.revoke_all(user_id, None).await
        {
            tracing::error!(error = %e, "ending the deleted user's sign-ins failed");
        }
    }
    ctx.audited(action, Some(format!("user:{user_id}")), result)
        .await
}

/// Grants (`admin = "true"`) or withdraws the platform admin role.
#[server(endpoint = "set_platform_admin", output = crate::api::codec::Json)]
pub async fn set_platform_admin(user_id: String, admin: String) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::ops::admit(&crate::ops::users::SET_ADMIN, crate::ops::On::Nothing).await?;
            let flag = match admin.as_str() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(AppError::Invalid {
                        field: "admin".into(),
                        message: "must be true or false".into(),
                    });
                }
            };
            let action = if flag {
                "user.grant_admin"
            } else {
                "user.revoke_admin"
            };
            change_user(&ctx, &user_id, Some(flag), action).await
        }
        .await,
    )
}

/// Deletes an account (never the last admin, never one's own).
#[server(endpoint = "delete_user", output = crate::api::codec::Json)]
pub async fn delete_user(user_id: String) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::ops::admit(&crate::ops::users::DELETE, crate::ops::On::Nothing).await?;
            if ctx.require_user()?.id == user_id {
                return Err(AppError::Conflict(
                    "you cannot delete your own account here; ask another admin".into(),
                ));
            }
            change_user(&ctx, &user_id, None, "user.delete").await
        }
        .await,
    )
}

/// Issues a one-time password-reset link for an account. Returns its path (shown once).
#[server(endpoint = "create_password_reset", output = crate::api::codec::Json)]
pub async fn create_password_reset(user_id: String) -> Result<String, AppError> {
    crate::auth::reply(
        async {
            use engine::audit::Outcome;
            let ctx = crate::ops::admit(&crate::ops::users::CREATE_RESET, crate::ops::On::Nothing)
                .await?;
            let by = ctx.require_user()?.id.clone();
            let code = ctx.state.admin.issue_reset(&user_id, &by).await?;
            ctx.audit(
                "user.password_reset_link",
                Some(format!("user:{user_id}")),
                Outcome::Ok,
                None,
            )
            .await;
            Ok(format!("/reset/{code}"))
        }
        .await,
    )
}

/// The email a reset link is for, or why it cannot be used.
#[server(endpoint = "check_password_reset", output = crate::api::codec::Json)]
pub async fn check_password_reset(code: String) -> Result<String, AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::ops::admit(&crate::ops::users::CHECK_RESET, crate::ops::On::Nothing).await?;
            Ok(ctx.state.admin.check_reset(&code).await?.1.email)
        }
        .await,
    )
}

/// Sets a new password with a reset link; every session of the account ends. Returns where to
/// go next (sign-in).
#[server(endpoint = "complete_password_reset", output = crate::api::codec::Json)]
pub async fn complete_password_reset(
    code: String,
    password: String,
    confirm: String,
) -> Result<String, AppError> {
    crate::auth::reply(
        async {
            use engine::audit::Outcome;
            let ctx =
                crate::ops::admit(&crate::ops::users::COMPLETE_RESET, crate::ops::On::Nothing)
                    .await?;
            if password != confirm {
                return Err(AppError::Invalid {
                    field: "confirm".into(),
                    message: "does not match the password".into(),
                });
            }
            let user = ctx.state.admin.complete_reset(&code, &password).await?;
            if let Err(e) = ctx.state.signins.revoke_all(&user.id, None).await {
                tracing::error!(error = %e, "ending sign-ins after a reset failed");
            }
            ctx.audit_as(
                crate::auth::actor(&user),
                "auth.password_reset",
                Some(format!("user:{}", user.email)),
                Outcome::Ok,
                None,
            )
            .await;
            Ok("/login".into())
        }
        .await,
    )
}
