//! The workspace the user works in: loaded once per page for the whole frame, switched from the
//! top bar, and asked by pages and buttons whether the user's role allows something.

use leptos::prelude::*;

use crate::api::workspaces::{SwitchWorkspace, WorkspaceContext, my_workspaces};
use crate::error::AppError;

/// The caller's workspaces, shared by the frame and its pages.
#[derive(Clone, Copy)]
pub struct Workspaces {
    pub data: Resource<Result<WorkspaceContext, AppError>>,
    /// Bump to load it again (after creating, switching, leaving).
    pub reload: RwSignal<u64>,
}

impl Workspaces {
    pub fn refresh(&self) {
        self.reload.update(|n| *n += 1);
    }
}

/// Provides [`Workspaces`] to everything under the main layout.
pub fn provide_workspaces() {
    let reload = RwSignal::new(0_u64);
    let data = Resource::new(move || reload.get(), |_| my_workspaces());
    provide_context(Workspaces { data, reload });
}

/// The [`Workspaces`] of the current page.
pub fn use_workspaces() -> Workspaces {
    expect_context::<Workspaces>()
}

/// The switcher in the top bar.
#[component]
pub fn WorkspaceSwitcher() -> impl IntoView {
    let workspaces = use_workspaces();
    let switch = ServerAction::<SwitchWorkspace>::new();
    crate::components::toast::toast_failures(switch.value());
    Effect::new(move |_| {
        if let Some(Ok(())) = switch.value().get() {
            workspaces.refresh();
        }
    });
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let ctx = workspaces.data.await.ok()?;
                if ctx.workspaces.is_empty() {
                    return Some(view! {
                        <a class="workspace-switcher muted" href="/workspaces" data-test="no-workspace">"No workspace"</a>
                    }.into_any());
                }
                let current = ctx.current.clone().unwrap_or_default();
                Some(view! {
                    <label class="workspace-switcher">
                        <span class="visually-hidden">"Workspace"</span>
                        <select
                            data-test="workspace-switcher"
                            disabled=move || switch.pending().get()
                            on:change=move |ev| {
                                switch.dispatch(SwitchWorkspace { workspace: event_target_value(&ev) });
                            }
                        >
                            {ctx.workspaces.into_iter().map(|w| {
                                let selected = w.id == current;
                                view! { <option value=w.id.clone() selected=selected>{w.name.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                }.into_any())
            })}
        </Transition>
    }
}

/// What a page that works inside a workspace shows to someone who has none (yet): why nothing
/// can be done here, and the way to get one — platform admins create it, others are invited.
#[component]
pub fn NeedsWorkspace(
    /// What the page would do, e.g. "create stacks".
    what: &'static str,
    is_admin: bool,
) -> impl IntoView {
    view! {
        <section class="panel empty-state" data-test="needs-workspace">
            <p>{format!("You need a workspace to {what}: everything Orbitr runs belongs to one.")}</p>
            {if is_admin {
                view! { <p><a class="button" href="/workspaces" data-test="create-first-workspace">"Create a workspace"</a></p> }.into_any()
            } else {
                view! { <p class="muted">"Ask a workspace owner or a platform admin to invite you to one."</p> }.into_any()
            }}
        </section>
    }
}
