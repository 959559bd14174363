//! A real, local image registry (Debian's `docker-registry`) with basic-auth users, on a free
//! port of 127.0.0.1, for tests of pulls with credentials. Stops (and its storage goes) on drop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::StreamExt;

use crate::docker::TestRun;

/// The registry server binary.
pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// A running registry.
pub struct LocalRegistry {
    child: Child,
    /// `127.0.0.1:<port>`, the host part of image references.
    pub host: String,
    _dir: tempfile::TempDir,
}

impl LocalRegistry {
    /// Starts a registry that accepts `user` with `password` (bcrypt, via `htpasswd`).
    pub async fn start(user: &str, password: &str) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let htpasswd = Command::new("htpasswd")
            .args(["-Bbn", user, password])
            .output()
            .context("running htpasswd (Debian's apache2-utils; make test installs it)")?;
        if !htpasswd.status.success() {
            bail!("htpasswd failed");
        }
        let auth: PathBuf = dir.path().join("htpasswd");
        std::fs::write(&auth, &htpasswd.stdout)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let host = format!("127.0.0.1:{port}");
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {host}\nauth:\n  htpasswd:\n    realm: orbitr-test\n    path: {}\n",
                dir.path().join("data").display(),
                auth.display()
            ),
        )?;
        let child = Command::new(REGISTRY_BIN)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| {
                format!("starting {REGISTRY_BIN} (Debian's docker-registry; make test installs it)")
            })?;
        let registry = Self {
            child,
            host: host.clone(),
            _dir: dir,
        };
        let started = Instant::now();
        let client = reqwest::Client::new();
        loop {
            if let Ok(r) = client.get(format!("http://{host}/v2/")).send().await
                && r.status().as_u16() == 401
            {
                return Ok(registry);
            }
            if started.elapsed() > Duration::from_secs(10) {
                bail!("the registry on {host} did not answer within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl LocalRegistry {
    /// Builds an image of this run (the fixture plus a layer of its own), pushes it here as
    /// `<host>/<run>/fixture:v1` with `user`'s credentials and removes it locally, so a pull has
    /// a layer to fetch. Returns the reference.
    pub async fn publish_run_image(
        &self,
        run: &TestRun,
        user: &str,
        password: &str,
    ) -> anyhow::Result<String> {
        let base = run.fixture_image().await?;
        let repo = format!("{}/{}/fixture", self.host, run.id());
        let reference = format!("{repo}:v1");
        let marker = format!("{}\n", run.id()).repeat(4096);
        crate::docker::build_image(
            run.docker(),
            &format!("FROM {base}\nCOPY marker /marker\n"),
            &[("marker", marker.as_bytes(), 0o644)],
            &reference,
            run.labels(),
        )
        .await?;
        let mut push = run.docker().push_image(
            &repo,
            Some(bollard::query_parameters::PushImageOptions {
                tag: Some("v1".into()),
                ..Default::default()
            }),
            Some(bollard::auth::DockerCredentials {
                username: Some(user.into()),
                password: Some(password.into()),
                serveraddress: Some(self.host.clone()),
                ..Default::default()
            }),
        );
        while let Some(item) = push.next().await {
            if let Some(error) = item?.error_detail.and_then(|d| d.message) {
                bail!("pushing {reference} failed: {error}");
            }
        }
        remove_local(run, &reference).await?;
        Ok(reference)
    }
}

/// Removes a local image (and the layers only it uses) by reference.
pub async fn remove_local(run: &TestRun, reference: &str) -> anyhow::Result<()> {
    run.docker()
        .remove_image(
            reference,
            Some(bollard::query_parameters::RemoveImageOptions {
                force: true,
                ..Default::default()
            }),
            None,
        )
        .await
        .with_context(|| format!("removing {reference}"))?;
    Ok(())
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
