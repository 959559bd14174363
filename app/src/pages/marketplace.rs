//! The marketplace: the catalog with search, categories and sorts; one app's page with its
//! README, install form (checked as you type, and again by the server), plan, live progress
//! and reviews; installed apps with links, update (changelog first) and uninstall (keeping or
//! deleting data); sources and approvals of host access for platform admins.

use std::collections::BTreeMap;

use engine::extensions::inputs::check_value;
use engine::extensions::manifest::{Input, InputKind, Manifest, Permissions};
use engine::extensions::market::{
    AppView, ExtensionCard, ExtensionDetail, InstallForm, InstallPlan, InstallStarted, NewSource,
    ReviewForm, SearchQuery, UpdatePreview,
};
use engine::model::resources::DeployPhase;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::marketplace::{
    add_source, app_update_preview, approve_app, delete_review, get_extension, install_extension,
    list_apps, list_reviews, list_sources, plan_install, remove_source, save_review,
    search_extensions, sync_source, uninstall_app, update_app, vote_review,
};
use crate::components::engine::use_live;
use crate::components::format;
use crate::components::toast::{ToastKind, use_toaster};
use crate::components::workspace::use_workspaces;
use crate::error::AppError;
use crate::pages::stacks::Progress;

fn stars(rating: Option<f64>) -> String {
    match rating {
        Some(r) => format!("★ {r:.1}"),
        None => "No ratings yet".into(),
    }
}

/// What the host access an extension asks for is, in words.
fn access_list(p: &Permissions) -> Vec<String> {
    let mut out = Vec::new();
    if p.privileged {
        out.push("privileged mode (full access to the host)".to_owned());
    }
    if p.docker_socket {
        out.push("the Docker socket (control of every container)".to_owned());
    }
    out.extend(p.host_paths.iter().map(|h| format!("the host folder {h}")));
    out.extend(p.devices.iter().map(|d| format!("the device {d}")));
    out
}

/// `/marketplace`: search, filter and sort the catalog.
#[component]
pub fn MarketplacePage() -> impl IntoView {
    let q = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let sort = RwSignal::new(String::new());
    let reload = RwSignal::new(0_u32);
    let results = Resource::new(
        move || (q.get(), category.get(), sort.get(), reload.get()),
        |(q, category, sort, _)| {
            search_extensions(SearchQuery {
                q: Some(q).filter(|s| !s.trim().is_empty()),
                category: Some(category).filter(|s| !s.is_empty()),
                sort: Some(sort).filter(|s| !s.is_empty()),
                ..SearchQuery::default()
            })
        },
    );
    let workspaces = use_workspaces();
    view! {
        <Title text="Marketplace"/>
        <div class="page-header">
            <h1>"Marketplace"</h1>
            <a class="button button-quiet" href="/apps" data-test="installed-apps-link">"Installed apps"</a>
        </div>
        <div class="toolbar">
            <input type="search" name="q" data-test="market-search" placeholder="Search apps" aria-label="Search apps"
                prop:value=move || q.get() on:input=move |ev| q.set(event_target_value(&ev))/>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let facets = results.await.map(|p| p.categories).unwrap_or_default();
                    let current = category.get_untracked();
                    view! {
                        <select data-test="market-category" aria-label="Category" on:change=move |ev| category.set(event_target_value(&ev))>
                            <option value="">"All categories"</option>
                            {facets.into_iter().map(|(c, n)| {
                                let selected = c == current;
                                view! { <option value=c.clone() selected=selected>{format!("{c} ({n})")}</option> }
                            }).collect_view()}
                        </select>
                    }
                })}
            </Transition>
            <select data-test="market-sort" aria-label="Sort" on:change=move |ev| sort.set(event_target_value(&ev))>
                <option value="">"Best match"</option>
                <option value="name">"Name"</option>
                <option value="updated">"Recently updated"</option>
                <option value="installs">"Most installed"</option>
                <option value="rating">"Best rated"</option>
            </select>
        </div>
        <Transition fallback=|| view! { <div class="panel skeleton" style="height:12rem"></div> }>
            {move || Suspend::new(async move {
                match results.await {
                    Ok(page) if page.items.is_empty() => view! {
                        <section class="panel empty-state" data-test="market-empty"><p>"No app matches. Try other words or another category."</p></section>
                    }.into_any(),
                    Ok(page) => view! {
                        <p class="muted" data-test="market-total">{format::count(i64::try_from(page.total).unwrap_or(0), "app", "apps")}</p>
                        <div class="cards">
                            {page.items.into_iter().map(|c| view! { <Card card=c/> }).collect_view()}
                        </div>
                    }.into_any(),
                    Err(e) => view! { <section class="panel error-panel"><p>{e.to_string()}</p></section> }.into_any(),
                }
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let admin = workspaces.data.await.ok().is_some_and(|c| c.is_admin);
                admin.then(|| view! { <Sources reload=reload/> })
            })}
        </Transition>
    }
}

