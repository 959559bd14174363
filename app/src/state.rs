//! Server-side state reachable from server functions and pages, and the HTML shell.

use std::path::Path;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use axum::extract::FromRef;
use engine::audit::Audit;
use engine::db::Database;
use engine::docker::DockerEngine;
use engine::identity::accounts::Accounts;
use engine::identity::limiter::LoginLimiter;
use engine::identity::tokens::Tokens;
use engine::model::settings::{FixedSetting, Tunable};
use engine::tenancy::workspaces::Workspaces;
use leptos::config::LeptosOptions;
use leptos::prelude::*;
use leptos_meta::MetaTags;
use tokio::sync::watch;

use crate::App;
use crate::components::theme::{Theme, theme_from_cookie_header};

/// Everything a request handler may need, in one allocation: a clone is a reference count. The
/// router keeps a copy in every route's handler and layer (about 900 of them); when the fields
/// were copied into each, those copies held 2.5 MB of an idle server's 7.4 MB heap.
#[derive(Clone)]
pub struct AppState(Arc<StateParts>);

impl AppState {
    pub fn new(parts: StateParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = StateParts;

    fn deref(&self) -> &StateParts {
        &self.0
    }
}

/// What Leptos' server integration reads from the state.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The fields of [`AppState`].
pub struct StateParts {
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
    /// Platform settings changed from the browser.
    pub settings: PlatformSettings,
}

/// Sign-in settings and state shared by the request gate and the auth server functions.
#[derive(Clone)]
pub struct AuthConfig {
    /// False until the first account exists: every page leads to `/setup` until then.
    pub has_users: Arc<AtomicBool>,
    /// A session ends this long after sign-in, however active (a platform setting, changed
    /// while Orbitr runs).
    pub session_max_age_ms: Arc<AtomicI64>,
    /// A session ends after this long without a request (a platform setting, changed while
    /// Orbitr runs).
    pub session_idle_ms: Arc<AtomicI64>,
    /// `scheme://host[:port]` that state-changing browser requests must come from; `None`
    /// means the request's own `Host` (a platform setting, changed while Orbitr runs).
    pub public_origin: Arc<RwLock<Option<String>>>,
}

impl AuthConfig {
    /// Sign-in state with these settings.
    pub fn new(
        has_users: bool,
        session_max_age_ms: i64,
        session_idle_ms: i64,
        public_origin: Option<String>,
    ) -> Self {
        Self {
            has_users: Arc::new(AtomicBool::new(has_users)),
            session_max_age_ms: Arc::new(AtomicI64::new(session_max_age_ms)),
            session_idle_ms: Arc::new(AtomicI64::new(session_idle_ms)),
            public_origin: Arc::new(RwLock::new(public_origin)),
        }
    }

    /// Where people reach Orbitr, if set.
    pub fn public_origin(&self) -> Option<String> {
        self.public_origin.read().ok().and_then(|o| o.clone())
    }

    /// How long a session may last, however active.
    pub fn session_max_age_ms(&self) -> i64 {
        self.session_max_age_ms.load(Ordering::Relaxed)
    }

