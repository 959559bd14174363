//! Audit log export: `GET /api/v1/audit` (platform admins) and
//! `GET /api/v1/workspaces/{workspace}/audit` (workspace owners), as JSON or CSV.

use app::AppState;
use app::api::audit::{AuditQuery, AuditRow, fetch, parse_filter, to_csv};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api_error::{ApiError, from_app};

/// Most records one export returns.
const EXPORT_LIMIT: usize = 100_000;
const BATCH: i64 = 1_000;

/// Filters and format of an export.
#[derive(Debug, Deserialize, IntoParams, ToSchema)]
pub struct ExportParams {
    /// An email address, or an actor prefix (`user:<id>`, `anonymous`).
    pub actor: Option<String>,
    /// Workspace id (platform export only).
    pub workspace: Option<String>,
    /// Action prefix, e.g. `auth.` or `workspace.delete`.
    pub action: Option<String>,
    /// `ok`, `denied` or `failed`.
    pub result: Option<String>,
    /// First day, `YYYY-MM-DD` (UTC).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC), inclusive.
    pub to: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

async fn export(state: &AppState, params: ExportParams, workspace: Option<String>) -> Response {
    let query = AuditQuery {
        actor: params.actor,
        workspace: workspace.or(params.workspace),
        action: params.action,
        result: params.result,
        from: params.from,
        to: params.to,
        before: None,
    };
    let csv = match params.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return from_app(&app::error::AppError::Invalid {
                field: "format".into(),
                message: "must be json or csv".into(),
            });
        }
    };
    let filter = match parse_filter(state, &query).await {
        Ok(filter) => filter,
        Err(e) => return from_app(&e),
    };
    let mut rows: Vec<AuditRow> = Vec::new();
    let mut before = None;
    while rows.len() < EXPORT_LIMIT {
        match fetch(state, &filter, before, BATCH).await {
            Ok(page) => {
                rows.extend(page.rows);
                match page.older {
                    Some(older) => before = Some(older),
                    None => break,
                }
            }
            Err(e) => return from_app(&e),
        }
    }
    rows.truncate(EXPORT_LIMIT);
    if csv {
        (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    CONTENT_DISPOSITION,
                    "attachment; filename=\"orbitr-audit.csv\"",
                ),
            ],
            to_csv(&rows),
        )
            .into_response()
    } else {
        (
            [(
                CONTENT_DISPOSITION,
                "attachment; filename=\"orbitr-audit.json\"",
            )],
            Json(rows),
        )
            .into_response()
    }
}

/// The whole audit log, newest first (platform admins), as JSON or CSV.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    params(ExportParams),
    responses(
        (status = 200, description = "Records, newest first (at most 100,000)"),
        (status = 400, description = "A filter is malformed; the message names it", body = ApiError),
        (status = 403, description = "Platform admins only", body = ApiError),
    )
)]
pub async fn export_all(
    State(state): State<AppState>,
    Query(params): Query<ExportParams>,
) -> Response {
    export(&state, params, None).await
}

/// One workspace's audit records (its owners and platform admins), as JSON or CSV.
#[utoipa::path(
    get,
    path = "/api/v1/workspaces/{workspace}/audit",
    tag = "audit",
    params(("workspace" = String, Path, description = "Workspace id"), ExportParams),
    responses(
        (status = 200, description = "Records, newest first (at most 100,000)"),
        (status = 400, description = "A filter is malformed; the message names it", body = ApiError),
        (status = 403, description = "Owners of the workspace and platform admins only", body = ApiError),
    )
)]
pub async fn export_workspace(
    State(state): State<AppState>,
    Path(workspace): Path<String>,
    Query(params): Query<ExportParams>,
) -> Response {
    export(&state, params, Some(workspace)).await
}
