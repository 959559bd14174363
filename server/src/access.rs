//! The REST routes' permissions, declared in one table and checked in one route layer: a route
//! missing from the table is refused (and a test fails for it).

use std::net::SocketAddr;

use app::AppState;
use app::access::{Need, audits_denial, check, owner_of};
use app::auth::{CurrentUser, TokenAuth};
use app::error::AppError;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use engine::audit::{Entry, Outcome};
use http::{Method, StatusCode};

use crate::api_error::{ApiError, from_app};

/// Every REST route (method, path as routed) with what it needs. Workspace-scoped routes take
/// the workspace from their `{workspace}` path segment.
pub const REST: &[(Method, &str, Need)] = &[
    (Method::GET, "/api/v1/system", Need::SignedIn),
    (Method::GET, "/api/v1/schemas/extension.json", Need::Anyone),
    (Method::GET, "/api/v1/me", Need::SignedIn),
    // The marketplace: reading the catalog and reviewing are open to every signed-in user;
    // a review is always the caller's own.
    (Method::GET, "/api/v1/extensions", Need::SignedIn),
    (
        Method::GET,
        "/api/v1/extensions/{extension}",
        Need::SignedIn,
    ),
    (
        Method::GET,
        "/api/v1/extensions/{extension}/reviews",
        Need::SignedIn,
    ),
    (
        Method::PUT,
        "/api/v1/extensions/{extension}/reviews",
        Need::SignedIn,
    ),
    (
        Method::DELETE,
        "/api/v1/extensions/{extension}/reviews",
        Need::SignedIn,
    ),
    (
        Method::PUT,
        "/api/v1/extensions/{extension}/reviews/{author}/helpful",
        Need::SignedIn,
    ),
    (
        Method::DELETE,
        "/api/v1/extensions/{extension}/reviews/{author}/helpful",
        Need::SignedIn,
    ),
    (
        Method::GET,
        "/api/v1/extension-sources",
        Need::Platform("extension_source", "manage"),
    ),
    (
        Method::POST,
        "/api/v1/extension-sources",
        Need::Platform("extension_source", "manage"),
    ),
    (
        Method::POST,
        "/api/v1/extension-sources/{source}/sync",
        Need::Platform("extension_source", "manage"),
    ),
    (
        Method::DELETE,
        "/api/v1/extension-sources/{source}",
        Need::Platform("extension_source", "manage"),
    ),
    (Method::GET, "/api/v1/apps", Need::SignedIn),
    (
        Method::GET,
        "/api/v1/apps/awaiting-approval",
        Need::Platform("extension", "approve"),
    ),
    (
        Method::GET,
        "/api/v1/workspaces/{workspace}/apps",
        Need::Workspace("extension", "read"),
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/apps",
        Need::Workspace("extension", "install"),
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/apps/plan",
        Need::Workspace("extension", "read"),
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/apps/from-git",
        Need::Platform("extension_source", "manage"),
    ),
    (
        Method::GET,
        "/api/v1/workspaces/{workspace}/apps/{app}",
        Need::Workspace("extension", "read"),
    ),
    (
        Method::DELETE,
        "/api/v1/workspaces/{workspace}/apps/{app}",
        Need::Workspace("extension", "install"),
    ),
    (
        Method::GET,
        "/api/v1/workspaces/{workspace}/apps/{app}/update",
        Need::Workspace("extension", "read"),
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/apps/{app}/update",
        Need::Workspace("extension", "install"),
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/apps/{app}/approve",
        Need::Platform("extension", "approve"),
    ),
    (Method::GET, "/api/v1/events", Need::SignedIn),
    // Each container is checked for `container:logs` in its workspace once subscribed.
    (Method::GET, "/api/v1/logs", Need::SignedIn),
    // Each container is checked for `container:read` in its workspace once subscribed.
    (Method::GET, "/api/v1/stats", Need::SignedIn),
    (Method::GET, "/api/v1/workspaces", Need::SignedIn),
    (
        Method::POST,
        "/api/v1/workspaces",
        Need::Platform("workspace", "create"),
    ),
    (
        Method::GET,
        "/api/v1/workspaces/{workspace}",
        Need::Workspace("workspace", "read"),
    ),
    (
        Method::GET,
        "/api/v1/workspaces/{workspace}/members",
        Need::Workspace("member", "read"),
    ),
    (
        Method::GET,
        "/api/v1/audit",
        Need::Platform("audit", "read"),
    ),
    (
        Method::GET,
        "/api/v1/workspaces/{workspace}/audit",
        Need::Workspace("audit", "read"),
    ),
    // The list is filtered to what the caller may read; one container is checked in the
    // workspace that owns it (`{container}` names it).
    (Method::GET, "/api/v1/containers", Need::SignedIn),
    (
        Method::GET,
        "/api/v1/containers/{container}",
        Need::Owned("container", "read"),
    ),
    (
        Method::GET,
        "/api/v1/containers/{container}/logs",
        Need::Owned("container", "logs"),
    ),
    (
        Method::GET,
        "/api/v1/stacks/{stack}/logs",
        Need::Owned("stack", "logs"),
    ),
    (
        Method::POST,
        "/api/v1/containers/{container}/{action}",
        Need::Owned("container", "operate"),
    ),
    (
        Method::PUT,
        "/api/v1/containers/{container}/name",
        Need::Owned("container", "operate"),
    ),
    (
        Method::DELETE,
        "/api/v1/containers/{container}",
        Need::Owned("container", "operate"),
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/containers",
        Need::Workspace("container", "create"),
    ),
    (
        Method::GET,
        "/api/v1/workspaces/{workspace}/policy",
        Need::Workspace("workspace", "read"),
    ),
    (
        Method::PUT,
        "/api/v1/workspaces/{workspace}/policy",
        Need::Platform("policy", "manage"),
    ),
    // Images are shared by every workspace: all see them, platform admins remove them.
    (Method::GET, "/api/v1/images", Need::SignedIn),
    (Method::GET, "/api/v1/images/{image}", Need::SignedIn),
    (
        Method::DELETE,
        "/api/v1/images/{image}",
        Need::Platform("image", "remove"),
    ),
    (
        Method::POST,
        "/api/v1/images/prune",
        Need::Platform("image", "remove"),
    ),
    (Method::GET, "/api/v1/networks", Need::SignedIn),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/networks",
        Need::Workspace("network", "manage"),
    ),
    (
        Method::DELETE,
        "/api/v1/networks/{network}",
        Need::Owned("network", "manage"),
    ),
    (Method::GET, "/api/v1/volumes", Need::SignedIn),
    (Method::GET, "/api/v1/volumes/sizes", Need::SignedIn),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/volumes",
        Need::Workspace("volume", "manage"),
    ),
    (
        Method::DELETE,
        "/api/v1/volumes/{volume}",
        Need::Owned("volume", "manage"),
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/volumes/prune",
        Need::Workspace("volume", "manage"),
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/adopt",
        Need::Platform("object", "adopt"),
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/images/pull",
        Need::Workspace("image", "pull"),
    ),
    (
        Method::GET,
        "/api/v1/workspaces/{workspace}/registries",
        Need::Workspace("registry", "manage"),
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/registries",
        Need::Workspace("registry", "manage"),
    ),
    (
        Method::DELETE,
        "/api/v1/workspaces/{workspace}/registries/{id}",
        Need::Workspace("registry", "manage"),
    ),
    // Stacks: the list shows what the caller may read; one stack is checked in the workspace
    // that owns it (`{stack}` names it).
    (Method::GET, "/api/v1/stacks", Need::SignedIn),
    (
        Method::GET,
        "/api/v1/stacks/unmanaged",
        Need::Platform("object", "adopt"),
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/stacks/adopt",
        Need::Platform("object", "adopt"),
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/stacks",
        Need::Workspace("stack", "deploy"),
    ),
    (
        Method::GET,
        "/api/v1/stacks/{stack}",
        Need::Owned("stack", "read"),
    ),
    (
        Method::PUT,
        "/api/v1/stacks/{stack}",
        Need::Owned("stack", "deploy"),
    ),
    (
        Method::DELETE,
        "/api/v1/stacks/{stack}",
        Need::Owned("stack", "deploy"),
    ),
    (
        Method::POST,
        "/api/v1/stacks/{stack}/check",
        Need::Owned("stack", "read"),
    ),
    (
        Method::POST,
        "/api/v1/stacks/{stack}/operations",
        Need::Owned("stack", "deploy"),
    ),
    (
        Method::GET,
        "/api/v1/stacks/{stack}/revisions/{number}",
        Need::Owned("stack", "read"),
    ),
    (
        Method::GET,
        "/api/v1/stacks/{stack}/deploys",
        Need::Owned("stack", "read"),
    ),
    (
        Method::GET,
        "/api/v1/stacks/{stack}/deploys/{deploy}",
        Need::Owned("stack", "read"),
    ),
    (
        Method::POST,
        "/api/v1/networks/{network}/connect",
        Need::Owned("network", "manage"),
    ),
    (
        Method::POST,
        "/api/v1/networks/{network}/disconnect",
        Need::Owned("network", "manage"),
    ),
];

