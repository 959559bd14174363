//! The marketplace over REST: the catalog and its search, extension sources (platform admins),
//! install plans, installs, updates and uninstalls of apps in a workspace (operators and
//! owners), approvals of host access (platform admins), reviews and helpful votes. Permissions
//! are declared in `crate::access::REST`; installs and updates answer at once, or when they end
//! with `?wait=true`.

use app::AppState;
use app::api::marketplace::{app_in, installer, visible_apps};
use app::auth::{CurrentUser, TokenAuth};
use app::error::AppError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use engine::extensions::market::{
    AppView, ExtensionDetail, GitInstallForm, InstallForm, InstallPlan, InstallStarted, NewSource,
    ReviewForm, Reviews, SearchPage, SearchQuery, SourceView, SyncReport, UninstallForm,
    UpdatePreview,
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api_error::{ApiError, answer, from_app};
use app::ops::Grant;

fn failed(e: impl Into<AppError>) -> Response {
    from_app(&e.into())
}

/// `?source=`: which source's entry (the first that has it when left out).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SourceQuery {
    pub source: Option<String>,
}

/// `?wait=true`: answer when the install or update has ended.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitQuery {
    #[serde(default)]
    pub wait: bool,
}

/// The apps of a started install (or approval), refreshed once it ended when `wait` asks.
async fn started(
    state: &AppState,
    working: engine::marketplace::Working<InstallStarted>,
    wait: bool,
    status: StatusCode,
) -> Response {
    let mut started = working.value;
    if wait {
        let _ = working.done.await;
        for app in &mut started.apps {
            match state.marketplace.app_view(&app.id).await {
                Ok(v) => *app = v,
                // A requirement of a failed install is gone.
                Err(_) => app.status = "removed".into(),
            }
        }
    }
    (status, Json(started)).into_response()
}

/// Searches the catalog: words (prefixes match), a category, a source, a sort.
#[utoipa::path(
    get,
    path = "/api/v1/extensions",
    tag = "marketplace",
    params(SearchQuery),
    responses(
        (status = 200, description = "A page of extensions", body = SearchPage),
        (status = 400, description = "An unknown sort", body = ApiError),
    )
)]
pub async fn search(State(state): State<AppState>, Query(query): Query<SearchQuery>) -> Response {
    answer(state.marketplace.search(&query).await, StatusCode::OK)
}

/// One extension: its card, manifest, README and changelog (rendered and sanitized).
#[utoipa::path(
    get,
    path = "/api/v1/extensions/{extension}",
    tag = "marketplace",
    params(("extension" = String, Path, description = "Extension id"), SourceQuery),
    responses(
        (status = 200, description = "The extension", body = ExtensionDetail),
        (status = 404, description = "No such extension", body = ApiError),
    )
)]
pub async fn get_extension(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<SourceQuery>,
) -> Response {
    answer(
        state.marketplace.detail(&id, q.source.as_deref()).await,
        StatusCode::OK,
    )
}

/// An extension's reviews, most helpful first.
#[utoipa::path(
    get,
    path = "/api/v1/extensions/{extension}/reviews",
    tag = "marketplace",
    params(("extension" = String, Path, description = "Extension id")),
    responses((status = 200, description = "Reviews", body = Reviews))
)]
pub async fn list_reviews(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> Response {
    answer(
        state.marketplace.reviews(&id, &user.id).await,
        StatusCode::OK,
    )
}

/// Writes or rewrites the caller's review (1–5 and a text).
#[utoipa::path(
    put,
    path = "/api/v1/extensions/{extension}/reviews",
    tag = "marketplace",
    params(("extension" = String, Path, description = "Extension id")),
    request_body = ReviewForm,
    responses(
        (status = 204, description = "Saved"),
        (status = 400, description = "A field is not acceptable", body = ApiError),
        (status = 404, description = "No such extension", body = ApiError),
    )
)]
pub async fn save_review(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    Path(id): Path<String>,
    Json(form): Json<ReviewForm>,
) -> Response {
    let result = state.marketplace.review(&id, &user.id, &form).await;
    let result = audit
        .audited("extension.review", Some(format!("extension:{id}")), result)
        .await;
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => failed(e),
    }
}

/// Deletes the caller's review.
#[utoipa::path(
    delete,
    path = "/api/v1/extensions/{extension}/reviews",
    tag = "marketplace",
    params(("extension" = String, Path, description = "Extension id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "The caller has no review of it", body = ApiError),
    )
)]
pub async fn delete_review(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    Path(id): Path<String>,
) -> Response {
    let result = state.marketplace.delete_review(&id, &user.id).await;
    let result = audit
        .audited(
            "extension.review_delete",
            Some(format!("extension:{id}")),
            result,
        )
        .await;
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => failed(e),
    }
}

