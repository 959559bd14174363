//! A real SMTP server for tests: PyPI's `aiosmtpd` (installed pinned by `tools/test-tools.sh`
//! into `.tools/aiosmtpd`) with its Mailbox handler, started on a free port and stopped on drop.
//! Each message it accepts lands as a file in a Maildir; [`SmtpServer::messages`] reads them.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::bail;

use crate::tool::{Daemon, executable, free_port};

/// Environment variable naming the server's executable (default: the one `make test` installs).
pub const BINARY_ENV: &str = "ORBITR_AIOSMTPD";

/// A running SMTP server.
pub struct SmtpServer {
    _process: Daemon,
    maildir: tempfile::TempDir,
    pub host: String,
    pub port: u16,
}

impl SmtpServer {
    /// Starts the server and waits until it greets.
    pub async fn start() -> anyhow::Result<Self> {
        let binary = executable(BINARY_ENV, "aiosmtpd/bin/aiosmtpd", "the SMTP test server")?;
        let maildir = tempfile::tempdir()?;
        let port = free_port()?;
        let process = Daemon::spawn(
            Command::new(&binary)
                .args(["-n", "-l", &format!("127.0.0.1:{port}")])
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(maildir.path().join("mail")),
        )?;
        let server = Self {
            _process: process,
            maildir,
            host: "127.0.0.1".into(),
            port,
        };
        let started = Instant::now();
        loop {
            if let Ok(stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                let mut greeting = [0_u8; 3];
                stream.readable().await?;
                if matches!(stream.try_read(&mut greeting), Ok(3)) && &greeting == b"220" {
                    return Ok(server);
                }
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("the SMTP test server did not greet on port {port} within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every message accepted so far, as received (headers and body), oldest first.
    pub fn messages(&self) -> anyhow::Result<Vec<String>> {
        let dir = self.maildir.path().join("mail/new");
        let mut files: Vec<_> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        files.sort();
        files
            .into_iter()
            .map(|f| Ok(std::fs::read_to_string(f)?))
            .collect()
    }

    /// Waits up to 10 s for the `n`-th message.
    pub async fn wait_for(&self, n: usize) -> anyhow::Result<Vec<String>> {
        let started = Instant::now();
        loop {
            let messages = self.messages()?;
            if messages.len() >= n {
                return Ok(messages);
            }
            if started.elapsed() > Duration::from_secs(10) {
                bail!("{} messages arrived, not {n}", messages.len());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
