//! Signing up, out and in, in a real browser.

use end2end::{ADMIN_EMAIL, ADMIN_NAME, ADMIN_PASSWORD, Browser, Orbitr, PATIENCE, wait_until};

#[tokio::test]
async fn first_run_setup_then_sign_out_and_back_in() -> anyhow::Result<()> {
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;

    // A weak password is refused at its field, and nothing is created.
    browser.client.goto(&orbitr.url("/")).await?;
    browser.wait_for("[data-test=setup-form]").await?;
    browser.wait_hydrated().await?;
    browser.fill("name", ADMIN_NAME).await?;
    browser.fill("email", ADMIN_EMAIL).await?;
    browser.fill("password", "password1234").await?;
    browser.fill("confirm", "password1234").await?;
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
