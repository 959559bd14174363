//! Shared helpers of Orbitr's benchmarks: locating and starting the built server, percentiles.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The workspace root (benchmarks find the built binary and site there).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ is inside the workspace")
        .to_owned()
}

/// The release `orbitr` binary (`BENCH_ORBITR_BIN` overrides).
pub fn orbitr_binary() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("BENCH_ORBITR_BIN").map_or_else(
        || workspace_root().join("target/release/orbitr"),
        PathBuf::from,
    );
    if !path.is_file() {
        bail!("{} not found: run `make build` first", path.display());
    }
    Ok(path)
}

/// A free port on 127.0.0.1.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The account benchmarks sign in with.
pub const BENCH_EMAIL: &str = "bench@orbitr.test";
pub const BENCH_PASSWORD: &str = "benchmark quiet meadow lantern";

/// An `orbitr serve` process with a temporary data dir; killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    /// Signed in as [`BENCH_EMAIL`], a platform admin.
    pub client: reqwest::Client,
    _data: tempfile::TempDir,
}

impl Server {
    /// Creates an admin with `orbitr admin create`, starts the server, waits until `/healthz`
    /// answers (at most 30 s) and signs in.
    pub async fn start(binary: &Path, extra_env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let data = tempfile::tempdir()?;
        let mut admin = Command::new(binary)
            .args([
                "admin",
                "create",
                "--email",
                BENCH_EMAIL,
                "--password-stdin",
            ])
            .arg("--data-dir")
            .arg(data.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .context("creating the benchmark account")?;
        {
            use std::io::Write;
            let mut stdin = admin.stdin.take().context("stdin")?;
            stdin.write_all(format!("{BENCH_PASSWORD}\n").as_bytes())?;
        }
        if !admin.wait()?.success() {
            bail!("orbitr admin create failed");
        }
        let port = free_port()?;
        let mut cmd = Command::new(binary);
        cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(data.path())
            .env("ORBITR_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().context("starting orbitr")?;
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .no_proxy()
            .build()?;
        let server = Self {
            child,
            base: base.clone(),
            client: client.clone(),
            _data: data,
        };
        let started = Instant::now();
        loop {
            if let Ok(r) = client.get(format!("{base}/healthz")).send().await
                && r.status().is_success()
            {
                let login = client
                    .post(format!("{base}/api/login"))
                    .header("origin", &base)
                    .form(&[("email", BENCH_EMAIL), ("password", BENCH_PASSWORD)])
                    .send()
                    .await?;
                if !login.status().is_success() {
                    bail!("signing in failed: {}", login.status());
                }
                return Ok(server);
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("orbitr did not answer /healthz within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A new API token of the benchmark account (`scope`: `read` or `write`).
    pub async fn api_token(&self, scope: &str) -> anyhow::Result<String> {
        let created: serde_json::Value = self
            .client
            .post(format!("{}/api/create_api_token", self.base))
            .header("origin", &self.base)
            .form(&[("name", "bench"), ("scope", scope)])
            .send()
            .await?
            .json()
            .await?;
        let token = created["secret"].as_str().unwrap_or_default().to_owned();
        anyhow::ensure!(token.starts_with("orbitr_"), "no token: {created}");
        Ok(token)
    }

    /// Resident memory of the server process, in MiB.
    pub fn rss_mb(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .context("VmRSS missing")?
            .parse()?;
        Ok(kb / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `p`-th percentile (0–100) of `samples` (sorted in place), nearest rank.
pub fn percentile(samples: &mut [f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

/// Rounds for the JSON line.
pub fn round(value: f64, places: i32) -> f64 {
    let factor = 10f64.powi(places);
    (value * factor).round() / factor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&mut v, 50.0), 50.0);
        assert_eq!(percentile(&mut v, 99.0), 99.0);
        assert_eq!(percentile(&mut v, 100.0), 100.0);
        assert!(percentile(&mut [], 50.0).is_nan());
    }
}
