//! The marketplace in a real browser: an admin adds the fixture catalog as a source, searches,
//! opens an app, fills its form, reviews the plan (its requirement first), installs it with live
//! progress, sees it running in the installed apps with a link to its page, and uninstalls it.

use end2end::{Browser, Orbitr, PATIENCE, wait_until};
use fantoccini::Locator;
use testkit::docker::TestRun;
use testkit::extensions::{free_port, write_catalog};

async fn count(browser: &Browser, css: &str) -> anyhow::Result<usize> {
    Ok(browser.client.find_all(Locator::Css(css)).await?.len())
}

#[tokio::test]
async fn search_open_fill_install_see_it_running_then_uninstall() -> anyhow::Result<()> {
    let mut run = TestRun::new()?;
    let image = run.fixture_image().await?;
    let catalog = tempfile::tempdir()?;
    write_catalog(catalog.path(), &image, run.id(), "1.0.0")?;
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    let ws = browser.create_workspace(&orbitr, "Apps").await?;
    run.also_remove(format!(
        "{}={ws}",
        engine::model::resources::WORKSPACE_LABEL
    ));
    let stack = format!("{}-site", run.id());
    for project in [stack.clone(), format!("{stack}-fixture-db")] {
        run.also_remove(format!(
            "{}={project}",
            engine::model::resources::PROJECT_LABEL
        ));
    }

    // The admin adds the fixture catalog as a source.
    browser.goto(&orbitr.url("/marketplace")).await?;
    browser.wait_for("[data-test=add-source]").await?;
    browser.wait_hydrated().await?;
    // The official apps' cards carry their icons, drawn by the browser.
    let drawn = wait_until("the official icons", PATIENCE, || async {
        let drawn = browser
            .js("const icons = Array.from(document.querySelectorAll('[data-test=ext-icon]')); \
                 return icons.length > 0 && icons.every(i => i.complete && i.naturalWidth > 0) ? icons.length : null;")
            .await?;
        Ok(drawn.as_u64())
    })
    .await?;
    assert!(drawn >= 10, "{drawn} icons");
    browser.fill("source-name", "Fixtures").await?;
    browser
        .fill("source-location", &catalog.path().to_string_lossy())
        .await?;
    browser.click("[data-test=add-source-button]").await?;
    let listed = wait_until("the new source", PATIENCE, || async {
        browser
            .text("[data-test=source-row][data-name=Fixtures] [data-test=source-count]")
            .await
    })
    .await?;
    assert!(
        listed.starts_with('5') && listed.contains("1 with errors"),
        "{listed}"
    );

    // Search, then open the app.
    browser.fill("q", "fixture we").await?;
    wait_until("only the matching app", PATIENCE, || async {
        let web = count(&browser, "[data-test=market-card][data-id=fixture-web]").await?;
        let all = count(&browser, "[data-test=market-card]").await?;
        Ok((web == 1 && all == 1).then_some(()))
    })
    .await?;
    browser.screenshot("marketplace-search").await?;
    browser
        .click("[data-test=market-card][data-id=fixture-web]")
        .await?;
    browser.wait_for("[data-test=install-panel]").await?;
    browser.wait_hydrated().await?;
    let readme = browser.text("[data-test=readme] h1").await?;
    assert_eq!(readme.as_deref(), Some("Fixture Web"));

    // A missing required value is shown at its field before anything is sent.
    browser.fill("stack", &stack).await?;
    browser.click("[data-test=review-plan]").await?;
    browser.wait_for("[data-test=error-PORT]").await?;
    let port = free_port();
    browser.fill("input-PORT", &port.to_string()).await?;
    browser.fill("input-TITLE", "From the browser").await?;
    browser.click("[data-test=review-plan]").await?;
    wait_until("the plan", PATIENCE, || async {
        Ok((count(&browser, "[data-test=plan-step]").await? == 2).then_some(()))
    })
    .await?;
    let first = browser
        .text("[data-test=plan-step]")
        .await?
        .unwrap_or_default();
    assert!(
        first.contains("Fixture DB"),
        "the requirement comes first: {first}"
    );

    // Install: progress for both stacks, live.
    browser.click("[data-test=install]").await?;
    wait_until("both deploys to finish", PATIENCE, || async {
        Ok((count(&browser, "[data-test=install-finished]").await? == 2).then_some(()))
    })
    .await?;
    let finished = browser
        .text("[data-test=install-finished]")
        .await?
        .unwrap_or_default();
    assert_eq!(finished, "deploy finished");
    browser.screenshot("marketplace-installed").await?;
    // The "Installing …" toast goes by itself.
    wait_until("the install toast to go", PATIENCE, || async {
        let toasts = browser
            .js("return Array.from(document.querySelectorAll('[data-test=toast]')).map(t => t.textContent).join(' ');")
            .await?;
        Ok((!toasts.as_str().unwrap_or_default().contains("Installing")).then_some(()))
    })
    .await?;

    // Installed apps: running, with a link to its page.
    browser.click("[data-test=go-installed]").await?;
    let row = format!("[data-test=app-row][data-stack='{stack}']");
    let status = wait_until("the app running", PATIENCE, || async {
        Ok(browser
            .text(&format!("{row} [data-test=app-status]"))
            .await?
            .filter(|s| s == "running 1/1"))
    })
    .await?;
    assert_eq!(status, "running 1/1");
    let href = browser
        .client
        .find(Locator::Css(&format!("{row} [data-test=app-link]")))
        .await?
        .attr("href")
        .await?
        .unwrap_or_default();
    assert!(href.ends_with(&format!(":{port}")), "{href}");
    let page = reqwest::get(format!("http://127.0.0.1:{port}/bin/busybox")).await?;
    assert_eq!(page.status(), 200);

    // Uninstall it, deleting its data.
    browser.wait_hydrated().await?;
    browser
        .click(&format!("{row} [data-test=uninstall]"))
        .await?;
    browser.wait_for("[data-test=uninstall-confirm]").await?;
    browser.click("[data-test=delete-volumes]").await?;
    browser.click("[data-test=confirm-uninstall]").await?;
    wait_until("the app gone", PATIENCE, || async {
        Ok((!browser.exists(&row).await?).then_some(()))
    })
    .await?;
    // Its requirement stays, as an app of its own.
    assert!(
        browser
            .exists(&format!(
                "[data-test=app-row][data-stack='{stack}-fixture-db']"
            ))
            .await?
    );
    browser.close().await?;
    Ok(())
}