async fn vote(
    state: AppState,
    audit: Grant,
    user: String,
    id: String,
    author: String,
    helpful: bool,
) -> Response {
    let result = state.marketplace.vote(&id, &author, &user, helpful).await;
    let result = audit
        .audited(
            "extension.review_vote",
            Some(format!("extension:{id} review:{author}")),
            result,
        )
        .await;
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => failed(e),
    }
}

/// Marks a review helpful (not one's own).
#[utoipa::path(
    put,
    path = "/api/v1/extensions/{extension}/reviews/{author}/helpful",
    tag = "marketplace",
    params(
        ("extension" = String, Path, description = "Extension id"),
        ("author" = String, Path, description = "The review's author (user id)"),
    ),
    responses(
        (status = 204, description = "Marked"),
        (status = 404, description = "No such review", body = ApiError),
        (status = 409, description = "One's own review", body = ApiError),
    )
)]
pub async fn mark_helpful(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    Path((id, author)): Path<(String, String)>,
) -> Response {
    vote(state, audit, user.id, id, author, true).await
}

/// Takes back a helpful mark.
#[utoipa::path(
    delete,
    path = "/api/v1/extensions/{extension}/reviews/{author}/helpful",
    tag = "marketplace",
    params(
        ("extension" = String, Path, description = "Extension id"),
        ("author" = String, Path, description = "The review's author (user id)"),
    ),
    responses((status = 204, description = "Unmarked"))
)]
pub async fn unmark_helpful(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    Path((id, author)): Path<(String, String)>,
) -> Response {
    vote(state, audit, user.id, id, author, false).await
}

/// Extension sources with how their last sync went (platform admins).
#[utoipa::path(
    get,
    path = "/api/v1/extension-sources",
    tag = "marketplace",
    responses((status = 200, description = "Sources", body = [SourceView]))
)]
pub async fn list_sources(State(state): State<AppState>) -> Response {
    answer(state.marketplace.sources().await, StatusCode::OK)
}

/// Adds a source (a folder, a git repository or an HTTP index) and syncs it; one that cannot
/// be read is not added (platform admins).
#[utoipa::path(
    post,
    path = "/api/v1/extension-sources",
    tag = "marketplace",
    request_body = NewSource,
    responses(
        (status = 201, description = "Added and synced", body = SyncReport),
        (status = 400, description = "A field is not acceptable, or the source cannot be read", body = ApiError),
    )
)]
pub async fn add_source(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Json(form): Json<NewSource>,
) -> Response {
    let result = state
        .marketplace
        .add_source(&form, &audit.actor())
        .await
        .map(|(_, r)| r);
    let result = audit
        .audited(
            "extension_source.add",
            Some(format!(
                "source:{} ({})",
                form.name.trim(),
                form.location.trim()
            )),
            result,
        )
        .await;
    answer(result, StatusCode::CREATED)
}

/// Syncs a source now (platform admins).
#[utoipa::path(
    post,
    path = "/api/v1/extension-sources/{source}/sync",
    tag = "marketplace",
    params(("source" = String, Path, description = "Source id or name")),
    responses(
        (status = 200, description = "Synced", body = SyncReport),
        (status = 400, description = "The source cannot be read; its last entries stay", body = ApiError),
    )
)]
pub async fn sync_source(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(id): Path<String>,
) -> Response {
    let result = state.marketplace.sync(&id).await;
    let result = audit
        .audited(
            "extension_source.sync",
            Some(format!("source:{id}")),
            result,
        )
        .await;
    answer(result, StatusCode::OK)
}

/// Removes a source; apps installed from it stay (platform admins).
#[utoipa::path(
    delete,
    path = "/api/v1/extension-sources/{source}",
    tag = "marketplace",
    params(("source" = String, Path, description = "Source id or name")),
    responses(
        (status = 204, description = "Removed"),
        (status = 409, description = "The built-in source", body = ApiError),
    )
)]
pub async fn remove_source(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(id): Path<String>,
) -> Response {
    let result = state.marketplace.remove_source(&id).await;
    let result = audit
        .audited(
            "extension_source.remove",
            Some(format!("source:{id}")),
            result,
        )
        .await;
    match result {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => failed(e),
    }
}

/// Apps in every workspace the caller may read.
#[utoipa::path(
    get,
    path = "/api/v1/apps",
    tag = "marketplace",
    responses((status = 200, description = "Installed apps", body = [AppView]))
)]
pub async fn list_all_apps(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    token: Option<Extension<TokenAuth>>,
) -> Response {
    let token = token.map(|Extension(TokenAuth(t))| t);
    let result = visible_apps(&state, &user, token.as_ref()).await;
    answer(result, StatusCode::OK)
}

