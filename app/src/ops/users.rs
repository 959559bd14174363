//! Account administration (platform admins) and password-reset links.

use engine::audit::Outcome;
use engine::identity::admin::AdminError;

use super::{Grant, Op};
use crate::access::Need;
use crate::error::AppError;
use crate::model::accounts::UserView;

/// Every account.
pub static LIST: Op = Op {
    name: "user.list",
    need: Need::Platform("user", "read"),
};
/// Making an account a platform admin, or not.
pub static SET_ADMIN: Op = Op {
    name: "user.set_admin",
    need: Need::Platform("user", "manage"),
};
/// Deleting an account.
pub static DELETE: Op = Op {
    name: "user.delete",
    need: Need::Platform("user", "manage"),
};
/// A password-reset link for an account.
pub static CREATE_RESET: Op = Op {
    name: "user.create_reset",
    need: Need::Platform("user", "manage"),
};
/// Whether a password-reset link is still good.
pub static CHECK_RESET: Op = Op {
    name: "user.check_reset",
    need: Need::Anyone,
};
/// Setting a new password through a reset link.
pub static COMPLETE_RESET: Op = Op {
    name: "user.complete_reset",
    need: Need::Anyone,
};

impl From<AdminError> for AppError {
    fn from(e: AdminError) -> Self {
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
pub async fn list(grant: &Grant) -> Result<Vec<UserView>, AppError> {
    grant.expect(&LIST)?;
    let me = &grant.require_user()?.id;
    Ok(grant
        .state
        .admin
        .users()
        .await?
        .into_iter()
        .map(|u| UserView {
            is_me: &u.id == me,
            id: u.id.into(),
            email: u.email,
            name: u.name,
            is_admin: u.is_admin,
            created_at: u.created_at,
        })
        .collect())
}

/// Applies an admin change to an account (`admin: None` deletes it) and audits it under
/// `action`: its role links are reloaded, and a deleted account's tokens and sign-ins end.
async fn change_user(
    grant: &Grant,
    user_id: &str,
    admin: Option<bool>,
    action: &str,
) -> Result<(), AppError> {
    let result = grant.state.admin.change(user_id, admin).await;
    if result.is_ok() {
        if let Err(e) = grant.state.workspaces.access().reload_user(user_id).await {
            tracing::error!(error = %e, "reloading role links failed");
        }
        if admin.is_none() {
            grant.state.tokens.clear_cache();
            if let Err(e) = grant.state.signins.revoke_all(user_id, None).await {
                tracing::error!(error = %e, "ending the deleted user's sign-ins failed");
            }
        }
    }
    grant
        .audited(action, Some(format!("user:{user_id}")), result)
        .await
}

/// Grants (`admin = "true"`) or withdraws (`"false"`) the platform admin role.
pub async fn set_admin(grant: &Grant, user_id: &str, admin: &str) -> Result<(), AppError> {
    grant.expect(&SET_ADMIN)?;
    let flag = match admin {
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
    change_user(grant, user_id, Some(flag), action).await
}

/// Deletes an account (never the last admin, never one's own).
pub async fn delete(grant: &Grant, user_id: &str) -> Result<(), AppError> {
    grant.expect(&DELETE)?;
    if grant.require_user()?.id == user_id {
        return Err(AppError::Conflict(
            "you cannot delete your own account here; ask another admin".into(),
        ));
    }
    change_user(grant, user_id, None, "user.delete").await
}

/// Issues a one-time password-reset link for an account. Returns its path (shown once).
pub async fn create_reset(grant: &Grant, user_id: &str) -> Result<String, AppError> {
    grant.expect(&CREATE_RESET)?;
    let by = &grant.require_user()?.id;
    let code = grant.state.admin.issue_reset(user_id, by).await?;
    grant
        .audit(
            "user.password_reset_link",
            Some(format!("user:{user_id}")),
            Outcome::Ok,
            None,
        )
        .await;
    Ok(format!("/reset/{code}"))
}

/// The email a reset link is for, or why it cannot be used.
pub async fn check_reset(grant: &Grant, code: &str) -> Result<String, AppError> {
    grant.expect(&CHECK_RESET)?;
    Ok(grant.state.admin.check_reset(code).await?.1.email)
}

/// Sets a new password with a reset link (`confirm` repeats it); every session of the account
/// ends. Returns where to go next (sign-in).
pub async fn complete_reset(
    grant: &Grant,
    code: &str,
    password: &str,
    confirm: &str,
) -> Result<String, AppError> {
    grant.expect(&COMPLETE_RESET)?;
    if password != confirm {
        return Err(AppError::Invalid {
            field: "confirm".into(),
            message: "does not match the password".into(),
        });
    }
    let user = grant.state.admin.complete_reset(code, password).await?;
    if let Err(e) = grant.state.signins.revoke_all(&user.id, None).await {
        tracing::error!(error = %e, "ending sign-ins after a reset failed");
    }
    grant
        .audit_as(
            super::actor(&user),
            "auth.password_reset",
            Some(format!("user:{}", user.email)),
            Outcome::Ok,
            None,
        )
        .await;
    Ok("/login".into())
}

/// Who the people and workspaces named by audit actors and ids are, read once each: lists show
/// a person's name and a workspace's name, never the ids the records hold.
#[derive(Default)]
pub struct Names {
    users: std::collections::HashMap<String, Option<engine::identity::accounts::User>>,
    workspaces: std::collections::HashMap<String, Option<String>>,
}

impl Names {
    /// The user an actor (`user:<id>`, `user:<id> token:<id>`, `user:<id> (…)`) is, if it is one
    /// who still exists.
    pub async fn person(
        &mut self,
        state: &crate::state::AppState,
        actor: &str,
    ) -> Option<engine::identity::accounts::User> {
        let id = actor
            .strip_prefix("user:")?
            .split(' ')
            .next()
            .filter(|id| !id.is_empty())?;
        if !self.users.contains_key(id) {
            let user = state.accounts.get(id).await.ok().flatten();
            self.users.insert(id.to_owned(), user);
        }
        self.users.get(id).cloned().flatten()
    }

    /// A workspace's name, if it still exists.
    pub async fn workspace(&mut self, state: &crate::state::AppState, id: &str) -> Option<String> {
        if !self.workspaces.contains_key(id) {
            let name = state
                .workspaces
                .get(id)
                .await
                .ok()
                .flatten()
                .map(|w| w.name);
            self.workspaces.insert(id.to_owned(), name);
        }
        self.workspaces.get(id).cloned().flatten()
    }
}
