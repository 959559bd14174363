//! Stacks: the list (`/stacks`), a new stack (`/stacks/new`) and one stack (`/stacks/:id`) with
//! its Compose editor. Diagnostics are computed in the browser, as the user types, by the same
//! `compose` crate the server deploys with; deploy progress arrives over the live websocket.

use crate::components::logs::LogViewer;
use crate::components::stats::StackStats;
use engine::model::feeds::FeedRequest;
use std::collections::{BTreeMap, BTreeSet};

use compose::diag::Diagnostic;
use engine::model::resources::{
    DeployBrief, DeployEvent, DeployPhase, OperationForm, StackDetail, StackSummary,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::stacks::{
    adopt_project, create_stack, delete_stack, get_deploy, get_revision, get_stack, list_deploys,
    list_stacks, list_unmanaged_projects, save_stack, stack_operation,
};
use crate::components::dialog::{guard_unsaved, use_dialog};
use crate::components::editor::DiffView;
use crate::components::engine::use_live;
use crate::components::format;
use crate::components::toast::{ToastKind, use_toaster};
use crate::components::workspace::{NeedsWorkspace, use_workspaces};
use crate::error::AppError;
use crate::pages::stack_files::{ComposeEditor, EnvEditor, RunConverter, StackFiles};

/// A first file for a new stack.
const TEMPLATE: &str = "services:\n  web:\n    image: nginx:alpine\n    ports:\n      - \"8080:80\"\n    restart: unless-stopped\n";

/// The revision column: the latest saved one and, when another is running, which.
fn revision_text(latest: i64, deployed: Option<i64>) -> String {
    match deployed {
        Some(d) if d == latest => format!("r{latest} · deployed"),
        Some(d) => format!("r{latest} saved · r{d} deployed"),
        None => format!("r{latest} · not deployed"),
    }
}

/// The stack's containers from the live state: (up, all).
fn live_counts(
    containers: &Option<Vec<engine::model::resources::ContainerView>>,
    stack: &str,
) -> Option<(usize, usize)> {
    containers.as_ref().map(|list| {
        let mine: Vec<_> = list
            .iter()
            .filter(|c| c.stack.as_deref() == Some(stack))
            .collect();
        (mine.iter().filter(|c| c.is_up()).count(), mine.len())
    })
}

/// A status pill: running x/y, stopped, or not deployed.
fn status_pill(up: usize, all: usize, deployed: bool) -> impl IntoView {
    let (class, text) = if all == 0 {
        (
            "pill",
            if deployed {
                "no containers".to_owned()
            } else {
                "not deployed".to_owned()
            },
        )
    } else if up == all {
        ("pill pill-ok", format!("running {up}/{all}"))
    } else if up == 0 {
        ("pill", format!("stopped 0/{all}"))
    } else {
        ("pill pill-warn", format!("running {up}/{all}"))
    };
    view! { <span class=class data-test="stack-status"><span class="dot"></span>{text}</span> }
}

fn brief_text(b: &DeployBrief) -> String {
    let took = b
        .finished_at
        .map(|f| format!(" in {}", format::duration(f - b.started_at)))
        .unwrap_or_default();
    format!(
        "{} {}{took}, {}",
        b.operation,
        b.status,
        format::datetime(b.started_at)
    )
}

/// `/stacks`: every stack the user may see, with live running counts.
#[component]
pub fn StacksPage() -> impl IntoView {
    let live = use_live();
    let workspaces = use_workspaces();
    let list = Resource::new(|| (), |()| list_stacks(None));
    // An operation that ends (from here, another page or another person) reads the list again:
    // its last operation and revisions stay current like its running count.
    Effect::new(move |seen: Option<usize>| {
        let finished = live.deploys.with(|all| {
            all.iter()
                .filter(|(_, e)| e.phase == DeployPhase::Finished)
                .count()
        });
        if seen.is_some_and(|s| finished > s) {
            list.refetch();
        }
        finished
    });
    view! {
        <Title text="Stacks"/>
        <div class="page-header">
            <h1>"Stacks"</h1>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let can = workspaces.data.await.ok().is_some_and(|c| c.can("stack", "deploy"));
                    can.then(|| view! { <a class="button" href="/stacks/new" data-test="new-stack">"New stack"</a> })
                })}
            </Transition>
        </div>
        <Transition fallback=|| view! { <div class="panel skeleton" aria-busy="true" style="height:10rem"></div> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(stacks) if stacks.is_empty() => {
                        let can = workspaces.data.await.ok().is_some_and(|c| c.can("stack", "deploy"));
                        view! {
                            <section class="panel empty-state" data-test="stacks-empty">
                                <p>"No stacks yet. A stack is a Compose file Orbitr deploys and keeps history for."</p>
                                {if can {
                                    view! {
                                        <div class="button-row">
                                            <a class="button" href="/stacks/new" data-test="empty-new-stack">"New stack"</a>
                                            <a class="button button-quiet" href="/marketplace">"Install an app"</a>
                                        </div>
                                    }.into_any()
                                } else {
                                    view! { <p class="muted">"Your role here does not deploy stacks: an owner of the workspace can."</p> }.into_any()
                                }}
                            </section>
                        }.into_any()
                    }
                    Ok(stacks) => {
                        let can = workspaces.data.await.ok().is_some_and(|c| c.can("stack", "deploy"));
                        view! { <StackTable stacks=stacks live=live can_operate=can/> }.into_any()
                    }
                    Err(e) => view! { <section class="panel error-panel" data-test="stacks-error"><p>{e.to_string()}</p></section> }.into_any(),
                }
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let ctx = workspaces.data.await.ok().filter(|c| c.is_admin)?;
                Some(view! { <UnmanagedProjects workspaces=ctx.workspaces.iter().map(|w| (w.id.clone(), w.name.clone())).collect()/> })
            })}
        </Transition>
    }
}