/// Installs awaiting a platform admin's approval of their host access.
#[utoipa::path(
    get,
    path = "/api/v1/apps/awaiting-approval",
    tag = "marketplace",
    responses((status = 200, description = "Apps awaiting approval", body = [AppView]))
)]
pub async fn awaiting_approval(State(state): State<AppState>) -> Response {
    answer(state.marketplace.awaiting().await, StatusCode::OK)
}

/// The workspace's apps.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{workspace}/apps",
    tag = "marketplace",
    params(("workspace" = String, Path, description = "Workspace id")),
    responses((status = 200, description = "Installed apps", body = [AppView]))
)]
pub async fn list_apps(State(state): State<AppState>, Path(workspace): Path<String>) -> Response {
    answer(
        state.marketplace.apps(Some(&[workspace])).await,
        StatusCode::OK,
    )
}

/// What installing would do: requirements reused or installed first, and whether a platform
/// admin must approve host access.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{workspace}/apps/plan",
    tag = "marketplace",
    params(("workspace" = String, Path, description = "Workspace id")),
    request_body = InstallForm,
    responses(
        (status = 200, description = "The plan", body = InstallPlan),
        (status = 409, description = "A requirement cannot be met", body = ApiError),
        (status = 422, description = "A value of the form is not acceptable", body = ApiError),
    )
)]
pub async fn plan(
    State(state): State<AppState>,
    Extension(grant): Extension<Grant>,
    Path(workspace): Path<String>,
    Json(form): Json<InstallForm>,
) -> Response {
    let result = async {
        let admin = app::ops::policy_for(&grant, &workspace).await?.is_none();
        Ok::<_, AppError>(state.marketplace.plan(&workspace, &form, admin).await?)
    }
    .await;
    answer(result, StatusCode::OK)
}

/// Installs an extension as a stack (requirements first). Values are checked before anything
/// is made; a failed deploy leaves nothing but the app's `failed` record with the reason.
/// Host access asked by a non-admin waits for a platform admin's approval.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{workspace}/apps",
    tag = "marketplace",
    params(("workspace" = String, Path, description = "Workspace id"), WaitQuery),
    request_body = InstallForm,
    responses(
        (status = 201, description = "Started (or, with wait, ended): the apps, requirements first", body = InstallStarted),
        (status = 409, description = "The stack name is taken or a requirement cannot be met", body = ApiError),
        (status = 422, description = "A value of the form, the rendered file or the policy refuses it", body = ApiError),
    )
)]
pub async fn install(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(workspace): Path<String>,
    Query(wait): Query<WaitQuery>,
    Json(form): Json<InstallForm>,
) -> Response {
    let actor = audit.actor();
    let mut policy = None;
    let who = match installer(&audit, &workspace, &actor, &mut policy).await {
        Ok(w) => w,
        Err(e) => return failed(e),
    };
    let result = state.marketplace.install(&workspace, &form, who).await;
    let result = audit
        .audited_work(
            "extension.install",
            Some(format!(
                "extension:{} stack:{}",
                form.extension,
                form.stack.trim()
            )),
            result,
        )
        .await;
    match result {
        Ok(w) => started(&state, w, wait.wait, StatusCode::CREATED).await,
        Err(e) => failed(e),
    }
}

/// Installs straight from a git repository (platform admins): the repository becomes a source
/// (or its source is synced again) and the extension is installed from it like any other.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{workspace}/apps/from-git",
    tag = "marketplace",
    params(("workspace" = String, Path, description = "Workspace id"), WaitQuery),
    request_body = GitInstallForm,
    responses(
        (status = 201, description = "Started (or, with wait, ended)", body = InstallStarted),
        (status = 400, description = "The URL is refused or cannot be cloned", body = ApiError),
    )
)]
pub async fn install_from_git(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path(workspace): Path<String>,
    Query(wait): Query<WaitQuery>,
    Json(form): Json<GitInstallForm>,
) -> Response {
    let actor = audit.actor();
    let mut policy = None;
    let who = match installer(&audit, &workspace, &actor, &mut policy).await {
        Ok(w) => w,
        Err(e) => return failed(e),
    };
    let result = state
        .marketplace
        .install_from_git(
            &workspace,
            &form.url,
            form.reference.as_deref(),
            &form.install,
            who,
        )
        .await;
    let result = audit
        .audited_work(
            "extension.install_git",
            Some(format!(
                "{} stack:{}",
                form.url.trim(),
                form.install.stack.trim()
            )),
            result,
        )
        .await;
    match result {
        Ok(w) => started(&state, w, wait.wait, StatusCode::CREATED).await,
        Err(e) => failed(e),
    }
}

/// One app of the workspace.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{workspace}/apps/{app}",
    tag = "marketplace",
    params(
        ("workspace" = String, Path, description = "Workspace id"),
        ("app" = String, Path, description = "App id or stack name"),
    ),
    responses(
        (status = 200, description = "The app", body = AppView),
        (status = 404, description = "No such app in the workspace", body = ApiError),
    )
)]
pub async fn get_app(
    State(state): State<AppState>,
    Path((workspace, app)): Path<(String, String)>,
) -> Response {
    answer(app_in(&state, &workspace, &app).await, StatusCode::OK)
}

