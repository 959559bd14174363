//! A real OpenID Connect provider for tests: PyPI's `oidc-provider-mock` (installed pinned by
//! `tools/test-tools.sh` into `.tools/oidc-mock`), started on a free port and stopped on drop.
//!
//! Any client id and secret are accepted. A person "signs in" by posting `sub=<subject>` to the
//! authorization URL (as its HTML form does); claims are set beforehand with [`OidcMock::set_user`].

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::tool::{Daemon, executable, free_port};

/// Environment variable naming the mock's executable (default: the one `make test` installs).
pub const BINARY_ENV: &str = "ORBITR_OIDC_MOCK";

/// A running mock provider.
pub struct OidcMock {
    _process: Daemon,
    /// The issuer, exactly as the mock writes it in its discovery document.
    pub issuer: String,
}

impl OidcMock {
    /// Starts the mock and waits until its discovery document answers.
    pub async fn start() -> anyhow::Result<Self> {
        let binary = executable(
            BINARY_ENV,
            "oidc-mock/bin/oidc-provider-mock",
            "the OIDC test provider",
        )?;
        let port = free_port()?;
        let process = Daemon::spawn(Command::new(&binary).args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ]))?;
        let mock = Self {
            _process: process,
            issuer: format!("http://127.0.0.1:{port}"),
        };
        let discovery = format!("{}/.well-known/openid-configuration", mock.issuer);
        let started = Instant::now();
        loop {
            if let Ok(response) = http_request("GET", &discovery, None).await
                && response.0 == 200
            {
                return Ok(mock);
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("the OIDC test provider did not answer at {discovery} within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sets the claims the provider hands out for `sub` (e.g. `{"email": …, "email_verified": true}`).
    pub async fn set_user(&self, sub: &str, claims_json: &str) -> anyhow::Result<()> {
        let url = format!("{}/users/{sub}", self.issuer);
        let (status, body) =
            http_request("PUT", &url, Some(("application/json", claims_json))).await?;
        if status != 204 {
            bail!("PUT {url} answered {status}: {body}");
        }
        Ok(())
    }
}

/// A minimal HTTP/1.1 request over a plain TCP connection (the mock speaks plain HTTP on
/// loopback): returns the status and body.
async fn http_request(
    method: &str,
    url: &str,
    body: Option<(&str, &str)>,
) -> anyhow::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").context("http:// URL")?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    let (content_type, content) = body.unwrap_or(("text/plain", ""));
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{content}",
        content.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("HTTP status line")?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}
