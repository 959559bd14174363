//! The frame around every page: sidebar navigation and top bar.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;

use crate::api::auth::{Logout, get_me};
use crate::components::engine::LiveIndicator;
use crate::components::form::leave_on_success;
use crate::components::palette::PaletteButton;
use crate::components::theme::ThemeToggle;
use crate::components::workspace::WorkspaceSwitcher;

/// Navigation. Only pages that exist are listed.
#[component]
pub fn Sidebar(nav_open: RwSignal<bool>) -> impl IntoView {
    view! {
        <nav class="sidebar" aria-label="Main" on:click=move |_| nav_open.set(false)>
            <a class="brand" href="/">
                <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
                    <circle cx="16" cy="16" r="5"/>
                    <ellipse cx="16" cy="16" rx="14" ry="6" transform="rotate(-30 16 16)"/>
                </svg>
                <span>"Orbitr"</span>
            </a>
            <ul class="nav">
                <li>
                    <A href="/" exact=true>
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <rect x="3" y="3" width="7" height="9" rx="1.5"/>
                            <rect x="14" y="3" width="7" height="5" rx="1.5"/>
                            <rect x="14" y="12" width="7" height="9" rx="1.5"/>
                            <rect x="3" y="16" width="7" height="5" rx="1.5"/>
                        </svg>
                        <span>"Dashboard"</span>
                    </A>
                </li>
                <li>
                    <A href="/stacks">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <rect x="4" y="3" width="16" height="5" rx="1.5"/>
                            <rect x="4" y="10" width="16" height="5" rx="1.5"/>
                            <rect x="4" y="17" width="16" height="4" rx="1.5"/>
                        </svg>
                        <span>"Stacks"</span>
                    </A>
                </li>
                <li>
                    <A href="/marketplace">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M4 9h16l-1.5 11h-13z"/>
                            <path d="M8.5 9V7a3.5 3.5 0 0 1 7 0v2"/>
                        </svg>
                        <span>"Marketplace"</span>
                    </A>
                </li>
                <li>
                    <A href="/apps">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <rect x="4" y="4" width="7" height="7" rx="1.5"/>
                            <rect x="13" y="4" width="7" height="7" rx="1.5"/>
                            <rect x="4" y="13" width="7" height="7" rx="1.5"/>
                            <path d="M16.5 13.5v6M13.5 16.5h6"/>
                        </svg>
                        <span>"Apps"</span>
                    </A>
                </li>
                <li>
                    <A href="/containers">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M12 2.8 20 7.2v9.6L12 21.2 4 16.8V7.2z"/>
                            <path d="M4 7.2 12 11.6l8-4.4M12 11.6v9.6"/>
                        </svg>
                        <span>"Containers"</span>
                    </A>
                </li>
                <li>
                    <A href="/images">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M12 3 21 8l-9 5-9-5z"/>
                            <path d="m3 12.5 9 5 9-5M3 17l9 5 9-5"/>
                        </svg>
                        <span>"Images"</span>
                    </A>
                </li>
                <li>
                    <A href="/networks">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <circle cx="12" cy="5" r="2.5"/><circle cx="5" cy="19" r="2.5"/><circle cx="19" cy="19" r="2.5"/>
                            <path d="M12 7.5v4M12 11.5 6.5 17M12 11.5l5.5 5.5"/>
                        </svg>
                        <span>"Networks"</span>
                    </A>
                </li>
                <li>
                    <A href="/volumes">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <ellipse cx="12" cy="6" rx="8" ry="3"/>
                            <path d="M4 6v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3"/>
                        </svg>
                        <span>"Volumes"</span>
                    </A>
                </li>
                <li>
                    <A href="/workspaces">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <circle cx="9" cy="8" r="3.5"/>
                            <path d="M2.5 20c.8-3.6 3.4-5.5 6.5-5.5s5.7 1.9 6.5 5.5"/>
                            <path d="M16 4.8a3.5 3.5 0 0 1 0 6.4M18 14.8c1.9.7 3.1 2.5 3.5 5.2"/>
                        </svg>
                        <span>"Workspaces"</span>
                    </A>
                </li>
                <AdminLinks/>
            </ul>
            <div class="sidebar-footer">
                <a href="/api/docs/" rel="external">"API reference"</a>
                <span class="version">{concat!("v", env!("CARGO_PKG_VERSION"))}</span>
            </div>
        </nav>
        <div class="scrim" on:click=move |_| nav_open.set(false)></div>
    }
    // Type erasure keeps the frame's view type shallow enough for the compiler.
    .into_any()
}

