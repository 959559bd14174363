//! The marketplace over HTTP: the official catalog searched and sorted; sources from a folder,
//! a git repository (served by `git daemon`) and an HTTP index, invalid entries listed with
//! their errors; installs with a requirement through the real engine using the fixture
//! catalog, updates that keep values, uninstalls keeping or deleting volumes, a failed install
//! leaving nothing, host access approved by an admin, reviews and votes; refusals by role and
//! workspace, and the audit log. Every stack is removed by its label when the test ends.

use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use testkit::docker::TestRun;
use testkit::extensions::{free_port, write_catalog};

use crate::containers::{call, team};
use crate::helpers::{TestApp, spawn_app, wait_for};
use crate::stacks::{audited, has, stack_name};

/// Adds a folder source as the admin; returns its id.
async fn add_folder(app: &TestApp, name: &str, dir: &Path) -> String {
    let (status, report) = call(
        app,
        &app.client,
        Method::POST,
        "/api/v1/extension-sources",
        Some(json!({ "name": name, "kind": "folder", "location": dir.to_string_lossy() })),
    )
    .await;
    assert_eq!(status, 201, "{report}");
    let (_, sources) = app.get_json("/api/v1/extension-sources").await;
    sources
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["name"] == name)
        .expect("the new source")["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// The fixture catalog on the fixture image, as a source.
async fn fixture_source(
    app: &TestApp,
    run: &TestRun,
    web_version: &str,
) -> (tempfile::TempDir, String) {
    let image = run.fixture_image().await.expect("fixture image");
    let dir = tempfile::tempdir().expect("tempdir");
    write_catalog(dir.path(), &image, run.id(), web_version).expect("catalog");
    let id = add_folder(app, "Fixtures", dir.path()).await;
    (dir, id)
}

async fn install(app: &TestApp, client: &reqwest::Client, ws: &str, form: Value) -> (u16, Value) {
    call(
        app,
        client,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/apps?wait=true"),
        Some(form),
    )
    .await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_nul_character_in_the_address_is_bad_input_on_every_database() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/extensions/postgres?source=a%00b",
        "/api/v1/extensions/post%00gres",
        "/api/v1/stacks/a%00b",
    ] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["code"], "invalid", "{path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("NUL")),
            "{body}"
        );
    }
}

#[tokio::test]
async fn the_official_catalog_is_listed_searched_filtered_and_sorted() {
    let app = spawn_app().await;
    let (status, page) = app.get_json("/api/v1/extensions").await;
    assert_eq!(status, 200, "{page}");
    let all = ids(&page);
    assert!(all.len() >= 12, "{all:?}");
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "sorted by name");
    assert!(page["categories"].as_array().expect("facets").len() > 3);
    // Every official app ships an icon, inlined so pages draw it without another request.
    for item in page["items"].as_array().expect("items") {
        let icon = item["icon"].as_str().unwrap_or_default();
        assert!(
            icon.starts_with("data:image/svg+xml;base64,"),
            "{}: {icon}",
            item["id"]
        );
    }

    // Prefixes match, the name ranks first.
    let (_, page) = app.get_json("/api/v1/extensions?q=postg").await;
    assert_eq!(
        ids(&page).first().map(String::as_str),
        Some("postgres"),
        "{page}"
    );
    let (_, page) = app
        .get_json("/api/v1/extensions?category=databases&sort=name")
        .await;
    let dbs = ids(&page);
    assert!(
        dbs.contains(&"mariadb".to_owned()) && dbs.contains(&"redis".to_owned()),
        "{dbs:?}"
    );
    assert!(!dbs.contains(&"nginx".to_owned()), "{dbs:?}");
    // Query syntax is just text.
    let (status, page) = app.get_json("/api/v1/extensions?q=%22*(OR").await;
    assert_eq!(status, 200, "{page}");
    let (status, body) = app.get_json("/api/v1/extensions?sort=random").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("sort:"),
        "{body}"
    );

    let (status, redis) = app.get_json("/api/v1/extensions/redis").await;
    assert_eq!(status, 200, "{redis}");
    assert_eq!(redis["card"]["source_name"], "Official");
    assert!(
        redis["readme_html"].as_str().unwrap_or("").contains("<h1>"),
        "{redis}"
    );
    assert!(
        redis["manifest"]["inputs"]
            .as_array()
            .is_some_and(|i| !i.is_empty())
    );
    let (status, _) = app.get_json("/api/v1/extensions/no-such-app").await;
    assert_eq!(status, 404);

    // Everyone signed in reads the catalog; only platform admins see and change sources.
    let team = team(&app).await;
    let (status, _) = call(
        &app,
        &team.operator.1,
        Method::GET,
        "/api/v1/extensions?q=redis",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &app,
        &team.operator.1,
        Method::GET,
        "/api/v1/extension-sources",
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = call(
        &app,
        &team.operator.1,
        Method::POST,
        "/api/v1/extension-sources",
        Some(json!({ "name": "Mine", "kind": "folder", "location": "/tmp" })),
    )
    .await;
    assert_eq!(status, 403);
    let denied = audited(&app, "extension_source.").await;
    assert!(
        has(&denied, "extension_source.manage", "denied"),
        "{denied:?}"
    );
    let (status, body) = call(
        &app,
        &app.client,
        Method::DELETE,
        "/api/v1/extension-sources/Official",
        None,
    )
    .await;
    assert_eq!(status, 409, "{body}");
}

