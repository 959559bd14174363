//! Live logs: at most one engine log stream per container, shared by any number of viewers.
//!
//! The stream starts with the first viewer and stops a while after the last one leaves. Recent
//! lines are kept in a bounded ring, so late joiners get a tail. Each viewer reads from a
//! bounded queue: a slow viewer never slows the stream or the others. When its queue overflows
//! it loses lines and is told how many ("skipped N lines"). When the container stops, viewers
//! get an "ended" marker. When it starts again, the stream resumes with a "restarted" marker,
//! and nobody has to reconnect.

use std::time::Duration;

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptions;
use futures::StreamExt;

use crate::docker::fanout::{
    Fanout, FanoutCounters, FanoutMetrics, FanoutSettings, Received, Viewer,
};
use crate::docker::{DockerEngine, DockerError};
pub use crate::model::feeds::{LogBody, LogItem, Marker, Stream};

/// Longest line passed on; the rest is cut and says so.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Settings of the hub.
#[derive(Debug, Clone, Copy)]
pub struct LogSettings {
    /// Lines kept per container for late joiners.
    pub ring: usize,
    /// Lines a viewer may fall behind before it loses some.
    pub queue: usize,
    /// How long a stream stays open after its last viewer left.
    pub linger: Duration,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            ring: 2000,
            queue: 4096,
            linger: Duration::from_secs(30),
        }
    }
}

const METRICS: FanoutMetrics = FanoutMetrics {
    upstreams: "orbitr_log_upstreams",
    viewers: "orbitr_log_viewers",
    items_in: "orbitr_log_lines_in_total",
    dropped: "orbitr_log_lines_dropped_total",
};

/// The shared log streams.
#[derive(Clone)]
pub struct LogHub {
    docker: DockerEngine,
    fanout: Fanout<LogItem>,
    ring: usize,
}

/// A viewer's subscription: the tail first, then live items. Dropping it leaves.
pub struct Subscription {
    pub tail: Vec<LogItem>,
    viewer: Viewer<LogItem>,
}

impl Subscription {
    /// The next item; a [`Marker::Skipped`] when this viewer fell behind. `None` once the hub
    /// stopped the stream.
    pub async fn next(&mut self) -> Option<LogItem> {
        match self.viewer.recv().await? {
            Received::Item(item) => Some(item),
            Received::Lost(lines) => Some(LogItem {
                container: self.viewer.key().to_owned(),
                at: crate::clock::now_ms(),
                body: LogBody::Marker(Marker::Skipped { lines }),
            }),
        }
    }
}

/// Splits the engine's `2026-11-24T06:01:08.123456789Z text` into milliseconds and text.
fn split_timestamp(raw: &str) -> (i64, &str) {
    let (stamp, text) = raw.split_once(' ').unwrap_or((raw, ""));
    let at = time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339)
        .map(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0))
        .unwrap_or_else(|_| crate::clock::now_ms());
    (at, text)
}

/// A log message as an item: decoded lossily (binary stays binary-safe text), the trailing
/// newline dropped, cut at [`MAX_LINE_BYTES`].
pub fn line_of(container: &str, stream: Stream, message: &[u8]) -> LogItem {
    let raw = String::from_utf8_lossy(message);
    let (at, text) = split_timestamp(raw.trim_end_matches(['\n', '\r']));
    let (text, cut) = if text.len() > MAX_LINE_BYTES {
        let mut end = MAX_LINE_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        (text[..end].to_owned(), text.len() - end)
    } else {
        (text.to_owned(), 0)
    };
    LogItem {
        container: container.to_owned(),
        at,
        body: LogBody::Line { stream, text, cut },
    }
}

impl LogHub {
    /// A hub reading through `docker`.
    pub fn new(docker: DockerEngine, settings: LogSettings) -> Self {
        Self {
            docker,
            fanout: Fanout::new(
                FanoutSettings {
                    ring: settings.ring,
                    queue: settings.queue,
                    linger: settings.linger,
                },
                METRICS,
            ),
            ring: settings.ring,
        }
    }

    /// Streams open and viewers, for `/metrics`.
    pub fn counters(&self) -> FanoutCounters {
        self.fanout.counters()
    }

    /// Joins the stream of container `id` (its full id), starting it if needed; the tail holds
    /// up to `tail` recent items.
    pub fn subscribe(&self, id: &str, tail: usize) -> Subscription {
        let (mut viewer, start) = self.fanout.join(id, tail);
        if start {
            let hub = self.clone();
            let id = id.to_owned();
            tokio::spawn(async move { hub.follow(id).await });
        }
        Subscription {
            tail: std::mem::take(&mut viewer.tail),
            viewer,
        }
    }

    fn open(&self, id: &str) -> bool {
        self.fanout.open(id)
    }

    fn publish(&self, item: LogItem) {
        let key = item.container.clone();
        self.fanout.publish(&key, item);
    }

    fn marker(&self, id: &str, marker: Marker) {
        self.publish(LogItem {
            container: id.to_owned(),
            at: crate::clock::now_ms(),
            body: LogBody::Marker(marker),
        });
    }