/// The users entry (platform admins) and the audit log entry (admins, owners of the current
/// workspace). Rendered once the user's workspaces are known, on the server as in the browser.
#[component]
fn AdminLinks() -> impl IntoView {
    let workspaces = crate::components::workspace::use_workspaces();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let ctx = workspaces.data.await.ok();
                let admin = ctx.as_ref().is_some_and(|c| c.is_admin);
                let audit = ctx.as_ref().is_some_and(|c| c.can("audit", "read"));
                view! {
                    {admin.then(|| view! {
                        <li>
                            <A href="/users">
                                <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                                    <circle cx="12" cy="8" r="4"/>
                                    <path d="M4 21c1-4 4-6 8-6s7 2 8 6"/>
                                </svg>
                                <span>"Users"</span>
                            </A>
                        </li>
                        <li>
                            <A href="/settings">
                                <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                                    <circle cx="12" cy="12" r="3"/>
                                    <path d="M12 2.5v3M12 18.5v3M2.5 12h3M18.5 12h3M5.3 5.3l2.1 2.1M16.6 16.6l2.1 2.1M5.3 18.7l2.1-2.1M16.6 7.4l2.1-2.1"/>
                                </svg>
                                <span>"Settings"</span>
                            </A>
                        </li>
                    })}
                    {audit.then(|| view! {
                        <li>
                            <A href="/audit">
                                <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                                    <path d="M7 3h8l4 4v14H7z"/>
                                    <path d="M10 11h6M10 15h6M10 19h4"/>
                                </svg>
                                <span>"Audit log"</span>
                            </A>
                        </li>
                    })}
                }
            })}
        </Transition>
    }
}

/// The bar above the content: menu button on small screens, live status, theme toggle.
#[component]
pub fn TopBar(nav_open: RwSignal<bool>) -> impl IntoView {
    view! {
        <header class="topbar">
            <button
                type="button"
                class="icon-button menu-button"
                aria-label="Open the menu"
                on:click=move |_| nav_open.update(|open| *open = !*open)
            >
                <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                    <path d="M3 6h18M3 12h18M3 18h18"/>
                </svg>
            </button>
            <a class="topbar-brand" href="/">"Orbitr"</a>
            <WorkspaceSwitcher/>
            <div class="topbar-spacer"></div>
            <PaletteButton/>
            <LiveIndicator/>
            <ThemeToggle/>
            <UserMenu/>
        </header>
    }
    .into_any()
}

/// Who is signed in, and the way out.
#[component]
fn UserMenu() -> impl IntoView {
    let me = Resource::new(|| (), |()| get_me());
    let logout = ServerAction::<Logout>::new();
    leave_on_success(logout.value());
    let pending = logout.pending();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                me.await.ok().flatten().map(|me| {
                    view! {
                        <div class="user-menu">
                            <a class="user-name" href="/profile" title=me.email.clone() data-test="user-name">{me.name.clone()}</a>
                            // A plain form (it posts without script too) rather than
                            // `ActionForm`, whose reading of the form's fields brought a query
                            // string parser into every page's code for a function without any.
                            <form method="post" action=Logout::PATH on:submit=move |ev| {
                                ev.prevent_default();
                                logout.dispatch(Logout {});
                            }>
                                <button type="submit" class="button button-quiet" disabled=move || pending.get() data-test="logout">
                                    "Sign out"
                                </button>
                            </form>
                        </div>
                    }
                })
            })}
        </Suspense>
    }
}
