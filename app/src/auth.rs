//! Who is asking: the signed-in user of a request, read from its session, and the request facts
//! (address, request id) that audit records carry.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use axum::extract::ConnectInfo;
use engine::accounts::User;
use engine::audit::{Entry, Outcome};
use engine::db::now_ms;
use leptos::prelude::*;
use tower_sessions::Session;

use crate::error::AppError;
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

/// The signed-in user, put in request extensions by the request gate.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

/// Present when the request was authenticated with an API token rather than a session.
#[derive(Debug, Clone)]
pub struct TokenAuth(pub engine::tokens::TokenInfo);

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
        now_ms().saturating_sub(since) <= state.auth.session_max_age_ms
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
    if valid {
        // The store only writes changed sessions; touching `last_seen` now and then is what
        // makes the idle lifetime count from the last request rather than from sign-in.
        let seen: i64 = session
            .get(SESSION_LAST_SEEN)
            .await
            .ok()
            .flatten()
            .unwrap_or(0);
        let now = now_ms();
        if now - seen > LAST_SEEN_RESOLUTION_MS {
            let _ = session.insert(SESSION_LAST_SEEN, now).await;
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

/// What a server function needs to know about its request.
pub struct RequestCtx {
    pub state: AppState,
    pub session: Option<Session>,
    pub user: Option<User>,
    /// The API token used, when not a session.
    pub token: Option<engine::tokens::TokenInfo>,
    pub address: String,
    pub request_id: Option<String>,
    pub user_agent: Option<String>,
    /// The `Host` the browser used.
    pub host: Option<String>,
    /// The workspace the call was authorized in, for workspace-scoped calls.
    pub workspace: Option<String>,
}

impl RequestCtx {
    /// The only way a server function reaches the application: checks that the caller holds
    /// what `F` declares in [`crate::access::SERVER_FNS`] (in `workspace` for workspace-scoped
    /// functions), records refusals in the audit log, and answers `Forbidden` for a server
    /// function without a declaration.
    pub async fn authorize<F: leptos::server_fn::ServerFn>(
        workspace: Option<&str>,
    ) -> Result<Self, AppError> {
        Self::authorize_for::<F>(workspace, workspace.map(|w| format!("workspace:{w}"))).await
    }

    /// [`Self::authorize`], with the object asked for named in a refusal's audit record.
    async fn authorize_for<F: leptos::server_fn::ServerFn>(
        workspace: Option<&str>,
        target: Option<String>,
    ) -> Result<Self, AppError> {
        let mut ctx = Self::read()?;
        let Some(need) = crate::access::server_fn_need(F::PATH) else {
            tracing::error!(
                path = F::PATH,
                "server function without a declared permission refused"
            );
            return Err(AppError::Forbidden);
        };
        let decision = crate::access::check(
            &ctx.state,
            ctx.user.as_ref(),
            ctx.token.as_ref(),
            need,
            workspace,
        )
        .await;
        ctx.workspace = workspace.map(str::to_owned);
        if let Err(e) = decision {
            if crate::access::audits_denial(need, &e) {
                ctx.audit(
                    &need.label(),
                    target,
                    Outcome::Denied,
                    Some(format!("requires {}", need.label())),
                )
                .await;
            }
            return Err(e);
        }
        Ok(ctx)
    }

    /// [`Self::authorize`] for a function on one Docker object (declared with `Need::Owned`):
    /// `key` names it (id, name or id prefix) and its owning workspace decides. A caller who
    /// may not even see the object is told it does not exist, as for an unknown one.
    pub async fn authorize_owned<F: leptos::server_fn::ServerFn>(
        object: &'static str,
        key: &str,
    ) -> Result<Self, AppError> {
        let state = use_context::<AppState>().ok_or(AppError::Internal)?;
        let Some(owner) = crate::access::owner_of(&state, object, key) else {
            Self::read()?.require_user()?;
            return Err(AppError::NotFound(object.into()));
        };
        match Self::authorize_for::<F>(owner.as_deref(), Some(format!("{object}:{key}"))).await {
            Err(AppError::Forbidden) => {
                let ctx = Self::read()?;
                let sees = crate::access::check(
                    &ctx.state,
                    ctx.user.as_ref(),
                    ctx.token.as_ref(),
                    crate::access::Need::Owned(object, "read"),
                    owner.as_deref(),
                )
                .await
                .is_ok();
                Err(if sees {
                    AppError::Forbidden
                } else {
                    AppError::NotFound(object.into())
                })
            }
            other => other,
        }
    }

    /// Reads the request from the Leptos context.
    fn read() -> Result<Self, AppError> {
        let state = use_context::<AppState>().ok_or(AppError::Internal)?;
        let parts = use_context::<http::request::Parts>().ok_or(AppError::Internal)?;
        Ok(Self {
            session: parts.extensions.get::<Session>().cloned(),
            user: parts.extensions.get::<CurrentUser>().map(|c| c.0.clone()),
            token: parts.extensions.get::<TokenAuth>().map(|t| t.0.clone()),
            address: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string()),
            request_id: parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            user_agent: parts
                .headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            host: parts
                .headers
                .get(http::header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            workspace: None,
            state,
        })
    }

    /// The signed-in user, or `Unauthorized`.
    pub fn require_user(&self) -> Result<&User, AppError> {
        self.user.as_ref().ok_or(AppError::Unauthorized)
    }

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

    /// The session, which the session layer always provides.
    pub fn session(&self) -> Result<&Session, AppError> {
        self.session.as_ref().ok_or(AppError::Internal)
    }

    /// Who is acting, as audit records name them: `user:<id>`, or `user:<id> token:<id>`
    /// through an API token, or `anonymous`.
    pub fn actor(&self) -> String {
        actor_of(self.user.as_ref(), self.token.as_ref())
    }

    /// Writes an audit record for this request by [`Self::actor`], in the authorized
    /// workspace; a failure to write is logged, never hidden.
    pub async fn audit(
        &self,
        action: &str,
        target: Option<String>,
        outcome: Outcome,
        reason: Option<String>,
    ) {
        self.audit_as(self.actor(), action, target, outcome, reason)
            .await;
    }

    /// Audits the outcome of an operation under `action` (ok, or failed with the error as the
    /// reason) and hands the result on as an [`AppError`].
    pub async fn audited<T, E>(
        &self,
        action: &str,
        target: Option<String>,
        result: Result<T, E>,
    ) -> Result<T, AppError>
    where
        E: std::fmt::Display + Into<AppError>,
    {
        match result {
            Ok(value) => {
                self.audit(action, target, Outcome::Ok, None).await;
                Ok(value)
            }
            Err(e) => {
                self.audit(action, target, Outcome::Failed, Some(e.to_string()))
                    .await;
                Err(e.into())
            }
        }
    }

    /// Audits work that goes on after the answer (an install, update or uninstall): a refusal
    /// at once, else the record is written when the work ends, with how it ended — the answer
    /// only says it started. Hands on the work's first value.
    pub async fn audited_work<T, E>(
        &self,
        action: &str,
        target: Option<String>,
        result: Result<engine::marketplace::Working<T>, E>,
    ) -> Result<T, AppError>
    where
        E: std::fmt::Display + Into<AppError>,
    {
        match result {
            Ok(work) => {
                let entry = self.entry(self.actor(), action, target, None);
                // Nobody waits for the end here: the record is written when it comes.
                drop(audit_when_done(&self.state, entry, work.done));
                Ok(work.value)
            }
            Err(e) => self.audited(action, target, Err::<T, E>(e)).await,
        }
    }

    fn entry(
        &self,
        actor: String,
        action: &str,
        target: Option<String>,
        reason: Option<String>,
    ) -> Entry {
        Entry {
            actor,
            workspace: self.workspace.clone(),
            action: action.to_owned(),
            target,
            reason,
            request_id: self.request_id.clone(),
            source_ip: Some(self.address.clone()),
        }
    }

    /// [`Self::audit`] with an explicit actor (sign-in attempts name the account tried).
    pub async fn audit_as(
        &self,
        actor: String,
        action: &str,
        target: Option<String>,
        outcome: Outcome,
        reason: Option<String>,
    ) {
        let entry = self.entry(actor, action, target, reason);
        if let Err(e) = self.state.audit.record(&entry, outcome).await {
            tracing::error!(error = %e, action, "could not write the audit record");
        }
    }

    /// Notes that an account exists now.
    pub fn mark_has_users(&self) {
        self.state.auth.has_users.store(true, Ordering::SeqCst);
    }
}

/// Writes `entry` once the work behind `done` ends: ok, or failed with the reason (also when
/// Orbitr stops first). The returned receiver answers with the same end, for a caller that waits.
pub fn audit_when_done(
    state: &AppState,
    mut entry: Entry,
    done: tokio::sync::oneshot::Receiver<Result<(), String>>,
) -> tokio::sync::oneshot::Receiver<Result<(), String>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let audit = state.audit.clone();
    tokio::spawn(async move {
        let ended = done
            .await
            .unwrap_or_else(|_| Err("it did not finish: Orbitr stopped first".to_owned()));
        let outcome = match &ended {
            Ok(()) => Outcome::Ok,
            Err(reason) => {
                entry.reason = Some(reason.clone());
                Outcome::Failed
            }
        };
        if let Err(e) = audit.record(&entry, outcome).await {
            tracing::error!(error = %e, action = entry.action, "could not write the audit record");
        }
        let _ = tx.send(ended);
    });
    rx
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

/// The audit actor of a request: `user:<id>`, `user:<id> token:<id>` through an API token, or
/// `anonymous`.
pub fn actor_of(user: Option<&User>, token: Option<&engine::tokens::TokenInfo>) -> String {
    match (user, token) {
        (Some(user), Some(token)) => format!("{} token:{}", actor(user), token.id),
        (Some(user), None) => actor(user),
        (None, _) => "anonymous".to_owned(),
    }
}

/// The audit actor name of a user.
pub fn actor(user: &User) -> String {
    format!("user:{}", user.id)
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