/// Compose projects started outside Orbitr, for platform admins to adopt into a workspace.
#[component]
fn UnmanagedProjects(workspaces: Vec<(String, String)>) -> impl IntoView {
    let toaster = use_toaster();
    let version = RwSignal::new(0_u32);
    let projects = Resource::new(move || version.get(), |_| list_unmanaged_projects());
    let first = workspaces
        .first()
        .map(|(id, _)| id.clone())
        .unwrap_or_default();
    let target = RwSignal::new(first);
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let workspaces = workspaces.clone();
                Suspend::new(async move {
                    let list = projects.await.ok().filter(|l| !l.is_empty())?;
                    Some(view! {
                        <section class="panel" data-test="unmanaged-projects">
                            <h2>"Compose projects started outside Orbitr"</h2>
                            <p class="muted">"Adopting one makes it a stack of the workspace (its compose file is read from where the CLI recorded it); the next deploy gives its containers Orbitr's labels."</p>
                            <label class="muted">"Into workspace "
                                <select data-test="adopt-workspace" on:change=move |ev| target.set(event_target_value(&ev))>
                                    {workspaces.iter().map(|(id, name)| view! { <option value=id.clone()>{name.clone()}</option> }).collect_view()}
                                </select>
                            </label>
                            <table class="table">
                                <thead><tr><th>"Project"</th><th>"Services"</th><th>"Containers"</th><th>"Compose file"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|p| {
                                        let name = p.name.clone();
                                        view! {
                                            <tr data-test="unmanaged-project" data-name=p.name.clone()>
                                                <td class="mono">{p.name.clone()}</td>
                                                <td>{p.services.join(", ")}</td>
                                                <td>{format!("{}/{} running", p.running, p.containers)}</td>
                                                <td class="mono muted">{p.config_files.clone().unwrap_or_default()}</td>
                                                <td class="row-actions">
                                                    <button type="button" class="button button-quiet" data-test="adopt-project" on:click=move |_| {
                                                        let (ws, name) = (target.get_untracked(), name.clone());
                                                        leptos::task::spawn_local(async move {
                                                            match adopt_project(ws, name, String::new()).await {
                                                                Ok(s) => {
                                                                    toaster.show(ToastKind::Success, format!("{} is now a stack", s.name));
                                                                    let navigate = leptos_router::hooks::use_navigate();
                                                                    navigate(&format!("/stacks/{}", s.id), Default::default());
                                                                }
                                                                Err(e) => toaster.show(ToastKind::Error, e.to_string()),
                                                            }
                                                            version.update(|n| *n += 1);
                                                        });
                                                    }>"Adopt"</button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    })
                })
            }}
        </Suspense>
    }
}

