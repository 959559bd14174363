//! Containers: the live list (`/containers`), one container (`/containers/:id`) and the create
//! form (`/containers/new`). The list is rendered from the server's live state and then kept
//! current by pushes over the websocket: no reload, no polling.

use std::collections::{BTreeSet, HashMap};

use engine::model::resources::{ContainerDetail, ContainerView, PortView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::containers::{
    ContainerSpec, CreateContainer, container_action, get_container, list_containers,
    remove_container, rename_container,
};
use crate::api::workspaces::WorkspaceContext;
use crate::components::dialog::use_dialog;
use crate::components::engine::use_live;
use crate::components::form::{FormError, last_error};
use crate::components::format;
use crate::components::logs::LogViewer;
use crate::components::stats::{ContainerStats, percent, use_stats};
use crate::components::toast::{ToastKind, use_toaster};
use crate::components::workspace::{NeedsWorkspace, use_workspaces};
use crate::error::AppError;
use engine::model::feeds::FeedRequest;

/// Containers with an operation under way, so their buttons show progress and stay disabled.
#[derive(Clone, Copy)]
struct Busy(RwSignal<HashMap<String, &'static str>>);

impl Busy {
    fn new() -> Self {
        Self(RwSignal::new(HashMap::new()))
    }

    fn label(&self, id: &str) -> Option<&'static str> {
        self.0.with(|m| m.get(id).copied())
    }

    /// Runs an action on a container: marks it busy, toasts the engine's message on failure.
    fn act(&self, id: String, name: String, action: &'static str) {
        let busy = *self;
        let toaster = use_toaster();
        let progressive = engine::model::resources::ContainerAction::parse(action).map_or(
            "Working",
            engine::model::resources::ContainerAction::progressive,
        );
        busy.0.update(|m| {
            m.insert(id.clone(), progressive);
        });
        leptos::task::spawn_local(async move {
            let result = container_action(id.clone(), action.to_owned()).await;
            busy.0.update(|m| {
                m.remove(&id);
            });
            if let Err(e) = result {
                toaster.show(ToastKind::Error, format!("{name}: {e}"));
            }
        });
    }

    fn remove(&self, id: String, name: String, volumes: bool, after: impl Fn() + 'static) {
        let busy = *self;
        let toaster = use_toaster();
        busy.0.update(|m| {
            m.insert(id.clone(), "Removing");
        });
        leptos::task::spawn_local(async move {
            let result = remove_container(id.clone(), volumes).await;
            busy.0.update(|m| {
                m.remove(&id);
            });
            match result {
                Ok(()) => {
                    toaster.show(ToastKind::Success, format!("{name} removed"));
                    after();
                }
                Err(e) => toaster.show(ToastKind::Error, format!("{name}: {e}")),
            }
        });
    }
}

/// The state as a colored pill, with the health when there is a health check.
#[component]
fn StatePill(state: String, health: Option<String>) -> impl IntoView {
    let class = match state.as_str() {
        "running" => "state-pill state-running",
        "paused" => "state-pill state-paused",
        "restarting" | "created" => "state-pill state-pending",
        _ => "state-pill state-stopped",
    };
    view! {
        <span class=class data-test="state">{state}</span>
        {health.map(|h| {
            let class = match h.as_str() {
                "healthy" => "health health-ok",
                "unhealthy" => "health health-bad",
                _ => "health health-wait",
            };
            view! { <span class=class data-test="health">{h}</span> }
        })}
    }
}

/// Published ports as links to the host the browser used.
#[component]
fn PortLinks(ports: Vec<PortView>) -> impl IntoView {
    let host = format::site_host();
    let mut seen = BTreeSet::new();
    ports
        .into_iter()
        .filter(|p| seen.insert((p.host_port, p.container_port, p.protocol.clone())))
        .map(|p| {
            let text = format!("{}→{}/{}", p.host_port, p.container_port, p.protocol);
            if p.protocol == "tcp" {
                let href = format!("http://{host}:{}", p.host_port);
                view! { <a class="port" href=href target="_blank" rel="noopener">{text}</a> }
                    .into_any()
            } else {
                view! { <span class="port">{text}</span> }.into_any()
            }
        })
        .collect_view()
}

/// How long it has been up, or how it ended.
fn uptime(c: &ContainerView, now: i64) -> String {
    match (c.started_at, c.exit_code) {
        (Some(since), _) if c.is_up() => format!("up {}", format::duration(now - since)),
        (_, Some(code)) => format!("exited ({code})"),
        _ => "—".to_owned(),
    }
}

/// Workspace names by id, for the list's workspace column.
fn workspace_names(ctx: Option<&WorkspaceContext>) -> HashMap<String, String> {
    ctx.map(|c| {
        c.workspaces
            .iter()
            .map(|w| (w.id.clone(), w.name.clone()))
            .collect()
    })
    .unwrap_or_default()
}

/// `/containers`: every container the user may see, live.
#[component]
pub fn ContainersPage() -> impl IntoView {
    let live = use_live();
    let workspaces = use_workspaces();
    let initial = Resource::new(|| (), |()| list_containers());
    let text = RwSignal::new(String::new());
    let state_filter = RwSignal::new(String::new());
    let sort = RwSignal::new("name".to_owned());
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let busy = Busy::new();
    // CPU and memory of the running containers, from the same stats feed as the charts.
    let running = Memo::new(move |_| {
        let mut ids: Vec<String> = live
            .containers
            .get()
            .unwrap_or_default()
            .into_iter()
            .filter(ContainerView::is_up)
            .map(|c| c.id)
            .collect();
        ids.sort();
        FeedRequest {
            containers: ids,
            ..FeedRequest::default()
        }
    });
    let usage = use_stats(running.into());

    view! {
        <Title text="Containers"/>
        <div class="page-header">
            <h1>"Containers"</h1>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let can_create = workspaces.data.await.ok().is_some_and(|c| c.can("container", "create"));
                    can_create.then(|| view! {
                        <a class="button" href="/containers/new" data-test="new-container">"Create container"</a>
                    })
                })}
            </Transition>
        </div>
        <div class="toolbar">
            <input
                type="search"
                placeholder="Filter by name, image, stack…"
                aria-label="Filter containers"
                data-test="container-filter"
                on:input=move |ev| text.set(event_target_value(&ev))
                prop:value=move || text.get()
            />
            <select aria-label="State" data-test="state-filter" on:change=move |ev| state_filter.set(event_target_value(&ev))>
                <option value="">"All states"</option>
                <option value="running">"Running"</option>
                <option value="exited">"Exited"</option>
                <option value="created">"Created"</option>
                <option value="paused">"Paused"</option>
                <option value="restarting">"Restarting"</option>
            </select>
            <select aria-label="Sort" on:change=move |ev| sort.set(event_target_value(&ev))>
                <option value="name">"Sort by name"</option>
                <option value="state">"Sort by state"</option>
                <option value="created">"Newest first"</option>
                <option value="stack">"Sort by stack"</option>
            </select>
            <BulkActions selected=selected busy=busy/>
        </div>
        <Suspense fallback=|| view! { <div class="panel skeleton" aria-busy="true" style="height:12rem"></div> }>
            {move || Suspend::new(async move {
                let first = initial.await;
                let ctx = workspaces.data.await.ok();
                let names = workspace_names(ctx.as_ref());
                move || {
                    let current = match (live.containers.get(), first.clone()) {
                        (Some(list), _) => Ok((list, live.containers_stale.get())),
                        (None, Ok(l)) => Ok((l.containers, l.stale)),
                        (None, Err(e)) => Err(e),
                    };
                    match current {
                        Err(e) => view! {
                            <section class="panel error-panel" data-test="containers-error">
                                <h2>"Containers unavailable"</h2>
                                <p>{e.to_string()}</p>
                            </section>
                        }.into_any(),
                        Ok((list, stale)) => {
                            let total = list.len();
                            let needle = text.get();
                            let wanted = state_filter.get();
                            let mut shown: Vec<ContainerView> = list
                                .into_iter()
                                .filter(|c| c.matches_text(&needle))
                                .filter(|c| wanted.is_empty() || c.state == wanted)
                                .collect();
                            match sort.get().as_str() {
                                "state" => shown.sort_by(|a, b| b.is_up().cmp(&a.is_up()).then(a.name.cmp(&b.name))),
                                "created" => shown.sort_by_key(|c| std::cmp::Reverse(c.created_at)),
                                "stack" => shown.sort_by(|a, b| a.stack.cmp(&b.stack).then(a.name.cmp(&b.name))),
                                _ => {}
                            }
                            view! {
                                {stale.then(|| view! {
                                    <p class="banner banner-warn" data-test="stale">
                                        "The Docker engine is unreachable: this is the last state Orbitr saw. It updates by itself when the engine is back."
                                    </p>
                                })}
                                <ContainerTable list=shown total=total names=names.clone() selected=selected busy=busy usage=usage/>
                            }.into_any()
                        }
                    }
                }
            })}
        </Suspense>
    }
}

