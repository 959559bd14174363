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

#[tokio::test]
async fn networks_and_volumes_are_created_and_removed_from_their_pages() -> anyhow::Result<()> {
    let mut run = TestRun::new()?;
    let image = run.fixture_image().await?;
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    let ws = browser.create_workspace(&orbitr, "Storage").await?;
    run.also_remove(format!("{}={ws}", engine::resources::WORKSPACE_LABEL));

    let volume = run.name("vol");
    browser.client.goto(&orbitr.url("/volumes")).await?;
    browser.wait_for("[data-test=new-volume]").await?;
    browser.wait_live().await?;
    browser.fill("name", "bad name").await?;
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
    browser.client.goto(&orbitr.url("/networks")).await?;
    browser.wait_for("[data-test=new-network]").await?;
    browser.wait_live().await?;
    browser.fill("name", &network).await?;
    browser.fill("subnet", "10.78.12.0/24").await?;
    browser.click("[data-test=create-network]").await?;
    wait_row(&browser, "network", &network, true).await?;
    browser
        .click(&format!(
            "[data-test=network-row][data-name='{network}'] [data-test=remove-network]"
        ))
        .await?;
    browser.client.accept_alert().await?;
    wait_row(&browser, "network", &network, false).await?;

    // The images page lists the fixture image.
    browser.client.goto(&orbitr.url("/images")).await?;
    browser.wait_for("[data-test=images]").await?;
    let listed = browser
        .text("[data-test=images]")
        .await?
        .unwrap_or_default();
    let tag = image.split(':').next().unwrap_or_default().to_owned();
    assert!(listed.contains(&tag), "{listed}");

    browser.client.goto(&orbitr.url("/volumes")).await?;
    browser.wait_live().await?;
    wait_row(&browser, "volume", &volume, true).await?;
    browser
        .click(&format!(
            "[data-test=volume-row][data-name='{volume}'] [data-test=remove-volume]"
        ))
        .await?;
    browser.client.accept_alert().await?;
    wait_row(&browser, "volume", &volume, false).await?;
    browser.close().await
}
