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

/// Pastes `command` into the `docker run` converter.
async fn convert(browser: &Browser, command: &str) -> anyhow::Result<()> {
    browser
        .client
        .execute(
            "const t = document.querySelector('[data-test=converter-input]'); t.focus(); \
             t.value = arguments[0]; t.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![command.into()],
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
    run.also_remove(format!(
        "{}={ws}",
        engine::model::resources::WORKSPACE_LABEL
    ));
    let name = format!("{}-web", run.id());
    run.also_remove(format!(
        "{}={name}",
        engine::model::resources::PROJECT_LABEL
    ));

    browser.goto(&orbitr.url("/stacks")).await?;
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

    // History: the person who saved each revision, the deployed one marked, and no roll back
    // offered onto the revision that runs.
    browser.click("[data-test=tab-history]").await?;
    browser.wait_for("[data-test=deployed-marker]").await?;
    let rows = browser
        .js("return Array.from(document.querySelectorAll('[data-test=revision]')).map(r => \
             [r.dataset.number, r.cells[2].textContent, !!r.querySelector('[data-test=deployed-marker]'), \
              !!r.querySelector('[data-test=revision-rollback]')]);")
        .await?;
    let rows = rows.as_array().cloned().unwrap_or_default();
    assert!(!rows.is_empty(), "{rows:?}");
    for row in &rows {
        assert_eq!(row[1], end2end::ADMIN_NAME, "the author's name: {rows:?}");
        assert_ne!(
            row[2], row[3],
            "either deployed or offered for roll back: {rows:?}"
        );
    }

    // Unsaved changes: a link away asks first; Cancel stays, the dialog's button leaves.
    browser.click("[data-test=tab-compose]").await?;
    caret(&browser, 1, 0).await?;
    type_keys(&browser, "# unsaved\n").await?;
    // A reload or a closed tab asks too: the page cancels the browser's beforeunload.
    let unload = "const e = new Event('beforeunload', {cancelable: true}); \
                  window.dispatchEvent(e); return e.defaultPrevented;";
    assert_eq!(
        browser.js(unload).await?,
        true,
        "beforeunload with unsaved changes"
    );
    browser.click("nav.sidebar a[href='/stacks']").await?;
    let question = wait_until("the leave dialog", PATIENCE, || async {
        browser.text("[data-test=dialog-text]").await
    })
    .await?;
    assert!(question.contains("unsaved changes"), "{question}");
    browser.click("[data-test=dialog-cancel]").await?;
    assert!(browser.exists("[data-test=stack-title]").await?);
    browser.click("nav.sidebar a[href='/stacks']").await?;
    browser.wait_for("[data-test=dialog-confirm]").await?;
    browser.click("[data-test=dialog-confirm]").await?;
    browser.wait_for("[data-test=stacks]").await?;
    assert_eq!(browser.js(unload).await?, false, "beforeunload once left");

    // Down from the stack page, confirmed in the app's dialog: every row ends "removed".
    browser.click("[data-test=stack-link]").await?;
    browser.wait_for("[data-test=op-down]").await?;
    browser.wait_hydrated().await?;
    browser.click("[data-test=op-down]").await?;
    browser.wait_for("[data-test=dialog-confirm]").await?;
    browser.click("[data-test=dialog-confirm]").await?;
    wait_until("every service removed", PATIENCE, || async {
        let phases = browser
            .js("return Array.from(document.querySelectorAll('[data-test=progress-service]')).map(r => r.dataset.phase);")
            .await?;
        let phases = phases.as_array().cloned().unwrap_or_default();
        Ok((browser.exists("[data-test=progress][data-finished=true]").await?
            && phases.len() == 2
            && phases.iter().all(|p| p == "removed"))
        .then_some(()))
    })
    .await?;
    let heading = browser
        .text("[data-test=progress] h2")
        .await?
        .unwrap_or_default();
    assert_eq!(heading, "down finished");
    // With no containers left (once their removal events are in), nothing to restart or stop.
    wait_until("restart, stop and start disabled", PATIENCE, || async {
        let disabled = browser
            .js("return ['op-restart', 'op-stop', 'op-start'].every(op => \
                 document.querySelector(`[data-test=${op}]`).disabled);")
            .await?;
        Ok((disabled == true).then_some(()))
    })
    .await?;
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
    run.also_remove(format!(
        "{}={ws}",
        engine::model::resources::WORKSPACE_LABEL
    ));
    let name = format!("{}-crash", run.id());
    run.also_remove(format!(
        "{}={name}",
        engine::model::resources::PROJECT_LABEL
    ));

    // db never becomes healthy, so the deploy is still waiting when Orbitr is killed.
    let stuck = format!(
        "services:\n  db:\n    image: {image}\n    healthcheck:\n      test: [CMD, test, -e, /tmp/ready]\n      interval: 1s\n  web:\n    image: {image}\n    depends_on:\n      db: {{condition: service_healthy}}\n"
    );
    browser.goto(&orbitr.url("/stacks/new")).await?;
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
    browser.goto(page.as_str()).await?;
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

#[tokio::test]
async fn the_new_stack_page_highlights_marks_errors_and_creates_only_a_clean_file()
-> anyhow::Result<()> {
    let run = TestRun::new()?;
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;

    // A platform admin with no workspace is told one is needed, and offered to create it.
    browser.goto(&orbitr.url("/stacks/new")).await?;
    browser.wait_for("[data-test=needs-workspace]").await?;
    let notice = browser
        .text("[data-test=needs-workspace]")
        .await?
        .unwrap_or_default();
    assert!(
        notice.contains("need a workspace") && !notice.contains("role"),
        "{notice}"
    );
    assert!(browser.exists("[data-test=create-first-workspace]").await?);

    browser.create_workspace(&orbitr, "Editors").await?;
    browser.goto(&orbitr.url("/stacks/new")).await?;
    browser.wait_for("[data-test=new-stack-form]").await?;
    browser.wait_hydrated().await?;
    // The highlighted copy shows through the input layer, as on the stack page.
    let look = browser
        .js("const t = document.querySelector('[data-test=compose-editor-input]'); \
             const s = getComputedStyle(t); \
             return [s.backgroundColor, s.color, !!document.querySelector('[data-test=compose-editor] .tok-key')];")
        .await?;
    assert_eq!(
        look,
        serde_json::json!(["rgba(0, 0, 0, 0)", "rgba(0, 0, 0, 0)", true]),
        "the input layer is transparent over highlighted tokens"
    );

    browser.fill("name", &format!("{}-new", run.id())).await?;
    paste(&browser, "services:\n  web:\n    imgae: nginx\n").await?;
    browser
        .wait_for("[data-test=diagnostic][data-line='3']")
        .await?;
    assert!(
        browser
            .exists("[data-test=compose-editor] .line-error")
            .await?
    );
    let disabled = || async {
        browser
            .js("return document.querySelector('[data-test=create-stack]').disabled")
            .await
    };
    assert_eq!(
        disabled().await?,
        true,
        "Create is disabled while the file has errors"
    );

    paste(&browser, "services:\n  web:\n    image: nginx\n").await?;
    browser.wait_for("[data-test=diagnostics-ok]").await?;
    assert_eq!(disabled().await?, false);

    // The docker run converter: a command it cannot read is said, a good one becomes a service
    // added to the file.
    browser.click("[data-test=converter] summary").await?;
    convert(&browser, "ls -la").await?;
    browser.wait_for("[data-test=converter-error]").await?;
    convert(&browser, "docker run -d -p 8080:80 --name cache redis:7").await?;
    browser.wait_for("[data-test=converter-output]").await?;
    browser.click("[data-test=converter-insert]").await?;
    let file = browser
        .js("return document.querySelector('[data-test=compose-editor-input]').value;")
        .await?;
    let file = file.as_str().unwrap_or_default();
    assert!(
        file.contains("  web:") && file.contains("  cache:") && file.contains("redis:7"),
        "{file}"
    );
    browser.close().await
}

#[tokio::test]
async fn a_replaced_container_keeps_its_name_in_the_events_and_the_list_follows_operations()
-> anyhow::Result<()> {
    let mut run = TestRun::new()?;
    let image = run.fixture_image().await?;
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    let ws = browser.create_workspace(&orbitr, "Replace").await?;
    run.also_remove(format!(
        "{}={ws}",
        engine::model::resources::WORKSPACE_LABEL
    ));
    let name = format!("{}-swap", run.id());
    run.also_remove(format!(
        "{}={name}",
        engine::model::resources::PROJECT_LABEL
    ));

    browser
        .create_stack(
            &orbitr,
            &name,
            &format!("services:\n  web:\n    image: {image}\n"),
        )
        .await?;
    // The n-th deploy, done when the stack's list has n finished operations (the progress panel
    // of the previous one may still say "finished" for a moment after the click).
    let deploy = |n: usize| {
        let name = name.clone();
        let browser = &browser;
        async move {
            browser.click("[data-test=deploy]").await?;
            browser.click("[data-test=deploy-now]").await?;
            let finished = format!(
                "const r = await fetch('/api/v1/stacks/{name}/deploys'); const l = await r.json(); \
                 return l.filter(d => d.status !== 'running').length;"
            );
            wait_until(&format!("deploy {n} to finish"), PATIENCE, || async {
                let done = browser.js(&finished).await?;
                Ok((done.as_u64() == Some(n as u64)).then_some(()))
            })
            .await?;
            browser
                .wait_for("[data-test=progress][data-finished=true]")
                .await
        }
    };
    deploy(1).await?;

    // A changed service is replaced: made under a temporary name, which no event shows.
    paste(
        &browser,
        &format!("services:\n  web:\n    image: {image}\n    environment:\n      CHANGED: \"1\"\n"),
    )
    .await?;
    browser.wait_for("[data-test=diagnostics-ok]").await?;
    deploy(2).await?;
    browser.click("[data-test=tab-history]").await?;
    // Both deploys listed (the list refetches when the second ends), the newest first.
    wait_until("both deploys in the list", PATIENCE, || async {
        let rows = browser
            .js("return document.querySelectorAll('[data-test=deploy-row]').length;")
            .await?;
        Ok((rows.as_u64() == Some(2)).then_some(()))
    })
    .await?;
    browser.click("[data-test=deploy-row] .link-button").await?;
    let events = wait_until("the replacing deploy's events", PATIENCE, || async {
        browser.text("[data-test=deploy-events]").await
    })
    .await?;
    let web = format!("{name}-web-1");
    assert!(
        events.contains(&format!("replacing {web}")) && events.contains(&format!("creating {web}")),
        "{events}"
    );
    let temporary = browser
        .js("return /[0-9a-f]{12}_/.test(document.querySelector('[data-test=deploy-events]').textContent);")
        .await?;
    assert_eq!(temporary, false, "a temporary name shows: {events}");

    // The list follows an operation started elsewhere (here over REST) without a reload.
    browser.goto(&orbitr.url("/stacks")).await?;
    browser.wait_for("[data-test=stack-row]").await?;
    browser.wait_live().await?;
    let last = "return document.querySelector('[data-test=stack-row]').cells[3].textContent;";
    let before = browser.js(last).await?;
    assert!(
        before.as_str().unwrap_or_default().starts_with("deploy"),
        "{before}"
    );
    let status = browser
        .js(&format!(
            "const r = await fetch('/api/v1/stacks/{name}/operations', {{method: 'POST', \
             headers: {{'content-type': 'application/json'}}, body: JSON.stringify({{operation: 'stop'}})}}); \
             return r.status;"
        ))
        .await?;
    assert!(status.as_u64().is_some_and(|s| s < 300), "{status}");
    wait_until(
        "the list's last operation to say stop",
        PATIENCE,
        || async {
            let now = browser.js(last).await?;
            Ok(now
                .as_str()
                .is_some_and(|t| t.starts_with("stop succeeded"))
                .then_some(()))
        },
    )
    .await?;
    browser.close().await
}