/// What the route needs, if declared.
pub fn rest_need(method: &Method, path: &str) -> Option<Need> {
    REST.iter()
        .find(|(m, p, _)| m == method && *p == path)
        .map(|(_, _, need)| *need)
}

/// The `{workspace}` segment of a request path, found by its position in the route template.
fn workspace_segment(template: &str, path: &str) -> Option<String> {
    segment(template, path, "workspace")
}

/// The `{name}` segment of a request path, found by its position in the route template.
fn segment(template: &str, path: &str, name: &str) -> Option<String> {
    let placeholder = format!("{{{name}}}");
    let index = template.split('/').position(|s| s == placeholder)?;
    path.split('/').nth(index).map(str::to_owned)
}

/// The workspace a checked request was authorized in.
#[derive(Debug, Clone)]
pub struct Authorized {
    pub workspace: Option<String>,
}

/// Facts about a request for its audit records (handlers take it as an extension).
#[derive(Debug, Clone)]
pub struct AuditCtx {
    pub actor: String,
    pub workspace: Option<String>,
    pub request_id: Option<String>,
    pub source_ip: Option<String>,
}

impl AuditCtx {
    fn of(req: &Request, workspace: Option<String>) -> Self {
        Self {
            actor: app::auth::actor_of(
                req.extensions().get::<CurrentUser>().map(|u| &u.0),
                req.extensions().get::<TokenAuth>().map(|t| &t.0),
            ),
            workspace,
            request_id: req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            source_ip: req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        }
    }

