//! `GET /api/v1/logs` and `GET /api/v1/stats`: live logs and live resource usage over
//! websockets. The client sends a [`FeedRequest`] as its first text frame:
//!
//! ```json
//! {"containers":["web","3f2a…"],"stack":"shop","tail":200,"follow":true,"streams":["stdout"]}
//! ```
//!
//! and receives JSON text frames ([`LogFrame`], [`StatsFrame`]): `joined` (the containers now in
//! the feed, with name and service), `lines` / `samples` (batches), `refused` (a requested
//! container that does not exist or that the caller may not read, answered the same way) and
//! `error`. A stack's feed follows the stack: containers created later (scale up, recreate)
//! join it. On the stats socket a later request replaces the earlier one. Every container
//! shares one engine stream among all its viewers (the hubs in [`engine::docker::logs`] and
//! [`engine::docker::stats`]).

use std::collections::HashSet;

use app::AppState;
use app::ops::Grant;
use app::ops::feeds::{self, RECHECK, Watcher as Caller};
use axum::Extension;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use engine::docker::stats::StatsSample;
use engine::model::feeds::{
    FeedMember, FeedRequest, LogBody, LogFrame, LogItem, Marker, StatsFrame,
};
use engine::model::resources::{ContainerChange, ContainerView};
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use serde::Serialize;
use tokio::sync::broadcast;
use tokio_stream::StreamMap;

/// Most items in one frame.
const BATCH: usize = 500;

/// Lines per container sent first when the request does not say.
const DEFAULT_TAIL: usize = 200;

use super::grant::close;
use crate::api_error::from_app;

/// What differs between the log and the stats feed.
trait Feed: Send + Sync + 'static {
    type Item: Serialize + Send + 'static;
    /// The container permission a viewer needs.
    const ACTION: &'static str;
    /// Whether a later request may replace the first.
    const RESUBSCRIBE: bool;
    /// Joins container `id`: what it already has, then its live items.
    fn join(
        &self,
        state: &AppState,
        id: &str,
        request: &FeedRequest,
    ) -> (Vec<Self::Item>, BoxStream<'static, Self::Item>);
    /// Whether the viewer asked for this item.
    fn wanted(request: &FeedRequest, item: &Self::Item) -> bool;
    /// When the item happened, to merge several containers' history.
    fn at(item: &Self::Item) -> i64;
    /// A frame of items.
    fn items(items: Vec<Self::Item>) -> String;
    /// Any other frame.
    fn other(frame: Other) -> String;
}

/// The frames both feeds have.
enum Other {
    Joined(Vec<FeedMember>),
    Refused(String),
    Error(String),
}

fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

struct Logs;

impl Feed for Logs {
    type Item = LogItem;
    const ACTION: &'static str = "logs";
    const RESUBSCRIBE: bool = false;

    fn join(
        &self,
        state: &AppState,
        id: &str,
        request: &FeedRequest,
    ) -> (Vec<LogItem>, BoxStream<'static, LogItem>) {
        let mut subscription = state
            .logs
            .subscribe(id, request.tail.unwrap_or(DEFAULT_TAIL));
        let tail = std::mem::take(&mut subscription.tail);
        // The feed of a removed container ends after saying so.
        let live = futures::stream::unfold(Some(subscription), |s| async move {
            let mut s = s?;
            let item = s.next().await?;
            let removed = matches!(item.body, LogBody::Marker(Marker::Removed));
            Some((item, (!removed).then_some(s)))
        });
        (tail, live.boxed())
    }

    fn wanted(request: &FeedRequest, item: &LogItem) -> bool {
        match &item.body {
            LogBody::Line { stream, .. } => {
                (request.streams.is_empty() || request.streams.contains(stream))
                    && request.since.is_none_or(|since| item.at >= since)
            }
            LogBody::Marker(_) => true,
        }
    }

    fn at(item: &LogItem) -> i64 {
        item.at
    }

    fn items(items: Vec<LogItem>) -> String {
        metrics::counter!("orbitr_log_lines_out_total")
            .increment(u64::try_from(items.len()).unwrap_or(u64::MAX));
        json(&LogFrame::Lines { items })
    }

