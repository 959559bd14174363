//! The settings page in a real browser: a change applies without a restart (and is still there
//! after one), and a setting the settings file gives is read-only, saying where it comes from.

use end2end::{ADMIN_EMAIL, Browser, Orbitr, PATIENCE, wait_until};

#[tokio::test]
async fn a_setting_changed_here_applies_at_once_and_one_the_file_gives_is_read_only()
-> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("orbitr.toml");
    std::fs::write(&config, "marketplace_sync_mins = 5\n")?;
    let config_arg = config.display().to_string();
    let mut orbitr = Orbitr::start(&["--config", &config_arg]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;

    // The checklist leads here for the public URL.
    browser
        .wait_for("[data-test=checklist] a[href='/settings']")
        .await?;
    browser.goto(&orbitr.url("/settings")).await?;
    browser.wait_for("[data-test=settings-form]").await?;
    browser.wait_hydrated().await?;

    let fixed = browser
        .js("const i = document.querySelector('[data-test=setting-marketplace_sync_mins]'); return [i.readOnly, i.value];")
        .await?;
    assert_eq!(fixed, serde_json::json!([true, "5"]));
    let origin = browser
        .text("[data-test=source-marketplace_sync_mins]")
        .await?
        .unwrap_or_default();
    assert!(origin.contains(&config_arg), "{origin}");

    browser.fill("login_failures_per_account", "2").await?;
    save_and_wait_for(&browser, "login_failures_per_account").await?;

    // In force now: two wrong passwords lock the account.
    let client = reqwest::Client::new();
    let login = |password: &'static str| {
        let client = client.clone();
        let url = orbitr.url("/api/login");
        let origin = orbitr.base.clone();
        async move {
            client
                .post(url)
                .header("origin", origin)
                .form(&[("email", ADMIN_EMAIL), ("password", password)])
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    };
    assert_eq!(login("wrong wrong wrong").await?, 401);
    assert_eq!(login("wrong wrong wrong").await?, 401);
    assert_eq!(login(end2end::ADMIN_PASSWORD).await?, 429);

    // Still there after a restart.
    orbitr.kill_and_restart().await?;
    browser.goto(&orbitr.url("/settings")).await?;
    browser.wait_for("[data-test=settings-form]").await?;
    let kept = browser
        .js("return document.querySelector('[data-test=setting-login_failures_per_account]').value;")
        .await?;
    assert_eq!(kept, "2");
    browser.close().await
}

#[tokio::test]
async fn a_sign_in_provider_added_here_is_offered_at_once_and_its_secret_never_shows_again()
-> anyhow::Result<()> {
    const SECRET: &str = "e2e-corp-secret-41c9";
    let mock = testkit::oidc::OidcMock::start().await?;
    mock.set_user(
        "kim",
        r#"{"email":"kim@corp.test","email_verified":true,"name":"Kim Corp"}"#,
    )
    .await?;
    let orbitr = Orbitr::start(&[]).await?;
    let admin = Browser::start().await?;
    admin.set_up_admin(&orbitr).await?;
    admin.goto(&orbitr.url("/settings")).await?;
    admin.wait_for("[data-test=provider-form]").await?;
    admin.wait_hydrated().await?;
    assert!(admin.exists("[data-test=no-providers]").await?);

    // A wrong issuer is named under its field; nothing is added.
    admin.fill("provider-name", "corp").await?;
    admin.fill("provider-label", "Corp SSO").await?;
    admin.fill("provider-issuer", "sso.corp.test").await?;
    admin.fill("provider-client_id", "orbitr-e2e").await?;
    admin.fill("provider-client_secret", SECRET).await?;
    admin.fill("provider-allowed_domains", "corp.test").await?;
    admin.expect_console("save_sign_in_provider - Failed to load resource: the server responded with a status of 400");
    admin.click("[data-test=save-provider]").await?;
    admin.wait_for("[data-test=error-issuer]").await?;
    assert!(admin.exists("[data-test=no-providers]").await?);

    admin.fill("provider-issuer", &mock.issuer).await?;
    admin.click("[data-test=save-provider]").await?;
    admin.wait_for("[data-test=provider-entry-corp]").await?;
    let row = admin
        .text("[data-test=provider-entry-corp]")
        .await?
        .unwrap_or_default();
    assert!(
        row.contains("Corp SSO") && row.contains("Set here by Ada Admin"),
        "{row}"
    );
    let page = admin
        .js("return document.documentElement.outerHTML + [...document.querySelectorAll('input')].map(i => i.value).join(' ');")
        .await?;
    assert!(
        !page.as_str().unwrap_or_default().contains(SECRET),
        "the secret is not shown again"
    );

    // Offered on the sign-in page at once, and it signs a person of its domain in.
    let kim = Browser::start().await?;
    kim.goto(&orbitr.url("/login")).await?;
    kim.wait_for("[data-test=provider-corp]").await?;
    assert_eq!(
        kim.text("[data-test=provider-corp]").await?.as_deref(),
        Some("Continue with Corp SSO")
    );
    kim.ignore_provider_console(&mock);
    kim.click("[data-test=provider-corp]").await?;
    kim.authorize_at_provider(&mock, "kim").await?;
    let name = wait_until("Kim signed in", PATIENCE, || async {
        kim.text("[data-test=user-name]").await
    })
    .await?;
    assert_eq!(name, "Kim Corp");
    kim.close().await?;
    admin.close().await
}

#[tokio::test]
async fn mail_settings_typed_here_send_a_test_mail_at_once() -> anyhow::Result<()> {
    let smtp = testkit::smtp::SmtpServer::start().await?;
    let orbitr = Orbitr::start(&[]).await?;
    let browser = Browser::start().await?;
    browser.set_up_admin(&orbitr).await?;
    browser.goto(&orbitr.url("/settings")).await?;
    browser.wait_for("[data-test=settings-form]").await?;
    browser.wait_hydrated().await?;
    browser.fill("smtp_host", &smtp.host).await?;
    browser.fill("smtp_port", &smtp.port.to_string()).await?;
    browser.fill("smtp_security", "none").await?;
    browser.fill("smtp_from", "orbitr@example.test").await?;
    browser.fill("smtp_password", "typed-once-secret").await?;
    save_and_wait_for(&browser, "smtp_password").await?;
    let typed = browser
        .js("return document.querySelector('[data-test=setting-smtp_password]').value;")
        .await?;
    assert_eq!(typed, "", "the password is not shown again");

    // The server offers no sign-in: without a user name the password is not used.
    browser.click("[data-test=send-test-mail]").await?;
    let messages = smtp.wait_for(1).await?;
    assert!(
        messages[0].contains(&format!("To: <{ADMIN_EMAIL}>")),
        "{}",
        messages[0]
    );
    wait_until("the sent toast", PATIENCE, || async {
        Ok(browser
            .js("return document.body.innerText.includes('Test mail sent to');")
            .await?
            .as_bool()
            .filter(|sent| *sent))
    })
    .await?;
    browser.close().await
}

/// Saves the settings form and waits until `key` shows it was set on the page by the admin.
async fn save_and_wait_for(browser: &Browser, key: &str) -> anyhow::Result<()> {
    browser.click("[data-test=save-settings]").await?;
    wait_until(&format!("{key} saved"), PATIENCE, || async {
        Ok(browser
            .text(&format!("[data-test=source-{key}]"))
            .await?
            .filter(|t| t.starts_with("Set here by Ada Admin")))
    })
    .await?;
    Ok(())
}
