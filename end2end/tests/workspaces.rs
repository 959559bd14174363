//! Workspaces in a real browser: the admin creates workspaces and invites someone, who accepts
//! in another browser, sees only that workspace, and as a viewer gets no management controls
//! (and a direct call to one is refused).

use end2end::{Browser, Orbitr, PATIENCE, wait_until};

#[tokio::test]
async fn an_invited_viewer_joins_sees_only_their_workspace_and_cannot_manage_it()
-> anyhow::Result<()> {
    let orbitr = Orbitr::start(&[]).await?;
    let admin = Browser::start().await?;
    admin.set_up_admin(&orbitr).await?;

    admin.create_workspace(&orbitr, "Private").await?;
    let media = admin.create_workspace(&orbitr, "Media").await?;

    // The owner (the admin created it) invites a viewer.
    admin.wait_for("[data-test=invite-form]").await?;
    admin.wait_hydrated().await?;
    admin.click("[data-test=create-invite]").await?;
    let link = wait_until("the invitation link", PATIENCE, || async {
        admin.text("[data-test=invite-link]").await
    })
    .await?;
    assert!(link.starts_with(&orbitr.url("/invite/inv_")), "{link}");
    admin.wait_for("[data-test=invitation-row]").await?;

    // The invitee opens it in their own browser, creates an account and lands in Media.
    let guest = Browser::start().await?;
    guest.goto(&link).await?;
    let heading = wait_until("the invitation page", PATIENCE, || async {
        guest.text("[data-test=invite-heading]").await
    })
    .await?;
    assert_eq!(heading, "Join Media as viewer");
    guest.wait_hydrated().await?;
    guest.fill("name", "Val Viewer").await?;
    guest.fill("email", "val@orbitr.test").await?;
    guest.fill("password", "violet harbor lamp tiger").await?;
    guest.click("[data-test=accept]").await?;
    let role = wait_until("the workspace page as viewer", PATIENCE, || async {
        guest.text("[data-test=my-role]").await
    })
    .await?;
    assert_eq!(role, "viewer");
    assert_eq!(
        guest.text("[data-test=workspace-name]").await?.as_deref(),
        Some("Media")
    );
    guest.wait_for("[data-test=member-row]").await?;
    guest.wait_hydrated().await?;

    // Only their workspace in the switcher; no management controls.
    let options = guest
        .js("return Array.from(document.querySelectorAll('[data-test=workspace-switcher] option')).map(o => o.textContent)")
        .await?;
    assert_eq!(options, serde_json::json!(["Media"]));
    for control in [
        "invite-form",
        "rename-form",
        "delete-form",
        "member-role",
        "remove-member",
    ] {
        assert!(
            !guest.exists(&format!("[data-test={control}]")).await?,
            "a viewer sees {control}"
        );
    }

    // A direct call to what the hidden button would do is refused.
    guest.expect_console(
        "api/create_invitation - Failed to load resource: the server responded with a status of 403",
    );
    let status = guest
        .js(&format!(
            "const body = new URLSearchParams({{workspace: '{media}', role: 'owner', expires_in_hours: '1'}});
             const r = await fetch('/api/create_invitation', {{method: 'POST', body}});
             return r.status;"
        ))
        .await?;
    assert_eq!(status, serde_json::json!(403));

    // The invitation is used up: opening it again says so.
    let again = Browser::start().await?;
    again.goto(&link).await?;
    let problem = wait_until("the used-invitation page", PATIENCE, || async {
        again.text("[data-test=invite-problem]").await
    })
    .await?;
    assert!(problem.contains("already been used"), "{problem}");

    // The owner sees the new member.
    admin
        .goto(&orbitr.url(&format!("/workspaces/{media}")))
        .await?;
    wait_until("the new member in the owner's list", PATIENCE, || async {
        let rows = admin
            .js("return document.querySelectorAll('[data-test=member-row]').length")
            .await?;
        Ok((rows == serde_json::json!(2)).then_some(()))
    })
    .await?;

    // The admin issues a password-reset link for the viewer from the users page; the viewer
    // sets a new password with it and signs in with that.
    admin.goto(&orbitr.url("/users")).await?;
    admin.wait_for("[data-test=user-row]").await?;
    admin.wait_hydrated().await?;
    admin
        .js("const rows = Array.from(document.querySelectorAll('[data-test=user-row]'));
             const row = rows.find(r => r.querySelector('[data-test=user-email]').textContent === 'val@orbitr.test');
             row.querySelector('[data-test=reset-password]').click(); return true;")
        .await?;
    let reset = wait_until("the reset link", PATIENCE, || async {
        admin.text("[data-test=reset-link]").await
    })
    .await?;
    again.goto(&reset).await?;
    again.wait_for("[data-test=reset-form]").await?;
    again.wait_hydrated().await?;
    again.fill("password", "new amber canyon whistle").await?;
    again.fill("confirm", "new amber canyon whistle").await?;
    again.click("[data-test=submit]").await?;
    again.wait_for("[data-test=login-form]").await?;
    again.wait_hydrated().await?;
    again.fill("email", "val@orbitr.test").await?;
    again.fill("password", "new amber canyon whistle").await?;
    again.click("[data-test=submit]").await?;
    again.wait_for("[data-test=user-name]").await?;
    // The guest's older session ended with the reset.
    guest.goto(&orbitr.url("/profile")).await?;
    guest.wait_for("[data-test=login-form]").await?;

    again.close().await?;
    guest.close().await?;
    admin.close().await
}
