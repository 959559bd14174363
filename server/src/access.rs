//! The REST routes' operations, declared in one table and authorized in one route layer: a route
//! missing from the table is refused (and a test fails for it).

use app::AppState;
use app::access::Need;
use app::ops::{self, Caller, On, Op};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{Method, StatusCode};

use crate::api_error::{ApiError, from_app};

/// Every REST route (method, path as routed) with the operation it carries (which declares what
/// it needs). Workspace-scoped routes take the workspace from their `{workspace}` path segment,
/// routes on one object the object from its segment (`{container}`, `{stack}`…).
pub static REST: &[(Method, &str, &Op)] = &[
    (Method::GET, "/api/v1/system", &ops::system::INFO),
    (
        Method::GET,
        "/api/v1/schemas/extension.json",
        &ops::marketplace::SCHEMA,
    ),
    (Method::GET, "/api/v1/me", &ops::auth::ME),
    // The marketplace: reading the catalog and reviewing are open to every signed-in user;
    // a review is always the caller's own.
    (Method::GET, "/api/v1/extensions", &ops::marketplace::SEARCH),
    (
        Method::GET,
        "/api/v1/extensions/{extension}",
        &ops::marketplace::GET,
    ),
    (
        Method::GET,
        "/api/v1/extensions/{extension}/reviews",
        &ops::marketplace::LIST_REVIEWS,
    ),
    (
        Method::PUT,
        "/api/v1/extensions/{extension}/reviews",
        &ops::marketplace::SAVE_REVIEW,
    ),
    (
        Method::DELETE,
        "/api/v1/extensions/{extension}/reviews",
        &ops::marketplace::DELETE_REVIEW,
    ),
    (
        Method::PUT,
        "/api/v1/extensions/{extension}/reviews/{author}/helpful",
        &ops::marketplace::VOTE_REVIEW,
    ),
    (
        Method::DELETE,
        "/api/v1/extensions/{extension}/reviews/{author}/helpful",
        &ops::marketplace::VOTE_REVIEW,
    ),
    (
        Method::GET,
        "/api/v1/extension-sources",
        &ops::marketplace::LIST_SOURCES,
    ),
    (
        Method::POST,
        "/api/v1/extension-sources",
        &ops::marketplace::ADD_SOURCE,
    ),
    (
        Method::POST,
        "/api/v1/extension-sources/{source}/sync",
        &ops::marketplace::SYNC_SOURCE,
    ),
    (
        Method::DELETE,
        "/api/v1/extension-sources/{source}",
        &ops::marketplace::REMOVE_SOURCE,
    ),
    (Method::GET, "/api/v1/apps", &ops::marketplace::LIST_APPS),
    (
        Method::GET,
        "/api/v1/apps/awaiting-approval",
        &ops::marketplace::LIST_AWAITING,
    ),
    (
        Method::GET,
        "/api/v1/workspaces/{workspace}/apps",
        &ops::marketplace::LIST_WORKSPACE_APPS,
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/apps",
        &ops::marketplace::INSTALL,
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/apps/plan",
        &ops::marketplace::PLAN,
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/apps/from-git",
        &ops::marketplace::INSTALL_FROM_GIT,
    ),
    (
        Method::GET,
        "/api/v1/workspaces/{workspace}/apps/{app}",
        &ops::marketplace::GET_APP,
    ),
    (
        Method::DELETE,
        "/api/v1/workspaces/{workspace}/apps/{app}",
        &ops::marketplace::UNINSTALL,
    ),
    (
        Method::GET,
        "/api/v1/workspaces/{workspace}/apps/{app}/update",
        &ops::marketplace::UPDATE_PREVIEW,
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/apps/{app}/update",
        &ops::marketplace::UPDATE,
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/apps/{app}/approve",
        &ops::marketplace::APPROVE,
    ),
    (Method::GET, "/api/v1/events", &ops::feeds::EVENTS),
    // Each container is checked for `container:logs` in its workspace once subscribed.
    (Method::GET, "/api/v1/logs", &ops::feeds::LOGS),
    // Each container is checked for `container:read` in its workspace once subscribed.
    (Method::GET, "/api/v1/stats", &ops::feeds::STATS),
    (Method::GET, "/api/v1/workspaces", &ops::workspaces::MINE),
    (Method::POST, "/api/v1/workspaces", &ops::workspaces::CREATE),
    (
        Method::GET,
        "/api/v1/workspaces/{workspace}",
        &ops::workspaces::GET,
    ),
    (
        Method::GET,
        "/api/v1/workspaces/{workspace}/members",
        &ops::workspaces::LIST_MEMBERS,
    ),
    (Method::GET, "/api/v1/audit", &ops::audit::EXPORT),
    (
        Method::GET,
        "/api/v1/workspaces/{workspace}/audit",
        &ops::audit::EXPORT_WORKSPACE,
    ),
    // The list is filtered to what the caller may read; one container is checked in the
    // workspace that owns it (`{container}` names it).
    (Method::GET, "/api/v1/containers", &ops::containers::LIST),
    (
        Method::GET,
        "/api/v1/containers/{container}",
        &ops::containers::GET,
    ),
    (
        Method::GET,
        "/api/v1/containers/{container}/logs",
        &ops::containers::LOGS,
    ),
    (
        Method::GET,
        "/api/v1/stacks/{stack}/logs",
        &ops::stacks::LOGS,
    ),
    (
        Method::POST,
        "/api/v1/containers/{container}/{action}",
        &ops::containers::ACT,
    ),
    (
        Method::PUT,
        "/api/v1/containers/{container}/name",
        &ops::containers::RENAME,
    ),
    (
        Method::DELETE,
        "/api/v1/containers/{container}",
        &ops::containers::REMOVE,
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/containers",
        &ops::containers::CREATE,
    ),
    (
        Method::GET,
        "/api/v1/workspaces/{workspace}/policy",
        &ops::containers::GET_POLICY,
    ),
    (
        Method::PUT,
        "/api/v1/workspaces/{workspace}/policy",
        &ops::containers::SET_POLICY,
    ),
    // Images are shared by every workspace: all see them, platform admins remove them.
    (Method::GET, "/api/v1/images", &ops::objects::LIST_IMAGES),
    (
        Method::GET,
        "/api/v1/images/{image}",
        &ops::objects::GET_IMAGE,
    ),
    (
        Method::DELETE,
        "/api/v1/images/{image}",
        &ops::objects::REMOVE_IMAGE,
    ),
    (
        Method::POST,
        "/api/v1/images/prune",
        &ops::objects::PRUNE_IMAGES,
    ),
    (
        Method::GET,
        "/api/v1/networks",
        &ops::objects::LIST_NETWORKS,
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/networks",
        &ops::objects::CREATE_NETWORK,
    ),
    (
        Method::DELETE,
        "/api/v1/networks/{network}",
        &ops::objects::REMOVE_NETWORK,
    ),
    (Method::GET, "/api/v1/volumes", &ops::objects::LIST_VOLUMES),
    (
        Method::GET,
        "/api/v1/volumes/sizes",
        &ops::objects::VOLUME_SIZES,
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/volumes",
        &ops::objects::CREATE_VOLUME,
    ),
    (
        Method::DELETE,
        "/api/v1/volumes/{volume}",
        &ops::objects::REMOVE_VOLUME,
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/volumes/prune",
        &ops::objects::PRUNE_VOLUMES,
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/adopt",
        &ops::objects::ADOPT,
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/images/pull",
        &ops::registries::PULL,
    ),
    (
        Method::GET,
        "/api/v1/workspaces/{workspace}/registries",
        &ops::registries::LIST,
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/registries",
        &ops::registries::SAVE,
    ),
    (
        Method::DELETE,
        "/api/v1/workspaces/{workspace}/registries/{id}",
        &ops::registries::REMOVE,
    ),
    // Stacks: the list shows what the caller may read; one stack is checked in the workspace
    // that owns it (`{stack}` names it).
    (Method::GET, "/api/v1/stacks", &ops::stacks::LIST),
    (
        Method::GET,
        "/api/v1/stacks/unmanaged",
        &ops::stacks::LIST_UNMANAGED,
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/stacks/adopt",
        &ops::stacks::ADOPT,
    ),
    (
        Method::POST,
        "/api/v1/workspaces/{workspace}/stacks",
        &ops::stacks::CREATE,
    ),
    (Method::GET, "/api/v1/stacks/{stack}", &ops::stacks::GET),
    (Method::PUT, "/api/v1/stacks/{stack}", &ops::stacks::SAVE),
    (
        Method::DELETE,
        "/api/v1/stacks/{stack}",
        &ops::stacks::DELETE,
    ),
    (
        Method::POST,
        "/api/v1/stacks/{stack}/check",
        &ops::stacks::CHECK,
    ),
    (
        Method::POST,
        "/api/v1/stacks/{stack}/operations",
        &ops::stacks::OPERATE,
    ),
    (
        Method::GET,
        "/api/v1/stacks/{stack}/revisions/{number}",
        &ops::stacks::GET_REVISION,
    ),
    (
        Method::GET,
        "/api/v1/stacks/{stack}/deploys",
        &ops::stacks::LIST_DEPLOYS,
    ),
    (
        Method::GET,
        "/api/v1/stacks/{stack}/deploys/{deploy}",
        &ops::stacks::GET_DEPLOY,
    ),
    (
        Method::POST,
        "/api/v1/networks/{network}/connect",
        &ops::objects::ATTACH_NETWORK,
    ),
    (
        Method::POST,
        "/api/v1/networks/{network}/disconnect",
        &ops::objects::ATTACH_NETWORK,
    ),
];

