//! The router, assembled in one place: health, metrics, REST API with its OpenAPI document and
//! docs, the live websocket, Leptos pages and server functions, static files.

pub mod audit;
pub mod containers;
pub mod events;
pub mod extensions;
pub mod feeds;
pub mod grant;
pub mod health;
pub mod marketplace;
pub mod me;
pub mod metrics;
pub mod objects;
pub mod stacks;
pub mod system;
pub mod workspaces;

use app::AppState;
use engine::identity::session_store::{MemoryCache, Sessions};
use tower_sessions::cookie::SameSite;
use tower_sessions::{CachingSessionStore, Expiry, SessionManagerLayer};

use crate::settings::Settings;
use axum::Router;
use axum::routing::get;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

/// The REST API's OpenAPI description; paths are added by the routers below.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Orbitr API",
        description = "REST API of Orbitr, a self-hosted control plane for Docker. \
            Live updates are pushed over the websocket `GET /api/v1/events` (see the README)."
    ),
    // Named by a path parameter, which utoipa does not collect by itself.
    components(schemas(engine::model::resources::ContainerAction)),
    modifiers(&Security),
    // Every operation takes either (the few open ones, sign-in and health, say so in the README).
    security(("token" = []), ("session" = [])),
    tags(
        (name = "system", description = "Orbitr and Docker engine status"),
        (name = "accounts", description = "The signed-in user"),
        (name = "workspaces", description = "Workspaces and their members"),
        (name = "audit", description = "The audit log"),
        (name = "containers", description = "Containers, live from the engine's events, and workspace security policies"),
        (name = "images", description = "Images (shared by every workspace)"),
        (name = "networks", description = "Networks"),
        (name = "volumes", description = "Volumes"),
        (name = "stacks", description = "Compose stacks: files, revisions, deploys and other operations"),
        (name = "extensions", description = "The extension manifest's schema"),
        (name = "marketplace", description = "The extension catalog and its sources, installed apps, reviews")
    )
)]
pub struct ApiDoc;

/// The browser session's cookie.
const SESSION_COOKIE: &str = "orbitr_session";

/// How callers prove who they are: an API token as a bearer (scripts; the docs page's
/// "Authorize" takes one) or the browser's session cookie.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme,
        };
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("orbitr_…")
                    .description(Some("An API token from the profile page"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "The browser's session after signing in (state-changing requests also need a same-origin Origin header)",
            ))),
        );
    }
}

/// The REST routes under `/api/v1` and their OpenAPI document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(system::get_system))
        .routes(routes!(me::get_me))
        .routes(routes!(
            workspaces::list_workspaces,
            workspaces::create_workspace
        ))
        .routes(routes!(workspaces::get_workspace))
        .routes(routes!(workspaces::list_members))
        .routes(routes!(audit::export_all))
        .routes(routes!(audit::export_workspace))
        .routes(routes!(containers::list_containers))
        .routes(routes!(
            containers::get_container,
            containers::remove_container
        ))
        .routes(routes!(containers::container_action))
        .routes(routes!(containers::rename_container))
        .routes(routes!(containers::create_container))
        .routes(routes!(containers::get_policy, containers::put_policy))
        .routes(routes!(objects::list_images))
        .routes(routes!(objects::get_image, objects::remove_image))
        .routes(routes!(objects::prune_images))
        .routes(routes!(objects::list_networks))
        .routes(routes!(objects::create_network))
        .routes(routes!(objects::remove_network))
        .routes(routes!(objects::list_volumes))
        .routes(routes!(objects::volume_sizes))
        .routes(routes!(objects::create_volume))
        .routes(routes!(objects::remove_volume))
        .routes(routes!(objects::prune_volumes))
        .routes(routes!(objects::adopt))
        .routes(routes!(objects::pull_image))
        .routes(routes!(objects::list_registries, objects::save_registry))
        .routes(routes!(objects::remove_registry))
        .routes(routes!(objects::connect_network))
        .routes(routes!(objects::disconnect_network))
        .routes(routes!(stacks::list_stacks))
        .routes(routes!(stacks::list_unmanaged))
        .routes(routes!(stacks::adopt_project))
        .routes(routes!(stacks::create_stack))
        .routes(routes!(
            stacks::get_stack,
            stacks::save_stack,
            stacks::delete_stack
        ))
        .routes(routes!(stacks::check_stack))
        .routes(routes!(stacks::stack_operation))
        .routes(routes!(stacks::get_revision))
        .routes(routes!(stacks::list_deploys))
        .routes(routes!(stacks::get_deploy))
        .routes(routes!(stacks::download_stack_logs))
        .routes(routes!(extensions::extension_schema))
        .routes(routes!(marketplace::search))
        .routes(routes!(marketplace::get_extension))
        .routes(routes!(
            marketplace::list_reviews,
            marketplace::save_review,
            marketplace::delete_review
        ))
        .routes(routes!(
            marketplace::mark_helpful,
            marketplace::unmark_helpful
        ))
        .routes(routes!(marketplace::list_sources, marketplace::add_source))
        .routes(routes!(marketplace::sync_source))
        .routes(routes!(marketplace::remove_source))
        .routes(routes!(marketplace::list_all_apps))
        .routes(routes!(marketplace::awaiting_approval))
        .routes(routes!(marketplace::list_apps, marketplace::install))
        .routes(routes!(marketplace::plan))
        .routes(routes!(marketplace::install_from_git))
        .routes(routes!(marketplace::get_app, marketplace::uninstall))
        .routes(routes!(marketplace::update_preview, marketplace::update))
        .routes(routes!(marketplace::approve))
        .routes(routes!(containers::download_logs))
        .split_for_parts()
}

