//! "Continue with …" buttons for the configured sign-in providers. Each is a plain form that
//! posts to the start of a provider sign-in, which answers with a redirect to the provider.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::api::oauth::{OauthStart, sign_in_providers};

/// One button per configured provider; nothing when none is configured. `invite` carries an
/// invitation code through the sign-in, `next` is where to land afterwards.
#[component]
pub fn ProviderButtons(
    #[prop(optional, into)] invite: Option<String>,
    #[prop(into)] next: Signal<String>,
) -> impl IntoView {
    let providers = Resource::new(|| (), |()| sign_in_providers());
    view! {
        <Transition fallback=|| ()>
            {move || {
                let invite = invite.clone();
                Suspend::new(async move {
                    let list = providers.await.unwrap_or_default();
                    (!list.is_empty()).then(|| view! {
                        <div class="providers" data-test="providers">
                            <p class="muted divider">"or"</p>
                            {list.into_iter().map(|p| view! {
                                <form method="post" action=OauthStart::PATH class="provider-form">
                                    <input type="hidden" name="provider" value=p.name.clone()/>
                                    <input type="hidden" name="next" value=next/>
                                    {invite.clone().map(|code| view! { <input type="hidden" name="invite" value=code/> })}
                                    <button type="submit" class="button button-quiet provider-button" data-test=format!("provider-{}", p.name)>
                                        {format!("Continue with {}", p.label)}
                                    </button>
                                </form>
                            }).collect_view()}
                        </div>
                    })
                })
            }}
        </Transition>
    }
}
