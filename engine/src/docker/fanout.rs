//! One upstream per key, shared by any number of viewers: the sharing under the log and stats
//! hubs.
//!
//! The first viewer of a key starts its upstream (the caller spawns the task that feeds it);
//! the upstream stays open for a while after the last viewer left, then stops. Recent items are
//! kept in a bounded ring, so late joiners get a tail. Each viewer reads from a bounded queue:
//! a slow viewer never slows the upstream or the other viewers; it loses items instead and is
//! told how many.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::broadcast;

/// Sizes and timing of a fan-out.
#[derive(Debug, Clone, Copy)]
pub struct FanoutSettings {
    /// Items kept per key for late joiners.
    pub ring: usize,
    /// Items a viewer may fall behind before it loses some.
    pub queue: usize,
    /// How long an upstream stays open after its last viewer left.
    pub linger: Duration,
}

/// Upstreams open and viewers, for `/metrics` and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FanoutCounters {
    pub upstreams: usize,
    pub viewers: usize,
}

/// The metric names of one fan-out.
#[derive(Debug, Clone, Copy)]
pub struct FanoutMetrics {
    pub upstreams: &'static str,
    pub viewers: &'static str,
    pub items_in: &'static str,
    pub dropped: &'static str,
}

struct Channel<T> {
    ring: VecDeque<T>,
    sender: broadcast::Sender<T>,
    viewers: usize,
    /// Bumped on every join and leave; a linger timer only stops the upstream it was armed for.
    epoch: u64,
}

/// The shared upstreams of one kind, by key.
pub struct Fanout<T> {
    settings: FanoutSettings,
    metrics: FanoutMetrics,
    channels: Arc<Mutex<HashMap<String, Channel<T>>>>,
}

impl<T> Clone for Fanout<T> {
    fn clone(&self) -> Self {
        Self {
            settings: self.settings,
            metrics: self.metrics,
            channels: Arc::clone(&self.channels),
        }
    }
}

/// What a viewer reads next.
#[derive(Debug, PartialEq, Eq)]
pub enum Received<T> {
    Item(T),
    /// The viewer fell behind and lost this many items.
    Lost(u64),
}

/// A viewer of one key: the tail first, then live items. Dropping it leaves.
pub struct Viewer<T: Clone + Send + 'static> {
    pub tail: Vec<T>,
    receiver: broadcast::Receiver<T>,
    fanout: Fanout<T>,
    key: String,
}

