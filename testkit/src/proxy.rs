//! A Unix-socket proxy in front of the Docker engine that a test can cut and restore, to see how
//! Orbitr behaves when the engine goes away and comes back.

use std::path::{Path, PathBuf};

use anyhow::Context;
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinSet;

/// The engine's socket the proxy forwards to.
pub const DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// Forwards connections on `path` to the engine while up.
pub struct SocketProxy {
    path: PathBuf,
    upstream: PathBuf,
    tasks: Option<JoinSet<()>>,
}

impl SocketProxy {
    /// A proxy at `path` (not listening yet) for the engine's default socket.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            upstream: PathBuf::from(DOCKER_SOCKET),
            tasks: None,
        }
    }

    /// `unix://…` address of the proxy, for `docker_host` settings.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    /// Starts accepting and forwarding.
    pub fn start(&mut self) -> anyhow::Result<()> {
        if self.tasks.is_some() {
            return Ok(());
        }
        let _ = std::fs::remove_file(&self.path);
        let listener = UnixListener::bind(&self.path)
            .with_context(|| format!("binding {}", self.path.display()))?;
        let upstream = self.upstream.clone();
        let mut tasks = JoinSet::new();
        tasks.spawn(accept_loop(listener, upstream));
        self.tasks = Some(tasks);
        Ok(())
    }

    /// Cuts the engine off: closes the listener and every open connection, removes the socket.
    pub fn stop(&mut self) {
        if let Some(mut tasks) = self.tasks.take() {
            tasks.abort_all();
        }
        let _ = std::fs::remove_file(&self.path);
    }

    /// Whether the proxy is forwarding.
    pub fn is_up(&self) -> bool {
        self.tasks.is_some()
    }

    /// Path of the proxy socket.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SocketProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept_loop(listener: UnixListener, upstream: PathBuf) {
    // Connections live in this set, so aborting the accept loop drops (closes) them all.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((mut client, _)) = accepted else { continue };
                let upstream = upstream.clone();
                connections.spawn(async move {
                    if let Ok(mut server) = UnixStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}
