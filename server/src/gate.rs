//! The request gate: refuses cross-site state changes, finds the signed-in user, and sends
//! people who are not signed in (or before first-run setup) to the right page.

use std::sync::atomic::Ordering;

use app::AppState;
use app::access::Need;
use app::auth::{CurrentUser, TokenAuth, session_user};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use engine::identity::tokens::Scope;
use http::header::{AUTHORIZATION, HOST, ORIGIN, REFERER};
use http::{Method, StatusCode};
use tower_sessions::Session;

use crate::api_error::ApiError;

/// Paths anyone may fetch: assets, probes, the API description.
fn is_public(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path.starts_with("/api/docs")
        || matches!(
            path,
            "/healthz" | "/readyz" | "/favicon.svg" | "/api/v1/openapi.json"
        )
}

/// `/metrics` names every workspace's containers: a token with the `metrics` scope (how
/// Prometheus sends it: `authorization: Bearer …`) or a platform admin's sign-in reads it.
async fn metrics_gate(state: &AppState, req: Request, next: Next) -> Response {
    let presented = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim().to_owned());
    let allowed = match presented {
        Some(secret) => matches!(
            state.tokens.authenticate(&secret).await,
            Ok(Some((token, _))) if token.scope == Scope::Metrics
        ),
        None => match req.extensions().get::<Session>() {
            Some(session) => session_user(state, session)
                .await
                .is_some_and(|u| u.is_admin),
            None => false,
        },
    };
    if allowed {
        next.run(req).await
    } else {
        json_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "/metrics needs a token with the metrics scope (Authorization: Bearer orbitr_…)",
        )
    }
}

/// `scheme://host[:port]` of a URL, lowercased.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| {
        format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            host.to_ascii_lowercase()
        )
    })
}

/// Whether a state-changing request comes from Orbitr's own pages: its `Origin` (or, failing
/// that, `Referer`) must be the public URL, or the request's own host when none is configured.
/// Requests with an `Authorization` header are API clients, not browsers riding a cookie.
pub fn same_origin(state: &AppState, req: &Request) -> bool {
    if req.headers().contains_key(AUTHORIZATION) {
        return true;
    }
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let Some(origin) = header(ORIGIN)
        .or_else(|| header(REFERER))
        .and_then(origin_of)
    else {
        return false;
    };
    match state.auth.public_origin() {
        Some(expected) => origin == expected,
        None => header(HOST).is_some_and(|host| {
            origin
                .split_once("://")
                .is_some_and(|(_, origin_host)| origin_host.eq_ignore_ascii_case(host))
        }),
    }
}

fn encode_component(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Requests with `Authorization: Bearer <token>`: the REST API only, as the token's owner,
/// limited to the token's scope.
async fn bearer(state: &AppState, header: String, mut req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/v1/") {
        return json_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "API tokens are accepted by /api/v1/ only",
        );
    }
    let Some(presented) = header.strip_prefix("Bearer ").map(str::trim) else {
        return json_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "expected Authorization: Bearer orbitr_…",
        );
    };
    match state.tokens.authenticate(presented).await {
        Ok(Some((token, user))) => {
            let reading = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
            if token.scope == Scope::Metrics {
                return json_error(
                    StatusCode::FORBIDDEN,
                    "metrics_token",
                    "this token may only read /metrics",
                );
            }
            if token.scope == Scope::Read && !reading {
                return json_error(
                    StatusCode::FORBIDDEN,
                    "read_only_token",
                    "this token may only read",
                );
            }
            req.extensions_mut().insert(CurrentUser(user));
            req.extensions_mut().insert(TokenAuth(token));
            next.run(req).await
        }
        Ok(None) => json_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the token is unknown, revoked or expired",
        ),
        Err(e) => {
            tracing::error!(error = %e, "token lookup failed");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            )
        }
    }
}

fn json_error(status: StatusCode, code: &'static str, message: &str) -> Response {
    ApiError::response(status, code, message.to_owned(), None)
}

