//! `/audit`: the audit log with filters, paging and export. Platform admins see every record;
//! a workspace owner sees the records of the workspace they work in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::audit::{AuditPage, AuditQuery, list_audit, list_workspace_audit};
use crate::components::format::datetime;
use crate::components::workspace::use_workspaces;
use crate::error::AppError;

const FILTERS: [&str; 6] = ["actor", "workspace", "action", "result", "from", "to"];

/// Percent-encodes a query value.
fn encode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'@' | b':') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where the log is read from for this user.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    Everything,
    Workspace(String, String),
    Nothing,
}

/// What the user may read in the audit log.
fn scope_of(ctx: &crate::api::workspaces::WorkspaceContext) -> Scope {
    if ctx.is_admin {
        Scope::Everything
    } else if ctx.can("audit", "read") {
        ctx.current_workspace().map_or(Scope::Nothing, |w| {
            Scope::Workspace(w.id.clone(), w.name.clone())
        })
    } else {
        Scope::Nothing
    }
}

/// `/audit`.
#[component]
pub fn AuditPage() -> impl IntoView {
    let workspaces = use_workspaces();
    let params = use_query_map();
    let query = move || {
        let p = params.read();
        let get = |k: &str| p.get(k).filter(|v| !v.trim().is_empty());
        AuditQuery {
            actor: get("actor"),
            workspace: get("workspace"),
            action: get("action"),
            result: get("result"),
            from: get("from"),
            to: get("to"),
            before: get("before").and_then(|b| b.parse().ok()),
        }
    };
    // The page waits for the user's workspaces (it needs to know what they may read), on the
    // server as in the browser, instead of rendering empty and fetching again after hydration.
    let page = Resource::new(
        move || (workspaces.reload.get(), query()),
        move |(_, query)| async move {
            let scope = workspaces.data.await.ok().map(|c| scope_of(&c));
            match scope {
                None => Ok(None),
                Some(Scope::Everything) => list_audit(query).await.map(Some),
                Some(Scope::Workspace(id, _)) => list_workspace_audit(id, query).await.map(Some),
                Some(Scope::Nothing) => Err(AppError::Forbidden),
            }
        },
    );
    view! {
        <Title text="Audit log"/>
        // Everything that depends on what the viewer may read (the header's tag, the workspace
        // filter, the export address) is drawn once that is known, so the server's page and the
        // browser's first render are the same.
        <Suspense fallback=|| view! {
            <div class="page-header"><h1>"Audit log"</h1></div>
            <div class="panel skeleton" style="height: 8rem"></div>
        }>
            {move || Suspend::new(async move {
                let scope = workspaces.data.await.ok().map(|c| scope_of(&c));
                view! { <Filters scope=scope/> }
            })}
        </Suspense>
        <Transition fallback=|| view! { <div class="panel skeleton" style="height: 8rem"></div> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(None) => view! { <p class="muted">"Loading…"</p> }.into_any(),
                    Ok(Some(page)) => view! { <AuditTable page=page filters=filters(&params.read())/> }.into_any(),
                    Err(AppError::Forbidden) => view! {
                        <section class="panel empty-state" data-test="audit-forbidden">
                            <p>"The audit log is for platform administrators and workspace owners."</p>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" data-test="audit-error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The current filters as a query string (for export and paging links).
fn filters(p: &leptos_router::params::ParamsMap) -> String {
    FILTERS
        .iter()
        .filter_map(|k| {
            p.get(k)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", encode(&v)))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The header, the filter form and the export links, for a viewer whose scope is known.
#[component]
fn Filters(scope: Option<Scope>) -> impl IntoView {
    let params = use_query_map();
    let base = match &scope {
        Some(Scope::Workspace(id, _)) => format!("/api/v1/workspaces/{id}/audit"),
        _ => "/api/v1/audit".to_owned(),
    };
    let export = move |format: &str| {
        let f = filters(&params.read());
        if f.is_empty() {
            format!("{base}?format={format}")
        } else {
            format!("{base}?{f}&format={format}")
        }
    };
    let export_json = export.clone();
    let field = move |k: &'static str| params.read().get(k).unwrap_or_default();
    let tag = match &scope {
        Some(Scope::Workspace(_, name)) => Some(view! { <span class="tag">{name.clone()}</span> }),
        _ => None,
    };
    let everything = scope == Some(Scope::Everything);
    view! {
        <div class="page-header">
            <h1>"Audit log"</h1>
            {tag}
        </div>
        <section class="panel stack">
            <form method="get" action="/audit" class="form form-inline" data-test="audit-filters">
                <div class="field">
                    <label for="f-actor">"Actor"</label>
                    <input id="f-actor" name="actor" placeholder="email" prop:value=move || field("actor")/>
                </div>
                {everything.then(|| view! {
                    <div class="field">
                        <label for="f-workspace">"Workspace id"</label>
                        <input id="f-workspace" name="workspace" prop:value=move || field("workspace")/>
                    </div>
                })}
                <div class="field">
                    <label for="f-action">"Action"</label>
                    <input id="f-action" name="action" placeholder="e.g. auth. or workspace.delete" prop:value=move || field("action")/>
                </div>
                <div class="field">
                    <label for="f-result">"Result"</label>
                    <select id="f-result" name="result" data-test="filter-result">
                        {["", "ok", "denied", "failed"].into_iter().map(|r| {
                            let label = if r.is_empty() { "any" } else { r };
                            view! { <option value=r selected=move || field("result") == r>{label}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-from">"From"</label>
                    <input id="f-from" name="from" type="date" prop:value=move || field("from")/>
                </div>
                <div class="field">
                    <label for="f-to">"To"</label>
                    <input id="f-to" name="to" type="date" prop:value=move || field("to")/>
                </div>
                <button type="submit" class="button" data-test="apply-filters">"Filter"</button>
                <a class="button button-quiet" href="/audit">"Clear"</a>
            </form>
            <p class="muted">
                "Export what matches: "
                <a href=move || export("csv") data-test="export-csv" rel="external">"CSV"</a>
                " · "
                <a href=move || export_json("json") data-test="export-json" rel="external">"JSON"</a>
            </p>
        </section>
    }
}

#[component]
fn AuditTable(page: AuditPage, filters: String) -> impl IntoView {
    if page.rows.is_empty() {
        return view! {
            <section class="panel empty-state" data-test="audit-empty"><p>"No records match."</p></section>
        }
        .into_any();
    }
    let older = page.older.map(|before| {
        let href = if filters.is_empty() {
            format!("/audit?before={before}")
        } else {
            format!("/audit?{filters}&before={before}")
        };
        view! { <a class="button button-quiet" href=href data-test="older">"Older records"</a> }
    });
    view! {
        <section class="panel">
            <table class="table" data-test="audit">
                <thead>
                    <tr><th>"Time"</th><th>"Actor"</th><th>"Action"</th><th>"Target"</th><th>"Result"</th><th>"Workspace"</th><th>"Address"</th></tr>
                </thead>
                <tbody>
                    {page.rows.into_iter().map(|r| {
                        let class = match r.result.as_str() {
                            "ok" => "pill pill-ok",
                            "denied" => "pill pill-danger",
                            _ => "pill pill-warn",
                        };
                        view! {
                            <tr data-test="audit-row">
                                <td title=r.request_id.clone().unwrap_or_default()>{datetime(r.at)}</td>
                                <td title=r.actor.clone()>{r.actor_email.clone().unwrap_or_else(|| r.actor.clone())}</td>
                                <td><code>{r.action.clone()}</code></td>
                                <td>{r.target.clone().unwrap_or_default()}</td>
                                <td><span class=class title=r.reason.clone().unwrap_or_default()>{r.result.clone()}</span></td>
                                <td title=r.workspace.clone().unwrap_or_default()>{r.workspace_name.clone().or_else(|| r.workspace.clone()).unwrap_or_default()}</td>
                                <td>{r.source_ip.clone().unwrap_or_default()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {older}
        </section>
    }
    .into_any()
}
