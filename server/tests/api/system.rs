use testkit::docker::TestRun;

use crate::helpers::spawn_app;

#[tokio::test]
async fn system_reports_the_engine_s_own_figures() {
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let info = run.docker().info().await.expect("engine info");
    let version = run.docker().version().await.expect("engine version");

    let (status, body) = app.get_json("/api/v1/system").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["orbitr_version"], env!("CARGO_PKG_VERSION"));
    let engine = &body["engine"];
    assert_eq!(
        engine["version"],
        version.version.expect("version").as_str()
    );
    assert_eq!(engine["cpus"], info.ncpu.expect("ncpu"));
    assert_eq!(engine["memory_bytes"], info.mem_total.expect("mem"));
    assert_eq!(engine["os"], info.operating_system.expect("os").as_str());
    assert!(
        engine["api_version"]
            .as_str()
            .is_some_and(|v| v.starts_with("1.")),
        "{engine}"
    );
    for key in ["images", "volumes", "networks"] {
        assert!(
            engine[key].as_i64().is_some_and(|n| n >= 0),
            "{key}: {engine}"
        );
    }
    let c = &engine["containers"];
    assert_eq!(
        c["total"].as_i64(),
        Some(
            c["running"].as_i64().unwrap_or(-1)
                + c["paused"].as_i64().unwrap_or(-1)
                + c["stopped"].as_i64().unwrap_or(-1)
        )
    );
}
