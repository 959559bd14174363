//! The marketplace over server functions: searching the catalog, one extension's page, sources
//! (platform admins), install plans and installs, installed apps with update and uninstall,
//! approvals of host access (platform admins), reviews and helpful votes. Each one transports
//! its operation in [`crate::ops::marketplace`]. Installs, updates and uninstalls run as stack
//! deploys whose progress arrives over the live websocket.

use engine::extensions::market::{
    AppView, ExtensionDetail, GitInstallForm, InstallForm, InstallPlan, InstallStarted, NewSource,
    ReviewForm, Reviews, SearchPage, SearchQuery, SourceView, SyncReport, UpdatePreview,
};
use leptos::prelude::*;

use crate::error::AppError;

/// Searches the catalog.
#[server(endpoint = "search_extensions", output = crate::api::codec::Json)]
pub async fn search_extensions(
    #[server(default)] query: SearchQuery,
) -> Result<SearchPage, AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::SEARCH, On::Nothing).await?;
            marketplace::search(&grant, &query).await
        }
        .await,
    )
}

/// One extension: its card, manifest, README and changelog.
#[server(endpoint = "get_extension", output = crate::api::codec::Json)]
pub async fn get_extension(
    id: String,
    source: Option<String>,
) -> Result<ExtensionDetail, AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::GET, On::Nothing).await?;
            marketplace::get(&grant, &id, source.as_deref()).await
        }
        .await,
    )
}

/// Extension sources (platform admins).
#[server(endpoint = "list_sources", output = crate::api::codec::Json)]
pub async fn list_sources() -> Result<Vec<SourceView>, AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::LIST_SOURCES, On::Nothing).await?;
            marketplace::list_sources(&grant).await
        }
        .await,
    )
}

/// Adds a source and syncs it (platform admins).
#[server(endpoint = "add_source", output = crate::api::codec::Json)]
pub async fn add_source(form: NewSource) -> Result<SyncReport, AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::ADD_SOURCE, On::Nothing).await?;
            marketplace::add_source(&grant, &form).await
        }
        .await,
    )
}

/// Syncs a source now (platform admins).
#[server(endpoint = "sync_source", output = crate::api::codec::Json)]
pub async fn sync_source(id: String) -> Result<SyncReport, AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::SYNC_SOURCE, On::Nothing).await?;
            marketplace::sync_source(&grant, &id).await
        }
        .await,
    )
}

/// Removes a source (platform admins); apps installed from it stay.
#[server(endpoint = "remove_source", output = crate::api::codec::Json)]
pub async fn remove_source(id: String) -> Result<(), AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::REMOVE_SOURCE, On::Nothing).await?;
            marketplace::remove_source(&grant, &id).await
        }
        .await,
    )
}

/// What installing would do in the workspace: requirements reused or installed first.
#[server(endpoint = "plan_install", output = crate::api::codec::Json)]
pub async fn plan_install(workspace: String, form: InstallForm) -> Result<InstallPlan, AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::PLAN, On::Workspace(&workspace)).await?;
            marketplace::plan(&grant, &form).await
        }
        .await,
    )
}

/// Installs an extension into a workspace; progress arrives over the live websocket.
#[server(endpoint = "install_extension", output = crate::api::codec::Json)]
pub async fn install_extension(
    workspace: String,
    form: InstallForm,
) -> Result<InstallStarted, AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::INSTALL, On::Workspace(&workspace)).await?;
            marketplace::install(&grant, &form)
                .await
                .map(|work| work.value)
        }
        .await,
    )
}

/// Installs straight from a git repository (platform admins): it becomes a source.
#[server(endpoint = "install_from_git", output = crate::api::codec::Json)]
pub async fn install_from_git(
    workspace: String,
    form: GitInstallForm,
) -> Result<InstallStarted, AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::INSTALL_FROM_GIT, On::Workspace(&workspace)).await?;
            marketplace::install_from_git(&grant, &form)
                .await
                .map(|work| work.value)
        }
        .await,
    )
}

/// Apps in every workspace the caller may read.
#[server(endpoint = "list_apps", output = crate::api::codec::Json)]
pub async fn list_apps() -> Result<Vec<AppView>, AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::LIST_APPS, On::Nothing).await?;
            marketplace::list_apps(&grant).await
        }
        .await,
    )
}

/// What updating an app changes (changelog, new inputs).
#[server(endpoint = "app_update_preview", output = crate::api::codec::Json)]
pub async fn app_update_preview(workspace: String, app: String) -> Result<UpdatePreview, AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::UPDATE_PREVIEW, On::Workspace(&workspace)).await?;
            marketplace::update_preview(&grant, &app).await
        }
        .await,
    )
}

/// Updates an app to its source's newer version.
#[server(endpoint = "update_app", output = crate::api::codec::Json)]
pub async fn update_app(workspace: String, app: String) -> Result<AppView, AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::UPDATE, On::Workspace(&workspace)).await?;
            marketplace::update(&grant, &app)
                .await
                .map(|work| work.value)
        }
        .await,
    )
}

/// Uninstalls an app, deleting its volumes when asked.
#[server(endpoint = "uninstall_app", output = crate::api::codec::Json)]
pub async fn uninstall_app(workspace: String, app: String, volumes: bool) -> Result<(), AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::UNINSTALL, On::Workspace(&workspace)).await?;
            marketplace::uninstall(&grant, &app, volumes)
                .await
                .map(drop)
        }
        .await,
    )
}

/// A platform admin approves an app's host access; the install runs now.
#[server(endpoint = "approve_app", output = crate::api::codec::Json)]
pub async fn approve_app(workspace: String, app: String) -> Result<InstallStarted, AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::APPROVE, On::Workspace(&workspace)).await?;
            marketplace::approve(&grant, &app)
                .await
                .map(|work| work.value)
        }
        .await,
    )
}

/// An extension's reviews.
#[server(endpoint = "list_reviews", output = crate::api::codec::Json)]
pub async fn list_reviews(id: String) -> Result<Reviews, AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::LIST_REVIEWS, On::Nothing).await?;
            marketplace::list_reviews(&grant, &id).await
        }
        .await,
    )
}

/// Writes or rewrites the caller's review.
#[server(endpoint = "save_review", output = crate::api::codec::Json)]
pub async fn save_review(id: String, form: ReviewForm) -> Result<(), AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::SAVE_REVIEW, On::Nothing).await?;
            marketplace::save_review(&grant, &id, &form).await
        }
        .await,
    )
}

/// Deletes the caller's review.
#[server(endpoint = "delete_review", output = crate::api::codec::Json)]
pub async fn delete_review(id: String) -> Result<(), AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::DELETE_REVIEW, On::Nothing).await?;
            marketplace::delete_review(&grant, &id).await
        }
        .await,
    )
}

/// Marks (or unmarks) someone's review helpful.
#[server(endpoint = "vote_review", output = crate::api::codec::Json)]
pub async fn vote_review(id: String, author: String, helpful: bool) -> Result<(), AppError> {
    use crate::ops::{On, admit, marketplace};
    crate::auth::reply(
        async {
            let grant = admit(&marketplace::VOTE_REVIEW, On::Nothing).await?;
            marketplace::vote_review(&grant, &id, &author, helpful).await
        }
        .await,
    )
}