    fn other(frame: Other) -> String {
        json(&match frame {
            Other::Joined(members) => LogFrame::Joined { members },
            Other::Refused(container) => LogFrame::Refused { container },
            Other::Error(message) => LogFrame::Error { message },
        })
    }
}

struct Stats;

impl Feed for Stats {
    type Item = StatsSample;
    const ACTION: &'static str = "read";
    const RESUBSCRIBE: bool = true;

    fn join(
        &self,
        state: &AppState,
        id: &str,
        _request: &FeedRequest,
    ) -> (Vec<StatsSample>, BoxStream<'static, StatsSample>) {
        let mut subscription = state.stats.subscribe(id);
        let history = std::mem::take(&mut subscription.history);
        let live = futures::stream::unfold(subscription, |mut s| async move {
            s.next().await.map(|sample| (sample, s))
        });
        (history, live.boxed())
    }

    fn wanted(_request: &FeedRequest, _item: &StatsSample) -> bool {
        true
    }

    fn at(item: &StatsSample) -> i64 {
        item.at
    }

    fn items(items: Vec<StatsSample>) -> String {
        json(&StatsFrame::Samples { items })
    }

    fn other(frame: Other) -> String {
        json(&match frame {
            Other::Joined(members) => StatsFrame::Joined { members },
            Other::Refused(container) => StatsFrame::Refused { container },
            Other::Error(message) => StatsFrame::Error { message },
        })
    }
}

/// Upgrades to the log websocket.
pub async fn logs(Extension(grant): Extension<Grant>, upgrade: WebSocketUpgrade) -> Response {
    match feeds::logs(&grant).await {
        Ok(caller) => {
            let state = grant.state.clone();
            upgrade.on_upgrade(move |socket| serve(socket, state, caller, Logs))
        }
        Err(e) => from_app(&e),
    }
}

/// Upgrades to the stats websocket.
pub async fn stats(Extension(grant): Extension<Grant>, upgrade: WebSocketUpgrade) -> Response {
    match feeds::stats(&grant).await {
        Ok(caller) => {
            let state = grant.state.clone();
            upgrade.on_upgrade(move |socket| serve(socket, state, caller, Stats))
        }
        Err(e) => from_app(&e),
    }
}

fn member(c: &ContainerView) -> FeedMember {
    FeedMember {
        container: c.id.clone(),
        name: c.name.clone(),
        service: c.service.clone(),
    }
}

async fn send(socket: &mut WebSocket, text: String) -> bool {
    socket.send(Message::Text(text.into())).await.is_ok()
}

/// Why a feed of `members` must end now, if it must: the caller's right to the socket ended,
/// or to a container in the feed.
async fn still_allowed(
    state: &AppState,
    caller: &Caller,
    action: &'static str,
    members: Vec<String>,
) -> Option<&'static str> {
    if let Some(reason) = caller.ended(state).await {
        return Some(reason);
    }
    let live = state.docker.containers();
    for id in &members {
        if let Some(c) = live.find(id)
            && !caller.may(state, action, &c).await
        {
            return Some("access to a container of this feed ended");
        }
    }
    None
}

/// One viewer's feed: the containers in it and their live streams.
struct Session<F: Feed> {
    feed: F,
    request: FeedRequest,
    members: HashSet<String>,
    streams: StreamMap<String, BoxStream<'static, F::Item>>,
}

impl<F: Feed> Session<F> {
    /// Whether a container belongs to the request's stack.
    fn in_stack(&self, c: &ContainerView) -> bool {
        self.request.stack.is_some() && c.stack == self.request.stack
    }

