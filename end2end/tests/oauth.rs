//! Sign-in through a real OpenID Connect provider (PyPI `oidc-provider-mock`) in a real
//! browser: a person from an allowed domain gets an account by clicking "Continue with …",
//! a stranger gets the refusal page, and the admin links and unlinks the provider on the profile.

use end2end::{Browser, Orbitr, PATIENCE, wait_until};
use testkit::oidc::OidcMock;

async fn continue_with_provider(browser: &Browser, orbitr: &Orbitr) -> anyhow::Result<()> {
    browser.goto(&orbitr.url("/login")).await?;
    browser.wait_for("[data-test=provider-sso]").await?;
    assert_eq!(
        browser.text("[data-test=provider-sso]").await?.as_deref(),
        Some("Continue with Test SSO")
    );
    browser.click("[data-test=provider-sso]").await
}

#[tokio::test]
async fn people_sign_in_with_the_provider_strangers_are_refused_and_the_admin_links_it()
-> anyhow::Result<()> {
    let mock = OidcMock::start().await?;
    mock.set_user(
        "dana",
        r#"{"email":"dana@example.test","email_verified":true,"name":"Dana Scully"}"#,
    )
    .await?;
    mock.set_user(
        "zed",
        r#"{"email":"zed@elsewhere.test","email_verified":true,"name":"Zed"}"#,
    )
    .await?;
    mock.set_user(
        "admin-sub",
        r#"{"email":"someone@example.test","email_verified":true}"#,
    )
    .await?;
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("orbitr.toml");
    std::fs::write(
        &config,
        format!(
            "[oauth.sso]\nkind = \"oidc\"\nlabel = \"Test SSO\"\nissuer = \"{}\"\nclient_id = \"orbitr-e2e\"\nclient_secret = \"e2e-secret\"\nallowed_domains = [\"example.test\"]\n",
            mock.issuer
        ),
    )?;
    let config = config.display().to_string();
    let orbitr = Orbitr::start(&["--config", &config]).await?;
    let admin = Browser::start().await?;
    admin.set_up_admin(&orbitr).await?;

    // Someone from the allowed domain: one click at Orbitr, one at the provider, signed in.
    let dana = Browser::start().await?;
    dana.ignore_provider_console(&mock);
    continue_with_provider(&dana, &orbitr).await?;
    dana.authorize_at_provider(&mock, "dana").await?;
    let name = wait_until("Dana signed in", PATIENCE, || async {
        dana.text("[data-test=user-name]").await
    })
    .await?;
    assert_eq!(name, "Dana Scully");
    dana.goto(&orbitr.url("/profile")).await?;
    dana.wait_for("[data-test=no-password]").await?;
    assert!(
        dana.text("[data-test=provider-row-sso]")
            .await?
            .is_some_and(|row| row.contains("dana@example.test")),
        "the profile shows the linked provider account"
    );

    // Someone else: the refusal page says why and what to do.
    let zed = Browser::start().await?;
    zed.ignore_provider_console(&mock);
    continue_with_provider(&zed, &orbitr).await?;
    zed.authorize_at_provider(&mock, "zed").await?;
    let heading = wait_until("the refusal page", PATIENCE, || async {
        zed.text("[data-test=refused-heading]").await
    })
    .await?;
    assert_eq!(heading, "Sign-in with Test SSO refused");
    let reason = zed
        .text("[data-test=refused-reason]")
        .await?
        .unwrap_or_default();
    assert!(
        reason.contains("Ask a workspace owner or an admin for an invitation"),
        "{reason}"
    );
    assert!(zed.exists("[data-test=back-to-login]").await?);

    // The admin links the provider from the profile, then unlinks it.
    admin.goto(&orbitr.url("/profile")).await?;
    admin.wait_for("[data-test=link-sso]").await?;
    admin.wait_hydrated().await?;
    admin.ignore_provider_console(&mock);
    admin.click("[data-test=link-sso]").await?;
    admin.authorize_at_provider(&mock, "admin-sub").await?;
    admin.wait_for("[data-test=unlink-sso]").await?;
    assert!(
        admin
            .text("[data-test=provider-row-sso]")
            .await?
            .is_some_and(|row| row.contains("someone@example.test")),
        "linked"
    );
    admin.wait_hydrated().await?;
    admin.click("[data-test=unlink-sso]").await?;
    admin.wait_for("[data-test=link-sso]").await?;
    assert!(
        admin
            .text("[data-test=provider-row-sso]")
            .await?
            .is_some_and(|row| row.contains("not linked")),
        "unlinked"
    );

    for browser in [admin, dana, zed] {
        browser.close().await?;
    }
    Ok(())
}
