//! Finding the way: the command palette's index and the first-run checklist over server
//! functions; the operations are in [`crate::ops::palette`] and [`crate::ops::onboarding`].

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::onboarding::Checklist;
use crate::model::palette::Entry;

/// The caller's stacks, containers, apps, workspaces and images with the actions they may take.
#[server(endpoint = "palette_index", output = crate::api::codec::Json)]
pub async fn palette_index() -> Result<Vec<Entry>, AppError> {
    use crate::ops::{On, admit, palette};
    crate::auth::reply(
        async {
            let grant = admit(&palette::INDEX, On::Nothing).await?;
            palette::index(&grant).await
        }
        .await,
    )
}

/// The caller's getting-started steps.
#[server(endpoint = "checklist", output = crate::api::codec::Json)]
pub async fn get_checklist() -> Result<Checklist, AppError> {
    use crate::ops::{On, admit, onboarding};
    crate::auth::reply(
        async {
            let grant = admit(&onboarding::CHECKLIST, On::Nothing).await?;
            onboarding::checklist(&grant).await
        }
        .await,
    )
}

/// Hides the caller's checklist for good.
#[server(endpoint = "dismiss_checklist", output = crate::api::codec::Json)]
pub async fn dismiss_checklist() -> Result<(), AppError> {
    use crate::ops::{On, admit, onboarding};
    crate::auth::reply(
        async {
            let grant = admit(&onboarding::DISMISS, On::Nothing).await?;
            onboarding::dismiss(&grant).await
        }
        .await,
    )
}