    /// How long a session may go without a request.
    pub fn session_idle_ms(&self) -> i64 {
        self.session_idle_ms.load(Ordering::Relaxed)
    }
}

/// The platform settings changed from the browser (`ops::settings`), and what they are
/// checked against.
#[derive(Clone)]
pub struct PlatformSettings {
    pub store: engine::settings::StoredSettings,
    /// The value of each setting Orbitr started with (its default unless given).
    pub started: Arc<BTreeMap<Tunable, String>>,
    /// Where the settings the file, the environment or a flag gives come from. The browser
    /// shows them and cannot change them.
    pub fixed: Arc<BTreeMap<Tunable, String>>,
    /// The other settings the server started with, shown for reference.
    pub reference: Arc<Vec<FixedSetting>>,
    /// Minutes between marketplace syncs, which the sync loop watches.
    pub sync_minutes: watch::Sender<u64>,
    /// The sign-in providers the settings page added.
    pub providers: engine::settings::StoredProviders,
    /// The sign-in providers the file or the environment gives: they win over stored ones of
    /// the same name and cannot be changed from the browser.
    pub file_providers: Arc<Vec<engine::identity::oauth::ProviderSettings>>,
    /// The mail server password the file or the environment gives, and where it comes from.
    pub file_smtp_password: Option<Arc<(String, String)>>,
}

/// URLs of the compiled browser assets, read once at start-up from `pkg/manifest.txt`
/// (written by the build with content-hashed file names).
#[derive(Debug, Clone)]
pub struct SiteAssets {
    pub css: String,
    pub js: String,
    pub wasm: String,
    /// False when the manifest was not found: pages render, without styles or interactivity.
    pub found: bool,
    /// The wasm modules each page group needs (from the split loader beside the main module),
    /// which a page's `<head>` preloads for the groups it rendered.
    pub split: Option<leptos::WasmSplitManifest>,
}

impl SiteAssets {
    /// Reads `<site_dir>/pkg/manifest.txt` (`css: FILE`, `js: FILE`, `wasm: FILE` lines), and
    /// the split loader `__wasm_split.js` in the main module's folder.
    pub fn load(site_dir: &Path) -> Self {
        let manifest = site_dir.join("pkg/manifest.txt");
        let mut assets = Self {
            css: "/pkg/orbitr.css".into(),
            js: "/pkg/orbitr.js".into(),
            wasm: "/pkg/orbitr_bg.wasm".into(),
            found: false,
            split: None,
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
        let dir = assets.wasm.rsplit_once('/').map_or("/pkg", |(dir, _)| dir);
        let loader_path = site_dir
            .join(dir.trim_start_matches('/'))
            .join(SPLIT_LOADER);
        if let Ok(loader) = std::fs::read_to_string(&loader_path) {
            assets.split = Some(leptos::WasmSplitManifest(
                leptos::reactive::owner::ArcStoredValue::new((
                    dir.to_owned(),
                    split_modules(&loader),
                    SPLIT_LOADER.to_owned(),
                )),
            ));
        }
        assets.found = true;
        assets
    }
}

/// The split loader's file name, beside the main module (`tools/build-site.sh`).
pub const SPLIT_LOADER: &str = "__wasm_split.js";

/// The modules each page group needs, read from the split loader: for each group's loader
/// entry (`__wasm_split_load_<group id>`), its own module and every chunk it waits for, by
/// file name without `.wasm`. The group id is the one the server records for a page group it
/// renders, so the page can preload exactly these.
pub fn split_modules(loader: &str) -> std::collections::HashMap<String, Vec<String>> {
    use std::collections::{HashMap, HashSet};
    // Declarations start a line (a `const` inside a loader function is indented).
    let loader = loader.replace("\nexport const ", "\nconst ");
    let mut entries: HashMap<&str, (String, Vec<&str>)> = HashMap::new();
    for part in loader.split("\nconst ").skip(1) {
        let Some((name, rest)) = part.split_once(" = ") else {
            continue;
        };
        let Some(file) = rest
            .split_once("new URL(\"./")
            .and_then(|(_, r)| r.split_once(".wasm\""))
            .map(|(f, _)| f.to_owned())
        else {
            continue;
        };
        let deps = rest
            .split_once(", [")
            .and_then(|(_, r)| r.split_once(']'))
            .map(|(list, _)| {
                list.split(',')
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        entries.insert(name.trim(), (file, deps));
    }
    let mut groups = HashMap::new();
    for root in entries.keys() {
        let Some(group) = root.strip_prefix("__wasm_split_load_") else {
            continue;
        };
        let (mut files, mut seen, mut todo) = (Vec::new(), HashSet::new(), vec![*root]);
        while let Some(name) = todo.pop() {
            if seen.insert(name)
                && let Some((file, deps)) = entries.get(name)
            {
                files.push(file.clone());
                todo.extend(deps.iter().copied());
            }
        }
        groups.insert(group.to_owned(), files);
    }
    groups
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
        .map(|s| s.assets.clone())
        .unwrap_or_else(|| SiteAssets::load(Path::new("target/site")));
    // The rendering integration preloads the modules of the page groups the page rendered.
    if let Some(split) = assets.split.clone() {
        provide_context(split);
    }

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

    let boot = boot_script(&assets.js, &assets.wasm);

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

/// The module script that starts the page: loads the main module and hydrates.
///
/// A page's code comes in several modules, and Chromium cuts downloads under way when the
/// host's network changes (a laptop switching networks, a VPN coming up, the Docker engine
/// adding an interface for a new container). So every download of Orbitr's own code
/// (`/pkg/…`) is read whole before it is handed on, and tried again, five times at most, when
/// it is cut; if the start still fails for want of a download, the page reloads itself (twice
/// at most) instead of staying dead, unless the person already clicked or typed (a reload would
/// throw that away: the server-rendered page still works, links and forms included). A failure
/// that is not a download (a wasm panic) is left to show.
fn boot_script(js: &str, wasm: &str) -> String {
    format!(
        "const own = function (input) {{ return String((input && input.url) || input).includes('/pkg/'); }};\n\
         const fetchOnce = window.fetch.bind(window);\n\
         window.fetch = async function (input, options) {{\n\
           if (!own(input)) return fetchOnce(input, options);\n\
           for (let attempt = 1; ; attempt++) {{\n\
             try {{\n\
               const answer = await fetchOnce(input, options);\n\
               if (!answer.ok) return answer;\n\
               const body = await answer.arrayBuffer();\n\
               return new Response(body, {{ status: answer.status, statusText: answer.statusText, headers: answer.headers }});\n\
             }} catch (e) {{\n\
               if (attempt >= 5) throw e;\n\
               await new Promise(function (done) {{ setTimeout(done, 200 * attempt); }});\n\
             }}\n\
           }}\n\
         }};\n\
         const tries = 'orbitr-boot-reloads';\n\
         let touched = false;\n\
         for (const kind of ['pointerdown', 'keydown', 'submit']) {{\n\
           document.addEventListener(kind, function () {{ touched = true; }}, {{ capture: true, once: true }});\n\
         }}\n\
         import('{js}')\n\
           .then(function (m) {{ return m.default({{ module_or_path: '{wasm}' }}).then(function () {{ m.hydrate(); }}); }})\n\
           .then(function () {{ sessionStorage.removeItem(tries); }})\n\
           .catch(function (e) {{\n\
             const n = Number(sessionStorage.getItem(tries) || 0);\n\
             if (e instanceof TypeError && n < 2 && !touched) {{ sessionStorage.setItem(tries, String(n + 1)); location.reload(); return; }}\n\
             sessionStorage.removeItem(tries);\n\
             throw e;\n\
           }});"
    )
}

#[cfg(test)]
mod tests {
    use super::split_modules;

    #[test]
    fn a_page_group_needs_its_module_and_every_chunk_it_waits_for() {
        // The shape wasm-split-cli writes: chunks, then one exported loader per group.
        let loader = r#"import { initSync } from "./orbitr.js";
function makeLoad(fetcher, deps) {
    const loader = async () => {};
}
/* __a_pages_1, __b_pages_1 */
const __chunk_1 = makeLoad(() => {
    const src = fetch(new URL("./chunk_1.wasm", import.meta.url));
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, [__chunk_2]);
/* __a_pages_1 */
const __chunk_2 = makeLoad(() => {
    const src = fetch(new URL("./chunk_2.wasm", import.meta.url));
}
, []);
export const __wasm_split_load_a_pages_1 = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./split_a_pages_1.wasm", import.meta.url));
}
, [__chunk_1]));
export const __wasm_split_load_b_pages_1 = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./split_b_pages_1.wasm", import.meta.url));
}
, []));
"#;
        let groups = split_modules(loader);
        let mut a = groups["a_pages_1"].clone();
        a.sort();
        assert_eq!(a, ["chunk_1", "chunk_2", "split_a_pages_1"]);
        assert_eq!(groups["b_pages_1"], ["split_b_pages_1"]);
        assert_eq!(groups.len(), 2);
    }
}
