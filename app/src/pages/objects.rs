//! Images (`/images`), networks (`/networks`) and volumes (`/volumes`): lists rendered from the
//! server's live lists, then kept current by pushes, with the containers using each object.

use engine::model::resources::{ImageView, NetworkSpec, NetworkView, VolumeView};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::objects::{
    CreateNetwork, CreateVolume, list_images, list_networks, list_volumes, prune_images,
    prune_volumes, remove_image, remove_network, remove_volume,
};
use crate::components::dialog::use_dialog;
use crate::components::engine::use_live;
use crate::components::form::{FormError, last_error};
use crate::components::format;
use crate::components::toast::{ToastKind, use_toaster};
use crate::components::workspace::{NeedsWorkspace, use_workspaces};
use crate::error::AppError;

/// Runs a removal (or prune) after a confirmation, toasting its outcome.
fn run_confirmed<T: 'static>(
    question: String,
    done: String,
    task: impl std::future::Future<Output = Result<T, AppError>> + 'static,
    describe: impl FnOnce(T) -> String + 'static,
) {
    let toaster = use_toaster();
    use_dialog().confirm(question, "Remove", move || {
        leptos::task::spawn_local(async move {
            match task.await {
                Ok(value) => {
                    let detail = describe(value);
                    toaster.show(ToastKind::Success, format!("{done}{detail}"));
                }
                Err(e) => toaster.show(ToastKind::Error, e.to_string()),
            }
        });
    });
}

/// Names of the containers using an object, or "unused".
fn users(list: &[String]) -> String {
    if list.is_empty() {
        "unused".to_owned()
    } else {
        list.join(", ")
    }
}

/// Renders `rows` from the pushed list once there is one, else from the first server answer.
fn live_or_first<T: Clone + 'static, V: IntoView + 'static>(
    pushed: Option<Vec<T>>,
    first: &Result<Vec<T>, AppError>,
    rows: impl FnOnce(Vec<T>) -> V,
) -> AnyView {
    match pushed.map(Ok).unwrap_or_else(|| first.clone()) {
        Ok(list) => rows(list).into_any(),
        Err(e) => view! {
            <section class="panel error-panel" data-test="objects-error"><p>{e.to_string()}</p></section>
        }
        .into_any(),
    }
}

/// `/images`: every image, what uses it; platform admins remove and prune.
#[component]
pub fn ImagesPage() -> impl IntoView {
    let live = use_live();
    let workspaces = use_workspaces();
    let initial = Resource::new(|| (), |()| list_images());
    view! {
        <Title text="Images"/>
        <Suspense fallback=|| view! { <div class="panel skeleton" aria-busy="true" style="height:10rem"></div> }>
            {move || Suspend::new(async move {
                let first = initial.await;
                let admin = workspaces.data.await.ok().is_some_and(|c| c.is_admin);
                view! {
                    <div class="page-header">
                        <h1>"Images"</h1>
                        {admin.then(|| view! {
                            <button type="button" class="button button-quiet" data-test="prune-images" on:click=move |_| {
                                run_confirmed(
                                    "Remove every dangling image (untagged, unused)?".into(),
                                    "Pruned: ".into(),
                                    prune_images(),
                                    |r| format!("{} removed, {} freed", r.removed.len(), format::bytes(r.space_reclaimed)),
                                );
                            }>"Remove dangling images"</button>
                        })}
                    </div>
                    <p class="muted">"Images are shared by every workspace; only platform admins remove them."</p>
                    <PullForm/>
                    <Pulls/>
                    {move || live_or_first(live.objects().images, &first, |list| view! { <ImageTable list=list admin=admin/> })}
                }
            })}
        </Suspense>
    }
}

