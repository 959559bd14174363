//! The audit log: the whole log for platform admins, a workspace's for those who may read it.

use engine::audit::Filter;

use super::{Grant, Op};
use crate::access::Need;
use crate::error::AppError;
use crate::model::audit::{AuditPage, AuditQuery, AuditRow, PAGE};
use crate::state::AppState;

/// The whole audit log, filtered and paged.
pub static LIST: Op = Op {
    name: "audit.list",
    need: Need::Platform("audit", "read"),
};
/// The whole audit log, exported.
pub static EXPORT: Op = Op {
    name: "audit.export",
    need: Need::Platform("audit", "read"),
};
/// A workspace's audit log, filtered and paged.
pub static LIST_WORKSPACE: Op = Op {
    name: "audit.list_workspace",
    need: Need::Workspace("audit", "read"),
};
/// A workspace's audit log, exported.
pub static EXPORT_WORKSPACE: Op = Op {
    name: "audit.export_workspace",
    need: Need::Workspace("audit", "read"),
};

/// Most records one export returns.
pub const EXPORT_LIMIT: usize = 100_000;
const EXPORT_BATCH: i64 = 1_000;

/// One page of the whole log (newest first, older than `query.before`).
pub async fn list(grant: &Grant, query: &AuditQuery) -> Result<AuditPage, AppError> {
    grant.expect(&LIST)?;
    let filter = parse_filter(&grant.state, query).await?;
    fetch(&grant.state, &filter, query.before, PAGE).await
}

/// One page of the granted workspace's records.
pub async fn list_workspace(grant: &Grant, query: &AuditQuery) -> Result<AuditPage, AppError> {
    grant.expect(&LIST_WORKSPACE)?;
    let mut filter = parse_filter(&grant.state, query).await?;
    filter.workspace = grant.workspace.clone().map(String::from);
    fetch(&grant.state, &filter, query.before, PAGE).await
}

/// The whole log's records that pass the filter, newest first (at most [`EXPORT_LIMIT`]).
pub async fn export(grant: &Grant, query: &AuditQuery) -> Result<Vec<AuditRow>, AppError> {
    grant.expect(&EXPORT)?;
    let filter = parse_filter(&grant.state, query).await?;
    export_all(&grant.state, &filter).await
}

/// The granted workspace's records that pass the filter, newest first (at most
/// [`EXPORT_LIMIT`]).
pub async fn export_workspace(
    grant: &Grant,
    query: &AuditQuery,
) -> Result<Vec<AuditRow>, AppError> {
    grant.expect(&EXPORT_WORKSPACE)?;
    let mut filter = parse_filter(&grant.state, query).await?;
    filter.workspace = grant.workspace.clone().map(String::from);
    export_all(&grant.state, &filter).await
}

async fn export_all(state: &AppState, filter: &Filter) -> Result<Vec<AuditRow>, AppError> {
    let mut rows: Vec<AuditRow> = Vec::new();
    let mut before = None;
    while rows.len() < EXPORT_LIMIT {
        let page = fetch(state, filter, before, EXPORT_BATCH).await?;
        rows.extend(page.rows);
        match page.older {
            Some(older) => before = Some(older),
            None => break,
        }
    }
    rows.truncate(EXPORT_LIMIT);
    Ok(rows)
}

fn day_ms(raw: &str, field: &str) -> Result<i64, AppError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(raw.trim(), format)
        .map(|d| d.midnight().assume_utc().unix_timestamp() * 1000)
        .map_err(|_| AppError::Invalid {
            field: field.into(),
            message: "must be a date, YYYY-MM-DD".into(),
        })
}

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Checks the query's fields (naming the wrong one) and turns it into a store filter.
async fn parse_filter(state: &AppState, q: &AuditQuery) -> Result<Filter, AppError> {
    let actor = match present(&q.actor) {
        Some(email) if email.contains('@') => {
            let user = state
                .accounts
                .find_by_email(email)
                .await
                .map_err(|_| AppError::Invalid {
                    field: "actor".into(),
                    message: "is not a valid email address".into(),
                })?
                .ok_or_else(|| AppError::Invalid {
                    field: "actor".into(),
                    message: "no account has this email".into(),
                })?;
            Some(super::actor(&user))
        }
        other => other.map(str::to_owned),
    };
    let result = match present(&q.result) {
        None => None,
        Some(r @ ("ok" | "denied" | "failed")) => Some(r.to_owned()),
        Some(_) => {
            return Err(AppError::Invalid {
                field: "result".into(),
                message: "must be ok, denied or failed".into(),
            });
        }
    };
    let from = present(&q.from).map(|d| day_ms(d, "from")).transpose()?;
    let to = present(&q.to)
        .map(|d| day_ms(d, "to").map(|ms| ms + 86_400_000))
        .transpose()?;
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err(AppError::Invalid {
            field: "to".into(),
            message: "must not be before from".into(),
        });
    }
    Ok(Filter {
        actor,
        workspace: present(&q.workspace).map(str::to_owned),
        action: present(&q.action).map(str::to_owned),
        result,
        from,
        to,
    })
}

/// Up to `limit` records older than `before`, with actor emails resolved.
async fn fetch(
    state: &AppState,
    filter: &Filter,
    before: Option<i64>,
    limit: i64,
) -> Result<AuditPage, AppError> {
    let records = state
        .audit
        .query(filter, before, limit + 1)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "audit query failed");
            AppError::Internal
        })?;
    let more = records.len() as i64 > limit;
    let mut rows = Vec::with_capacity(records.len());
    let mut names = crate::ops::users::Names::default();
    for r in records
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(0))
    {
        let actor_email = names.person(state, &r.actor).await.map(|u| u.email);
        let workspace_name = match &r.workspace {
            Some(id) => names.workspace(state, id).await,
            None => None,
        };
        rows.push(AuditRow {
            seq: r.seq,
            at: r.at,
            actor: r.actor,
            actor_email,
            workspace: r.workspace,
            workspace_name,
            action: r.action,
            target: r.target,
            result: r.result,
            reason: r.reason,
            request_id: r.request_id,
            source_ip: r.source_ip,
        });
    }
    let older = more.then(|| rows.last().map(|r| r.seq)).flatten();
    Ok(AuditPage { rows, older })
}