    /// Audits an operation's outcome: ok, or failed with the error's text as the reason.
    pub async fn outcome<T, E: std::fmt::Display>(
        &self,
        state: &AppState,
        action: &str,
        target: Option<String>,
        result: &Result<T, E>,
    ) {
        let (outcome, reason) = match result {
            Ok(_) => (Outcome::Ok, None),
            Err(e) => (Outcome::Failed, Some(e.to_string())),
        };
        self.record(state, action, target, outcome, reason).await;
    }

    /// Audits work that goes on after the answer (install, update): a refusal at once, else
    /// when the work ends, with how it ended (`app::auth::audit_when_done`); the work's `done`
    /// then answers after the record is written.
    pub async fn outcome_of_work<T, E: std::fmt::Display>(
        &self,
        state: &AppState,
        action: &str,
        target: Option<String>,
        result: &mut Result<engine::marketplace::Working<T>, E>,
    ) {
        match result {
            Ok(work) => {
                let entry = self.entry(action, target, None);
                let (_, unused) = tokio::sync::oneshot::channel();
                let done = std::mem::replace(&mut work.done, unused);
                work.done = app::auth::audit_when_done(state, entry, done);
            }
            Err(e) => {
                let reason = Some(e.to_string());
                self.record(state, action, target, Outcome::Failed, reason)
                    .await;
            }
        }
    }

