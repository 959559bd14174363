//! Live resource usage: at most one engine stats stream per container, shared by any number of
//! viewers, with the last five minutes kept for late joiners (charts start full).
//!
//! The engine sends cumulative counters about once a second; rates (CPU %, network and disk
//! bytes per second) are computed here from consecutive samples, the way `docker stats` does.

use std::time::Duration;

use bollard::models::ContainerStatsResponse;
use bollard::query_parameters::StatsOptions;
use futures::StreamExt;

use crate::docker::fanout::{
    Fanout, FanoutCounters, FanoutMetrics, FanoutSettings, Received, Viewer,
};
use crate::docker::{DockerEngine, DockerError};
pub use crate::model::feeds::StatsSample;

/// Samples kept per container: five minutes at the engine's one per second.
pub const HISTORY: usize = 300;

const METRICS: FanoutMetrics = FanoutMetrics {
    upstreams: "orbitr_stats_upstreams",
    viewers: "orbitr_stats_viewers",
    items_in: "orbitr_stats_samples_in_total",
    dropped: "orbitr_stats_samples_dropped_total",
};

/// The cumulative counters of one reading, kept to compute the next sample's rates.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counters {
    /// Nanoseconds since the Unix epoch.
    pub at_ns: i128,
    pub cpu_total: u64,
    pub system_total: u64,
    pub net_rx: u64,
    pub net_tx: u64,
    pub block_read: u64,
    pub block_write: u64,
}

fn read_ns(raw: &ContainerStatsResponse) -> Option<i128> {
    let stamp = raw.read.as_ref()?;
    time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp_nanos)
}

/// The counters of an engine reading.
pub fn counters_of(raw: &ContainerStatsResponse) -> Counters {
    let cpu = raw.cpu_stats.as_ref();
    let (net_rx, net_tx) = raw
        .networks
        .iter()
        .flat_map(|n| n.values())
        .fold((0, 0), |(rx, tx), n| {
            (rx + n.rx_bytes.unwrap_or(0), tx + n.tx_bytes.unwrap_or(0))
        });
    let (block_read, block_write) = raw
        .blkio_stats
        .as_ref()
        .and_then(|b| b.io_service_bytes_recursive.as_ref())
        .into_iter()
        .flatten()
        .fold((0, 0), |(r, w), e| {
            let value = e.value.unwrap_or(0);
            match e.op.as_deref().map(str::to_ascii_lowercase).as_deref() {
                Some("read") => (r + value, w),
                Some("write") => (r, w + value),
                _ => (r, w),
            }
        });
    Counters {
        at_ns: read_ns(raw).unwrap_or_else(|| i128::from(crate::clock::now_ms()) * 1_000_000),
        cpu_total: cpu
            .and_then(|c| c.cpu_usage.as_ref())
            .and_then(|u| u.total_usage)
            .unwrap_or(0),
        system_total: cpu.and_then(|c| c.system_cpu_usage).unwrap_or(0),
        net_rx,
        net_tx,
        block_read,
        block_write,
    }
}

/// A rate per second between two cumulative readings; `None` when the counter went backwards
/// (a new run) or no time passed.
fn per_second(before: u64, after: u64, seconds: f64) -> Option<f64> {
    (after >= before && seconds > 0.0).then(|| (after - before) as f64 / seconds)
}

