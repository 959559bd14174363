//! Where the signed-in user is signed in: list, end one, end all.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// One sign-in as the profile lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: String,
    /// e.g. "Firefox on Linux".
    pub device: String,
    pub ip: Option<String>,
    pub signed_in_at: i64,
    pub last_seen: i64,
    /// The session this list was asked from.
    pub current: bool,
}

/// The caller's live sign-ins, most recently active first.
#[server(endpoint = "list_sessions", output = crate::api::codec::Json)]
pub async fn list_sessions() -> Result<Vec<SessionView>, AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::ops::admit(&crate::ops::sessions::LIST, crate::ops::On::Nothing).await?;
            let user = ctx.require_user()?;
            let current = ctx.sign_in_handle().await;
            let since = engine::db::now_ms() - ctx.state.auth.session_idle_ms;
            let list = ctx.state.signins.list(&user.id, since).await.map_err(|e| {
                tracing::error!(error = %e, "listing sign-ins failed");
                AppError::Internal
            })?;
            Ok(list
                .into_iter()
                .map(|s| SessionView {
                    current: current.as_deref() == Some(s.id.as_str()),
                    device: s.user_agent.as_deref().map_or_else(
                        || "Unknown browser".to_owned(),
                        engine::signins::describe_agent,
                    ),
                    id: s.id,
                    ip: s.ip,
                    signed_in_at: s.created_at,
                    last_seen: s.last_seen,
                })
                .collect())
        }
        .await,
    )
}

/// Ends one of the caller's other sign-ins (the current one ends with "Sign out").
#[server(endpoint = "revoke_session", output = crate::api::codec::Json)]
pub async fn revoke_session(id: String) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            use engine::audit::Outcome;
            let ctx =
                crate::ops::admit(&crate::ops::sessions::REVOKE, crate::ops::On::Nothing).await?;
            let user = ctx.require_user()?;
            let revoked = ctx.state.signins.revoke(&user.id, &id).await.map_err(|e| {
                tracing::error!(error = %e, "revoking a sign-in failed");
                AppError::Internal
            })?;
            if !revoked {
                return Err(AppError::NotFound("session".into()));
            }
            ctx.audit(
                "session.revoke",
                Some(format!("session:{id}")),
                Outcome::Ok,
                None,
            )
            .await;
            Ok(())
        }
        .await,
    )
}

/// Ends every sign-in of the caller, this one included. Returns where to go next.
#[server(endpoint = "sign_out_everywhere", output = crate::api::codec::Json)]
pub async fn sign_out_everywhere() -> Result<String, AppError> {
    crate::auth::reply(
        async {
            use engine::audit::Outcome;
            let ctx = crate::ops::admit(
                &crate::ops::sessions::SIGN_OUT_EVERYWHERE,
                crate::ops::On::Nothing,
            )
            .await?;
            let user = ctx.require_user()?;
            let ended = ctx
                .state
                .signins
                .revoke_all(&user.id, None)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "revoking sign-ins failed");
                    AppError::Internal
                })?;
            ctx.audit(
                "session.revoke_all",
                Some(format!("{ended} session(s)")),
                Outcome::Ok,
                None,
            )
            .await;
            if let Err(e) = ctx.session()?.flush().await {
                tracing::warn!(error = %e, "could not clear this session");
            }
            Ok("/login".into())
        }
        .await,
    )
}