/// Serves `body` at `/index.json` (and 404 elsewhere) on a free port; returns the base URL.
async fn serve_index(body: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let router = axum::Router::new().route(
        "/index.json",
        axum::routing::get(move || {
            let body = body.clone();
            async move { body }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

/// A git repository holding `dir`'s files on branch `main`, served by `git daemon`.
struct GitServer {
    child: std::process::Child,
    url: String,
    _root: tempfile::TempDir,
}

impl Drop for GitServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@orbitr.test"])
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("git");
    assert!(status.success(), "git {args:?}");
}

async fn git_server(content: &Path) -> GitServer {
    let root = tempfile::tempdir().expect("tempdir");
    let work = root.path().join("work");
    std::fs::create_dir_all(&work).expect("work");
    git(&work, &["init", "-q", "-b", "main"]);
    for entry in std::fs::read_dir(content).expect("content") {
        let entry = entry.expect("entry");
        let target = work.join(entry.file_name());
        std::fs::create_dir_all(&target).expect("dir");
        for file in std::fs::read_dir(entry.path()).expect("files") {
            let file = file.expect("file");
            std::fs::copy(file.path(), target.join(file.file_name())).expect("copy");
        }
    }
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "catalog"]);
    git(
        root.path(),
        &["clone", "-q", "--bare", "work", "catalog.git"],
    );
    let port = free_port();
    let child = std::process::Command::new("git")
        .args([
            "daemon",
            "--reuseaddr",
            "--export-all",
            "--listen=127.0.0.1",
            &format!("--port={port}"),
            &format!("--base-path={}", root.path().display()),
        ])
        .arg(root.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("git daemon");
    wait_for("git daemon", Duration::from_secs(10), || async move {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()
    })
    .await;
    GitServer {
        child,
        url: format!("git://127.0.0.1:{port}/catalog.git"),
        _root: root,
    }
}

#[tokio::test]
async fn sources_from_a_folder_git_and_an_http_index_list_invalid_entries_with_their_errors() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("tempdir");
    write_catalog(dir.path(), "orbitr-fixture:none", "no-run", "1.0.0").expect("catalog");

    // A folder.
    let (status, report) = call(
        &app,
        &app.client,
        Method::POST,
        "/api/v1/extension-sources",
        Some(
            json!({ "name": "Local", "kind": "folder", "location": dir.path().to_string_lossy() }),
        ),
    )
    .await;
    assert_eq!(status, 201, "{report}");
    assert_eq!(report["extensions"], 5, "{report}");
    assert_eq!(report["invalid"], 1, "{report}");
    let (_, sources) = app.get_json("/api/v1/extension-sources").await;
    let local = sources
        .as_array()
        .expect("present")
        .iter()
        .find(|s| s["name"] == "Local")
        .expect("present")
        .clone();
    let local_id = local["id"].as_str().expect("present").to_owned();
    // Invalid ones are listed on request, with file, line and field.
    let (_, page) = app
        .get_json(&format!(
            "/api/v1/extensions?source={local_id}&invalid=true"
        ))
        .await;
    let broken = page["items"]
        .as_array()
        .expect("present")
        .iter()
        .find(|i| i["id"] == "fixture-broken")
        .expect("listed")
        .clone();
    let first = broken["errors"][0].as_str().unwrap_or_default();
    assert!(
        first.starts_with("fixture-broken/orbitr.yaml:3"),
        "{broken}"
    );
    assert!(first.contains("version"), "{broken}");
    let (_, page) = app
        .get_json(&format!("/api/v1/extensions?source={local_id}"))
        .await;
    assert!(!ids(&page).contains(&"fixture-broken".to_owned()));
    let (_, broken) = app.get_json("/api/v1/extensions/fixture-broken").await;
    assert!(broken["manifest"].is_null(), "{broken}");
    // Third-party READMEs are sanitized.
    let (_, db) = app.get_json("/api/v1/extensions/fixture-db").await;
    let html = db["readme_html"].as_str().unwrap_or_default();
    assert!(
        html.contains("<strong>data</strong>")
            && !html.contains("<script")
            && !html.contains("javascript:"),
        "{html}"
    );

    // A sync picks up a new version; a name is taken once.
    testkit::extensions::write_extension(
        dir.path(),
        "fixture-web",
        &testkit::extensions::web("orbitr-fixture:none", "no-run", "1.1.0"),
    )
    .expect("present");
    let (status, _) = call(
        &app,
        &app.client,
        Method::POST,
        &format!("/api/v1/extension-sources/{local_id}/sync"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (_, web) = app.get_json("/api/v1/extensions/fixture-web").await;
    assert_eq!(web["card"]["version"], "1.1.0");
    let (status, body) = call(
        &app,
        &app.client,
        Method::POST,
        "/api/v1/extension-sources",
        Some(
            json!({ "name": "Local", "kind": "folder", "location": dir.path().to_string_lossy() }),
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    // A git repository, by branch.
    let server = git_server(dir.path()).await;
    let (status, report) = call(
        &app,
        &app.client,
        Method::POST,
        "/api/v1/extension-sources",
        Some(json!({ "name": "Git", "kind": "git", "location": server.url, "reference": "main" })),
    )
    .await;
    assert_eq!(status, 201, "{report}");
    assert_eq!(report["extensions"], 5, "{report}");
    // A branch that does not exist: not added, and said why.
    let (status, body) = call(
        &app,
        &app.client,
        Method::POST,
        "/api/v1/extension-sources",
        Some(json!({ "name": "Git2", "kind": "git", "location": server.url, "reference": "nope" })),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("cloning"),
        "{body}"
    );

    // An HTTP index with files inline.
    let index = json!({ "extensions": [{
        "path": "indexed",
        "files": {
            "orbitr.yaml": "id: indexed\nname: Indexed\nversion: 2.0.0\nsummary: From an index\ncategories: [web]\n",
            "compose.yaml": "services:\n  web:\n    image: nginx:1\n",
            "README.md": "# Indexed"
        }
    }]});
    let base = serve_index(index.to_string()).await;
    let (status, report) = call(
        &app,
        &app.client,
        Method::POST,
        "/api/v1/extension-sources",
        Some(json!({ "name": "Index", "kind": "http", "location": format!("{base}/index.json") })),
    )
    .await;
    assert_eq!(status, 201, "{report}");
    let (_, page) = app.get_json("/api/v1/extensions?q=indexed").await;
    assert_eq!(ids(&page), ["indexed"]);
    for (kind, location, field) in [
        ("http", format!("{base}/missing.json"), "location"),
        ("git", "file:///etc".to_owned(), "location"),
        ("folder", "relative".to_owned(), "location"),
        ("zip", "https://x".to_owned(), "kind"),
    ] {
        let (status, body) = call(
            &app,
            &app.client,
            Method::POST,
            "/api/v1/extension-sources",
            Some(json!({ "name": format!("Bad {kind}"), "kind": kind, "location": location })),
        )
        .await;
        assert_eq!(status, 400, "{kind} {location}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or("")
                .starts_with(&format!("{field}:")),
            "{body}"
        );
    }
    let (_, sources) = app.get_json("/api/v1/extension-sources").await;
    assert_eq!(
        sources.as_array().expect("present").len(),
        4,
        "Official, Local, Git, Index: {sources}"
    );

    // Removing a source removes its entries from search.
    let (status, _) = call(
        &app,
        &app.client,
        Method::DELETE,
        "/api/v1/extension-sources/Index",
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (_, page) = app.get_json("/api/v1/extensions?q=indexed").await;
    assert!(ids(&page).is_empty(), "{page}");
    let records = audited(&app, "extension_source.").await;
    assert!(has(&records, "extension_source.add", "ok"));
    assert!(has(&records, "extension_source.add", "failed"));
    assert!(has(&records, "extension_source.remove", "ok"));
}

fn app_of<'a>(apps: &'a Value, extension: &str) -> &'a Value {
    apps.as_array()
        .expect("apps")
        .iter()
        .find(|a| a["extension"] == extension)
        .unwrap_or_else(|| panic!("no {extension} in {apps}"))
}

async fn volume_exists(run: &TestRun, name: &str) -> bool {
    run.docker().inspect_volume(name).await.is_ok()
}

#[tokio::test]
async fn an_operator_installs_an_app_with_its_requirement_then_uninstalls_it() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let (_dir, _) = fixture_source(&app, &run, "1.0.0").await;
    let team = team(&app).await;
    let ws = team.ws.clone();
    let op = &team.operator.1;
    let stack = stack_name(&mut run, "web");
    let db_stack = format!("{stack}-fixture-db");
    run.also_remove(format!("com.docker.compose.project={db_stack}"));
    let port = free_port();
    let form = json!({
        "extension": "fixture-web",
        "stack": stack,
        "inputs": { "PORT": port.to_string(), "TITLE": "Mine" }
    });

    // The plan: the requirement first.
    let (status, plan) = call(
        &app,
        op,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/apps/plan"),
        Some(form.clone()),
    )
    .await;
    assert_eq!(status, 200, "{plan}");
    let steps: Vec<(&str, &str)> = plan["steps"]
        .as_array()
        .expect("present")
        .iter()
        .map(|s| {
            (
                s["extension"].as_str().expect("present"),
                s["stack"].as_str().expect("present"),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("fixture-db", db_stack.as_str()),
            ("fixture-web", stack.as_str())
        ]
    );
    assert_eq!(plan["needs_approval"], false);

    // Bad values name their input; a viewer and an outsider are refused.
    let (status, body) = install(
        &app,
        op,
        &ws,
        json!({ "extension": "fixture-web", "stack": stack, "inputs": { "PORT": "99999" } }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["error"]["diagnostics"][0]["path"], "inputs.PORT",
        "{body}"
    );
    let (status, _) = install(&app, &team.viewer.1, &ws, form.clone()).await;
    assert_eq!(status, 403);
    let (status, _) = install(&app, &team.outsider.1, &ws, form.clone()).await;
    assert_eq!(status, 403);

    let (status, started) = install(&app, op, &ws, form.clone()).await;
    assert_eq!(status, 201, "{started}");
    let statuses: Vec<&str> = started["apps"]
        .as_array()
        .expect("present")
        .iter()
        .map(|a| a["status"].as_str().expect("present"))
        .collect();
    assert_eq!(statuses, ["installed", "installed"], "{started}");

    // Running, with a link to its page, which answers.
    let (_, apps) = call(
        &app,
        op,
        Method::GET,
        &format!("/api/v1/workspaces/{ws}/apps"),
        None,
    )
    .await;
    let web = app_of(&apps, "fixture-web").clone();
    assert_eq!(web["running"], 1, "{web}");
    assert_eq!(web["links"][0]["host_port"], port, "{web}");
    assert_eq!(web["links"][0]["label"], "Web page");
    let db = app_of(&apps, "fixture-db").clone();
    assert_eq!(db["required_by"], web["id"]);
    let page = reqwest::get(format!("http://127.0.0.1:{port}/bin/busybox"))
        .await
        .expect("the app's page");
    assert_eq!(page.status(), 200);
    // The install count went up; the form's values are stored sealed.
    let (_, card) = app.get_json("/api/v1/extensions/fixture-web").await;
    assert_eq!(card["card"]["installs"], 1);
    let stored: Vec<(String,)> = match &app.db {
        engine::db::Database::Sqlite(p) => sqlx::query_as("SELECT inputs FROM extension_installs")
            .fetch_all(p)
            .await
            .expect("present"),
        engine::db::Database::Postgres(p) => {
            sqlx::query_as("SELECT inputs FROM extension_installs")
                .fetch_all(p)
                .await
                .expect("present")
        }
    };
    assert!(
        stored
            .iter()
            .all(|(s,)| !s.contains("Mine") && !s.contains("hello")),
        "{stored:?}"
    );

    // The same stack name again: refused, nothing changed.
    let (status, body) = install(&app, op, &ws, form.clone()).await;
    assert_eq!(status, 409, "{body}");
    // A second web app reuses the installed requirement.
    let other = stack_name(&mut run, "web2");
    let (_, plan) = call(
        &app,
        op,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/apps/plan"),
        Some(json!({ "extension": "fixture-web", "stack": other, "inputs": { "PORT": free_port().to_string() } })),
    )
    .await;
    assert_eq!(plan["steps"][0]["reuse"], db["id"], "{plan}");

    // The requirement stays while the app needs it.
    let db_id = db["id"].as_str().expect("present");
    let (status, body) = call(
        &app,
        op,
        Method::DELETE,
        &format!("/api/v1/workspaces/{ws}/apps/{db_id}"),
        None,
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("present")
            .contains("required by"),
        "{body}"
    );
    let (status, _) = call(
        &app,
        &team.viewer.1,
        Method::DELETE,
        &format!("/api/v1/workspaces/{ws}/apps/{stack}"),
        None,
    )
    .await;
    assert_eq!(status, 403);

    // Uninstall keeping volumes, then the requirement with its volumes.
    let (status, body) = call(
        &app,
        op,
        Method::DELETE,
        &format!("/api/v1/workspaces/{ws}/apps/{stack}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let volume = format!("{db_stack}_data");
    assert!(volume_exists(&run, &volume).await);
    let (status, body) = call(
        &app,
        op,
        Method::DELETE,
        &format!("/api/v1/workspaces/{ws}/apps/{db_id}?volumes=true"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(!volume_exists(&run, &volume).await, "the data went with it");
    let (_, apps) = call(
        &app,
        op,
        Method::GET,
        &format!("/api/v1/workspaces/{ws}/apps"),
        None,
    )
    .await;
    assert_eq!(apps, json!([]));
    let (status, _) = app.get_json(&format!("/api/v1/stacks/{stack}")).await;
    assert_eq!(status, 404);

    let records = audited(&app, "extension.").await;
    assert!(has(&records, "extension.install", "ok"));
    assert!(has(&records, "extension.install", "denied"));
    assert!(has(&records, "extension.uninstall", "ok"));
    assert!(has(&records, "extension.uninstall", "failed"));
}

#[tokio::test]
async fn an_update_keeps_the_values_adds_new_defaults_and_shows_the_changelog() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let (dir, source) = fixture_source(&app, &run, "1.0.0").await;
    let team = team(&app).await;
    let ws = team.ws.clone();
    let op = &team.operator.1;
    let stack = stack_name(&mut run, "upd");
    run.also_remove(format!("com.docker.compose.project={stack}-fixture-db"));
    let (status, started) = install(
        &app,
        op,
        &ws,
        json!({ "extension": "fixture-web", "stack": stack, "inputs": { "PORT": free_port().to_string(), "TITLE": "Kept" } }),
    )
    .await;
    assert_eq!(status, 201, "{started}");
    let (status, body) = call(
        &app,
        op,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/apps/{stack}/update"),
        None,
    )
    .await;
    assert_eq!(status, 409, "nothing newer yet: {body}");

    let image = run.fixture_image().await.expect("present");
    testkit::extensions::write_extension(
        dir.path(),
        "fixture-web",
        &testkit::extensions::web(&image, run.id(), "1.1.0"),
    )
    .expect("present");
    let (status, _) = call(
        &app,
        &app.client,
        Method::POST,
        &format!("/api/v1/extension-sources/{source}/sync"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (_, view) = call(
        &app,
        op,
        Method::GET,
        &format!("/api/v1/workspaces/{ws}/apps/{stack}"),
        None,
    )
    .await;
    assert_eq!(view["latest"], "1.1.0", "{view}");
    let (_, preview) = call(
        &app,
        op,
        Method::GET,
        &format!("/api/v1/workspaces/{ws}/apps/{stack}/update"),
        None,
    )
    .await;
    assert!(
        preview["changelog_html"]
            .as_str()
            .expect("present")
            .contains("Adds a theme"),
        "{preview}"
    );
    assert_eq!(preview["new_inputs"][0]["key"], "THEME");
    let (status, _) = call(
        &app,
        &team.viewer.1,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/apps/{stack}/update"),
        None,
    )
    .await;
    assert_eq!(status, 403);

    let (status, updated) = call(
        &app,
        op,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/apps/{stack}/update?wait=true"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["version"], "1.1.0", "{updated}");
    assert_eq!(updated["status"], "installed");
    assert!(updated["latest"].is_null());
    let container = format!("{stack}-web-1");
    let (env, _) = wait_for("the updated container", Duration::from_secs(20), || {
        let docker = run.docker().clone();
        let container = container.clone();
        async move {
            let c = docker.inspect_container(&container, None).await.ok()?;
            let env = c.config?.env?;
            env.iter().any(|e| e == "THEME=dark").then_some(env)
        }
    })
    .await;
    assert!(env.contains(&"TITLE=Kept".to_owned()), "{env:?}");
    let records = audited(&app, "extension.update").await;
    assert!(has(&records, "extension.update", "ok"));
}

#[tokio::test]
async fn a_failed_install_leaves_nothing_behind_and_says_why() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let (_dir, _) = fixture_source(&app, &run, "1.0.0").await;
    let team = team(&app).await;
    let ws = team.ws.clone();
    // The official Redis asks for a host port: a free one, whatever else runs here.
    let redis_inputs = json!({ "HOST_PORT": free_port().to_string() });
    for (extension, what, inputs) in [
        ("fixture-missing", "gone", json!({})),
        ("redis", "official", redis_inputs),
    ] {
        let stack = stack_name(&mut run, what);
        let form = json!({ "extension": extension, "stack": stack, "inputs": inputs });
        let (status, started) = install(&app, &app.client, &ws, form.clone()).await;
        assert_eq!(status, 201, "{started}");
        let failed = &started["apps"][0];
        assert_eq!(failed["status"], "failed", "{started}");
        let error = failed["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("failed") && error.contains("pull"),
            "{extension}: {error}"
        );
        // No stack, no container, no volume, no network.
        let (status, _) = app.get_json(&format!("/api/v1/stacks/{stack}")).await;
        assert_eq!(status, 404);
        let observed = app
            .state
            .docker
            .observe_project(&stack)
            .await
            .expect("observe");
        assert!(
            observed.containers.is_empty()
                && !observed.volumes.iter().any(|v| v.starts_with(&stack)),
            "{observed:?}"
        );
        assert!(
            !observed.networks.iter().any(|n| n.starts_with(&stack)),
            "{observed:?}"
        );
        // The record says why; the name can be used again.
        let (_, view) = call(
            &app,
            &app.client,
            Method::GET,
            &format!("/api/v1/workspaces/{ws}/apps/{stack}"),
            None,
        )
        .await;
        assert_eq!(view["status"], "failed");
        let (status, again) = install(&app, &app.client, &ws, form.clone()).await;
        assert_eq!(status, 201, "{again}");
        let (status, _) = call(
            &app,
            &app.client,
            Method::DELETE,
            &format!("/api/v1/workspaces/{ws}/apps/{stack}"),
            None,
        )
        .await;
        assert_eq!(status, 200);
    }
    // Each install is recorded once it ended, as failed and why; never as ok.
    let records = audited(&app, "extension.install").await;
    assert!(has(&records, "extension.install", "failed"), "{records:?}");
    assert!(!has(&records, "extension.install", "ok"), "{records:?}");
    let reasons: Vec<String> = app
        .state
        .audit
        .recent(500)
        .await
        .expect("audit")
        .into_iter()
        .filter(|r| r.action == "extension.install")
        .map(|r| r.reason.unwrap_or_default())
        .collect();
    assert!(
        reasons
            .iter()
            .all(|r| r.contains("failed") && r.contains("pull")),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn host_access_waits_for_a_platform_admin_to_approve_it() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let (_dir, _) = fixture_source(&app, &run, "1.0.0").await;
    let team = team(&app).await;
    let ws = team.ws.clone();
    let op = &team.operator.1;
    let stack = stack_name(&mut run, "priv");
    let (_, plan) = call(
        &app,
        op,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/apps/plan"),
        Some(json!({ "extension": "fixture-hostpath", "stack": stack })),
    )
    .await;
    assert_eq!(plan["needs_approval"], true, "{plan}");
    assert_eq!(
        plan["steps"][0]["permissions"]["host_paths"],
        json!(["/tmp"])
    );
    let (status, started) = install(
        &app,
        op,
        &ws,
        json!({ "extension": "fixture-hostpath", "stack": stack }),
    )
    .await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["apps"][0]["status"], "awaiting_approval");
    assert!(
        started["apps"][0]["stack_id"].is_null(),
        "nothing deployed yet"
    );
    let (status, _) = call(
        &app,
        op,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/apps/{stack}/approve"),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = call(
        &app,
        op,
        Method::GET,
        "/api/v1/apps/awaiting-approval",
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (_, awaiting) = app.get_json("/api/v1/apps/awaiting-approval").await;
    assert_eq!(awaiting[0]["stack"], stack.as_str(), "{awaiting}");

    let (status, approved) = call(
        &app,
        &app.client,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/apps/{stack}/approve?wait=true"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["apps"][0]["status"], "installed", "{approved}");
    assert!(approved["apps"][0]["approved_by"].as_str().is_some());
    // Approved once: a second approval finds nothing waiting.
    let (status, again) = call(
        &app,
        &app.client,
        Method::POST,
        &format!("/api/v1/workspaces/{ws}/apps/{stack}/approve"),
        None,
    )
    .await;
    assert_eq!(status, 409, "{again}");
    let container = run
        .docker()
        .inspect_container(&format!("{stack}-tool-1"), None)
        .await
        .expect("the container");
    let mounts = container.mounts.unwrap_or_default();
    assert!(
        mounts
            .iter()
            .any(|m| m.source.as_deref() == Some("/tmp")
                && m.destination.as_deref() == Some("/host")),
        "{mounts:?}"
    );
    let (status, _) = call(
        &app,
        op,
        Method::DELETE,
        &format!("/api/v1/workspaces/{ws}/apps/{stack}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let records = audited(&app, "extension.approve").await;
    assert!(has(&records, "extension.approve", "ok"));
    assert!(has(&records, "extension.approve", "denied"));
}

#[tokio::test]
async fn reviews_are_one_per_user_editable_with_helpful_votes() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let (op, viewer) = (&team.operator, &team.viewer);
    let put = |client: &reqwest::Client, body: Value| {
        let client = client.clone();
        let app = &app;
        async move {
            call(
                app,
                &client,
                Method::PUT,
                "/api/v1/extensions/redis/reviews",
                Some(body),
            )
            .await
        }
    };
    assert_eq!(
        put(&op.1, json!({ "rating": 4, "body": "Solid" })).await.0,
        204
    );
    assert_eq!(
        put(&op.1, json!({ "rating": 5, "body": "Even better" }))
            .await
            .0,
        204
    );
    assert_eq!(put(&viewer.1, json!({ "rating": 3 })).await.0, 204);
    let (status, body) = put(&viewer.1, json!({ "rating": 0 })).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("present")
            .starts_with("rating:"),
        "{body}"
    );
    let (status, _) = call(
        &app,
        &op.1,
        Method::PUT,
        "/api/v1/extensions/no-such-app/reviews",
        Some(json!({ "rating": 5 })),
    )
    .await;
    assert_eq!(status, 404);

    let helpful = format!("/api/v1/extensions/redis/reviews/{}/helpful", op.0.id);
    assert_eq!(
        call(&app, &viewer.1, Method::PUT, &helpful, None).await.0,
        204
    );
    assert_eq!(
        call(&app, &viewer.1, Method::PUT, &helpful, None).await.0,
        204,
        "once"
    );
    assert_eq!(
        call(&app, &op.1, Method::PUT, &helpful, None).await.0,
        409,
        "not one's own"
    );

    let (_, reviews) = call(
        &app,
        &viewer.1,
        Method::GET,
        "/api/v1/extensions/redis/reviews",
        None,
    )
    .await;
    assert_eq!(reviews["count"], 2, "{reviews}");
    assert_eq!(reviews["average"], 4.0);
    let first = &reviews["items"][0];
    assert_eq!(first["body"], "Even better");
    assert_eq!(first["helpful"], 1);
    assert_eq!(first["voted"], true);
    assert_eq!(reviews["items"][1]["mine"], true);
    let (_, page) = app.get_json("/api/v1/extensions?sort=rating").await;
    assert_eq!(page["items"][0]["id"], "redis", "{page}");
    assert_eq!(page["items"][0]["reviews"], 2);

    assert_eq!(
        call(
            &app,
            &op.1,
            Method::DELETE,
            "/api/v1/extensions/redis/reviews",
            None
        )
        .await
        .0,
        204
    );
    let (_, reviews) = call(
        &app,
        &viewer.1,
        Method::GET,
        "/api/v1/extensions/redis/reviews",
        None,
    )
    .await;
    assert_eq!(reviews["count"], 1);
    let records = audited(&app, "extension.review").await;
    assert!(has(&records, "extension.review", "ok"));
    assert!(has(&records, "extension.review_vote", "failed"));
}

#[tokio::test]
async fn an_admin_installs_straight_from_a_git_url() {
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let image = run.fixture_image().await.expect("fixture image");
    let dir = tempfile::tempdir().expect("tempdir");
    write_catalog(dir.path(), &image, run.id(), "1.0.0").expect("catalog");
    let server = git_server(dir.path()).await;
    let team = team(&app).await;
    let ws = team.ws.clone();
    let stack = stack_name(&mut run, "git");
    let path = format!("/api/v1/workspaces/{ws}/apps/from-git?wait=true");
    let body = |extension: &str| json!({ "url": server.url, "reference": "main", "extension": extension, "stack": stack });

    let (status, _) = call(
        &app,
        &team.operator.1,
        Method::POST,
        &path,
        Some(body("fixture-db")),
    )
    .await;
    assert_eq!(status, 403);
    // Several extensions in the repository: which one must be said.
    let (status, answer) = call(&app, &app.client, Method::POST, &path, Some(body(""))).await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("extension:"),
        "{answer}"
    );
    let (status, started) = call(
        &app,
        &app.client,
        Method::POST,
        &path,
        Some(body("fixture-db")),
    )
    .await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["apps"][0]["status"], "installed", "{started}");
    // The repository is a source now, listed once however often it is used.
    let (_, sources) = app.get_json("/api/v1/extension-sources").await;
    let git: Vec<&Value> = sources
        .as_array()
        .expect("sources")
        .iter()
        .filter(|s| s["kind"] == "git")
        .collect();
    assert_eq!(git.len(), 1, "{sources}");
    let (status, _) = call(
        &app,
        &app.client,
        Method::DELETE,
        &format!("/api/v1/workspaces/{ws}/apps/{stack}?volumes=true"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let records = audited(&app, "extension.install_git").await;
    assert!(has(&records, "extension.install_git", "ok"), "{records:?}");
}

#[tokio::test]
async fn an_apps_generated_password_is_masked_for_viewers_and_its_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    let mut run = TestRun::new().expect("docker");
    let (_dir, _) = fixture_source(&app, &run, "1.0.0").await;
    let team = team(&app).await;
    let stack = stack_name(&mut run, "masked");
    let (status, installed) = install(
        &app,
        &team.operator.1,
        &team.ws,
        json!({ "extension": "fixture-db", "stack": stack, "inputs": {} }),
    )
    .await;
    assert_eq!(status, 201, "{installed}");
    let container = run
        .docker()
        .inspect_container(&format!("{stack}-db-1"), None)
        .await
        .expect("the app's container");
    let password = container
        .config
        .and_then(|c| c.env)
        .unwrap_or_default()
        .into_iter()
        .find_map(|e| e.strip_prefix("PASSWORD=").map(str::to_owned))
        .expect("the generated password");
    assert!(password.len() >= 16, "{password}");
    let path = format!("/api/v1/stacks/{stack}");
    let (status, seen) = call(&app, &team.viewer.1, Method::GET, &path, None).await;
    assert_eq!(status, 200, "{seen}");
    assert!(
        !seen.to_string().contains(&password),
        "a viewer read the password: {seen}"
    );
    assert!(
        seen["compose"]
            .as_str()
            .is_some_and(|c| c.contains("••••••")),
        "{seen}"
    );
    let revision = format!("{path}/revisions/1");
    let (_, old) = call(&app, &team.viewer.1, Method::GET, &revision, None).await;
    assert!(!old.to_string().contains(&password), "{old}");
    let (_, full) = call(&app, &team.operator.1, Method::GET, &path, None).await;
    assert!(
        full.to_string().contains(&password),
        "operators may edit the stack: {full}"
    );
    // The files holding it are Orbitr's alone.
    let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    let data = app.data_dir();
    assert_eq!(mode(&data), 0o700);
    if app.backend == "sqlite" {
        assert_eq!(mode(&data.join("orbitr.db")), 0o600);
    }
    let folder = data.join("stacks").join(&team.ws).join(&stack);
    assert_eq!(mode(&folder), 0o700);
    assert_eq!(mode(&folder.join("compose.yaml")), 0o600);
    let _ = call(
        &app,
        &app.client,
        Method::DELETE,
        &format!("/api/v1/workspaces/{}/apps/{stack}?volumes=true", team.ws),
        None,
    )
    .await;
}
