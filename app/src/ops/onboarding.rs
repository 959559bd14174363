//! The first-run checklist: the getting-started steps the caller can take, whether each is
//! done (read from what exists, never ticked by hand), and its dismissal.

use engine::identity::accounts::Flag;

use super::{Grant, Op};
use crate::access::{Need, readable};
use crate::error::AppError;
use crate::model::onboarding::{Checklist, Item, Step};

/// The caller's checklist.
pub static CHECKLIST: Op = Op {
    name: "onboarding.checklist",
    need: Need::SignedIn,
};
/// Hiding the checklist for good.
pub static DISMISS: Op = Op {
    name: "onboarding.dismiss",
    need: Need::SignedIn,
};

/// The steps the caller can take, each with whether it is done: a step the caller's roles do
/// not allow is left out (a viewer is not asked to invite anyone).
pub async fn checklist(grant: &Grant) -> Result<Checklist, AppError> {
    grant.expect(&CHECKLIST)?;
    let user = grant.require_user()?;
    let state = &grant.state;
    let dismissed = state
        .accounts
        .has_flag(&user.id, Flag::ChecklistDismissed)
        .await?;
    let memberships = state.workspaces.for_user(user).await?;
    let can_create = grant
        .holds(Need::Platform("workspace", "create"), None)
        .await;
    let mut items = Vec::new();
    let link = |href: &str, words: &str| (href.to_owned(), words.to_owned());

    if can_create || memberships.is_empty() {
        items.push(Item {
            step: Step::CreateWorkspace,
            done: !memberships.is_empty(),
            links: vec![link("/workspaces", "Create a workspace")],
        });
    }

    // Invitations: in the workspaces the caller manages.
    let mut managed = Vec::new();
    for m in &memberships {
        let id = m.workspace.id.as_str();
        if grant
            .holds(Need::Workspace("member", "manage"), Some(id))
            .await
        {
            managed.push(id.to_owned());
        }
    }
    if !managed.is_empty() || can_create {
        let mut done = false;
        for id in &managed {
            if state.workspaces.members(id).await?.len() > 1
                || !state.workspaces.pending_invitations(id).await?.is_empty()
            {
                done = true;
                break;
            }
        }
        let href = managed.first().map_or_else(
            || "/workspaces".to_owned(),
            |id| format!("/workspaces/{id}"),
        );
        items.push(Item {
            step: Step::InviteSomeone,
            done,
            links: vec![link(&href, "Invite someone")],
        });
    }

    // A stack or an app, in a workspace where the caller may deploy.
    let mut deploys = false;
    for m in &memberships {
        let id = m.workspace.id.as_str();
        if grant
            .holds(Need::Workspace("stack", "deploy"), Some(id))
            .await
        {
            deploys = true;
            break;
        }
    }
    if deploys || can_create {
        let scope = readable(state, user, grant.token.as_ref(), "stack").await?;
        let done = state
            .stacks
            .rows(None)
            .await?
            .iter()
            .any(|row| scope.sees(Some(&row.workspace_id)));
        items.push(Item {
            step: Step::FirstStack,
            done,
            links: vec![
                link("/marketplace", "Browse apps"),
                link("/stacks/new", "New stack"),
            ],
        });
    }

    if user.is_admin {
        items.push(Item {
            step: Step::PublicUrl,
            done: state.auth.public_origin().is_some(),
            links: vec![link("/settings", "Set the public URL")],
        });
    }
    Ok(Checklist { items, dismissed })
}

/// Hides the caller's checklist for good (their own; saying it twice changes nothing).
pub async fn dismiss(grant: &Grant) -> Result<(), AppError> {
    grant.expect(&DISMISS)?;
    let user = grant.require_user()?;
    let result = grant
        .state
        .accounts
        .set_flag(&user.id, Flag::ChecklistDismissed)
        .await;
    grant
        .audited(
            "onboarding.dismiss",
            Some(format!("user:{}", user.id)),
            result,
        )
        .await
}
