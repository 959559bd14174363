//! Orbitr's web UI: the shell, the pages and the server functions behind them.

pub mod access;
pub mod api;
#[cfg(feature = "ssr")]
pub mod auth;
pub mod components;
pub mod error;
pub mod model;
#[cfg(feature = "ssr")]
pub mod ops;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod state;

use leptos::prelude::*;
use leptos_meta::{Title, provide_meta_context};
use leptos_router::components::{Outlet, ParentRoute, Route, Router, Routes};
use leptos_router::{Lazy, LazyRoute, path};

use crate::components::dialog::{DialogHost, provide_dialog};
use crate::components::engine::{EngineBanner, provide_engine_status};
use crate::components::layout::{Sidebar, TopBar};
use crate::components::palette::{PaletteHost, provide_palette};
use crate::components::toast::{ToastHost, provide_toaster};
use crate::components::workspace::provide_workspaces;
use crate::pages::audit::AuditPage;
use crate::pages::containers::{ContainerPage, ContainersPage, NewContainerPage};
use crate::pages::dashboard::DashboardPage;
use crate::pages::invite::InvitePage;
use crate::pages::login::LoginPage;
use crate::pages::marketplace::{ExtensionPage, InstalledAppsPage, MarketplacePage};
use crate::pages::not_found::NotFoundPage;
use crate::pages::objects::{ImagePage, ImagesPage, NetworksPage, VolumesPage};
use crate::pages::profile::ProfilePage;
use crate::pages::settings::SettingsPage;
use crate::pages::setup::SetupPage;
use crate::pages::signin_refused::SignInRefusedPage;
use crate::pages::stacks::{NewStackPage, StackPage, StacksPage};
use crate::pages::users::{ResetPage, UsersPage};
use crate::pages::workspaces::{WorkspacePage, WorkspacesPage};

#[cfg(feature = "ssr")]
pub use crate::state::{AppState, AuthConfig, SiteAssets, shell};

/// The whole application inside `<body>`.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_toaster();
    provide_dialog();
    #[cfg(feature = "hydrate")]
    prefetch_on_hover();
    view! {
        <Title formatter=|page: String| if page.is_empty() { "Orbitr".to_owned() } else { format!("{page} · Orbitr") }/>
        <Router>
            // An address that leads nowhere still gets the frame, so the way on is one click away.
            <Routes fallback=|| view! { <Frame><NotFoundPage/></Frame> }>
                <Route path=path!("/setup") view={Lazy::<SetupPageRoute>::new()}/>
                <Route path=path!("/login") view={Lazy::<LoginPageRoute>::new()}/>
                <Route path=path!("/invite/:code") view={Lazy::<InvitePageRoute>::new()}/>
                <Route path=path!("/reset/:code") view={Lazy::<ResetPageRoute>::new()}/>
                <Route path=path!("/signin/refused") view={Lazy::<SignInRefusedPageRoute>::new()}/>
                <ParentRoute path=path!("") view=MainLayout>
                    <Route path=path!("/") view={Lazy::<DashboardPageRoute>::new()}/>
                    <Route path=path!("/stacks") view={Lazy::<StacksPageRoute>::new()}/>
                    <Route path=path!("/stacks/new") view={Lazy::<NewStackPageRoute>::new()}/>
                    <Route path=path!("/stacks/:id") view={Lazy::<StackPageRoute>::new()}/>
                    <Route path=path!("/marketplace") view={Lazy::<MarketplacePageRoute>::new()}/>
                    <Route path=path!("/marketplace/:id") view={Lazy::<ExtensionPageRoute>::new()}/>
                    <Route path=path!("/apps") view={Lazy::<InstalledAppsPageRoute>::new()}/>
                    <Route path=path!("/containers") view={Lazy::<ContainersPageRoute>::new()}/>
                    <Route path=path!("/containers/new") view={Lazy::<NewContainerPageRoute>::new()}/>
                    <Route path=path!("/containers/:id") view={Lazy::<ContainerPageRoute>::new()}/>
                    <Route path=path!("/images") view={Lazy::<ImagesPageRoute>::new()}/>
                    <Route path=path!("/images/:id") view={Lazy::<ImagePageRoute>::new()}/>
                    <Route path=path!("/networks") view={Lazy::<NetworksPageRoute>::new()}/>
                    <Route path=path!("/volumes") view={Lazy::<VolumesPageRoute>::new()}/>
                    <Route path=path!("/profile") view={Lazy::<ProfilePageRoute>::new()}/>
                    <Route path=path!("/workspaces") view={Lazy::<WorkspacesPageRoute>::new()}/>
                    <Route path=path!("/workspaces/:id") view={Lazy::<WorkspacePageRoute>::new()}/>
                    <Route path=path!("/audit") view={Lazy::<AuditPageRoute>::new()}/>
                    <Route path=path!("/users") view={Lazy::<UsersPageRoute>::new()}/>
                    <Route path=path!("/settings") view={Lazy::<SettingsPageRoute>::new()}/>
                </ParentRoute>
            </Routes>
        </Router>
        <ToastHost/>
        <DialogHost/>
    }
}