/// Start, stop, restart or remove every selected container.
#[component]
fn BulkActions(selected: RwSignal<BTreeSet<String>>, busy: Busy) -> impl IntoView {
    let live = use_live();
    let names = move || {
        let ids = selected.get();
        live.containers
            .get()
            .unwrap_or_default()
            .into_iter()
            .filter(|c| ids.contains(&c.id))
            .map(|c| (c.id, c.name))
            .collect::<Vec<_>>()
    };
    let run = move |action: &'static str| {
        for (id, name) in names() {
            busy.act(id, name, action);
        }
    };
    let remove_all = move |chosen: Vec<(String, String)>| {
        for (id, name) in chosen {
            busy.remove(id.clone(), name, false, move || {
                selected.update(|s| {
                    s.remove(&id);
                });
            });
        }
    };
    let dialog = use_dialog();
    let remove = move |_| {
        let chosen = names();
        if chosen.is_empty() {
            return;
        }
        let question = format!(
            "Remove {}? Running ones are stopped first.",
            format::count(
                i64::try_from(chosen.len()).unwrap_or(0),
                "container",
                "containers"
            )
        );
        dialog.confirm(question, "Remove", move || remove_all(chosen));
    };
    let none = move || selected.with(BTreeSet::is_empty);
    view! {
        <div class="bulk" data-test="bulk">
            <span class="muted">{move || format!("{} selected", selected.with(BTreeSet::len))}</span>
            <button type="button" class="button button-quiet" disabled=none on:click=move |_| run("start")>"Start"</button>
            <button type="button" class="button button-quiet" disabled=none on:click=move |_| run("stop")>"Stop"</button>
            <button type="button" class="button button-quiet" disabled=none on:click=move |_| run("restart")>"Restart"</button>
            <button type="button" class="button button-danger" disabled=none on:click=remove>"Remove"</button>
        </div>
    }
}

