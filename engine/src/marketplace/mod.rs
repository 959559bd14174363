//! The marketplace: extension sources synced into a searchable catalog, installs as stack
//! deploys (requirements first, failures leaving nothing behind, host access approved by a
//! platform admin), updates that keep the form's values, uninstalls, reviews and install
//! counts.
//!
//! Sources are the built-in `extensions/` folder, a folder on the server, a git repository
//! (shallow clone of a branch or tag) or an HTTP JSON index; every entry is checked like
//! `orbitr ext validate` and listed with its errors when it fails. Search is SQLite FTS5 or
//! PostgreSQL's text search.

mod apps;
mod catalog;
mod install;
mod lifecycle;
mod reviews;
mod sources;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use compose::ProjectName;
use compose::diag::{Diagnostic, Pos, join_key};
use compose::load::{Options, load};
use compose::policy::{SecurityPolicy, check_project};
use tokio::sync::oneshot;

use crate::clock::now_ms;
use crate::db::{Database, DbError};
use crate::docker::DockerEngine;
use crate::extensions::catalog::{Catalog, Row as CatalogRow};
use crate::extensions::inputs::check_values;
use crate::extensions::manifest::{self, InputKind, MANIFEST_FILE, Manifest};
use crate::extensions::market::{
    AppLink, AppView, ExtensionCard, ExtensionDetail, InstallForm, InstallPlan, InstallStarted,
    NewSource, PlanStep, ReviewForm, ReviewView, Reviews, SearchPage, SearchQuery, SourceView,
    SyncReport, UpdatePreview, check_review,
};
use crate::extensions::package::{self, read_inside, render};
use crate::extensions::readme::to_html;
use crate::extensions::resolve::{self, Candidate, Installed, Step};
use crate::model::ids::{AppId, WorkspaceId};
use crate::on_pool;
use crate::stacks::{NewStack, Operation, OperationRequest, StackError, Stacks};
use crate::vault::{Vault, VaultError};

/// The changelog's file name in an extension folder.
pub const CHANGELOG_FILE: &str = "CHANGELOG.md";
/// Most extensions one source may list.
pub const MAX_EXTENSIONS_PER_SOURCE: usize = 20_000;

/// Errors of the marketplace.
#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("no such {0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The form's values or the rendered compose file have errors; nothing was changed.
    #[error("{}", .0.iter().find(|d| d.is_error()).map(ToString::to_string).unwrap_or_default())]
    Diagnostics(Vec<Diagnostic>),
    /// A source could not be read (unreachable, too large, not an index).
    #[error("{0}")]
    Source(String),
    #[error(transparent)]
    Stack(#[from] StackError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::query_error_is_db!(MarketError);

fn invalid(field: &str, message: impl Into<String>) -> MarketError {
    MarketError::Invalid {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Limits on reading remote sources.
#[derive(Debug, Clone, Copy)]
pub struct FetchLimits {
    /// A clone or a download that takes longer is stopped.
    pub timeout: Duration,
    /// Largest index document or checked-out repository.
    pub max_bytes: u64,
}

impl Default for FetchLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60),
            max_bytes: 64 * 1024 * 1024,
        }
    }
}

/// One extension as a sync found it.
#[derive(Debug, Clone)]
struct Scanned {
    ext_id: String,
    version: String,
    name: String,
    summary: String,
    description: String,
    categories: String,
    icon: Option<String>,
    manifest: String,
    template: String,
    readme: String,
    changelog: String,
    errors: Option<Vec<String>>,
}

/// A catalog entry as stored.
#[derive(Debug, Clone)]
struct Entry {
    source: String,
    ext_id: String,
    version: String,
    manifest_text: String,
    template: String,
    readme: String,
    changelog: String,
    errors: Option<Vec<String>>,
}

impl Entry {
    fn manifest(&self) -> Result<Manifest, MarketError> {
        if let Some(errors) = &self.errors {
            return Err(MarketError::Conflict(format!(
                "{} cannot be installed: {}",
                self.ext_id,
                errors.first().cloned().unwrap_or_default()
            )));
        }
        manifest::parse(&self.manifest_text).0.ok_or_else(|| {
            MarketError::Conflict(format!("{}'s manifest no longer reads", self.ext_id))
        })
    }

