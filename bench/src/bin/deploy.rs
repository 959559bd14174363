//! `bench/deploy`: deploying a 20-service stack with Orbitr's API vs the Compose CLI installed
//! on this machine (`docker compose`, or `docker-compose` when that is what there is).
//!
//! The file: 20 services of the fixture image in four `depends_on` chains of five whose heads
//! must be healthy before the next starts (`service_healthy`, a 1 s health check), the rest
//! `service_started`; 3 networks; 5 volumes. Five alternating runs of each tool, each run:
//! cold deploy (nothing exists), one service changed (its environment), for Orbitr a no-op
//! deploy, then down. Medians are printed as one JSON line last.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bench::{Server, orbitr_binary, round};
use testkit::docker::TestRun;

const RUNS: usize = 5;

fn compose_file(image: &str, marker: &str) -> String {
    let mut out = String::from("services:\n");
    for chain in 0..4 {
        for link in 0..5 {
            let n = chain * 5 + link + 1;
            out.push_str(&format!("  s{n:02}:\n    image: {image}\n"));
            out.push_str(&format!(
                "    networks: [n{}, n{}]\n",
                chain % 3 + 1,
                (chain + 1) % 3 + 1
            ));
            if link == 0 {
                out.push_str("    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 1s\n      retries: 30\n");
                out.push_str(&format!("    volumes: [\"v{}:/data\"]\n", chain + 1));
            } else if link == 1 {
                out.push_str(&format!(
                    "    depends_on:\n      s{:02}: {{condition: service_healthy}}\n",
                    n - 1
                ));
            } else {
                out.push_str(&format!(
                    "    depends_on:\n      s{:02}: {{condition: service_started}}\n",
                    n - 1
                ));
            }
            if n == 20 {
                out.push_str(&format!(
                    "    environment:\n      MARKER: \"{marker}\"\n    volumes: [\"v5:/data\"]\n"
                ));
            }
        }
    }
    out.push_str("networks:\n  n1: {}\n  n2: {}\n  n3: {}\n");
    out.push_str("volumes:\n  v1: {}\n  v2: {}\n  v3: {}\n  v4: {}\n  v5: {}\n");
    out
}

/// The Compose CLI: (program, leading args, version).
fn compose_cli() -> anyhow::Result<(String, Vec<String>, String)> {
    let v2 = Command::new("docker")
        .args(["compose", "version", "--short"])
        .output();
    if let Ok(out) = v2
        && out.status.success()
    {
        let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        return Ok(("docker".into(), vec!["compose".into()], version));
    }
    let out = Command::new("docker-compose")
        .arg("version")
        .arg("--short")
        .output()
        .context("neither `docker compose` nor `docker-compose` is installed")?;
    if !out.status.success() {
        bail!("docker-compose version failed");
    }
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Ok(("docker-compose".into(), Vec::new(), version))
}

