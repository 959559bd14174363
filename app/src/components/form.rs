//! Form pieces: labelled inputs that show the server's message for their field, a form-level
//! error line, and leaving the page once an action succeeds.

use leptos::prelude::*;

use crate::error::AppError;

/// The message for `name` when the last answer was a field error about it.
pub fn field_message(error: Option<AppError>, name: &str) -> Option<String> {
    match error {
        Some(AppError::Invalid { field, message }) if field == name => Some(message),
        _ => None,
    }
}

/// A labelled input whose server-side error appears right under it.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let message = move || field_message(error.get(), name);
    view! {
        <div class="field" class:field-invalid=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                required=true
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
            />
            {(!hint.is_empty()).then(|| view! { <p class="field-hint">{hint}</p> })}
            {move || message().map(|m| view! { <p class="field-error" data-test=format!("error-{name}")>{m}</p> })}
        </div>
    }
}

/// An error of the last answer that is not about one field.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Invalid { .. }))
            .map(|e| view! { <p class="form-error" role="alert" data-test="form-error">{e.to_string()}</p> })
    }
}

/// When an action answers `Ok(url)`, loads that page for real (a fresh document, so every
/// part of the UI sees the new session).
pub fn leave_on_success<S>(value: S)
where
    S: Get<Value = Option<Result<String, AppError>>> + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if let Some(Ok(url)) = value.get() {
            #[cfg(feature = "hydrate")]
            if let Some(window) = web_sys::window() {
                let _ = window.location().assign(&url);
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = url;
        }
    });
}

/// The error of the last answer, if it failed.
pub fn last_error<S, T>(value: S) -> Signal<Option<AppError>>
where
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
    T: 'static,
{
    Signal::derive(move || value.get().and_then(Result::err))
}

/// A secret shown once (a token, an invitation or reset link): what it is, the secret, and a
/// Copy button (where the browser refuses the clipboard, an address that is not `https` or
/// `localhost`, the secret is selected for the person to copy).
#[component]
pub fn SecretBox(
    message: String,
    secret: String,
    /// `data-test` of the secret's text.
    test: &'static str,
) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let code = NodeRef::<leptos::html::Code>::new();
    let copy = {
        let secret = secret.clone();
        move |_| {
            #[cfg(feature = "hydrate")]
            {
                let secret = secret.clone();
                leptos::task::spawn_local(async move {
                    let written = match web_sys::window().map(|w| w.navigator().clipboard()) {
                        Some(clipboard) => {
                            wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&secret))
                                .await
                                .is_ok()
                        }
                        None => false,
                    };
                    if !written && let Some(code) = code.get_untracked() {
                        // Select it, so one keystroke copies it.
                        if let Some(selection) =
                            web_sys::window().and_then(|w| w.get_selection().ok().flatten())
                        {
                            let _ = selection.select_all_children(&code);
                        }
                    }
                    copied.set(Some(written));
                });
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (&secret, code);
        }
    };
    view! {
        <div class="secret-box" role="status">
            <strong>{message}</strong>
            <div class="secret-line">
                <code data-test=test node_ref=code>{secret}</code>
                <button type="button" class="button button-quiet" data-test=format!("{test}-copy") on:click=copy>
                    {move || match copied.get() {
                        Some(true) => "Copied",
                        Some(false) => "Selected: copy it",
                        None => "Copy",
                    }}
                </button>
            </div>
        </div>
    }
}
