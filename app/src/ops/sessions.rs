//! Where one is signed in, and ending those sign-ins.

use engine::audit::Outcome;

use super::{Grant, Op};
use crate::access::Need;
use crate::error::AppError;
use crate::model::accounts::SessionView;

/// Where one is signed in.
pub static LIST: Op = Op {
    name: "session.list",
    need: Need::Session,
};
/// Ending one of one's own sign-ins.
pub static REVOKE: Op = Op {
    name: "session.revoke",
    need: Need::Session,
};
/// Ending every other sign-in of one's own.
pub static SIGN_OUT_EVERYWHERE: Op = Op {
    name: "session.sign_out_everywhere",
    need: Need::Session,
};

/// A sign-in store failure, logged; the caller sees an internal error.
fn store_failed(what: &'static str) -> impl FnOnce(engine::db::DbError) -> AppError {
    move |e| {
        tracing::error!(error = %e, "{what} failed");
        AppError::Internal
    }
}

/// The caller's live sign-ins, most recently active first.
pub async fn list(grant: &Grant) -> Result<Vec<SessionView>, AppError> {
    grant.expect(&LIST)?;
    let user = grant.require_user()?;
    let current = grant.sign_in_handle().await;
    let since = engine::clock::now_ms() - grant.state.auth.session_idle_ms();
    let list = grant
        .state
        .signins
        .list(&user.id, since)
        .await
        .map_err(store_failed("listing sign-ins"))?;
    Ok(list
        .into_iter()
        .map(|s| SessionView {
            current: current.as_deref() == Some(s.id.as_str()),
            device: s.user_agent.as_deref().map_or_else(
                || "Unknown browser".to_owned(),
                engine::identity::signins::describe_agent,
            ),
            id: s.id,
            ip: s.ip,
            signed_in_at: s.created_at,
            last_seen: s.last_seen,
        })
        .collect())
}

/// Ends one of the caller's sign-ins.
pub async fn revoke(grant: &Grant, id: &str) -> Result<(), AppError> {
    grant.expect(&REVOKE)?;
    let user = grant.require_user()?;
    let revoked = grant
        .state
        .signins
        .revoke(&user.id, id)
        .await
        .map_err(store_failed("revoking a sign-in"))?;
    if !revoked {
        return Err(AppError::NotFound("session".into()));
    }
    grant
        .audit(
            "session.revoke",
            Some(format!("session:{id}")),
            Outcome::Ok,
            None,
        )
        .await;
    Ok(())
}

/// Ends every sign-in of the caller, this one included. Returns where to go next.
pub async fn sign_out_everywhere(grant: &Grant) -> Result<String, AppError> {
    grant.expect(&SIGN_OUT_EVERYWHERE)?;
    let user = grant.require_user()?;
    let ended = grant
        .state
        .signins
        .revoke_all(&user.id, None)
        .await
        .map_err(store_failed("revoking sign-ins"))?;
    grant
        .audit(
            "session.revoke_all",
            Some(format!("{ended} session(s)")),
            Outcome::Ok,
            None,
        )
        .await;
    if let Err(e) = grant.session()?.flush().await {
        tracing::warn!(error = %e, "could not clear this session");
    }
    Ok("/login".into())
}
