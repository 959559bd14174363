//! `GET /api/v1/events`: the live websocket. The server pushes JSON text frames
//! ([`engine::model::system::LiveEvent`]): the current engine status, figures and the containers the
//! viewer may see on connect, then every change as it happens. Nothing is polled: changes come
//! from the engine's event stream, and each is checked against what the viewer may see.

use std::time::{Duration, Instant};

use app::AppState;
use app::access::Scope;
use app::ops::Grant;
use app::ops::feeds::{self, RECHECK, Watcher};
use app::ops::system::figures_for;
use axum::Extension;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use engine::model::system::LiveEvent;
use tokio::sync::broadcast::error::RecvError;

use super::grant::close;
use crate::api_error::from_app;

/// How long a viewer's scope (the workspaces it may see) is trusted before it is read again,
/// so a membership change reaches open sockets within this time.
const SCOPE_TTL: Duration = Duration::from_secs(5);

/// Upgrades to the websocket.
pub async fn subscribe(Extension(grant): Extension<Grant>, upgrade: WebSocketUpgrade) -> Response {
    match feeds::events(&grant).await {
        Ok(watcher) => {
            let state = grant.state.clone();
            upgrade.on_upgrade(move |socket| push(socket, state, watcher))
        }
        Err(e) => from_app(&e),
    }
}

/// What one viewer may see, read again when older than [`SCOPE_TTL`].
struct Viewer {
    watcher: Watcher,
    scope: Scope,
    read_at: Instant,
}

impl Viewer {
    async fn scope(&mut self, state: &AppState) -> &Scope {
        if self.read_at.elapsed() > SCOPE_TTL {
            self.scope = self.watcher.scope(state).await;
            self.read_at = Instant::now();
        }
        &self.scope
    }

    /// The networks (`kind` 1) or volumes (2) the viewer may see, or every image (0).
    async fn objects(&mut self, state: &AppState, kind: u8) -> LiveEvent {
        let scope = self.scope(state).await;
        match kind {
            0 => LiveEvent::Images {
                images: state.docker.images().to_vec(),
            },
            1 => LiveEvent::Networks {
                networks: state
                    .docker
                    .networks()
                    .iter()
                    .filter(|n| scope.sees(n.workspace.as_deref()))
                    .cloned()
                    .collect(),
            },
            _ => LiveEvent::Volumes {
                volumes: state
                    .docker
                    .volumes()
                    .iter()
                    .filter(|v| scope.sees(v.workspace.as_deref()))
                    .cloned()
                    .collect(),
            },
        }
    }

    async fn all_containers(&mut self, state: &AppState) -> LiveEvent {
        let live = state.docker.containers().clone();
        let scope = self.scope(state).await;
        LiveEvent::Containers {
            containers: live.filtered(|c| scope.sees(c.workspace.as_deref())),
            stale: live.is_stale(),
        }
    }
}