    fn candidate(&self, manifest: &Manifest) -> Candidate {
        Candidate {
            id: self.ext_id.clone(),
            version: self.version.clone(),
            source: self.source.clone(),
            requires: manifest.requires.clone(),
        }
    }
}

/// Where an installed app is in its life, as stored in `extension_installs.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppStatus {
    /// Waits for a platform admin (it asks for more than the workspace's policy allows).
    AwaitingApproval,
    Installing,
    Installed,
    Updating,
    Removing,
    /// The install failed; `error` says why.
    Failed,
}

impl AppStatus {
    const ALL: [Self; 6] = [
        Self::AwaitingApproval,
        Self::Installing,
        Self::Installed,
        Self::Updating,
        Self::Removing,
        Self::Failed,
    ];

    /// The stored (and shown) word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingApproval => "awaiting_approval",
            Self::Installing => "installing",
            Self::Installed => "installed",
            Self::Updating => "updating",
            Self::Removing => "removing",
            Self::Failed => "failed",
        }
    }

    /// Whether an install, update or uninstall is under way.
    pub fn is_busy(self) -> bool {
        matches!(self, Self::Installing | Self::Updating | Self::Removing)
    }
}

impl std::fmt::Display for AppStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for AppStatus {
    type Error = String;
    fn try_from(stored: String) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == stored)
            .ok_or_else(|| format!("unknown app status {stored:?}"))
    }
}

/// An installed app as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
struct AppRow {
    id: AppId,
    #[sqlx(rename = "workspace_id")]
    workspace: WorkspaceId,
    #[sqlx(rename = "stack_name")]
    stack: String,
    ext_id: String,
    #[sqlx(rename = "source_id")]
    source: String,
    version: String,
    inputs: String,
    manifest: String,
    #[sqlx(try_from = "String")]
    status: AppStatus,
    error: Option<String>,
    required_by: Option<String>,
    created_at: i64,
    created_by: String,
    approved_by: Option<String>,
    /// The template the app was requested (or last updated) with: an approval deploys what was
    /// approved, even if its source changed since.
    template: String,
}

const APP_COLUMNS: &str = "id, workspace_id, stack_name, ext_id, source_id, version, inputs, manifest, status, error, required_by, created_at, created_by, approved_by, template";

/// Who asks for an install and under which rules.
#[derive(Debug, Clone, Copy)]
pub struct Installer<'a> {
    pub actor: &'a str,
    /// A platform admin: host access needs no approval and no policy applies.
    pub admin: bool,
    /// The workspace's security policy (`None` for platform admins).
    pub policy: Option<&'a SecurityPolicy>,
}

/// An install, update or uninstall under way.
pub struct Working<T> {
    pub value: T,
    /// Answers when the work ends: `Err` with the reason when it failed.
    pub done: oneshot::Receiver<Result<(), String>>,
}

/// What one app of an install needs to be created.
struct Launch {
    app: AppRow,
    manifest: Manifest,
    template: String,
    values: BTreeMap<String, String>,
}

/// One app of an install being deployed in turn.
struct Deploying {
    app: AppRow,
    stack: crate::stacks::StackRow,
    /// The rules its deploy is checked against (`None`: a platform admin's install).
    policy: Option<SecurityPolicy>,
    /// Its stack name had volumes before (an uninstall kept them): a failure leaves them.
    kept_volumes: bool,
}

/// The marketplace service.
#[derive(Clone)]
pub struct Marketplace {
    db: Database,
    vault: Vault,
    stacks: Stacks,
    docker: DockerEngine,
    cache: PathBuf,
    builtin: Option<PathBuf>,
    limits: FetchLimits,
    /// The catalog in memory, for searching (rebuilt after each sync).
    catalog: Arc<RwLock<Arc<Catalog>>>,
    syncing: Arc<tokio::sync::Mutex<()>>,
}

impl Marketplace {
    /// The marketplace, caching remote sources under `<data_dir>/marketplace`; `builtin` is the
    /// folder of the official catalog.
    pub fn new(
        db: Database,
        vault: Vault,
        stacks: Stacks,
        docker: DockerEngine,
        data_dir: &Path,
        builtin: Option<PathBuf>,
        limits: FetchLimits,
    ) -> Self {
        Self {
            db,
            vault,
            stacks,
            docker,
            cache: data_dir.join("marketplace"),
            builtin,
            limits,
            catalog: Arc::new(RwLock::new(Arc::new(Catalog::default()))),
            syncing: Arc::new(tokio::sync::Mutex::new(())),
        }
    }
}

