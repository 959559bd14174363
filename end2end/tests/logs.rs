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
    run.also_remove(format!(
        "{}={ws}",
        engine::model::resources::WORKSPACE_LABEL
    ));
    let name = format!("{}-talk", run.id());
    run.also_remove(format!(
        "{}={name}",
        engine::model::resources::PROJECT_LABEL
    ));

    let compose = format!(
        "services:\n  web:\n    image: {image}\n    command: [sh, -c, \"echo web is up; while :; do sleep 0.05; done\"]\n  worker:\n    image: {image}\n    command: [sh, -c, \"printf '\\\\033[31mred <b>alert</b>\\\\033[0m\\\\n'; exec sleep 86400\"]\n"
    );
    browser.create_stack(&orbitr, &name, &compose).await?;
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
                    format!("{}={name}", engine::model::resources::PROJECT_LABEL),
                    format!("{}=web", engine::model::resources::SERVICE_LABEL),
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

/// A running container of no workspace (platform admins see it) printing `script`'s output,
/// and its page open in a platform admin's browser.
async fn log_page(run: &TestRun, name: &str, script: &str) -> anyhow::Result<(Orbitr, Browser)> {
    let id = run
        .start_script(name, script, std::collections::HashMap::new())
        .await?;
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    browser
        .goto(&orbitr.url(&format!("/containers/{id}")))
        .await?;
    browser.wait_for("[data-test=log-viewer]").await?;
    browser.wait_hydrated().await?;
    Ok((orbitr, browser))
}

/// Waits until the line count reads `shown`.
async fn wait_count(browser: &Browser, shown: &str) -> anyhow::Result<()> {
    wait_until(&format!("the count {shown}"), PATIENCE, || async {
        Ok(browser
            .text("[data-test=log-count]")
            .await?
            .filter(|c| c == shown)
            .map(drop))
    })
    .await
}

/// Whether the log view is scrolled to its end.
async fn at_bottom(browser: &Browser) -> anyhow::Result<bool> {
    Ok(browser
        .js(
            "const el = document.querySelector('[data-test=log-lines]'); \
             return el.scrollTop + el.clientHeight >= el.scrollHeight - 4;",
        )
        .await?
        == true)
}

#[tokio::test]
async fn follow_stays_at_the_bottom_while_a_thousand_lines_arrive() -> anyhow::Result<()> {
    let run = TestRun::new()?;
    // The lines start once the page is open: 1,000 of them in 20 bursts over about 2 s.
    let (_orbitr, browser) = log_page(
        &run,
        "chatty",
        "sleep 3; i=0; while [ $i -lt 1000 ]; do echo \"line $i\"; i=$((i+1)); \
         [ $((i % 50)) -eq 0 ] && sleep 0.1; done; exec sleep 86400",
    )
    .await?;

    wait_until("all 1,000 lines", Duration::from_secs(30), || async {
        // While they arrive, the view never leaves Follow and never stops short of the end.
        anyhow::ensure!(
            !browser.exists("[data-test=log-resume]").await?,
            "Follow paused itself while lines arrived"
        );
        let count = browser
            .text("[data-test=log-count]")
            .await?
            .unwrap_or_default();
        Ok((count == "1000 lines").then_some(()))
    })
    .await?;
    wait_until("the view at the last line", PATIENCE, || async {
        Ok(at_bottom(&browser).await?.then_some(()))
    })
    .await?;
    let lines = browser
        .text("[data-test=log-lines]")
        .await?
        .unwrap_or_default();
    assert!(lines.contains("line 999"), "the last line shows: {lines}");
    assert!(!browser.exists("[data-test=log-resume]").await?);

    // The reader scrolling up leaves Follow; the button brings the view back to the end.
    browser
        .js("document.querySelector('[data-test=log-lines]').scrollTop = 0; return true;")
        .await?;
    browser.wait_for("[data-test=log-resume]").await?;
    browser.click("[data-test=log-resume]").await?;
    wait_until("Follow to resume at the end", PATIENCE, || async {
        Ok(
            (at_bottom(&browser).await? && !browser.exists("[data-test=log-resume]").await?)
                .then_some(()),
        )
    })
    .await?;
    browser.close().await
}

#[tokio::test]
async fn a_regex_filter_narrows_the_log_and_a_bad_pattern_is_shown_under_the_field()
-> anyhow::Result<()> {
    let run = TestRun::new()?;
    let (_orbitr, browser) = log_page(
        &run,
        "regex",
        "for w in alpha beta gamma delta; do echo \"word $w\"; done; exec sleep 86400",
    )
    .await?;
    wait_count(&browser, "4 lines").await?;

    browser.click("[data-test=log-regex]").await?;
    let filter = browser
        .client
        .find(Locator::Css("[data-test=log-filter]"))
        .await?;
    // A valid pattern, case-insensitive: two of the four lines.
    filter.send_keys("^word (ALPHA|gam)").await?;
    wait_count(&browser, "2 of 4 lines").await?;
    let shown = browser
        .text("[data-test=log-lines]")
        .await?
        .unwrap_or_default();
    assert!(
        shown.contains("word alpha") && shown.contains("word gamma") && !shown.contains("beta"),
        "{shown}"
    );
    browser.check_console().await?;

    // A pattern the browser cannot compile: said under the field; the page keeps working.
    filter.clear().await?;
    filter.send_keys("word (").await?;
    let message = wait_until("the pattern's error", PATIENCE, || async {
        browser.text("[data-test=log-filter-error]").await
    })
    .await?;
    assert!(
        message.starts_with("Not a valid regular expression"),
        "{message}"
    );
    // Fixed again, it filters again, and the toolbar still answers.
    filter.send_keys(")?delta").await?;
    wait_count(&browser, "1 of 4 lines").await?;
    assert!(!browser.exists("[data-test=log-filter-error]").await?);
    browser.click("[data-test=log-regex]").await?;
    browser.close().await
}