impl<T: Clone + Send + 'static> Viewer<T> {
    /// The next item, or how many were lost; `None` once the upstream stopped.
    pub async fn recv(&mut self) -> Option<Received<T>> {
        match self.receiver.recv().await {
            Ok(item) => Some(Received::Item(item)),
            Err(broadcast::error::RecvError::Lagged(lost)) => {
                metrics::counter!(self.fanout.metrics.dropped).increment(lost);
                Some(Received::Lost(lost))
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }

    /// The key this viewer watches.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl<T: Clone + Send + 'static> Drop for Viewer<T> {
    fn drop(&mut self) {
        self.fanout.leave(&self.key);
    }
}

impl<T: Clone + Send + 'static> Fanout<T> {
    pub fn new(settings: FanoutSettings, metrics: FanoutMetrics) -> Self {
        Self {
            settings,
            metrics,
            channels: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Upstreams open and viewers.
    pub fn counters(&self) -> FanoutCounters {
        self.channels.lock().map_or_else(
            |_| FanoutCounters::default(),
            |c| FanoutCounters {
                upstreams: c.len(),
                viewers: c.values().map(|u| u.viewers).sum(),
            },
        )
    }

    /// Joins `key`, with up to `tail` recent items. The flag says this viewer opened the
    /// upstream: the caller then starts the task that feeds it.
    pub fn join(&self, key: &str, tail: usize) -> (Viewer<T>, bool) {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        let start = !channels.contains_key(key);
        let channel = channels.entry(key.to_owned()).or_insert_with(|| Channel {
            ring: VecDeque::with_capacity(self.settings.ring.min(1024)),
            sender: broadcast::channel(self.settings.queue.max(16)).0,
            viewers: 0,
            epoch: 0,
        });
        channel.viewers += 1;
        channel.epoch += 1;
        metrics::gauge!(self.metrics.viewers).increment(1.0);
        // Taken under the lock, so nothing is both in the tail and in the queue.
        let skip = channel.ring.len().saturating_sub(tail);
        let viewer = Viewer {
            tail: channel.ring.iter().skip(skip).cloned().collect(),
            receiver: channel.sender.subscribe(),
            fanout: self.clone(),
            key: key.to_owned(),
        };
        drop(channels);
        if start {
            metrics::gauge!(self.metrics.upstreams).increment(1.0);
        }
        (viewer, start)
    }

    fn leave(&self, key: &str) {
        let Ok(mut channels) = self.channels.lock() else {
            return;
        };
        let Some(channel) = channels.get_mut(key) else {
            return;
        };
        channel.viewers = channel.viewers.saturating_sub(1);
        channel.epoch += 1;
        metrics::gauge!(self.metrics.viewers).decrement(1.0);
        if channel.viewers == 0 {
            let epoch = channel.epoch;
            let fanout = self.clone();
            let key = key.to_owned();
            let linger = self.settings.linger;
            drop(channels);
            tokio::spawn(async move {
                tokio::time::sleep(linger).await;
                fanout.stop_if_idle(&key, epoch);
            });
        }
    }

    fn stop_if_idle(&self, key: &str, epoch: u64) {
        let Ok(mut channels) = self.channels.lock() else {
            return;
        };
        if channels
            .get(key)
            .is_some_and(|c| c.viewers == 0 && c.epoch == epoch)
        {
            channels.remove(key);
            metrics::gauge!(self.metrics.upstreams).decrement(1.0);
        }
    }

    /// Whether the upstream of `key` is still wanted; its task stops when not.
    pub fn open(&self, key: &str) -> bool {
        self.channels.lock().is_ok_and(|c| c.contains_key(key))
    }

    /// Passes `item` to every viewer of `key` and keeps it in the ring.
    pub fn publish(&self, key: &str, item: T) {
        let Ok(mut channels) = self.channels.lock() else {
            return;
        };
        let Some(channel) = channels.get_mut(key) else {
            return;
        };
        if channel.ring.len() >= self.settings.ring {
            channel.ring.pop_front();
        }
        channel.ring.push_back(item.clone());
        // No receiver (everyone left, lingering) is fine: the ring keeps it.
        let _ = channel.sender.send(item);
        metrics::counter!(self.metrics.items_in).increment(1);
    }

    /// Forgets the ring of `key` (the upstream starts over, e.g. a new run).
    pub fn clear(&self, key: &str) {
        if let Ok(mut channels) = self.channels.lock()
            && let Some(channel) = channels.get_mut(key)
        {
            channel.ring.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const METRICS: FanoutMetrics = FanoutMetrics {
        upstreams: "test_upstreams",
        viewers: "test_viewers",
        items_in: "test_in",
        dropped: "test_dropped",
    };

    fn fanout(ring: usize, queue: usize) -> Fanout<u32> {
        Fanout::new(
            FanoutSettings {
                ring,
                queue,
                linger: Duration::from_millis(20),
            },
            METRICS,
        )
    }

    #[tokio::test]
    async fn late_joiners_get_the_tail_and_only_the_first_starts_the_upstream() {
        let f = fanout(3, 16);
        let (mut first, started) = f.join("a", 10);
        assert!(started);
        for n in 1..=5 {
            f.publish("a", n);
        }
        let (late, started) = f.join("a", 2);
        assert!(!started);
        assert_eq!(late.tail, vec![4, 5]);
        assert_eq!(first.recv().await, Some(Received::Item(1)));
        assert_eq!(
            f.counters(),
            FanoutCounters {
                upstreams: 1,
                viewers: 2
            }
        );
    }

    #[tokio::test]
    async fn a_slow_viewer_is_told_what_it_lost() {
        let f = fanout(4, 16);
        let (mut slow, _) = f.join("a", 0);
        for n in 0..40 {
            f.publish("a", n);
        }
        assert_eq!(slow.recv().await, Some(Received::Lost(24)));
        assert_eq!(slow.recv().await, Some(Received::Item(24)));
    }

    #[tokio::test]
    async fn the_upstream_lingers_then_stops_unless_someone_came_back() {
        let f = fanout(4, 16);
        let (v, _) = f.join("a", 0);
        drop(v);
        assert!(f.open("a"), "still open while lingering");
        let (again, started) = f.join("a", 0);
        assert!(!started, "the lingering upstream is reused");
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(
            f.open("a"),
            "a viewer is back: the old timer does not stop it"
        );
        drop(again);
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(!f.open("a"));
        assert_eq!(f.counters(), FanoutCounters::default());
    }
}
