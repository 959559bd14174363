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
use leptos_router::path;

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
    // Lets browser tests (and curious people) know the page is interactive.
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Title formatter=|page: String| if page.is_empty() { "Orbitr".to_owned() } else { format!("{page} · Orbitr") }/>
        <Router>
            // An address that leads nowhere still gets the frame, so the way on is one click away.
            <Routes fallback=|| view! { <Frame><NotFoundPage/></Frame> }>
                <Route path=path!("/setup") view=SetupPage/>
                <Route path=path!("/login") view=LoginPage/>
                <Route path=path!("/invite/:code") view=InvitePage/>
                <Route path=path!("/reset/:code") view=ResetPage/>
                <Route path=path!("/signin/refused") view=SignInRefusedPage/>
                <ParentRoute path=path!("") view=MainLayout>
                    <Route path=path!("/") view=DashboardPage/>
                    <Route path=path!("/stacks") view=StacksPage/>
                    <Route path=path!("/stacks/new") view=NewStackPage/>
                    <Route path=path!("/stacks/:id") view=StackPage/>
                    <Route path=path!("/marketplace") view=MarketplacePage/>
                    <Route path=path!("/marketplace/:id") view=ExtensionPage/>
                    <Route path=path!("/apps") view=InstalledAppsPage/>
                    <Route path=path!("/containers") view=ContainersPage/>
                    <Route path=path!("/containers/new") view=NewContainerPage/>
                    <Route path=path!("/containers/:id") view=ContainerPage/>
                    <Route path=path!("/images") view=ImagesPage/>
                    <Route path=path!("/images/:id") view=ImagePage/>
                    <Route path=path!("/networks") view=NetworksPage/>
                    <Route path=path!("/volumes") view=VolumesPage/>
                    <Route path=path!("/profile") view=ProfilePage/>
                    <Route path=path!("/workspaces") view=WorkspacesPage/>
                    <Route path=path!("/workspaces/:id") view=WorkspacePage/>
                    <Route path=path!("/audit") view=AuditPage/>
                    <Route path=path!("/users") view=UsersPage/>
                </ParentRoute>
            </Routes>
        </Router>
        <ToastHost/>
        <DialogHost/>
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
