//! Server-side state reachable from server functions and pages, and the HTML shell.

use std::path::Path;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::extract::FromRef;
use engine::audit::Audit;
use engine::db::Database;
use engine::docker::DockerEngine;
use engine::identity::accounts::Accounts;
use engine::identity::limiter::LoginLimiter;
use engine::identity::tokens::Tokens;
use engine::tenancy::workspaces::Workspaces;
use leptos::config::LeptosOptions;
use leptos::prelude::*;
use leptos_meta::MetaTags;
use tokio::sync::watch;

use crate::App;
use crate::components::theme::{Theme, theme_from_cookie_header};

/// Everything a request handler may need. Cheap to clone.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Database,
    pub docker: DockerEngine,
    pub assets: SiteAssets,
    /// Turns true when the server starts shutting down; long-lived streams end on it.
    pub shutdown: watch::Receiver<bool>,
    pub accounts: Accounts,
    pub audit: Audit,
    pub login_limiter: LoginLimiter,
    pub tokens: Tokens,
    /// Workspaces and memberships; owns the access layer (`workspaces.access()`).
    pub workspaces: Workspaces,
    /// Account administration (admin role, deletion, reset links).
    pub admin: engine::identity::admin::Admin,
    /// Where each user is signed in.
    pub signins: engine::identity::signins::SignIns,
    /// Configured sign-in providers (OAuth 2 / OpenID Connect).
    pub providers: engine::identity::oauth::Providers,
    /// Accounts' links to sign-in providers.
    pub identities: engine::identity::identities::Identities,
    /// Each workspace's security policy.
    pub policies: engine::tenancy::policies::Policies,
    /// Registry credentials per workspace (encrypted).
    pub registries: engine::docker::registries::Registries,
    /// Live logs: one engine stream per container, shared by every viewer.
    pub logs: engine::docker::logs::LogHub,
    /// Live resource usage: one engine stats stream per container, shared by every viewer.
    pub stats: engine::docker::stats::StatsHub,
    /// Compose stacks: files, revisions and deploys.
    pub stacks: engine::stacks::Stacks,
    /// The marketplace: extension sources, catalog, installed apps, reviews.
    pub marketplace: engine::marketplace::Marketplace,
    /// Unmanaged Docker objects adopted into workspaces.
    pub adoptions: engine::tenancy::adoptions::Adoptions,
    pub auth: AuthConfig,
}

/// Sign-in settings and state shared by the request gate and the auth server functions.
#[derive(Clone)]
pub struct AuthConfig {
    /// False until the first account exists: every page leads to `/setup` until then.
    pub has_users: Arc<AtomicBool>,
    /// A session ends this long after sign-in, however active.
    pub session_max_age_ms: i64,
    /// A session ends after this long without a request.
    pub session_idle_ms: i64,
    /// `scheme://host[:port]` that state-changing browser requests must come from; `None`
    /// means the request's own `Host`.
    pub public_origin: Option<String>,
}

/// URLs of the compiled browser assets, read once at start-up from `pkg/manifest.txt`
/// (written by the build with content-hashed file names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteAssets {
    pub css: String,
    pub js: String,
    pub wasm: String,
    /// False when the manifest was not found: pages render, without styles or interactivity.
    pub found: bool,
}

impl SiteAssets {
    /// Reads `<site_dir>/pkg/manifest.txt` (`css: FILE`, `js: FILE`, `wasm: FILE` lines).
    pub fn load(site_dir: &Path) -> Self {
        let manifest = site_dir.join("pkg/manifest.txt");
        let mut assets = Self {
            css: "/pkg/orbitr.css".into(),
            js: "/pkg/orbitr.js".into(),
            wasm: "/pkg/orbitr_bg.wasm".into(),
            found: false,
        };
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            return assets;
        };
        for line in text.lines() {
            if let Some((kind, file)) = line.split_once(':') {
                let url = format!("/pkg/{}", file.trim());
                match kind.trim() {
                    "css" => assets.css = url,
                    "js" => assets.js = url,
                    "wasm" => assets.wasm = url,
                    _ => {}
                }
            }
        }
        assets.found = true;
        assets
    }
}

/// Content-Security-Policy of pages: scripts only from this origin or carrying this response's
/// nonce (the hydration bootstrap), wasm compilation allowed, nothing may frame Orbitr. Forms
/// post to Orbitr only, and may be redirected on to the sign-in providers in `form_targets`
/// (browsers apply `form-action` to a form's redirects too).
pub fn page_csp(nonce: &str, form_targets: &[String]) -> String {
    let mut form_action = "'self'".to_owned();
    for origin in form_targets {
        form_action.push(' ');
        form_action.push_str(origin);
    }
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action {form_action}; frame-ancestors 'none'"
    )
}

/// The HTML document around [`App`]: head with assets, theme from the cookie, hydration script.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let _ = options;
    leptos::nonce::provide_nonce();
    let nonce = leptos::nonce::use_nonce();
    let state = use_context::<AppState>();
    let form_targets = state
        .as_ref()
        .map(|s| s.providers.form_origins())
        .unwrap_or_default();
    let assets = state
        .map(|s| s.assets)
        .unwrap_or_else(|| SiteAssets::load(Path::new("target/site")));

    let response = use_context::<leptos_axum::ResponseOptions>();
    if let (Some(response), Some(nonce)) = (&response, &nonce)
        && let Ok(value) = http::HeaderValue::from_str(&page_csp(nonce, &form_targets))
    {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }

    let theme = use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(http::header::COOKIE)
                .and_then(|v| v.to_str().ok())
                .map(theme_from_cookie_header)
        })
        .unwrap_or(Theme::System);

    let boot = format!(
        "import init, {{ hydrate }} from '{}';\ninit({{ module_or_path: '{}' }}).then(function () {{ hydrate(); }});",
        assets.js, assets.wasm
    );

    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme.attribute()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" href=assets.css.clone()/>
                <link rel="modulepreload" href=assets.js.clone() crossorigin=""/>
                <link rel="preload" href=assets.wasm.clone() r#as="fetch" r#type="application/wasm" crossorigin=""/>
                <script type="module" nonce=nonce>{boot}</script>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}
