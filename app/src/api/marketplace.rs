//! The marketplace: searching the catalog, one extension's page, sources (platform admins),
//! install plans and installs, installed apps with update and uninstall, approvals of host
//! access (platform admins), reviews and helpful votes. Installs, updates and uninstalls run as
//! stack deploys whose progress arrives over the live websocket.

use engine::extensions::market::{
    AppView, ExtensionDetail, GitInstallForm, InstallForm, InstallPlan, InstallStarted, NewSource,
    ReviewForm, Reviews, SearchPage, SearchQuery, SourceView, SyncReport, UpdatePreview,
};
use leptos::prelude::*;

use crate::error::AppError;

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use engine::extensions::market::AppView;
    use engine::marketplace::{Installer, MarketError};

    use crate::error::AppError;
    use crate::state::AppState;

    impl From<MarketError> for AppError {
        fn from(e: MarketError) -> Self {
            match e {
                MarketError::Invalid { field, message } => Self::Invalid { field, message },
                MarketError::NotFound(what) => Self::NotFound(what),
                MarketError::Conflict(m) => Self::Conflict(m),
                MarketError::Diagnostics(d) => Self::Diagnostics(d),
                MarketError::Source(m) => Self::Invalid {
                    field: "location".into(),
                    message: m,
                },
                MarketError::Stack(e) => e.into(),
                MarketError::Db(e) => e.into(),
                MarketError::Vault(e) => {
                    tracing::error!(error = %e, "the secrets key could not open an app's inputs");
                    Self::Internal
                }
            }
        }
    }

    /// The installer as the caller: a platform admin installs without approval or policy.
    pub async fn installer<'a>(
        caller: &crate::ops::Caller,
        workspace: &str,
        actor: &'a str,
        policy: &'a mut Option<compose::policy::SecurityPolicy>,
    ) -> Result<Installer<'a>, AppError> {
        *policy = crate::ops::policy_for(caller, workspace).await?;
        Ok(Installer {
            actor,
            admin: policy.is_none(),
            policy: policy.as_ref(),
        })
    }

    /// The app if it belongs to `workspace` (else as if it did not exist).
    pub async fn app_in(state: &AppState, workspace: &str, app: &str) -> Result<AppView, AppError> {
        let view = state.marketplace.app_view(app).await?;
        if view.workspace != workspace {
            return Err(AppError::NotFound("app".into()));
        }
        Ok(view)
    }

    /// Apps in the workspaces the caller may read.
    pub async fn visible_apps(
        state: &AppState,
        user: &engine::accounts::User,
        token: Option<&engine::tokens::TokenInfo>,
    ) -> Result<Vec<AppView>, AppError> {
        let scope = crate::access::readable(state, user, token, "extension").await?;
        Ok(state
            .marketplace
            .apps(None)
            .await?
            .into_iter()
            .filter(|a| scope.sees(Some(&a.workspace)))
            .collect())
    }
}

/// Searches the catalog.
#[server(endpoint = "search_extensions", output = crate::api::codec::Json)]
pub async fn search_extensions(
    #[server(default)] query: SearchQuery,
) -> Result<SearchPage, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<SearchExtensions>(None).await?;
            Ok(ctx.state.marketplace.search(&query).await?)
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
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<GetExtension>(None).await?;
            Ok(ctx.state.marketplace.detail(&id, source.as_deref()).await?)
        }
        .await,
    )
}

/// Extension sources (platform admins).
#[server(endpoint = "list_sources", output = crate::api::codec::Json)]
pub async fn list_sources() -> Result<Vec<SourceView>, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<ListSources>(None).await?;
            Ok(ctx.state.marketplace.sources().await?)
        }
        .await,
    )
}

