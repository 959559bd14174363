//! The command palette's index: the caller's stacks, containers, apps, workspaces and images,
//! each with the actions the caller may take on it. Scoped like the lists: nothing of a
//! workspace the caller may not read, no action their role does not allow.

use std::collections::HashMap;

use super::{Grant, Op};
use crate::access::{Need, readable};
use crate::error::AppError;
use crate::model::palette::{Action, Entry, Kind};
use crate::model::workspaces::WorkspaceSummary;

/// What the palette can jump to.
pub static INDEX: Op = Op {
    name: "palette.index",
    need: Need::SignedIn,
};

/// At most this many entries of one kind (the newest containers and images first): the
/// palette is for jumping, the lists are for browsing.
const PER_KIND: usize = 500;

/// The caller's things, workspaces first, then stacks, apps, containers and images.
pub async fn index(grant: &Grant) -> Result<Vec<Entry>, AppError> {
    grant.expect(&INDEX)?;
    let user = grant.require_user()?;
    let state = &grant.state;
    let token = grant.token.as_ref();
    let mut may = Allowed::new(grant);
    let mut out = Vec::new();

    let workspaces: Vec<WorkspaceSummary> = state
        .workspaces
        .for_user(user)
        .await?
        .into_iter()
        .map(WorkspaceSummary::from)
        .collect();
    let names: HashMap<String, String> = workspaces
        .iter()
        .map(|w| (w.id.clone(), w.name.clone()))
        .collect();
    let workspace_name = |id: Option<&str>| {
        id.map_or_else(
            || "unmanaged".to_owned(),
            |id| names.get(id).cloned().unwrap_or_else(|| id.to_owned()),
        )
    };
    for w in &workspaces {
        out.push(Entry {
            kind: Kind::Workspace,
            key: w.id.clone(),
            name: w.name.clone(),
            detail: w.role.clone().unwrap_or_else(|| "platform admin".into()),
            href: format!("/workspaces/{}", w.id),
            actions: vec![Action::Switch],
        });
    }

    let stacks = readable(state, user, token, "stack").await?;
    for row in state.stacks.rows(None).await?.into_iter().take(PER_KIND) {
        if !stacks.sees(Some(&row.workspace_id)) {
            continue;
        }
        let deploy = may
            .hold(Need::Owned("stack", "deploy"), Some(&row.workspace_id))
            .await;
        out.push(Entry {
            kind: Kind::Stack,
            key: row.id.to_string(),
            name: row.name.clone(),
            detail: workspace_name(Some(&row.workspace_id)),
            href: format!("/stacks/{}", row.id),
            actions: deploy.then_some(Action::Deploy).into_iter().collect(),
        });
    }

    let apps = readable(state, user, token, "extension").await?;
    for app in state
        .marketplace
        .apps(None)
        .await?
        .into_iter()
        .take(PER_KIND)
    {
        if !apps.sees(Some(&app.workspace)) {
            continue;
        }
        out.push(Entry {
            kind: Kind::App,
            key: app.id.clone(),
            detail: format!("{} · {}", app.stack, workspace_name(Some(&app.workspace))),
            href: app
                .stack_id
                .as_ref()
                .map_or_else(|| "/apps".to_owned(), |id| format!("/stacks/{id}")),
            name: app.name,
            actions: Vec::new(),
        });
    }

    let containers = readable(state, user, token, "container").await?;
    let mut live = state
        .docker
        .containers()
        .filtered(|c| containers.sees(c.workspace.as_deref()));
    live.sort_by_key(|c| std::cmp::Reverse(c.created_at));
    for c in live.into_iter().take(PER_KIND) {
        let mut actions = Vec::new();
        if may
            .hold(Need::Owned("container", "operate"), c.workspace.as_deref())
            .await
        {
            actions.push(Action::Restart);
        }
        if may
            .hold(Need::Owned("container", "logs"), c.workspace.as_deref())
            .await
        {
            actions.push(Action::Logs);
        }
        out.push(Entry {
            kind: Kind::Container,
            detail: format!(
                "{} · {} · {}",
                c.state,
                c.image,
                workspace_name(c.workspace.as_deref())
            ),
            href: format!("/containers/{}", c.id),
            key: c.id,
            name: c.name,
            actions,
        });
    }

    let mut images = crate::ops::objects::visible(grant).await?.0;
    images.sort_by_key(|i| std::cmp::Reverse(i.created_at));
    for image in images.into_iter().take(PER_KIND) {
        let short = image.id.trim_start_matches("sha256:").chars().take(12);
        let short: String = short.collect();
        out.push(Entry {
            kind: Kind::Image,
            name: image.tags.first().cloned().unwrap_or_else(|| short.clone()),
            detail: if image.tags.is_empty() {
                "untagged".to_owned()
            } else {
                short
            },
            href: format!("/images/{}", image.id),
            key: image.id,
            actions: Vec::new(),
        });
    }
    Ok(out)
}

/// Whether the caller holds a need in a workspace, asked once per (need, workspace).
struct Allowed<'a> {
    grant: &'a Grant,
    known: HashMap<(String, Option<String>), bool>,
}

impl<'a> Allowed<'a> {
    fn new(grant: &'a Grant) -> Self {
        Self {
            grant,
            known: HashMap::new(),
        }
    }

    async fn hold(&mut self, need: Need, workspace: Option<&str>) -> bool {
        let key = (need.label(), workspace.map(str::to_owned));
        if let Some(known) = self.known.get(&key) {
            return *known;
        }
        let held = self.grant.holds(need, workspace).await;
        self.known.insert(key, held);
        held
    }
}