/// Pull an image into the current workspace (with its registry credentials).
#[component]
fn PullForm() -> impl IntoView {
    let workspaces = use_workspaces();
    let pull = ServerAction::<crate::api::registries::PullImage>::new();
    let error = last_error(pull.value());
    let reference = RwSignal::new(String::new());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let ctx = workspaces.data.await.ok().filter(|c| c.can("image", "pull"))?;
                let workspace = ctx.current.clone()?;
                Some(view! {
                    <form class="panel form form-inline" data-test="pull-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        pull.dispatch(crate::api::registries::PullImage { workspace: workspace.clone(), reference: reference.get_untracked() });
                    }>
                        <TextField label="Pull an image" field="reference" value=reference error=error/>
                        <FormError error=error/>
                        <button type="submit" class="button" data-test="pull" disabled=move || pull.pending().get()>"Pull"</button>
                    </form>
                })
            })}
        </Transition>
    }
}

/// Pulls under way or finished since the page loaded, a progress bar per layer.
#[component]
fn Pulls() -> impl IntoView {
    let live = use_live();
    move || {
        live.pulls
            .get()
            .into_iter()
            .map(|p| {
                let state = match (&p.error, p.done) {
                    (Some(e), _) => e.clone(),
                    (None, true) => "Pulled".to_owned(),
                    (None, false) => p.status.clone(),
                };
                view! {
                    <section class="panel pull" data-test="pull-progress" data-done=p.done.to_string()>
                        <h2 class="mono">{p.reference.clone()}</h2>
                        <p class:field-error=p.error.is_some() data-test="pull-state">{state}</p>
                        {p.layers.iter().map(|l| {
                            let percent = if l.total > 0 { (l.current.saturating_mul(100) / l.total).clamp(0, 100) } else if l.status.ends_with("complete") || l.status == "Already exists" { 100 } else { 0 };
                            view! {
                                <div class="layer">
                                    <span class="mono">{l.id.clone()}</span>
                                    <progress max="100" value=percent.to_string()></progress>
                                    <span class="muted">{format!("{} {}", l.status, if l.total > 0 { format!("{} / {}", format::bytes(l.current), format::bytes(l.total)) } else { String::new() })}</span>
                                </div>
                            }
                        }).collect_view()}
                    </section>
                }
            })
            .collect_view()
    }
}

