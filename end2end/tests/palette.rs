//! Finding the way in a real browser: the command palette (Ctrl+K, type a stack's name, Enter
//! lands on it), the shortcuts (`?`, `g c`, `/`) that stay quiet in text fields, and the
//! first-run checklist that follows what exists and stays dismissed.

use end2end::{Browser, Orbitr, PATIENCE, wait_until};
use fantoccini::Locator;
use fantoccini::key::Key;

/// Presses `keys` as a person would, into whatever has the focus (the page itself when
/// nothing does).
async fn press(browser: &Browser, keys: &str) -> anyhow::Result<()> {
    let focused = browser.client.active_element().await?;
    focused.send_keys(keys).await?;
    browser.check_console().await
}

fn ctrl_k() -> String {
    format!("{}k{}", char::from(Key::Control), char::from(Key::Null))
}

async fn path(browser: &Browser) -> anyhow::Result<String> {
    Ok(browser.client.current_url().await?.path().to_owned())
}

async fn wait_path(browser: &Browser, want: &str) -> anyhow::Result<()> {
    wait_until(&format!("the address {want}"), PATIENCE, || async {
        Ok((path(browser).await? == want).then_some(()))
    })
    .await
}

#[tokio::test]
async fn the_palette_finds_a_stack_by_name_and_enter_lands_on_it() -> anyhow::Result<()> {
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    browser.create_workspace(&orbitr, "Billing").await?;
    let name = "invoice-api";
    browser
        .create_stack(&orbitr, name, "services:\n  web:\n    image: busybox\n")
        .await?;
    let stack_path = path(&browser).await?;

    browser.goto(&orbitr.url("/")).await?;
    browser.wait_live().await?;
    press(&browser, &ctrl_k()).await?;
    browser.wait_for("[data-test=palette-input]").await?;
    let input = browser
        .client
        .find(Locator::Css("[data-test=palette-input]"))
        .await?;
    input.send_keys("invoice").await?;
    let first = wait_until("the stack at the top of the palette", PATIENCE, || async {
        Ok(browser
            .text("[data-test=palette-item].selected .palette-label")
            .await?
            .filter(|t| t == name))
    })
    .await?;
    assert_eq!(first, name);
    // Its action, offered because the admin may deploy it, comes next.
    let labels = browser
        .js("return Array.from(document.querySelectorAll('[data-test=palette-item] .palette-label')).map(e => e.textContent)")
        .await?;
    assert_eq!(labels[1], format!("Deploy stack {name}"), "{labels}");
    input.send_keys(&char::from(Key::Enter).to_string()).await?;
    wait_path(&browser, &stack_path).await?;
    browser.wait_for("[data-test=stack-title]").await?;
    assert!(!browser.exists("[data-test=palette]").await?, "it closed");

    // Keyboard only, to a page: down the list with the arrows, Escape closes without going.
    press(&browser, &ctrl_k()).await?;
    browser.wait_for("[data-test=palette-input]").await?;
    press(&browser, "volumes").await?;
    press(&browser, &char::from(Key::Escape).to_string()).await?;
    wait_until("the palette to close", PATIENCE, || async {
        Ok((!browser.exists("[data-test=palette]").await?).then_some(()))
    })
    .await?;
    assert_eq!(path(&browser).await?, stack_path);
    press(&browser, &ctrl_k()).await?;
    browser.wait_for("[data-test=palette-input]").await?;
    press(&browser, "volumes").await?;
    wait_until("Volumes at the top", PATIENCE, || async {
        Ok(browser
            .text("[data-test=palette-item].selected .palette-label")
            .await?
            .filter(|t| t == "Volumes"))
    })
    .await?;
    press(&browser, &char::from(Key::Enter).to_string()).await?;
    wait_path(&browser, "/volumes").await?;
    browser.close().await
}

#[tokio::test]
async fn shortcuts_move_around_and_stay_quiet_while_typing() -> anyhow::Result<()> {
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    browser.wait_live().await?;

    press(&browser, "?").await?;
    browser.wait_for("[data-test=shortcuts]").await?;
    let listed = browser
        .text("[data-test=shortcuts]")
        .await?
        .unwrap_or_default();
    for keys in ["g s", "g c", "/", "Esc"] {
        assert!(listed.contains(keys), "{keys} in {listed}");
    }
    press(&browser, &char::from(Key::Escape).to_string()).await?;
    wait_until("the shortcut list to close", PATIENCE, || async {
        Ok((!browser.exists("[data-test=shortcuts]").await?).then_some(()))
    })
    .await?;

    press(&browser, "gc").await?;
    wait_path(&browser, "/containers").await?;
    browser.wait_for("main input[type=search]").await?;
    browser.wait_hydrated().await?;

    // `/` puts the caret in the page's search; letters typed there are text, not shortcuts.
    press(&browser, "/").await?;
    let focused = browser
        .js("return document.activeElement.getAttribute('type')")
        .await?;
    assert_eq!(focused, "search");
    press(&browser, "gs?").await?;
    let value = browser.js("return document.activeElement.value").await?;
    assert_eq!(value, "gs?");
    assert_eq!(path(&browser).await?, "/containers");
    assert!(!browser.exists("[data-test=shortcuts]").await?);
    browser.close().await
}

#[tokio::test]
async fn the_checklist_follows_what_exists_and_stays_dismissed() -> anyhow::Result<()> {
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    browser.wait_for("[data-test=checklist]").await?;
    let done = || async {
        browser
            .js("return Array.from(document.querySelectorAll('[data-test=checklist-step]')).map(s => s.dataset.done === 'true')")
            .await
    };
    // A fresh server: no workspace, nobody invited, no stack, no public URL.
    assert_eq!(
        done().await?,
        serde_json::json!([false, false, false, false])
    );
    assert_eq!(
        browser
            .text("[data-test=checklist-progress]")
            .await?
            .as_deref(),
        Some("0 of 4 done")
    );
    // Each open step has the button that does it.
    browser.wait_hydrated().await?;
    browser
        .click("[data-test=checklist-step] a[href='/workspaces']")
        .await?;
    wait_path(&browser, "/workspaces").await?;

    browser.create_workspace(&orbitr, "Home lab").await?;
    browser.goto(&orbitr.url("/")).await?;
    browser.wait_for("[data-test=checklist]").await?;
    assert_eq!(
        done().await?,
        serde_json::json!([true, false, false, false])
    );

    browser.wait_hydrated().await?;
    browser.click("[data-test=checklist-dismiss]").await?;
    wait_until("the checklist to go", PATIENCE, || async {
        Ok((!browser.exists("[data-test=checklist]").await?).then_some(()))
    })
    .await?;
    browser.client.refresh().await?;
    browser.wait_live().await?;
    assert!(
        !browser.exists("[data-test=checklist]").await?,
        "dismissed for good"
    );
    browser.close().await
}
