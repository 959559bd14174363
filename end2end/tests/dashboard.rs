//! The dashboard in a real browser.

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::CreateContainerOptions;
use end2end::{Browser, Orbitr, PATIENCE, wait_until};
use testkit::docker::TestRun;
use testkit::proxy::SocketProxy;

#[tokio::test]
async fn the_dashboard_shows_the_engine_and_the_theme_choice_survives_a_reload()
-> anyhow::Result<()> {
    let run = TestRun::new()?;
    let version = run.docker().version().await?.version.unwrap_or_default();
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;

    let shown = wait_until("the engine version card", PATIENCE, || async {
        browser.text("[data-test=engine-version] .card-value").await
    })
    .await?;
    assert_eq!(shown, version);
    browser.wait_live().await?;

    let prefers_dark = browser
        .js("return window.matchMedia('(prefers-color-scheme: dark)').matches;")
        .await?
        .as_bool()
        .unwrap_or(false);
    let expected = if prefers_dark { "light" } else { "dark" };
    let background = "return getComputedStyle(document.body).backgroundColor;";
    let before = browser.js(background).await?;

    browser
        .client
        .find(fantoccini::Locator::Css("[data-test=theme-toggle]"))
        .await?
        .click()
        .await?;
    let theme = "return document.documentElement.getAttribute('data-theme');";
    wait_until("the theme to switch", PATIENCE, || async {
        Ok((browser.js(theme).await? == expected).then_some(()))
    })
    .await?;
    let after = browser.js(background).await?;
    assert_ne!(before, after, "the page looks different in the other theme");

    browser.client.refresh().await?;
    browser.wait_live().await?;
    assert_eq!(
        browser.js(theme).await?,
        expected,
        "the choice is kept across a reload"
    );
    assert_eq!(browser.js(background).await?, after);
    browser.close().await
}

#[tokio::test]
async fn a_container_created_outside_orbitr_shows_up_without_a_reload() -> anyhow::Result<()> {
    let run = TestRun::new()?;
    let image = run.fixture_image().await?;
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    browser.wait_live().await?;
    browser
        .js("window.__sameDocument = true; return null;")
        .await?;
    let count = || async {
        let text = browser.text("[data-test=containers] .card-value").await?;
        Ok(text.and_then(|t| t.parse::<i64>().ok()))
    };
    let before = wait_until("the containers card", PATIENCE, count).await?;

    run.docker()
        .create_container(
            Some(CreateContainerOptions {
                name: Some(run.name("outside")),
                ..Default::default()
            }),
            ContainerCreateBody {
                image: Some(image),
                labels: Some(run.labels()),
                ..Default::default()
            },
        )
        .await?;

    wait_until("the new container to be counted", PATIENCE, || async {
        Ok(count().await?.filter(|n| *n > before))
    })
    .await?;
    assert_eq!(
        browser.js("return window.__sameDocument === true;").await?,
        true,
        "no reload happened"
    );
    browser.close().await
}

#[tokio::test]
async fn the_engine_banner_appears_when_cut_off_and_goes_away_by_itself() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut proxy = SocketProxy::new(dir.path().join("docker.sock"));
    let host = proxy.docker_host();
    let orbitr = Orbitr::start(&["--docker-host", &host]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    browser.wait_for("[data-test=engine-banner]").await?;
    let banner = browser
        .text("[data-test=engine-banner]")
        .await?
        .unwrap_or_default();
    assert!(
        banner.contains("docker.sock"),
        "the banner names the socket: {banner}"
    );
    browser.wait_live().await?;

    proxy.start()?;
    wait_until("the banner to go away", PATIENCE, || async {
        Ok((!browser.exists("[data-test=engine-banner]").await?).then_some(()))
    })
    .await?;
    browser.wait_for("[data-test=engine-version]").await?;
    browser.wait_for("[data-test=toast]").await?;

    proxy.stop();
    browser.wait_for("[data-test=engine-banner]").await?;
    browser.close().await
}