/// A sample from an engine reading and the previous reading of the same run.
pub fn sample_of(
    container: &str,
    raw: &ContainerStatsResponse,
    previous: Option<&Counters>,
) -> (StatsSample, Counters) {
    let now = counters_of(raw);
    let cpus = raw
        .cpu_stats
        .as_ref()
        .and_then(|c| {
            c.online_cpus.or_else(|| {
                c.cpu_usage
                    .as_ref()
                    .and_then(|u| u.percpu_usage.as_ref())
                    .map(|p| u32::try_from(p.len()).unwrap_or(1))
            })
        })
        .unwrap_or(1)
        .max(1);
    let memory = raw.memory_stats.clone().unwrap_or_default();
    let usage = memory.usage.unwrap_or(0);
    // As the CLI does: page cache is not the container's memory (cgroup v1 and v2 names).
    let cache = memory
        .stats
        .as_ref()
        .and_then(|s| {
            s.get("total_inactive_file")
                .or_else(|| s.get("inactive_file"))
                .copied()
        })
        .filter(|c| *c < usage)
        .unwrap_or(0);
    let rates = previous.map(|p| {
        let seconds = (now.at_ns - p.at_ns) as f64 / 1e9;
        let cpu = (now.system_total > p.system_total && now.cpu_total >= p.cpu_total).then(|| {
            (now.cpu_total - p.cpu_total) as f64 / (now.system_total - p.system_total) as f64
                * f64::from(cpus)
                * 100.0
        });
        (
            cpu,
            per_second(p.net_rx, now.net_rx, seconds),
            per_second(p.net_tx, now.net_tx, seconds),
            per_second(p.block_read, now.block_read, seconds),
            per_second(p.block_write, now.block_write, seconds),
        )
    });
    let (cpu_percent, net_rx_per_s, net_tx_per_s, block_read_per_s, block_write_per_s) =
        rates.unwrap_or_default();
    let sample = StatsSample {
        container: container.to_owned(),
        at: i64::try_from(now.at_ns / 1_000_000).unwrap_or(0),
        cpu_percent,
        cpus,
        memory_bytes: usage - cache,
        memory_limit: memory.limit.unwrap_or(0),
        net_rx_per_s,
        net_tx_per_s,
        block_read_per_s,
        block_write_per_s,
        pids: raw.pids_stats.as_ref().and_then(|p| p.current).unwrap_or(0),
    };
    (sample, now)
}

/// A viewer of one container's samples: the history first, then live ones. Dropping it leaves.
pub struct StatsSubscription {
    pub history: Vec<StatsSample>,
    viewer: Viewer<StatsSample>,
}

impl StatsSubscription {
    /// The next sample (samples a slow viewer lost are skipped: charts only need the latest);
    /// `None` once the hub stopped the stream.
    pub async fn next(&mut self) -> Option<StatsSample> {
        loop {
            match self.viewer.recv().await? {
                Received::Item(sample) => return Some(sample),
                Received::Lost(_) => {}
            }
        }
    }
}

/// The shared stats streams.
#[derive(Clone)]
pub struct StatsHub {
    docker: DockerEngine,
    fanout: Fanout<StatsSample>,
}

impl StatsHub {
    /// A hub reading through `docker`; streams stay open `linger` after their last viewer.
    pub fn new(docker: DockerEngine, linger: Duration) -> Self {
        Self {
            docker,
            fanout: Fanout::new(
                FanoutSettings {
                    ring: HISTORY,
                    queue: 64,
                    linger,
                },
                METRICS,
            ),
        }
    }

    /// Streams open and viewers, for `/metrics`.
    pub fn counters(&self) -> FanoutCounters {
        self.fanout.counters()
    }

    /// Joins the stats of container `id` (its full id), starting the stream if needed.
    pub fn subscribe(&self, id: &str) -> StatsSubscription {
        let (mut viewer, start) = self.fanout.join(id, HISTORY);
        if start {
            let hub = self.clone();
            let id = id.to_owned();
            tokio::spawn(async move { hub.follow(id).await });
        }
        StatsSubscription {
            history: std::mem::take(&mut viewer.tail),
            viewer,
        }
    }