async fn push(mut socket: WebSocket, state: AppState, watcher: Watcher) {
    metrics::gauge!("orbitr_live_sockets").increment(1.0);
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut status = state.docker.subscribe();
    let mut system = state.docker.subscribe_system();
    let mut changes = state.docker.containers().subscribe();
    let mut syncs = state.docker.containers().subscribe_syncs();
    let mut images = state.docker.objects().images.subscribe();
    let mut networks = state.docker.objects().networks.subscribe();
    let mut volumes = state.docker.objects().volumes.subscribe();
    let mut pulls = state.docker.objects().pulls.subscribe();
    let mut deploys = state.stacks.subscribe();
    let mut shutdown = state.shutdown.clone();
    let mut viewer = Viewer {
        watcher,
        scope: Scope::default(),
        read_at: Instant::now() - SCOPE_TTL * 2,
    };

    let first_status = status.borrow_and_update().clone();
    let first_system = system.borrow_and_update().clone();
    syncs.borrow_and_update();
    let mut ok = send(
        &mut socket,
        &LiveEvent::Engine {
            status: first_status,
        },
    )
    .await;
    if let (true, Some(info)) = (ok, first_system) {
        let info = figures_for(&state, viewer.scope(&state).await, info);
        ok = send(&mut socket, &LiveEvent::System { info }).await;
    }
    if ok {
        let all = viewer.all_containers(&state).await;
        ok = send(&mut socket, &all).await;
    }
    for kind in 0..3 {
        if ok {
            let list = viewer.objects(&state, kind).await;
            ok = send(&mut socket, &list).await;
        }
    }
    images.borrow_and_update();
    networks.borrow_and_update();
    volumes.borrow_and_update();

    while ok {
        tokio::select! {
            changed = status.changed() => {
                if changed.is_err() { break; }
                let current = status.borrow_and_update().clone();
                let lost = !current.is_connected();
                ok = send(&mut socket, &LiveEvent::Engine { status: current }).await;
                if ok && lost {
                    // The list is now the last state seen: say so.
                    let all = viewer.all_containers(&state).await;
                    ok = send(&mut socket, &all).await;
                }
            }
            changed = system.changed() => {
                if changed.is_err() { break; }
                let current = system.borrow_and_update().clone();
                if let Some(info) = current {
                    let info = figures_for(&state, viewer.scope(&state).await, info);
                    ok = send(&mut socket, &LiveEvent::System { info }).await;
                }
            }
            changed = syncs.changed() => {
                if changed.is_err() { break; }
                // A full read after a reconnection: its differences arrive as changes; this
                // tells the viewer the list is current again.
                let all = viewer.all_containers(&state).await;
                ok = send(&mut socket, &all).await;
            }
            changed = images.changed() => {
                if changed.is_err() { break; }
                images.borrow_and_update();
                let list = viewer.objects(&state, 0).await;
                ok = send(&mut socket, &list).await;
            }
            changed = networks.changed() => {
                if changed.is_err() { break; }
                networks.borrow_and_update();
                let list = viewer.objects(&state, 1).await;
                ok = send(&mut socket, &list).await;
            }
            changed = volumes.changed() => {
                if changed.is_err() { break; }
                volumes.borrow_and_update();
                let list = viewer.objects(&state, 2).await;
                ok = send(&mut socket, &list).await;
            }
            pull = pulls.recv() => match pull {
                Ok(pull) => {
                    if viewer.scope(&state).await.sees(Some(&pull.workspace)) {
                        ok = send(&mut socket, &LiveEvent::Pull { pull }).await;
                    }
                }
                // Progress is redrawn whole by the next message; a skipped one is harmless.
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            },
            deploy = deploys.recv() => match deploy {
                Ok((stack, workspace, event)) => {
                    if viewer.scope(&state).await.sees(Some(&workspace)) {
                        ok = send(&mut socket, &LiveEvent::Deploy { stack: stack.into(), event }).await;
                    }
                }
                // The operation's record keeps every event; a page reads it on its end.
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            },
            change = changes.recv() => match change {
                Ok(change) => {
                    if viewer.scope(&state).await.sees(change.workspace()) {
                        ok = send(&mut socket, &LiveEvent::Container { change }).await;
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    let all = viewer.all_containers(&state).await;
                    ok = send(&mut socket, &all).await;
                }
                Err(RecvError::Closed) => break,
            },
            incoming = socket.recv() => {
                // Clients send nothing we act on; a close or error ends the subscription.
                match incoming {
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                    Some(Ok(_)) => {}
                }
            }
            _ = recheck.tick() => {
                if let Some(reason) = viewer.watcher.ended(&state).await {
                    close(&mut socket, reason).await;
                    break;
                }
            }
            () = async { let _ = shutdown.wait_for(|stopping| *stopping).await; } => {
                let _ = socket.send(Message::Close(None)).await;
                break;
            }
        }
    }
    metrics::gauge!("orbitr_live_sockets").decrement(1.0);
}

async fn send(socket: &mut WebSocket, event: &LiveEvent) -> bool {
    match serde_json::to_string(event) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode live event");
            false
        }
    }
}