/// Adds a source and syncs it (platform admins).
#[server(endpoint = "add_source", output = crate::api::codec::Json)]
pub async fn add_source(form: NewSource) -> Result<SyncReport, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<AddSource>(None).await?;
            let result = ctx
                .state
                .marketplace
                .add_source(&form, &ctx.actor())
                .await
                .map(|(_, report)| report);
            ctx.audited(
                "extension_source.add",
                Some(format!(
                    "source:{} ({})",
                    form.name.trim(),
                    form.location.trim()
                )),
                result,
            )
            .await
        }
        .await,
    )
}

/// Syncs a source now (platform admins).
#[server(endpoint = "sync_source", output = crate::api::codec::Json)]
pub async fn sync_source(id: String) -> Result<SyncReport, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<SyncSource>(None).await?;
            let result = ctx.state.marketplace.sync(&id).await;
            ctx.audited(
                "extension_source.sync",
                Some(format!("source:{id}")),
                result,
            )
            .await
        }
        .await,
    )
}

/// Removes a source (platform admins); apps installed from it stay.
#[server(endpoint = "remove_source", output = crate::api::codec::Json)]
pub async fn remove_source(id: String) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<RemoveSource>(None).await?;
            let result = ctx.state.marketplace.remove_source(&id).await.map(|_| ());
            ctx.audited(
                "extension_source.remove",
                Some(format!("source:{id}")),
                result,
            )
            .await
        }
        .await,
    )
}

/// What installing would do in the workspace: requirements reused or installed first.
#[server(endpoint = "plan_install", output = crate::api::codec::Json)]
pub async fn plan_install(workspace: String, form: InstallForm) -> Result<InstallPlan, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<PlanInstall>(Some(&workspace)).await?;
            let admin = crate::ops::policy_for(&ctx, &workspace).await?.is_none();
            Ok(ctx.state.marketplace.plan(&workspace, &form, admin).await?)
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
    crate::auth::reply(
        async {
            let ctx =
                crate::auth::RequestCtx::authorize::<InstallExtension>(Some(&workspace)).await?;
            let actor = ctx.actor();
            let mut policy = None;
            let who = installer(&ctx, &workspace, &actor, &mut policy).await?;
            let result = ctx.state.marketplace.install(&workspace, &form, who).await;
            ctx.audited_work(
                "extension.install",
                Some(format!(
                    "extension:{} stack:{}",
                    form.extension,
                    form.stack.trim()
                )),
                result,
            )
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
    crate::auth::reply(
        async {
            let mut ctx = crate::auth::RequestCtx::authorize::<InstallFromGit>(None).await?;
            ctx.workspace = Some(workspace.clone());
            let actor = ctx.actor();
            let mut policy = None;
            let who = installer(&ctx, &workspace, &actor, &mut policy).await?;
            let result = ctx
                .state
                .marketplace
                .install_from_git(
                    &workspace,
                    &form.url,
                    form.reference.as_deref(),
                    &form.install,
                    who,
                )
                .await;
            ctx.audited_work(
                "extension.install_git",
                Some(format!(
                    "{} stack:{}",
                    form.url.trim(),
                    form.install.stack.trim()
                )),
                result,
            )
            .await
            .map(|work| work.value)
        }
        .await,
    )
}

/// Apps in every workspace the caller may read.
#[server(endpoint = "list_apps", output = crate::api::codec::Json)]
pub async fn list_apps() -> Result<Vec<AppView>, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<ListApps>(None).await?;
            visible_apps(&ctx.state, ctx.require_user()?, ctx.token.as_ref()).await
        }
        .await,
    )
}

/// What updating an app changes (changelog, new inputs).
#[server(endpoint = "app_update_preview", output = crate::api::codec::Json)]
pub async fn app_update_preview(workspace: String, app: String) -> Result<UpdatePreview, AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::auth::RequestCtx::authorize::<AppUpdatePreview>(Some(&workspace)).await?;
            app_in(&ctx.state, &workspace, &app).await?;
            Ok(ctx.state.marketplace.update_preview(&app).await?)
        }
        .await,
    )
}

