//! Where the signed-in user is signed in: list, end one, end all. The operations are in
//! `crate::ops::sessions`.

use leptos::prelude::*;

use crate::error::AppError;

pub use crate::model::accounts::SessionView;

/// The caller's live sign-ins, most recently active first.
#[server(endpoint = "list_sessions", output = crate::api::codec::Json)]
pub async fn list_sessions() -> Result<Vec<SessionView>, AppError> {
    use crate::ops::{On, admit, sessions};
    crate::auth::reply(
        async {
            let grant = admit(&sessions::LIST, On::Nothing).await?;
            sessions::list(&grant).await
        }
        .await,
    )
}

/// Ends one of the caller's other sign-ins (the current one ends with "Sign out").
#[server(endpoint = "revoke_session", output = crate::api::codec::Json)]
pub async fn revoke_session(id: String) -> Result<(), AppError> {
    use crate::ops::{On, admit, sessions};
    crate::auth::reply(
        async {
            let grant = admit(&sessions::REVOKE, On::Nothing).await?;
            sessions::revoke(&grant, &id).await
        }
        .await,
    )
}

/// Ends every sign-in of the caller, this one included. Returns where to go next.
#[server(endpoint = "sign_out_everywhere", output = crate::api::codec::Json)]
pub async fn sign_out_everywhere() -> Result<String, AppError> {
    use crate::ops::{On, admit, sessions};
    crate::auth::reply(
        async {
            let grant = admit(&sessions::SIGN_OUT_EVERYWHERE, On::Nothing).await?;
            sessions::sign_out_everywhere(&grant).await
        }
        .await,
    )
}
