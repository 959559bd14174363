//! The marketplace: the catalog and its sources, installed apps, reviews. Reading the catalog and
//! reviewing are open to every signed-in user; a review is always the caller's own.

use engine::extensions::market::{
    AppView, ExtensionDetail, GitInstallForm, InstallForm, InstallPlan, InstallStarted, NewSource,
    ReviewForm, Reviews, SearchPage, SearchQuery, SourceView, SyncReport, UpdatePreview,
};
use engine::marketplace::{Installer, MarketError, Working};

use super::{Caller, Grant, Op, policy_for};
use crate::access::Need;
use crate::error::AppError;

/// Searching the catalog.
pub static SEARCH: Op = Op {
    name: "extension.search",
    need: Need::SignedIn,
};
/// One extension of the catalog.
pub static GET: Op = Op {
    name: "extension.get",
    need: Need::SignedIn,
};
/// The extension manifest's JSON Schema.
pub static SCHEMA: Op = Op {
    name: "extension.schema",
    need: Need::Anyone,
};
/// An extension's reviews.
pub static LIST_REVIEWS: Op = Op {
    name: "review.list",
    need: Need::SignedIn,
};
/// Writing one's own review.
pub static SAVE_REVIEW: Op = Op {
    name: "review.save",
    need: Need::SignedIn,
};
/// Deleting one's own review.
pub static DELETE_REVIEW: Op = Op {
    name: "review.delete",
    need: Need::SignedIn,
};
/// Marking a review helpful, or not.
pub static VOTE_REVIEW: Op = Op {
    name: "review.vote",
    need: Need::SignedIn,
};
/// The catalog's sources.
pub static LIST_SOURCES: Op = Op {
    name: "extension_source.list",
    need: Need::Platform("extension_source", "manage"),
};
/// Adding a source to the catalog.
pub static ADD_SOURCE: Op = Op {
    name: "extension_source.add",
    need: Need::Platform("extension_source", "manage"),
};
/// Syncing a source now.
pub static SYNC_SOURCE: Op = Op {
    name: "extension_source.sync",
    need: Need::Platform("extension_source", "manage"),
};
/// Removing a source.
pub static REMOVE_SOURCE: Op = Op {
    name: "extension_source.remove",
    need: Need::Platform("extension_source", "manage"),
};
/// The installed apps the caller may see.
pub static LIST_APPS: Op = Op {
    name: "app.list",
    need: Need::SignedIn,
};
/// Installs waiting for a platform admin's approval.
pub static LIST_AWAITING: Op = Op {
    name: "app.list_awaiting",
    need: Need::Platform("extension", "approve"),
};
/// A workspace's installed apps.
pub static LIST_WORKSPACE_APPS: Op = Op {
    name: "app.list_workspace",
    need: Need::Workspace("extension", "read"),
};
/// One installed app.
pub static GET_APP: Op = Op {
    name: "app.get",
    need: Need::Workspace("extension", "read"),
};
/// What an install would do, checked, without doing it.
pub static PLAN: Op = Op {
    name: "app.plan",
    need: Need::Workspace("extension", "read"),
};
/// Installing an extension as an app of a workspace.
pub static INSTALL: Op = Op {
    name: "app.install",
    need: Need::Workspace("extension", "install"),
};
/// Installing straight from a git repository (which becomes a source).
pub static INSTALL_FROM_GIT: Op = Op {
    name: "app.install_from_git",
    need: Need::Platform("extension_source", "manage"),
};
/// What updating an app would change.
pub static UPDATE_PREVIEW: Op = Op {
    name: "app.update_preview",
    need: Need::Workspace("extension", "read"),
};
/// Updating an app.
pub static UPDATE: Op = Op {
    name: "app.update",
    need: Need::Workspace("extension", "install"),
};
/// Uninstalling an app, keeping or deleting its data.
pub static UNINSTALL: Op = Op {
    name: "app.uninstall",
    need: Need::Workspace("extension", "install"),
};
/// Approving an install that asks for host access.
pub static APPROVE: Op = Op {
    name: "app.approve",
    need: Need::Platform("extension", "approve"),
};

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

/// The JSON Schema of an extension manifest (`orbitr.yaml`), for editors to complete.
pub fn schema(grant: &Grant) -> Result<serde_json::Value, AppError> {
    grant.expect(&SCHEMA)?;
    Ok(engine::extensions::manifest::json_schema())
}

/// Searches the catalog: words (prefixes match), a category, a source, a sort.
pub async fn search(grant: &Grant, query: &SearchQuery) -> Result<SearchPage, AppError> {
    grant.expect(&SEARCH)?;
    Ok(grant.state.marketplace.search(query).await?)
}