/// Pages whose code the browser loads when one of them is first opened: each group is one wasm
/// module split off the main one by `tools/build-site.sh` (with the chunks it shares with other
/// groups); the server renders them like any other page. A group is a few pages that are used
/// together, so a page needs few chunks. `__preload_<group>` is the loader `#[lazy]` makes for
/// the group's module.
macro_rules! lazy_pages {
    ($($(#[$doc:meta])* $group:ident, $preload:ident { $($route:ident => $page:ident),* $(,)? })*) => {$(
        $(#[$doc])*
        #[lazy]
        fn $group(page: &'static str) -> AnyView {
            match page {
                $(stringify!($page) => view! { <$page/> }.into_any(),)*
                _ => view! { <NotFoundPage/> }.into_any(),
            }
        }

        $(
            #[doc = concat!("The route of [`", stringify!($page), "`], loaded with its group.")]
            struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    Self
                }

                async fn view(_this: Self) -> AnyView {
                    $group(stringify!($page)).await
                }

                // Hydration renders the page at once: its module is loaded first.
                async fn preload() {
                    #[cfg(target_arch = "wasm32")]
                    $preload().await;
                }
            }
        )*
    )*

    /// Starts loading the code of a page group (named as [`group_of`] names it) before its
    /// page opens: a link to it is hovered or focused.
    #[cfg(feature = "hydrate")]
    fn prefetch_group(group: &str) {
        match group {
            $(stringify!($group) => leptos::task::spawn_local(async {
                #[cfg(target_arch = "wasm32")]
                $preload().await;
            }),)*
            _ => {}
        }
    }
    };
}

/// The page group (see `lazy_pages!`) whose code the page at `path` needs.
pub fn group_of(path: &str) -> Option<&'static str> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let first = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    let rest = path
        .trim_start_matches('/')
        .split('/')
        .nth(1)
        .filter(|r| !r.is_empty());
    Some(match (first, rest) {
        ("", _) => "dashboard_pages",
        ("stacks", None) => "stack_pages",
        ("stacks", Some(_)) => "stack_editor_pages",
        ("marketplace", None) => "marketplace_pages",
        ("marketplace", Some(_)) | ("apps", _) => "app_pages",
        ("containers", None) => "container_list_pages",
        ("containers", Some(_)) => "container_pages",
        ("images" | "networks" | "volumes", _) => "object_pages",
        ("profile", _) => "profile_pages",
        ("workspaces" | "audit" | "users" | "settings", _) => "admin_pages",
        ("setup" | "login" | "invite" | "reset" | "signin", _) => "auth_pages",
        _ => return None,
    })
}

/// Loads a page's code when a link to it is hovered or focused, once per page group, so the
/// click finds it there.
#[cfg(feature = "hydrate")]
fn prefetch_on_hover() {
    use std::cell::RefCell;
    use std::collections::HashSet;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    let started = RefCell::new(HashSet::new());
    let listener = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
        let href = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("a[href]").ok().flatten())
            .and_then(|a| a.get_attribute("href"));
        let Some(href) = href.filter(|h| h.starts_with('/') && !h.starts_with("//")) else {
            return;
        };
        if let Some(group) = group_of(&href)
            && started.borrow_mut().insert(group)
        {
            prefetch_group(group);
        }
    });
    let document = document();
    for event in ["pointerover", "focusin"] {
        let _ = document.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
    }
    // For the page's whole life.
    listener.forget();
}