    /// The upstream task: reads the engine's stats while the container runs and someone
    /// wants them; waits while it is stopped or the engine is away.
    async fn follow(&self, id: String) {
        let open = || self.fanout.open(&id);
        while open() {
            match self.docker.container_run(&id).await {
                Err(DockerError::Api { status: 404, .. }) => break,
                Err(_) => {
                    self.docker.wait_connected().await;
                    // Not at once again if the engine is up but this call keeps failing.
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Ok(None) => {
                    if !self.docker.wait_running(&id, open).await {
                        break;
                    }
                }
                Ok(Some(_)) => {
                    if self.read(&id).await.is_err() {
                        self.docker.wait_connected().await;
                    }
                }
            }
        }
    }

    /// Follows one run's stats until the stream ends.
    async fn read(&self, id: &str) -> Result<(), ()> {
        let docker = self.docker.client().map_err(drop)?;
        let mut stream = docker.stats(
            id,
            Some(StatsOptions {
                stream: true,
                one_shot: false,
            }),
        );
        let mut previous: Option<Counters> = None;
        while let Some(raw) = stream.next().await {
            if !self.fanout.open(id) {
                return Ok(());
            }
            let raw = match raw {
                Ok(raw) => raw,
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                }) => return Ok(()),
                Err(_) => return Err(()),
            };
            // A stopped container's stream sends empty readings: nothing to chart.
            if raw.pids_stats.as_ref().and_then(|p| p.current).unwrap_or(0) == 0
                && raw.memory_stats.as_ref().and_then(|m| m.usage).is_none()
            {
                return Ok(());
            }
            let (sample, counters) = sample_of(id, &raw, previous.as_ref());
            previous = Some(counters);
            self.fanout.publish(id, sample);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{
        ContainerBlkioStatEntry, ContainerBlkioStats, ContainerCpuStats, ContainerCpuUsage,
        ContainerMemoryStats, ContainerNetworkStats, ContainerPidsStats,
    };
    use std::collections::HashMap;

    fn reading(at: &str, cpu: u64, system: u64, rx: u64, written: u64) -> ContainerStatsResponse {
        ContainerStatsResponse {
            read: Some(at.into()),
            cpu_stats: Some(ContainerCpuStats {
                cpu_usage: Some(ContainerCpuUsage {
                    total_usage: Some(cpu),
                    ..Default::default()
                }),
                system_cpu_usage: Some(system),
                online_cpus: Some(2),
                ..Default::default()
            }),
            memory_stats: Some(ContainerMemoryStats {
                usage: Some(10_000_000),
                limit: Some(1 << 30),
                stats: Some(HashMap::from([("inactive_file".to_owned(), 4_000_000)])),
                ..Default::default()
            }),
            networks: Some(HashMap::from([
                (
                    "eth0".to_owned(),
                    ContainerNetworkStats {
                        rx_bytes: Some(rx),
                        tx_bytes: Some(100),
                        ..Default::default()
                    },
                ),
                (
                    "eth1".to_owned(),
                    ContainerNetworkStats {
                        rx_bytes: Some(rx),
                        tx_bytes: Some(0),
                        ..Default::default()
                    },
                ),
            ])),
            blkio_stats: Some(ContainerBlkioStats {
                io_service_bytes_recursive: Some(vec![
                    ContainerBlkioStatEntry {
                        op: Some("Read".into()),
                        value: Some(7),
                        ..Default::default()
                    },
                    ContainerBlkioStatEntry {
                        op: Some("write".into()),
                        value: Some(written),
                        ..Default::default()
                    },
                    ContainerBlkioStatEntry {
                        op: Some("Total".into()),
                        value: Some(written + 7),
                        ..Default::default()
                    },
                ]),
                ..Default::default()
            }),
            pids_stats: Some(ContainerPidsStats {
                current: Some(3),
                limit: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_first_reading_has_usage_but_no_rates() {
        let (sample, _) = sample_of(
            "c",
            &reading("2026-11-24T10:00:00Z", 1000, 5000, 10, 0),
            None,
        );
        assert_eq!(sample.at, 1_795_514_400_000);
        assert_eq!(sample.cpu_percent, None);
        assert_eq!(sample.net_rx_per_s, None);
        assert_eq!(sample.memory_bytes, 6_000_000, "page cache excluded");
        assert_eq!(sample.memory_limit, 1 << 30);
        assert_eq!((sample.pids, sample.cpus), (3, 2));
    }

    #[test]
    fn rates_come_from_consecutive_readings() {
        let (_, first) = sample_of(
            "c",
            &reading("2026-11-24T10:00:00Z", 1_000, 10_000, 1_000, 0),
            None,
        );
        // Half a second later: the container used a quarter of the system's CPU time, on a
        // two-CPU machine: 50 % of one CPU.
        let (sample, _) = sample_of(
            "c",
            &reading("2026-11-24T10:00:00.5Z", 2_000, 14_000, 1_500, 4_096),
            Some(&first),
        );
        assert_eq!(sample.cpu_percent, Some(50.0));
        assert_eq!(
            sample.net_rx_per_s,
            Some(2_000.0),
            "two interfaces, 500 bytes each in half a second"
        );
        assert_eq!(sample.net_tx_per_s, Some(0.0));
        assert_eq!(sample.block_write_per_s, Some(8_192.0));
        assert_eq!(sample.block_read_per_s, Some(0.0));
    }

    #[test]
    fn counters_going_backwards_give_no_rate() {
        let (_, first) = sample_of(
            "c",
            &reading("2026-11-24T10:00:00Z", 9_000, 10_000, 9_000, 9_000),
            None,
        );
        let (sample, _) = sample_of(
            "c",
            &reading("2026-11-24T10:00:01Z", 10, 20_000, 10, 10),
            Some(&first),
        );
        assert_eq!(sample.cpu_percent, None);
        assert_eq!(sample.net_rx_per_s, None);
        assert_eq!(sample.block_write_per_s, None);
    }
}