/// One extension (of `source`, else the first that has it): its card, manifest, README and
/// changelog.
pub async fn get(
    grant: &Grant,
    id: &str,
    source: Option<&str>,
) -> Result<ExtensionDetail, AppError> {
    grant.expect(&GET)?;
    Ok(grant.state.marketplace.detail(id, source).await?)
}

/// An extension's reviews, the caller's own marked.
pub async fn list_reviews(grant: &Grant, id: &str) -> Result<Reviews, AppError> {
    grant.expect(&LIST_REVIEWS)?;
    let user = grant.require_user()?;
    Ok(grant.state.marketplace.reviews(id, &user.id).await?)
}

/// Writes or rewrites the caller's review.
pub async fn save_review(grant: &Grant, id: &str, form: &ReviewForm) -> Result<(), AppError> {
    grant.expect(&SAVE_REVIEW)?;
    let user = grant.require_user()?;
    let result = grant.state.marketplace.review(id, &user.id, form).await;
    grant
        .audited("extension.review", Some(format!("extension:{id}")), result)
        .await
}

/// Deletes the caller's review.
pub async fn delete_review(grant: &Grant, id: &str) -> Result<(), AppError> {
    grant.expect(&DELETE_REVIEW)?;
    let user = grant.require_user()?;
    let result = grant.state.marketplace.delete_review(id, &user.id).await;
    grant
        .audited(
            "extension.review_delete",
            Some(format!("extension:{id}")),
            result,
        )
        .await
}

/// Marks (or unmarks) someone else's review helpful.
pub async fn vote_review(
    grant: &Grant,
    id: &str,
    author: &str,
    helpful: bool,
) -> Result<(), AppError> {
    grant.expect(&VOTE_REVIEW)?;
    let user = grant.require_user()?;
    let result = grant
        .state
        .marketplace
        .vote(id, author, &user.id, helpful)
        .await;
    grant
        .audited(
            "extension.review_vote",
            Some(format!("extension:{id} review:{author}")),
            result,
        )
        .await
}

/// The catalog's sources.
pub async fn list_sources(grant: &Grant) -> Result<Vec<SourceView>, AppError> {
    grant.expect(&LIST_SOURCES)?;
    Ok(grant.state.marketplace.sources().await?)
}

