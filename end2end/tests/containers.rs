//! Containers in a real browser: started and stopped from the list with the state changing in
//! place (no reload), a container started outside Orbitr appearing by itself, and the create
//! form naming the field it refuses before creating a running container.

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::CreateContainerOptions;
use end2end::{Browser, Orbitr, PATIENCE, wait_until};
use testkit::docker::{RUN_LABEL, TestRun};

async fn outside_container(run: &TestRun, name: &str) -> anyhow::Result<String> {
    Ok(run
        .docker()
        .create_container(
            Some(CreateContainerOptions {
                name: Some(run.name(name)),
                ..Default::default()
            }),
            ContainerCreateBody {
                image: Some(run.fixture_image().await?),
                labels: Some(run.labels()),
                ..Default::default()
            },
        )
        .await?
        .id)
}

/// The state shown in the row of the container named `name`, once there is such a row.
async fn row_state(browser: &Browser, name: &str) -> anyhow::Result<Option<String>> {
    let script = format!(
        "const row = document.querySelector('[data-test=container-row][data-name=\"{name}\"]'); \
         return row ? row.getAttribute('data-state') : null;"
    );
    Ok(browser.js(&script).await?.as_str().map(str::to_owned))
}

/// How long a state change may take to show: a stop waits out the engine's 10 s grace period
/// (the fixture's `sleep` ignores SIGTERM), and a loaded CI machine adds to that.
const STATE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(45);

async fn wait_state(browser: &Browser, name: &str, state: &str) -> anyhow::Result<()> {
    wait_until(
        &format!("{name} to show {state}"),
        STATE_PATIENCE,
        || async {
            Ok(row_state(browser, name)
                .await?
                .filter(|s| s == state)
                .map(drop))
        },
    )
    .await
}

#[tokio::test]
async fn the_list_starts_and_stops_in_place_and_outside_containers_appear() -> anyhow::Result<()> {
    let run = TestRun::new()?;
    let web = run.name("web");
    outside_container(&run, "web").await?;
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;

    browser.goto(&orbitr.url("/containers")).await?;
    browser.wait_live().await?;
    browser
        .js("window.__sameDocument = true; return null;")
        .await?;
    wait_state(&browser, &web, "created").await?;

    let row = format!("[data-test=container-row][data-name='{web}']");
    browser.click(&format!("{row} [data-test=start]")).await?;
    wait_state(&browser, &web, "running").await?;
    browser.click(&format!("{row} [data-test=stop]")).await?;
    wait_state(&browser, &web, "exited").await?;

    // Started from outside Orbitr: the row appears, then turns running, by itself.
    let other = run.name("other");
    let id = outside_container(&run, "other").await?;
    wait_state(&browser, &other, "created").await?;
    run.docker().start_container(&id, None).await?;
    wait_state(&browser, &other, "running").await?;

    // The text filter narrows the list.
    let filter = browser
        .client
        .find(fantoccini::Locator::Css("[data-test=container-filter]"))
        .await?;
    filter.send_keys(&other).await?;
    wait_until("the filter to hide web", PATIENCE, || async {
        Ok(row_state(&browser, &web).await?.is_none().then_some(()))
    })
    .await?;
    assert_eq!(
        row_state(&browser, &other).await?.as_deref(),
        Some("running")
    );

    assert_eq!(
        browser.js("return window.__sameDocument === true;").await?,
        true,
        "no reload happened"
    );
    browser.close().await
}

#[tokio::test]
async fn the_create_form_names_a_bad_field_then_creates_a_running_container() -> anyhow::Result<()>
{
    let run = TestRun::new()?;
    let image = run.fixture_image().await?;
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    browser.create_workspace(&orbitr, "Apps").await?;

    browser.goto(&orbitr.url("/containers")).await?;
    browser.wait_for("[data-test=new-container]").await?;
    browser.wait_hydrated().await?;
    browser.click("[data-test=new-container]").await?;
    browser.wait_for("[data-test=create-container]").await?;
    browser.wait_hydrated().await?;
    let name = run.name("formed");
    browser.fill("image", &image).await?;
    browser.fill("name", &name).await?;
    browser
        .fill_area("labels", &format!("{RUN_LABEL}={}", run.id()))
        .await?;
    browser.fill_area("ports", "http").await?;
    browser.expect_console(
        "api/create_container - Failed to load resource: the server responded with a status of 400",
    );
    browser.click("[data-test=create]").await?;
    let message = wait_until("the ports error", PATIENCE, || async {
        browser.text("[data-test=error-ports]").await
    })
    .await?;
    assert!(message.starts_with("port 1:"), "{message}");

    browser.fill_area("ports", "").await?;
    browser.click("[data-test=create]").await?;
    let shown = wait_until("the new container's page", PATIENCE, || async {
        browser.text("[data-test=container-name]").await
    })
    .await?;
    assert_eq!(shown, name);
    wait_until("it to be running", STATE_PATIENCE, || async {
        Ok(browser
            .text("[data-test=state]")
            .await?
            .filter(|s| s == "running"))
    })
    .await?;
    browser.close().await
}