#[component]
fn Card(card: ExtensionCard) -> impl IntoView {
    let href = format!("/marketplace/{}?source={}", card.id, card.source);
    view! {
        <a class="card card-link" href=href data-test="market-card" data-id=card.id.clone()>
            <div class="card-head">
                <ExtensionIcon icon=card.icon.clone() name=card.name.clone()/>
                <div>
                    <div class="card-label">{card.categories.join(" · ")}</div>
                    <div class="card-value">{card.name.clone()} " " <span class="tag">{card.version.clone()}</span></div>
                </div>
            </div>
            <p class="card-detail">{card.summary.clone()}</p>
            <p class="card-detail">
                {stars(card.rating)} {(card.reviews > 0).then(|| format!(" ({})", card.reviews))}
                " · " {format::count(card.installs, "install", "installs")}
                {(card.source_name != "Official").then(|| format!(" · {}", card.source_name))}
            </p>
        </a>
    }
}

/// An extension's icon, or its initial on a tile when it has none.
#[component]
fn ExtensionIcon(icon: Option<String>, name: String) -> impl IntoView {
    match icon {
        Some(src) => {
            view! { <img class="ext-icon" src=src alt="" loading="lazy" data-test="ext-icon"/> }
                .into_any()
        }
        None => {
            let initial = name
                .chars()
                .next()
                .map(|c| c.to_uppercase().to_string())
                .unwrap_or_default();
            view! { <span class="ext-icon ext-icon-none" aria-hidden="true">{initial}</span> }
                .into_any()
        }
    }
}

