//! Platform settings over server functions: each transports its operation in
//! [`crate::ops::settings`].

use std::collections::BTreeMap;

use engine::model::settings::SettingsPage;
use leptos::prelude::*;

use crate::error::AppError;

/// The settings page (platform admins).
#[server(endpoint = "get_settings", output = crate::api::codec::Json)]
pub async fn get_settings() -> Result<SettingsPage, AppError> {
    use crate::ops::{On, admit, settings};
    crate::auth::reply(
        async {
            let grant = admit(&settings::GET, On::Nothing).await?;
            settings::get(&grant).await
        }
        .await,
    )
}

/// Changes settings by key; they apply at once. Answers the page as it is after the change.
#[server(endpoint = "update_settings", output = crate::api::codec::Json)]
pub async fn update_settings(values: BTreeMap<String, String>) -> Result<SettingsPage, AppError> {
    use crate::ops::{On, admit, settings};
    crate::auth::reply(
        async {
            let grant = admit(&settings::UPDATE, On::Nothing).await?;
            settings::update(&grant, &values).await
        }
        .await,
    )
}

/// Adds or changes a sign-in provider; it applies at once. Answers the page after the change
/// (without any client secret).
#[server(endpoint = "save_sign_in_provider", output = crate::api::codec::Json)]
pub async fn save_sign_in_provider(
    provider: engine::model::providers::ProviderForm,
) -> Result<SettingsPage, AppError> {
    use crate::ops::{On, admit, settings};
    crate::auth::reply(
        async {
            let grant = admit(&settings::SAVE_PROVIDER, On::Nothing).await?;
            settings::save_provider(&grant, &provider).await
        }
        .await,
    )
}

/// Removes a sign-in provider the settings page added.
#[server(endpoint = "remove_sign_in_provider", output = crate::api::codec::Json)]
pub async fn remove_sign_in_provider(name: String) -> Result<SettingsPage, AppError> {
    use crate::ops::{On, admit, settings};
    crate::auth::reply(
        async {
            let grant = admit(&settings::REMOVE_PROVIDER, On::Nothing).await?;
            settings::remove_provider(&grant, &name).await
        }
        .await,
    )
}

/// Sends a test mail to the caller's own address through the mail server set; answers that
/// address.
#[server(endpoint = "send_test_mail", output = crate::api::codec::Json)]
pub async fn send_test_mail() -> Result<String, AppError> {
    use crate::ops::{On, admit, settings};
    crate::auth::reply(
        async {
            let grant = admit(&settings::TEST_MAIL, On::Nothing).await?;
            settings::send_test_mail(&grant).await
        }
        .await,
    )
}