const CARD_SELECT: &str = "SELECT e.source_id, s.name, e.ext_id, e.name, e.version, e.summary, e.categories, e.icon, e.errors, e.updated_at, \
     COALESCE(c.installs, 0), r.average, COALESCE(r.reviews, 0)";
const CARD_JOINS: &str = "JOIN extension_sources s ON s.id = e.source_id \
     LEFT JOIN extension_counts c ON c.ext_id = e.ext_id \
     LEFT JOIN (SELECT ext_id, CAST(AVG(rating) AS DOUBLE PRECISION) AS average, COUNT(*) AS reviews FROM extension_reviews GROUP BY ext_id) r ON r.ext_id = e.ext_id";

type CardTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
    Option<f64>,
    i64,
);

fn card(t: CardTuple) -> ExtensionCard {
    ExtensionCard {
        source: t.0,
        source_name: t.1,
        id: t.2,
        name: t.3,
        version: t.4,
        summary: t.5,
        categories: t
            .6
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        icon: t.7,
        errors: t
            .8
            .and_then(|e| serde_json::from_str(&e).ok())
            .unwrap_or_default(),
        updated_at: t.9,
        installs: t.10,
        rating: t.11,
        reviews: t.12,
    }
}

fn errors_json(s: &Scanned) -> Option<String> {
    s.errors
        .as_ref()
        .map(|e| serde_json::to_string(e).unwrap_or_else(|_| "[]".into()))
}

/// The workspace's `policy` widened by exactly the host access an admin approved.
pub fn granted(
    policy: &SecurityPolicy,
    p: &crate::extensions::manifest::Permissions,
) -> SecurityPolicy {
    let mut out = policy.clone();
    out.allow_privileged |= p.privileged;
    out.allow_docker_socket |= p.docker_socket;
    out.allow_devices |= !p.devices.is_empty();
    if !p.host_paths.is_empty() {
        if !out.allow_bind_mounts {
            out.allow_bind_mounts = true;
            out.bind_roots = p.host_paths.clone();
        } else if !out.bind_roots.is_empty() {
            out.bind_roots.extend(p.host_paths.iter().cloned());
        }
    }
    out
}

/// Whether version `a` is newer than `b` by semver precedence (build metadata ignored); never
/// when either is not semver.
pub fn newer(a: &str, b: &str) -> bool {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(a), Ok(b)) => a.cmp_precedence(&b) == std::cmp::Ordering::Greater,
        _ => false,
    }
}

/// The words of a search, lowercased letters and digits only (at most 8).
pub fn words_of(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().take(64).collect())
        .take(8)
        .collect()
}

/// Checks a new source's kind, location and reference.
pub fn check_location(
    kind: &str,
    location: &str,
    reference: Option<&str>,
) -> Result<(), MarketError> {
    let scheme = location
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase());
    match kind {
        "folder" => {
            let path = Path::new(location);
            if !path.is_absolute() {
                return Err(invalid(
                    "location",
                    "give the folder's absolute path on the server",
                ));
            }
            if !path.is_dir() {
                return Err(invalid(
                    "location",
                    format!("{location} is not a folder on the server"),
                ));
            }
        }
        "git" => {
            if !matches!(scheme.as_deref(), Some("https" | "http" | "git")) {
                return Err(invalid(
                    "location",
                    "a git source is an https://, http:// or git:// URL",
                ));
            }
        }
        "http" => {
            if !matches!(scheme.as_deref(), Some("https" | "http")) {
                return Err(invalid(
                    "location",
                    "an index is an https:// or http:// URL",
                ));
            }
        }
        "builtin" => {
            return Err(invalid(
                "kind",
                "the built-in source is added by Orbitr itself",
            ));
        }
        other => {
            return Err(invalid(
                "kind",
                format!("{other:?} is not one of folder, git, http"),
            ));
        }
    }
    if kind != "folder" && (location.len() > 2048 || location.chars().any(char::is_whitespace)) {
        return Err(invalid("location", "not a URL"));
    }
    let authority = location.split_once("://").map_or("", |(_, rest)| {
        rest.split(['/', '?', '#']).next().unwrap_or("")
    });
    if kind != "folder" && authority.contains('@') {
        // It would show in the source's name, its errors and the audit log.
        return Err(invalid(
            "location",
            "a URL with a user name or password is not accepted; use a public URL",
        ));
    }
    if let Some(r) = reference {
        if kind != "git" {
            return Err(invalid(
                "reference",
                "only a git source has a branch or tag",
            ));
        }
        let ok = r.len() <= 200
            && !r.starts_with('-')
            && !r.contains("..")
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'));
        if !ok {
            return Err(invalid(
                "reference",
                format!("{r:?} is not a branch or tag name"),
            ));
        }
    }
    Ok(())
}

