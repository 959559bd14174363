//! The live connection to Orbitr: engine status and system figures pushed over the websocket
//! `/api/v1/events`, and the banner shown while the engine is unreachable.

use engine::model::resources::{
    ContainerChange, ContainerView, DeployEvent, ImageView, NetworkView, PullProgress, VolumeView,
};
use engine::model::system::{EngineStatus, SystemInfo};
use leptos::prelude::*;

use crate::api::system::get_engine_status;
use crate::components::toast::{ToastKind, use_toaster};

/// State of the browser's live connection to Orbitr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketState {
    Connecting,
    Open,
    Closed,
}

/// What the server pushes, shared by every component that shows it.
#[derive(Clone, Copy)]
pub struct Live {
    /// Latest engine status pushed by the server (`None` until the first push).
    pub status: RwSignal<Option<EngineStatus>>,
    /// Latest engine figures pushed by the server (`None` until the first push).
    pub system: RwSignal<Option<SystemInfo>>,
    /// The containers the user may see, kept current by pushes (`None` until the first).
    pub containers: RwSignal<Option<Vec<ContainerView>>>,
    /// True while the engine is unreachable: the containers are the last state seen.
    pub containers_stale: RwSignal<bool>,
    /// Images, networks and volumes as last pushed (`None` until the first push); their
    /// `used_by` is filled from [`Live::containers`] by [`Live::objects`].
    pub images: RwSignal<Option<Vec<ImageView>>>,
    pub networks: RwSignal<Option<Vec<NetworkView>>>,
    pub volumes: RwSignal<Option<Vec<VolumeView>>>,
    /// Image pulls in the user's workspaces since the page loaded, newest first.
    pub pulls: RwSignal<Vec<PullProgress>>,
    /// Stack operation events since the page loaded, oldest first: (stack id, event).
    pub deploys: RwSignal<Vec<(String, DeployEvent)>>,
    pub socket: RwSignal<SocketState>,
}

/// Pushed images, networks and volumes with their users filled in.
pub struct Objects {
    pub images: Option<Vec<ImageView>>,
    pub networks: Option<Vec<NetworkView>>,
    pub volumes: Option<Vec<VolumeView>>,
}

impl Live {
    /// One stack's operation events (tracked), from position `from` of [`Live::deploys`] on:
    /// earlier ones belong to operations shown elsewhere.
    pub fn stack_events(self, stack_id: String, from: Signal<usize>) -> Memo<Vec<DeployEvent>> {
        Memo::new(move |_| {
            let from = from.get();
            self.deploys.with(|all| {
                all.iter()
                    .skip(from.min(all.len()))
                    .filter(|(s, _)| *s == stack_id)
                    .map(|(_, e)| e.clone())
                    .collect()
            })
        })
    }

    /// The pushed images, networks and volumes (tracked), each naming the containers using it.
    pub fn objects(&self) -> Objects {
        let containers = self.containers.get().unwrap_or_default();
        let mut images = self.images.get();
        let mut networks = self.networks.get();
        let mut volumes = self.volumes.get();
        engine::model::resources::fill_usage(
            &containers,
            images.as_deref_mut().unwrap_or_default(),
            networks.as_deref_mut().unwrap_or_default(),
            volumes.as_deref_mut().unwrap_or_default(),
        );
        Objects {
            images,
            networks,
            volumes,
        }
    }

    /// Applies one pushed change to the container list, keeping it sorted by name.
    pub fn apply(&self, change: ContainerChange) {
        self.containers.update(|list| {
            let Some(list) = list else { return };
            match change {
                ContainerChange::Updated { container } => {
                    list.retain(|c| c.id != container.id);
                    let at = list.partition_point(|c| c.name < container.name);
                    list.insert(at, *container);
                }
                ContainerChange::Removed { id, .. } => list.retain(|c| c.id != id),
            }
        });
    }
}

/// The app's [`Live`] state.
pub fn use_live() -> Live {
    expect_context::<Live>()
}

/// Makes [`Live`] available and, in the browser, opens the websocket and toasts on
/// engine connection changes.
pub fn provide_engine_status() {
    let live = Live {
        status: RwSignal::new(None),
        system: RwSignal::new(None),
        containers: RwSignal::new(None),
        containers_stale: RwSignal::new(false),
        images: RwSignal::new(None),
        networks: RwSignal::new(None),
        volumes: RwSignal::new(None),
        pulls: RwSignal::new(Vec::new()),
        deploys: RwSignal::new(Vec::new()),
        socket: RwSignal::new(SocketState::Connecting),
    };
    provide_context(live);

    let toaster = use_toaster();
    Effect::new(move |previous: Option<Option<bool>>| {
        let connected = live.status.get().map(|s| s.is_connected());
        if let (Some(Some(was)), Some(now)) = (previous, connected) {
            if was && !now {
                toaster.show(ToastKind::Error, "Lost the connection to the Docker engine");
            } else if !was && now {
                toaster.show(ToastKind::Success, "Docker engine connected again");
            }
        }
        connected
    });

    #[cfg(feature = "hydrate")]
    Effect::new(move |_| socket::open(live, 0));
}

