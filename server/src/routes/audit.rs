//! Audit log export: `GET /api/v1/audit` (platform admins) and
//! `GET /api/v1/workspaces/{workspace}/audit` (workspace owners), as JSON or CSV.

use app::api::audit::{AuditQuery, AuditRow, to_csv};
use app::ops::{Grant, audit};
use axum::extract::Query;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api_error::{ApiError, from_app};

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

/// The query and whether CSV was asked for, or the error naming a bad format.
fn read(params: ExportParams) -> Result<(AuditQuery, bool), app::error::AppError> {
    let csv = match params.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(app::error::AppError::Invalid {
                field: "format".into(),
                message: "must be json or csv".into(),
            });
        }
    };
    let query = AuditQuery {
        actor: params.actor,
        workspace: params.workspace,
        action: params.action,
        result: params.result,
        from: params.from,
        to: params.to,
        before: None,
    };
    Ok((query, csv))
}

/// An export's records as a JSON or CSV download.
fn download(rows: Result<Vec<AuditRow>, app::error::AppError>, csv: bool) -> Response {
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => return from_app(&e),
    };
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
    Extension(grant): Extension<Grant>,
    Query(params): Query<ExportParams>,
) -> Response {
    match read(params) {
        Ok((query, csv)) => download(audit::export(&grant, &query).await, csv),
        Err(e) => from_app(&e),
    }
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
    Extension(grant): Extension<Grant>,
    Query(params): Query<ExportParams>,
) -> Response {
    match read(params) {
        Ok((query, csv)) => download(audit::export_workspace(&grant, &query).await, csv),
        Err(e) => from_app(&e),
    }
}
