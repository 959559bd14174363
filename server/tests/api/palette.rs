//! The command palette's index and the first-run checklist: scoped to what the caller may see
//! and do, and the checklist's dismissal remembered and audited.

use engine::model::ids::WorkspaceId;
use engine::stacks::NewStack;
use reqwest::Method;
use serde_json::Value;
use testkit::docker::TestRun;

use crate::containers::{call, outside_container, team};
use crate::helpers::{new_client, spawn_app};

const COMPOSE: &str = "services:\n  web:\n    image: busybox\n";

fn named<'a>(entries: &'a Value, kind: &str, name: &str) -> Option<&'a Value> {
    entries
        .as_array()?
        .iter()
        .find(|e| e["kind"] == kind && e["name"] == name)
}

#[tokio::test]
async fn the_palette_lists_only_the_caller_s_things_with_the_actions_their_role_allows() {
    let app = spawn_app().await;
    let run = TestRun::new().expect("docker");
    let team = team(&app).await;
    let mine = outside_container(&app, &run, "palette-mine", Some(&team.ws)).await;
    outside_container(&app, &run, "palette-theirs", Some(&team.other_ws)).await;
    for (ws, name) in [(&team.ws, "ours-stack"), (&team.other_ws, "their-stack")] {
        app.state
            .stacks
            .create(
                NewStack {
                    workspace: &WorkspaceId::from(ws.clone()),
                    name,
                    compose: COMPOSE,
                    env: "",
                },
                "test",
            )
            .await
            .expect("stack");
    }
    let mine_name = run.name("palette-mine");
    let theirs_name = run.name("palette-theirs");

    let (status, entries) = call(
        &app,
        &team.operator.1,
        Method::POST,
        "/api/palette_index",
        None,
    )
    .await;
    assert_eq!(status, 200, "{entries}");
    let stack = named(&entries, "Stack", "ours-stack").expect("own stack listed");
    assert_eq!(stack["actions"], serde_json::json!(["Deploy"]));
    let container = named(&entries, "Container", &mine_name).expect("own container listed");
    assert_eq!(container["actions"], serde_json::json!(["Restart", "Logs"]));
    assert_eq!(container["href"], format!("/containers/{mine}"));
    assert!(
        named(&entries, "Workspace", "Containers").is_some(),
        "{entries}"
    );
    for (kind, other) in [
        ("Stack", "their-stack"),
        ("Container", theirs_name.as_str()),
        ("Workspace", "Elsewhere"),
    ] {
        assert!(
            named(&entries, kind, other).is_none(),
            "{other} of another team: {entries}"
        );
    }

    // A viewer finds the same things and may only read them.
    let (status, entries) = call(
        &app,
        &team.viewer.1,
        Method::POST,
        "/api/palette_index",
        None,
    )
    .await;
    assert_eq!(status, 200, "{entries}");
    assert_eq!(
        named(&entries, "Stack", "ours-stack").expect("listed")["actions"],
        serde_json::json!([])
    );
    assert_eq!(
        named(&entries, "Container", &mine_name).expect("listed")["actions"],
        serde_json::json!(["Logs"])
    );

    let (status, _) = call(
        &app,
        &new_client(),
        Method::POST,
        "/api/palette_index",
        None,
    )
    .await;
    assert_eq!(status, 401, "anonymous");
}

#[tokio::test]
async fn the_checklist_reads_what_exists_and_its_dismissal_is_kept_and_audited() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let steps = |list: &Value| -> Vec<(String, bool)> {
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| {
                (
                    i["step"].as_str().unwrap_or_default().to_owned(),
                    i["done"] == true,
                )
            })
            .collect()
    };
    let (status, list) = call(&app, &team.viewer.1, Method::POST, "/api/checklist", None).await;
    assert_eq!(status, 200, "{list}");
    // A viewer creates no workspace, manages nobody, deploys nothing and sets no public URL:
    // nothing to ask of them, so no checklist.
    assert_eq!(steps(&list), []);

    let (_, list) = call(&app, &team.outsider.1, Method::POST, "/api/checklist", None).await;
    let outsider = steps(&list);
    // They own Elsewhere, which the admin who made it is in too: someone else is there.
    assert!(
        outsider.contains(&("InviteSomeone".to_owned(), true)),
        "{list}"
    );
    assert!(
        outsider.contains(&("FirstStack".to_owned(), false)),
        "{list}"
    );
    assert!(
        !outsider.iter().any(|(s, _)| s == "PublicUrl"),
        "admins only: {list}"
    );
    assert_eq!(list["dismissed"], false);

    let (_, list) = call(&app, &team.operator.1, Method::POST, "/api/checklist", None).await;
    assert!(
        !steps(&list).iter().any(|(s, _)| s == "InviteSomeone"),
        "operators manage nobody: {list}"
    );

    let (status, body) = call(
        &app,
        &team.outsider.1,
        Method::POST,
        "/api/dismiss_checklist",
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = call(&app, &team.outsider.1, Method::POST, "/api/checklist", None).await;
    assert_eq!(list["dismissed"], true);
    let (_, list) = call(&app, &team.viewer.1, Method::POST, "/api/checklist", None).await;
    assert_eq!(
        list["dismissed"], false,
        "one person's dismissal is theirs alone"
    );
    let audited = app
        .state
        .audit
        .recent(20)
        .await
        .expect("audit")
        .into_iter()
        .any(|r| {
            r.action == "onboarding.dismiss" && r.actor == format!("user:{}", team.outsider.0.id)
        });
    assert!(audited, "the dismissal is audited");

    let (status, _) = call(
        &app,
        &new_client(),
        Method::POST,
        "/api/dismiss_checklist",
        None,
    )
    .await;
    assert_eq!(status, 401, "anonymous");
}
