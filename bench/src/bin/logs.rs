//! `bench/logs`: live logs through Orbitr's websocket vs reading the engine directly.
//!
//! - Throughput: a container prints 200,000 lines of about 100 bytes as fast as it can; one
//!   websocket viewer and one direct engine log stream (bollard, follow) read them in the same
//!   run; each rate is lines over the time from its first line to its last.
//! - Latency: a container prints 1,000 lines a second; for each line the viewer computes the
//!   time it received it minus the engine's timestamp of the line (taken when the engine read it
//!   from the container; busybox's `date` has no sub-second format), p50 and p99.
//! - Fan-out: 100 websocket viewers of one container printing 20,000 lines: the engine streams
//!   Orbitr opens (`orbitr_log_upstreams`), how many viewers got every line or skip markers
//!   accounting for the rest, and the server's RSS growth.

use std::time::{Duration, Instant};

use anyhow::Context;
use bench::{Server, orbitr_binary, percentile, round};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use testkit::docker::TestRun;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const LINES: u64 = 200_000;
const LATENCY_LINES: usize = 1_000;
const VIEWERS: usize = 100;
const FANOUT_LINES: u64 = 20_000;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

async fn container(run: &TestRun, name: &str, script: &str) -> anyhow::Result<String> {
    run.start_script(name, script, std::collections::HashMap::new())
        .await
}

/// Prints `n` numbered lines of about 100 bytes after `wait` seconds, then idles.
fn flood(n: u64, wait: u64) -> String {
    let pad = "x".repeat(88);
    format!(
        "sleep {wait}; i=0; while [ $i -lt {n} ]; do echo \"{pad} $i\"; i=$((i+1)); done; exec sleep 86400"
    )
}

/// A viewer of `id` that has been told it joined (so it misses nothing printed afterwards).
async fn viewer(server: &Server, token: &str, id: &str) -> anyhow::Result<Socket> {
    let mut request =
        format!("{}/api/v1/logs", server.base.replace("http", "ws")).into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    socket
        .send(Message::Text(
            json!({ "containers": [id], "tail": 0 }).to_string().into(),
        ))
        .await?;
    loop {
        let frame = next_frame(&mut socket, Duration::from_secs(10)).await?;
        if frame["type"] == "joined" {
            return Ok(socket);
        }
    }
}

async fn next_frame(socket: &mut Socket, limit: Duration) -> anyhow::Result<Value> {
    loop {
        let message = tokio::time::timeout(limit, socket.next())
            .await
            .context("no frame in time")?
            .context("the socket closed")??;
        if let Message::Text(text) = message {
            return Ok(serde_json::from_str(&text)?);
        }
    }
}

/// What one viewer read of a flood: lines, lines it was told it skipped, and the times of its
/// first and last line.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    lines: u64,
    skipped: u64,
    first: Option<Instant>,
    last: Option<Instant>,
}

/// Reads until the flood's last line (`… {last}`) or `limit` of silence.
async fn tally(mut socket: Socket, last: u64, limit: Duration) -> Tally {
    let mut t = Tally::default();
    let suffix = format!(" {last}");
    loop {
        let frame = match next_frame(&mut socket, limit).await {
            Ok(frame) => frame,
            Err(e) => {
                eprintln!("logs: a viewer stopped reading: {e}");
                break;
            }
        };
        let now = Instant::now();
        let mut done = false;
        for item in frame["items"].as_array().into_iter().flatten() {
            if let Some(text) = item["text"].as_str() {
                t.lines += 1;
                t.first.get_or_insert(now);
                t.last = Some(now);
                done |= text.ends_with(&suffix);
            } else if item["marker"] == "skipped" {
                t.skipped += item["lines"].as_u64().unwrap_or(0);
            } else if let Some(marker) = item["marker"].as_str() {
                eprintln!("logs: marker {marker} {item}");
            }
        }
        if done {
            break;
        }
    }
    t
}

/// The engine's own log stream of `id` from now: lines per second from its first to its last.
async fn direct(run: &TestRun, id: &str, last: u64) -> anyhow::Result<f64> {
    let mut stream = run.docker().logs(
        id,
        Some(bollard::query_parameters::LogsOptions {
            follow: true,
            stdout: true,
            stderr: true,
            tail: "0".into(),
            ..Default::default()
        }),
    );
    let suffix = format!(" {last}\n");
    let (mut first, mut lines) = (None, 0_u64);
    while let Some(item) = stream.next().await {
        let bytes = item?.into_bytes();
        let now = Instant::now();
        first.get_or_insert(now);
        let text = String::from_utf8_lossy(&bytes);
        lines += text.matches('\n').count() as u64;
        if text.ends_with(&suffix) {
            let secs = first.map_or(0.0, |f| (now - f).as_secs_f64());
            return Ok(lines as f64 / secs.max(1e-9));
        }
    }
    anyhow::bail!("the engine's stream ended early")
}

