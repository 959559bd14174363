//! Signing up, out and in, in a real browser.

use end2end::{ADMIN_EMAIL, ADMIN_NAME, ADMIN_PASSWORD, Browser, Orbitr, PATIENCE, wait_until};

#[tokio::test]
async fn first_run_setup_then_sign_out_and_back_in() -> anyhow::Result<()> {
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;

    // A weak password is refused at its field, and nothing is created.
    browser.goto(&orbitr.url("/")).await?;
    browser.wait_for("[data-test=setup-form]").await?;
    browser.wait_hydrated().await?;
    browser.fill("name", ADMIN_NAME).await?;
    browser.fill("email", ADMIN_EMAIL).await?;
    browser.fill("password", "password1234").await?;
    browser.fill("confirm", "password1234").await?;
    browser.expect_console(
        "api/setup - Failed to load resource: the server responded with a status of 400",
    );
    browser.click("[data-test=submit]").await?;
    browser.wait_for("[data-test=error-password]").await?;

    browser.set_up_admin(&orbitr).await?;
    assert_eq!(
        browser.text("[data-test=user-name]").await?.as_deref(),
        Some(ADMIN_NAME)
    );

    browser.click("[data-test=logout]").await?;
    browser.wait_for("[data-test=login-form]").await?;
    browser.wait_hydrated().await?;

    browser.fill("email", ADMIN_EMAIL).await?;
    browser.fill("password", "not the password at all").await?;
    browser.expect_console(
        "api/login - Failed to load resource: the server responded with a status of 401",
    );
    browser.click("[data-test=submit]").await?;
    let message = wait_until("the sign-in error", PATIENCE, || async {
        browser.text("[data-test=form-error]").await
    })
    .await?;
    assert_eq!(message, "The email or the password is wrong");

    browser.fill("password", ADMIN_PASSWORD).await?;
    browser.click("[data-test=submit]").await?;
    browser.wait_for("[data-test=engine-version]").await?;
    browser.wait_live().await?;
    browser.close().await
}

#[tokio::test]
async fn the_password_is_changed_and_an_api_token_created_used_and_revoked_from_the_profile()
-> anyhow::Result<()> {
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    browser.click("[data-test=user-name]").await?;
    browser.wait_for("[data-test=no-tokens]").await?;
    browser.wait_hydrated().await?;

    browser.fill("current", ADMIN_PASSWORD).await?;
    browser
        .fill("password", "a brand new quiet meadow lantern")
        .await?;
    browser
        .fill("confirm", "a brand new quiet meadow lantern")
        .await?;
    browser.click("[data-test=change-password]").await?;
    browser.wait_for("[data-test=password-changed]").await?;

    browser.fill("name", "nightly backup").await?;
    browser.click("[data-test=create-token]").await?;
    let secret = wait_until("the new token", PATIENCE, || async {
        browser.text("[data-test=new-token]").await
    })
    .await?;
    assert!(secret.starts_with("orbitr_"), "{secret}");
    browser.wait_for("[data-test=token-row]").await?;

    // Copy puts the one-time secret on the clipboard and says so.
    browser.allow_clipboard().await?;
    browser.click("[data-test=new-token-copy]").await?;
    wait_until("the copy to be confirmed", PATIENCE, || async {
        let label = browser.text("[data-test=new-token-copy]").await?;
        Ok(label.filter(|l| l == "Copied"))
    })
    .await?;
    let pasted = browser
        .js("return await navigator.clipboard.readText();")
        .await?;
    assert_eq!(pasted.as_str(), Some(secret.as_str()));

    let me: serde_json::Value = reqwest::Client::new()
        .get(orbitr.url("/api/v1/me"))
        .bearer_auth(&secret)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(me["email"], ADMIN_EMAIL);

    browser.click("[data-test=revoke-token]").await?;
    browser.wait_for("[data-test=no-tokens]").await?;
    let after = reqwest::Client::new()
        .get(orbitr.url("/api/v1/me"))
        .bearer_auth(&secret)
        .send()
        .await?;
    assert_eq!(after.status(), 401);

    // This browser is listed as this session; "sign out everywhere" ends it.
    let device = wait_until("this session in the list", PATIENCE, || async {
        browser.text("[data-test=session-row]").await
    })
    .await?;
    assert!(device.contains("Headless Chrome on Linux"), "{device}");
    assert!(browser.exists("[data-test=this-session]").await?);
    browser.click("[data-test=sign-out-everywhere]").await?;
    browser.wait_for("[data-test=login-form]").await?;
    browser.goto(&orbitr.url("/profile")).await?;
    browser.wait_for("[data-test=login-form]").await?;
    browser.close().await
}
