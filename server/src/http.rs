//! Middleware every response goes through: request id, request log line, metrics, security and
//! cache headers. Compression is a tower-http layer added in `routes`.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_SECURITY_POLICY, LAST_MODIFIED, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::{HeaderName, HeaderValue};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::Instrument;

/// Header carrying the request id, accepted from the client or made here.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id of the request being handled (in request extensions).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Policy for responses that set none themselves (API, static files, API docs). Pages set a
/// stricter one with a per-response nonce.
const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: https:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Latency buckets (seconds) of `orbitr_http_request_duration_seconds`.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide Prometheus recorder. The `metrics` facade has one global recorder, so it is
/// installed once per process and shared by every server in it (tests start several).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("orbitr_http_request_duration_seconds".to_owned()),
                    LATENCY_BUCKETS,
                )
                .expect("the bucket list is not empty")
                .install_recorder()
                .expect("the metrics recorder is installed once, at start-up")
        })
        .clone()
}

fn valid_request_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let ok = !text.is_empty()
        && text.len() <= 128
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| text.to_owned())
}

/// Request id (kept from `x-request-id` when sane, else a new UUIDv7), a span carrying it for
/// every log line of the request, one log line per request, metrics, and response headers.
pub async fn request_context(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(valid_request_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    if let Ok(value) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    req.extensions_mut().insert(RequestId(id.clone()));

    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let route = route_label(&req);
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %path);

    let mut response = next.run(req).instrument(span.clone()).await;

    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    metrics::counter!(
        "orbitr_http_requests_total",
        "method" => method.to_string(),
        "route" => route.clone(),
        "status" => status.to_string()
    )
    .increment(1);
    metrics::histogram!(
        "orbitr_http_request_duration_seconds",
        "method" => method.to_string(),
        "route" => route
    )
    .record(elapsed.as_secs_f64());

    span.in_scope(|| {
        let ms = elapsed.as_secs_f64() * 1000.0;
        if is_quiet(&path) {
            tracing::debug!(status, latency_ms = ms, "request");
        } else {
            tracing::info!(status, latency_ms = ms, "request");
        }
    });

    let headers = response.headers_mut();
    if path.starts_with("/pkg/") && status == 200 {
        // A page's code comes in a hundred small modules, several of them a few hundred bytes:
        // the document headers (policy, framing, referrer, request id) did nothing for these
        // files and weighed more than many of them. Their names carry their content's hash, so
        // they are never revalidated either.
        headers.remove(LAST_MODIFIED);
        headers.remove(ACCEPT_RANGES);
        // A wasm module is compiled only when sent as application/wasm: nothing to sniff.
        if !path.ends_with(".wasm") {
            headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        }
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
        return response;
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(X_REQUEST_ID.clone(), value);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(CONTENT_SECURITY_POLICY) {
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        );
    }
    if !headers.contains_key(CACHE_CONTROL) {
        let policy = if status == 200 && has_static_extension(&path) {
            "public, max-age=86400"
        } else {
            "no-cache"
        };
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

/// The route template for metrics labels, so ids in paths do not explode the label set.
fn route_label(req: &Request) -> String {
    if let Some(matched) = req.extensions().get::<MatchedPath>() {
        return matched.as_str().to_owned();
    }
    let path = req.uri().path();
    if path.starts_with("/pkg/") {
        "/pkg/*".to_owned()
    } else if path.starts_with("/api/docs") {
        "/api/docs/*".to_owned()
    } else {
        "other".to_owned()
    }
}

fn is_quiet(path: &str) -> bool {
    path.starts_with("/pkg/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics" | "/favicon.svg")
}

fn has_static_extension(path: &str) -> bool {
    [".svg", ".png", ".ico", ".webmanifest", ".txt"]
        .iter()
        .any(|ext| path.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_from_clients_are_kept_only_when_sane() {
        assert_eq!(
            valid_request_id(&HeaderValue::from_static("abc-123")),
            Some("abc-123".into())
        );
        assert_eq!(valid_request_id(&HeaderValue::from_static("a b")), None);
        assert_eq!(valid_request_id(&HeaderValue::from_static("")), None);
        let long = "a".repeat(129);
        assert_eq!(
            valid_request_id(&HeaderValue::from_str(&long).expect("ascii")),
            None
        );
    }
}
