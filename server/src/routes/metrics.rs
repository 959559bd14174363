//! Prometheus metrics in the text exposition format.

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

/// `GET /metrics`.
pub async fn render() -> impl IntoResponse {
    let handle = crate::http::metrics_handle();
    handle.run_upkeep();
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        handle.render(),
    )
}