/// Sources of extensions (platform admins): how each last synced, sync now, remove, add.
#[component]
fn Sources(reload: RwSignal<u32>) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let sources = Resource::new(move || version.get(), |_| list_sources());
    let toaster = use_toaster();
    let form = RwSignal::new(NewSource {
        kind: "folder".into(),
        ..NewSource::default()
    });
    let error = RwSignal::new(None::<AppError>);
    let pending = RwSignal::new(false);
    let changed = move || {
        version.update(|v| *v += 1);
        reload.update(|v| *v += 1);
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        pending.set(true);
        error.set(None);
        let f = form.get_untracked();
        leptos::task::spawn_local(async move {
            match add_source(f).await {
                Ok(r) => {
                    toaster.show(
                        ToastKind::Success,
                        format!(
                            "{}: {} extensions ({} with errors)",
                            r.source, r.extensions, r.invalid
                        ),
                    );
                    form.set(NewSource {
                        kind: "folder".into(),
                        ..NewSource::default()
                    });
                    changed();
                }
                Err(e) => error.set(Some(e)),
            }
            pending.set(false);
        });
    };
    view! {
        <section class="panel" data-test="sources">
            <h2>"Sources"</h2>
            <p class="muted">"Where apps come from. Each is synced on a schedule and when you ask; extensions with errors are listed here, never installed."</p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = sources.await.unwrap_or_default();
                    view! {
                        <table class="table">
                            <thead><tr><th>"Name"</th><th>"Kind"</th><th>"Location"</th><th>"Extensions"</th><th>"Last sync"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|s| {
                                    let (id, id2) = (s.id.clone(), s.id.clone());
                                    let builtin = s.kind == "builtin";
                                    view! {
                                        <tr data-test="source-row" data-name=s.name.clone()>
                                            <td>{s.name.clone()}</td>
                                            <td>{s.kind.clone()}</td>
                                            <td class="mono">{s.location.clone()}{s.reference.clone().map(|r| format!(" @ {r}"))}</td>
                                            <td data-test="source-count">{s.extensions}{(s.invalid > 0).then(|| view! { " " <span class="pill pill-warn">{format!("{} with errors", s.invalid)}</span> })}</td>
                                            <td>
                                                {s.synced_at.map(format::datetime).unwrap_or_else(|| "never".into())}
                                                {s.sync_error.clone().map(|e| view! { <p class="field-error">{e}</p> })}
                                            </td>
                                            <td class="row-actions">
                                                <button class="button button-quiet" on:click=move |_| {
                                                    let id = id.clone();
                                                    leptos::task::spawn_local(async move {
                                                        match sync_source(id).await {
                                                            Ok(r) => toaster.show(ToastKind::Success, format!("{} synced: {} extensions in {} ms", r.source, r.extensions, r.millis)),
                                                            Err(e) => toaster.show(ToastKind::Error, e.to_string()),
                                                        }
                                                        changed();
                                                    });
                                                }>"Sync"</button>
                                                {(!builtin).then(|| view! {
                                                    <button class="button button-quiet button-danger" on:click=move |_| {
                                                        let id = id2.clone();
                                                        leptos::task::spawn_local(async move {
                                                            if let Err(e) = remove_source(id).await {
                                                                toaster.show(ToastKind::Error, e.to_string());
                                                            }
                                                            changed();
                                                        });
                                                    }>"Remove"</button>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }
                })}
            </Transition>
            <form class="form-grid" data-test="add-source" on:submit=add>
                <div class="field"><label>"Name"
                    <input name="source-name" required=true prop:value=move || form.with(|f| f.name.clone())
                        on:input=move |ev| form.update(|f| f.name = event_target_value(&ev))/>
                </label></div>
                <div class="field"><label>"Kind"
                    <select name="source-kind" on:change=move |ev| form.update(|f| f.kind = event_target_value(&ev))>
                        <option value="folder">"Folder on the server"</option>
                        <option value="git">"Git repository"</option>
                        <option value="http">"HTTP index (JSON)"</option>
                    </select>
                </label></div>
                <div class="field"><label>"Location"
                    <input name="source-location" required=true placeholder="/srv/apps, https://…/repo.git or https://…/index.json"
                        prop:value=move || form.with(|f| f.location.clone())
                        on:input=move |ev| form.update(|f| f.location = event_target_value(&ev))/>
                </label></div>
                <div class="field"><label>"Branch or tag (git)"
                    <input name="source-reference" prop:value=move || form.with(|f| f.reference.clone().unwrap_or_default())
                        on:input=move |ev| form.update(|f| f.reference = Some(event_target_value(&ev)).filter(|r| !r.is_empty()))/>
                </label></div>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert" data-test="source-error">{e.to_string()}</p> })}
                <button type="submit" class="button" data-test="add-source-button" disabled=move || pending.get()>
                    {move || if pending.get() { "Adding and syncing…" } else { "Add source" }}
                </button>
            </form>
        </section>
    }
}

/// `/marketplace/:id`: one app.
#[component]
pub fn ExtensionPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let detail = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                query.read().get("source"),
            )
        },
        |(id, source)| get_extension(id, source),
    );
    view! {
        <Title text="App"/>
        <Suspense fallback=|| view! { <div class="panel skeleton" aria-busy="true" style="height:16rem"></div> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <ExtensionView detail=d/> }.into_any(),
                    Err(e) => view! {
                        <div class="page-header"><h1>"App"</h1></div>
                        <section class="panel error-panel" data-test="extension-error">
                            <p>{e.to_string()}</p>
                            <p><a href="/marketplace">"Back to the marketplace"</a></p>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ExtensionView(detail: ExtensionDetail) -> impl IntoView {
    let card = detail.card.clone();
    let workspaces = use_workspaces();
    let access = detail
        .manifest
        .as_ref()
        .map(|m| access_list(&m.permissions))
        .unwrap_or_default();
    view! {
        <div class="page-header">
            <div class="card-head">
                <ExtensionIcon icon=card.icon.clone() name=card.name.clone()/>
                <h1 data-test="extension-name">{card.name.clone()}</h1>
            </div>
            <span class="tag">{card.version.clone()}</span>
        </div>
        <dl class="facts">
            <dt>"Summary"</dt><dd>{card.summary.clone()}</dd>
            <dt>"Source"</dt><dd>{card.source_name.clone()}</dd>
            <dt>"Categories"</dt><dd>{card.categories.join(", ")}</dd>
            <dt>"Rating"</dt><dd data-test="extension-rating">{stars(card.rating)} {format!(" · {}", format::count(card.reviews, "review", "reviews"))}</dd>
            <dt>"Installs"</dt><dd>{card.installs}</dd>
            {detail.manifest.as_ref().and_then(|m| m.license.clone()).map(|l| view! { <dt>"License"</dt><dd>{l}</dd> })}
            {detail.manifest.as_ref().and_then(|m| m.homepage.clone()).filter(|h| h.starts_with("https://") || h.starts_with("http://")).map(|h| view! { <dt>"Homepage"</dt><dd><a href=h.clone() rel="noopener noreferrer external" target="_blank">{h.clone()}</a></dd> })}
            {(!access.is_empty()).then(|| view! { <dt>"Host access"</dt><dd class="warn">{access.join("; ")}</dd> })}
        </dl>
        {(!card.errors.is_empty()).then(|| view! {
            <section class="panel error-panel" data-test="extension-errors">
                <h2>"This extension has errors and cannot be installed"</h2>
                <ul>{card.errors.iter().map(|e| view! { <li class="mono">{e.clone()}</li> }).collect_view()}</ul>
            </section>
        })}
        {detail.manifest.clone().map(|manifest| view! {
            <Transition fallback=|| ()>
                {move || {
                    let manifest = manifest.clone();
                    Suspend::new(async move {
                        let ctx = workspaces.data.await.ok()?;
                        let choices: Vec<(String, String)> = ctx.workspaces.iter().map(|w| (w.id.clone(), w.name.clone())).collect();
                        let current = ctx.current.clone()?;
                        Some(view! { <InstallPanel manifest=manifest.clone() workspaces=choices current=current/> })
                    })
                }}
            </Transition>
        })}
        <section class="panel readme" data-test="readme" inner_html=detail.readme_html.clone()></section>
        {(!detail.changelog_html.is_empty()).then(|| view! {
            <section class="panel readme"><h2>"Changelog"</h2><div inner_html=detail.changelog_html.clone()></div></section>
        })}
        <ReviewsPanel id=card.id.clone()/>
    }
}

/// The client-side check of one value (the server checks again).
fn input_error(input: &Input, value: &str) -> Option<String> {
    if value.trim().is_empty() {
        return (input.is_required() && input.default.is_none() && input.generate.is_none())
            .then(|| format!("{} is required", input.label));
    }
    check_value(input, value)
        .err()
        .map(|m| format!("the value {m}"))
}

#[component]
fn InstallPanel(
    manifest: Manifest,
    workspaces: Vec<(String, String)>,
    current: String,
) -> impl IntoView {
    let live = use_live();
    let toaster = use_toaster();
    let inputs = manifest.inputs.clone();
    let values = RwSignal::new(
        inputs
            .iter()
            .map(|i| {
                (
                    i.key.clone(),
                    if i.kind == InputKind::Secret {
                        String::new()
                    } else {
                        i.default.clone().unwrap_or_default()
                    },
                )
            })
            .collect::<BTreeMap<String, String>>(),
    );
    let stack = RwSignal::new(manifest.id.clone());
    let workspace = RwSignal::new(current);
    let touched = RwSignal::new(false);
    let server_error = RwSignal::new(None::<AppError>);
    let plan = RwSignal::new(None::<InstallPlan>);
    let started = RwSignal::new(None::<(InstallStarted, usize)>);
    let pending = RwSignal::new(false);
    let checks = inputs.clone();
    let errors = Memo::new(move |_| {
        values.with(|v| {
            checks
                .iter()
                .filter_map(|i| {
                    input_error(i, v.get(&i.key).map_or("", String::as_str))
                        .map(|e| (i.key.clone(), e))
                })
                .collect::<BTreeMap<String, String>>()
        })
    });
    let id = manifest.id.clone();
    let form = move || InstallForm {
        extension: id.clone(),
        source: None,
        stack: stack.get_untracked(),
        inputs: values
            .get_untracked()
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect(),
    };
    let form_for_plan = form.clone();
    let review = move |_| {
        touched.set(true);
        if !errors.get_untracked().is_empty() {
            return;
        }
        let (ws, f) = (workspace.get_untracked(), form_for_plan());
        server_error.set(None);
        leptos::task::spawn_local(async move {
            match plan_install(ws, f).await {
                Ok(p) => plan.set(Some(p)),
                Err(e) => server_error.set(Some(e)),
            }
        });
    };
    let install = move |_| {
        touched.set(true);
        if !errors.get_untracked().is_empty() {
            return;
        }
        let (ws, f) = (workspace.get_untracked(), form());
        server_error.set(None);
        pending.set(true);
        let from = live.deploys.with_untracked(Vec::len);
        leptos::task::spawn_local(async move {
            match install_extension(ws, f).await {
                Ok(s) => {
                    toaster.show(
                        ToastKind::Info,
                        format!(
                            "Installing {}",
                            s.apps.last().map(|a| a.name.clone()).unwrap_or_default()
                        ),
                    );
                    started.set(Some((s, from)));
                }
                Err(e) => server_error.set(Some(e)),
            }
            pending.set(false);
        });
    };
    let field_error = move |key: &str| {
        let key = key.to_owned();
        move || {
            let local = touched
                .get()
                .then(|| errors.with(|e| e.get(&key).cloned()))
                .flatten();
            let server = match server_error.get() {
                Some(AppError::Diagnostics(d)) => d
                    .iter()
                    .find(|x| x.path == format!("inputs.{key}"))
                    .map(|x| x.message.clone()),
                _ => None,
            };
            local
                .or(server)
                .map(|m| view! { <p class="field-error" data-test=format!("error-{key}")>{m}</p> })
        }
    };
    view! {
        <section class="panel" data-test="install-panel">
            <h2>"Install"</h2>
            <InstallProgress started=started/>
            <div style:display=move || if started.get().is_some() { "none" } else { "" }>
                <div class="form-grid">
                    <div class="field"><label>"Workspace"
                        <select name="workspace" on:change=move |ev| workspace.set(event_target_value(&ev))>
                            {workspaces.iter().map(|(id, name)| {
                                let selected = *id == workspace.get_untracked();
                                view! { <option value=id.clone() selected=selected>{name.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </label></div>
                    <div class="field"><label>"Stack name"
                        <input name="stack" data-test="install-stack" required=true prop:value=move || stack.get() on:input=move |ev| stack.set(event_target_value(&ev))/>
                    </label>
                    {move || match server_error.get() {
                        Some(AppError::Invalid { field, message }) if field == "stack" => Some(view! { <p class="field-error">{message}</p> }),
                        _ => None,
                    }}
                    </div>
                    {inputs.into_iter().map(|input| {
                        let key = input.key.clone();
                        let k2 = key.clone();
                        let value = move || values.with(|v| v.get(&k2).cloned().unwrap_or_default());
                        let set = {
                            let key = key.clone();
                            move |v: String| values.update(|all| { all.insert(key.clone(), v); })
                        };
                        let name = format!("input-{key}");
                        let control = match input.kind {
                            InputKind::Boolean => {
                                let set = set.clone();
                                view! { <input type="checkbox" name=name.clone() data-test=name.clone() prop:checked=move || value() == "true"
                                    on:change=move |ev| set(event_target_checked(&ev).to_string())/> }.into_any()
                            }
                            InputKind::Select => {
                                let set = set.clone();
                                let options = input.options.clone();
                                view! { <select name=name.clone() data-test=name.clone() on:change=move |ev| set(event_target_value(&ev))>
                                    {options.into_iter().map(|o| {
                                        let selected = Some(o.value.clone()) == input.default;
                                        view! { <option value=o.value.clone() selected=selected>{o.label.clone()}</option> }
                                    }).collect_view()}
                                </select> }.into_any()
                            }
                            InputKind::Text => {
                                let set = set.clone();
                                view! { <textarea name=name.clone() data-test=name.clone() rows="4" prop:value=value on:input=move |ev| set(event_target_value(&ev))></textarea> }.into_any()
                            }
                            kind => {
                                let set = set.clone();
                                let kind_attr = match kind {
                                    InputKind::Secret => "password",
                                    InputKind::Number | InputKind::Port => "number",
                                    InputKind::Email => "email",
                                    InputKind::Url => "url",
                                    _ => "text",
                                };
                                let placeholder = match (kind, input.generate) {
                                    (InputKind::Secret, Some(n)) => format!("Generated ({n} characters) if left empty"),
                                    (InputKind::HostPath, _) => "/srv/data".into(),
                                    _ => String::new(),
                                };
                                view! { <input type=kind_attr name=name.clone() data-test=name.clone() placeholder=placeholder autocomplete="off"
                                    min=input.min.map(|m| m.to_string()) max=input.max.map(|m| m.to_string())
                                    prop:value=value on:input=move |ev| set(event_target_value(&ev))/> }.into_any()
                            }
                        };
                        let required = input.is_required() && input.default.is_none() && input.generate.is_none();
                        view! {
                            <div class="field">
                                <label>{input.label.clone()}{required.then_some(" *")}{control}</label>
                                {(!input.description.is_empty()).then(|| view! { <p class="field-hint">{input.description.clone()}</p> })}
                                {field_error(&key)}
                            </div>
                        }
                    }).collect_view()}
                </div>
                {move || plan.get().map(|p| view! {
                    <div data-test="install-plan">
                        <h3>"Plan"</h3>
                        <ol class="plain">
                            {p.steps.iter().map(|s| view! {
                                <li data-test="plan-step">{match &s.reuse {
                                    Some(_) => format!("Use the installed {} {} ({})", s.name, s.version, s.stack),
                                    None => format!("Install {} {} as the stack {}", s.name, s.version, s.stack),
                                }}</li>
                            }).collect_view()}
                        </ol>
                        {p.needs_approval.then(|| view! { <p class="banner banner-warn">"It asks for host access: a platform admin approves it before it runs."</p> })}
                    </div>
                })}
                {move || server_error.get().filter(|e| !matches!(e, AppError::Diagnostics(_)) && !matches!(e, AppError::Invalid { field, .. } if field == "stack"))
                    .map(|e| view! { <p class="form-error" role="alert" data-test="install-error">{e.to_string()}</p> })}
                <div class="actions button-row">
                    <button type="button" class="button button-quiet" data-test="review-plan" on:click=review>"Review plan"</button>
                    <button type="button" class="button" data-test="install" disabled=move || pending.get() on:click=install>
                        {move || if pending.get() { "Starting…" } else { "Install" }}
                    </button>
                </div>
            </div>
        </section>
    }
}

/// Live progress of an install: one block per app, requirements first.
#[component]
fn InstallProgress(started: RwSignal<Option<(InstallStarted, usize)>>) -> impl IntoView {
    let live = use_live();
    move || {
        let (s, from) = started.get()?;
        Some(view! {
            <div data-test="install-progress">
                {s.apps.into_iter().map(|app| {
                    let title = format!("{} ({})", app.name, app.stack);
                    match (app.status.as_str(), app.stack_id.clone()) {
                        ("awaiting_approval", _) => view! {
                            <p class="banner banner-warn" data-test="awaiting-approval">{format!("{title}: waiting for a platform admin to approve its host access.")}</p>
                        }.into_any(),
                        (_, Some(stack_id)) => {
                            let all = live.stack_events(stack_id, Signal::stored(from));
                            // The install's deploy, up to its end; a failed one is followed by the
                            // clean-up that takes down what it made, said in one line under it.
                            let events = Memo::new(move |_| all.with(|e| {
                                let end = e.iter().position(|x| x.phase == DeployPhase::Finished).map_or(e.len(), |i| i + 1);
                                e[..end].to_vec()
                            }));
                            let finished = Memo::new(move |_| events.with(|e| e.iter().rev().find(|x| x.phase == DeployPhase::Finished).map(|x| x.message.clone())));
                            let cleaned = Memo::new(move |_| all.with(|e| {
                                let first = e.iter().position(|x| x.phase == DeployPhase::Finished)?;
                                e[first + 1..].iter().any(|x| x.phase == DeployPhase::Finished).then_some(())
                            }));
                            view! {
                                <h3>{title}</h3>
                                <Progress events=events/>
                                {move || finished.get().map(|m| view! { <p data-test="install-finished">{m}</p> })}
                                {move || cleaned.get().map(|()| view! {
                                    <p class="muted" data-test="install-cleaned">"Nothing was left behind: what the failed install had made is removed."</p>
                                })}
                            }.into_any()
                        }
                        _ => view! { <p>{title}</p> }.into_any(),
                    }
                }).collect_view()}
                <p><a class="button" href="/apps" data-test="go-installed">"Installed apps"</a></p>
            </div>
        })
    }
}

#[component]
fn ReviewsPanel(id: String) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let key = id.clone();
    let reviews = Resource::new(move || version.get(), move |_| list_reviews(key.clone()));
    let rating = RwSignal::new(5_u8);
    let body = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let toaster = use_toaster();
    let id_save = id.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let id = id_save.clone();
        let form = ReviewForm {
            rating: rating.get_untracked(),
            body: body.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match save_review(id, form).await {
                Ok(()) => {
                    error.set(None);
                    toaster.show(ToastKind::Success, "Review saved");
                    version.update(|v| *v += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="panel" data-test="reviews">
            <h2>"Reviews"</h2>
            <Transition fallback=|| ()>
                {move || {
                    let id = id.clone();
                    Suspend::new(async move {
                        let r = reviews.await.ok()?;
                        if let Some(mine) = r.items.iter().find(|x| x.mine) {
                            rating.set(mine.rating);
                            body.set(mine.body.clone());
                        }
                        Some(view! {
                            <p class="muted">{match r.average { Some(a) => format!("★ {a:.1} from {}", format::count(r.count, "review", "reviews")), None => "No reviews yet.".into() }}</p>
                            <ul class="plain">
                                {r.items.into_iter().map(|x| {
                                    let (id, id2, author) = (id.clone(), id.clone(), x.author_id.clone());
                                    let voted = x.voted;
                                    view! {
                                        <li class="user-review" data-test="review">
                                            <strong>{"★".repeat(usize::from(x.rating))}</strong> " " {x.author.clone()} " · " <span class="muted">{format::datetime(x.updated_at)}</span>
                                            <p>{x.body.clone()}</p>
                                            {if x.mine {
                                                view! { <button class="button button-quiet" on:click=move |_| {
                                                    let id = id.clone();
                                                    leptos::task::spawn_local(async move {
                                                        let _ = delete_review(id).await;
                                                        version.update(|v| *v += 1);
                                                    });
                                                }>"Delete my review"</button> }.into_any()
                                            } else {
                                                view! { <button class="button button-quiet" data-test="helpful" aria-pressed=voted.to_string() on:click=move |_| {
                                                    let (id, author) = (id2.clone(), author.clone());
                                                    leptos::task::spawn_local(async move {
                                                        let _ = vote_review(id, author, !voted).await;
                                                        version.update(|v| *v += 1);
                                                    });
                                                }>{format!("Helpful ({})", x.helpful)}</button> }.into_any()
                                            }}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        })
                    })
                }}
            </Transition>
            <form class="inline-form" data-test="review-form" on:submit=save>
                <select name="rating" aria-label="Rating" on:change=move |ev| rating.set(event_target_value(&ev).parse().unwrap_or(5))>
                    {(1..=5_u8).rev().map(|n| view! { <option value=n.to_string() selected=move || rating.get() == n>{"★".repeat(usize::from(n))}</option> }).collect_view()}
                </select>
                <input name="review" placeholder="What did you think?" prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))/>
                <button type="submit" class="button">"Save review"</button>
            </form>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
        </section>
    }
}

/// `/apps`: installed apps in every workspace the user may see.
#[component]
pub fn InstalledAppsPage() -> impl IntoView {
    let live = use_live();
    let version = RwSignal::new(0_u32);
    // An operation ending (an install, update or uninstall) refreshes the list: pushed, not polled.
    let finished = Memo::new(move |_| {
        live.deploys.with(|all| {
            all.iter()
                .filter(|(_, e)| e.phase == DeployPhase::Finished)
                .count()
        })
    });
    let apps = Resource::new(move || (version.get(), finished.get()), |_| list_apps());
    let workspaces = use_workspaces();
    view! {
        <Title text="Installed apps"/>
        <div class="page-header">
            <h1>"Installed apps"</h1>
            <a class="button" href="/marketplace">"Marketplace"</a>
        </div>
        <Transition fallback=|| view! { <div class="panel skeleton" style="height:10rem"></div> }>
            {move || Suspend::new(async move {
                let ctx = workspaces.data.await.ok();
                let names: BTreeMap<String, String> = ctx.as_ref().map(|c| c.workspaces.iter().map(|w| (w.id.clone(), w.name.clone())).collect()).unwrap_or_default();
                let admin = ctx.as_ref().is_some_and(|c| c.is_admin);
                match apps.await {
                    Ok(list) if list.is_empty() => view! {
                        <section class="panel empty-state" data-test="apps-empty">
                            <p>"No app installed yet."</p>
                            <a class="button" href="/marketplace">"Browse the marketplace"</a>
                        </section>
                    }.into_any(),
                    Ok(list) => view! {
                        <section class="panel">
                            <table class="table" data-test="apps">
                                <thead><tr><th>"App"</th><th>"Workspace"</th><th>"Stack"</th><th>"Version"</th><th>"Status"</th><th>"Open"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|a| {
                                        let ws = names.get(&a.workspace).cloned().unwrap_or_else(|| a.workspace.clone());
                                        view! { <AppRow app=a workspace_name=ws admin=admin version=version/> }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <section class="panel error-panel"><p>{e.to_string()}</p></section> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn status_view(a: &AppView) -> impl IntoView + use<> {
    let (class, text) = match a.status.as_str() {
        "installed" if a.containers > 0 && a.running == a.containers => (
            "pill pill-ok",
            format!("running {}/{}", a.running, a.containers),
        ),
        "installed" => (
            "pill pill-warn",
            format!("running {}/{}", a.running, a.containers),
        ),
        "failed" => ("pill pill-danger", "failed".to_owned()),
        "awaiting_approval" => ("pill pill-warn", "awaiting approval".to_owned()),
        other => ("pill pill-warn", other.to_owned()),
    };
    view! { <span class=class data-test="app-status">{text}</span> }
}

#[component]
fn AppRow(
    app: AppView,
    workspace_name: String,
    admin: bool,
    version: RwSignal<u32>,
) -> impl IntoView {
    let toaster = use_toaster();
    let confirming = RwSignal::new(false);
    let delete_volumes = RwSignal::new(false);
    let preview = RwSignal::new(None::<UpdatePreview>);
    let busy = RwSignal::new(false);
    let host = format::site_host();
    let (ws, id) = (app.workspace.clone(), app.id.clone());
    let (ws2, id2, ws3, id3, ws4, id4) = (
        ws.clone(),
        id.clone(),
        ws.clone(),
        id.clone(),
        ws.clone(),
        id.clone(),
    );
    let refresh = move || version.update(|v| *v += 1);
    let uninstall = move |_| {
        let (ws, id) = (ws.clone(), id.clone());
        busy.set(true);
        leptos::task::spawn_local(async move {
            match uninstall_app(ws, id, delete_volumes.get_untracked()).await {
                Ok(()) => toaster.show(ToastKind::Success, "Uninstalled"),
                Err(e) => toaster.show(ToastKind::Error, e.to_string()),
            }
            busy.set(false);
            confirming.set(false);
            refresh();
        });
    };
    let show_update = move |_| {
        let (ws, id) = (ws2.clone(), id2.clone());
        leptos::task::spawn_local(async move {
            match app_update_preview(ws, id).await {
                Ok(p) => preview.set(Some(p)),
                Err(e) => toaster.show(ToastKind::Error, e.to_string()),
            }
        });
    };
    let update = move |_| {
        let (ws, id) = (ws3.clone(), id3.clone());
        busy.set(true);
        leptos::task::spawn_local(async move {
            match update_app(ws, id).await {
                Ok(a) => toaster.show(ToastKind::Info, format!("Updating {}", a.name)),
                Err(e) => toaster.show(ToastKind::Error, e.to_string()),
            }
            busy.set(false);
            preview.set(None);
            refresh();
        });
    };
    let approve = move |_| {
        let (ws, id) = (ws4.clone(), id4.clone());
        leptos::task::spawn_local(async move {
            match approve_app(ws, id).await {
                Ok(_) => toaster.show(ToastKind::Info, "Approved: installing"),
                Err(e) => toaster.show(ToastKind::Error, e.to_string()),
            }
            refresh();
        });
    };
    let awaiting = app.status == "awaiting_approval";
    let access = access_list(&app.permissions);
    let name = app.name.clone();
    view! {
        <tr data-test="app-row" data-stack=app.stack.clone() data-status=app.status.clone()>
            <td><strong>{app.name.clone()}</strong><br/><span class="muted mono">{app.extension.clone()}</span>
                {app.required_by.as_ref().map(|_| view! { <br/><span class="muted">"installed as a requirement"</span> })}
                {(!access.is_empty()).then(|| view! { <br/><span class="muted">{format!("Host access: {}", access.join("; "))}</span> })}
            </td>
            <td>{workspace_name}</td>
            <td>{match app.stack_id.clone() {
                Some(sid) => view! { <a href=format!("/stacks/{sid}")>{app.stack.clone()}</a> }.into_any(),
                None => view! { <span>{app.stack.clone()}</span> }.into_any(),
            }}</td>
            <td>{app.version.clone()}{app.latest.clone().map(|l| view! { " " <span class="pill pill-warn" data-test="update-badge">{format!("{l} available")}</span> })}</td>
            <td>{status_view(&app)}{app.error.clone().map(|e| view! { <p class="field-error" data-test="app-error">{e}</p> })}</td>
            <td>{app.links.iter().map(|l| {
                let url = format!("{}://{host}:{}{}", if l.protocol == "https" { "https" } else { "http" }, l.host_port, l.path);
                view! { <a href=url.clone() target="_blank" rel="noopener noreferrer" data-test="app-link">{l.label.clone()}</a> " " }
            }).collect_view()}</td>
            <td class="row-actions">
                {(awaiting && admin).then(|| view! { <button class="button" data-test="approve" on:click=approve>"Approve"</button> })}
                {app.latest.is_some().then(|| view! { <button class="button button-quiet" data-test="update" on:click=show_update>"Update…"</button> })}
                <button class="button button-quiet button-danger" data-test="uninstall" on:click=move |_| confirming.set(true)>
                    {if awaiting { "Cancel" } else { "Uninstall…" }}
                </button>
            </td>
        </tr>
        {move || confirming.get().then(|| {
            let uninstall = uninstall.clone();
            view! {
                <tr data-test="uninstall-confirm"><td colspan="7">
                    <div class="inline-form">
                        <span>{format!("Uninstall {name}? Its containers are removed.")}</span>
                        <label class="inline"><input type="checkbox" data-test="delete-volumes" prop:checked=move || delete_volumes.get()
                            on:change=move |ev| delete_volumes.set(event_target_checked(&ev))/>"Also delete its volumes (its data)"</label>
                        <button class="button button-danger" data-test="confirm-uninstall" disabled=move || busy.get() on:click=uninstall>"Uninstall"</button>
                        <button class="button button-quiet" on:click=move |_| confirming.set(false)>"Keep it"</button>
                    </div>
                </td></tr>
            }
        })}
        {move || preview.get().map(|p| {
            let update = update.clone();
            view! {
                <tr data-test="update-preview"><td colspan="7">
                    <h3>{format!("Update {} → {}", p.from, p.to)}</h3>
                    <div class="readme" inner_html=p.changelog_html.clone()></div>
                    {(!p.new_inputs.is_empty()).then(|| view! {
                        <p class="muted">{format!("New settings, at their defaults: {}", p.new_inputs.iter().map(|i| format!("{} = {}", i.label, i.default.clone().unwrap_or_default())).collect::<Vec<_>>().join(", "))}</p>
                    })}
                    <p class="muted">"Your settings are kept; the app is redeployed, and goes back to this version if the new one fails."</p>
                    <div class="button-row">
                        <button class="button" data-test="confirm-update" disabled=move || busy.get() on:click=update>"Update"</button>
                        <button class="button button-quiet" on:click=move |_| preview.set(None)>"Not now"</button>
                    </div>
                </td></tr>
            }
        })}
    }
}
