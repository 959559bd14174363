//! Stacks in a real browser: a typed mistake shows its diagnostic at its line as you type,
//! fixing it clears it, and a deploy from the editor brings the services up with live progress.

use end2end::{Browser, Orbitr, PATIENCE, wait_until};
use fantoccini::Locator;
use testkit::docker::TestRun;

const INPUT: &str = "[data-test=compose-editor-input]";

/// Replaces the editor's text the way a paste would (one input event).
async fn paste(browser: &Browser, text: &str) -> anyhow::Result<()> {
    browser
        .client
        .execute(
            "const t = document.querySelector(arguments[0]); t.focus(); t.value = arguments[1]; \
             t.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![INPUT.into(), text.into()],
        )
        .await?;
    Ok(())
}

/// Puts the caret at `column` (0-based) of `line` (1-based).
async fn caret(browser: &Browser, line: usize, column: usize) -> anyhow::Result<()> {
    browser
        .client
        .execute(
            "const t = document.querySelector(arguments[0]); const lines = t.value.split('\\n'); \
             let at = arguments[2]; for (let i = 0; i < arguments[1] - 1; i++) at += lines[i].length + 1; \
             t.focus(); t.setSelectionRange(at, at);",
            vec![INPUT.into(), line.into(), column.into()],
        )
        .await?;
    Ok(())
}

