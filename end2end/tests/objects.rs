//! Images, networks and volumes in a real browser: created from their pages in a workspace,
//! appearing and going without a reload, removed after a confirmation.

use end2end::{Browser, Orbitr, PATIENCE, wait_until};
use testkit::docker::TestRun;

/// Whether a row of `kind` named `name` is on the page.
async fn has_row(browser: &Browser, kind: &str, name: &str) -> anyhow::Result<bool> {
    browser
        .exists(&format!("[data-test={kind}-row][data-name='{name}']"))
        .await
}

async fn wait_row(browser: &Browser, kind: &str, name: &str, present: bool) -> anyhow::Result<()> {
    wait_until(
        &format!(
            "{kind} {name} to be {}",
            if present { "listed" } else { "gone" }
        ),
        PATIENCE,
        || async { Ok((has_row(browser, kind, name).await? == present).then_some(())) },
    )
    .await
}

/// The id of a local image.
async fn image_id(run: &TestRun, reference: &str) -> anyhow::Result<String> {
    Ok(run
        .docker()
        .inspect_image(reference)
        .await?
        .id
        .unwrap_or_default())
}

#[tokio::test]
async fn networks_and_volumes_are_created_and_removed_from_their_pages() -> anyhow::Result<()> {
    let mut run = TestRun::new()?;
    let image = run.fixture_image().await?;
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    let ws = browser.create_workspace(&orbitr, "Storage").await?;
    run.also_remove(format!(
        "{}={ws}",
        engine::model::resources::WORKSPACE_LABEL
    ));

    let volume = run.name("vol");
    browser.goto(&orbitr.url("/volumes")).await?;
    browser.wait_for("[data-test=new-volume]").await?;
    browser.wait_live().await?;
    browser.fill("name", "bad name").await?;
    browser.expect_console(
        "api/create_volume - Failed to load resource: the server responded with a status of 400",
    );
    browser.click("[data-test=create-volume]").await?;
    let message = wait_until("the name error", PATIENCE, || async {
        browser.text("[data-test=error-name]").await
    })
    .await?;
    assert!(message.contains("letters, digits"), "{message}");
    browser.fill("name", &volume).await?;
    browser.click("[data-test=create-volume]").await?;
    wait_row(&browser, "volume", &volume, true).await?;

    let network = run.name("net");
    browser.goto(&orbitr.url("/networks")).await?;
    browser.wait_for("[data-test=new-network]").await?;
    browser.wait_live().await?;
    browser.fill("name", &network).await?;
    browser.fill("subnet", "10.78.12.0/24").await?;
    browser.click("[data-test=create-network]").await?;
    wait_row(&browser, "network", &network, true).await?;

    // A container of the workspace is connected to it from its page, then disconnected.
    let labels = [(
        engine::model::resources::WORKSPACE_LABEL.to_owned(),
        ws.clone(),
    )];
    let container = run.create_fixture("app", labels.into()).await?;
    browser
        .goto(&orbitr.url(&format!("/containers/{container}")))
        .await?;
    browser.wait_for("[data-test=connect]").await?;
    browser.wait_hydrated().await?;
    browser.click("[data-test=connect]").await?;
    let attached = format!("[data-test=network][data-name='{network}']");
    browser.wait_for(&attached).await?;
    browser
        .click(&format!("{attached} [data-test=disconnect]"))
        .await?;
    wait_until("the network to be disconnected", PATIENCE, || async {
        Ok((!browser.exists(&attached).await?).then_some(()))
    })
    .await?;
    // Removed under the open page, which reads it again and finds it gone.
    browser.expect_console(
        "get_container - Failed to load resource: the server responded with a status of 404",
    );
    run.docker()
        .remove_container(
            &container,
            None::<bollard::query_parameters::RemoveContainerOptions>,
        )
        .await?;

    browser.goto(&orbitr.url("/networks")).await?;
    browser.wait_live().await?;
    wait_row(&browser, "network", &network, true).await?;
    browser
        .click(&format!(
            "[data-test=network-row][data-name='{network}'] [data-test=remove-network]"
        ))
        .await?;
    browser.click("[data-test=dialog-confirm]").await?;
    wait_row(&browser, "network", &network, false).await?;

    // The images page lists the fixture image.
    browser.goto(&orbitr.url("/images")).await?;
    browser.wait_for("[data-test=images]").await?;
    let listed = browser
        .text("[data-test=images]")
        .await?
        .unwrap_or_default();
    let tag = image.split(':').next().unwrap_or_default().to_owned();
    assert!(listed.contains(&tag), "{listed}");
    browser.wait_hydrated().await?;
    browser
        .click(&format!(
            "[data-test=image-link][href*='{}']",
            image_id(&run, &image).await?
        ))
        .await?;
    let name = wait_until("the image page", PATIENCE, || async {
        browser.text("[data-test=image-name]").await
    })
    .await?;
    assert!(!name.is_empty());
    let page = browser.text("main").await?.unwrap_or_default();
    assert!(page.contains(&image), "the fixture's tag is listed: {page}");
    let history = browser
        .text("[data-test=history]")
        .await?
        .unwrap_or_default();
    assert!(
        history.contains("busybox"),
        "the build steps are listed: {history}"
    );

    browser.goto(&orbitr.url("/volumes")).await?;
    browser.wait_live().await?;
    wait_row(&browser, "volume", &volume, true).await?;
    browser
        .click(&format!(
            "[data-test=volume-row][data-name='{volume}'] [data-test=remove-volume]"
        ))
        .await?;
    browser.click("[data-test=dialog-confirm]").await?;
    wait_row(&browser, "volume", &volume, false).await?;
    browser.close().await
}

#[tokio::test]
async fn an_owner_saves_registry_credentials_and_a_pull_shows_its_progress() -> anyhow::Result<()> {
    let run = TestRun::new()?;
    let password = "browser-registry-pass";
    let registry = testkit::registry::LocalRegistry::start("bob", password).await?;
    let reference = registry.publish_run_image(&run, "bob", password).await?;
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    browser.create_workspace(&orbitr, "Pullers").await?;

    // The workspace page: its owner saves the credential (the password is never shown again).
    browser.wait_for("[data-test=registry-form]").await?;
    browser.wait_hydrated().await?;
    browser.fill("registry", &registry.host).await?;
    browser.fill("username", "bob").await?;
    browser.fill("password", password).await?;
    browser.click("[data-test=save-registry]").await?;
    browser.wait_for("[data-test=registry-row]").await?;
    let section = browser
        .text("[data-test=registries]")
        .await?
        .unwrap_or_default();
    assert!(
        section.contains(&registry.host) && !section.contains(password),
        "{section}"
    );

    // The images page: pull, watch the progress end, see the image listed.
    browser.goto(&orbitr.url("/images")).await?;
    browser.wait_for("[data-test=pull-form]").await?;
    browser.wait_live().await?;
    browser.fill("reference", &reference).await?;
    browser.click("[data-test=pull]").await?;
    wait_until("the pull to finish", PATIENCE, || async {
        Ok(browser
            .exists("[data-test=pull-progress][data-done=true]")
            .await?
            .then_some(()))
    })
    .await?;
    let state = browser
        .text("[data-test=pull-state]")
        .await?
        .unwrap_or_default();
    assert_eq!(state, "Pulled");
    wait_until("the image in the list", PATIENCE, || async {
        Ok(browser
            .text("[data-test=images]")
            .await?
            .filter(|t| t.contains(&reference))
            .map(drop))
    })
    .await?;
    testkit::registry::remove_local(&run, &reference).await?;
    browser.close().await
}
