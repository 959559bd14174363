//! The live websockets (events, logs, usage). Opening one is the operation: it answers the
//! [`Watcher`], which carries who opened it and what they could do then. While the socket
//! lasts, the transport asks the watcher whether its right still holds ([`Watcher::ended`],
//! every [`RECHECK`]), what it may see ([`Watcher::scope`]) and, for each container a feed
//! names, whether it may read it ([`Watcher::may`]). A socket ends, with a close frame saying
//! why, within [`RECHECK`] of its sign-in ending (sign-out, "sign out everywhere", a password
//! change, the account deleted), its token being revoked or expiring, or its owner's roles
//! changing (removed from a workspace, another role, the admin flag).

use std::time::Duration;

use engine::identity::accounts::User;
use engine::identity::tokens::TokenInfo;
use engine::model::ids::WorkspaceId;
use engine::model::resources::ContainerView;
use engine::model::system::SOCKET_SIGNED_OUT;
use tower_sessions::Session;

use super::{Grant, Op};
use crate::access::{Need, Scope, check, readable};
use crate::auth::session_user;
use crate::error::AppError;
use crate::state::AppState;

/// The live-updates websocket (filtered to what the caller sees).
pub static EVENTS: Op = Op {
    name: "feed.events",
    need: Need::SignedIn,
};
/// The live logs websocket (each container checked once subscribed).
pub static LOGS: Op = Op {
    name: "feed.logs",
    need: Need::SignedIn,
};
/// The live usage websocket (each container checked once subscribed).
pub static STATS: Op = Op {
    name: "feed.stats",
    need: Need::SignedIn,
};

/// How often an open socket checks that its right lasts.
pub const RECHECK: Duration = Duration::from_millis(500);

/// What a user may do where: the admin flag and each workspace role.
type Rights = (bool, Vec<(WorkspaceId, String)>);

/// Who holds an open socket, and with what rights they opened it.
pub struct Watcher {
    user: User,
    token: Option<TokenInfo>,
    session: Option<Session>,
    rights: Option<Rights>,
}

async fn rights_of(state: &AppState, user: &User) -> Option<Rights> {
    let fresh = state.accounts.get(&user.id).await.ok().flatten()?;
    let mut roles: Vec<(WorkspaceId, String)> = state
        .workspaces
        .for_user(&fresh)
        .await
        .ok()?
        .into_iter()
        .filter_map(|m| m.role.map(|r| (m.workspace.id, r.as_str().to_owned())))
        .collect();
    roles.sort();
    Some((fresh.is_admin, roles))
}

/// Opens a feed under `op` for the granted caller.
async fn open(grant: &Grant, op: &'static Op) -> Result<Watcher, AppError> {
    grant.expect(op)?;
    let user = grant.require_user()?.clone();
    let rights = rights_of(&grant.state, &user).await;
    Ok(Watcher {
        user,
        token: grant.token.clone(),
        session: grant.session.clone(),
        rights,
    })
}

/// Opens the live-updates socket.
pub async fn events(grant: &Grant) -> Result<Watcher, AppError> {
    open(grant, &EVENTS).await
}

/// Opens the live logs socket.
pub async fn logs(grant: &Grant) -> Result<Watcher, AppError> {
    open(grant, &LOGS).await
}

/// Opens the live usage socket.
pub async fn stats(grant: &Grant) -> Result<Watcher, AppError> {
    open(grant, &STATS).await
}

impl Watcher {
    /// Why the socket must end now, if it must. When the database cannot tell, it ends: a
    /// socket is never kept on a right that cannot be confirmed.
    pub async fn ended(&self, state: &AppState) -> Option<&'static str> {
        match (&self.token, &self.session) {
            (Some(token), _) => {
                if !state.tokens.is_active(&token.id).await.unwrap_or(false) {
                    return Some("the token was revoked or has expired");
                }
            }
            (None, Some(session)) => {
                if session_user(state, session)
                    .await
                    .is_none_or(|u| u.id != self.user.id)
                {
                    return Some(SOCKET_SIGNED_OUT);
                }
            }
            (None, None) => return Some(SOCKET_SIGNED_OUT),
        }
        let now = rights_of(state, &self.user).await;
        if now.is_none() || now != self.rights {
            return Some("your roles changed; open it again");
        }
        None
    }

    /// The workspaces whose containers the watcher may see now; none when the database cannot
    /// tell (showing nothing rather than too much).
    pub async fn scope(&self, state: &AppState) -> Scope {
        readable(state, &self.user, self.token.as_ref(), "container")
            .await
            .unwrap_or_default()
    }

    /// Whether the watcher may `action` (`logs`, `read`) container `c`, in its workspace.
    pub async fn may(&self, state: &AppState, action: &'static str, c: &ContainerView) -> bool {
        check(
            state,
            Some(&self.user),
            self.token.as_ref(),
            Need::Owned("container", action),
            c.workspace.as_deref(),
        )
        .await
        .is_ok()
    }
}