    /// The upstream task: follows the container's log while the stream is wanted, across
    /// stops, restarts and engine outages.
    async fn follow(&self, id: String) {
        let mut last_at: Option<i64> = None;
        let mut first = true;
        let mut ended = false;
        // When the run being read started: a different one means the container restarted.
        let mut run: Option<String> = None;
        while self.open(&id) {
            let now = match self.docker.container_run(&id).await {
                Err(DockerError::Api { status: 404, .. }) => {
                    self.marker(&id, Marker::Removed);
                    break;
                }
                Err(e) => {
                    self.marker(
                        &id,
                        Marker::Lost {
                            reason: e.to_string(),
                        },
                    );
                    self.docker.wait_connected().await;
                    continue;
                }
                Ok(now) => now,
            };
            if !first {
                match &now {
                    None => {
                        // Only a run that was seen running ends; a container found stopped
                        // shows its past lines and waits quietly.
                        if !ended && run.is_some() {
                            self.marker(&id, Marker::Ended);
                        }
                        ended = true;
                        // Stopped: wait for it to start again (or go away), then look again.
                        self.docker.wait_running(&id, || self.open(&id)).await;
                        continue;
                    }
                    Some(started) if ended || run.as_ref() != Some(started) => {
                        if !ended {
                            // Restarted between two looks: it did end in between.
                            self.marker(&id, Marker::Ended);
                        }
                        self.marker(&id, Marker::Restarted);
                        ended = false;
                    }
                    Some(_) => {}
                }
            }
            run = now;
            let since = last_at.map_or(0, |ms| i32::try_from(ms / 1000).unwrap_or(0));
            let result = self.read(&id, since, last_at, first, &mut last_at).await;
            first = false;
            if let Err(reason) = result {
                self.marker(&id, Marker::Lost { reason });
                self.docker.wait_connected().await;
            }
        }
    }

    /// Reads the log from `since` (seconds) to its end, skipping lines up to `after` (a
    /// resumed stream repeats the second it resumes in); `history` includes the past lines.
    async fn read(
        &self,
        id: &str,
        since: i32,
        after: Option<i64>,
        history: bool,
        last_at: &mut Option<i64>,
    ) -> Result<(), String> {
        let docker = self.docker.client().map_err(|e| e.to_string())?;
        let mut stream = docker.logs(
            id,
            Some(LogsOptions {
                follow: true,
                stdout: true,
                stderr: true,
                timestamps: true,
                since,
                tail: if since > 0 {
                    "all".into()
                } else if history {
                    self.ring.to_string()
                } else {
                    "0".into()
                },
                ..Default::default()
            }),
        );
        while let Some(item) = stream.next().await {
            if !self.open(id) {
                return Ok(());
            }
            let (kind, message) = match item {
                Ok(LogOutput::StdOut { message } | LogOutput::Console { message }) => {
                    (Stream::Stdout, message)
                }
                Ok(LogOutput::StdErr { message }) => (Stream::Stderr, message),
                Ok(LogOutput::StdIn { .. }) => continue,
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                }) => return Ok(()),
                Err(e) => return Err(e.to_string()),
            };
            // A TTY's console output may carry several lines in one message.
            for part in split_lines(&message) {
                let item = line_of(id, kind, part);
                if after.is_some_and(|a| item.at <= a) {
                    continue;
                }
                *last_at = Some(item.at);
                self.publish(item);
            }
        }
        Ok(())
    }
}

/// Splits a message into lines, keeping each line's timestamp prefix with it.
fn split_lines(message: &[u8]) -> Vec<&[u8]> {
    message
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty() && *l != b"\r")
        .collect()
}

/// Which part of a container's log to download.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogRange {
    /// From this time (milliseconds since the epoch); the whole retained log when absent.
    pub since: Option<i64>,
    /// Up to this time (milliseconds since the epoch, included).
    pub until: Option<i64>,
    /// Each line starts with the engine's RFC 3339 timestamp.
    pub timestamps: bool,
}

/// One line of a download: `[prefix | ][timestamp ]text`, newline-terminated.
fn download_line(raw: &[u8], range: LogRange, prefix: Option<&str>) -> Option<String> {
    let raw = String::from_utf8_lossy(raw);
    let raw = raw.trim_end_matches(['\n', '\r']);
    let (stamp, text) = raw.split_once(' ').unwrap_or((raw, ""));
    let (at, _) = split_timestamp(raw);
    if range.since.is_some_and(|s| at < s) || range.until.is_some_and(|u| at > u) {
        return None;
    }
    let mut line = String::with_capacity(raw.len() + 24);
    if let Some(prefix) = prefix {
        line.push_str(prefix);
        line.push_str(" | ");
    }
    if range.timestamps {
        line.push_str(stamp);
        line.push(' ');
    }
    line.push_str(text);
    line.push('\n');
    Some(line)
}