#[component]
fn ImageTable(list: Vec<ImageView>, admin: bool) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <section class="panel empty-state">
                <p>"No images. They arrive when a stack deploys or a container is created."</p>
                <a class="button" href="/stacks/new">"New stack"</a>
            </section>
        }
        .into_any();
    }
    let rows = list
        .into_iter()
        .map(|image| {
            let label = image.tags.first().cloned().unwrap_or_else(|| "<none>".into());
            let id = image.id.clone();
            let in_use = !image.used_by.is_empty();
            let remove = move |_| {
                let question = if in_use {
                    format!("{label} is in use. Remove it anyway (forced)?")
                } else {
                    format!("Remove {label}?")
                };
                run_confirmed(question, "Removed ".into(), remove_image(id.clone(), in_use), |gone| {
                    format::count(i64::try_from(gone.len()).unwrap_or(0), "layer or tag", "layers and tags")
                });
            };
            view! {
                <tr data-test="image-row">
                    <td class="mono"><a href=format!("/images/{}", image.id) data-test="image-link">{if image.tags.is_empty() { "<none>".to_owned() } else { image.tags.join(", ") }}</a></td>
                    <td class="mono">{image.id.trim_start_matches("sha256:").get(..12).unwrap_or_default().to_owned()}</td>
                    <td>{format::bytes(image.size)}</td>
                    <td>{format::datetime(image.created_at)}</td>
                    <td class:muted=!in_use>{users(&image.used_by)}</td>
                    <td class="row-actions">
                        {admin.then(|| view! { <button type="button" class="button button-quiet button-danger" on:click=remove>"Remove"</button> })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table" data-test="images">
            <thead><tr><th>"Tags"</th><th>"Id"</th><th>"Size"</th><th>"Created"</th><th>"Used by"</th><th></th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// The name of the workspace an object belongs to.
fn owner_name(workspace: Option<&str>, names: &[(String, String)]) -> String {
    match workspace {
        None => "unmanaged".to_owned(),
        Some(id) => names
            .iter()
            .find(|(i, _)| i == id)
            .map_or_else(|| id.to_owned(), |(_, n)| n.clone()),
    }
}

/// `/networks`: the networks the user may see; members who manage networks create and remove.
#[component]
pub fn NetworksPage() -> impl IntoView {
    let live = use_live();
    let workspaces = use_workspaces();
    let initial = Resource::new(|| (), |()| list_networks());
    let create = ServerAction::<CreateNetwork>::new();
    let error = last_error(create.value());
    let (name, subnet, gateway, internal) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(false),
    );
    let driver = RwSignal::new("bridge".to_owned());
    view! {
        <Title text="Networks"/>
        <div class="page-header"><h1>"Networks"</h1></div>
        <Suspense fallback=|| view! { <div class="panel skeleton" aria-busy="true" style="height:10rem"></div> }>
            {move || Suspend::new(async move {
                let first = initial.await;
                let ctx = workspaces.data.await.ok();
                let names: Vec<(String, String)> = ctx.as_ref().map(|c| c.workspaces.iter().map(|w| (w.id.clone(), w.name.clone())).collect()).unwrap_or_default();
                let manage = ctx.as_ref().is_some_and(|c| c.can("network", "manage"));
                let is_admin = ctx.as_ref().is_some_and(|c| c.is_admin);
                let current = ctx.and_then(|c| c.current);
                let needs = current.is_none();
                let on_submit = move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    create.dispatch(CreateNetwork {
                        workspace: current.clone().unwrap_or_default(),
                        spec: NetworkSpec {
                            name: name.get_untracked(),
                            driver: driver.get_untracked(),
                            subnet: subnet.get_untracked(),
                            gateway: gateway.get_untracked(),
                            internal: internal.get_untracked(),
                        },
                    });
                };
                view! {
                    {needs.then(|| view! { <NeedsWorkspace what="create networks" is_admin=is_admin/> })}
                    {(manage && !needs).then(|| view! {
                        <form class="panel form form-inline" data-test="new-network" on:submit=on_submit>
                            <TextField label="Name" field="name" value=name error=error/>
                            <div class="field">
                                <label>"Driver"
                                    <select name="driver" on:change=move |ev| driver.set(event_target_value(&ev))>
                                        <option value="bridge">"bridge"</option>
                                        <option value="macvlan">"macvlan"</option>
                                        <option value="ipvlan">"ipvlan"</option>
                                        <option value="overlay">"overlay (Swarm)"</option>
                                    </select>
                                </label>
                            </div>
                            <TextField label="Subnet" field="subnet" value=subnet error=error/>
                            <TextField label="Gateway" field="gateway" value=gateway error=error/>
                            <label class="inline"><input type="checkbox" on:change=move |ev| internal.set(event_target_checked(&ev))/>" Internal (no outside access)"</label>
                            <FormError error=error/>
                            <button type="submit" class="button" data-test="create-network" disabled=move || create.pending().get()>"Create network"</button>
                        </form>
                    })}
                    {move || {
                        let names = names.clone();
                        live_or_first(live.objects().networks, &first, move |list| view! { <NetworkTable list=list names=names manage=manage/> })
                    }}
                }
            })}
        </Suspense>
    }
}

/// A labelled text input bound to a signal, with the server's message for its field.
#[component]
fn TextField(
    label: &'static str,
    field: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let message = move || match error.get() {
        Some(AppError::Invalid { field: f, message }) if f == field => Some(message),
        _ => None,
    };
    view! {
        <div class="field" class:field-invalid=move || message().is_some()>
            <label>{label}
                <input name=field data-test=field prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                    on:change=move |ev| value.set(event_target_value(&ev))/>
            </label>
            {move || message().map(|m| view! { <p class="field-error" data-test=format!("error-{field}")>{m}</p> })}
        </div>
    }
}

#[component]
fn NetworkTable(
    list: Vec<NetworkView>,
    names: Vec<(String, String)>,
    manage: bool,
) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|n| {
            let (id, label) = (n.id.clone(), n.name.clone());
            let removable = manage && n.workspace.is_some();
            let remove = move |_| {
                run_confirmed(format!("Remove network {label}?"), format!("Removed {label}"), remove_network(id.clone()), |()| String::new());
            };
            view! {
                <tr data-test="network-row" data-name=n.name.clone()>
                    <td>{n.name.clone()}</td>
                    <td>{n.driver.clone()}{n.internal.then_some(" (internal)")}</td>
                    <td class="mono">{n.subnet.clone().unwrap_or_default()}</td>
                    <td class="mono">{n.gateway.clone().unwrap_or_default()}</td>
                    <td class:muted=n.workspace.is_none()>{owner_name(n.workspace.as_deref(), &names)}</td>
                    <td class:muted=n.used_by.is_empty()>{users(&n.used_by)}</td>
                    <td class="row-actions">
                        {removable.then(|| view! { <button type="button" class="button button-quiet button-danger" data-test="remove-network" on:click=remove>"Remove"</button> })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table" data-test="networks">
            <thead><tr><th>"Name"</th><th>"Driver"</th><th>"Subnet"</th><th>"Gateway"</th><th>"Workspace"</th><th>"Containers"</th><th></th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// `/volumes`: the volumes the user may see; members who manage volumes create, remove, prune.
#[component]
pub fn VolumesPage() -> impl IntoView {
    let live = use_live();
    let workspaces = use_workspaces();
    let initial = Resource::new(|| (), |()| list_volumes());
    let create = ServerAction::<CreateVolume>::new();
    // Sizes are read from disk, once per page load and after each create.
    let sizes = Resource::new(
        move || create.version().get(),
        |_| crate::api::objects::volume_sizes(),
    );
    let error = last_error(create.value());
    let name = RwSignal::new(String::new());
    view! {
        <Title text="Volumes"/>
        <Suspense fallback=|| view! { <div class="panel skeleton" aria-busy="true" style="height:10rem"></div> }>
            {move || Suspend::new(async move {
                let first = initial.await;
                let ctx = workspaces.data.await.ok();
                let names: Vec<(String, String)> = ctx.as_ref().map(|c| c.workspaces.iter().map(|w| (w.id.clone(), w.name.clone())).collect()).unwrap_or_default();
                let is_admin = ctx.as_ref().is_some_and(|c| c.is_admin);
                let current = ctx.as_ref().and_then(|c| c.current.clone()).unwrap_or_default();
                let needs = current.is_empty();
                let manage = !needs && ctx.as_ref().is_some_and(|c| c.can("volume", "manage"));
                let prune_in = current.clone();
                let on_submit = move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    create.dispatch(CreateVolume { workspace: current.clone(), name: name.get_untracked() });
                };
                view! {
                    <div class="page-header">
                        <h1>"Volumes"</h1>
                        {manage.then(|| view! {
                            <button type="button" class="button button-quiet" data-test="prune-volumes" on:click=move |_| {
                                run_confirmed(
                                    "Remove this workspace's volumes that no container uses? Their data is lost.".into(),
                                    "Pruned: ".into(),
                                    prune_volumes(prune_in.clone()),
                                    |r| format!("{} removed, {} freed", r.removed.len(), format::bytes(r.space_reclaimed)),
                                );
                            }>"Remove unused volumes"</button>
                        })}
                    </div>
                    {needs.then(|| view! { <NeedsWorkspace what="create volumes" is_admin=is_admin/> })}
                    {manage.then(|| view! {
                        <form class="panel form form-inline" data-test="new-volume" on:submit=on_submit>
                            <TextField label="Name" field="name" value=name error=error/>
                            <FormError error=error/>
                            <button type="submit" class="button" data-test="create-volume" disabled=move || create.pending().get()>"Create volume"</button>
                        </form>
                    })}
                    {move || {
                        let names = names.clone();
                        let sizes = sizes.get().and_then(Result::ok).unwrap_or_default();
                        live_or_first(live.objects().volumes, &first, move |list| view! { <VolumeTable list=list names=names manage=manage sizes=sizes/> })
                    }}
                }
            })}
        </Suspense>
    }
}

#[component]
fn VolumeTable(
    list: Vec<VolumeView>,
    names: Vec<(String, String)>,
    manage: bool,
    sizes: std::collections::HashMap<String, i64>,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <section class="panel empty-state"><p>{if manage {
            "No volumes yet. Create one above; the volumes a stack declares show up here when it deploys."
        } else {
            "No volumes yet; the volumes a stack declares show up here when it deploys."
        }}</p></section> }
            .into_any();
    }
    let rows = list
        .into_iter()
        .map(|v| {
            let label = v.name.clone();
            let removable = manage && v.workspace.is_some();
            let remove = move |_| {
                run_confirmed(format!("Remove volume {label}? Its data is lost."), format!("Removed {label}"), remove_volume(label.clone()), |()| String::new());
            };
            view! {
                <tr data-test="volume-row" data-name=v.name.clone()>
                    <td class="mono">{v.name.clone()}</td>
                    <td>{v.driver.clone()}</td>
                    <td data-test="volume-size">{sizes.get(&v.name).map_or_else(|| "unknown".to_owned(), |b| format::bytes(*b))}</td>
                    <td>{format::datetime(v.created_at)}</td>
                    <td class:muted=v.workspace.is_none()>{owner_name(v.workspace.as_deref(), &names)}</td>
                    <td class:muted=v.used_by.is_empty()>{users(&v.used_by)}</td>
                    <td class="row-actions">
                        {removable.then(|| view! { <button type="button" class="button button-quiet button-danger" data-test="remove-volume" on:click=remove>"Remove"</button> })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table" data-test="volumes">
            <thead><tr><th>"Name"</th><th>"Driver"</th><th>"Size"</th><th>"Created"</th><th>"Workspace"</th><th>"Containers"</th><th></th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// `/images/:id`: an image's configuration, layers and build history.
#[component]
pub fn ImagePage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let detail = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        crate::api::objects::get_image,
    );
    view! {
        <Title text="Image"/>
        <Transition fallback=|| view! { <div class="panel skeleton" aria-busy="true" style="height:10rem"></div> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! {
                        <div class="page-header"><h1>"Image"</h1></div>
                        <section class="panel error-panel" data-test="image-error"><p>{e.to_string()}</p></section>
                    }.into_any(),
                    Ok(d) => view! {
                        <div class="page-header">
                            <h1 class="mono" data-test="image-name">{d.summary.tags.first().cloned().unwrap_or_else(|| "<none>".into())}</h1>
                            <a href="/images">"All images"</a>
                        </div>
                        <div class="grid-2">
                            <section class="panel">
                                <h2>"Summary"</h2>
                                <dl class="facts">
                                    <dt>"Id"</dt><dd class="mono">{d.summary.id.clone()}</dd>
                                    <dt>"Tags"</dt><dd class="mono">{d.summary.tags.join(", ")}</dd>
                                    <dt>"Size"</dt><dd>{format::bytes(d.summary.size)}</dd>
                                    <dt>"Created"</dt><dd>{format::datetime(d.summary.created_at)}</dd>
                                    <dt>"Platform"</dt><dd>{format!("{}/{}", d.os, d.architecture)}</dd>
                                    <dt>"Command"</dt><dd class="mono">{d.entrypoint.iter().chain(&d.cmd).cloned().collect::<Vec<_>>().join(" ")}</dd>
                                    <dt>"Ports"</dt><dd class="mono">{d.exposed_ports.join(", ")}</dd>
                                    <dt>"Used by"</dt><dd>{users(&d.summary.used_by)}</dd>
                                </dl>
                                <h2>"Environment"</h2>
                                <ul class="plain mono">{d.env.iter().map(|e| view! { <li>{e.clone()}</li> }).collect_view()}</ul>
                            </section>
                            <section class="panel">
                                <h2>"Layers"</h2>
                                <ol class="mono" data-test="layers">{d.layers.iter().map(|l| view! { <li>{l.clone()}</li> }).collect_view()}</ol>
                            </section>
                        </div>
                        <section class="panel">
                            <h2>"History"</h2>
                            <table class="table" data-test="history">
                                <thead><tr><th>"Step"</th><th>"Size"</th><th>"Created"</th></tr></thead>
                                <tbody>
                                    {d.history.iter().map(|h| view! {
                                        <tr><td class="mono">{h.created_by.clone()}</td><td>{format::bytes(h.size)}</td><td>{format::datetime(h.created_at)}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
