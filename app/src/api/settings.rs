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
