//! The app's own confirmation dialog (instead of the browser's `confirm()`): the question, what
//! the action changes (a roll back shows its diff), and a button named after the action; and
//! the guard that asks before unsaved editor changes are left behind.

use leptos::prelude::*;

use crate::components::editor::DiffView;

/// A question waiting for an answer.
#[derive(Clone)]
struct Asked {
    text: String,
    /// The confirm button's words ("Remove", "Roll back").
    action: &'static str,
    /// What changes, as a diff from the first text to the second.
    diff: Option<(String, String)>,
}

/// The dialog shared by every page: at most one question at a time.
#[derive(Clone, Copy)]
pub struct Dialog {
    asked: RwSignal<Option<Asked>>,
}

// What the confirm button does: a closure of the browser's one thread (it holds futures that
// never leave it); the server renders no open dialog and keeps none.
#[cfg(feature = "hydrate")]
thread_local! {
    static THEN: std::cell::RefCell<Option<Box<dyn FnOnce()>>> = const { std::cell::RefCell::new(None) };
}

/// Provides the [`Dialog`] (in the app root, beside the toasts).
pub fn provide_dialog() {
    provide_context(Dialog {
        asked: RwSignal::new(None),
    });
}

/// The app's [`Dialog`].
pub fn use_dialog() -> Dialog {
    expect_context::<Dialog>()
}

impl Dialog {
    /// Asks `text`; `then` runs when the person confirms with the `action` button.
    pub fn confirm(
        self,
        text: impl Into<String>,
        action: &'static str,
        then: impl FnOnce() + 'static,
    ) {
        self.ask(text.into(), action, None, Box::new(then));
    }

    /// Like [`Dialog::confirm`], showing what changes from `old` to `new`.
    pub fn confirm_diff(
        self,
        text: impl Into<String>,
        action: &'static str,
        (old, new): (String, String),
        then: impl FnOnce() + 'static,
    ) {
        self.ask(text.into(), action, Some((old, new)), Box::new(then));
    }

    fn ask(
        self,
        text: String,
        action: &'static str,
        diff: Option<(String, String)>,
        then: Box<dyn FnOnce()>,
    ) {
        #[cfg(feature = "hydrate")]
        THEN.with(|slot| *slot.borrow_mut() = Some(then));
        #[cfg(not(feature = "hydrate"))]
        drop(then);
        self.asked.set(Some(Asked { text, action, diff }));
    }

    fn answer(self, yes: bool) {
        self.asked.set(None);
        #[cfg(feature = "hydrate")]
        if let Some(then) = THEN.with(|slot| slot.borrow_mut().take())
            && yes
        {
            then();
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = yes;
    }
}

/// Where the question shows: a modal over the page; Escape or Cancel says no.
#[component]
pub fn DialogHost() -> impl IntoView {
    let dialog = use_dialog();
    let confirm = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if dialog.asked.with(Option::is_some)
            && let Some(button) = confirm.get()
        {
            let _ = button.focus();
        }
    });
    move || {
        dialog.asked.get().map(|asked| {
            view! {
                <div class="dialog-backdrop" on:click=move |_| dialog.answer(false)>
                    <div class="dialog panel" role="alertdialog" aria-modal="true" aria-labelledby="dialog-text" data-test="dialog"
                        on:click=|ev| ev.stop_propagation()
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { dialog.answer(false) }>
                        <p id="dialog-text" data-test="dialog-text">{asked.text.clone()}</p>
                        {asked.diff.clone().map(|(old, new)| view! { <DiffView old=old new=new test="dialog-diff"/> })}
                        <div class="button-row dialog-actions">
                            <button type="button" class="button button-quiet" data-test="dialog-cancel" on:click=move |_| dialog.answer(false)>"Cancel"</button>
                            <button type="button" class="button" data-test="dialog-confirm" node_ref=confirm on:click=move |_| dialog.answer(true)>{asked.action}</button>
                        </div>
                    </div>
                </div>
            }
        })
    }
}

/// While `dirty` holds, leaving the page asks first: closing the tab or reloading gets the
/// browser's own prompt (the only one it allows there), a link inside Orbitr gets the app's
/// dialog, which follows the link (inside the app, so the browser does not ask again) once the
/// person agrees to drop the changes.
pub fn guard_unsaved(dirty: Signal<bool>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let dialog = use_dialog();
        let navigate = leptos_router::hooks::use_navigate();
        let Some(window) = web_sys::window() else {
            return;
        };
        let before_unload = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
            if dirty.get_untracked() {
                ev.prevent_default();
                if let Some(ev) = ev.dyn_ref::<web_sys::BeforeUnloadEvent>() {
                    ev.set_return_value("unsaved changes");
                }
            }
        });
        // In the capture phase, before the router follows the link.
        let on_click =
            Closure::<dyn FnMut(web_sys::MouseEvent)>::new(move |ev: web_sys::MouseEvent| {
                if !dirty.get_untracked() || ev.default_prevented() || ev.button() != 0 {
                    return;
                }
                let link = ev
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .and_then(|el| el.closest("a[href]").ok().flatten());
                let Some(href) = link.and_then(|a| a.get_attribute("href")) else {
                    return;
                };
                if !href.starts_with('/') || href.starts_with("//") {
                    return;
                }
                ev.prevent_default();
                ev.stop_propagation();
                dialog.confirm(
                    "Leave this page? Your unsaved changes to the files are lost.",
                    "Leave without saving",
                    {
                        let navigate = navigate.clone();
                        move || navigate(&href, Default::default())
                    },
                );
            });
        let _ = window.add_event_listener_with_callback(
            "beforeunload",
            before_unload.as_ref().unchecked_ref(),
        );
        let document = window.document();
        if let Some(document) = &document {
            let _ = document.add_event_listener_with_callback_and_bool(
                "click",
                on_click.as_ref().unchecked_ref(),
                true,
            );
        }
        // Removed with the page that set it up.
        let unload = send_wrapper::SendWrapper::new((before_unload, on_click));
        on_cleanup(move || {
            let (before_unload, on_click) = unload.take();
            if let Some(window) = web_sys::window() {
                let _ = window.remove_event_listener_with_callback(
                    "beforeunload",
                    before_unload.as_ref().unchecked_ref(),
                );
                if let Some(document) = window.document() {
                    let _ = document.remove_event_listener_with_callback_and_bool(
                        "click",
                        on_click.as_ref().unchecked_ref(),
                        true,
                    );
                }
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = dirty;
}
