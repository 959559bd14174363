//! Sign-in through OAuth 2 / OpenID Connect providers: starting a sign-in (or a link from the
//! profile), the provider's callback, and the profile's list of linked providers. The
//! operations are in `crate::ops::oauth`.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::AppError;

pub use crate::model::oauth::{
    LinkedAccount, ProviderButton, ProviderLink, Refusal, SignInMethods,
};

/// The configured sign-in providers (for the sign-in and invitation pages).
#[server(endpoint = "sign_in_providers", output = crate::api::codec::Json)]
pub async fn sign_in_providers() -> Result<Vec<ProviderButton>, AppError> {
    use crate::ops::{On, admit, oauth};
    crate::auth::reply(
        async {
            let grant = admit(&oauth::PROVIDERS, On::Nothing).await?;
            oauth::providers(&grant)
        }
        .await,
    )
}

/// Starts a sign-in (`intent` "login", the default) or a link to the signed-in account
/// ("link") at `provider`: sends the browser to the provider. `invite` carries an invitation
/// code through the sign-in; `next` is where to land afterwards.
#[server(endpoint = "oauth/start", output = crate::api::codec::Json)]
pub async fn oauth_start(
    provider: String,
    intent: Option<String>,
    invite: Option<String>,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::ops::{On, admit, oauth};
    let to = oauth::or_refusal(
        async {
            let grant = admit(&oauth::START, On::Nothing).await?;
            let start = oauth::Start {
                provider,
                intent,
                invite,
                next,
            };
            oauth::start(&grant, start).await
        }
        .await,
    );
    crate::auth::reply(to.map(|to| leptos_axum::redirect(&to)))
}

/// Where providers send people back: `?code=…&state=…` (or `?error=…`). Always answers with
/// a redirect: to the destination, the profile, or the refusal page.
#[server(endpoint = "oauth/callback", input = GetUrl, output = crate::api::codec::Json)]
pub async fn oauth_callback(
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
) -> Result<(), AppError> {
    use crate::ops::{On, admit, oauth};
    let to = oauth::or_refusal(
        async {
            let mut grant = admit(&oauth::CALLBACK, On::Nothing).await?;
            let back = oauth::Return { code, state, error };
            oauth::callback(&mut grant, back).await
        }
        .await,
    );
    crate::auth::reply(to.map(|to| leptos_axum::redirect(&to)))
}

/// The signed-in user's sign-in methods: password or not, and each provider, linked or not.
#[server(endpoint = "my_sign_in_methods", output = crate::api::codec::Json)]
pub async fn my_sign_in_methods() -> Result<SignInMethods, AppError> {
    use crate::ops::{On, admit, oauth};
    crate::auth::reply(
        async {
            let grant = admit(&oauth::METHODS, On::Nothing).await?;
            oauth::methods(&grant).await
        }
        .await,
    )
}

/// Removes the link between the signed-in user's account and `provider`.
#[server(endpoint = "unlink_provider", output = crate::api::codec::Json)]
pub async fn unlink_provider(provider: String) -> Result<(), AppError> {
    use crate::ops::{On, admit, oauth};
    crate::auth::reply(
        async {
            let grant = admit(&oauth::UNLINK, On::Nothing).await?;
            oauth::unlink(&grant, &provider).await
        }
        .await,
    )
}
