//! Browser test harness: the built `orbitr` binary with a temporary data dir, Debian's chromedriver
//! and headless Chromium, and condition waits (never fixed sleeps).

use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// The admin browser tests create.
pub const ADMIN_NAME: &str = "Ada Admin";
pub const ADMIN_EMAIL: &str = "admin@orbitr.test";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// The console line of a download Chromium cut off because the host's network changed.
const NETWORK_CHANGED: &str = "net::ERR_NETWORK_CHANGED";

/// How long a condition may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// A page's state when it did not hydrate: where it is, how far it loaded, and each module and
/// call it fetched with when it started and how long it took (one still under way is absent).
const HYDRATION_STATE: &str = r#"
return JSON.stringify({
  page: location.pathname,
  ready: document.readyState,
  since_load_ms: Math.round(performance.now()),
  fetched: performance.getEntriesByType('resource').map(e =>
    new URL(e.name).pathname.split('/').slice(-2).join('/')
      + ' at ' + Math.round(e.startTime) + 'ms for ' + Math.round(e.duration) + 'ms'),
});
"#;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("end2end/ is inside the workspace")
        .to_owned()
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Whether a WebDriver command failed because its element was replaced in the page (a live
/// update redrew it) after it was found.
fn redrawn(e: &fantoccini::error::CmdError) -> bool {
    let text = e.to_string();
    text.contains("stale element") || text.contains("does not belong to the document")
}

/// Polls `check` every 50 ms until it yields `Some`, failing after `limit` with `what`.
pub async fn wait_until<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let started = Instant::now();
    let mut last_error = None;
    loop {
        match check().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(e) => last_error = Some(e),
        }
        if started.elapsed() > limit {
            match last_error {
                Some(e) => bail!("timed out after {limit:?} waiting for {what}; last error: {e:#}"),
                None => bail!("timed out after {limit:?} waiting for {what}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A child process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `orbitr serve` on `port` with `data` as its data dir.
fn spawn(port: u16, data: &Path, extra: &[String]) -> anyhow::Result<Process> {
    let binary = std::env::var_os("E2E_ORBITR_BIN").map_or_else(
        || workspace_root().join("target/debug/orbitr"),
        PathBuf::from,
    );
    if !binary.is_file() {
        bail!(
            "{} is missing: `make test` builds it (or `make build-dev`)",
            binary.display()
        );
    }
    let site = workspace_root().join("target/site");
    if !site.join("pkg/manifest.txt").is_file() {
        bail!(
            "{} has no built assets: run tools/build-site.sh dev",
            site.display()
        );
    }
    let child = Command::new(&binary)
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--log",
            "warn",
        ])
        .arg("--data-dir")
        .arg(data)
        .args(extra)
        .env("ORBITR_SITE_DIR", &site)
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    Ok(Process(child))
}

/// The built `orbitr` (debug build; `E2E_ORBITR_BIN` overrides) serving a temporary data dir.
pub struct Orbitr {
    pub base: String,
    process: Process,
    port: u16,
    extra: Vec<String>,
    data: tempfile::TempDir,
}

impl Orbitr {
    /// Starts `orbitr serve` with `extra_args` and waits for `/healthz`.
    pub async fn start(extra_args: &[&str]) -> anyhow::Result<Self> {
        let data = tempfile::tempdir()?;
        let port = free_port()?;
        let extra: Vec<String> = extra_args.iter().map(|a| (*a).to_owned()).collect();
        let process = spawn(port, data.path(), &extra)?;
        let orbitr = Self {
            base: format!("http://127.0.0.1:{port}"),
            process,
            port,
            extra,
            data,
        };
        orbitr.wait_healthy().await?;
        Ok(orbitr)
    }

    /// Kills the server with SIGKILL (no shutdown of any kind), then starts it again on the same
    /// port and data dir and waits for `/healthz`.
    pub async fn kill_and_restart(&mut self) -> anyhow::Result<()> {
        self.process.0.kill()?;
        self.process.0.wait()?;
        self.process = spawn(self.port, self.data.path(), &self.extra)?;
        self.wait_healthy().await
    }

    async fn wait_healthy(&self) -> anyhow::Result<()> {
        let health = format!("{}/healthz", self.base);
        wait_until("orbitr to answer /healthz", Duration::from_secs(30), || {
            let health = health.clone();
            async move {
                Ok(reqwest::get(&health)
                    .await
                    .ok()
                    .filter(|r| r.status().is_success())
                    .map(drop))
            }
        })
        .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Headless Chromium driven through chromedriver (both Debian packages).
///
/// Every step (waits, clicks, typing, scripts, the end) reads the browser's console through the
/// WebDriver session and fails on any error or wasm panic logged since the last step: a page that
/// throws is broken for its user even when the assertion passed. A test that provokes a refused
/// request says so with [`Browser::expect_console`], for that request alone.
pub struct Browser {
    pub client: Client,
    /// chromedriver's own address and this session, for reading the console log.
    /// chromedriver's address of this session (its log and Chrome DevTools commands).
    session_url: String,
    /// Fragments of console errors the test expects, each allowed once.
    expected: std::sync::Mutex<Vec<String>>,
    /// Fragments of console errors of pages that are not Orbitr's (a sign-in provider's).
    foreign: std::sync::Mutex<Vec<String>>,
    _driver: Process,
    _profile: tempfile::TempDir,
}

/// A test that fails before [`Browser::close`] still ends its browser session: killing
/// chromedriver alone would leave its Chromium running (and busy) after the test.
impl Drop for Browser {
    fn drop(&mut self) {
        use std::io::{Read, Write};
        let Some((address, path)) = self
            .session_url
            .strip_prefix("http://")
            .and_then(|rest| rest.split_once('/'))
        else {
            return;
        };
        let Ok(mut stream) = std::net::TcpStream::connect(address) else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "DELETE /{path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        if stream.write_all(request.as_bytes()).is_ok() {
            // Waits for chromedriver's answer: by then Chromium has quit.
            let _ = stream.read(&mut [0_u8; 512]);
        }
    }
}

/// One console entry as chromedriver reports it.
#[derive(Debug, serde::Deserialize)]
struct LogEntry {
    level: String,
    message: String,
}

impl Browser {
    pub async fn start() -> anyhow::Result<Self> {
        let port = free_port()?;
        let driver = Process(
            Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("starting chromedriver (Debian package chromium-driver)")?,
        );
        let status = format!("http://127.0.0.1:{port}/status");
        wait_until("chromedriver to be ready", Duration::from_secs(20), || {
            let status = status.clone();
            async move {
                let Ok(r) = reqwest::get(&status).await else {
                    return Ok(None);
                };
                let body: serde_json::Value = r.json().await?;
                Ok((body["value"]["ready"] == true).then_some(()))
            }
        })
        .await?;

        let profile = tempfile::tempdir()?;
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }),
        );
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("opening a browser session")?;
        let session = client
            .session_id()
            .await?
            .context("chromedriver gave no session id")?;
        Ok(Self {
            client,
            session_url: format!("http://127.0.0.1:{port}/session/{session}"),
            expected: std::sync::Mutex::new(Vec::new()),
            // Chromium cuts off downloads under way when the host's network interfaces change,
            // which the Docker engine does for every container other tests start. The page
            // tries such a download again (its boot script), so the cut itself is not a defect;
            // a page that did not recover still fails its test.
            foreign: std::sync::Mutex::new(vec![NETWORK_CHANGED.to_owned()]),
            _driver: driver,
            _profile: profile,
        })
    }

    /// Lets pages write to and read the clipboard without asking (a person would have answered
    /// the browser's prompt).
    pub async fn allow_clipboard(&self) -> anyhow::Result<()> {
        let answer = reqwest::Client::new()
            .post(format!("{}/goog/cdp/execute", self.session_url))
            .json(&json!({
                "cmd": "Browser.grantPermissions",
                "params": { "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"] }
            }))
            .send()
            .await?;
        anyhow::ensure!(
            answer.status().is_success(),
            "granting clipboard access: {}",
            answer.text().await?
        );
        Ok(())
    }

    /// Allows one console error containing `fragment` (a request the test means to be refused,
    /// e.g. `"status of 401"`): it is consumed by the first error it matches.
    pub fn expect_console(&self, fragment: &str) {
        if let Ok(mut expected) = self.expected.lock() {
            expected.push(fragment.to_owned());
        }
    }

    /// Allows every console error containing `fragment`: for pages that are not Orbitr's (a
    /// sign-in provider's own page), whose console is theirs.
    pub fn ignore_console(&self, fragment: &str) {
        if let Ok(mut foreign) = self.foreign.lock()
            && !foreign.iter().any(|f| f == fragment)
        {
            foreign.push(fragment.to_owned());
        }
    }

    /// The OIDC mock provider's own pages load a stylesheet from a CDN this machine cannot
    /// reach and ask for a favicon it lacks: their console is the provider's, not Orbitr's.
    /// Call before the click that leads there.
    pub fn ignore_provider_console(&self, mock: &testkit::oidc::OidcMock) {
        let origin: String = mock.issuer.split('/').take(3).collect::<Vec<_>>().join("/");
        self.ignore_console("cdn.jsdelivr.net");
        self.ignore_console(&format!("{origin}/"));
    }

    /// At the OIDC mock provider's own page: types the subject and presses its Authorize
    /// button.
    pub async fn authorize_at_provider(
        &self,
        mock: &testkit::oidc::OidcMock,
        sub: &str,
    ) -> anyhow::Result<()> {
        wait_until("the provider's sign-in form", PATIENCE, || async {
            let url = self.client.current_url().await?;
            Ok(url.as_str().starts_with(&mock.issuer).then_some(()))
        })
        .await?;
        self.wait_for("input[name=sub]").await?;
        self.fill("sub", sub).await?;
        self.click("form button[type=submit]:not([value=deny])")
            .await
    }

    /// Fails when the console logged an error (or the wasm panicked) since the last check,
    /// other than those announced with [`Browser::expect_console`].
    pub async fn check_console(&self) -> anyhow::Result<()> {
        let answer: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/se/log", self.session_url))
            .json(&json!({ "type": "browser" }))
            .send()
            .await
            .context("reading the browser console")?
            .json()
            .await?;
        let entries: Vec<LogEntry> = serde_json::from_value(answer["value"].clone())
            .with_context(|| format!("the console log as chromedriver sent it: {answer}"))?;
        let mut errors = Vec::new();
        for entry in entries {
            let panicked =
                entry.message.contains("panicked at") || entry.message.contains("RuntimeError");
            if entry.level != "SEVERE" && !panicked {
                continue;
            }
            let foreign = self
                .foreign
                .lock()
                .map_err(|_| anyhow::anyhow!("console exceptions poisoned"))?
                .iter()
                .any(|f| entry.message.contains(f.as_str()));
            if foreign {
                continue;
            }
            let mut expected = self
                .expected
                .lock()
                .map_err(|_| anyhow::anyhow!("console expectations poisoned"))?;
            match expected
                .iter()
                .position(|f| entry.message.contains(f.as_str()))
            {
                Some(i) if !panicked => {
                    expected.remove(i);
                }
                _ => errors.push(entry.message),
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            bail!("the browser console shows errors:\n{}", errors.join("\n"))
        }
    }

    /// Text of the first element matching `css`, if there is one.
    pub async fn text(&self, css: &str) -> anyhow::Result<Option<String>> {
        // An element redrawn between finding and reading it is read again by the next look.
        match self.client.find(Locator::Css(css)).await {
            Ok(el) => match el.text().await {
                Ok(text) => Ok(Some(text)),
                Err(e) if redrawn(&e) => Ok(None),
                Err(e) => Err(e.into()),
            },
            Err(e) if e.is_no_such_element() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether an element matches `css`.
    pub async fn exists(&self, css: &str) -> anyhow::Result<bool> {
        Ok(self.text(css).await?.is_some())
    }

    /// Waits until an element matching `css` exists.
    pub async fn wait_for(&self, css: &str) -> anyhow::Result<()> {
        let waited = wait_until(&format!("an element matching {css}"), PATIENCE, || async {
            Ok(self.exists(css).await?.then_some(()))
        })
        .await;
        // A page that threw explains a missing element better than the timeout does.
        self.check_console().await?;
        waited
    }

    /// Waits until the page is hydrated and its live connection is open.
    pub async fn wait_live(&self) -> anyhow::Result<()> {
        self.wait_for("[data-test=live]").await
    }

    /// Waits until the page has hydrated (forms and buttons work).
    pub async fn wait_hydrated(&self) -> anyhow::Result<()> {
        let waited = self.wait_for("body[data-hydrated]").await;
        if waited.is_err() {
            // Which page, and what it had fetched: a slow or missing chunk shows here.
            let seen = self.client.execute(HYDRATION_STATE, vec![]).await;
            return waited.with_context(|| match seen {
                Ok(state) => format!("the page did not hydrate: {state}"),
                Err(e) => format!("the page did not hydrate (its state is unreadable: {e})"),
            });
        }
        waited
    }

    /// Types `text` into the input named `name`.
    pub async fn fill(&self, name: &str, text: &str) -> anyhow::Result<()> {
        let input = self
            .client
            .find(Locator::Css(&format!("input[name='{name}']")))
            .await?;
        input.clear().await?;
        input.send_keys(text).await?;
        self.check_console().await
    }

    /// Clicks the first element matching `css`. A list redrawn by a live update between finding
    /// the element and clicking it replaces the element with an equal one: that one is clicked,
    /// as a user's second try would.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        let mut tries = 0;
        loop {
            let clicked = self.client.find(Locator::Css(css)).await?.click().await;
            match clicked {
                Ok(()) => break,
                Err(e) if redrawn(&e) && tries < 5 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.check_console().await
    }

    /// First run: opens Orbitr, is sent to the setup page, creates the admin and lands on the
    /// dashboard signed in.
    pub async fn set_up_admin(&self, orbitr: &Orbitr) -> anyhow::Result<()> {
        self.goto(&orbitr.url("/")).await?;
        self.wait_for("[data-test=setup-form]").await?;
        self.wait_hydrated().await?;
        self.fill("name", ADMIN_NAME).await?;
        self.fill("email", ADMIN_EMAIL).await?;
        self.fill("password", ADMIN_PASSWORD).await?;
        self.fill("confirm", ADMIN_PASSWORD).await?;
        self.click("[data-test=submit]").await?;
        self.wait_for("[data-test=user-name]").await
    }

    /// Creates a workspace from the workspaces page and returns its id (the admin becomes its
    /// owner, and it becomes the current workspace).
    pub async fn create_workspace(&self, orbitr: &Orbitr, name: &str) -> anyhow::Result<String> {
        self.goto(&orbitr.url("/workspaces")).await?;
        self.wait_for("[data-test=new-workspace]").await?;
        self.wait_hydrated().await?;
        self.fill("name", name).await?;
        self.click("[data-test=create-workspace]").await?;
        wait_until(
            &format!("the page of workspace {name}"),
            PATIENCE,
            || async {
                Ok(self
                    .text("[data-test=workspace-name]")
                    .await?
                    .filter(|shown| shown == name))
            },
        )
        .await?;
        let url = self.client.current_url().await?;
        Ok(url.path().rsplit('/').next().unwrap_or_default().to_owned())
    }

    /// Creates the stack `name` with `compose` from the new-stack page, the way a person does
    /// (the file pasted into the editor, checked clean first), and waits on its page, live.
    pub async fn create_stack(
        &self,
        orbitr: &Orbitr,
        name: &str,
        compose: &str,
    ) -> anyhow::Result<()> {
        self.goto(&orbitr.url("/stacks/new")).await?;
        self.wait_for("[data-test=new-stack-form]").await?;
        self.wait_hydrated().await?;
        self.fill("name", name).await?;
        self.client
            .execute(
                "const t = document.querySelector('[data-test=compose-editor-input]'); t.focus(); \
                 t.value = arguments[0]; t.dispatchEvent(new Event('input', { bubbles: true }));",
                vec![compose.into()],
            )
            .await?;
        self.wait_for("[data-test=diagnostics-ok]").await?;
        self.click("[data-test=create-stack]").await?;
        self.wait_for("[data-test=stack-title]").await?;
        self.wait_hydrated().await?;
        self.wait_live().await
    }

    /// Types `text` into the textarea named `name`.
    pub async fn fill_area(&self, name: &str, text: &str) -> anyhow::Result<()> {
        let area = self
            .client
            .find(Locator::Css(&format!("textarea[name='{name}']")))
            .await?;
        area.clear().await?;
        area.send_keys(text).await?;
        self.check_console().await
    }

    /// Runs `script` (a function body) and returns its value.
    pub async fn js(&self, script: &str) -> anyhow::Result<serde_json::Value> {
        let value = self.client.execute(script, vec![]).await?;
        self.check_console().await?;
        Ok(value)
    }

    /// Opens `url` (after checking the console of the page it leaves).
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.check_console().await?;
        self.client.goto(url).await?;
        Ok(())
    }

    /// Saves a PNG of the page as `<name>.png` in the folder `E2E_SCREENSHOTS` names, when
    /// it is set (for looking at pages while developing; tests never depend on it).
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<()> {
        if let Some(dir) = std::env::var_os("E2E_SCREENSHOTS") {
            let png = self.client.screenshot().await?;
            std::fs::create_dir_all(&dir)?;
            std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png)?;
        }
        Ok(())
    }

    /// Ends the browser session, failing on console errors logged since the last step.
    pub async fn close(self) -> anyhow::Result<()> {
        let console = self.check_console().await;
        self.client.clone().close().await?;
        console
    }
}
