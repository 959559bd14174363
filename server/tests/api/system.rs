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

/// A member sees their workspaces' figures, which agree with their own lists and say nothing of
/// other teams; a platform admin sees the engine's.
#[tokio::test]
async fn the_figures_cover_what_the_caller_may_see() {
    use crate::containers::{call, outside_container, team};
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let team = team(&app).await;
    outside_container(&app, &run, "mine", Some(&team.ws)).await;
    outside_container(&app, &run, "theirs", Some(&team.other_ws)).await;
    outside_container(&app, &run, "nobodys", None).await;

    let (operator, client) = &team.operator;
    let (status, body) = call(&app, client, reqwest::Method::GET, "/api/v1/system", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "workspaces", "{body}");
    let (_, list) = call(
        &app,
        client,
        reqwest::Method::GET,
        "/api/v1/containers",
        None,
    )
    .await;
    let listed = list["containers"].as_array().map_or(0, Vec::len);
    assert_eq!(
        body["engine"]["containers"]["total"].as_u64(),
        Some(u64::try_from(listed).expect("count")),
        "the count agrees with {}'s list: {list}",
        operator.email
    );
    let visible = app
        .state
        .docker
        .containers()
        .filtered(|c| c.workspace.as_deref() == Some(team.ws.as_str()))
        .len();
    assert_eq!(listed, visible, "{list}");
    assert_eq!(
        body["engine"]["containers"]["stopped"].as_u64(),
        body["engine"]["containers"]["total"].as_u64(),
        "every container of the workspace is stopped"
    );
    let engine_total = run
        .docker()
        .info()
        .await
        .expect("info")
        .containers
        .expect("count");
    assert!(
        body["engine"]["containers"]["total"].as_i64() < Some(engine_total),
        "the engine has more containers than the operator may see"
    );

    // The admin's figures are the engine's, which hold the three (once its events are read).
    let (admin, _) = crate::helpers::wait_for(
        "the engine's figures with the three containers",
        std::time::Duration::from_secs(5),
        || async {
            let (status, admin) = app.get_json("/api/v1/system").await;
            (status == 200 && admin["engine"]["containers"]["total"].as_i64() >= Some(3))
                .then_some(admin)
        },
    )
    .await;
    assert_eq!(admin["scope"], "engine", "{admin}");
}
