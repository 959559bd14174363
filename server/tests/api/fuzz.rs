//! A bounded Schemathesis run (PyPI, pinned in tools/schemathesis.requirements.txt) against the
//! REST API as an operator with a write token: generated requests for every documented
//! operation must never get a server error, and every answer must match its documented schema.
//! Routes that create networks (random subnets would touch the host's routes), deploy stacks or
//! reach outside the machine (pulls, git and HTTP sources) are left out.

use std::path::PathBuf;
use std::time::Duration;

use testkit::docker::TestRun;

use crate::containers::team;
use crate::helpers::spawn_app;

/// Where `make test` installs Schemathesis; `None`, said on stdout, when it is not installed
/// (a developer's own `cargo test`); under CI its absence is a failure.
fn schemathesis() -> Option<PathBuf> {
    let st = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/schemathesis/bin/st");
    if st.is_file() {
        return Some(st);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "schemathesis is not installed at {} (tools/test-tools.sh installs it)",
        st.display()
    );
    println!("schemathesis not found at {}: skipping", st.display());
    None
}

/// Paths the run leaves out, as one regular expression.
const EXCLUDED: &str = "networks|/operations|/images/pull|extension-sources|from-git|/apps";

#[tokio::test]
async fn a_bounded_schemathesis_run_finds_no_server_error_and_no_schema_violation() {
    let Some(st) = schemathesis() else {
        return;
    };
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let team = team(&app).await;
    // Whatever the run makes through the API carries the workspace's label alone.
    for ws in [&team.ws, &team.other_ws] {
        run.also_remove(format!("{}={ws}", engine::docker::WORKSPACE_LABEL));
    }
    let token = app
        .state
        .tokens
        .create(
            &team.operator.0.id,
            "fuzz",
            engine::identity::tokens::Scope::Write,
            None,
            None,
        )
        .await
        .expect("token")
        .1;
    let report = tempfile::tempdir().expect("report dir");
    let started = std::time::Instant::now();
    let output = tokio::time::timeout(
        Duration::from_secs(400),
        tokio::process::Command::new(&st)
            .args([
                "run",
                &app.url("/api/v1/openapi.json"),
                "--header",
                &format!("Authorization: Bearer {token}"),
                "--checks",
                "not_a_server_error,response_schema_conformance",
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                "20",
                "--max-time",
                "120",
                "--workers",
                "2",
                "--seed",
                "17",
                "--exclude-path-regex",
                EXCLUDED,
                "--suppress-health-check",
                "all",
                "--report-dir",
                &report.path().display().to_string(),
            ])
            .env("NO_COLOR", "1")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("schemathesis ends within its time")
    .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!(
        "schemathesis took {:?}\n{}",
        started.elapsed(),
        stdout
            .lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{stdout}\n{stderr}"
    );
}
