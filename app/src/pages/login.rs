//! Sign in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::auth::Login;
use crate::components::form::{Field, FormError, last_error, leave_on_success};
use crate::components::providers::ProviderButtons;

/// `/login?next=/where/to/go`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let value = action.value();
    let error = last_error(value);
    leave_on_success(value);
    let pending = action.pending();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".into());
    view! {
        <Title text="Sign in"/>
        <main class="auth-page">
            <section class="auth-card panel">
                <h1>"Sign in to Orbitr"</h1>
                <ActionForm action=action attr:class="form" attr:data-test="login-form">
                    <Field label="Email" name="email" kind="email" autocomplete="username" error=error/>
                    <Field label="Password" name="password" kind="password" autocomplete="current-password" error=error/>
                    <input type="hidden" name="next" value=next/>
                    <FormError error=error/>
                    <button type="submit" class="button" disabled=move || pending.get() data-test="submit">
                        {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
                <ProviderButtons next=Signal::derive(next)/>
            </section>
        </main>
    }
}