#[component]
fn StackTable(
    stacks: Vec<StackSummary>,
    live: crate::components::engine::Live,
    can_operate: bool,
) -> impl IntoView {
    let toaster = use_toaster();
    // Stacks with an operation started from this list, so their buttons wait.
    let busy: RwSignal<BTreeSet<String>> = RwSignal::new(BTreeSet::new());
    let rows = stacks
        .into_iter()
        .map(|s| {
            let name = s.name.clone();
            let deployed = s.deployed_revision.is_some();
            let (first_up, first_all) = (s.running as usize, s.containers as usize);
            let counts = {
                let name = name.clone();
                move || live_counts(&live.containers.get(), &name).unwrap_or((first_up, first_all))
            };
            let status = {
                let counts = counts.clone();
                move || {
                    let (up, all) = counts();
                    status_pill(up, all, deployed)
                }
            };
            view! {
                <tr data-test="stack-row">
                    <td><a href=format!("/stacks/{}", s.id) data-test="stack-link">{s.name.clone()}</a></td>
                    <td>{status}</td>
                    <td>{s.services.join(", ")}</td>
                    <td class="muted">{s.last_deploy.as_ref().map(brief_text).unwrap_or_else(|| "never deployed".into())}</td>
                    <td class="muted" data-test="stack-revision">{revision_text(s.revision, s.deployed_revision)}</td>
                    <td class="row-actions">
                        {can_operate.then(|| {
                            let id = s.id.clone();
                            ["deploy", "restart", "stop", "start"].into_iter().map(|op| {
                                let id = id.clone();
                                let counts = counts.clone();
                                let key = id.clone();
                                let label = match op { "deploy" => "Deploy", "restart" => "Restart", "stop" => "Stop", _ => "Start" };
                                view! {
                                    <button type="button" class="button button-quiet" data-test=format!("row-{op}")
                                        // Restart, stop and start act on containers: none before a deploy or after Down.
                                        disabled=move || busy.with(|b| b.contains(&key)) || (op != "deploy" && counts().1 == 0)
                                        on:click=move |_| {
                                            let id = id.clone();
                                            busy.update(|b| { b.insert(id.clone()); });
                                            leptos::task::spawn_local(async move {
                                                let form = OperationForm { operation: op.into(), ..OperationForm::default() };
                                                match stack_operation(id.clone(), form).await {
                                                    Ok(_) => toaster.show(ToastKind::Info, format!("{label}: started")),
                                                    Err(e) => toaster.show(ToastKind::Error, e.to_string()),
                                                }
                                                busy.update(|b| { b.remove(&id); });
                                            });
                                        }>{label}</button>
                                }
                            }).collect_view()
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="panel table-panel">
            <table class="table" data-test="stacks">
                <thead><tr><th>"Name"</th><th>"Status"</th><th>"Services"</th><th>"Last operation"</th><th>"Revision"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

/// `/stacks/new`: name, files, create.
#[component]
pub fn NewStackPage() -> impl IntoView {
    let workspaces = use_workspaces();
    let name = RwSignal::new(String::new());
    let files = StackFiles::new(TEMPLATE.to_owned(), String::new());
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let toaster = use_toaster();
    let create = move |workspace: String| {
        if files.errors() > 0 || pending.get_untracked() {
            return;
        }
        pending.set(true);
        error.set(None);
        let (n, c, e) = (
            name.get_untracked(),
            files.compose.get_untracked(),
            files.env.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match create_stack(workspace, n, c, e).await {
                Ok(s) => {
                    toaster.show(ToastKind::Success, format!("Stack {} created", s.name));
                    let navigate = leptos_router::hooks::use_navigate();
                    navigate(&format!("/stacks/{}", s.id), Default::default());
                }
                Err(e) => error.set(Some(e)),
            }
            pending.set(false);
        });
    };
    view! {
        <Title text="New stack"/>
        <div class="page-header"><h1>"New stack"</h1></div>
        <Transition fallback=|| view! { <div class="panel skeleton" style="height:10rem"></div> }>
            {move || Suspend::new(async move {
                let ctx = workspaces.data.await.ok().unwrap_or_default();
                let Some(workspace) = ctx.current.clone() else {
                    return view! { <NeedsWorkspace what="create stacks" is_admin=ctx.is_admin/> }.into_any();
                };
                if !ctx.can("stack", "deploy") {
                    return view! { <section class="panel error-panel" data-test="not-allowed"><p>"Your role in this workspace does not allow creating stacks."</p></section> }.into_any();
                }
                let on_save = {
                    let workspace = workspace.clone();
                    Callback::new(move |()| create(workspace.clone()))
                };
                view! {
                    <form class="panel form" data-test="new-stack-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        create(workspace.clone());
                    }>
                        <div class="field" class:field-invalid=move || matches!(error.get(), Some(AppError::Invalid { ref field, .. }) if field == "name")>
                            <label>"Name (the Compose project name)"
                                <input name="name" data-test="stack-name" required=true placeholder="my-app"
                                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                            </label>
                            {move || match error.get() {
                                Some(AppError::Invalid { field, message }) if field == "name" => Some(view! { <p class="field-error" data-test="error-name">{message}</p> }),
                                _ => None,
                            }}
                        </div>
                        <h2>"compose.yaml"</h2>
                        <ComposeEditor files=files on_save=on_save/>
                        <h2>".env"</h2>
                        <EnvEditor files=files on_save=on_save/>
                        {move || error.get().filter(|e| !matches!(e, AppError::Invalid { field, .. } if field == "name")).map(|e| view! { <p class="form-error" role="alert" data-test="form-error">{e.to_string()}</p> })}
                        <div class="actions">
                            <button type="submit" class="button" data-test="create-stack" disabled=move || pending.get() || files.errors() != 0
                                title=move || (files.errors() != 0).then_some("Fix the errors in the files first")>
                                {move || if pending.get() { "Creating…" } else { "Create stack" }}
                            </button>
                        </div>
                    </form>
                    <RunConverter compose_text=files.compose/>
                }.into_any()
            })}
        </Transition>
    }
}

/// `/stacks/:id`: the editor, operations with live progress, history.
#[component]
pub fn StackPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let detail = Resource::new(id, get_stack);
    view! {
        <Title text="Stack"/>
        <Suspense fallback=|| view! { <div class="panel skeleton" aria-busy="true" style="height:16rem"></div> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <StackEditor detail=d/> }.into_any(),
                    Err(e) => view! {
                        <div class="page-header"><h1>"Stack"</h1></div>
                        <section class="panel error-panel" data-test="stack-error">
                            <p>{e.to_string()}</p>
                            <p><a href="/stacks">"Back to the stacks"</a></p>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Compose,
    Env,
    Changes,
    History,
    Logs,
    Usage,
}

/// Per-service progress of an operation, from its events.
fn progress_rows(events: &[DeployEvent]) -> Vec<(String, DeployEvent)> {
    let mut last: BTreeMap<String, DeployEvent> = BTreeMap::new();
    for e in events {
        if let Some(service) = &e.service {
            if e.phase == DeployPhase::Planned {
                last.entry(service.clone()).or_insert_with(|| e.clone());
            } else {
                last.insert(service.clone(), e.clone());
            }
        }
    }
    last.into_iter().collect()
}

fn phase_class(phase: DeployPhase) -> &'static str {
    match phase {
        DeployPhase::Running
        | DeployPhase::Healthy
        | DeployPhase::Completed
        | DeployPhase::Kept
        | DeployPhase::Pulled => "pill pill-ok",
        DeployPhase::Failed => "pill pill-danger",
        DeployPhase::Removed | DeployPhase::Stopping | DeployPhase::Stopped => "pill",
        _ => "pill pill-warn",
    }
}

#[component]
fn StackEditor(detail: StackDetail) -> impl IntoView {
    let live = use_live();
    let toaster = use_toaster();
    let workspaces = use_workspaces();
    let summary = detail.summary.clone();
    let stack_id = summary.id.clone();
    let stack_name = summary.name.clone();
    let files = StackFiles::new(detail.compose.clone(), detail.env.clone());
    let (compose_text, env_text, server_diags) = (files.compose, files.env, files.server);
    let saved = RwSignal::new((detail.compose.clone(), detail.env.clone()));
    let deployed_compose = RwSignal::new(detail.deployed_compose.clone());
    let deployed_revision = RwSignal::new(detail.summary.deployed_revision);
    let revisions = RwSignal::new(detail.revisions.clone());
    let tab = RwSignal::new(Tab::Compose);
    let dirty =
        move || saved.with(|(c, e)| compose_text.with(|cc| cc != c) || env_text.with(|ee| ee != e));
    guard_unsaved(Signal::derive(dirty));
    let dialog = use_dialog();
    let busy = RwSignal::new(None::<&'static str>);
    let reviewing = RwSignal::new(false);
    let down_volumes = RwSignal::new(false);
    let deploys_version = RwSignal::new(0_u32);
    // Live events of this stack from now on (earlier ones belong to operations already shown
    // in the history).
    let events_from = RwSignal::new(live.deploys.with_untracked(Vec::len));
    let events = live.stack_events(stack_id.clone(), events_from.into());
    let can_deploy = Signal::derive(move || {
        workspaces
            .data
            .get()
            .and_then(Result::ok)
            .is_some_and(|c| c.can("stack", "deploy"))
    });

    // The end of an operation refreshes the history, and the files after a rollback.
    let refresh_id = stack_id.clone();
    Effect::new(move |seen: Option<usize>| {
        let finished = events.with(|e| {
            e.iter()
                .filter(|x| x.phase == DeployPhase::Finished)
                .count()
        });
        if seen.is_some_and(|s| finished > s) {
            deploys_version.update(|n| *n += 1);
            let key = refresh_id.clone();
            leptos::task::spawn_local(async move {
                if let Ok(d) = get_stack(key).await {
                    deployed_compose.set(d.deployed_compose.clone());
                    deployed_revision.set(d.summary.deployed_revision);
                    revisions.set(d.revisions.clone());
                    if !dirty_untracked(saved, compose_text, env_text)
                        && (d.compose != saved.get_untracked().0
                            || d.env != saved.get_untracked().1)
                    {
                        compose_text.set(d.compose.clone());
                        env_text.set(d.env.clone());
                        saved.set((d.compose, d.env));
                    }
                }
            });
        }
        finished
    });

    let save_id = stack_id.clone();
    let save = move |then_deploy: bool| {
        let key = save_id.clone();
        busy.set(Some(if then_deploy { "deploy" } else { "save" }));
        let (c, e) = (compose_text.get_untracked(), env_text.get_untracked());
        leptos::task::spawn_local(async move {
            let changed = saved.with_untracked(|(sc, se)| *sc != c || *se != e);
            let result = if changed {
                save_stack(key.clone(), c.clone(), e.clone())
                    .await
                    .map(Some)
            } else {
                Ok(None)
            };
            match result {
                Ok(revision) => {
                    saved.set((c, e));
                    if let Some(n) = revision {
                        revisions.update(|list| {
                            list.insert(
                                0,
                                engine::model::resources::RevisionBrief {
                                    number: n,
                                    created_at: format::now_ms(),
                                    created_by: String::new(),
                                    author: Some("you".into()),
                                },
                            )
                        });
                        if !then_deploy {
                            toaster.show(ToastKind::Success, format!("Saved as revision {n}"));
                        }
                    }
                    if then_deploy {
                        run_operation(
                            key,
                            OperationForm {
                                operation: "deploy".into(),
                                ..OperationForm::default()
                            },
                            busy,
                            server_diags,
                            events_from,
                            live,
                            toaster,
                        );
                    } else {
                        busy.set(None);
                    }
                }
                Err(e) => {
                    toaster.show(ToastKind::Error, e.to_string());
                    busy.set(None);
                }
            }
        });
    };
    let save_for_keys = save.clone();
    let on_save = Callback::new(move |()| save_for_keys(false));
    let op_id = stack_id.clone();
    let operate = move |operation: &'static str, form: OperationForm| {
        let form = OperationForm {
            operation: operation.into(),
            ..form
        };
        run_operation(
            op_id.clone(),
            form,
            busy,
            server_diags,
            events_from,
            live,
            toaster,
        );
    };

    let name_for_status = stack_name.clone();
    let deployed = summary.deployed_revision.is_some();
    let status = move || {
        let (up, all) = live_counts(&live.containers.get(), &name_for_status)
            .unwrap_or((summary.running as usize, summary.containers as usize));
        status_pill(up, all, deployed)
    };
    let name_for_containers = stack_name.clone();
    let containers = Memo::new(move |_| {
        live.containers
            .get()
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.stack.as_deref() == Some(name_for_containers.as_str()))
            .collect::<Vec<_>>()
    });
    let errors = move || files.errors();
    let delete_id = stack_id.clone();
    let delete_name = stack_name.clone();

    let op = operate.clone();
    let op2 = operate.clone();
    let op3 = operate.clone();
    let op4 = operate.clone();
    let op5 = operate.clone();
    let save_deploy = save.clone();
    let save_plain = save.clone();
    view! {
        <div class="page-header">
            <div>
                <h1 data-test="stack-title">{stack_name.clone()}</h1>
                <p class="muted">{status}</p>
            </div>
            <Show when=move || can_deploy.get()>
                <div class="button-row" role="toolbar" aria-label="Stack operations">
                    <button type="button" class="button button-quiet" data-test="save" disabled=move || busy.get().is_some() || !dirty()
                        on:click={let save = save_plain.clone(); move |_| save(false)}>
                        {move || if busy.get() == Some("save") { "Saving…" } else { "Save" }}
                    </button>
                    <button type="button" class="button" data-test="deploy" disabled=move || { busy.get().is_some() || errors() > 0 }
                        title=move || { if errors() > 0 { "Fix the errors first".to_owned() } else { "Review the changes, then deploy".to_owned() } }
                        on:click=move |_| reviewing.set(true)>
                        {move || if busy.get() == Some("deploy") { "Deploying…" } else { "Deploy" }}
                    </button>
                    <button type="button" class="button button-quiet" data-test="op-restart" disabled=move || busy.get().is_some() || containers.with(Vec::is_empty)
                        on:click={let op = op.clone(); move |_| op("restart", OperationForm::default())}>"Restart"</button>
                    <button type="button" class="button button-quiet" data-test="op-stop" disabled=move || busy.get().is_some() || containers.with(Vec::is_empty)
                        on:click={let op = op2.clone(); move |_| op("stop", OperationForm::default())}>"Stop"</button>
                    <button type="button" class="button button-quiet" data-test="op-start" disabled=move || busy.get().is_some() || containers.with(Vec::is_empty)
                        on:click={let op = op3.clone(); move |_| op("start", OperationForm::default())}>"Start"</button>
                    <button type="button" class="button button-quiet" data-test="op-pull" disabled=move || busy.get().is_some()
                        on:click={let op = op4.clone(); move |_| op("pull", OperationForm::default())}>"Pull images"</button>
                    <button type="button" class="button button-quiet button-danger" data-test="op-down" disabled=move || busy.get().is_some()
                        on:click={let op = op5.clone(); move |_| {
                            let volumes = down_volumes.get_untracked();
                            let question = if volumes { "Remove every container, network and volume (data!) of this stack?" } else { "Remove every container and network of this stack? Volumes are kept." };
                            let op = op.clone();
                            dialog.confirm(question, "Down", move || op("down", OperationForm { volumes, ..OperationForm::default() }));
                        }}>"Down"</button>
                    <label class="checkbox muted"><input type="checkbox" data-test="down-volumes" prop:checked=move || down_volumes.get() on:change=move |ev| down_volumes.set(event_target_checked(&ev))/>" with volumes"</label>
                </div>
            </Show>
        </div>

        <Show when=move || reviewing.get()>
            <section class="panel review" data-test="review">
                <h2>"Deploy these changes?"</h2>
                <p class="muted">{move || match deployed_compose.get() {
                    Some(_) => "Changes to compose.yaml since the deployed revision:".to_owned(),
                    None => "Nothing is deployed yet; this is the whole file:".to_owned(),
                }}</p>
                {move || view! { <DiffView old=deployed_compose.get().unwrap_or_default() new=compose_text.get() test="review-diff"/> }}
                <div class="button-row">
                    <button type="button" class="button" data-test="deploy-now" disabled=move || busy.get().is_some()
                        on:click={let save = save_deploy.clone(); move |_| { reviewing.set(false); save(true); }}>"Deploy now"</button>
                    <button type="button" class="button button-quiet" on:click=move |_| reviewing.set(false)>"Cancel"</button>
                </div>
            </section>
        </Show>

        <Progress events=events/>

        <div class="tabs" role="tablist">
            {[(Tab::Compose, "compose.yaml", "tab-compose"), (Tab::Env, ".env", "tab-env"), (Tab::Changes, "Changes", "tab-changes"), (Tab::History, "History", "tab-history"), (Tab::Logs, "Logs", "tab-logs"), (Tab::Usage, "Usage", "tab-usage")]
                .into_iter()
                .map(|(t, label, test)| view! {
                    <button type="button" role="tab" class="tab" data-test=test aria-selected=move || (tab.get() == t).to_string()
                        on:click=move |_| tab.set(t)>{label}{move || (t == Tab::Compose && dirty()).then_some(" •")}</button>
                })
                .collect_view()}
        </div>
        {move || match tab.get() {
            Tab::Compose => view! {
                <section class="panel">
                    <ComposeEditor files=files on_save=on_save readonly=!can_deploy.get_untracked()/>
                </section>
                <RunConverter compose_text=compose_text/>
            }.into_any(),
            Tab::Env => view! {
                <section class="panel">
                    <p class="muted">"Variables for ${…} in compose.yaml. Orbitr never passes its own environment to stacks."</p>
                    <EnvEditor files=files on_save=on_save readonly=!can_deploy.get_untracked()/>
                </section>
            }.into_any(),
            Tab::Changes => view! {
                <section class="panel">
                    <h2>"Since the deployed revision"</h2>
                    <DiffView old=deployed_compose.get().unwrap_or_default() new=compose_text.get() test="changes-diff"/>
                </section>
            }.into_any(),
            Tab::History => view! {
                <History stack=stack_id.clone() revisions=revisions deployed=deployed_revision deployed_compose=deployed_compose compose_text=compose_text version=deploys_version busy=busy server_diags=server_diags events_from=events_from can_deploy=can_deploy/>
            }.into_any(),
            Tab::Logs => view! {
                <LogViewer request=FeedRequest { stack: Some(stack_name.clone()), tail: Some(500), ..FeedRequest::default() }
                    download=format!("/api/v1/stacks/{}/logs", stack_id) tags=true/>
            }.into_any(),
            Tab::Usage => view! { <StackStats stack=stack_name.clone()/> }.into_any(),
        }}

        <section class="panel">
            <h2>"Containers"</h2>
            {move || {
                let list = containers.get();
                if list.is_empty() {
                    view! { <p class="muted" data-test="stack-containers-empty">"No containers. Deploy to create them."</p> }.into_any()
                } else {
                    view! {
                        <table class="table" data-test="stack-containers">
                            <thead><tr><th>"Container"</th><th>"Service"</th><th>"State"</th><th>"Image"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|c| view! {
                                    <tr data-test="stack-container" data-state=c.state.clone()>
                                        <td><a href=format!("/containers/{}", c.id)>{c.name.clone()}</a></td>
                                        <td>{c.service.clone().unwrap_or_default()}</td>
                                        <td><span class=if c.is_up() { "pill pill-ok" } else { "pill" }>{c.state.clone()}{c.health.clone().map(|h| format!(" ({h})"))}</span></td>
                                        <td class="mono">{c.image.clone()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }
            }}
        </section>

        <Show when=move || can_deploy.get() && containers.with(Vec::is_empty)>
            <section class="panel">
                <h2>"Delete this stack"</h2>
                <p class="muted">"Removes its folder and its history. Its containers are gone already."</p>
                <button type="button" class="button button-quiet button-danger" data-test="delete-stack" on:click={
                    let key = delete_id.clone();
                    let name = delete_name.clone();
                    let navigate = leptos_router::hooks::use_navigate();
                    move |_| {
                        let key = key.clone();
                        let navigate = navigate.clone();
                        dialog.confirm(format!("Delete the stack {name} and its history?"), "Delete", move || leptos::task::spawn_local(async move {
                            match delete_stack(key).await {
                                Ok(()) => {
                                    toaster.show(ToastKind::Success, "Stack deleted");
                                    navigate("/stacks", Default::default());
                                }
                                Err(e) => toaster.show(ToastKind::Error, e.to_string()),
                            }
                        }));
                    }
                }>"Delete stack"</button>
            </section>
        </Show>
    }
}

fn dirty_untracked(
    saved: RwSignal<(String, String)>,
    c: RwSignal<String>,
    e: RwSignal<String>,
) -> bool {
    saved.with_untracked(|(sc, se)| c.with_untracked(|x| x != sc) || e.with_untracked(|x| x != se))
}

/// Starts an operation; its progress shows from the live events. Files the server refuses show
/// their diagnostics in the list.
fn run_operation(
    key: String,
    form: OperationForm,
    busy: RwSignal<Option<&'static str>>,
    server_diags: RwSignal<Vec<Diagnostic>>,
    events_from: RwSignal<usize>,
    live: crate::components::engine::Live,
    toaster: crate::components::toast::Toaster,
) {
    let label: &'static str = match form.operation.as_str() {
        "deploy" => "deploy",
        "stop" => "stop",
        "start" => "start",
        "restart" => "restart",
        "down" => "down",
        _ => "pull",
    };
    busy.set(Some(label));
    server_diags.set(Vec::new());
    events_from.set(live.deploys.with_untracked(Vec::len));
    leptos::task::spawn_local(async move {
        match stack_operation(key, form).await {
            Ok(_) => {}
            Err(AppError::Diagnostics(d)) => {
                let first = d
                    .iter()
                    .find(|x| x.is_error())
                    .map(ToString::to_string)
                    .unwrap_or_default();
                server_diags.set(d);
                toaster.show(ToastKind::Error, format!("Not deployed: {first}"));
            }
            Err(e) => toaster.show(ToastKind::Error, e.to_string()),
        }
        busy.set(None);
    });
}

/// The current (or last) operation: one row per service with its latest step.
#[component]
pub(crate) fn Progress(events: Memo<Vec<DeployEvent>>) -> impl IntoView {
    move || {
        let list = events.get();
        if list.is_empty() {
            return ().into_any();
        }
        let finished = list
            .iter()
            .rev()
            .find(|e| e.phase == DeployPhase::Finished)
            .cloned();
        let rows = progress_rows(&list);
        let general: Vec<DeployEvent> = list
            .iter()
            .filter(|e| e.service.is_none() && e.phase != DeployPhase::Finished)
            .cloned()
            .collect();
        view! {
            <section class="panel progress" data-test="progress" data-finished=finished.is_some().to_string()>
                <h2>{match &finished {
                    Some(f) => f.message.clone(),
                    None => "Working…".to_owned(),
                }}</h2>
                <table class="table">
                    <tbody>
                        {rows.into_iter().map(|(service, e)| {
                            let bytes = match (e.current, e.total) {
                                (Some(c), Some(t)) if t > 0 => format!(" {} / {}", format::bytes(c), format::bytes(t)),
                                _ => String::new(),
                            };
                            view! {
                                <tr data-test="progress-service" data-service=service.clone() data-phase=format!("{:?}", e.phase).to_lowercase()>
                                    <td class="mono">{service.clone()}</td>
                                    <td><span class=phase_class(e.phase)>{format!("{:?}", e.phase).to_lowercase()}</span></td>
                                    <td>{format!("{}{bytes}", e.message)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                {(!general.is_empty()).then(|| view! {
                    <ul class="muted">{general.into_iter().map(|e| view! { <li>{e.message}</li> }).collect_view()}</ul>
                })}
            </section>
        }
        .into_any()
    }
}

/// Revisions (view, compare, roll back) and past operations with their events.
#[component]
#[allow(clippy::too_many_arguments)]
fn History(
    stack: String,
    revisions: RwSignal<Vec<engine::model::resources::RevisionBrief>>,
    /// The revision that is deployed now, if any, and its compose file.
    deployed: RwSignal<Option<i64>>,
    deployed_compose: RwSignal<Option<String>>,
    compose_text: RwSignal<String>,
    version: RwSignal<u32>,
    busy: RwSignal<Option<&'static str>>,
    server_diags: RwSignal<Vec<Diagnostic>>,
    events_from: RwSignal<usize>,
    can_deploy: Signal<bool>,
) -> impl IntoView {
    let live = use_live();
    let toaster = use_toaster();
    let dialog = use_dialog();
    let key = stack.clone();
    let deploys = Resource::new(move || version.get(), move |_| list_deploys(key.clone()));
    let shown = RwSignal::new(None::<(i64, String)>);
    let open_deploy = RwSignal::new(None::<engine::model::resources::DeployRecord>);
    let view_key = stack.clone();
    let rollback_key = stack.clone();
    let deploy_key = stack.clone();
    view! {
        <section class="panel" data-test="revisions">
            <h2>"Revisions"</h2>
            <table class="table">
                <thead><tr><th>"#"</th><th>"Saved"</th><th>"By"</th><th></th></tr></thead>
                <tbody>
                    {move || revisions.get().into_iter().map(|r| {
                        let number = r.number;
                        let k1 = view_key.clone();
                        let k2 = rollback_key.clone();
                        view! {
                            <tr data-test="revision" data-number=number.to_string()>
                                <td>
                                    {format!("r{number}")}
                                    {move || (deployed.get() == Some(number)).then(|| view! { " " <span class="pill pill-ok" data-test="deployed-marker">"deployed"</span> })}
                                </td>
                                <td>{format::datetime(r.created_at)}</td>
                                <td class="muted" title=r.created_by.clone()>{r.author.clone().unwrap_or_else(|| r.created_by.clone())}</td>
                                <td class="row-actions">
                                    <button type="button" class="button button-quiet" data-test="revision-view" on:click=move |_| {
                                        let k = k1.clone();
                                        leptos::task::spawn_local(async move {
                                            match get_revision(k, number).await {
                                                Ok(rev) => shown.set(Some((number, rev.compose))),
                                                Err(e) => toaster.show(ToastKind::Error, e.to_string()),
                                            }
                                        });
                                    }>"Compare"</button>
                                    // Rolling back is to another revision than the deployed one: an older one is a
                                    // roll back, a newer one (saved, not deployed yet) a deploy of it.
                                    <Show when=move || can_deploy.get() && deployed.get() != Some(number)>
                                        <button type="button" class="button button-quiet" data-test="revision-rollback" disabled=move || busy.get().is_some() on:click={
                                            let k = k2.clone();
                                            move |_| {
                                                // The dialog shows what the deploy changes: from what runs now to the revision.
                                                let k = k.clone();
                                                leptos::task::spawn_local(async move {
                                                    let rev = match get_revision(k.clone(), number).await {
                                                        Ok(rev) => rev,
                                                        Err(e) => return toaster.show(ToastKind::Error, e.to_string()),
                                                    };
                                                    let now = deployed_compose.get_untracked().unwrap_or_default();
                                                    dialog.confirm_diff(
                                                        format!("Deploy revision {number}? Its files become the current ones; this is what changes:"),
                                                        "Deploy it",
                                                        (now, rev.compose),
                                                        move || run_operation(k, OperationForm { operation: "deploy".into(), revision: Some(number), ..OperationForm::default() }, busy, server_diags, events_from, live, toaster),
                                                    );
                                                });
                                            }
                                        }>{move || if deployed.get().is_some_and(|d| number > d) { format!("Deploy r{number}") } else { format!("Roll back to r{number}") }}</button>
                                    </Show>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {move || shown.get().map(|(n, text)| view! {
                <h3>{format!("Revision {n} → the editor")}</h3>
                <DiffView old=text new=compose_text.get() test="revision-diff"/>
            })}
        </section>
        <section class="panel" data-test="deploys">
            <h2>"Operations"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let deploy_key = deploy_key.clone();
                    Suspend::new(async move {
                    match deploys.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"None yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="deploy-list">
                                {list.into_iter().map(|b| {
                                    let k = deploy_key.clone();
                                    let id = b.id.clone();
                                    let class = if b.status == "failed" { "field-error" } else { "" };
                                    view! {
                                        <li data-test="deploy-row" data-status=b.status.clone()>
                                            <button type="button" class="link-button" on:click=move |_| {
                                                let (k, id) = (k.clone(), id.clone());
                                                leptos::task::spawn_local(async move {
                                                    match get_deploy(k, id).await {
                                                        Ok(r) => open_deploy.set(Some(r)),
                                                        Err(e) => toaster.show(ToastKind::Error, e.to_string()),
                                                    }
                                                });
                                            }>{brief_text(&b)}</button>
                                            {b.error.clone().map(|e| view! { <p class=class>{e}</p> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="field-error">{e.to_string()}</p> }.into_any(),
                    }
                })}}
            </Suspense>
            {move || open_deploy.get().map(|r| view! {
                <div class="deploy-events" data-test="deploy-events">
                    <h3>{brief_text(&r.brief)}</h3>
                    <ol class="mono">{r.events.into_iter().map(|e| view! {
                        <li>{format!("{} {}{}", format::datetime(e.at), e.service.map(|s| format!("[{s}] ")).unwrap_or_default(), e.message)}</li>
                    }).collect_view()}</ol>
                </div>
            })}
        </section>
    }
}