#[component]
fn ContainerTable(
    list: Vec<ContainerView>,
    total: usize,
    names: HashMap<String, String>,
    selected: RwSignal<BTreeSet<String>>,
    busy: Busy,
    usage: RwSignal<crate::components::stats::Usage>,
) -> impl IntoView {
    if list.is_empty() {
        if total > 0 {
            return view! { <section class="panel empty-state" data-test="containers-empty"><p>"No container matches the filter."</p></section> }
                .into_any();
        }
        return view! {
            <section class="panel empty-state" data-test="containers-empty">
                <p>"No containers yet. Create one, or deploy a stack: its containers show up here."</p>
                <div class="button-row">
                    <a class="button" href="/containers/new">"New container"</a>
                    <a class="button button-quiet" href="/stacks/new">"New stack"</a>
                </div>
            </section>
        }
        .into_any();
    }
    let now = format::now_ms();
    let rows = list
        .into_iter()
        .map(|c| {
            let id = c.id.clone();
            let check_id = id.clone();
            let toggle_id = id.clone();
            let name = c.name.clone();
            let workspace = match &c.workspace {
                Some(w) => names.get(w).cloned().unwrap_or_else(|| w.clone()),
                None => "unmanaged".to_owned(),
            };
            let up = c.is_up();
            let paused = c.state == "paused";
            let act_id = id.clone();
            let pending = Signal::derive(move || busy.label(&act_id));
            let (cpu_id, mem_id) = (id.clone(), id.clone());
            let cpu = move || {
                usage.with(|u| u.latest(&cpu_id).map(|s| percent(s.cpu_percent)))
                    .unwrap_or_default()
            };
            let memory = move || {
                usage.with(|u| u.latest(&mem_id).map(|s| format::bytes(s.memory_bytes as i64)))
                    .unwrap_or_default()
            };
            let buttons = {
                let (id1, n1, id2, n2) = (id.clone(), name.clone(), id.clone(), name.clone());
                view! {
                    {move || pending.get().map(|label| view! { <span class="pending" data-test="pending">{label}"…"</span> })}
                    {(!up).then(|| view! {
                        <button type="button" class="button button-quiet" data-test="start" disabled=move || pending.get().is_some()
                            on:click=move |_| busy.act(id1.clone(), n1.clone(), "start")>"Start"</button>
                    })}
                    {up.then(|| view! {
                        <button type="button" class="button button-quiet" data-test="stop" disabled=move || pending.get().is_some()
                            on:click=move |_| busy.act(id2.clone(), n2.clone(), if paused { "unpause" } else { "stop" })>
                            {if paused { "Resume" } else { "Stop" }}
                        </button>
                    })}
                }
            };
            view! {
                <tr data-test="container-row" data-name=c.name.clone() data-state=c.state.clone()>
                    <td>
                        <input type="checkbox" aria-label=format!("Select {}", c.name)
                            prop:checked=move || selected.with(|s| s.contains(&check_id))
                            on:change=move |_| selected.update(|s| {
                                if !s.remove(&toggle_id) { s.insert(toggle_id.clone()); }
                            })/>
                    </td>
                    <td><a href=format!("/containers/{}", c.id) data-test="container-link">{c.name.clone()}</a></td>
                    <td class="mono">{c.image.clone()}</td>
                    <td><StatePill state=c.state.clone() health=c.health.clone()/></td>
                    <td>{uptime(&c, now)}</td>
                    <td class="num" data-test="container-cpu">{cpu}</td>
                    <td class="num" data-test="container-memory">{memory}</td>
                    <td><PortLinks ports=c.ports.clone()/></td>
                    <td>{c.stack.clone().unwrap_or_default()}</td>
                    <td class:muted=c.workspace.is_none() data-test="container-workspace">{workspace}</td>
                    <td class="row-actions">{buttons}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table" data-test="containers">
            <thead>
                <tr>
                    <th><span class="visually-hidden">"Select"</span></th>
                    <th>"Name"</th><th>"Image"</th><th>"State"</th><th>"Uptime"</th><th>"CPU"</th><th>"Memory"</th>
                    <th>"Ports"</th><th>"Stack"</th><th>"Workspace"</th><th><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// `/containers/:id`: what the engine says about one container, and its actions.
#[component]
pub fn ContainerPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let live = use_live();
    let reload = RwSignal::new(0_u32);
    // Bumped when a container that was not found appears (created a moment before the page was
    // asked for, before Orbitr saw its event): the whole page is read again.
    let appeared = RwSignal::new(0_u32);
    let detail = Resource::new(
        move || (id(), reload.get(), appeared.get()),
        |(id, _, _)| get_container(id),
    );
    // A pushed change to this container reads the details again.
    Effect::new(move |previous: Option<Option<ContainerView>>| {
        let key = id();
        let now = live
            .containers
            .get()
            .and_then(|list| list.into_iter().find(|c| c.id == key || c.name == key));
        if let Some(Some(before)) = &previous
            && now.as_ref() != Some(before)
        {
            reload.update(|n| *n += 1);
        } else if now.is_some() && detail.get_untracked().is_some_and(|r| r.is_err()) {
            appeared.update(|n| *n += 1);
        }
        now
    });
    let busy = Busy::new();
    // Whether there is such a container of the caller's: read once per address, so the logs and
    // usage below stay connected while the details above are read again, and a container that
    // does not exist (or is not theirs) shows its not-found state alone.
    let found = Resource::new(
        move || (id(), appeared.get()),
        |(id, _)| async move { get_container(id).await.is_ok() },
    );
    // Opened at `#logs` (the palette's "Open logs"): the logs come into view once they render.
    let logs_heading = NodeRef::<leptos::html::H2>::new();
    let location = leptos_router::hooks::use_location();
    Effect::new(move |_| {
        if let Some(heading) = logs_heading.get()
            && location.hash.get_untracked() == "#logs"
        {
            heading.scroll_into_view();
        }
    });
    let live_panels = move || {
        Suspend::new(async move {
            found.await.then(|| {
                let key = id();
                view! {
                    <ContainerStats container=key.clone()/>
                    <h2 class="section-title" id="logs" node_ref=logs_heading>"Logs"</h2>
                    <LogViewer request=FeedRequest { containers: vec![key.clone()], tail: Some(1000), ..FeedRequest::default() }
                        download=format!("/api/v1/containers/{key}/logs")/>
                }
            })
        })
    };
    view! {
        <Title text="Container"/>
        <Transition fallback=|| view! { <div class="panel skeleton" aria-busy="true" style="height:12rem"></div> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <ContainerDetails detail=d busy=busy/> }.into_any(),
                    Err(e) => view! {
                        <div class="page-header"><h1>"Container"</h1></div>
                        <section class="panel error-panel" data-test="container-error">
                            <p>{e.to_string()}</p>
                            <p><a href="/containers">"Back to the containers"</a></p>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
        <Suspense fallback=|| ()>{live_panels}</Suspense>
    }
}

#[component]
fn ContainerDetails(detail: ContainerDetail, busy: Busy) -> impl IntoView {
    let c = detail.summary.clone();
    let id = c.id.clone();
    let name = c.name.clone();
    let up = c.is_up();
    let paused = c.state == "paused";
    let pending = {
        let id = id.clone();
        Signal::derive(move || busy.label(&id))
    };
    let action_button = {
        let (id, name) = (id.clone(), name.clone());
        move |label: &'static str, action: &'static str, danger: bool| {
            let (id, name) = (id.clone(), name.clone());
            view! {
                <button type="button" class="button button-quiet" class:button-danger=danger data-test=format!("action-{action}")
                    disabled=move || pending.get().is_some()
                    on:click=move |_| busy.act(id.clone(), name.clone(), action)>{label}</button>
            }
        }
    };
    let remove_volumes = RwSignal::new(false);
    let on_remove = {
        let (id, name) = (id.clone(), name.clone());
        let dialog = use_dialog();
        let navigate = leptos_router::hooks::use_navigate();
        move |_| {
            let (id, name, navigate) = (id.clone(), name.clone(), navigate.clone());
            dialog.confirm(
                format!("Remove {name}? This cannot be undone."),
                "Remove",
                move || {
                    busy.remove(id, name, remove_volumes.get_untracked(), move || {
                        navigate("/containers", Default::default());
                    });
                },
            );
        }
    };
    let new_name = RwSignal::new(name.clone());
    let toaster = use_toaster();
    let on_rename = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let (id, wanted) = (id.clone(), new_name.get_untracked());
            leptos::task::spawn_local(async move {
                match rename_container(id, wanted.clone()).await {
                    Ok(()) => toaster.show(ToastKind::Success, format!("Renamed to {wanted}")),
                    Err(e) => toaster.show(ToastKind::Error, e.to_string()),
                }
            });
        }
    };
    let now = format::now_ms();
    view! {
        <div class="page-header">
            <div class="title-with-state">
                <h1 data-test="container-name">{c.name.clone()}</h1>
                <StatePill state=c.state.clone() health=c.health.clone()/>
                {move || pending.get().map(|label| view! { <span class="pending">{label}"…"</span> })}
            </div>
            <a href="/containers">"All containers"</a>
        </div>
        <div class="toolbar" data-test="container-actions">
            {(!up).then(|| action_button("Start", "start", false))}
            {(up && !paused).then(|| action_button("Stop", "stop", false))}
            {up.then(|| action_button("Restart", "restart", false))}
            {(up && !paused).then(|| action_button("Pause", "pause", false))}
            {paused.then(|| action_button("Resume", "unpause", false))}
            {up.then(|| action_button("Kill", "kill", true))}
            <label class="inline">
                <input type="checkbox" on:change=move |ev| remove_volumes.set(event_target_checked(&ev))/>
                " with anonymous volumes"
            </label>
            <button type="button" class="button button-danger" data-test="action-remove" on:click=on_remove>"Remove"</button>
        </div>
        {c.workspace.is_none().then(|| view! { <Adopt id=c.id.clone()/> })}
        <div class="grid-2">
            <section class="panel">
                <h2>"Summary"</h2>
                <dl class="facts">
                    <dt>"Id"</dt><dd class="mono">{c.id.get(..12).unwrap_or(&c.id).to_owned()}</dd>
                    <dt>"Image"</dt><dd class="mono">{c.image.clone()}</dd>
                    <dt>"Command"</dt><dd class="mono">{format::shell_words(detail.entrypoint.iter().chain(&detail.command))}</dd>
                    <dt>"Created"</dt><dd>{format::datetime(c.created_at)}</dd>
                    <dt>"Uptime"</dt><dd>{uptime(&c, now)}</dd>
                    <dt>"Restart policy"</dt><dd>{format!("{} (restarted {} times)", detail.restart_policy, detail.restart_count)}</dd>
                    <dt>"Limits"</dt><dd>{format!("{} CPUs · {}",
                        detail.cpus.map_or_else(|| "unlimited".to_owned(), |n| format!("{n:.2}")),
                        detail.memory_bytes.map_or_else(|| "unlimited memory".to_owned(), format::bytes))}</dd>
                    <dt>"Ports"</dt><dd><PortLinks ports=c.ports.clone()/></dd>
                    <dt>"Stack"</dt><dd>{c.stack.clone().unwrap_or_else(|| "—".into())}</dd>
                    {detail.privileged.then(|| view! { <dt>"Privileged"</dt><dd class="warn">"yes"</dd> })}
                    {detail.error.clone().map(|e| view! { <dt>"Last error"</dt><dd class="warn">{e}</dd> })}
                </dl>
                <form class="inline-form" on:submit=on_rename>
                    <label for="rename">"Name"</label>
                    <input id="rename" name="name" prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev))/>
                    <button type="submit" class="button button-quiet">"Rename"</button>
                </form>
            </section>
            <section class="panel">
                <h2>"Environment"</h2>
                <ul class="plain mono" data-test="env">
                    {detail.env.iter().map(|e| view! { <li>{e.clone()}</li> }).collect_view()}
                </ul>
            </section>
            <section class="panel">
                <h2>"Mounts"</h2>
                {if detail.mounts.is_empty() { view! { <p class="muted">"None"</p> }.into_any() } else { view! {
                    <ul class="plain mono">
                        {detail.mounts.iter().map(|m| view! {
                            <li>{format!("{} {} → {}{}", m.kind, m.source, m.destination, if m.read_only { " (read-only)" } else { "" })}</li>
                        }).collect_view()}
                    </ul>
                }.into_any() }}
                <h2>"Networks"</h2>
                <Networks id=c.id.clone() workspace=c.workspace.clone() attached=detail.networks.clone()/>
            </section>
            <section class="panel">
                <h2>"Labels"</h2>
                <ul class="plain mono">
                    {detail.labels.iter().map(|(k, v)| view! { <li>{format!("{k}={v}")}</li> }).collect_view()}
                </ul>
                {(!detail.health_log.is_empty()).then(|| view! {
                    <h2>"Health checks"</h2>
                    <ul class="plain mono">
                        {detail.health_log.iter().map(|run| view! {
                            <li>{format!("exit {} · {}", run.exit_code, run.output.trim())}</li>
                        }).collect_view()}
                    </ul>
                })}
            </section>
        </div>
    }
}