lazy_pages! {
    /// The code of sign-in, set-up, invitation, password reset.
    auth_pages, __preload_auth_pages {
        SetupPageRoute => SetupPage,
        LoginPageRoute => LoginPage,
        InvitePageRoute => InvitePage,
        ResetPageRoute => ResetPage,
        SignInRefusedPageRoute => SignInRefusedPage,
    }
    /// The code of the dashboard.
    dashboard_pages, __preload_dashboard_pages {
        DashboardPageRoute => DashboardPage,
    }
    /// The code of the stacks list.
    stack_pages, __preload_stack_pages {
        StacksPageRoute => StacksPage,
    }
    /// The code of a stack's page and the new-stack page: the editor, with the Compose engine.
    stack_editor_pages, __preload_stack_editor_pages {
        NewStackPageRoute => NewStackPage,
        StackPageRoute => StackPage,
    }
    /// The code of the marketplace's catalogue.
    marketplace_pages, __preload_marketplace_pages {
        MarketplacePageRoute => MarketplacePage,
    }
    /// The code of an app's page (install, reviews) and of installed apps (updates).
    app_pages, __preload_app_pages {
        ExtensionPageRoute => ExtensionPage,
        InstalledAppsPageRoute => InstalledAppsPage,
    }
    /// The code of the containers list.
    container_list_pages, __preload_container_list_pages {
        ContainersPageRoute => ContainersPage,
    }
    /// The code of a container's page (logs, stats, settings) and the new-container form.
    container_pages, __preload_container_pages {
        NewContainerPageRoute => NewContainerPage,
        ContainerPageRoute => ContainerPage,
    }
    /// The code of images, networks and volumes.
    object_pages, __preload_object_pages {
        ImagesPageRoute => ImagesPage,
        ImagePageRoute => ImagePage,
        NetworksPageRoute => NetworksPage,
        VolumesPageRoute => VolumesPage,
    }
    /// The code of one's profile.
    profile_pages, __preload_profile_pages {
        ProfilePageRoute => ProfilePage,
    }
    /// The code of workspaces, the audit log and users.
    admin_pages, __preload_admin_pages {
        WorkspacesPageRoute => WorkspacesPage,
        WorkspacePageRoute => WorkspacePage,
        AuditPageRoute => AuditPage,
        UsersPageRoute => UsersPage,
        SettingsPageRoute => SettingsPage,
    }
}

/// The frame of signed-in pages around the routed page.
#[component]
fn MainLayout() -> impl IntoView {
    view! { <Frame><Outlet/></Frame> }
}

/// The frame of signed-in pages: sidebar, top bar, engine banner, the page, live updates.
#[component]
fn Frame(children: Children) -> impl IntoView {
    provide_engine_status();
    provide_workspaces();
    provide_palette();
    let nav_open = RwSignal::new(false);
    view! {
        <div class="layout" class:nav-open=move || nav_open.get()>
            <Sidebar nav_open=nav_open/>
            <div class="main">
                <TopBar nav_open=nav_open/>
                <EngineBanner/>
                <main class="content" id="content">
                    <ErrorBoundary fallback=|errors| {
                        view! {
                            <section class="panel error-panel" role="alert">
                                <h2>"Something went wrong"</h2>
                                <ul>
                                    {move || {
                                        errors
                                            .get()
                                            .into_iter()
                                            .map(|(_, e)| view! { <li>{e.to_string()}</li> })
                                            .collect_view()
                                    }}
                                </ul>
                            </section>
                        }
                    }>
                        {children()}
                    </ErrorBoundary>
                </main>
            </div>
        </div>
        <PaletteHost/>
    }
}

#[cfg(test)]
mod tests {
    use super::group_of;

    #[test]
    fn each_address_belongs_to_the_group_of_its_page() {
        assert_eq!(group_of("/"), Some("dashboard_pages"));
        assert_eq!(group_of("/stacks"), Some("stack_pages"));
        assert_eq!(group_of("/stacks?workspace=a"), Some("stack_pages"));
        assert_eq!(group_of("/stacks/new"), Some("stack_editor_pages"));
        assert_eq!(group_of("/stacks/abc#logs"), Some("stack_editor_pages"));
        assert_eq!(group_of("/marketplace?q=db"), Some("marketplace_pages"));
        assert_eq!(group_of("/marketplace/official.nginx"), Some("app_pages"));
        assert_eq!(group_of("/apps"), Some("app_pages"));
        assert_eq!(group_of("/containers"), Some("container_list_pages"));
        assert_eq!(group_of("/containers/"), Some("container_list_pages"));
        assert_eq!(group_of("/containers/abc"), Some("container_pages"));
        assert_eq!(group_of("/containers/new"), Some("container_pages"));
        assert_eq!(group_of("/volumes"), Some("object_pages"));
        assert_eq!(group_of("/users"), Some("admin_pages"));
        assert_eq!(group_of("/settings"), Some("admin_pages"));
        assert_eq!(group_of("/invite/inv_x"), Some("auth_pages"));
        assert_eq!(group_of("/api/docs/"), None);
    }
}
