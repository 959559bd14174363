//! `/signin/refused?why=<code>&provider=<name>`: why a sign-in through a provider did not let
//! the person in, and what to do instead.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::oauth::{Refusal, sign_in_providers};

/// `/signin/refused`.
#[component]
pub fn SignInRefusedPage() -> impl IntoView {
    let query = use_query_map();
    let why = move || query.read().get("why").and_then(|c| Refusal::parse(&c));
    let provider = move || query.read().get("provider").unwrap_or_default();
    let providers = Resource::new(|| (), |()| sign_in_providers());
    // The database being down is an outage, not a refusal: 503, like the password sign-in.
    #[cfg(feature = "ssr")]
    if why() == Some(Refusal::Unavailable)
        && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
    {
        response.set_status(http::StatusCode::SERVICE_UNAVAILABLE);
    }
    view! {
        <Title text="Sign-in refused"/>
        <main class="auth-page">
            <section class="auth-card panel">
                <Transition fallback=|| view! { <h1>"Sign-in refused"</h1> }>
                    {move || Suspend::new(async move {
                        // Only a configured provider's own label is shown, never text from the URL.
                        let name = provider();
                        let label = providers
                            .await
                            .unwrap_or_default()
                            .into_iter()
                            .find(|p| p.name == name)
                            .map(|p| p.label);
                        view! {
                            <h1 data-test="refused-heading">
                                {match label {
                                    Some(label) => format!("Sign-in with {label} refused"),
                                    None => "Sign-in refused".to_owned(),
                                }}
                            </h1>
                        }
                    })}
                </Transition>
                <p data-test="refused-reason" data-why=move || why().map(Refusal::code)>
                    {move || why().map_or("The sign-in did not complete. Start again from the sign-in page.", Refusal::message)}
                </p>
                <a class="button" href="/login" data-test="back-to-login">"Back to sign-in"</a>
            </section>
        </main>
    }
}