async fn type_keys(browser: &Browser, keys: &str) -> anyhow::Result<()> {
    browser
        .client
        .find(Locator::Css(INPUT))
        .await?
        .send_keys(keys)
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_typed_mistake_is_shown_at_its_line_and_a_fixed_file_deploys() -> anyhow::Result<()> {
    let mut run = TestRun::new()?;
    let image = run.fixture_image().await?;
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    let ws = browser.create_workspace(&orbitr, "Apps").await?;
    run.also_remove(format!("{}={ws}", engine::resources::WORKSPACE_LABEL));
    let name = format!("{}-web", run.id());
    run.also_remove(format!("{}={name}", engine::resources::PROJECT_LABEL));

    browser.client.goto(&orbitr.url("/stacks")).await?;
    browser.wait_for("[data-test=new-stack]").await?;
    browser.wait_hydrated().await?;
    browser.click("[data-test=new-stack]").await?;
    browser.wait_for("[data-test=new-stack-form]").await?;
    browser.wait_hydrated().await?;
    browser.fill("name", &name).await?;
    let compose = format!(
        "services:\n  web:\n    image: {image}\n  worker:\n    image: {image}\n    depends_on: [web]\n"
    );
    paste(&browser, &compose).await?;
    browser.wait_for("[data-test=diagnostics-ok]").await?;
    browser.click("[data-test=create-stack]").await?;
    wait_until("the stack page", PATIENCE, || async {
        Ok(browser
            .text("[data-test=stack-title]")
            .await?
            .filter(|t| *t == name))
    })
    .await?;
    browser.wait_hydrated().await?;
    browser.wait_live().await?;

    // Typing one letter before `image` on line 3 makes an unknown key there.
    caret(&browser, 3, 4).await?;
    type_keys(&browser, "x").await?;
    let message = wait_until("the diagnostic of line 3", PATIENCE, || async {
        browser.text("[data-test=diagnostic][data-line='3']").await
    })
    .await?;
    assert!(
        message.contains("ximage") && message.contains("did you mean \"image\""),
        "{message}"
    );
    assert!(browser.exists(".gutter-error[data-line='3']").await?);
    let at_cursor = browser
        .text("[data-test=compose-editor-cursor]")
        .await?
        .unwrap_or_default();
    assert!(
        at_cursor.contains("ximage"),
        "the diagnostic under the cursor: {at_cursor}"
    );
    assert!(
        browser
            .js("return document.querySelector('[data-test=deploy]').disabled")
            .await?
            == serde_json::json!(true),
        "deploy stays disabled while the file has errors"
    );

    // Backspace fixes it.
    type_keys(&browser, "\u{E003}").await?;
    browser.wait_for("[data-test=diagnostics-ok]").await?;

    // Deploy: review the whole file (nothing is deployed yet), then watch the services come up.
    browser.click("[data-test=deploy]").await?;
    browser.wait_for("[data-test=review-diff]").await?;
    browser.click("[data-test=deploy-now]").await?;
    browser
        .wait_for("[data-test=progress][data-finished=true]")
        .await?;
    let heading = browser
        .text("[data-test=progress] h2")
        .await?
        .unwrap_or_default();
    assert_eq!(heading, "deploy finished");
    wait_until("both containers running", PATIENCE, || async {
        let running = browser
            .client
            .find_all(Locator::Css(
                "[data-test=stack-container][data-state=running]",
            ))
            .await?
            .len();
        Ok((running == 2).then_some(()))
    })
    .await?;
    let status = browser
        .text("[data-test=stack-status]")
        .await?
        .unwrap_or_default();
    assert_eq!(status, "running 2/2");
    for service in ["web", "worker"] {
        let phase = browser
            .client
            .find(Locator::Css(&format!(
                "[data-test=progress-service][data-service={service}]"
            )))
            .await?
            .attr("data-phase")
            .await?;
        assert_eq!(phase.as_deref(), Some("running"), "{service}");
    }
    browser.close().await?;
    Ok(())
}

#[tokio::test]
async fn after_orbitr_is_killed_mid_deploy_the_stack_says_so_and_a_deploy_converges()
-> anyhow::Result<()> {
    let mut run = TestRun::new()?;
    let image = run.fixture_image().await?;
    let mut orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    let ws = browser.create_workspace(&orbitr, "Crash").await?;
    run.also_remove(format!("{}={ws}", engine::resources::WORKSPACE_LABEL));
    let name = format!("{}-crash", run.id());
    run.also_remove(format!("{}={name}", engine::resources::PROJECT_LABEL));

    // db never becomes healthy, so the deploy is still waiting when Orbitr is killed.
    let stuck = format!(
        "services:\n  db:\n    image: {image}\n    healthcheck:\n      test: [CMD, test, -e, /tmp/ready]\n      interval: 1s\n  web:\n    image: {image}\n    depends_on:\n      db: {{condition: service_healthy}}\n"
    );
    browser.client.goto(&orbitr.url("/stacks/new")).await?;
    browser.wait_for("[data-test=new-stack-form]").await?;
    browser.wait_hydrated().await?;
    browser.fill("name", &name).await?;
    paste(&browser, &stuck).await?;
    browser.click("[data-test=create-stack]").await?;
    browser.wait_for("[data-test=stack-title]").await?;
    browser.wait_hydrated().await?;
    browser.wait_live().await?;
    let page = browser.client.current_url().await?;
    browser.click("[data-test=deploy]").await?;
    browser.click("[data-test=deploy-now]").await?;
    browser
        .wait_for("[data-test=progress-service][data-service=web][data-phase=waiting]")
        .await?;

    orbitr.kill_and_restart().await?;

    // The page (signed in still: sessions live in the database) shows the interrupted operation.
    browser.client.goto(page.as_str()).await?;
    browser.wait_for("[data-test=stack-title]").await?;
    browser.wait_hydrated().await?;
    browser.wait_live().await?;
    browser.click("[data-test=tab-history]").await?;
    let failed = wait_until(
        "the interrupted deploy in the history",
        PATIENCE,
        || async {
            browser
                .text("[data-test=deploy-row][data-status=failed]")
                .await
        },
    )
    .await?;
    assert!(
        failed.contains("Orbitr stopped while this operation was running"),
        "{failed}"
    );

    // Fixed file, deployed again: one container per service, all running.
    browser.click("[data-test=tab-compose]").await?;
    browser.wait_for(INPUT).await?;
    paste(
        &browser,
        &stuck.replace("[CMD, test, -e, /tmp/ready]", "[CMD, \"true\"]"),
    )
    .await?;
    browser.wait_for("[data-test=diagnostics-ok]").await?;
    browser.click("[data-test=deploy]").await?;
    browser.wait_for("[data-test=review-diff]").await?;
    browser.click("[data-test=deploy-now]").await?;
    browser
        .wait_for("[data-test=progress][data-finished=true]")
        .await?;
    let heading = browser
        .text("[data-test=progress] h2")
        .await?
        .unwrap_or_default();
    assert_eq!(heading, "deploy finished");
    wait_until("both containers running", PATIENCE, || async {
        let rows = browser
            .client
            .find_all(Locator::Css("[data-test=stack-container]"))
            .await?
            .len();
        let running = browser
            .client
            .find_all(Locator::Css(
                "[data-test=stack-container][data-state=running]",
            ))
            .await?
            .len();
        Ok((rows == 2 && running == 2).then_some(()))
    })
    .await?;
    browser.close().await?;
    Ok(())
}
