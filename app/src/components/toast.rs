//! Toast notifications: short messages in a corner that go away by themselves.

use std::time::Duration;

use leptos::prelude::*;

/// How a toast looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Info,
    Success,
    Error,
}

impl ToastKind {
    fn class(self) -> &'static str {
        match self {
            Self::Info => "toast toast-info",
            Self::Success => "toast toast-success",
            Self::Error => "toast toast-error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Toast {
    id: u64,
    kind: ToastKind,
    text: String,
}

/// Handle to show toasts, from context.
#[derive(Clone, Copy)]
pub struct Toaster {
    items: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

/// How long a toast stays; errors stay longer.
const SHOW_FOR: Duration = Duration::from_secs(5);
const SHOW_ERRORS_FOR: Duration = Duration::from_secs(10);

impl Toaster {
    /// Shows `text`; it disappears after a few seconds or when dismissed.
    pub fn show(&self, kind: ToastKind, text: impl Into<String>) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.items.update(|items| {
            items.push(Toast {
                id,
                kind,
                text: text.into(),
            });
        });
        let this = *self;
        let wait = if kind == ToastKind::Error {
            SHOW_ERRORS_FOR
        } else {
            SHOW_FOR
        };
        set_timeout(move || this.dismiss(id), wait);
    }

    /// Removes one toast.
    pub fn dismiss(&self, id: u64) {
        self.items.update(|items| items.retain(|t| t.id != id));
    }
}

/// Makes a [`Toaster`] available to the whole app.
pub fn provide_toaster() {
    provide_context(Toaster {
        items: RwSignal::new(Vec::new()),
        next_id: StoredValue::new(0),
    });
}

/// The app's [`Toaster`].
pub fn use_toaster() -> Toaster {
    expect_context::<Toaster>()
}

/// Shows the error of every failed answer of an action in a toast (with the server's message).
pub fn toast_failures<S, T>(value: S)
where
    S: Get<Value = Option<Result<T, crate::error::AppError>>> + Send + Sync + 'static,
    T: 'static,
{
    let toaster = use_toaster();
    Effect::new(move |_| {
        if let Some(Err(e)) = value.get() {
            toaster.show(ToastKind::Error, e.to_string());
        }
    });
}

/// Where toasts appear.
#[component]
pub fn ToastHost() -> impl IntoView {
    let toaster = use_toaster();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toaster.items.get() key=|t| t.id let:toast>
                <div class=toast.kind.class() data-test="toast">
                    <span>{toast.text.clone()}</span>
                    <button
                        type="button"
                        class="icon-button"
                        aria-label="Dismiss"
                        on:click=move |_| toaster.dismiss(toast.id)
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
