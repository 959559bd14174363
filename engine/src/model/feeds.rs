//! What the live log and stats websockets carry: shared by the server and the browser.

use serde::{Deserialize, Serialize};

/// Which output a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// What happened besides lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "marker", rename_all = "snake_case")]
pub enum Marker {
    /// The container stopped; its stream ended.
    Ended,
    /// The container started again; lines follow.
    Restarted,
    /// This viewer was too slow and lost this many lines.
    Skipped { lines: u64 },
    /// The engine could not be reached; the stream resumes when it is back.
    Lost { reason: String },
    /// The container was removed.
    Removed,
}

/// One log item: a line or a marker, with the container it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogItem {
    pub container: String,
    /// Milliseconds since the Unix epoch (the engine's timestamp for lines).
    pub at: i64,
    #[serde(flatten)]
    pub body: LogBody,
}

/// A line's content, or a marker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LogBody {
    Line {
        stream: Stream,
        text: String,
        /// Bytes cut off the end of an over-long line.
        #[serde(default, skip_serializing_if = "is_zero")]
        cut: usize,
    },
    Marker(Marker),
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One container's usage at one moment. Rates are `None` on the first sample of a run (there is
/// nothing to compare with yet).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatsSample {
    pub container: String,
    /// Milliseconds since the Unix epoch (the engine's reading time).
    pub at: i64,
    /// Percent of one CPU (200 = two CPUs busy), as `docker stats` shows it.
    pub cpu_percent: Option<f64>,
    /// CPUs the container may use.
    pub cpus: u32,
    /// Memory in use, page cache excluded.
    pub memory_bytes: u64,
    /// The memory limit (the host's memory when unlimited).
    pub memory_limit: u64,
    pub net_rx_per_s: Option<f64>,
    pub net_tx_per_s: Option<f64>,
    pub block_read_per_s: Option<f64>,
    pub block_write_per_s: Option<f64>,
    pub pids: u64,
}

/// What a client sends on `/api/v1/logs` or `/api/v1/stats` to say what it watches. On the stats
/// socket a later request replaces the earlier one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeedRequest {
    /// Containers by id, name or id prefix.
    pub containers: Vec<String>,
    /// Every container of this stack, including ones it gets later (scale up, recreate).
    pub stack: Option<String>,
    /// Logs: recent lines first, per container (default 200).
    pub tail: Option<usize>,
    /// Logs: only lines at or after this time (milliseconds since the epoch).
    pub since: Option<i64>,
    /// Logs: keep streaming (default); false sends the tail and closes.
    pub follow: Option<bool>,
    /// Logs: `stdout`, `stderr` (default both).
    pub streams: Vec<Stream>,
}

/// A container a feed now includes, so items can be labelled with its name and service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedMember {
    pub container: String,
    pub name: String,
    pub service: Option<String>,
}

/// One text frame of `/api/v1/logs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LogFrame {
    /// Containers joined the feed (sent before their first lines).
    Joined { members: Vec<FeedMember> },
    /// Lines and markers, in order per container.
    Lines { items: Vec<LogItem> },
    /// A requested container does not exist or the caller may not read its logs.
    Refused { container: String },
    /// The request could not be read.
    Error { message: String },
}

/// One text frame of `/api/v1/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StatsFrame {
    Joined {
        members: Vec<FeedMember>,
    },
    /// Samples: first the history (up to five minutes per container), then one per container
    /// about every second.
    Samples {
        items: Vec<StatsSample>,
    },
    Refused {
        container: String,
    },
    Error {
        message: String,
    },
}

#[cfg(all(test, feature = "runtime"))]
mod tests {
    use super::*;

    #[test]
    fn frames_are_tagged_and_items_flat() {
        let frame = LogFrame::Lines {
            items: vec![
                LogItem {
                    container: "c".into(),
                    at: 5,
                    body: LogBody::Marker(Marker::Skipped { lines: 3 }),
                },
                LogItem {
                    container: "c".into(),
                    at: 6,
                    body: LogBody::Line {
                        stream: Stream::Stderr,
                        text: "<b>".into(),
                        cut: 0,
                    },
                },
            ],
        };
        let text = serde_json::to_string(&frame).expect("json");
        assert_eq!(
            text,
            r#"{"type":"lines","items":[{"container":"c","at":5,"marker":"skipped","lines":3},{"container":"c","at":6,"stream":"stderr","text":"<b>"}]}"#
        );
        assert_eq!(
            serde_json::from_str::<LogFrame>(&text).expect("back"),
            frame
        );
    }
}
