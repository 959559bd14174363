//! First-run setup, sign-in and sign-out. The operations are in `crate::ops::auth`.

use leptos::prelude::*;

use crate::error::AppError;

pub use crate::model::accounts::Me;

/// Creates the platform admin while no account exists, and signs them in.
/// Returns where to go next.
#[server(endpoint = "setup", output = crate::api::codec::Json)]
pub async fn setup_admin(
    name: String,
    email: String,
    password: String,
    confirm: String,
) -> Result<String, AppError> {
    use crate::ops::{On, admit, auth};
    crate::auth::reply(
        async {
            let grant = admit(&auth::SETUP, On::Nothing).await?;
            let new = auth::NewAccount {
                name,
                email,
                password,
                confirm,
            };
            auth::setup(&grant, new).await
        }
        .await,
    )
}

/// Signs in with email and password. Returns where to go next.
#[server(endpoint = "login", output = crate::api::codec::Json)]
pub async fn login(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<String, AppError> {
    use crate::ops::{On, admit, auth};
    crate::auth::reply(
        async {
            let grant = admit(&auth::LOGIN, On::Nothing).await?;
            auth::login(&grant, &email, &password, next.as_deref()).await
        }
        .await,
    )
}

/// Ends this session. Returns where to go next.
#[server(endpoint = "logout", output = crate::api::codec::Json)]
pub async fn logout() -> Result<String, AppError> {
    use crate::ops::{On, admit, auth};
    crate::auth::reply(
        async {
            let grant = admit(&auth::LOGOUT, On::Nothing).await?;
            auth::logout(&grant).await
        }
        .await,
    )
}

/// The signed-in user, if any.
#[server(output = crate::api::codec::Json)]
pub async fn get_me() -> Result<Option<Me>, AppError> {
    use crate::ops::{On, admit, auth};
    crate::auth::reply(
        async {
            let grant = admit(&auth::WHO, On::Nothing).await?;
            auth::who(&grant)
        }
        .await,
    )
}

/// Changes the signed-in user's password; every other session of theirs ends, this one stays.
#[server(endpoint = "change_password", output = crate::api::codec::Json)]
pub async fn change_password(
    current: String,
    password: String,
    confirm: String,
) -> Result<String, AppError> {
    use crate::ops::{On, admit, auth};
    crate::auth::reply(
        async {
            let grant = admit(&auth::CHANGE_PASSWORD, On::Nothing).await?;
            auth::change_password(&grant, &current, &password, &confirm).await
        }
        .await,
    )
}