/// The container's networks with a Disconnect button each, and a Connect to another network of
/// its workspace.
#[component]
fn Networks(
    id: String,
    workspace: Option<String>,
    attached: Vec<engine::model::resources::NetworkAttachment>,
) -> impl IntoView {
    let live = use_live();
    let toaster = use_toaster();
    let chosen = RwSignal::new(String::new());
    let run = move |network: String, container: String, connect: bool| {
        leptos::task::spawn_local(async move {
            if let Err(e) =
                crate::api::objects::attach_network(network.clone(), container, connect).await
            {
                toaster.show(ToastKind::Error, format!("{network}: {e}"));
            }
        });
    };
    let names: Vec<String> = attached.iter().map(|n| n.network.clone()).collect();
    let candidates = move || {
        live.networks
            .get()
            .unwrap_or_default()
            .into_iter()
            .filter(|n| n.workspace == workspace && !names.contains(&n.name))
            .map(|n| n.name)
            .collect::<Vec<_>>()
    };
    let connect_id = id.clone();
    view! {
        <ul class="plain" data-test="networks">
            {attached.into_iter().map(|n| {
                let (name, id) = (n.network.clone(), id.clone());
                view! {
                    <li data-test="network" data-name=n.network.clone()>
                        {n.network.clone()} " "
                        <span class="mono muted">{n.ip_address.clone().unwrap_or_default()}</span> " "
                        <button type="button" class="button button-quiet" data-test="disconnect"
                            on:click=move |_| run(name.clone(), id.clone(), false)>"Disconnect"</button>
                    </li>
                }
            }).collect_view()}
        </ul>
        {move || {
            let options = candidates();
            if options.is_empty() {
                return None;
            }
            if !options.contains(&chosen.get_untracked()) {
                chosen.set(options[0].clone());
            }
            let id = connect_id.clone();
            Some(view! {
                <div class="inline-form">
                    <select aria-label="Network" data-test="connect-network" on:change=move |ev| chosen.set(event_target_value(&ev))>
                        {options.into_iter().map(|n| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()}
                    </select>
                    <button type="button" class="button button-quiet" data-test="connect"
                        on:click=move |_| run(chosen.get_untracked(), id.clone(), true)>"Connect"</button>
                </div>
            })
        }}
    }
}

/// For platform admins, on an unmanaged container: adopt it into a workspace.
#[component]
fn Adopt(id: String) -> impl IntoView {
    let workspaces = use_workspaces();
    let adopt = ServerAction::<crate::api::objects::AdoptObject>::new();
    let error = last_error(adopt.value());
    let chosen = RwSignal::new(String::new());
    view! {
        <Transition fallback=|| ()>
            {move || {
                let id = id.clone();
                Suspend::new(async move {
                    let ctx = workspaces.data.await.ok().filter(|c| c.is_admin)?;
                    let first = ctx.workspaces.first().map(|w| w.id.clone()).unwrap_or_default();
                    chosen.set(first);
                    Some(view! {
                        <section class="panel stack" data-test="adopt">
                            <p>"This container has no workspace: only platform admins see it. Adopt it into a workspace so its members can."</p>
                            <form class="form form-inline" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                ev.prevent_default();
                                adopt.dispatch(crate::api::objects::AdoptObject {
                                    workspace: chosen.get_untracked(),
                                    kind: "container".into(),
                                    id: id.clone(),
                                });
                            }>
                                <select aria-label="Workspace" data-test="adopt-workspace" on:change=move |ev| chosen.set(event_target_value(&ev))>
                                    {ctx.workspaces.iter().map(|w| view! { <option value=w.id.clone()>{w.name.clone()}</option> }).collect_view()}
                                </select>
                                <button type="submit" class="button" data-test="adopt-button" disabled=move || adopt.pending().get()>"Adopt"</button>
                                <FormError error=error/>
                            </form>
                        </section>
                    })
                })
            }}
        </Transition>
    }
}