async fn upstreams(server: &Server) -> anyhow::Result<f64> {
    let text = server
        .client
        .get(format!("{}/metrics", server.base))
        .send()
        .await?
        .text()
        .await?;
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix("orbitr_log_upstreams "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let run = TestRun::new()?;
    let server = Server::start(&orbitr_binary()?, &[]).await?;
    let token = server.api_token("read").await?;

    // Throughput: one viewer and the engine's own stream, same container, same run.
    let id = container(&run, "flood", &flood(LINES, 3)).await?;
    let socket = viewer(&server, &token, &id).await?;
    let (ws, engine) = tokio::join!(
        tally(socket, LINES - 1, Duration::from_secs(30)),
        direct(&run, &id, LINES - 1)
    );
    let docker_lines_per_s = engine?;
    let ws_secs = match (ws.first, ws.last) {
        (Some(f), Some(l)) => (l - f).as_secs_f64(),
        _ => anyhow::bail!("the viewer got no line"),
    };
    anyhow::ensure!(
        ws.lines + ws.skipped == LINES,
        "the viewer accounted for {} of {LINES} lines",
        ws.lines + ws.skipped
    );
    let orbitr_lines_per_s = ws.lines as f64 / ws_secs.max(1e-9);
    eprintln!(
        "logs: throughput orbitr {orbitr_lines_per_s:.0}/s ({} skipped), engine {docker_lines_per_s:.0}/s",
        ws.skipped
    );

    // Latency: a line every millisecond, received time minus the engine's timestamp.
    let id = container(
        &run,
        "ticker",
        "sleep 2; i=0; while :; do echo tick $i; i=$((i+1)); usleep 1000; done",
    )
    .await?;
    let mut socket = viewer(&server, &token, &id).await?;
    let mut latencies = Vec::with_capacity(LATENCY_LINES);
    while latencies.len() < LATENCY_LINES {
        let frame = next_frame(&mut socket, Duration::from_secs(10)).await?;
        let received = now_ms();
        for item in frame["items"].as_array().into_iter().flatten() {
            if let (Some(_), Some(at)) = (item["text"].as_str(), item["at"].as_f64()) {
                latencies.push(received - at);
            }
        }
    }
    drop(socket);
    let latency_p50_ms = percentile(&mut latencies, 50.0);
    let latency_p99_ms = percentile(&mut latencies, 99.0);

    // Fan-out: 100 viewers of one container.
    let id = container(&run, "fanout", &flood(FANOUT_LINES, 8)).await?;
    let rss_before = server.rss_mb()?;
    // The earlier phases' streams still linger; this container's are the difference.
    let streams_before = upstreams(&server).await?;
    let mut sockets = Vec::with_capacity(VIEWERS);
    for _ in 0..VIEWERS {
        sockets.push(viewer(&server, &token, &id).await?);
    }
    let upstream_streams = upstreams(&server).await? - streams_before;
    let readers: Vec<_> = sockets
        .into_iter()
        .map(|s| tokio::spawn(tally(s, FANOUT_LINES - 1, Duration::from_secs(30))))
        .collect();
    let mut rss_peak = rss_before;
    let mut complete = 0;
    for reader in readers {
        while !reader.is_finished() {
            rss_peak = rss_peak.max(server.rss_mb()?);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let t = reader.await?;
        if t.lines + t.skipped == FANOUT_LINES {
            complete += 1;
        }
    }
    rss_peak = rss_peak.max(server.rss_mb()?);

    println!(
        "{}",
        json!({
            "bench": "logs",
            "lines": LINES,
            "orbitr_lines_per_s": round(orbitr_lines_per_s, 0),
            "docker_lines_per_s": round(docker_lines_per_s, 0),
            "throughput_ratio": round(orbitr_lines_per_s / docker_lines_per_s, 3),
            "viewer_skipped": ws.skipped,
            "latency_p50_ms": round(latency_p50_ms, 1),
            "latency_p99_ms": round(latency_p99_ms, 1),
            "viewers": VIEWERS,
            "fanout_lines": FANOUT_LINES,
            "upstream_streams": upstream_streams,
            "viewer_lines_complete": complete,
            "rss_growth_mb": round(rss_peak - rss_before, 1),
        })
    );
    run.cleanup().await?;
    Ok(())
}
