//! The right to an open websocket, checked again while it lasts: a socket ends, with a close
//! frame saying why, within [`RECHECK`] of its sign-in ending (sign-out, "sign out
//! everywhere", a password change, the account deleted), its token being revoked or expiring,
//! or its owner's roles changing (removed from a workspace, another role, the admin flag).

use std::time::Duration;

use app::AppState;
use app::auth::session_user;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use engine::accounts::User;
use engine::system::{SOCKET_ENDED, SOCKET_SIGNED_OUT};
use engine::tokens::TokenInfo;
use tower_sessions::Session;

/// How often an open socket checks that its right lasts.
pub const RECHECK: Duration = Duration::from_millis(500);

/// What a user may do where: the admin flag and each workspace role.
type Rights = (bool, Vec<(String, String)>);

/// Who opened a socket, and with what rights.
pub struct Holder {
    pub user: User,
    pub token: Option<TokenInfo>,
    session: Option<Session>,
    rights: Option<Rights>,
}

async fn rights_of(state: &AppState, user: &User) -> Option<Rights> {
    let fresh = state.accounts.get(&user.id).await.ok().flatten()?;
    let mut roles: Vec<(String, String)> = state
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

impl Holder {
    /// The holder of a socket opened now (by a session, or a token).
    pub async fn new(
        state: &AppState,
        user: User,
        token: Option<TokenInfo>,
        session: Option<Session>,
    ) -> Self {
        let rights = rights_of(state, &user).await;
        Self {
            user,
            token,
            session,
            rights,
        }
    }

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
}

/// Closes `socket` saying why.
pub async fn close(socket: &mut WebSocket, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: SOCKET_ENDED,
            reason: reason.into(),
        })))
        .await;
}
