//! `GET /api/v1/me`: who the request is authenticated as.

use app::ops::{Grant, auth};
use axum::Extension;
use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: String,
    pub email: String,
    pub name: String,
    /// Platform administrator.
    pub is_admin: bool,
    /// `session` or `token`.
    pub authenticated_by: &'static str,
    /// With a token: its id and scope (`read` or `write`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_scope: Option<&'static str>,
}

/// The signed-in user (session cookie or `Authorization: Bearer` token).
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "accounts",
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "Not signed in, or the token is unknown, revoked or expired"),
    )
)]
pub async fn get_me(Extension(grant): Extension<Grant>) -> Response {
    match auth::me(&grant) {
        Ok(auth::Identity { user, token }) => Json(Me {
            id: user.id.into(),
            email: user.email,
            name: user.name,
            is_admin: user.is_admin,
            authenticated_by: if token.is_some() { "token" } else { "session" },
            token_id: token.as_ref().map(|t| t.id.to_string()),
            token_scope: token.map(|t| t.scope.as_str()),
        })
        .into_response(),
        Err(e) => crate::api_error::from_app(&e),
    }
}
