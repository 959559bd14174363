//! The audit log, for platform admins (everything) and workspace owners (their workspace):
//! filtered, paged newest first; the REST API exports the same as JSON or CSV.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Records per page.
pub const PAGE: i64 = 50;

/// A record as the log page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub at: i64,
    /// `user:<id>`, `user:<id> token:<id>` or `anonymous`.
    pub actor: String,
    /// The actor's email when the actor is a user.
    pub actor_email: Option<String>,
    pub workspace: Option<String>,
    /// The workspace's name, while it exists.
    pub workspace_name: Option<String>,
    pub action: String,
    pub target: Option<String>,
    /// `ok`, `denied` or `failed`.
    pub result: String,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub source_ip: Option<String>,
}

/// One page of records and the `before` value of the next (older) page, if there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub older: Option<i64>,
}

/// The filter fields as forms and query strings carry them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// An email address, or an actor prefix such as `user:…` or `anonymous`.
    pub actor: Option<String>,
    pub workspace: Option<String>,
    /// Action prefix, e.g. `auth.` or `workspace.delete`.
    pub action: Option<String>,
    pub result: Option<String>,
    /// `YYYY-MM-DD` (UTC), inclusive.
    pub from: Option<String>,
    /// `YYYY-MM-DD` (UTC), inclusive.
    pub to: Option<String>,
    pub before: Option<i64>,
}

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::state::AppState;
    use engine::audit::Filter;

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
    pub async fn parse_filter(state: &AppState, q: &AuditQuery) -> Result<Filter, AppError> {
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
                Some(crate::auth::actor(&user))
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
    pub async fn fetch(
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

    /// The records as CSV, one header line then one line per record.
    pub fn to_csv(rows: &[AuditRow]) -> String {
        fn cell(v: &str) -> String {
            if v.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", v.replace('"', "\"\""))
            } else {
                v.to_owned()
            }
        }
        let mut out = String::from(
            "seq,at,actor,actor_email,workspace,action,target,result,reason,request_id,source_ip\n",
        );
        for r in rows {
            let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(r.at) * 1_000_000)
                .ok()
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default();
            let fields = [
                r.seq.to_string(),
                at,
                r.actor.clone(),
                r.actor_email.clone().unwrap_or_default(),
                r.workspace.clone().unwrap_or_default(),
                r.action.clone(),
                r.target.clone().unwrap_or_default(),
                r.result.clone(),
                r.reason.clone().unwrap_or_default(),
                r.request_id.clone().unwrap_or_default(),
                r.source_ip.clone().unwrap_or_default(),
            ];
            out.push_str(&fields.iter().map(|f| cell(f)).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
        out
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn csv_cells_with_separators_are_quoted() {
            let row = AuditRow {
                seq: 1,
                at: 0,
                actor: "anonymous".into(),
                actor_email: None,
                workspace: None,
                workspace_name: None,
                action: "auth.login".into(),
                target: Some("user:a,b".into()),
                result: "failed".into(),
                reason: Some(r#"said "no""#.into()),
                request_id: None,
                source_ip: None,
            };
            let csv = to_csv(&[row]);
            let line = csv.lines().nth(1).expect("a record line");
            assert_eq!(
                line,
                r#"1,1970-01-01T00:00:00Z,anonymous,,,auth.login,"user:a,b",failed,"said ""no""",,"#
            );
        }
    }
}

/// The whole log (platform admins).
#[server(endpoint = "list_audit", output = crate::api::codec::Json)]
pub async fn list_audit(#[server(default)] query: AuditQuery) -> Result<AuditPage, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::ops::admit(&crate::ops::audit::LIST, crate::ops::On::Nothing).await?;
            let filter = parse_filter(&ctx.state, &query).await?;
            fetch(&ctx.state, &filter, query.before, PAGE).await
        }
        .await,
    )
}

/// One workspace's records (its owners).
#[server(endpoint = "list_workspace_audit", output = crate::api::codec::Json)]
pub async fn list_workspace_audit(
    workspace: String,
    #[server(default)] query: AuditQuery,
) -> Result<AuditPage, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::ops::admit(
                &crate::ops::audit::LIST_WORKSPACE,
                crate::ops::On::Workspace(&workspace),
            )
            .await?;
            let mut filter = parse_filter(&ctx.state, &query).await?;
            filter.workspace = Some(workspace);
            fetch(&ctx.state, &filter, query.before, PAGE).await
        }
        .await,
    )
}
