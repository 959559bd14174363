//! `GET /api/v1/logs`: live logs over a websocket. The client sends one subscription:
//!
//! ```json
//! {"containers":["web","3f2a…"],"stack":"shop","tail":200,"follow":true,"streams":["stdout","stderr"]}
//! ```
//!
//! and receives JSON text frames, each a batch: `{"type":"lines","items":[…]}` with lines
//! (`container`, `service`, `stream`, `at`, `text`, `cut`) and markers (`ended`, `restarted`,
//! `skipped` with the count, `lost`, `removed`). Containers the caller may not read logs of are
//! answered with `{"type":"refused","container":…}`, as if they did not exist. Every container
//! shares one engine stream among all its viewers ([`engine::logs::LogHub`]).

use std::collections::HashMap;

use app::AppState;
use app::access::{Need, check};
use app::auth::{CurrentUser, TokenAuth};
use axum::Extension;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use engine::accounts::User;
use engine::logs::{LogBody, LogItem, Stream, Subscription};
use engine::tokens::TokenInfo;
use futures::stream::SelectAll;
use futures::{FutureExt, StreamExt};
use serde::{Deserialize, Serialize};

/// Most items in one frame.
const BATCH: usize = 500;

/// What a client asks for.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Request {
    /// Containers by id, name or id prefix.
    pub containers: Vec<String>,
    /// Every container of this stack too.
    pub stack: Option<String>,
    /// Recent lines first (per container).
    pub tail: Option<usize>,
    /// Keep streaming (default); false sends the tail and closes.
    pub follow: Option<bool>,
    /// `stdout`, `stderr` (default both).
    pub streams: Vec<Stream>,
}

/// An item with the service it belongs to, as sent.
#[derive(Debug, Serialize)]
struct Sent<'a> {
    #[serde(flatten)]
    item: &'a LogItem,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Frame<'a> {
    Lines { items: Vec<Sent<'a>> },
    Refused { container: String },
}

/// Upgrades to the websocket.
pub async fn subscribe(
    State(state): State<AppState>,
    Extension(CurrentUser(user)): Extension<CurrentUser>,
    token: Option<Extension<TokenAuth>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let token = token.map(|Extension(TokenAuth(t))| t);
    upgrade.on_upgrade(move |socket| serve(socket, state, user, token))
}

/// The containers the request names that the caller may read the logs of: (id, service).
async fn allowed(
    state: &AppState,
    user: &User,
    token: Option<&TokenInfo>,
    request: &Request,
    socket: &mut WebSocket,
) -> Vec<(String, Option<String>)> {
    let live = state.docker.containers();
    let mut wanted: Vec<(String, engine::resources::ContainerView)> = Vec::new();
    for key in &request.containers {
        match live.find(key) {
            Some(c) => wanted.push((key.clone(), c)),
            None => refuse(socket, key).await,
        }
    }
    if let Some(stack) = &request.stack {
        for c in live.filtered(|c| c.stack.as_deref() == Some(stack.as_str())) {
            wanted.push((c.id.clone(), c));
        }
    }
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for (key, c) in wanted {
        let may = check(
            state,
            Some(user),
            token,
            Need::Owned("container", "logs"),
            c.workspace.as_deref(),
        )
        .await
        .is_ok();
        if !may {
            refuse(socket, &key).await;
        } else if !out.iter().any(|(id, _)| *id == c.id) {
            out.push((c.id.clone(), c.service.clone()));
        }
    }
    out
}

async fn refuse(socket: &mut WebSocket, key: &str) {
    let frame = Frame::Refused {
        container: key.to_owned(),
    };
    if let Ok(text) = serde_json::to_string(&frame) {
        let _ = socket.send(Message::Text(text.into())).await;
    }
}

fn wanted(item: &LogItem, streams: &[Stream]) -> bool {
    match &item.body {
        LogBody::Line { stream, .. } => streams.is_empty() || streams.contains(stream),
        LogBody::Marker(_) => true,
    }
}

async fn send_batch(
    socket: &mut WebSocket,
    items: &[LogItem],
    services: &HashMap<String, Option<String>>,
) -> bool {
    if items.is_empty() {
        return true;
    }
    let frame = Frame::Lines {
        items: items
            .iter()
            .map(|item| Sent {
                item,
                service: services.get(&item.container).and_then(Option::as_deref),
            })
            .collect(),
    };
    metrics::counter!("orbitr_log_lines_out_total")
        .increment(u64::try_from(items.len()).unwrap_or(u64::MAX));
    match serde_json::to_string(&frame) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => false,
    }
}

async fn serve(mut socket: WebSocket, state: AppState, user: User, token: Option<TokenInfo>) {
    // The first text frame is the subscription.
    let request = loop {
        match socket.recv().await {
            Some(Ok(Message::Text(text))) => match serde_json::from_str::<Request>(&text) {
                Ok(r) => break r,
                Err(e) => {
                    let _ = socket
                        .send(Message::Text(
                            serde_json::json!({"type": "error", "message": format!("not a log subscription: {e}")})
                                .to_string()
                                .into(),
                        ))
                        .await;
                    return;
                }
            },
            Some(Ok(Message::Close(_)) | Err(_)) | None => return,
            Some(Ok(_)) => {}
        }
    };
    let containers = allowed(&state, &user, token.as_ref(), &request, &mut socket).await;
    let services: HashMap<String, Option<String>> = containers.iter().cloned().collect();
    let tail = request.tail.unwrap_or(200);
    let mut subscriptions: Vec<Subscription> = containers
        .iter()
        .map(|(id, _)| state.logs.subscribe(id, tail))
        .collect();
    // The tails, merged in time order.
    let mut first: Vec<LogItem> = subscriptions
        .iter_mut()
        .flat_map(|s| std::mem::take(&mut s.tail))
        .filter(|i| wanted(i, &request.streams))
        .collect();
    first.sort_by_key(|i| i.at);
    for chunk in first.chunks(BATCH) {
        if !send_batch(&mut socket, chunk, &services).await {
            return;
        }
    }
    if request.follow == Some(false) {
        let _ = socket.send(Message::Close(None)).await;
        return;
    }
    let mut merged: SelectAll<_> = subscriptions
        .into_iter()
        .map(|s| {
            futures::stream::unfold(s, |mut s| async move { s.next().await.map(|i| (i, s)) })
                .boxed()
        })
        .collect();
    let mut shutdown = state.shutdown.clone();
    let mut batch: Vec<LogItem> = Vec::with_capacity(BATCH);
    loop {
        tokio::select! {
            item = merged.next() => {
                let Some(item) = item else { break };
                if wanted(&item, &request.streams) {
                    batch.push(item);
                }
                // Whatever else is ready now joins the frame: no waiting, so a single line
                // goes out at once and a flood goes out in large frames.
                while batch.len() < BATCH {
                    match merged.next().now_or_never() {
                        Some(Some(item)) => {
                            if wanted(&item, &request.streams) {
                                batch.push(item);
                            }
                        }
                        _ => break,
                    }
                }
                if !send_batch(&mut socket, &batch, &services).await {
                    break;
                }
                batch.clear();
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            () = async { let _ = shutdown.wait_for(|stopping| *stopping).await; } => {
                let _ = socket.send(Message::Close(None)).await;
                break;
            }
        }
    }
}
