//! The `orbitr` binary as a user runs it: exit codes, one-line errors, signals.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_orbitr");

/// The binary with a clean environment (no ORBITR_* from the caller) in `cwd`.
fn orbitr(cwd: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear().current_dir(cwd);
    for var in ["PATH", "HOME", "DOCKER_HOST", "TMPDIR"] {
        if let Ok(value) = std::env::var(var) {
            cmd.env(var, value);
        }
    }
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("orbitr runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn wait_healthy(port: u16, child: &mut Child) {
    let started = Instant::now();
    loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ = stream.write_all(b"GET /healthz HTTP/1.0\r\n\r\n");
            let mut reply = String::new();
            let _ = stream.read_to_string(&mut reply);
            if reply.starts_with("HTTP/1.0 200") || reply.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("orbitr exited early with {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "orbitr did not become healthy"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn version_and_help_describe_the_binary() {
    let dir = tempfile::tempdir().expect("dir");
    let (code, out, _) = run(orbitr(dir.path()).arg("--version"));
    assert_eq!(code, 0);
    assert_eq!(out.trim(), format!("orbitr {}", env!("CARGO_PKG_VERSION")));
    let (code, out, _) = run(orbitr(dir.path()).arg("--help"));
    assert_eq!(code, 0);
    assert!(out.contains("serve") && out.contains("--data-dir"), "{out}");
}

#[test]
fn a_malformed_setting_exits_2_naming_key_value_and_expected_form() {
    let dir = tempfile::tempdir().expect("dir");
    let (code, _, err) = run(orbitr(dir.path()).args(["serve", "--bind", "localhost"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`bind`") && err.contains("\"localhost\"") && err.contains("--bind"),
        "{err}"
    );
    assert!(err.contains("127.0.0.1:8080"), "expected form shown: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let (code, _, err) = run(orbitr(dir.path())
        .arg("serve")
        .env("ORBITR_LOG_FORMAT", "xml"));
    assert_eq!(code, 2);
    assert!(
        err.contains("ORBITR_LOG_FORMAT") && err.contains("text or json"),
        "{err}"
    );

    let (code, _, err) = run(orbitr(dir.path()).arg("serve").env("ORBITR_BINDD", "x"));
    assert_eq!(code, 2);
    assert!(err.contains("ORBITR_BINDD"), "{err}");

    std::fs::write(
        dir.path().join("orbitr.toml"),
        "log = \"info\"\nport = 8080\n",
    )
    .expect("toml");
    let (code, _, err) = run(orbitr(dir.path()).arg("serve"));
    assert_eq!(code, 2);
    assert!(
        err.contains("`port`") && err.contains("orbitr.toml:2"),
        "{err}"
    );
    assert!(
        !dir.path().join("data").exists(),
        "nothing is created on bad settings"
    );
}

#[test]
fn a_malformed_database_url_exits_2_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let (code, _, err) = run(orbitr(dir.path()).args([
        "serve",
        "--database-url",
        "postgres://orbitr:hunter2@db:notaport/orbitr",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("database_url"), "{err}");
    assert!(
        !err.contains("hunter2"),
        "the password is not echoed: {err}"
    );
    assert!(!dir.path().join("data").exists());
}

#[test]
fn an_unreachable_database_fails_with_one_line_and_leaves_no_data_dir() {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let (code, _, err) = run(orbitr(dir.path()).args([
        "serve",
        "--bind",
        &format!("127.0.0.1:{}", free_port()),
        "--database-url",
        &format!("postgres://nobody@127.0.0.1:{port}/orbitr"),
    ]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot open the database"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!dir.path().join("data").exists());
}

#[test]
fn a_port_in_use_fails_with_one_line_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let (code, _, err) = run(orbitr(dir.path()).args(["serve", "--bind", &addr]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
    assert!(
        err.to_lowercase().contains("address already in use"),
        "{err}"
    );
    assert!(!dir.path().join("data").exists());
}

#[test]
fn a_data_dir_that_cannot_be_created_fails_with_one_line() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("file"), "x").expect("file");
    let (code, _, err) = run(orbitr(dir.path()).args([
        "serve",
        "--bind",
        &format!("127.0.0.1:{}", free_port()),
        "--data-dir",
        "file/data",
    ]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot create the data dir"), "{err}");
}

#[test]
fn config_prints_each_setting_with_its_source() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("orbitr.toml"), "log = \"debug\"\n").expect("toml");
    let (code, out, err) = run(orbitr(dir.path())
        .arg("config")
        .arg("--data-dir")
        .arg("/srv/orbitr")
        .env("ORBITR_LOG_FORMAT", "json"));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("log = \"debug\"  # ") && out.contains("orbitr.toml:1"),
        "{out}"
    );
    assert!(
        out.contains("log_format = \"json\"  # environment variable ORBITR_LOG_FORMAT"),
        "{out}"
    );
    assert!(
        out.contains("data_dir = \"/srv/orbitr\"  # flag --data-dir"),
        "{out}"
    );
    assert!(
        out.contains("bind = \"127.0.0.1:8080\"  # default"),
        "{out}"
    );
}

#[test]
fn sigterm_stops_the_server_cleanly_with_exit_0() {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let mut child = orbitr(dir.path())
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--log-format",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_healthy(port, &mut child);
    assert!(
        dir.path().join("data/orbitr.db").exists(),
        "SQLite file in ./data"
    );
    assert!(
        dir.path().join("data/orbitr.db-wal").exists(),
        "SQLite runs in WAL mode"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "orbitr did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    let output = child.wait_with_output().expect("output");
    let logs = String::from_utf8_lossy(&output.stdout);
    assert!(
        logs.lines().all(|l| l.starts_with('{')),
        "JSON log lines: {logs}"
    );
    assert!(logs.contains("\"stopped\""), "{logs}");
}

fn create_admin(dir: &Path, email: &str, password: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = orbitr(dir)
        .args(["admin", "create", "--email", email, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write");
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

#[test]
fn admin_create_reads_the_password_from_stdin_and_checks_it() {
    let dir = tempfile::tempdir().expect("dir");
    let (code, _, err) = create_admin(dir.path(), "ops@orbitr.test", "password1234");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("password: too easy to guess"), "{err}");

    let (code, out, err) = create_admin(dir.path(), "ops@orbitr.test", "quiet meadow lantern 42");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("created platform admin ops@orbitr.test"),
        "{out}"
    );

    let (code, _, err) = create_admin(dir.path(), "OPS@orbitr.test", "quiet meadow lantern 42");
    assert_eq!(code, 2);
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn audit_verify_reports_an_intact_log_and_the_first_changed_record() {
    let dir = tempfile::tempdir().expect("dir");
    create_admin(dir.path(), "a@orbitr.test", "quiet meadow lantern 42");
    create_admin(dir.path(), "b@orbitr.test", "quiet meadow lantern 43");
    let (code, out, err) = run(orbitr(dir.path()).args(["audit", "verify"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "audit log intact: 2 records");

    let db = dir.path().join("data/orbitr.db");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .expect("open");
        sqlx::query("UPDATE audit_log SET target = 'user:mallory@orbitr.test' WHERE seq = 2")
            .execute(&pool)
            .await
            .expect("tamper");
        pool.close().await;
    });
    let (code, out, _) = run(orbitr(dir.path()).args(["audit", "verify"]));
    assert_eq!(code, 1);
    assert!(
        out.contains("broken at record 2") && out.contains("was changed"),
        "{out}"
    );
}

#[test]
fn ext_new_validate_and_test_work_as_an_author_uses_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let (code, out, err) = run(orbitr(dir.path()).args(["ext", "new", "my-app"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("wrote my-app"), "{out}");
    let (code, out, err) = run(orbitr(dir.path()).args(["ext", "validate", "my-app"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "ok: my-app 0.1.0 (1 input)");

    // A mistake is named by file, line, column and field, and fails the command.
    let manifest = dir.path().join("my-app/orbitr.yaml");
    let text = std::fs::read_to_string(&manifest).expect("read");
    std::fs::write(&manifest, text.replace("version: 0.1.0", "version: 0.1")).expect("write");
    let (code, _, err) = run(orbitr(dir.path()).args(["ext", "validate", "my-app"]));
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "my-app/orbitr.yaml:3:10: error: version: version \"0.1\" is not a semantic version"
        ),
        "{err}"
    );
    std::fs::write(&manifest, text).expect("write back");

    // `test` prints the compose file an install would deploy, with the values given.
    let (code, out, err) =
        run(orbitr(dir.path()).args(["ext", "test", "my-app", "--set", "PORT=9999"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"9999:80\""), "{out}");
    let (code, _, err) =
        run(orbitr(dir.path()).args(["ext", "test", "my-app", "--set", "PORT=web"]));
    assert_eq!(code, 1);
    assert!(
        err.contains("inputs.PORT: Web port: the value \"web\" is not a number"),
        "{err}"
    );

    // Importing from a format Orbitr does not know says which it knows.
    let (code, _, err) =
        run(orbitr(dir.path()).args(["ext", "import", "--from", "umbrel", "src", "out"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown format (known: casaos, portainer)"),
        "{err}"
    );

    // Not over an existing folder.
    let (code, _, err) = run(orbitr(dir.path()).args(["ext", "new", "my-app"]));
    assert_eq!(code, 1);
    assert!(err.contains("exists and is not empty"), "{err}");
}

/// `orbitr ext test --deploy` installs for real, reports the running services and leaves
/// nothing behind; an image that cannot be pulled fails with the reason, also leaving nothing.
#[tokio::test]
async fn ext_test_deploy_installs_reports_and_uninstalls() {
    let test_run = testkit::docker::TestRun::new().expect("docker");
    let image = test_run.fixture_image().await.expect("fixture image");
    let dir = tempfile::tempdir().expect("tempdir");
    testkit::extensions::write_extension(
        dir.path(),
        "db",
        &testkit::extensions::db(&image, test_run.id()),
    )
    .expect("extension");
    testkit::extensions::write_extension(
        dir.path(),
        "missing",
        &testkit::extensions::missing(test_run.id()),
    )
    .expect("extension");

    let (code, out, err) = run(orbitr(dir.path()).args(["ext", "test", "db", "--deploy"]));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("installed fixture-db 1.0.0 as ext-test-fixture-db-"),
        "{out}"
    );
    assert!(out.contains("db (orbitr-fixture:"), "{out}");
    assert!(out.contains("): running"), "{out}");
    assert!(out.contains("uninstalled; nothing left"), "{out}");

    let (code, out, err) = run(orbitr(dir.path()).args(["ext", "test", "missing", "--deploy"]));
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("installing fixture-missing 1.0.0 failed"),
        "{err}"
    );

    // Nothing of either is left: no container, no volume with this run's label.
    let left = test_run
        .docker()
        .list_containers(Some(bollard::query_parameters::ListContainersOptions {
            all: true,
            filters: Some(std::collections::HashMap::from([(
                "label".to_owned(),
                vec![test_run.label_filter()],
            )])),
            ..Default::default()
        }))
        .await
        .expect("containers");
    assert!(left.is_empty(), "{left:?}");
}

/// One HTTP/1.0 GET to `127.0.0.1:port`: the status line and the rest of the answer.
fn get(port: u16, path: &str) -> Option<(String, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes())
        .ok()?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).ok()?;
    let (status, rest) = reply.split_once("\r\n")?;
    Some((status.to_owned(), rest.to_owned()))
}

/// Runs `docker` with `args`; its standard output, trimmed, or the failure with its stderr.
fn docker(args: &[&str]) -> Result<String, String> {
    let out = Command::new("docker")
        .args(args)
        .output()
        .map_err(|e| format!("docker {args:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(format!(
            "docker {args:?} exited {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Removes a test image when the test ends, passed or not.
struct ImageGuard(String);

impl Drop for ImageGuard {
    fn drop(&mut self) {
        let _ = docker(&["rmi", "--force", &self.0]);
    }
}

#[test]
fn the_container_image_builds_from_nothing_pulled_and_serves_on_the_real_engine() {
    let run = testkit::docker::TestRun::new().expect("docker");
    let tag = format!("orbitr-test-image:{}", run.id());
    let label = run.label_filter();
    // The image of the binary under test (the debug build make test drives).
    let built = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/image.sh"))
        .args([BIN, &tag, "--label", &label])
        .output()
        .expect("tools/image.sh runs");
    let _image = ImageGuard(tag.clone());
    assert!(
        built.status.success(),
        "tools/image.sh failed: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let base = docker(&[
        "image",
        "inspect",
        "--format",
        "{{len .RootFS.Layers}}",
        &tag,
    ])
    .expect("the image exists");
    assert_eq!(base, "1", "one layer on scratch, no base image");

    // As the README says to run it (an anonymous volume for /data, removed with the container).
    let container = docker(&[
        "run",
        "--detach",
        "--label",
        &label,
        "--name",
        &run.name("orbitr-image"),
        "-v",
        "/var/run/docker.sock:/var/run/docker.sock",
        "-p",
        "127.0.0.1::8080",
        &tag,
    ])
    .expect("the image starts");
    let port: u16 = docker(&["port", &container, "8080/tcp"])
        .expect("a published port")
        .lines()
        .next()
        .and_then(|l| l.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .expect("host port");
    let logs = || docker(&["logs", &container]).unwrap_or_else(|e| e);
    let started = Instant::now();
    // Ready means the database is open and the Docker engine answered through the socket.
    loop {
        if get(port, "/readyz").is_some_and(|(status, _)| status.contains(" 200 ")) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the container did not become ready; its log:\n{}",
            logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // A fresh server sends the first visitor to set-up, which the page answers with the app.
    let (status, head) = get(port, "/").expect("the dashboard answers");
    assert!(
        status.contains(" 303 ") || status.contains(" 307 "),
        "{status}"
    );
    assert!(head.to_lowercase().contains("location: /setup"), "{head}");
    let (status, page) = get(port, "/setup").expect("the set-up page answers");
    assert!(status.contains(" 200 "), "{status}");
    assert!(page.contains("Orbitr"), "{page}");
    // The browser assets came along: the script the page loads is served.
    let script = page
        .split('"')
        .find(|s| s.starts_with("/pkg/") && s.ends_with(".js"))
        .unwrap_or_else(|| panic!("no /pkg/*.js in the page: {page}"));
    let (status, _) = get(port, script).expect("the script answers");
    assert!(status.contains(" 200 "), "{script}: {status}");
}