/// Shown under the top bar while the engine cannot be reached: which address was tried, why it
/// failed, and how to fix it.
#[component]
pub fn EngineBanner() -> impl IntoView {
    let live = use_live();
    let initial = Resource::new(|| (), |()| get_engine_status());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let first = initial.await.ok();
                move || {
                    let status = live.status.get().or_else(|| first.clone());
                    status
                        .filter(|s| !s.is_connected())
                        .map(|s| {
                            let hint = s.hint();
                            view! {
                                <div class="banner banner-error" role="alert" data-test="engine-banner">
                                    <strong>"Docker engine unreachable. "</strong>
                                    <span>
                                        "Orbitr tried " <code>{s.host.clone()}</code> ": "
                                        {s.error.clone().unwrap_or_else(|| "no answer".into())} ". "
                                    </span>
                                    <span class="banner-hint">{hint}</span>
                                    " Orbitr reconnects by itself as soon as the engine answers."
                                </div>
                            }
                        })
                }
            })}
        </Suspense>
    }
}

/// Small status pill for the top bar: live updates on or reconnecting.
#[component]
pub fn LiveIndicator() -> impl IntoView {
    let live = use_live();
    move || match live.socket.get() {
        SocketState::Open => view! {
            <span class="pill pill-ok" title="Updates arrive as they happen" data-test="live">
                <span class="dot"></span>"Live"
            </span>
        }
        .into_any(),
        SocketState::Closed => view! {
            <span class="pill pill-warn" title="The connection to Orbitr was lost; retrying">
                <span class="dot"></span>"Reconnecting…"
            </span>
        }
        .into_any(),
        SocketState::Connecting => ().into_any(),
    }
}

#[cfg(feature = "hydrate")]
mod socket {
    use std::cell::Cell;
    use std::rc::Rc;

    use engine::model::system::LiveEvent;
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    use super::{Live, SocketState};
    use crate::components::feed::{retry_delay, websocket_url};

    /// After the server ended the socket because its sign-in ended: reconnects when this
    /// browser is still signed in, else goes to sign in. The answer that renews this browser's
    /// session (a password change ends the old one) may still be on its way when the socket
    /// ends, and a question asked with the old cookie would send a signed-in person to sign in:
    /// so it asks after a moment, and once more before giving up.
    fn still_signed_in(live: Live, asked: u32) {
        let wait = std::time::Duration::from_millis(if asked == 0 { 500 } else { 1500 });
        set_timeout(
            move || {
                leptos::task::spawn_local(async move {
                    if let Ok(Some(_)) = crate::api::auth::get_me().await {
                        return open(live, 0);
                    }
                    if asked == 0 {
                        return still_signed_in(live, 1);
                    }
                    if let Some(window) = web_sys::window() {
                        let here = window
                            .location()
                            .pathname()
                            .unwrap_or_else(|_| "/".to_owned());
                        let next = js_sys::encode_uri_component(&here);
                        let _ = window.location().assign(&format!("/login?next={next}"));
                    }
                });
            },
            wait,
        );
    }

    /// Opens the websocket; when it closes, retries with a growing delay (up to 10 s), unless
    /// the sign-in ended.
    pub fn open(live: Live, failures: u32) {
        let retry = move |failures: u32| {
            set_timeout(move || open(live, failures), retry_delay(failures));
        };
        let Some(url) = websocket_url("/api/v1/events") else {
            return;
        };
        let Ok(ws) = web_sys::WebSocket::new(&url) else {
            retry(failures + 1);
            return;
        };
        let opened = Rc::new(Cell::new(false));

        let on_open = {
            let opened = Rc::clone(&opened);
            Closure::<dyn FnMut()>::new(move || {
                opened.set(true);
                live.socket.set(SocketState::Open);
            })
        };
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();

        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| {
                let Some(text) = event.data().as_string() else {
                    return;
                };
                match serde_json::from_str::<LiveEvent>(&text) {
                    Ok(LiveEvent::Engine { status }) => {
                        if !status.is_connected() {
                            live.system.set(None);
                        }
                        live.status.set(Some(status));
                    }
                    Ok(LiveEvent::System { info }) => live.system.set(Some(info)),
                    Ok(LiveEvent::Containers { containers, stale }) => {
                        live.containers.set(Some(containers));
                        live.containers_stale.set(stale);
                    }
                    Ok(LiveEvent::Container { change }) => live.apply(change),
                    Ok(LiveEvent::Images { images }) => live.images.set(Some(images)),
                    Ok(LiveEvent::Networks { networks }) => live.networks.set(Some(networks)),
                    Ok(LiveEvent::Volumes { volumes }) => live.volumes.set(Some(volumes)),
                    Ok(LiveEvent::Pull { pull }) => live.pulls.update(|list| {
                        match list.iter_mut().find(|p| p.id == pull.id) {
                            Some(known) => *known = pull,
                            None => list.insert(0, pull),
                        }
                        list.truncate(10);
                    }),
                    Ok(LiveEvent::Deploy { stack, event }) => live.deploys.update(|list| {
                        // Bounded: a long session keeps the latest operations only.
                        if list.len() >= 4000 {
                            list.drain(..1000);
                        }
                        list.push((stack, event));
                    }),
                    Err(e) => leptos::logging::warn!("unreadable live event: {e}"),
                }
            },
        );
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();

        let on_close =
            Closure::<dyn FnMut(web_sys::CloseEvent)>::new(move |event: web_sys::CloseEvent| {
                live.socket.set(SocketState::Closed);
                // The server ended it because the sign-in it was opened with ended: when this
                // browser is still signed in (its own session was renewed, as a password change
                // does) it reconnects at once; when not (sign-out elsewhere, a password reset,
                // the account removed) reconnecting would only be refused: sign in again.
                if event.code() == engine::model::system::SOCKET_ENDED
                    && event.reason() == engine::model::system::SOCKET_SIGNED_OUT
                {
                    still_signed_in(live, 0);
                    return;
                }
                retry(if opened.get() { 0 } else { failures + 1 });
            });
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        on_close.forget();
    }
}
