//! The marketplace over REST: the catalog and its search, extension sources (platform admins),
//! install plans, installs, updates and uninstalls of apps in a workspace (operators and
//! owners), approvals of host access (platform admins), reviews and helpful votes. Each handler
//! transports its operation in `app::ops::marketplace`; installs and updates answer at once, or
//! when they end with `?wait=true`.

use app::AppState;
use app::ops::{Grant, marketplace};
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
pub async fn search(
    Extension(grant): Extension<Grant>,
    Query(query): Query<SearchQuery>,
) -> Response {
    answer(marketplace::search(&grant, &query).await, StatusCode::OK)
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
    Extension(grant): Extension<Grant>,
    Path(id): Path<String>,
    Query(q): Query<SourceQuery>,
) -> Response {
    answer(
        marketplace::get(&grant, &id, q.source.as_deref()).await,
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
pub async fn list_reviews(Extension(grant): Extension<Grant>, Path(id): Path<String>) -> Response {
    answer(marketplace::list_reviews(&grant, &id).await, StatusCode::OK)
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
    Extension(grant): Extension<Grant>,
    Path(id): Path<String>,
    Json(form): Json<ReviewForm>,
) -> Response {
    answer(
        marketplace::save_review(&grant, &id, &form).await,
        StatusCode::NO_CONTENT,
    )
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
pub async fn delete_review(Extension(grant): Extension<Grant>, Path(id): Path<String>) -> Response {
    answer(
        marketplace::delete_review(&grant, &id).await,
        StatusCode::NO_CONTENT,
    )
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
    Extension(grant): Extension<Grant>,
    Path((id, author)): Path<(String, String)>,
) -> Response {
    answer(
        marketplace::vote_review(&grant, &id, &author, true).await,
        StatusCode::NO_CONTENT,
    )
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
    Extension(grant): Extension<Grant>,
    Path((id, author)): Path<(String, String)>,
) -> Response {
    answer(
        marketplace::vote_review(&grant, &id, &author, false).await,
        StatusCode::NO_CONTENT,
    )
}

/// Extension sources with how their last sync went (platform admins).
#[utoipa::path(
    get,
    path = "/api/v1/extension-sources",
    tag = "marketplace",
    responses((status = 200, description = "Sources", body = [SourceView]))
)]
pub async fn list_sources(Extension(grant): Extension<Grant>) -> Response {
    answer(marketplace::list_sources(&grant).await, StatusCode::OK)
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
    Extension(grant): Extension<Grant>,
    Json(form): Json<NewSource>,
) -> Response {
    answer(
        marketplace::add_source(&grant, &form).await,
        StatusCode::CREATED,
    )
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
pub async fn sync_source(Extension(grant): Extension<Grant>, Path(id): Path<String>) -> Response {
    answer(marketplace::sync_source(&grant, &id).await, StatusCode::OK)
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
pub async fn remove_source(Extension(grant): Extension<Grant>, Path(id): Path<String>) -> Response {
    answer(
        marketplace::remove_source(&grant, &id).await,
        StatusCode::NO_CONTENT,
    )
}

/// Apps in every workspace the caller may read.
#[utoipa::path(
    get,
    path = "/api/v1/apps",
    tag = "marketplace",
    responses((status = 200, description = "Installed apps", body = [AppView]))
)]
pub async fn list_all_apps(Extension(grant): Extension<Grant>) -> Response {
    answer(marketplace::list_apps(&grant).await, StatusCode::OK)
}

/// Installs awaiting a platform admin's approval of their host access.
#[utoipa::path(
    get,
    path = "/api/v1/apps/awaiting-approval",
    tag = "marketplace",
    responses((status = 200, description = "Apps awaiting approval", body = [AppView]))
)]
pub async fn awaiting_approval(Extension(grant): Extension<Grant>) -> Response {
    answer(marketplace::list_awaiting(&grant).await, StatusCode::OK)
}

/// The workspace's apps.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{workspace}/apps",
    tag = "marketplace",
    params(("workspace" = String, Path, description = "Workspace id")),
    responses((status = 200, description = "Installed apps", body = [AppView]))
)]
pub async fn list_apps(Extension(grant): Extension<Grant>) -> Response {
    answer(
        marketplace::list_workspace_apps(&grant).await,
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
pub async fn plan(Extension(grant): Extension<Grant>, Json(form): Json<InstallForm>) -> Response {
    answer(marketplace::plan(&grant, &form).await, StatusCode::OK)
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
    Extension(grant): Extension<Grant>,
    Query(wait): Query<WaitQuery>,
    Json(form): Json<InstallForm>,
) -> Response {
    match marketplace::install(&grant, &form).await {
        Ok(w) => started(&state, w, wait.wait, StatusCode::CREATED).await,
        Err(e) => from_app(&e),
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
    Extension(grant): Extension<Grant>,
    Query(wait): Query<WaitQuery>,
    Json(form): Json<GitInstallForm>,
) -> Response {
    match marketplace::install_from_git(&grant, &form).await {
        Ok(w) => started(&state, w, wait.wait, StatusCode::CREATED).await,
        Err(e) => from_app(&e),
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
    Extension(grant): Extension<Grant>,
    Path((_workspace, app)): Path<(String, String)>,
) -> Response {
    answer(marketplace::get_app(&grant, &app).await, StatusCode::OK)
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
    Extension(grant): Extension<Grant>,
    Path((_workspace, app)): Path<(String, String)>,
    Query(form): Query<UninstallForm>,
) -> Response {
    answer(
        marketplace::uninstall(&grant, &app, form.volumes).await,
        StatusCode::OK,
    )
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
    Extension(grant): Extension<Grant>,
    Path((_workspace, app)): Path<(String, String)>,
) -> Response {
    answer(
        marketplace::update_preview(&grant, &app).await,
        StatusCode::OK,
    )
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
    Extension(grant): Extension<Grant>,
    Path((_workspace, app)): Path<(String, String)>,
    Query(wait): Query<WaitQuery>,
) -> Response {
    match marketplace::update(&grant, &app).await {
        Ok(w) => {
            let mut view = w.value;
            if wait.wait {
                let _ = w.done.await;
                if let Ok(v) = state.marketplace.app_view(&view.id).await {
                    view = v;
                }
            }
            (StatusCode::OK, Json(view)).into_response()
        }
        Err(e) => from_app(&e),
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
    Extension(grant): Extension<Grant>,
    Path((_workspace, app)): Path<(String, String)>,
    Query(wait): Query<WaitQuery>,
) -> Response {
    match marketplace::approve(&grant, &app).await {
        Ok(w) => started(&state, w, wait.wait, StatusCode::OK).await,
        Err(e) => from_app(&e),
    }
}