/// One line per entry, blank lines dropped.
pub(crate) fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The create form's fields as typed (lists one entry per line).
#[derive(Clone, Copy)]
struct SpecForm {
    image: RwSignal<String>,
    name: RwSignal<String>,
    command: RwSignal<String>,
    env: RwSignal<String>,
    ports: RwSignal<String>,
    volumes: RwSignal<String>,
    network: RwSignal<String>,
    restart: RwSignal<String>,
    labels: RwSignal<String>,
    cpus: RwSignal<String>,
    memory: RwSignal<String>,
    cap_add: RwSignal<String>,
    devices: RwSignal<String>,
    privileged: RwSignal<bool>,
    start: RwSignal<bool>,
}

impl SpecForm {
    fn new() -> Self {
        let text = || RwSignal::new(String::new());
        Self {
            image: text(),
            name: text(),
            command: text(),
            env: text(),
            ports: text(),
            volumes: text(),
            network: text(),
            restart: RwSignal::new("no".into()),
            labels: text(),
            cpus: text(),
            memory: text(),
            cap_add: text(),
            devices: text(),
            privileged: RwSignal::new(false),
            start: RwSignal::new(true),
        }
    }

    fn spec(&self) -> ContainerSpec {
        ContainerSpec {
            image: self.image.get_untracked(),
            name: self.name.get_untracked(),
            command: self.command.get_untracked(),
            env: lines(&self.env.get_untracked()),
            ports: lines(&self.ports.get_untracked()),
            volumes: lines(&self.volumes.get_untracked()),
            network: self.network.get_untracked(),
            restart: self.restart.get_untracked(),
            labels: lines(&self.labels.get_untracked()),
            cpus: self.cpus.get_untracked(),
            memory: self.memory.get_untracked(),
            privileged: self.privileged.get_untracked(),
            cap_add: lines(&self.cap_add.get_untracked()),
            devices: lines(&self.devices.get_untracked()),
            start: self.start.get_untracked(),
        }
    }
}