fn run_cli(
    cli: &(String, Vec<String>, String),
    project: &str,
    file: &Path,
    args: &[&str],
) -> anyhow::Result<Duration> {
    let v2 = cli.1.len() == 1;
    let mut cmd = Command::new(&cli.0);
    cmd.args(&cli.1)
        .args(["-p", project, "-f"])
        .arg(file)
        .args(args);
    if v2 && args.first() == Some(&"up") {
        cmd.arg("--wait");
    }
    let started = Instant::now();
    let out = cmd.output().context("running the Compose CLI")?;
    let took = started.elapsed();
    if !out.status.success() {
        bail!(
            "{} {:?} failed: {}",
            cli.0,
            args,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(took)
}

async fn operation(server: &Server, stack: &str, operation: &str) -> anyhow::Result<Duration> {
    // `down` removes the volumes too, as `docker compose down --volumes` does below.
    let started = Instant::now();
    let record: serde_json::Value = server
        .client
        .post(format!(
            "{}/api/v1/stacks/{stack}/operations?wait=true",
            server.base
        ))
        .header("origin", &server.base)
        .json(&serde_json::json!({ "operation": operation, "volumes": true }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let took = started.elapsed();
    if std::env::var_os("BENCH_TRACE").is_some() {
        // Where the time goes: each event's offset from the operation's start.
        let start = record["brief"]["started_at"].as_i64().unwrap_or(0);
        for e in record["events"].as_array().into_iter().flatten() {
            eprintln!(
                "  +{:>5} ms {:<10} {}",
                e["at"].as_i64().unwrap_or(0) - start,
                e["phase"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            );
        }
    }
    if record["brief"]["status"] != "succeeded" {
        bail!("orbitr {operation} failed: {}", record["brief"]["error"]);
    }
    Ok(took)
}

async fn save(server: &Server, stack: &str, compose: &str) -> anyhow::Result<()> {
    server
        .client
        .put(format!("{}/api/v1/stacks/{stack}", server.base))
        .header("origin", &server.base)
        .json(&serde_json::json!({ "compose": compose, "env": "" }))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut run = TestRun::new()?;
    let image = run.fixture_image().await?;
    let cli = compose_cli()?;
    let orbitr_project = format!("{}-orbitr", run.id());
    let cli_project = format!("{}-cli", run.id());
    for p in [&orbitr_project, &cli_project] {
        run.also_remove(format!("com.docker.compose.project={p}"));
    }
    let dir = tempfile::tempdir()?;
    let cli_file = dir.path().join("compose.yaml");

    let server = Server::start(&orbitr_binary()?, &[]).await?;
    let workspace: serde_json::Value = server
        .client
        .post(format!("{}/api/v1/workspaces", server.base))
        .header("origin", &server.base)
        .json(&serde_json::json!({ "name": "Bench" }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let ws = workspace["id"].as_str().context("workspace id")?.to_owned();
    server
        .client
        .post(format!("{}/api/v1/workspaces/{ws}/stacks", server.base))
        .header("origin", &server.base)
        .json(&serde_json::json!({ "name": orbitr_project, "compose": compose_file(&image, "0"), "env": "" }))
        .send()
        .await?
        .error_for_status()?;

    let (mut o_cold, mut o_changed, mut o_noop, mut o_down) = (vec![], vec![], vec![], vec![]);
    let (mut c_cold, mut c_changed, mut c_down) = (vec![], vec![], vec![]);
    for i in 0..RUNS {
        // Alternate which tool goes first, so neither always meets a warmer engine.
        for turn in 0..2 {
            if (i + turn) % 2 == 0 {
                save(&server, &orbitr_project, &compose_file(&image, "0")).await?;
                o_cold.push(
                    operation(&server, &orbitr_project, "deploy")
                        .await?
                        .as_secs_f64(),
                );
                save(&server, &orbitr_project, &compose_file(&image, "1")).await?;
                o_changed.push(
                    operation(&server, &orbitr_project, "deploy")
                        .await?
                        .as_secs_f64(),
                );
                o_noop.push(
                    operation(&server, &orbitr_project, "deploy")
                        .await?
                        .as_secs_f64()
                        * 1000.0,
                );
                o_down.push(
                    operation(&server, &orbitr_project, "down")
                        .await?
                        .as_secs_f64(),
                );
            } else {
                std::fs::write(&cli_file, compose_file(&image, "0"))?;
                c_cold.push(run_cli(&cli, &cli_project, &cli_file, &["up", "-d"])?.as_secs_f64());
                std::fs::write(&cli_file, compose_file(&image, "1"))?;
                c_changed
                    .push(run_cli(&cli, &cli_project, &cli_file, &["up", "-d"])?.as_secs_f64());
                c_down.push(
                    run_cli(&cli, &cli_project, &cli_file, &["down", "--volumes"])?.as_secs_f64(),
                );
            }
        }
        eprintln!(
            "run {}: orbitr cold {:.2}s changed {:.2}s noop {:.0}ms down {:.2}s | compose cold {:.2}s changed {:.2}s down {:.2}s",
            i + 1,
            o_cold[i],
            o_changed[i],
            o_noop[i],
            o_down[i],
            c_cold[i],
            c_changed[i],
            c_down[i]
        );
    }
    let (oc, occ, on, od) = (
        median(o_cold),
        median(o_changed),
        median(o_noop),
        median(o_down),
    );
    let (cc, ccc, cd) = (median(c_cold), median(c_changed), median(c_down));
    println!(
        "{}",
        serde_json::json!({
            "bench": "deploy",
            "compose_version": cli.2,
            "services": 20,
            "orbitr_cold_s": round(oc, 3),
            "compose_cold_s": round(cc, 3),
            "cold_ratio": round(oc / cc, 3),
            "orbitr_one_changed_s": round(occ, 3),
            "compose_one_changed_s": round(ccc, 3),
            "changed_ratio": round(occ / ccc, 3),
            "orbitr_noop_ms": round(on, 1),
            "orbitr_down_s": round(od, 3),
            "compose_down_s": round(cd, 3),
        })
    );
    Ok(())
}
