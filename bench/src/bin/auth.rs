//! `bench/auth`: what authentication costs.
//!
//! Against one release server: authenticated `GET /api/v1/me` with a session cookie and with a
//! bearer token vs `GET /healthz`, 64 connections for 20 s each (`BENCH_SECS` to change); then
//! 20 concurrent sign-ins for 20 s while a probe measures an authenticated request's latency.
//! Prints one JSON line last.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bench::{BENCH_EMAIL, BENCH_PASSWORD, Server, orbitr_binary, percentile, round};
use tokio::sync::Mutex;

const CONNECTIONS: usize = 64;
const LOGINS: usize = 20;

/// Requests per second of `request` from `CONNECTIONS` concurrent loops for `secs`.
async fn throughput(
    secs: u64,
    request: impl Fn() -> reqwest::RequestBuilder + Send + Sync + 'static,
) -> anyhow::Result<f64> {
    let request = Arc::new(request);
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (request, done, failed) =
            (Arc::clone(&request), Arc::clone(&done), Arc::clone(&failed));
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                match request().send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let failed = failed.load(Ordering::Relaxed);
    anyhow::ensure!(failed == 0, "{failed} requests failed");
    Ok(done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let secs: u64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let server = Server::start(&orbitr_binary()?, &[]).await?;
    let base = server.base.clone();

    let token = server.api_token("read").await?;

    let plain = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()?;
    let healthz_rps = {
        let (c, url) = (plain.clone(), format!("{base}/healthz"));
        throughput(secs, move || c.get(&url)).await?
    };
    let session_rps = {
        let (c, url) = (server.client.clone(), format!("{base}/api/v1/me"));
        throughput(secs, move || c.get(&url)).await?
    };
    let token_rps = {
        let (c, url, t) = (plain.clone(), format!("{base}/api/v1/me"), token.clone());
        throughput(secs, move || c.get(&url).bearer_auth(&t)).await?
    };
    eprintln!(
        "auth: healthz {healthz_rps:.0}/s, session {session_rps:.0}/s, token {token_rps:.0}/s"
    );

    // Sign-in flood, with a probe measuring what it does to everyone else.
    let deadline = Instant::now() + Duration::from_secs(secs);
    let login_ms = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..LOGINS {
        let (base, login_ms) = (base.clone(), Arc::clone(&login_ms));
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let client = reqwest::Client::builder().no_proxy().build()?;
                let started = Instant::now();
                let r = client
                    .post(format!("{base}/api/login"))
                    .header("origin", &base)
                    .form(&[("email", BENCH_EMAIL), ("password", BENCH_PASSWORD)])
                    .send()
                    .await?;
                anyhow::ensure!(r.status().is_success(), "sign-in failed: {}", r.status());
                login_ms
                    .lock()
                    .await
                    .push(started.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok(())
        }));
    }
    let probe = {
        let (client, url) = (server.client.clone(), format!("{base}/api/v1/me"));
        tokio::spawn(async move {
            let mut ms = Vec::new();
            while Instant::now() < deadline {
                let started = Instant::now();
                client.get(&url).send().await?.bytes().await?;
                ms.push(started.elapsed().as_secs_f64() * 1000.0);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            anyhow::Ok(ms)
        })
    };
    let login_started = Instant::now();
    for t in tasks {
        t.await??;
    }
    let mut others = probe.await??;
    let mut logins = login_ms.lock().await.clone();
    let login_rps = logins.len() as f64 / login_started.elapsed().as_secs_f64();

    let line = serde_json::json!({
        "bench": "auth",
        "session_rps": round(session_rps, 0),
        "token_rps": round(token_rps, 0),
        "healthz_rps": round(healthz_rps, 0),
        "ratio_session": round(session_rps / healthz_rps, 2),
        "login_p99_ms": round(percentile(&mut logins, 99.0), 1),
        "login_rps": round(login_rps, 1),
        "others_p99_during_logins_ms": round(percentile(&mut others, 99.0), 1),
    });
    println!("{line}");
    Ok(())
}