    /// Resolves the request: refuses what it may not see, joins the rest and sends their
    /// history. False when the socket closed.
    async fn start(&mut self, socket: &mut WebSocket, state: &AppState, caller: &Caller) -> bool {
        let live = state.docker.containers();
        let mut wanted: Vec<(String, Option<ContainerView>)> = self
            .request
            .containers
            .iter()
            .map(|key| (key.clone(), live.find(key)))
            .collect();
        if let Some(stack) = &self.request.stack {
            // A refusal names the stack as asked, never another workspace's container ids.
            wanted.extend(
                live.filtered(|c| self.in_stack(c))
                    .into_iter()
                    .map(|c| (stack.clone(), Some(c))),
            );
        }
        let mut joining = Vec::new();
        let mut refused: Vec<String> = Vec::new();
        for (key, found) in wanted {
            match found {
                Some(c) if caller.may(state, F::ACTION, &c).await => {
                    if !self.members.contains(&c.id)
                        && !joining.iter().any(|j: &ContainerView| j.id == c.id)
                    {
                        joining.push(c);
                    }
                }
                _ if refused.contains(&key) => {}
                _ => {
                    refused.push(key.clone());
                    if !send(socket, F::other(Other::Refused(key))).await {
                        return false;
                    }
                }
            }
        }
        self.join(socket, state, joining).await
    }

    /// Adds containers to the feed and sends what they already have, merged in time order.
    async fn join(
        &mut self,
        socket: &mut WebSocket,
        state: &AppState,
        containers: Vec<ContainerView>,
    ) -> bool {
        if containers.is_empty() {
            return true;
        }
        if !send(
            socket,
            F::other(Other::Joined(containers.iter().map(member).collect())),
        )
        .await
        {
            return false;
        }
        let mut first = Vec::new();
        for c in containers {
            let (history, live) = self.feed.join(state, &c.id, &self.request);
            first.extend(history.into_iter().filter(|i| F::wanted(&self.request, i)));
            self.members.insert(c.id.clone());
            self.streams.insert(c.id, live);
        }
        first.sort_by_key(F::at);
        let mut first = first.into_iter().peekable();
        while first.peek().is_some() {
            let chunk: Vec<F::Item> = first.by_ref().take(BATCH).collect();
            if !send(socket, F::items(chunk)).await {
                return false;
            }
        }
        true
    }

    /// Follows a change of the live state: a container of the stack appeared, or one left.
    async fn changed(
        &mut self,
        socket: &mut WebSocket,
        state: &AppState,
        caller: &Caller,
        change: ContainerChange,
    ) -> bool {
        match change {
            ContainerChange::Updated { container } => {
                if self.in_stack(&container)
                    && !self.members.contains(&container.id)
                    && caller.may(state, F::ACTION, &container).await
                {
                    return self.join(socket, state, vec![*container]).await;
                }
                true
            }
            ContainerChange::Removed { id, .. } => {
                // Stats have nothing more to say; logs end with their own "removed" marker.
                if F::RESUBSCRIBE && self.members.remove(&id) {
                    self.streams.remove(&id);
                }
                true
            }
        }
    }

    /// Sends `item` and whatever else is ready now in one frame: no waiting, so a single line
    /// goes out at once and a flood goes out in large frames.
    async fn flush(&mut self, socket: &mut WebSocket, item: F::Item) -> bool {
        let mut batch = Vec::with_capacity(16);
        if F::wanted(&self.request, &item) {
            batch.push(item);
        }
        while batch.len() < BATCH {
            match self.streams.next().now_or_never() {
                Some(Some((_, item))) => {
                    if F::wanted(&self.request, &item) {
                        batch.push(item);
                    }
                }
                _ => break,
            }
        }
        batch.is_empty() || send(socket, F::items(batch)).await
    }
}