/// The operation of a route, if declared.
pub fn rest_op(method: &Method, path: &str) -> Option<&'static Op> {
    REST.iter()
        .find(|(m, p, _)| m == method && *p == path)
        .map(|(_, _, op)| *op)
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

/// The route layer: finds the route's operation and authorizes the caller for it, on the
/// object or workspace its path names; the handler gets the [`Grant`] as an extension.
pub async fn authorize(
    State(state): State<AppState>,
    matched: MatchedPath,
    req: Request,
    next: Next,
) -> Response {
    let template = matched.as_str();
    let Some(op) = rest_op(req.method(), template) else {
        tracing::error!(method = %req.method(), path = template, "route without a declared operation refused");
        return ApiError::response(
            StatusCode::FORBIDDEN,
            "undeclared_route",
            "refused: this route declares no permission".into(),
            None,
        );
    };
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let mut caller = Caller::of_request(state, &parts);
    caller.route = Some(format!("{} {path}", parts.method));
    let named = match op.need {
        Need::Owned(object, _) => segment(template, &path, object),
        _ => workspace_segment(template, &path),
    };
    let on = match (op.need, named.as_deref()) {
        (Need::Owned(..), Some(key)) => On::Object(key),
        (_, Some(workspace)) => On::Workspace(workspace),
        (_, None) => On::Nothing,
    };
    let run = caller.run.clone();
    match ops::authorize(caller, op, on).await {
        Ok(grant) => {
            parts.extensions.insert(grant);
            let answer = next.run(Request::from_parts(parts, body)).await;
            through_op(op, &run, answer)
        }
        Err(e) => from_app(&e),
    }
}

