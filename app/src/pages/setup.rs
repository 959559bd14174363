//! First run: create the platform admin.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::SetupAdmin;
use crate::components::form::{Field, FormError, last_error, leave_on_success};

/// `/setup`, shown until the first account exists.
#[component]
pub fn SetupPage() -> impl IntoView {
    let action = ServerAction::<SetupAdmin>::new();
    let value = action.value();
    let error = last_error(value);
    leave_on_success(value);
    let pending = action.pending();
    view! {
        <Title text="Set up"/>
        <main class="auth-page">
            <section class="auth-card panel">
                <h1>"Welcome to Orbitr"</h1>
                <p class="muted">
                    "Create the administrator account. It manages every workspace, user and setting."
                </p>
                <ActionForm action=action attr:class="form" attr:data-test="setup-form">
                    <Field label="Name" name="name" autocomplete="name" error=error/>
                    <Field label="Email" name="email" kind="email" autocomplete="email" error=error/>
                    <Field
                        label="Password"
                        name="password"
                        kind="password"
                        autocomplete="new-password"
                        hint="At least 12 characters; a few unrelated words work well."
                        error=error
                    />
                    <Field label="Repeat the password" name="confirm" kind="password" autocomplete="new-password" error=error/>
                    <FormError error=error/>
                    <button type="submit" class="button" disabled=move || pending.get() data-test="submit">
                        {move || if pending.get() { "Creating…" } else { "Create the admin account" }}
                    </button>
                </ActionForm>
            </section>
        </main>
    }
}
