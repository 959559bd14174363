//! One's own API tokens. Tokens cannot manage tokens: these need a browser session.

use engine::audit::Outcome;
use engine::identity::tokens::{Scope, TokenError, TokenInfo};

use super::{Grant, Op};
use crate::access::Need;
use crate::error::AppError;
use crate::model::accounts::{ApiToken, NewApiToken};

/// One's own API tokens.
pub static LIST: Op = Op {
    name: "token.list",
    need: Need::Session,
};
/// Creating an API token (its secret is shown once).
pub static CREATE: Op = Op {
    name: "token.create",
    need: Need::Session,
};
/// Revoking one of one's own API tokens.
pub static REVOKE: Op = Op {
    name: "token.revoke",
    need: Need::Session,
};

impl From<TokenInfo> for ApiToken {
    fn from(t: TokenInfo) -> Self {
        Self {
            id: t.id.into(),
            name: t.name,
            scope: t.scope.as_str().to_owned(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            workspace_id: t.workspace_id.map(String::from),
        }
    }
}

impl From<TokenError> for AppError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Invalid { field, message } => Self::Invalid {
                field: field.into(),
                message: message.into(),
            },
            TokenError::Account(e) => e.into(),
            TokenError::Db(e) => {
                tracing::error!(error = %e, "token operation failed");
                Self::Internal
            }
        }
    }
}

/// What a new token is to be.
pub struct NewToken {
    pub name: String,
    /// `read`, `write` or `metrics`.
    pub scope: String,
    /// Whole days, or empty for no expiry.
    pub expires_in_days: Option<String>,
    /// The one workspace it may act in (empty: wherever its owner may).
    pub workspace: Option<String>,
}

/// The caller's tokens.
pub async fn list(grant: &Grant) -> Result<Vec<ApiToken>, AppError> {
    grant.expect(&LIST)?;
    let user = grant.require_user()?;
    let tokens = grant.state.tokens.list(&user.id).await?;
    Ok(tokens.into_iter().map(ApiToken::from).collect())
}

/// Creates a token of the caller's; its secret is in the answer, this once.
pub async fn create(grant: &Grant, new: NewToken) -> Result<NewApiToken, AppError> {
    grant.expect(&CREATE)?;
    let user = grant.require_user()?;
    let scope = Scope::parse(&new.scope)?;
    if scope == Scope::Metrics && !user.is_admin {
        return Err(AppError::Invalid {
            field: "scope".into(),
            message: "only platform admins make metrics tokens (the figures cover every workspace)"
                .into(),
        });
    }
    let days = match new.expires_in_days.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<u32>().map_err(|_| AppError::Invalid {
            field: "expires_in_days".into(),
            message: "must be a whole number of days, or empty for no expiry".into(),
        })?),
    };
    let workspace = new.workspace.filter(|w| !w.is_empty());
    if let Some(ws) = &workspace {
        if grant.state.workspaces.get(ws).await?.is_none() {
            return Err(AppError::Invalid {
                field: "workspace".into(),
                message: "no such workspace".into(),
            });
        }
        // Only a workspace the owner belongs to (or any, for a platform admin).
        crate::access::check(
            &grant.state,
            Some(user),
            None,
            Need::Workspace("workspace", "read"),
            Some(ws),
        )
        .await
        .map_err(|_| AppError::Invalid {
            field: "workspace".into(),
            message: "you are not a member of this workspace".into(),
        })?;
    }
    let (token, secret) = grant
        .state
        .tokens
        .create(&user.id, &new.name, scope, days, workspace.as_deref())
        .await?;
    grant
        .audit(
            "token.create",
            Some(format!("token:{} ({})", token.id, token.scope.as_str())),
            Outcome::Ok,
            None,
        )
        .await;
    Ok(NewApiToken {
        token: token.into(),
        secret,
    })
}

/// Revokes one of the caller's tokens.
pub async fn revoke(grant: &Grant, id: &str) -> Result<(), AppError> {
    grant.expect(&REVOKE)?;
    let user = grant.require_user()?;
    let revoked = grant.state.tokens.revoke(&user.id, id).await?;
    let target = Some(format!("token:{id}"));
    if revoked {
        grant.audit("token.revoke", target, Outcome::Ok, None).await;
        Ok(())
    } else {
        grant
            .audit(
                "token.revoke",
                target,
                Outcome::Failed,
                Some("no such token".to_owned()),
            )
            .await;
        Err(AppError::Invalid {
            field: "id".into(),
            message: "no such token".into(),
        })
    }
}
