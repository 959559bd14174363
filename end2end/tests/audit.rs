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
    browser.click("[data-test=submit]").await?;
    browser.wait_for("[data-test=form-error]").await?;
    browser.fill("password", ADMIN_PASSWORD).await?;
    browser.click("[data-test=submit]").await?;
    browser.wait_for("[data-test=user-name]").await?;

    browser.client.goto(&orbitr.url("/audit")).await?;
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