/// Adds a source and syncs it.
pub async fn add_source(grant: &Grant, form: &NewSource) -> Result<SyncReport, AppError> {
    grant.expect(&ADD_SOURCE)?;
    let result = grant
        .state
        .marketplace
        .add_source(form, &grant.actor())
        .await
        .map(|(_, report)| report);
    grant
        .audited(
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

/// Syncs a source now.
pub async fn sync_source(grant: &Grant, id: &str) -> Result<SyncReport, AppError> {
    grant.expect(&SYNC_SOURCE)?;
    let result = grant.state.marketplace.sync(id).await;
    grant
        .audited(
            "extension_source.sync",
            Some(format!("source:{id}")),
            result,
        )
        .await
}

/// Removes a source; apps installed from it stay.
pub async fn remove_source(grant: &Grant, id: &str) -> Result<(), AppError> {
    grant.expect(&REMOVE_SOURCE)?;
    let result = grant.state.marketplace.remove_source(id).await.map(|_| ());
    grant
        .audited(
            "extension_source.remove",
            Some(format!("source:{id}")),
            result,
        )
        .await
}

/// Apps in every workspace the caller may read.
pub async fn list_apps(grant: &Grant) -> Result<Vec<AppView>, AppError> {
    grant.expect(&LIST_APPS)?;
    let user = grant.require_user()?;
    let scope =
        crate::access::readable(&grant.state, user, grant.token.as_ref(), "extension").await?;
    Ok(grant
        .state
        .marketplace
        .apps(None)
        .await?
        .into_iter()
        .filter(|a| scope.sees(Some(&a.workspace)))
        .collect())
}

/// Installs awaiting a platform admin's approval of their host access.
pub async fn list_awaiting(grant: &Grant) -> Result<Vec<AppView>, AppError> {
    grant.expect(&LIST_AWAITING)?;
    Ok(grant.state.marketplace.awaiting().await?)
}

/// The granted workspace's apps.
pub async fn list_workspace_apps(grant: &Grant) -> Result<Vec<AppView>, AppError> {
    grant.expect(&LIST_WORKSPACE_APPS)?;
    let workspace = grant.in_workspace()?.as_str().to_owned();
    Ok(grant.state.marketplace.apps(Some(&[workspace])).await?)
}

/// One app of the granted workspace (id or stack name).
pub async fn get_app(grant: &Grant, app: &str) -> Result<AppView, AppError> {
    grant.expect(&GET_APP)?;
    app_in(grant, app).await
}

/// What installing would do in the granted workspace: requirements reused or installed first,
/// and whether a platform admin must approve host access.
pub async fn plan(grant: &Grant, form: &InstallForm) -> Result<InstallPlan, AppError> {
    grant.expect(&PLAN)?;
    let workspace = grant.in_workspace()?;
    let admin = policy_for(grant, workspace).await?.is_none();
    Ok(grant.state.marketplace.plan(workspace, form, admin).await?)
}

/// Installs an extension into the granted workspace (requirements first); values are checked
/// before anything is made. Answers at once; `done` answers when the install ends, after its
/// audit record is written.
pub async fn install(
    grant: &Grant,
    form: &InstallForm,
) -> Result<Working<InstallStarted>, AppError> {
    grant.expect(&INSTALL)?;
    let workspace = grant.in_workspace()?;
    let actor = grant.actor();
    let mut policy = None;
    let who = installer(grant, workspace, &actor, &mut policy).await?;
    let result = grant.state.marketplace.install(workspace, form, who).await;
    grant
        .audited_work(
            "extension.install",
            Some(format!(
                "extension:{} stack:{}",
                form.extension,
                form.stack.trim()
            )),
            result,
        )
        .await
}

/// Installs straight from a git repository into the named workspace: the repository becomes a
/// source (or its source is synced again) and the extension is installed from it.
pub async fn install_from_git(
    grant: &Grant,
    form: &GitInstallForm,
) -> Result<Working<InstallStarted>, AppError> {
    grant.expect(&INSTALL_FROM_GIT)?;
    let workspace = grant.in_workspace()?;
    let actor = grant.actor();
    let mut policy = None;
    let who = installer(grant, workspace, &actor, &mut policy).await?;
    let result = grant
        .state
        .marketplace
        .install_from_git(
            workspace,
            &form.url,
            form.reference.as_deref(),
            &form.install,
            who,
        )
        .await;
    grant
        .audited_work(
            "extension.install_git",
            Some(format!(
                "{} stack:{}",
                form.url.trim(),
                form.install.stack.trim()
            )),
            result,
        )
        .await
}

/// What updating an app changes: versions, changelog, new inputs.
pub async fn update_preview(grant: &Grant, app: &str) -> Result<UpdatePreview, AppError> {
    grant.expect(&UPDATE_PREVIEW)?;
    let found = app_in(grant, app).await?;
    Ok(grant.state.marketplace.update_preview(&found.id).await?)
}

/// Updates an app to its source's newer version (values kept, new inputs at their defaults);
/// a failed deploy goes back to the version that ran.
pub async fn update(grant: &Grant, app: &str) -> Result<Working<AppView>, AppError> {
    grant.expect(&UPDATE)?;
    let found = app_in(grant, app).await?;
    let workspace = grant.in_workspace()?;
    let actor = grant.actor();
    let mut policy = None;
    let who = installer(grant, workspace, &actor, &mut policy).await?;
    let result = grant.state.marketplace.update(&found.id, who).await;
    grant
        .audited_work(
            "extension.update",
            Some(format!("app:{} ({})", found.stack, found.extension)),
            result,
        )
        .await
}

/// Uninstalls an app: its stack taken down and deleted, its volumes too when `volumes`.
/// Answers the app as it was.
pub async fn uninstall(grant: &Grant, app: &str, volumes: bool) -> Result<AppView, AppError> {
    grant.expect(&UNINSTALL)?;
    let found = app_in(grant, app).await?;
    let result = grant
        .state
        .marketplace
        .uninstall(&found.id, volumes, &grant.actor())
        .await;
    grant
        .audited(
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

/// Approves an install's host access (platform admins); it runs now.
pub async fn approve(grant: &Grant, app: &str) -> Result<Working<InstallStarted>, AppError> {
    grant.expect(&APPROVE)?;
    let found = app_in(grant, app).await?;
    let policy = grant.state.policies.get(grant.in_workspace()?).await?;
    let result = grant
        .state
        .marketplace
        .approve(&found.id, &grant.actor(), &policy)
        .await;
    grant
        .audited(
            "extension.approve",
            Some(format!("app:{} ({})", found.stack, found.extension)),
            result,
        )
        .await
}

/// The installer as the caller: a platform admin installs without approval or policy.
async fn installer<'a>(
    caller: &Caller,
    workspace: &str,
    actor: &'a str,
    policy: &'a mut Option<compose::policy::SecurityPolicy>,
) -> Result<Installer<'a>, AppError> {
    *policy = policy_for(caller, workspace).await?;
    Ok(Installer {
        actor,
        admin: policy.is_none(),
        policy: policy.as_ref(),
    })
}

/// The app if it belongs to the granted workspace (else as if it did not exist).
async fn app_in(grant: &Grant, app: &str) -> Result<AppView, AppError> {
    let view = grant.state.marketplace.app_view(app).await?;
    if Some(view.workspace.as_str()) != grant.workspace.as_deref() {
        return Err(AppError::NotFound("app".into()));
    }
    Ok(view)
}