/// While the public URL is `https://…`, every cookie Orbitr sets is `Secure`: the browser sends
/// it back only over https.
async fn secure_cookies(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut response = next.run(req).await;
    if !state
        .auth
        .public_origin()
        .is_some_and(|o| o.starts_with("https://"))
    {
        return response;
    }
    let headers = response.headers_mut();
    let cookies: Vec<http::HeaderValue> = headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .map(|value| {
            let text = value.to_str().unwrap_or_default();
            if text.to_ascii_lowercase().contains("; secure") {
                value.clone()
            } else {
                http::HeaderValue::from_str(&format!("{text}; Secure"))
                    .unwrap_or_else(|_| value.clone())
            }
        })
        .collect();
    if !cookies.is_empty() {
        headers.remove(http::header::SET_COOKIE);
        for cookie in cookies {
            headers.append(http::header::SET_COOKIE, cookie);
        }
    }
    response
}

/// The session layer answers a bare 500 when it cannot save a session; when that is because
/// the database is down, say so instead: 503 and the reason (a page for browsers, JSON for the
/// rest). Nothing was stored, since nothing could be.
async fn database_outage(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let wants_html = req
        .headers()
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let response = next.run(req).await;
    if response.status() != http::StatusCode::INTERNAL_SERVER_ERROR
        || response.headers().contains_key(http::header::CONTENT_TYPE)
        || state.db.ping().await.is_ok()
    {
        return response;
    }
    let message =
        "The database is unavailable right now; nothing was changed. Try again in a moment.";
    if wants_html {
        (
            http::StatusCode::SERVICE_UNAVAILABLE,
            axum::response::Html(format!(
                "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Orbitr is unavailable</title></head>\
                 <body><h1>Orbitr is unavailable</h1><p data-test=\"outage\">{message}</p></body></html>"
            )),
        )
            .into_response()
    } else {
        crate::api_error::ApiError::response(
            http::StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            message.to_owned(),
            None,
        )
    }
}

/// The largest body a server function accepts (its forms and files: a stack's compose file is
/// at most 1 MiB).
const SERVER_FN_BODY_LIMIT: u64 = 4 * 1024 * 1024;

/// Server functions answer with the status of their error. Errors raised before a function
/// runs (arguments that cannot be read, a body over the limit) would otherwise be a bare 500:
/// they are the caller's mistakes, answered 400 naming the argument, or 413.
async fn server_fn_status(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = req.uri().path();
    if !path.starts_with("/api/") || path.starts_with("/api/v1/") {
        return next.run(req).await;
    }
    let length = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|n| n > SERVER_FN_BODY_LIMIT) {
        let error = app::error::AppError::Invalid {
            field: "request".into(),
            message: format!(
                "the request body is larger than the {} MiB a form may send",
                SERVER_FN_BODY_LIMIT / 1024 / 1024
            ),
        };
        return (
            http::StatusCode::PAYLOAD_TOO_LARGE,
            [(http::header::CONTENT_TYPE, "application/json")],
            serde_json::to_string(&error).unwrap_or_default(),
        )
            .into_response();
    }
    let response = next.run(req).await;
    if response.status() != http::StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (http::StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<app::error::AppError>(&bytes)
        && let Ok(status) = http::StatusCode::from_u16(error.status())
    {
        parts.status = status;
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The whole HTTP surface.
pub fn router(state: AppState, sessions: Sessions, settings: &Settings) -> Router {
    let store = CachingSessionStore::new(MemoryCache::default(), sessions);
    let session_layer = SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        // `secure_cookies` marks them Secure while the public URL is https (a setting that
        // may change while Orbitr runs).
        .with_secure(false)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(
            i64::try_from(settings.session_idle_hours).unwrap_or(12),
        )));
    let (api, openapi) = api();
    // The document is kept as the JSON it serializes to (90 KB): the tree it is built as held
    // 2.5 MB of an idle server's heap.
    let openapi_json = axum::body::Bytes::from(
        openapi
            .to_json()
            .expect("the OpenAPI document serializes to JSON"),
    );
    drop(openapi);
    // Every REST route, the live websocket included, passes the permission check.
    let api = api
        .route("/api/v1/events", get(events::subscribe))
        .route("/api/v1/logs", get(feeds::logs))
        .route("/api/v1/stats", get(feeds::stats))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::access::authorize,
        ));
    let pages = generate_route_list(app::App);
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let json = openapi_json.clone();
                async move { ([(http::header::CONTENT_TYPE, "application/json")], json) }
            }),
        )
        .merge(
            SwaggerUi::new("/api/docs")
                .config(utoipa_swagger_ui::Config::new(["/api/v1/openapi.json"])),
        )
        .leptos_routes(&state, pages, {
            let options = state.leptos_options.clone();
            move || app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .layer(axum::middleware::from_fn(server_fn_status))
        .layer(
            CompressionLayer::new()
                .br(true)
                .gzip(true)
                .quality(CompressionLevel::Precise(4)),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::gate::gate,
        ))
        .layer(session_layer)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            secure_cookies,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            database_outage,
        ))
        .layer(axum::middleware::from_fn(crate::http::request_context))
        .with_state(state)
}