impl DockerEngine {
    /// The container's retained log in `range` as text lines (prefixed with `prefix`, e.g. a
    /// container name when several logs are joined), streamed from the engine as it reads it.
    pub fn log_text(
        &self,
        id: &str,
        range: LogRange,
        prefix: Option<String>,
    ) -> futures::stream::BoxStream<'static, Result<String, DockerError>> {
        let docker = match self.client() {
            Ok(docker) => docker,
            Err(e) => return futures::stream::once(async move { Err(e) }).boxed(),
        };
        let seconds = |ms: i64| i32::try_from(ms.div_euclid(1000)).unwrap_or(i32::MAX);
        let raw = docker.logs(
            id,
            Some(LogsOptions {
                follow: false,
                stdout: true,
                stderr: true,
                timestamps: true,
                since: range.since.map_or(0, seconds),
                // The engine's `until` is exclusive and in seconds: one more, then filter.
                until: range.until.map_or(0, |ms| seconds(ms).saturating_add(1)),
                tail: "all".into(),
            }),
        );
        let engine = self.clone();
        raw.filter_map(move |item| {
            let out = match item {
                Ok(output) => {
                    let bytes = output.into_bytes();
                    let lines: String = split_lines(&bytes)
                        .into_iter()
                        .filter_map(|l| download_line(l, range, prefix.as_deref()))
                        .collect();
                    (!lines.is_empty()).then_some(Ok(lines))
                }
                Err(e) => Some(Err(engine.error_of("containers.logs", e))),
            };
            std::future::ready(out)
        })
        .boxed()
    }

    /// When the container's current run started, or `None` when it is not running.
    pub async fn container_run(&self, id: &str) -> Result<Option<String>, DockerError> {
        let key = id.to_owned();
        let inspect = self
            .call("containers.inspect", |d| async move {
                d.inspect_container(&key, None).await
            })
            .await?;
        let state = inspect.state.unwrap_or_default();
        Ok(if state.running.unwrap_or(false) {
            Some(state.started_at.unwrap_or_default())
        } else {
            None
        })
    }

    /// Waits until the container runs again; false when it is gone or `wanted` says it no
    /// longer is.
    pub async fn wait_running(&self, id: &str, wanted: impl Fn() -> bool) -> bool {
        let mut changes = self.containers().subscribe();
        loop {
            if !wanted() {
                return false;
            }
            match self.container_run(id).await {
                Ok(Some(_)) => return true,
                Err(DockerError::Api { status: 404, .. }) => return false,
                _ => {}
            }
            // The live state's next change (or a second) before looking again.
            let _ = tokio::time::timeout(Duration::from_secs(1), changes.recv()).await;
        }
    }

    /// Returns once the engine is connected (at once when it is).
    pub async fn wait_connected(&self) {
        let mut status = self.subscribe();
        let _ = status.wait_for(|s| s.is_connected()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_keeps_its_timestamp_and_loses_its_newline() {
        let item = line_of(
            "c",
            Stream::Stdout,
            b"2026-11-24T06:01:08.123456789Z hello world\n",
        );
        assert_eq!(item.at, 1_795_500_068_123);
        assert_eq!(
            item.body,
            LogBody::Line {
                stream: Stream::Stdout,
                text: "hello world".into(),
                cut: 0
            }
        );
    }

    #[test]
    fn a_huge_line_is_cut_and_says_how_much() {
        let mut raw = b"2026-11-24T06:01:08Z ".to_vec();
        raw.extend(std::iter::repeat_n(b'x', 1024 * 1024));
        let item = line_of("c", Stream::Stderr, &raw);
        let LogBody::Line { text, cut, .. } = item.body else {
            panic!("a line")
        };
        assert_eq!(text.len(), MAX_LINE_BYTES);
        assert_eq!(cut, 1024 * 1024 - MAX_LINE_BYTES);
    }

    #[test]
    fn a_download_line_keeps_what_was_asked_for() {
        let raw = b"2026-11-24T06:01:08.5Z hello world\n";
        let all = LogRange {
            timestamps: true,
            ..LogRange::default()
        };
        assert_eq!(
            download_line(raw, all, Some("web-1")).as_deref(),
            Some("web-1 | 2026-11-24T06:01:08.5Z hello world\n")
        );
        assert_eq!(
            download_line(raw, LogRange::default(), None).as_deref(),
            Some("hello world\n")
        );
        let at = 1_795_500_068_500;
        for (since, until, kept) in [
            (Some(at), None, true),
            (Some(at + 1), None, false),
            (None, Some(at), true),
            (None, Some(at - 1), false),
        ] {
            let range = LogRange {
                since,
                until,
                timestamps: false,
            };
            assert_eq!(download_line(raw, range, None).is_some(), kept, "{range:?}");
        }
    }

    #[test]
    fn binary_garbage_becomes_safe_text() {
        let item = line_of(
            "c",
            Stream::Stdout,
            b"2026-11-24T06:01:08Z \xff\xfe<script>\x00",
        );
        let LogBody::Line { text, .. } = item.body else {
            panic!("a line")
        };
        assert_eq!(text, "\u{fffd}\u{fffd}<script>\u{0}");
    }
}