#[tokio::test]
async fn an_admin_edits_the_workspace_security_policy() -> anyhow::Result<()> {
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    browser.create_workspace(&orbitr, "Locked").await?;
    browser.wait_for("[data-test=save-policy]").await?;
    browser.wait_hydrated().await?;

    browser.click("[data-test=allow-bind_mounts]").await?;
    browser.fill_area("bind_roots", "relative/dir").await?;
    browser.expect_console("api/set_security_policy - Failed to load resource: the server responded with a status of 400");
    browser.click("[data-test=save-policy]").await?;
    let message = wait_until("the bind_roots error", PATIENCE, || async {
        browser.text("[data-test=error-bind_roots]").await
    })
    .await?;
    assert!(message.starts_with("bind root 1:"), "{message}");

    browser.fill_area("bind_roots", "/srv/apps/").await?;
    browser.click("[data-test=save-policy]").await?;
    browser.wait_for("[data-test=policy-saved]").await?;
    let stored = browser
        .js("return document.querySelector('textarea[name=bind_roots]').value;")
        .await?;
    assert_eq!(stored, "/srv/apps", "the stored, resolved form is shown");

    // It is still there after a reload.
    browser.client.refresh().await?;
    browser.wait_for("[data-test=save-policy]").await?;
    let checked = browser
        .js("return document.querySelector('[data-test=allow-bind_mounts]').checked;")
        .await?;
    assert_eq!(checked, true);
    browser.close().await
}

#[tokio::test]
async fn an_admin_adopts_an_unmanaged_container_from_its_page() -> anyhow::Result<()> {
    let run = TestRun::new()?;
    let id = outside_container(&run, "stray").await?;
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    browser.create_workspace(&orbitr, "Adopters").await?;

    browser
        .goto(&orbitr.url(&format!("/containers/{id}")))
        .await?;
    browser.wait_for("[data-test=adopt]").await?;
    browser.wait_hydrated().await?;
    browser.click("[data-test=adopt-button]").await?;
    wait_until("the adopt section to go", PATIENCE, || async {
        Ok((!browser.exists("[data-test=adopt]").await?).then_some(()))
    })
    .await?;

    browser.goto(&orbitr.url("/containers")).await?;
    let stray = run.name("stray");
    wait_state(&browser, &stray, "created").await?;
    let workspace = browser
        .js(&format!(
            "return document.querySelector('[data-test=container-row][data-name=\"{stray}\"] [data-test=container-workspace]').textContent;"
        ))
        .await?;
    assert_eq!(workspace, "Adopters");
    browser.close().await
}

#[tokio::test]
async fn a_missing_container_shows_only_its_not_found_state_and_a_wrong_address_keeps_the_frame()
-> anyhow::Result<()> {
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;

    browser
        .goto(&orbitr.url("/containers/no-such-container-here"))
        .await?;
    browser.wait_for("[data-test=container-error]").await?;
    browser.wait_hydrated().await?;
    for absent in ["log-viewer", "container-stats"] {
        assert!(
            !browser.exists(&format!("[data-test={absent}]")).await?,
            "a missing container shows {absent}"
        );
    }

    // The page answers 404, which the browser logs for the document itself.
    browser.expect_console("status of 404");
    browser.goto(&orbitr.url("/no/such/page")).await?;
    browser.wait_for("[data-test=not-found]").await?;
    browser.wait_hydrated().await?;
    assert!(
        browser.exists("nav.sidebar").await?,
        "the 404 page has the app's navigation"
    );
    assert!(browser.exists("[data-test=user-name]").await?);
    browser.close().await
}
