//! Account administration for platform admins, and the password-reset link it issues. The
//! operations are in `crate::ops::users`.

use leptos::prelude::*;

use crate::error::AppError;

pub use crate::model::accounts::UserView;

/// Every account.
#[server(endpoint = "list_users", output = crate::api::codec::Json)]
pub async fn list_users() -> Result<Vec<UserView>, AppError> {
    use crate::ops::{On, admit, users};
    crate::auth::reply(
        async {
            let grant = admit(&users::LIST, On::Nothing).await?;
            users::list(&grant).await
        }
        .await,
    )
}

/// Grants (`admin = "true"`) or withdraws the platform admin role.
#[server(endpoint = "set_platform_admin", output = crate::api::codec::Json)]
pub async fn set_platform_admin(user_id: String, admin: String) -> Result<(), AppError> {
    use crate::ops::{On, admit, users};
    crate::auth::reply(
        async {
            let grant = admit(&users::SET_ADMIN, On::Nothing).await?;
            users::set_admin(&grant, &user_id, &admin).await
        }
        .await,
    )
}

/// Deletes an account (never the last admin, never one's own).
#[server(endpoint = "delete_user", output = crate::api::codec::Json)]
pub async fn delete_user(user_id: String) -> Result<(), AppError> {
    use crate::ops::{On, admit, users};
    crate::auth::reply(
        async {
            let grant = admit(&users::DELETE, On::Nothing).await?;
            users::delete(&grant, &user_id).await
        }
        .await,
    )
}

/// Issues a one-time password-reset link for an account. Returns its path (shown once).
#[server(endpoint = "create_password_reset", output = crate::api::codec::Json)]
pub async fn create_password_reset(user_id: String) -> Result<String, AppError> {
    use crate::ops::{On, admit, users};
    crate::auth::reply(
        async {
            let grant = admit(&users::CREATE_RESET, On::Nothing).await?;
            users::create_reset(&grant, &user_id).await
        }
        .await,
    )
}

/// The email a reset link is for, or why it cannot be used.
#[server(endpoint = "check_password_reset", output = crate::api::codec::Json)]
pub async fn check_password_reset(code: String) -> Result<String, AppError> {
    use crate::ops::{On, admit, users};
    crate::auth::reply(
        async {
            let grant = admit(&users::CHECK_RESET, On::Nothing).await?;
            users::check_reset(&grant, &code).await
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
    use crate::ops::{On, admit, users};
    crate::auth::reply(
        async {
            let grant = admit(&users::COMPLETE_RESET, On::Nothing).await?;
            users::complete_reset(&grant, &code, &password, &confirm).await
        }
        .await,
    )
}
