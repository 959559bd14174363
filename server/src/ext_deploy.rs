//! `orbitr ext test DIR --deploy`: the real install path against the Docker engine, in a
//! throwaway data dir (its own SQLite database and secrets key) and workspace: the folder is
//! added as a source, installed with its defaults (and `--set` values), its containers waited
//! on until they run (and are healthy when they have a health check), reported, and uninstalled
//! with their volumes, whatever happened.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use engine::clock::now_ms;
use engine::db::{Database, DatabaseUrl};
use engine::docker::DockerEngine;
use engine::extensions::manifest::Manifest;
use engine::extensions::market::{InstallForm, NewSource};
use engine::marketplace::Installer;
use engine::model::resources::ContainerView;
use engine::services::{ServiceConfig, Services};

const ACTOR: &str = "orbitr ext test";

/// Installs, waits, reports and uninstalls; the report's lines, or why it failed.
pub async fn deploy_test(
    dir: &Path,
    manifest: &Manifest,
    values: BTreeMap<String, String>,
    docker_host: Option<&str>,
    timeout: Duration,
) -> anyhow::Result<String> {
    let data = tempfile::tempdir().context("a temporary data dir")?;
    let db = Database::open(DatabaseUrl::sqlite_file(&data.path().join("orbitr.db")))
        .await
        .context("a temporary database")?;
    let mut config = ServiceConfig::new(data.path());
    config.docker_host = docker_host.map(str::to_owned);
    let services = Services::open(db.clone(), &config).await?;
    let docker = services.docker.clone();
    if !docker.connect().await {
        bail!(
            "the Docker engine at {} is unreachable: {}",
            docker.status().host,
            docker.status().error.unwrap_or_default()
        );
    }
    let _monitor = docker.spawn_monitor();
    let market = services.marketplace;
    let short = uuid::Uuid::now_v7().simple().to_string();
    let short = &short[short.len() - 8..];
    let workspace = format!("ext-test-{short}");
    engine::on_pool!(&db, |pool| {
        sqlx::query(
            "INSERT INTO workspaces (id, name, name_key, created_at, created_by) VALUES ($1, $1, $1, $2, $3)",
        )
        .bind(&workspace)
        .bind(now_ms())
        .bind(ACTOR)
        .execute(pool)
        .await
        .context("the temporary workspace")?;
    });
    let location = dir.canonicalize().context("the extension folder")?;
    market
        .add_source(
            &NewSource {
                name: "test".into(),
                kind: "folder".into(),
                location: location.to_string_lossy().into_owned(),
                reference: None,
            },
            ACTOR,
        )
        .await?;
    let stack = format!("ext-test-{}-{short}", manifest.id);
    let form = InstallForm {
        extension: manifest.id.clone(),
        source: None,
        stack: stack.clone(),
        inputs: values,
    };
    let who = Installer {
        actor: ACTOR,
        admin: true,
        policy: None,
    };
    let started = Instant::now();
    let working = market.install(&workspace, &form, who).await?;
    let installed = working
        .done
        .await
        .unwrap_or_else(|_| Err("the install ended without a result".into()));
    let mut report = String::new();
    let outcome = match installed {
        Err(reason) => Err(anyhow::anyhow!(reason)),
        Ok(()) => {
            let _ = writeln!(
                report,
                "installed {} {} as {stack} in {:.1} s",
                manifest.id,
                manifest.version,
                started.elapsed().as_secs_f64()
            );
            wait_ready(&docker, &stack, timeout)
                .await
                .map(|containers| {
                    for c in containers {
                        let _ = writeln!(
                            report,
                            "  {} ({}): {}{}",
                            c.service.clone().unwrap_or_default(),
                            c.image,
                            c.state,
                            c.health.map(|h| format!(", {h}")).unwrap_or_default()
                        );
                    }
                    let _ = writeln!(report, "ready in {:.1} s", started.elapsed().as_secs_f64());
                })
        }
    };
    // Whatever happened: every app of the throwaway workspace goes, with its volumes.
    let mut apps = market.apps(Some(std::slice::from_ref(&workspace))).await?;
    apps.reverse();
    for app in apps {
        if let Err(e) = market.uninstall(&app.id, true, ACTOR).await {
            let _ = writeln!(report, "uninstalling {} failed: {e}", app.stack);
        }
    }
    outcome?;
    let _ = writeln!(report, "uninstalled; nothing left");
    Ok(report)
}

/// The stack's containers once all run (and are healthy when they have a health check).
async fn wait_ready(
    docker: &DockerEngine,
    stack: &str,
    timeout: Duration,
) -> anyhow::Result<Vec<ContainerView>> {
    let started = Instant::now();
    loop {
        let containers = docker
            .containers()
            .filtered(|c| c.stack.as_deref() == Some(stack));
        let ready = !containers.is_empty()
            && containers.iter().all(|c| {
                c.state == "running" && c.health.as_deref().is_none_or(|h| h == "healthy")
            });
        if ready {
            return Ok(containers);
        }
        if started.elapsed() > timeout {
            let states: Vec<String> = containers
                .iter()
                .map(|c| {
                    format!(
                        "{}: {}{}",
                        c.name,
                        c.state,
                        c.health
                            .as_deref()
                            .map(|h| format!(" ({h})"))
                            .unwrap_or_default()
                    )
                })
                .collect();
            bail!(
                "not ready after {} s: {}",
                timeout.as_secs(),
                if states.is_empty() {
                    "no container".to_owned()
                } else {
                    states.join(", ")
                }
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