/// Host ports the form asks for must be free.
fn check_ports(manifest: &Manifest, values: &BTreeMap<String, String>) -> Result<(), MarketError> {
    let mut taken = Vec::new();
    for input in manifest.inputs.iter().filter(|i| i.kind == InputKind::Port) {
        let Some(port) = values.get(&input.key).and_then(|v| v.parse::<u16>().ok()) else {
            continue;
        };
        if std::net::TcpListener::bind(("0.0.0.0", port)).is_err() {
            taken.push(Diagnostic::error(
                join_key("inputs", &input.key),
                Pos::default(),
                format!(
                    "{}: port {port} is already in use on the host; choose another",
                    input.label
                ),
            ));
        }
    }
    if taken.is_empty() {
        Ok(())
    } else {
        Err(MarketError::Diagnostics(taken))
    }
}

/// An HTTP index: extensions with their files inline.
#[derive(Debug, serde::Deserialize)]
struct Index {
    extensions: Vec<IndexEntry>,
}

#[derive(Debug, serde::Deserialize)]
struct IndexEntry {
    /// The folder name (defaults to the id in its manifest).
    #[serde(default)]
    path: Option<String>,
    files: BTreeMap<String, String>,
}

fn write_index(dir: &Path, index: &Index) -> Result<(), String> {
    if index.extensions.len() > MAX_EXTENSIONS_PER_SOURCE {
        return Err(format!(
            "the index lists {} extensions; at most {MAX_EXTENSIONS_PER_SOURCE}",
            index.extensions.len()
        ));
    }
    for (n, e) in index.extensions.iter().enumerate() {
        let folder = match &e.path {
            Some(p) => p.clone(),
            None => e
                .files
                .get(MANIFEST_FILE)
                .and_then(|t| manifest::parse(t).0)
                .map_or_else(|| format!("entry-{}", n + 1), |m| m.id),
        };
        if !crate::extensions::inside(&folder) || folder.contains('/') {
            return Err(format!(
                "extensions[{n}].path: {folder:?} is not a folder name"
            ));
        }
        let base = dir.join(&folder);
        for (name, text) in &e.files {
            if !crate::extensions::inside(name) {
                return Err(format!(
                    "extensions[{n}].files: {name:?} is not a path inside the extension"
                ));
            }
            if text.len() as u64 > package::MAX_FILE_BYTES {
                return Err(format!(
                    "extensions[{n}].files.{name}: larger than {} bytes",
                    package::MAX_FILE_BYTES
                ));
            }
            let path = base.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("{}: {e}", parent.display()))?;
            }
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

fn folder_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

/// Every extension folder of a source: the folder itself when it holds a manifest, else each
/// sub-folder that does. Each is checked; an invalid one is kept with its errors.
fn scan(root: &Path) -> Result<Vec<Scanned>, String> {
    let mut folders = Vec::new();
    if root.join(MANIFEST_FILE).is_file() {
        folders.push((root.to_path_buf(), String::new()));
    } else {
        let entries = std::fs::read_dir(root).map_err(|e| format!("{}: {e}", root.display()))?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) && e.path().join(MANIFEST_FILE).exists() {
                folders.push((e.path(), name));
            }
        }
    }
    if folders.len() > MAX_EXTENSIONS_PER_SOURCE {
        return Err(format!(
            "the source holds {} extensions; at most {MAX_EXTENSIONS_PER_SOURCE}",
            folders.len()
        ));
    }
    folders.sort_by(|a, b| a.1.cmp(&b.1));
    let mut out: Vec<Scanned> = Vec::with_capacity(folders.len());
    let mut seen: HashMap<String, String> = HashMap::new();
    for (dir, folder) in folders {
        let mut s = scan_one(&dir, &folder);
        if let Some(first) = seen.get(&s.ext_id) {
            let mut errors = s.errors.take().unwrap_or_default();
            errors.insert(
                0,
                format!("{folder}: the id {} is already used by {first}", s.ext_id),
            );
            s.errors = Some(errors);
            s.ext_id = format!("{}@{folder}", s.ext_id);
        }
        seen.insert(s.ext_id.clone(), folder);
        out.push(s);
    }
    Ok(out)
}

