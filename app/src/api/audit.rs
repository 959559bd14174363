//! The audit log, for platform admins (everything) and workspace owners (their workspace):
//! filtered, paged newest first; the REST API exports the same as JSON or CSV.

use leptos::prelude::*;

use crate::error::AppError;

pub use crate::model::audit::{AuditPage, AuditQuery, AuditRow, PAGE};

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use super::AuditRow;

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
            let grant =
                crate::ops::admit(&crate::ops::audit::LIST, crate::ops::On::Nothing).await?;
            crate::ops::audit::list(&grant, &query).await
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
            let grant = crate::ops::admit(
                &crate::ops::audit::LIST_WORKSPACE,
                crate::ops::On::Workspace(&workspace),
            )
            .await?;
            crate::ops::audit::list_workspace(&grant, &query).await
        }
        .await,
    )
}