/// Header naming the operation a request ran, on every answer it ran for.
pub const OPERATION_HEADER: &str = "x-orbitr-operation";

/// The answer of a request authorized for `op`, once it is known whether the operation ran:
/// it then names the operation ([`OPERATION_HEADER`]). A success that did not go through the
/// operation (a handler or server function answering by itself, past the one front door) is
/// refused with a 500 and logged: no permission, audit or mapping may be skipped that way.
pub fn through_op(op: &'static Op, run: &ops::Run, mut answer: Response) -> Response {
    if run.done() {
        answer
            .headers_mut()
            .insert(OPERATION_HEADER, http::HeaderValue::from_static(op.name));
        return answer;
    }
    let status = answer.status();
    if status.is_success() || status.is_redirection() || status == StatusCode::SWITCHING_PROTOCOLS {
        tracing::error!(
            operation = op.name,
            %status,
            "a request answered without running its operation; refused"
        );
        return ApiError::response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "operation_skipped",
            "this request was answered without going through its operation, so it was refused"
                .into(),
            None,
        );
    }
    answer
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
    fn a_success_that_skipped_its_operation_is_refused_and_a_refusal_passes() {
        use axum::response::IntoResponse;
        let op = &ops::containers::REMOVE;
        let skipped = through_op(
            op,
            &ops::Run::default(),
            StatusCode::NO_CONTENT.into_response(),
        );
        assert_eq!(skipped.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!skipped.headers().contains_key(OPERATION_HEADER));
        for status in [
            StatusCode::OK,
            StatusCode::SEE_OTHER,
            StatusCode::SWITCHING_PROTOCOLS,
        ] {
            let answer = through_op(op, &ops::Run::default(), status.into_response());
            assert_eq!(
                answer.status(),
                StatusCode::INTERNAL_SERVER_ERROR,
                "{status}"
            );
        }
        // A refusal before the operation (bad input the extractor rejected) is answered as is.
        let rejected = through_op(
            op,
            &ops::Run::default(),
            StatusCode::UNPROCESSABLE_ENTITY.into_response(),
        );
        assert_eq!(rejected.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[test]
    fn each_operation_is_declared_once_whichever_door_reaches_it() {
        let mut by_name: std::collections::HashMap<&str, &Op> = Default::default();
        let ops = REST
            .iter()
            .map(|(_, _, op)| *op)
            .chain(app::api::SERVER_FNS.iter().map(|(_, op)| *op));
        for op in ops {
            let (resource, verb) = op.name.split_once('.').unwrap_or_default();
            assert!(
                !resource.is_empty() && !verb.is_empty(),
                "{:?} is not resource.verb",
                op.name
            );
            if let Some(earlier) = by_name.insert(op.name, op) {
                assert!(
                    std::ptr::eq(earlier, op),
                    "{} is declared twice: the doors must share one declaration",
                    op.name
                );
            }
        }
        assert!(by_name.len() >= 90, "{} operations", by_name.len());
    }

    #[test]
    fn undeclared_routes_have_no_need() {
        assert_eq!(
            rest_op(&Method::GET, "/api/v1/me").map(|op| op.need),
            Some(Need::SignedIn)
        );
        assert!(rest_op(&Method::DELETE, "/api/v1/me").is_none());
    }
}
