//! The page for addresses that lead nowhere.

use leptos::prelude::*;
use leptos_meta::Title;

/// 404: says so, with the right status code, and offers the way back.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <section class="panel empty-state" data-test="not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. It may have moved, or the link is wrong."</p>
            <a class="button" href="/">"Back to the dashboard"</a>
        </section>
    }
}
