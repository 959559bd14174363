//! `bench/state`: what the live container state buys.
//!
//! Creates and starts 200 fixture containers (labelled with a test run and removed by it), then
//! against one release server:
//! - `GET /api/v1/containers` (Orbitr's live state) vs the engine's own `GET /containers/json`
//!   (`all=1`), 500 sequential requests each, same run;
//! - push latency: 100 start/stop operations on the engine; for each, the time from the engine's
//!   own event timestamp to a websocket client receiving the container's new state;
//! - the server's resident memory with all 200 watched.
//!
//! Prints one JSON line last.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bench::{Server, orbitr_binary, percentile, round};
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{CreateContainerOptions, EventsOptions, ListContainersOptions};
use futures::StreamExt;
use testkit::docker::TestRun;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const CONTAINERS: usize = 200;
const REQUESTS: usize = 500;
const OPERATIONS: usize = 100;

fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let run = TestRun::new()?;
    let image = run.fixture_image().await?;
    let docker = run.docker().clone();

    // 200 running containers, eight at a time.
    let setup = Instant::now();
    let ids: Vec<String> = futures::stream::iter(0..CONTAINERS)
        .map(|i| {
            let (docker, image, labels, name) = (
                docker.clone(),
                image.clone(),
                run.labels(),
                run.name(&format!("state-{i}")),
            );
            async move {
                let id = docker
                    .create_container(
                        Some(CreateContainerOptions {
                            name: Some(name),
                            ..Default::default()
                        }),
                        ContainerCreateBody {
                            image: Some(image),
                            labels: Some(labels),
                            ..Default::default()
                        },
                    )
                    .await?
                    .id;
                docker.start_container(&id, None).await?;
                anyhow::Ok(id)
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    eprintln!("{} containers up in {:?}", ids.len(), setup.elapsed());

    let server = Server::start(&orbitr_binary()?, &[]).await?;
    let base = server.base.clone();
    let list_url = format!("{base}/api/v1/containers");
    // The live state has them all.
    let started = Instant::now();
    loop {
        let list: serde_json::Value = server.client.get(&list_url).send().await?.json().await?;
        let seen = list["containers"].as_array().map_or(0, Vec::len);
        if seen >= CONTAINERS && list["stale"] == false {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "Orbitr saw {seen} containers after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Lists, alternating so both see the same conditions.
    let mut orbitr_ms = Vec::with_capacity(REQUESTS);
    let mut docker_ms = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        let t = Instant::now();
        let body = server.client.get(&list_url).send().await?.bytes().await?;
        orbitr_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(body.len() > 1000, "short list answer");
        let t = Instant::now();
        let list = docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                ..Default::default()
            }))
            .await?;
        docker_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(list.len() >= CONTAINERS, "short engine list");
    }

    // Push latency: engine event time → websocket receipt.
    let created: serde_json::Value = server
        .client
        .post(format!("{base}/api/create_api_token"))
        .header("origin", &base)
        .form(&[("name", "bench"), ("scope", "read")])
        .send()
        .await?
        .json()
        .await?;
    let token = created["secret"].as_str().unwrap_or_default().to_owned();
    let mut request =
        format!("{}/api/v1/events", base.replace("http", "ws")).into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let target = ids[0].clone();
    // The stream is opened at its first poll, after the first operation: `since` replays it.
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)?
        .as_secs()
        .to_string();
    let mut events = docker.events(Some(EventsOptions {
        since: Some(since),
        filters: Some(
            [
                ("container".to_owned(), vec![target.clone()]),
                (
                    "event".to_owned(),
                    vec!["start".to_owned(), "die".to_owned()],
                ),
            ]
            .into(),
        ),
        ..Default::default()
    }));
    let mut push_ms = Vec::with_capacity(OPERATIONS);
    for op in 0..OPERATIONS {
        let (want, result) = if op % 2 == 0 {
            ("exited", docker.stop_container(&target, None).await)
        } else {
            ("running", docker.start_container(&target, None).await)
        };
        result?;
        let event = tokio::time::timeout(Duration::from_secs(5), events.next())
            .await?
            .ok_or_else(|| anyhow::anyhow!("the engine's event stream ended"))??;
        let event_ns = event.time_nano.map_or(0, i128::from);
        let received_ns = loop {
            let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
                .await?
                .ok_or_else(|| anyhow::anyhow!("the websocket closed"))??;
            let Message::Text(text) = frame else { continue };
            let received = now_ns();
            let push: serde_json::Value = serde_json::from_str(&text)?;
            let container = &push["change"]["container"];
            if push["type"] == "container"
                && container["id"] == target.as_str()
                && container["state"] == want
            {
                break received;
            }
        };
        push_ms.push((received_ns - event_ns) as f64 / 1e6);
    }
    let rss_mb = server.rss_mb()?;

    let list_p99 = percentile(&mut orbitr_ms, 99.0);
    let docker_p99 = percentile(&mut docker_ms, 99.0);
    let line = serde_json::json!({
        "bench": "state",
        "containers": CONTAINERS,
        "list_p50_ms": round(percentile(&mut orbitr_ms, 50.0), 2),
        "list_p99_ms": round(list_p99, 2),
        "docker_list_p50_ms": round(percentile(&mut docker_ms, 50.0), 2),
        "docker_list_p99_ms": round(docker_p99, 2),
        "list_ratio_p99": round(list_p99 / docker_p99, 3),
        "push_p50_ms": round(percentile(&mut push_ms, 50.0), 2),
        "push_p99_ms": round(percentile(&mut push_ms, 99.0), 2),
        "rss_mb": round(rss_mb, 1),
    });
    drop(server);
    drop(run);
    println!("{line}");
    Ok(())
}
