//! The dashboard: the engine's figures as cards, kept current by the live connection.

use engine::model::system::{FigureScope, SystemInfo};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::palette::{DismissChecklist, get_checklist};
use crate::api::system::get_system_info;
use crate::components::engine::use_live;
use crate::components::format;
use crate::error::AppError;

/// `/`: Orbitr and engine figures.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let live = use_live();
    let initial = Resource::new(|| (), |()| get_system_info());

    view! {
        <Title text="Dashboard"/>
        <div class="page-header">
            <h1>"Dashboard"</h1>
        </div>
        <Checklist/>
        <Suspense fallback=|| view! { <CardsLoading/> }>
            {move || Suspend::new(async move {
                let first = initial.await;
                move || {
                    let current = match (live.status.get(), live.system.get()) {
                        (Some(status), _) if !status.is_connected() => Err(AppError::DockerUnavailable {
                            host: status.host,
                            reason: status.error.unwrap_or_default(),
                        }),
                        (_, Some(info)) => Ok(info),
                        _ => first.clone(),
                    };
                    match current {
                        Ok(info) => view! { <SystemCards info=info/> }.into_any(),
                        Err(e) => view! {
                            <section class="panel error-panel" data-test="system-error">
                                <h2>"Engine figures unavailable"</h2>
                                <p>{e.to_string()}</p>
                            </section>
                        }
                        .into_any(),
                    }
                }
            })}
        </Suspense>
    }
}

/// Getting started: the steps left, each with the button that does it; gone once every step
/// is done or the person dismissed it.
#[component]
fn Checklist() -> impl IntoView {
    let dismiss = ServerAction::<DismissChecklist>::new();
    crate::components::toast::toast_failures(dismiss.value());
    let list = Resource::new(move || dismiss.version().get(), |_| get_checklist());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = list.await.ok().filter(|l| l.shown())?;
                let done = list.items.iter().filter(|i| i.done).count();
                let total = list.items.len();
                Some(view! {
                    <section class="panel checklist" data-test="checklist" aria-labelledby="checklist-title">
                        <div class="checklist-head">
                            <h2 id="checklist-title">"Get started"</h2>
                            <span class="muted" data-test="checklist-progress">{format!("{done} of {total} done")}</span>
                            <button type="button" class="button button-quiet" data-test="checklist-dismiss"
                                on:click=move |_| { dismiss.dispatch(DismissChecklist {}); }>"Dismiss"</button>
                        </div>
                        <ol class="checklist-steps">
                            {list.items.into_iter().map(|item| view! {
                                <li class="checklist-step" class:done=item.done data-test="checklist-step"
                                    data-done=item.done.to_string()>
                                    <span class="checklist-mark" aria-hidden="true">{if item.done { "✓" } else { "" }}</span>
                                    <div class="checklist-text">
                                        <strong>{item.step.title()}</strong>
                                        <span class="visually-hidden">{if item.done { " (done)" } else { " (to do)" }}</span>
                                        <p class="muted">{item.step.why()}</p>
                                    </div>
                                    {(!item.done).then(|| view! {
                                        <div class="button-row">
                                            {item.links.into_iter().map(|(href, words)| view! {
                                                <a class="button button-small" href=href>{words}</a>
                                            }).collect_view()}
                                        </div>
                                    })}
                                </li>
                            }).collect_view()}
                        </ol>
                    </section>
                })
            })}
        </Transition>
    }
}

#[component]
fn CardsLoading() -> impl IntoView {
    view! {
        <div class="cards" aria-busy="true">
            {(0..8).map(|_| view! { <div class="card skeleton"></div> }).collect_view()}
        </div>
    }
}

#[component]
fn SystemCards(info: SystemInfo) -> impl IntoView {
    let e = info.engine;
    let c = e.containers;
    // Whose objects the counts cover: a member sees their workspaces' own, never other teams'.
    let whose = match info.scope {
        FigureScope::Engine => "on this engine",
        FigureScope::Workspaces => "in your workspaces",
    };
    view! {
        <p class="muted" data-test="figures-scope">{match info.scope {
            FigureScope::Engine => "Counts cover every workspace on this engine.",
            FigureScope::Workspaces => "Containers, volumes and networks are counted in your workspaces only; images are shared by the engine.",
        }}</p>
        <div class="cards" data-test="system-cards">
            <Card label="Docker engine" value=e.version.clone() test="engine-version">
                {format!("API {} · {}", e.api_version, e.host)}
            </Card>
            <Card label="Containers" value=c.total.to_string() test="containers">
                <span class="state state-running">{format!("{} running", c.running)}</span>
                " · "
                <span class="state state-paused">{format!("{} paused", c.paused)}</span>
                " · "
                <span class="state state-stopped">{format!("{} stopped", c.stopped)}</span>
                {format!(" · {whose}")}
            </Card>
            <Card label="Images" value=e.images.to_string() test="images">
                {format::count(e.images, "image", "images")}
            </Card>
            <Card label="Volumes" value=e.volumes.to_string() test="volumes">
                {format!("{} {whose}", format::count(e.volumes, "volume", "volumes"))}
            </Card>
            <Card label="Networks" value=e.networks.to_string() test="networks">
                {format!("{} {whose}", format::count(e.networks, "network", "networks"))}
            </Card>
            <Card label="CPUs" value=e.cpus.to_string() test="cpus">
                {e.architecture.clone()}
            </Card>
            <Card label="Memory" value=format::bytes(e.memory_bytes) test="memory">
                "available to the engine"
            </Card>
            <Card label="Host" value=e.name.clone() test="host">
                {format!("{} · kernel {}", e.os, e.kernel_version)}
            </Card>
            <Card label="Orbitr" value=info.orbitr_version.clone() test="orbitr-version">
                "this server"
            </Card>
        </div>
    }
}

#[component]
fn Card(
    label: &'static str,
    value: String,
    test: &'static str,
    children: Children,
) -> impl IntoView {
    let long = value.chars().count() > 10;
    view! {
        <article class="card" data-test=test>
            <h2 class="card-label">{label}</h2>
            <p class="card-value" class:card-value-long=long>{value}</p>
            <p class="card-detail">{children()}</p>
        </article>
    }
}
