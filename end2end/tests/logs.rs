//! Live logs and usage in a real browser: a stack's combined log shows a line the container
//! printed after the page loaded within 2 s, the filter narrows it, and the CPU chart moves.

use std::time::{Duration, Instant};

use end2end::{Browser, Orbitr, PATIENCE, wait_until};
use fantoccini::Locator;
use testkit::docker::TestRun;

#[tokio::test]
async fn a_stack_log_shows_new_lines_at_once_filters_and_its_cpu_chart_moves() -> anyhow::Result<()>
{
    let mut run = TestRun::new()?;
    let image = run.fixture_image().await?;
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    let ws = browser.create_workspace(&orbitr, "Logs").await?;
    run.also_remove(format!("{}={ws}", engine::resources::WORKSPACE_LABEL));
    let name = format!("{}-talk", run.id());
    run.also_remove(format!("{}={name}", engine::resources::PROJECT_LABEL));

    browser.client.goto(&orbitr.url("/stacks/new")).await?;
    browser.wait_for("[data-test=new-stack-form]").await?;
    browser.wait_hydrated().await?;
    browser.fill("name", &name).await?;
    let compose = format!(
        "services:\n  web:\n    image: {image}\n    command: [sh, -c, \"echo web is up; while :; do sleep 0.05; done\"]\n  worker:\n    image: {image}\n    command: [sh, -c, \"printf '\\\\033[31mred <b>alert</b>\\\\033[0m\\\\n'; exec sleep 86400\"]\n"
    );
    browser
        .client
        .execute(
            "const t = document.querySelector('[data-test=compose-editor-input]'); t.value = arguments[0]; \
             t.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![compose.into()],
        )
        .await?;
    browser.wait_for("[data-test=diagnostics-ok]").await?;
    browser.click("[data-test=create-stack]").await?;
    browser.wait_for("[data-test=stack-title]").await?;
    browser.wait_hydrated().await?;
    browser.wait_live().await?;
    browser.click("[data-test=deploy]").await?;
    browser.click("[data-test=deploy-now]").await?;
    browser
        .wait_for("[data-test=progress][data-finished=true]")
        .await?;

    // The combined log: both services' first lines, each tagged with its service; the ANSI
    // colour is rendered and the markup the container printed stays text.
    browser.click("[data-test=tab-logs]").await?;
    browser.wait_for("[data-test=log-viewer]").await?;
    let lines = || async { browser.text("[data-test=log-lines]").await };
    wait_until("both services' first lines", PATIENCE, || async {
        Ok(lines()
            .await?
            .filter(|t| t.contains("web is up") && t.contains("red <b>alert</b>")))
    })
    .await?;
    assert!(
        browser.exists(".log-tag").await?,
        "lines carry service tags"
    );
    assert!(browser.exists(".log-line .a-fg-1").await?, "ANSI red");
    assert!(
        !browser.exists(".log-line b").await?,
        "no markup from the log"
    );

    // A line printed now shows within 2 s.
    let web = run
        .docker()
        .list_containers(Some(bollard::query_parameters::ListContainersOptions {
            filters: Some(std::collections::HashMap::from([(
                "label".to_owned(),
                vec![
                    format!("{}={name}", engine::resources::PROJECT_LABEL),
                    format!("{}=web", engine::resources::SERVICE_LABEL),
                ],
            )])),
            ..Default::default()
        }))
        .await?
        .into_iter()
        .next()
        .and_then(|c| c.id)
        .ok_or_else(|| anyhow::anyhow!("the web container"))?;
    let printed = Instant::now();
    testkit::docker::print_line(run.docker(), &web, "needle in the log", false).await?;
    wait_until("the new line", Duration::from_secs(2), || async {
        Ok(lines().await?.filter(|t| t.contains("needle in the log")))
    })
    .await?;
    eprintln!(
        "a printed line showed in the browser after {:?}",
        printed.elapsed()
    );

    // The filter keeps only matching lines.
    browser
        .client
        .find(Locator::Css("[data-test=log-filter]"))
        .await?
        .send_keys("needle")
        .await?;
    wait_until("only the matching line", PATIENCE, || async {
        Ok(lines()
            .await?
            .filter(|t| t.contains("needle in the log") && !t.contains("web is up")))
    })
    .await?;
    browser.screenshot("stack-logs").await?;
    let count = browser
        .text("[data-test=log-count]")
        .await?
        .unwrap_or_default();
    assert!(count.starts_with("1 of "), "{count}");

    // Usage: the CPU chart of each service gains samples as they come.
    browser.click("[data-test=tab-usage]").await?;
    let samples = || async {
        let value = browser
            .js("const c = document.querySelector('[data-test=service-usage][data-service=web] [data-test=cpu-chart]'); return c ? Number(c.getAttribute('data-samples')) : -1;")
            .await?;
        Ok::<i64, anyhow::Error>(value.as_i64().unwrap_or(-1))
    };
    let first = wait_until("a CPU chart with samples", PATIENCE, || async {
        Ok(Some(samples().await?).filter(|n| *n > 0))
    })
    .await?;
    wait_until("the CPU chart to move", PATIENCE, || async {
        Ok(Some(samples().await?).filter(|n| *n > first))
    })
    .await?;
    browser.screenshot("stack-usage").await?;

    // The container page: usage charts and the container's own log.
    browser
        .client
        .goto(&orbitr.url(&format!("/containers/{web}")))
        .await?;
    browser.wait_for("[data-test=log-viewer]").await?;
    wait_until("the web container's lines", PATIENCE, || async {
        Ok(lines().await?.filter(|t| t.contains("needle in the log")))
    })
    .await?;
    wait_until("a CPU chart on the container page", PATIENCE, || async {
        let n = browser
            .js("const c = document.querySelector('[data-test=cpu-chart] svg'); return c ? Number(c.getAttribute('data-samples')) : 0;")
            .await?;
        Ok(n.as_i64().filter(|n| *n > 1))
    })
    .await?;
    browser
        .js("document.querySelector('[data-test=container-stats]').scrollIntoView(); return true;")
        .await?;
    browser.screenshot("container-page").await?;
    browser.close().await?;
    Ok(())
}
