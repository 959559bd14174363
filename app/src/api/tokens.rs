//! Personal API tokens, managed from the profile page with a browser session. The operations
//! are in `crate::ops::tokens`.

use leptos::prelude::*;

use crate::error::AppError;

pub use crate::model::accounts::{ApiToken, NewApiToken};

/// The signed-in user's tokens.
#[server(endpoint = "list_api_tokens", output = crate::api::codec::Json)]
pub async fn list_api_tokens() -> Result<Vec<ApiToken>, AppError> {
    use crate::ops::{On, admit, tokens};
    crate::auth::reply(
        async {
            let grant = admit(&tokens::LIST, On::Nothing).await?;
            tokens::list(&grant).await
        }
        .await,
    )
}

/// Creates a token; `expires_in_days` empty means it does not expire.
#[server(endpoint = "create_api_token", output = crate::api::codec::Json)]
pub async fn create_api_token(
    name: String,
    scope: String,
    expires_in_days: Option<String>,
    workspace: Option<String>,
) -> Result<NewApiToken, AppError> {
    use crate::ops::{On, admit, tokens};
    crate::auth::reply(
        async {
            let grant = admit(&tokens::CREATE, On::Nothing).await?;
            let new = tokens::NewToken {
                name,
                scope,
                expires_in_days,
                workspace,
            };
            tokens::create(&grant, new).await
        }
        .await,
    )
}

/// Revokes one of the signed-in user's tokens.
#[server(endpoint = "revoke_api_token", output = crate::api::codec::Json)]
pub async fn revoke_api_token(id: String) -> Result<(), AppError> {
    use crate::ops::{On, admit, tokens};
    crate::auth::reply(
        async {
            let grant = admit(&tokens::REVOKE, On::Nothing).await?;
            tokens::revoke(&grant, &id).await
        }
        .await,
    )
}
