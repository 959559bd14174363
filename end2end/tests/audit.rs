//! The audit log page in a real browser: records appear, filters narrow them, export links
//! carry the filters.

use end2end::{ADMIN_EMAIL, ADMIN_PASSWORD, Browser, Orbitr, PATIENCE, wait_until};

#[tokio::test]
async fn an_admin_filters_the_audit_log_and_exports_what_matches() -> anyhow::Result<()> {
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;

    // A failed sign-in, then a good one.
    browser.click("[data-test=logout]").await?;
    browser.wait_for("[data-test=login-form]").await?;
    browser.wait_hydrated().await?;
    browser.fill("email", ADMIN_EMAIL).await?;
    browser
        .fill("password", "certainly not the password")
        .await?;
    // The refused sign-in is the one failed request this test expects.
    browser.expect_console(
        "api/login - Failed to load resource: the server responded with a status of 401",
    );
    browser.click("[data-test=submit]").await?;
    browser.wait_for("[data-test=form-error]").await?;
    browser.fill("password", ADMIN_PASSWORD).await?;
    browser.click("[data-test=submit]").await?;
    browser.wait_for("[data-test=user-name]").await?;

    browser.goto(&orbitr.url("/audit")).await?;
    browser.wait_for("[data-test=audit-row]").await?;
    browser.wait_hydrated().await?;
    let all = browser
        .js("return document.querySelectorAll('[data-test=audit-row]').length")
        .await?;
    assert!(
        all.as_u64().unwrap_or(0) >= 4,
        "setup, sign-out, failed and good sign-in: {all}"
    );

    browser.fill("action", "auth.login").await?;
    browser
        .js("document.querySelector('[data-test=filter-result]').value = 'failed'; return true")
        .await?;
    browser.click("[data-test=apply-filters]").await?;
    let results = wait_until("only failed sign-ins", PATIENCE, || async {
        let shown = browser
            .js("return Array.from(document.querySelectorAll('[data-test=audit-row]')).map(r => r.cells[2].textContent + ' ' + r.cells[4].textContent)")
            .await?;
        Ok((shown.as_array().is_some_and(|a| a.len() == 1)).then_some(shown))
    })
    .await?;
    assert_eq!(results, serde_json::json!(["auth.login failed"]));

    let href = browser
        .js("return document.querySelector('[data-test=export-csv]').getAttribute('href')")
        .await?;
    assert_eq!(
        href,
        serde_json::json!("/api/v1/audit?action=auth.login&result=failed&format=csv")
    );
    let csv = browser
        .js("const r = await fetch(document.querySelector('[data-test=export-csv]').href); return await r.text();")
        .await?;
    let csv = csv.as_str().unwrap_or_default();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains(",auth.login,"), "{csv}");
    browser.close().await
}

#[tokio::test]
async fn the_audit_page_hydrates_every_time_and_follows_the_workspace_switch() -> anyhow::Result<()>
{
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    browser.create_workspace(&orbitr, "Ledger").await?;
    browser.create_workspace(&orbitr, "Journal").await?;

    // Records name their workspace by its name, not its id.
    browser
        .goto(&orbitr.url("/audit?action=workspace.create"))
        .await?;
    browser.wait_for("[data-test=audit-row]").await?;
    let shown = browser
        .js("return Array.from(document.querySelectorAll('[data-test=audit-row]')).map(r => r.cells[5].textContent).sort();")
        .await?;
    assert_eq!(shown, serde_json::json!(["Journal", "Ledger"]));

    // Twenty loads: each hydrates without a console error (checked at every step) and shows
    // the platform admin's workspace filter.
    for _ in 0..20 {
        browser.goto(&orbitr.url("/audit")).await?;
        browser.wait_for("[data-test=audit-row]").await?;
        browser.wait_hydrated().await?;
        assert!(browser.exists("#f-workspace").await?);
    }

    // Switching workspace reads the log again, from the browser this time, with no filter set.
    browser
        .js("performance.clearResourceTimings(); \
             const s = document.querySelector('[data-test=workspace-switcher]'); \
             s.value = s.options[0].value === s.value ? s.options[1].value : s.options[0].value; \
             s.dispatchEvent(new Event('change', { bubbles: true })); return true;")
        .await?;
    let status = wait_until("the log read again", PATIENCE, || async {
        let status = browser
            .js("const read = performance.getEntriesByType('resource').find(e => e.name.includes('/api/list_audit')); \
                 return read ? read.responseStatus : null;")
            .await?;
        Ok(status.as_u64())
    })
    .await?;
    assert_eq!(status, 200, "the browser's read of the log");
    browser.wait_for("[data-test=audit-row]").await?;
    assert!(
        !browser.exists("[data-test=audit-error]").await?,
        "{:?}",
        browser.text("[data-test=audit-error]").await?
    );
    browser.close().await
}
