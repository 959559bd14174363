//! `/invite/:code`: what an invitation offers, and accepting it — as the signed-in user, or by
//! creating an account. Unusable links get a page that says why.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::auth::get_me;
use crate::api::workspaces::{AcceptInvitation, check_invitation};
use crate::components::form::{Field, FormError, last_error, leave_on_success};
use crate::components::providers::ProviderButtons;

/// `/invite/:code`.
#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let invitation = Resource::new(code, check_invitation);
    let me = Resource::new(|| (), |()| get_me());
    let accept = ServerAction::<AcceptInvitation>::new();
    let value = accept.value();
    let error = last_error(value);
    leave_on_success(value);
    let pending = accept.pending();
    view! {
        <Title text="Invitation"/>
        <main class="auth-page">
            <section class="auth-card panel">
                <Suspense fallback=|| view! { <p class="muted">"Checking the invitation…"</p> }>
                    {move || Suspend::new(async move {
                        let me = me.await.ok().flatten();
                        match invitation.await {
                            Err(e) => view! {
                                <h1>"This invitation cannot be used"</h1>
                                <p class="form-error" data-test="invite-problem">{e.to_string()}</p>
                                <a href="/login">"Sign in"</a>
                            }.into_any(),
                            Ok(inv) => {
                                let heading = format!("Join {} as {}", inv.workspace_name, inv.role);
                                let body = match me {
                                    Some(me) => view! {
                                        <p class="muted">{format!("You are signed in as {}.", me.email)}</p>
                                        <ActionForm action=accept attr:class="form" attr:data-test="accept-form">
                                            <input type="hidden" name="code" value=code()/>
                                            <FormError error=error/>
                                            <button type="submit" class="button" disabled=move || pending.get() data-test="accept">
                                                {move || if pending.get() { "Joining…" } else { "Join workspace" }}
                                            </button>
                                        </ActionForm>
                                    }.into_any(),
                                    None => view! {
                                        <p class="muted">"Create your account to join. Already have one? "
                                            <a href=format!("/login?next=/invite/{}", code()) data-test="sign-in-instead">"Sign in first"</a>"."
                                        </p>
                                        <ActionForm action=accept attr:class="form" attr:data-test="accept-form">
                                            <input type="hidden" name="code" value=code()/>
                                            <Field label="Name" name="name" autocomplete="name" error=error/>
                                            {match inv.email.clone() {
                                                Some(email) => view! {
                                                    <div class="field">
                                                        <label for="field-email">"Email"</label>
                                                        <input id="field-email" name="email" type="email" value=email readonly=true/>
                                                    </div>
                                                }.into_any(),
                                                None => view! { <Field label="Email" name="email" kind="email" autocomplete="username" error=error/> }.into_any(),
                                            }}
                                            <Field label="Password" name="password" kind="password" autocomplete="new-password" error=error
                                                hint="At least 12 characters; a few unrelated words work well"/>
                                            <FormError error=error/>
                                            <button type="submit" class="button" disabled=move || pending.get() data-test="accept">
                                                {move || if pending.get() { "Creating your account…" } else { "Create account and join" }}
                                            </button>
                                        </ActionForm>
                                        <ProviderButtons invite=code() next=Signal::stored(format!("/invite/{}", code()))/>
                                    }.into_any(),
                                };
                                view! { <h1 data-test="invite-heading">{heading}</h1> {body} }.into_any()
                            }
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}