/// The gate itself; runs inside the session layer.
pub async fn gate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // No name, id or value Orbitr keeps may hold a NUL character (PostgreSQL cannot store one):
    // an address that encodes one is bad input, said at once rather than failing deeper down.
    if req.uri().to_string().contains("%00") {
        return json_error(
            StatusCode::BAD_REQUEST,
            "invalid",
            "the address holds a NUL character (%00), which no name, id or value may contain",
        );
    }
    // A websocket is opened with a GET, but it reads (and can send) for as long as it lasts:
    // a page of another site must not open one with the user's cookie.
    let upgrade = req
        .headers()
        .get(http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if (upgrade || !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS))
        && !same_origin(&state, &req)
    {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        return json_error(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "refused: this request did not come from Orbitr's own pages (Origin mismatch)",
        );
    }
    let path = req.uri().path().to_owned();
    if is_public(&path) {
        return next.run(req).await;
    }
    if path == "/metrics" {
        return metrics_gate(&state, req, next).await;
    }

    if let Some(header) = req.headers().get(AUTHORIZATION) {
        return bearer(
            &state,
            header.to_str().unwrap_or_default().to_owned(),
            req,
            next,
        )
        .await;
    }

    let session = req.extensions().get::<Session>().cloned();
    let user = match &session {
        Some(session) => session_user(&state, session).await,
        None => None,
    };
    let signed_in = user.is_some();
    if let Some(user) = user {
        req.extensions_mut().insert(CurrentUser(user));
    }

    if path.starts_with("/api/") && !path.starts_with("/api/v1/") {
        // A server function: its table names the operation it carries, which the operation
        // layer then insists on.
        let Some(op) = app::api::server_fn_op(&path) else {
            tracing::error!(
                path,
                "server function without a declared permission refused"
            );
            return json_error(
                StatusCode::FORBIDDEN,
                "undeclared_route",
                "refused: this server function declares no permission",
            );
        };
        let declared = app::ops::Declared::new(op);
        let run = declared.run.clone();
        req.extensions_mut().insert(declared);
        let answer = next.run(req).await;
        return crate::access::through_op(op, &run, answer);
    }
    if path.starts_with("/api/") {
        // Server functions check for themselves (setup and sign-in are open to everyone);
        // the REST API and the live websocket need a signed-in user.
        // Except the few REST routes declared open to anyone (e.g. the extension schema).
        let public =
            crate::access::rest_op(req.method(), &path).is_some_and(|op| op.need == Need::Anyone);
        if path.starts_with("/api/v1/") && !signed_in && !public {
            return json_error(StatusCode::UNAUTHORIZED, "unauthorized", "sign in first");
        }
        return next.run(req).await;
    }

    let mut has_users = state.auth.has_users.load(Ordering::SeqCst);
    if !has_users && state.accounts.count().await.unwrap_or(0) > 0 {
        // An account was made outside this process (e.g. `orbitr admin create`).
        state.auth.has_users.store(true, Ordering::SeqCst);
        has_users = true;
    }
    let to = |target: &str| Redirect::to(target).into_response();
    match (has_users, signed_in, path.as_str()) {
        // Invitation links work for anyone holding one; a refused provider sign-in is told why.
        (true, _, p)
            if p.starts_with("/invite/") || p.starts_with("/reset/") || p == "/signin/refused" =>
        {
            next.run(req).await
        }
        (false, _, "/setup") => next.run(req).await,
        (false, _, _) => to("/setup"),
        (true, true, "/setup" | "/login") => to("/"),
        (true, false, "/setup") => to("/login"),
        (true, false, "/login") => next.run(req).await,
        (true, false, _) => {
            let wanted = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
            to(&format!("/login?next={}", encode_component(wanted)))
        }
        (true, true, _) => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_reduced_to_scheme_and_host() {
        assert_eq!(
            origin_of("http://LocalHost:8080/x?y"),
            Some("http://localhost:8080".into())
        );
        assert_eq!(origin_of("null"), None);
    }

    #[test]
    fn next_targets_are_encoded() {
        assert_eq!(encode_component("/a b?x=1&y"), "/a%20b%3Fx%3D1%26y");
    }
}
