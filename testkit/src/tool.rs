//! Starting a test server installed by `make test` (a PyPI tool in its `.tools/<name>`
//! virtualenv): where its executable is, a free loopback port for it, and its process, killed
//! when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};

/// The executable `env` names, else `.tools/<default>` under the workspace; an error saying how
/// to install it when it is missing.
pub fn executable(env: &str, default: &str, what: &str) -> anyhow::Result<PathBuf> {
    let path = std::env::var_os(env).map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../.tools")
                .join(default)
        },
        PathBuf::from,
    );
    if !path.exists() {
        bail!(
            "{what} is not installed at {} (run `make test`, or set {env})",
            path.display()
        );
    }
    Ok(path)
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A test server's process: killed and reaped when dropped.
pub struct Daemon(Child);

impl Daemon {
    /// Starts `command` with no input and its output discarded.
    pub fn spawn(command: &mut Command) -> anyhow::Result<Self> {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", command.get_program().to_string_lossy()))?;
        Ok(Self(child))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
