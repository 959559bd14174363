//! Who is asking: the signed-in user of a request, read from its session, and the request facts
//! (address, request id) that audit records carry.

use engine::clock::now_ms;
use engine::identity::accounts::User;
use leptos::prelude::*;
use tower_sessions::Session;

use crate::error::AppError;
use crate::ops::Caller;
pub use crate::ops::{CurrentUser, TokenAuth, actor, actor_of};
use crate::state::AppState;

/// Session keys.
pub const SESSION_USER: &str = "user_id";
const SESSION_SINCE: &str = "signed_in_at";
const SESSION_AUTH_VERSION: &str = "auth_version";
const SESSION_LAST_SEEN: &str = "last_seen";
/// The sign-in's row in `user_sessions` (listed on the profile, revocable).
const SESSION_HANDLE: &str = "sign_in";
/// How stale `last_seen` may get before a request refreshes it (and with it the idle expiry).
const LAST_SEEN_RESOLUTION_MS: i64 = 60_000;

/// The user a session belongs to, if it is still valid: not past its absolute lifetime and not
/// from before the user's last password change (which ends every other session).
pub async fn session_user(state: &AppState, session: &Session) -> Option<User> {
    let user_id: String = session.get(SESSION_USER).await.ok().flatten()?;
    let since: i64 = session.get(SESSION_SINCE).await.ok().flatten().unwrap_or(0);
    let version: i64 = session
        .get(SESSION_AUTH_VERSION)
        .await
        .ok()
        .flatten()
        .unwrap_or(0);
    let handle: Option<String> = session.get(SESSION_HANDLE).await.ok().flatten();
    let user = state.accounts.get(&user_id).await.ok().flatten();
    let mut valid = user.as_ref().is_some_and(|u| {
        now_ms().saturating_sub(since) <= state.auth.session_max_age_ms()
            && version == u.password_changed_at
    });
    if valid {
        // Ended from the profile ("sign out everywhere", or this one revoked)?
        valid = match &handle {
            Some(handle) => state
                .signins
                .is_live(handle, &user_id)
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "sign-in lookup failed");
                    false
                }),
            None => false,
        };
    }
    let seen: i64 = session
        .get(SESSION_LAST_SEEN)
        .await
        .ok()
        .flatten()
        .unwrap_or(since);
    let now = now_ms();
    // Idle too long, by the setting in force now (it may have been lowered since).
    valid = valid && now.saturating_sub(seen) <= state.auth.session_idle_ms();
    if valid {
        // The store only writes changed sessions; touching `last_seen` now and then is what
        // makes the idle lifetime count from the last request rather than from sign-in. The
        // stored session and its cookie then expire by the idle setting in force.
        if now - seen > LAST_SEEN_RESOLUTION_MS {
            let _ = session.insert(SESSION_LAST_SEEN, now).await;
            session.set_expiry(Some(idle_expiry(state)));
            if let Some(handle) = &handle
                && let Err(e) = state.signins.touch(handle, now).await
            {
                tracing::warn!(error = %e, "could not note sign-in activity");
            }
        }
        user
    } else {
        let _ = session.flush().await;
        None
    }
}

/// How long a stored session and its cookie last without a request: the idle setting in
/// force.
fn idle_expiry(state: &AppState) -> tower_sessions::Expiry {
    tower_sessions::Expiry::OnInactivity(time::Duration::milliseconds(state.auth.session_idle_ms()))
}

impl Caller {
    /// Starts a fresh session for `user`: a new session id (so a planted id is worthless) with
    /// the user, the sign-in time, the password version and a new sign-in record (listed on the
    /// profile). Returns the sign-in's handle.
    pub async fn start_session(&self, user: &User) -> Result<String, AppError> {
        let internal = |e: tower_sessions::session::Error| {
            tracing::error!(error = %e, "session store failed");
            AppError::Internal
        };
        let session = self.session()?;
        let handle = self
            .state
            .signins
            .open(&user.id, Some(&self.address), self.user_agent.as_deref())
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "could not record the sign-in");
                AppError::Internal
            })?;
        session.cycle_id().await.map_err(internal)?;
        session.set_expiry(Some(idle_expiry(&self.state)));
        session
            .insert(SESSION_USER, &user.id)
            .await
            .map_err(internal)?;
        session
            .insert(SESSION_SINCE, now_ms())
            .await
            .map_err(internal)?;
        session
            .insert(SESSION_AUTH_VERSION, user.password_changed_at)
            .await
            .map_err(internal)?;
        session
            .insert(SESSION_HANDLE, &handle)
            .await
            .map_err(internal)?;
        Ok(handle)
    }

    /// The handle of this request's sign-in, if it has one.
    pub async fn sign_in_handle(&self) -> Option<String> {
        self.session
            .as_ref()?
            .get(SESSION_HANDLE)
            .await
            .ok()
            .flatten()
    }
}

/// Sets the response status from the error, so clients and logs see 400/401/409/… rather
/// than a blanket 500. Every server function passes its result through this.
/// When a page calls a server function while rendering, the page's own status is left alone.
pub fn reply<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    let is_server_fn_call = use_context::<http::request::Parts>()
        .is_some_and(|parts| parts.uri.path().starts_with("/api/"));
    if let Err(e) = &result
        && is_server_fn_call
        && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = http::StatusCode::from_u16(e.status())
    {
        response.set_status(status);
    }
    result
}

/// A post-sign-in destination that stays on this site (`/…`, never `//host` or `http…`).
/// Browsers drop tabs and newlines from URLs and read `\\` as `/`, so a path holding any of
/// them could turn into `//host`: such paths are refused outright.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_only_leads_within_the_site() {
        assert_eq!(safe_next(Some("/stacks?x=1")), "/stacks?x=1");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/");
        assert_eq!(safe_next(Some("/a/\\/evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
