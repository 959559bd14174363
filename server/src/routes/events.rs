//! `GET /api/v1/events`: the live websocket. The server pushes JSON text frames
//! ([`engine::system::LiveEvent`]): the current engine status and figures on connect, then every
//! change as it happens. Nothing is polled: changes come from the engine's event stream.

use app::AppState;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use engine::system::LiveEvent;

/// Upgrades to the websocket.
pub async fn subscribe(State(state): State<AppState>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| push(socket, state))
}

async fn push(mut socket: WebSocket, state: AppState) {
    metrics::gauge!("orbitr_live_sockets").increment(1.0);
    let mut status = state.docker.subscribe();
    let mut system = state.docker.subscribe_system();
    let mut shutdown = state.shutdown.clone();

    let first_status = status.borrow_and_update().clone();
    let first_system = system.borrow_and_update().clone();
    let mut ok = send(
        &mut socket,
        &LiveEvent::Engine {
            status: first_status,
        },
    )
    .await;
    if let (true, Some(info)) = (ok, first_system) {
        ok = send(&mut socket, &LiveEvent::System { info }).await;
    }

    while ok {
        tokio::select! {
            changed = status.changed() => {
                if changed.is_err() { break; }
                let current = status.borrow_and_update().clone();
                ok = send(&mut socket, &LiveEvent::Engine { status: current }).await;
            }
            changed = system.changed() => {
                if changed.is_err() { break; }
                let current = system.borrow_and_update().clone();
                if let Some(info) = current {
                    ok = send(&mut socket, &LiveEvent::System { info }).await;
                }
            }
            incoming = socket.recv() => {
                // Clients send nothing we act on; a close or error ends the subscription.
                match incoming {
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                    Some(Ok(_)) => {}
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