/// The next change of the live state, or never when the feed does not follow a stack.
async fn next_change(
    changes: &mut Option<broadcast::Receiver<ContainerChange>>,
) -> Result<ContainerChange, broadcast::error::RecvError> {
    match changes {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Reads a request from a text frame; a mistake is named by its field.
fn parse(text: &str) -> Result<FeedRequest, String> {
    const FIELDS: [&str; 6] = ["containers", "stack", "tail", "since", "follow", "streams"];
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("the request is not JSON: {e}"))?;
    let Some(fields) = value.as_object() else {
        return Err("the request must be a JSON object, e.g. {\"containers\":[\"web\"]}".into());
    };
    for (key, field) in fields {
        if !FIELDS.contains(&key.as_str()) {
            return Err(format!(
                "unknown field `{key}` (known: {})",
                FIELDS.join(", ")
            ));
        }
        let alone = serde_json::Value::Object([(key.clone(), field.clone())].into_iter().collect());
        serde_json::from_value::<FeedRequest>(alone).map_err(|e| format!("field `{key}`: {e}"))?;
    }
    serde_json::from_value(value).map_err(|e| e.to_string())
}

async fn serve<F: Feed>(mut socket: WebSocket, state: AppState, caller: Caller, feed: F) {
    // The first text frame is the request.
    let request = loop {
        match socket.recv().await {
            Some(Ok(Message::Text(text))) => match parse(&text) {
                Ok(r) => break r,
                Err(message) => {
                    let _ = send(&mut socket, F::other(Other::Error(message))).await;
                    return;
                }
            },
            Some(Ok(Message::Close(_)) | Err(_)) | None => return,
            Some(Ok(_)) => {}
        }
    };
    let mut session = Session {
        feed,
        request,
        members: HashSet::new(),
        streams: StreamMap::new(),
    };
    if !session.start(&mut socket, &state, &caller).await {
        return;
    }
    if session.request.follow == Some(false) {
        let _ = socket.send(Message::Close(None)).await;
        return;
    }
    let mut changes = session
        .request
        .stack
        .is_some()
        .then(|| state.docker.containers().subscribe());
    let mut shutdown = state.shutdown.clone();
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = recheck.tick() => {
                let members = session.members.iter().cloned().collect();
                if let Some(reason) = still_allowed(&state, &caller, F::ACTION, members).await {
                    close(&mut socket, reason).await;
                    break;
                }
            }
            Some((_, item)) = session.streams.next(), if !session.streams.is_empty() => {
                if !session.flush(&mut socket, item).await {
                    break;
                }
            }
            change = next_change(&mut changes) => match change {
                Ok(change) => {
                    if !session.changed(&mut socket, &state, &caller, change).await {
                        break;
                    }
                }
                // Missed changes: look at the whole stack again.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if !session.start(&mut socket, &state, &caller).await {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => changes = None,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) if F::RESUBSCRIBE => match parse(&text) {
                    Ok(request) => {
                        changes = request.stack.is_some().then(|| state.docker.containers().subscribe());
                        session.request = request;
                        session.members.clear();
                        session.streams = StreamMap::new();
                        if !session.start(&mut socket, &state, &caller).await {
                            break;
                        }
                    }
                    Err(message) => {
                        if !send(&mut socket, F::other(Other::Error(message))).await {
                            break;
                        }
                    }
                },
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

/// Which part of the log to download.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadQuery {
    /// From this time, milliseconds since the epoch (default: the whole retained log).
    pub since: Option<i64>,
    /// Up to this time, milliseconds since the epoch.
    pub until: Option<i64>,
    /// Start each line with its timestamp (default true).
    pub timestamps: Option<bool>,
}

impl DownloadQuery {
    pub fn range(&self) -> engine::docker::logs::LogRange {
        engine::docker::logs::LogRange {
            since: self.since,
            until: self.until,
            timestamps: self.timestamps.unwrap_or(true),
        }
    }
}

/// A plain-text attachment streamed from the engine, one container after another (each line
/// prefixed with its container's name when there are several). An engine failure midway ends
/// the text with a line saying so.
pub fn download(
    state: &AppState,
    containers: Vec<ContainerView>,
    range: engine::docker::logs::LogRange,
    filename: &str,
) -> Response {
    use axum::response::IntoResponse;
    let several = containers.len() > 1;
    let docker = state.docker.clone();
    let body = futures::stream::iter(containers).flat_map(move |c| {
        docker
            .log_text(&c.id, range, several.then(|| c.name.clone()))
            .map(move |chunk| {
                Ok::<_, std::convert::Infallible>(chunk.unwrap_or_else(|e| {
                    format!(
                        "-- the log of {} could not be read to the end: {e}\n",
                        c.name
                    )
                }))
            })
    });
    let safe: String = filename
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || "-_.".contains(ch) {
                ch
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (
                http::header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_owned(),
            ),
            (
                http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}.log\""),
            ),
            (http::header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response()
}