/// A text input or textarea bound to a form signal, with the server's message for its field
/// (or any entry of it: `ports[1]`) under it.
#[component]
fn SpecField(
    label: &'static str,
    field: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<AppError>>,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] rows: u8,
) -> impl IntoView {
    let message = move || match error.get() {
        Some(AppError::Invalid { field: f, message })
            if f == field || f.starts_with(&format!("{field}[")) =>
        {
            Some(format!("{}: {message}", crate::error::entry_label(&f)))
        }
        _ => None,
    };
    let input = if rows == 0 {
        view! {
            <input name=field placeholder=placeholder data-test=field
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                on:change=move |ev| value.set(event_target_value(&ev))/>
        }
        .into_any()
    } else {
        view! {
            <textarea name=field rows=rows placeholder=placeholder data-test=field
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                on:change=move |ev| value.set(event_target_value(&ev))></textarea>
        }
        .into_any()
    };
    view! {
        <div class="field" class:field-invalid=move || message().is_some()>
            <label>{label} {input}</label>
            {move || message().map(|m| view! { <p class="field-error" data-test=format!("error-{field}")>{m}</p> })}
        </div>
    }
}

/// `/containers/new`: the create form; the server checks each field and the workspace's
/// security policy, and names the field it refuses.
#[component]
pub fn NewContainerPage() -> impl IntoView {
    let workspaces = use_workspaces();
    let create = ServerAction::<CreateContainer>::new();
    let error = last_error(create.value());
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(view)) = create.value().get() {
            navigate(&format!("/containers/{}", view.id), Default::default());
        }
    });
    // Fields update on input and on change (autofill and scripted clears fire only the latter).
    let form = SpecForm::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let workspace = workspaces
            .data
            .get_untracked()
            .and_then(Result::ok)
            .and_then(|c| c.current)
            .unwrap_or_default();
        create.dispatch(CreateContainer {
            workspace,
            spec: form.spec(),
        });
    };
    view! {
        <Title text="Create container"/>
        <div class="page-header"><h1>"Create container"</h1></div>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let ctx = workspaces.data.await.ok().unwrap_or_default();
                match ctx.current_workspace().cloned() {
                    None => view! { <NeedsWorkspace what="create containers" is_admin=ctx.is_admin/> }.into_any(),
                    Some(ws) => view! {
                        <p class="muted">"In workspace " <strong>{ws.name}</strong> ". Lists take one entry per line."</p>
                    }.into_any(),
                }
            })}
        </Transition>
        <form class="panel form-grid" data-test="create-container" on:submit=on_submit>
            <SpecField label="Image" field="image" value=form.image error=error placeholder="nginx:1.27"/>
            <SpecField label="Name" field="name" value=form.name error=error placeholder="(the engine picks one)"/>
            <SpecField label="Command" field="command" value=form.command error=error placeholder="(the image's own)"/>
            <SpecField label="Environment" field="env" value=form.env error=error placeholder="KEY=value" rows=3/>
            <SpecField label="Ports" field="ports" value=form.ports error=error placeholder="8080:80" rows=2/>
            <SpecField label="Volumes and bind mounts" field="volumes" value=form.volumes error=error placeholder="data:/var/lib/app" rows=2/>
            <SpecField label="Network" field="network" value=form.network error=error placeholder="bridge"/>
            <div class="field">
                <label>"Restart policy"
                    <select name="restart" on:change=move |ev| form.restart.set(event_target_value(&ev))>
                        <option value="no">"no"</option>
                        <option value="unless-stopped">"unless-stopped"</option>
                        <option value="always">"always"</option>
                        <option value="on-failure">"on-failure"</option>
                    </select>
                </label>
            </div>
            <SpecField label="Labels" field="labels" value=form.labels error=error placeholder="key=value" rows=2/>
            <SpecField label="CPU limit" field="cpus" value=form.cpus error=error placeholder="0.5"/>
            <SpecField label="Memory limit" field="memory" value=form.memory error=error placeholder="512m"/>
            <SpecField label="Added capabilities" field="cap_add" value=form.cap_add error=error placeholder="NET_ADMIN" rows=1/>
            <SpecField label="Devices" field="devices" value=form.devices error=error placeholder="/dev/ttyUSB0" rows=1/>
            <label class="inline">
                <input type="checkbox" name="privileged" data-test="privileged" on:change=move |ev| form.privileged.set(event_target_checked(&ev))/>
                " Privileged"
            </label>
            {move || match error.get() {
                Some(AppError::Invalid { field, message }) if field == "privileged" => Some(view! {
                    <p class="field-error" data-test="error-privileged">{format!("{field}: {message}")}</p>
                }),
                _ => None,
            }}
            <label class="inline">
                <input type="checkbox" name="start" checked=true prop:checked=move || form.start.get() on:change=move |ev| form.start.set(event_target_checked(&ev))/>
                " Start it now"
            </label>
            <FormError error=error/>
            <button type="submit" class="button" data-test="create" disabled=move || create.pending().get()>
                {move || if create.pending().get() { "Creating…" } else { "Create" }}
            </button>
        </form>
    }
}