/// Updates an app to its source's newer version.
#[server(endpoint = "update_app", output = crate::api::codec::Json)]
pub async fn update_app(workspace: String, app: String) -> Result<AppView, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<UpdateApp>(Some(&workspace)).await?;
            let found = app_in(&ctx.state, &workspace, &app).await?;
            let actor = ctx.actor();
            let mut policy = None;
            let who = installer(&ctx, &workspace, &actor, &mut policy).await?;
            let result = ctx.state.marketplace.update(&app, who).await;
            ctx.audited_work(
                "extension.update",
                Some(format!("app:{} ({})", found.stack, found.extension)),
                result,
            )
            .await
            .map(|work| work.value)
        }
        .await,
    )
}

/// Uninstalls an app, deleting its volumes when asked.
#[server(endpoint = "uninstall_app", output = crate::api::codec::Json)]
pub async fn uninstall_app(workspace: String, app: String, volumes: bool) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<UninstallApp>(Some(&workspace)).await?;
            let found = app_in(&ctx.state, &workspace, &app).await?;
            let result = ctx
                .state
                .marketplace
                .uninstall(&app, volumes, &ctx.actor())
                .await
                .map(|_| ());
            ctx.audited(
                "extension.uninstall",
                Some(format!(
                    "app:{} ({}){}",
                    found.stack,
                    found.extension,
                    if volumes { " with its volumes" } else { "" }
                )),
                result,
            )
            .await
        }
        .await,
    )
}

/// A platform admin approves an app's host access; the install runs now.
#[server(endpoint = "approve_app", output = crate::api::codec::Json)]
pub async fn approve_app(workspace: String, app: String) -> Result<InstallStarted, AppError> {
    crate::auth::reply(
        async {
            let mut ctx = crate::auth::RequestCtx::authorize::<ApproveApp>(None).await?;
            let found = app_in(&ctx.state, &workspace, &app).await?;
            ctx.workspace = Some(workspace.clone());
            let policy = ctx.state.policies.get(&workspace).await?;
            let result = ctx
                .state
                .marketplace
                .approve(&app, &ctx.actor(), &policy)
                .await
                .map(|w| w.value);
            ctx.audited(
                "extension.approve",
                Some(format!("app:{} ({})", found.stack, found.extension)),
                result,
            )
            .await
        }
        .await,
    )
}

/// An extension's reviews.
#[server(endpoint = "list_reviews", output = crate::api::codec::Json)]
pub async fn list_reviews(id: String) -> Result<Reviews, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<ListReviews>(None).await?;
            let user = ctx.require_user()?;
            Ok(ctx.state.marketplace.reviews(&id, &user.id).await?)
        }
        .await,
    )
}

/// Writes or rewrites the caller's review.
#[server(endpoint = "save_review", output = crate::api::codec::Json)]
pub async fn save_review(id: String, form: ReviewForm) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<SaveReview>(None).await?;
            let user = ctx.require_user()?.id.clone();
            let result = ctx.state.marketplace.review(&id, &user, &form).await;
            ctx.audited("extension.review", Some(format!("extension:{id}")), result)
                .await
        }
        .await,
    )
}

/// Deletes the caller's review.
#[server(endpoint = "delete_review", output = crate::api::codec::Json)]
pub async fn delete_review(id: String) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<DeleteReview>(None).await?;
            let user = ctx.require_user()?.id.clone();
            let result = ctx.state.marketplace.delete_review(&id, &user).await;
            ctx.audited(
                "extension.review_delete",
                Some(format!("extension:{id}")),
                result,
            )
            .await
        }
        .await,
    )
}

/// Marks (or unmarks) someone's review helpful.
#[server(endpoint = "vote_review", output = crate::api::codec::Json)]
pub async fn vote_review(id: String, author: String, helpful: bool) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<VoteReview>(None).await?;
            let user = ctx.require_user()?.id.clone();
            let result = ctx
                .state
                .marketplace
                .vote(&id, &author, &user, helpful)
                .await;
            ctx.audited(
                "extension.review_vote",
                Some(format!("extension:{id} review:{author}")),
                result,
            )
            .await
        }
        .await,
    )
}