/// Uninstalls an app: its stack taken down and deleted; `?volumes=true` deletes its data too.
#[utoipa::path(
    delete,
    path = "/api/v1/workspaces/{workspace}/apps/{app}",
    tag = "marketplace",
    params(
        ("workspace" = String, Path, description = "Workspace id"),
        ("app" = String, Path, description = "App id or stack name"),
        UninstallForm,
    ),
    responses(
        (status = 200, description = "Uninstalled; the app as it was", body = AppView),
        (status = 409, description = "Another app requires it, or it is busy", body = ApiError),
    )
)]
pub async fn uninstall(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path((workspace, app)): Path<(String, String)>,
    Query(form): Query<UninstallForm>,
) -> Response {
    let found = match app_in(&state, &workspace, &app).await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let result = state
        .marketplace
        .uninstall(&found.id, form.volumes, &audit.actor())
        .await;
    let result = audit
        .audited(
            "extension.uninstall",
            Some(format!(
                "app:{} ({}){}",
                found.stack,
                found.extension,
                if form.volumes {
                    " with its volumes"
                } else {
                    ""
                }
            )),
            result,
        )
        .await;
    answer(result, StatusCode::OK)
}

/// What updating the app changes: versions, changelog, new inputs.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{workspace}/apps/{app}/update",
    tag = "marketplace",
    params(
        ("workspace" = String, Path, description = "Workspace id"),
        ("app" = String, Path, description = "App id or stack name"),
    ),
    responses((status = 200, description = "The update", body = UpdatePreview))
)]
pub async fn update_preview(
    State(state): State<AppState>,
    Path((workspace, app)): Path<(String, String)>,
) -> Response {
    let result = async {
        let found = app_in(&state, &workspace, &app).await?;
        Ok::<_, AppError>(state.marketplace.update_preview(&found.id).await?)
    }
    .await;
    answer(result, StatusCode::OK)
}

/// Updates the app to its source's newer version (values kept, new inputs at their defaults);
/// a failed deploy goes back to the version that ran.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{workspace}/apps/{app}/update",
    tag = "marketplace",
    params(
        ("workspace" = String, Path, description = "Workspace id"),
        ("app" = String, Path, description = "App id or stack name"),
        WaitQuery,
    ),
    responses(
        (status = 200, description = "Started (or, with wait, ended)", body = AppView),
        (status = 409, description = "No newer version, or it needs what this caller cannot give", body = ApiError),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path((workspace, app)): Path<(String, String)>,
    Query(wait): Query<WaitQuery>,
) -> Response {
    let actor = audit.actor();
    let found = match app_in(&state, &workspace, &app).await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let mut policy = None;
    let who = match installer(&audit, &workspace, &actor, &mut policy).await {
        Ok(w) => w,
        Err(e) => return failed(e),
    };
    let result = state.marketplace.update(&found.id, who).await;
    let result = audit
        .audited_work(
            "extension.update",
            Some(format!("app:{} ({})", found.stack, found.extension)),
            result,
        )
        .await;
    match result {
        Ok(w) => {
            let mut view = w.value;
            if wait.wait {
                let _ = w.done.await;
                if let Ok(v) = state.marketplace.app_view(&found.id).await {
                    view = v;
                }
            }
            (StatusCode::OK, Json(view)).into_response()
        }
        Err(e) => failed(e),
    }
}

/// A platform admin approves an install's host access; it runs now.
#[utoipa::path(
    post,
    path = "/api/v1/workspaces/{workspace}/apps/{app}/approve",
    tag = "marketplace",
    params(
        ("workspace" = String, Path, description = "Workspace id"),
        ("app" = String, Path, description = "App id or stack name"),
        WaitQuery,
    ),
    responses(
        (status = 200, description = "Started (or, with wait, ended)", body = InstallStarted),
        (status = 409, description = "Not awaiting approval", body = ApiError),
    )
)]
pub async fn approve(
    State(state): State<AppState>,
    Extension(audit): Extension<Grant>,
    Path((workspace, app)): Path<(String, String)>,
    Query(wait): Query<WaitQuery>,
) -> Response {
    let found = match app_in(&state, &workspace, &app).await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let policy = match state.policies.get(&workspace).await {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let result = state
        .marketplace
        .approve(&found.id, &audit.actor(), &policy)
        .await;
    let result = audit
        .audited(
            "extension.approve",
            Some(format!("app:{} ({})", found.stack, found.extension)),
            result,
        )
        .await;
    match result {
        Ok(w) => started(&state, w, wait.wait, StatusCode::OK).await,
        Err(e) => failed(e),
    }
}