    fn entry(&self, action: &str, target: Option<String>, reason: Option<String>) -> Entry {
        Entry {
            actor: self.actor.clone(),
            workspace: self.workspace.clone(),
            action: action.to_owned(),
            target,
            reason,
            request_id: self.request_id.clone(),
            source_ip: self.source_ip.clone(),
        }
    }

    /// Writes one audit record; a failure to write is logged, never hidden.
    pub async fn record(
        &self,
        state: &AppState,
        action: &str,
        target: Option<String>,
        outcome: Outcome,
        reason: Option<String>,
    ) {
        let entry = self.entry(action, target, reason);
        if let Err(e) = state.audit.record(&entry, outcome).await {
            tracing::error!(error = %e, action, "could not write the audit record");
        }
    }
}

/// The route layer: finds the route's declaration and checks the caller against it.
pub async fn authorize(
    State(state): State<AppState>,
    matched: MatchedPath,
    mut req: Request,
    next: Next,
) -> Response {
    let path = matched.as_str();
    let Some(need) = rest_need(req.method(), path) else {
        tracing::error!(method = %req.method(), path, "route without a declared permission refused");
        return ApiError::response(
            StatusCode::FORBIDDEN,
            "undeclared_route",
            "refused: this route declares no permission".into(),
            None,
        );
    };
    let user = req.extensions().get::<CurrentUser>().map(|u| &u.0);
    let token = req.extensions().get::<TokenAuth>().map(|t| &t.0);
    // A Docker object's owner decides; `{object}` in the path names it.
    let workspace = match need {
        Need::Owned(object, _) => {
            let owner = segment(path, req.uri().path(), object)
                .and_then(|key| owner_of(&state, object, &key));
            match (owner, user) {
                (_, None) => return from_app(&AppError::Unauthorized),
                (None, Some(_)) => return from_app(&AppError::NotFound(object.into())),
                (Some(owner), Some(_)) => owner,
            }
        }
        _ => workspace_segment(path, req.uri().path()),
    };
    // What a refusal's audit record names: the object asked for, else the request's own path.
    let target = match need {
        Need::Owned(object, _) => {
            segment(path, req.uri().path(), object).map(|key| format!("{object}:{key}"))
        }
        _ => None,
    }
    .unwrap_or_else(|| format!("{} {}", req.method(), req.uri().path()));
    let mut decision = check(&state, user, token, need, workspace.as_deref()).await;
    if let (Err(AppError::Forbidden), Need::Owned(object, _)) = (&decision, need)
        && check(
            &state,
            user,
            token,
            Need::Owned(object, "read"),
            workspace.as_deref(),
        )
        .await
        .is_err()
    {
        // Not even visible to the caller: as if it did not exist (the attempt is still audited).
        AuditCtx::of(&req, workspace.clone())
            .record(
                &state,
                &need.label(),
                Some(target.clone()),
                Outcome::Denied,
                Some(format!("requires {}", need.label())),
            )
            .await;
        decision = Err(AppError::NotFound(object.into()));
    }
    if let Err(e) = decision {
        if audits_denial(need, &e) {
            AuditCtx::of(&req, workspace)
                .record(
                    &state,
                    &need.label(),
                    Some(target),
                    Outcome::Denied,
                    Some(format!("requires {}", need.label())),
                )
                .await;
        }
        return from_app(&e);
    }
    let audit = AuditCtx::of(&req, workspace.clone());
    req.extensions_mut().insert(audit);
    req.extensions_mut().insert(Authorized { workspace });
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_comes_from_its_path_segment() {
        assert_eq!(
            workspace_segment(
                "/api/v1/workspaces/{workspace}/members",
                "/api/v1/workspaces/ab12/members"
            ),
            Some("ab12".into())
        );
        assert_eq!(
            workspace_segment("/api/v1/workspaces", "/api/v1/workspaces"),
            None
        );
    }

    #[test]
    fn undeclared_routes_have_no_need() {
        assert_eq!(rest_need(&Method::GET, "/api/v1/me"), Some(Need::SignedIn));
        assert_eq!(rest_need(&Method::DELETE, "/api/v1/me"), None);
    }
}