fn scan_one(dir: &Path, folder: &str) -> Scanned {
    let checked = package::check_dir(dir);
    let text = read_inside(dir, MANIFEST_FILE).unwrap_or_default();
    let parsed = checked
        .manifest
        .clone()
        .or_else(|| manifest::parse(&text).0);
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            if folder.is_empty() {
                d.to_string()
            } else {
                format!("{folder}/{d}")
            }
        })
        .collect();
    let fallback = if folder.is_empty() {
        "extension".to_owned()
    } else {
        folder.to_owned()
    };
    let (ext_id, version, name, summary, description, categories, icon) = match &parsed {
        Some(m) => (
            m.id.clone(),
            m.version.clone(),
            m.name.clone(),
            m.summary.clone(),
            m.description.clone(),
            m.categories.clone(),
            m.icon.clone(),
        ),
        None => (
            fallback.clone(),
            String::new(),
            fallback,
            errors.first().cloned().unwrap_or_default(),
            String::new(),
            Vec::new(),
            None,
        ),
    };
    let categories = if categories.is_empty() {
        String::new()
    } else {
        format!(
            ",{},",
            categories
                .iter()
                .map(|c| c.trim().to_lowercase().replace(',', " "))
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    Scanned {
        ext_id,
        version,
        name,
        summary,
        description,
        categories,
        icon: icon.and_then(|i| crate::extensions::icon::icon_url(dir, &i)),
        manifest: text,
        template: checked.template.unwrap_or_default(),
        readme: checked.readme.unwrap_or_default(),
        changelog: read_inside(dir, CHANGELOG_FILE).unwrap_or_default(),
        errors: (!errors.is_empty() || checked.manifest.is_none()).then(|| {
            if errors.is_empty() {
                vec![format!("{folder}: the manifest could not be read")]
            } else {
                errors
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_are_letters_and_digits_only() {
        assert_eq!(
            words_of("Postgre SQL\"* OR x:y"),
            ["postgre", "sql", "or", "x", "y"]
        );
        assert!(words_of("\"*()").is_empty());
        assert_eq!(words_of("a b c d e f g h i j").len(), 8);
    }

    #[test]
    fn sources_take_only_http_https_and_git_urls() {
        assert!(check_location("git", "https://example.com/x.git", Some("v1.2")).is_ok());
        assert!(check_location("git", "git://127.0.0.1:9418/repo", None).is_ok());
        for (kind, url) in [
            ("git", "file:///etc"),
            ("git", "ssh://host/repo"),
            ("git", "ext::sh -c touch% /tmp/pwned"),
            ("http", "ftp://host/index.json"),
            ("http", "git://host/index.json"),
            ("folder", "relative/path"),
            ("folder", "/no/such/folder/here"),
            ("builtin", "/x"),
            ("zip", "https://x"),
        ] {
            assert!(check_location(kind, url, None).is_err(), "{kind} {url}");
        }
        let e =
            check_location("git", "https://x/y", Some("--upload-pack=evil")).expect_err("an error");
        assert!(e.to_string().starts_with("reference:"), "{e}");
        assert!(check_location("http", "https://x/i.json", Some("main")).is_err());
    }

    #[test]
    fn an_approval_widens_the_policy_by_exactly_what_was_declared() {
        use crate::extensions::manifest::Permissions;
        let strict = SecurityPolicy {
            allow_bind_mounts: false,
            ..SecurityPolicy::default()
        };
        let asked = Permissions {
            host_paths: vec!["/srv/media".into()],
            ..Permissions::default()
        };
        let g = granted(&strict, &asked);
        assert!(g.allow_bind_mounts && g.bind_roots == ["/srv/media"]);
        assert!(!g.allow_privileged && !g.allow_docker_socket && !g.allow_devices);
        let roots = SecurityPolicy {
            allow_bind_mounts: true,
            bind_roots: vec!["/data".into()],
            ..SecurityPolicy::default()
        };
        assert_eq!(granted(&roots, &asked).bind_roots, ["/data", "/srv/media"]);
        let socket = Permissions {
            docker_socket: true,
            ..Permissions::default()
        };
        let g = granted(&strict, &socket);
        assert!(g.allow_docker_socket && !g.allow_bind_mounts && !g.allow_privileged);
    }

    #[test]
    fn credentials_in_source_urls_are_refused() {
        let e = check_location("git", "https://user:token@example.com/r.git", None)
            .expect_err("refused");
        assert!(e.to_string().contains("user name or password"), "{e}");
        assert!(check_location("http", "https://example.com/a@b/index.json", None).is_ok());
    }

    #[test]
    fn newer_compares_semver() {
        assert!(newer("1.10.0", "1.9.0"));
        assert!(!newer("1.0.0", "1.0.0"));
        assert!(!newer("1.0.0-rc.1", "1.0.0"));
        assert!(!newer("x", "1.0.0"));
        assert!(!newer("1.0.0+b2", "1.0.0+b1"));
    }

    fn write(dir: &Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().expect("present")).expect("present");
            std::fs::write(p, text).expect("present");
        }
    }

    const MANIFEST: &str = "id: hello\nname: Hello\nversion: 1.0.0\nsummary: Says hello\ncategories: [Web, Tools]\ninputs:\n  - key: PORT\n    label: Port\n    type: port\n    default: \"8080\"\n";
    const TEMPLATE: &str =
        "services:\n  web:\n    image: nginx:1\n    ports:\n      - \"${PORT}:80\"\n";

    #[test]
    fn a_scan_lists_valid_and_invalid_extensions_with_their_errors() {
        let dir = tempfile::tempdir().expect("present");
        write(
            dir.path(),
            &[
                ("hello/orbitr.yaml", MANIFEST),
                ("hello/compose.yaml", TEMPLATE),
                ("hello/README.md", "# Hello"),
                ("hello/CHANGELOG.md", "## 1.0.0\n- first"),
                ("broken/orbitr.yaml", "id: broken\nname: [\n"),
                ("twin/orbitr.yaml", MANIFEST),
                ("twin/compose.yaml", TEMPLATE),
                ("not-an-extension/notes.txt", "x"),
            ],
        );
        let found = scan(dir.path()).expect("present");
        assert_eq!(found.len(), 3, "{found:?}");
        let broken = found
            .iter()
            .find(|s| s.ext_id == "broken")
            .expect("present");
        let errors = broken.errors.as_ref().expect("present");
        assert!(errors[0].starts_with("broken/orbitr.yaml:"), "{errors:?}");
        let hello = found.iter().find(|s| s.ext_id == "hello").expect("present");
        assert!(hello.errors.is_none(), "{:?}", hello.errors);
        assert_eq!(hello.categories, ",web,tools,");
        assert!(hello.changelog.contains("first"));
        let twin = found
            .iter()
            .find(|s| s.ext_id.starts_with("hello@"))
            .expect("present");
        assert!(twin.errors.as_ref().expect("present")[0].contains("already used by hello"));
    }

    #[test]
    fn an_index_cannot_write_outside_its_folder() {
        let dir = tempfile::tempdir().expect("present");
        let index: Index = serde_json::from_str(
            r#"{"extensions":[{"path":"ok","files":{"orbitr.yaml":"x"}},{"path":"../escape","files":{"a":"b"}}]}"#,
        )
        .expect("present");
        let err = write_index(dir.path(), &index).expect_err("an error");
        assert!(err.contains("extensions[1].path"), "{err}");
        let index: Index =
            serde_json::from_str(r#"{"extensions":[{"path":"ok","files":{"../../etc/x":"b"}}]}"#)
                .expect("present");
        assert!(
            write_index(dir.path(), &index)
                .expect_err("an error")
                .contains("extensions[0].files")
        );
        assert!(
            !dir.path()
                .parent()
                .expect("present")
                .join("escape")
                .exists()
        );
    }
}
