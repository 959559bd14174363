//! Personal API tokens, managed from the profile page with a browser session.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    /// `read` or `write`.
    pub scope: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// The one workspace the token may act in (`None`: wherever its owner may).
    pub workspace_id: Option<String>,
}

/// A new token with its secret, which is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub token: ApiToken,
    pub secret: String,
}

#[cfg(feature = "ssr")]
impl From<engine::tokens::TokenInfo> for ApiToken {
    fn from(t: engine::tokens::TokenInfo) -> Self {
        Self {
            id: t.id,
            name: t.name,
            scope: t.scope.as_str().to_owned(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            workspace_id: t.workspace_id,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<engine::tokens::TokenError> for AppError {
    fn from(e: engine::tokens::TokenError) -> Self {
        match e {
            engine::tokens::TokenError::Invalid { field, message } => Self::Invalid {
                field: field.into(),
                message: message.into(),
            },
            engine::tokens::TokenError::Account(e) => e.into(),
            engine::tokens::TokenError::Db(e) => {
                tracing::error!(error = %e, "token operation failed");
                Self::Internal
            }
        }
    }
}

/// The signed-in user's tokens.
#[server(endpoint = "list_api_tokens", output = crate::api::codec::Json)]
pub async fn list_api_tokens() -> Result<Vec<ApiToken>, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::ops::admit(&crate::ops::tokens::LIST, crate::ops::On::Nothing).await?;
            let user = ctx.require_user()?;
            let tokens = ctx.state.tokens.list(&user.id).await?;
            Ok(tokens.into_iter().map(ApiToken::from).collect())
        }
        .await,
    )
}

/// Creates a token; `expires_in_days` empty means it does not expire.
#[server(endpoint = "create_api_token", output = crate::api::codec::Json)]
pub async fn create_api_token(
    name: String,
    scope: String,
    expires_in_days: Option<String>,
    workspace: Option<String>,
) -> Result<NewApiToken, AppError> {
    crate::auth::reply(
        async {
            use engine::audit::Outcome;
            let ctx = crate::ops::admit(&crate::ops::tokens::CREATE, crate::ops::On::Nothing).await?;
            let user = ctx.require_user()?.clone();
            let scope = engine::tokens::Scope::parse(&scope)?;
            if scope == engine::tokens::Scope::Metrics && !user.is_admin {
                return Err(AppError::Invalid {
                    field: "scope".into(),
                    message: "only platform admins make metrics tokens (the figures cover every workspace)".into(),
                });
            }
            let days = match expires_in_days.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(raw) => Some(raw.parse::<u32>().map_err(|_| AppError::Invalid {
                    field: "expires_in_days".into(),
                    message: "must be a whole number of days, or empty for no expiry".into(),
                })?),
            };
            let workspace = workspace.filter(|w| !w.is_empty());
            if let Some(ws) = &workspace {
                if ctx.state.workspaces.get(ws).await?.is_none() {
                    return Err(AppError::Invalid {
                        field: "workspace".into(),
                        message: "no such workspace".into(),
                    });
                }
                // Only a workspace the owner belongs to (or any, for a platform admin).
                crate::access::check(
                    &ctx.state,
                    Some(&user),
                    None,
                    crate::access::Need::Workspace("workspace", "read"),
                    Some(ws),
                )
                .await
                .map_err(|_| AppError::Invalid {
                    field: "workspace".into(),
                    message: "you are not a member of this workspace".into(),
                })?;
            }
            let (token, secret) = ctx
                .state
                .tokens
                .create(&user.id, &name, scope, days, workspace.as_deref())
                .await?;
            ctx.audit_as(
                ctx.actor(),
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
        .await,
    )
}

/// Revokes one of the signed-in user's tokens.
#[server(endpoint = "revoke_api_token", output = crate::api::codec::Json)]
pub async fn revoke_api_token(id: String) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            use engine::audit::Outcome;
            let ctx =
                crate::ops::admit(&crate::ops::tokens::REVOKE, crate::ops::On::Nothing).await?;
            let user = ctx.require_user()?.clone();
            let revoked = ctx.state.tokens.revoke(&user.id, &id).await?;
            let outcome = if revoked {
                Outcome::Ok
            } else {
                Outcome::Failed
            };
            let reason = (!revoked).then(|| "no such token".to_owned());
            ctx.audit_as(
                ctx.actor(),
                "token.revoke",
                Some(format!("token:{id}")),
                outcome,
                reason,
            )
            .await;
            if revoked {
                Ok(())
            } else {
                Err(AppError::Invalid {
                    field: "id".into(),
                    message: "no such token".into(),
                })
            }
        }
        .await,
    )
}
