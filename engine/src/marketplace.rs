//! The marketplace: extension sources synced into a searchable catalog, installs as stack
//! deploys (requirements first, failures leaving nothing behind, host access approved by a
//! platform admin), updates that keep the form's values, uninstalls, reviews and install
//! counts.
//!
//! Sources are the built-in `extensions/` folder, a folder on the server, a git repository
//! (shallow clone of a branch or tag) or an HTTP JSON index; every entry is checked like
//! `orbitr ext validate` and listed with its errors when it fails. Search is SQLite FTS5 or
//! PostgreSQL's text search.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use compose::ProjectName;
use compose::diag::{Diagnostic, Pos, join_key};
use compose::load::{Options, load};
use compose::policy::{SecurityPolicy, check_project};
use tokio::sync::oneshot;

use crate::db::{Database, DbError, now_ms};
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
use crate::on_pool;
use crate::stacks::{Operation, OperationRequest, StackError, Stacks};
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

/// An installed app as stored.
#[derive(Debug, Clone)]
struct AppRow {
    id: String,
    workspace: String,
    stack: String,
    ext_id: String,
    source: String,
    version: String,
    inputs: String,
    manifest: String,
    status: String,
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

type AppTuple = (
    String,
    String,
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
    String,
    Option<String>,
    String,
);

fn app_row(t: AppTuple) -> AppRow {
    AppRow {
        id: t.0,
        workspace: t.1,
        stack: t.2,
        ext_id: t.3,
        source: t.4,
        version: t.5,
        inputs: t.6,
        manifest: t.7,
        status: t.8,
        error: t.9,
        required_by: t.10,
        created_at: t.11,
        created_by: t.12,
        approved_by: t.13,
        template: t.14,
    }
}

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

    // ----- sources -----

    /// Registers the built-in folder as the `Official` source (once) and syncs every source
    /// that was never synced. Returns the sync failures, by source name.
    pub async fn start(&self) -> Result<Vec<(String, String)>, MarketError> {
        if let Some(dir) = &self.builtin {
            let location = dir.to_string_lossy().into_owned();
            let exists: Option<(String,)> = on_pool!(&self.db, |pool| {
                sqlx::query_as("SELECT id FROM extension_sources WHERE kind = 'builtin'")
                    .fetch_optional(pool)
                    .await?
            });
            match exists {
                Some((id,)) => on_pool!(&self.db, |pool| {
                    sqlx::query("UPDATE extension_sources SET location = $1 WHERE id = $2")
                        .bind(&location)
                        .bind(&id)
                        .execute(pool)
                        .await?;
                }),
                None => {
                    self.insert_source("Official", "builtin", &location, None, "orbitr")
                        .await?;
                }
            }
        }
        let mut failures = Vec::new();
        for source in self.sources().await? {
            // The built-in folder changes with Orbitr's version: read it at every start.
            if (source.synced_at.is_none() || source.kind == "builtin")
                && let Err(e) = self.sync(&source.id).await
            {
                failures.push((source.name, e.to_string()));
            }
        }
        self.refresh_catalog().await?;
        Ok(failures)
    }

    async fn insert_source(
        &self,
        name: &str,
        kind: &str,
        location: &str,
        reference: Option<&str>,
        actor: &str,
    ) -> Result<String, MarketError> {
        let id = uuid::Uuid::now_v7().to_string();
        let inserted = on_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO extension_sources (id, name, kind, location, reference, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&id)
            .bind(name)
            .bind(kind)
            .bind(location)
            .bind(reference)
            .bind(now_ms())
            .bind(actor)
            .execute(pool)
            .await
            .map(|_| ())
        });
        match inserted {
            Ok(()) => Ok(id),
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => Err(invalid(
                "name",
                format!("a source named {name:?} exists already"),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Every source with its counts.
    pub async fn sources(&self) -> Result<Vec<SourceView>, MarketError> {
        type SourceTuple = (
            String,
            String,
            String,
            String,
            Option<String>,
            i64,
            Option<i64>,
            Option<String>,
            i64,
            i64,
        );
        let rows: Vec<SourceTuple> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT s.id, s.name, s.kind, s.location, s.reference, s.created_at, s.synced_at, s.sync_error, \
                 COUNT(e.ext_id), COALESCE(SUM(CASE WHEN e.errors IS NULL THEN 0 ELSE 1 END), 0) \
                 FROM extension_sources s LEFT JOIN extension_entries e ON e.source_id = s.id \
                 GROUP BY s.id, s.name, s.kind, s.location, s.reference, s.created_at, s.synced_at, s.sync_error \
                 ORDER BY (s.kind = 'builtin') DESC, s.created_at",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| SourceView {
                id: r.0,
                name: r.1,
                kind: r.2,
                location: r.3,
                reference: r.4,
                created_at: r.5,
                synced_at: r.6,
                sync_error: r.7,
                extensions: u32::try_from(r.8).unwrap_or(u32::MAX),
                invalid: u32::try_from(r.9).unwrap_or(u32::MAX),
            })
            .collect())
    }

    async fn source(&self, key: &str) -> Result<SourceView, MarketError> {
        self.sources()
            .await?
            .into_iter()
            .find(|s| s.id == key || s.name == key)
            .ok_or_else(|| MarketError::NotFound("source".into()))
    }

    /// Adds a source and syncs it; a source that cannot be read is not added.
    pub async fn add_source(
        &self,
        form: &NewSource,
        actor: &str,
    ) -> Result<(SourceView, SyncReport), MarketError> {
        let name = form.name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(invalid(
                "name",
                "give the source a name of 1 to 64 characters",
            ));
        }
        let location = form.location.trim();
        let reference = form
            .reference
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        check_location(&form.kind, location, reference)?;
        let id = self
            .insert_source(name, &form.kind, location, reference, actor)
            .await?;
        match self.sync(&id).await {
            Ok(report) => Ok((self.source(&id).await?, report)),
            Err(e) => {
                let _ = self.delete_source_rows(&id).await;
                Err(e)
            }
        }
    }

    /// Removes a source and its entries (apps installed from it stay). The built-in one stays.
    pub async fn remove_source(&self, key: &str) -> Result<SourceView, MarketError> {
        let _one_at_a_time = self.syncing.lock().await;
        let source = self.source(key).await?;
        if source.kind == "builtin" {
            return Err(MarketError::Conflict(
                "the built-in source ships with Orbitr and cannot be removed".into(),
            ));
        }
        self.delete_source_rows(&source.id).await?;
        let _ = tokio::fs::remove_dir_all(self.cache.join(&source.id)).await;
        self.refresh_catalog().await?;
        Ok(source)
    }

    async fn delete_source_rows(&self, id: &str) -> Result<(), MarketError> {
        match &self.db {
            Database::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("DELETE FROM extension_search WHERE rowid IN (SELECT rowid FROM extension_entries WHERE source_id = $1)")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM extension_sources WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Database::Postgres(pool) => {
                sqlx::query("DELETE FROM extension_sources WHERE id = $1")
                    .bind(id)
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Syncs every source; failures are recorded on their source.
    pub async fn sync_all(&self) -> Vec<(String, Result<SyncReport, String>)> {
        let mut out = Vec::new();
        if let Ok(sources) = self.sources().await {
            for s in sources {
                let r = self.sync(&s.id).await.map_err(|e| e.to_string());
                out.push((s.name, r));
            }
        }
        out
    }

    /// Reads a source again and replaces its entries in one transaction. A failure keeps the
    /// entries of the last sync and is recorded on the source.
    pub async fn sync(&self, key: &str) -> Result<SyncReport, MarketError> {
        let _one_at_a_time = self.syncing.lock().await;
        let started = Instant::now();
        let source = self.source(key).await?;
        let scanned = match self.fetch(&source).await {
            Ok(folder) => tokio::task::spawn_blocking(move || scan(&folder))
                .await
                .map_err(|e| MarketError::Source(format!("reading the source failed: {e}")))
                .and_then(|r| r.map_err(MarketError::Source)),
            Err(e) => Err(e),
        };
        let scanned = match scanned {
            Ok(s) => s,
            Err(e) => {
                on_pool!(&self.db, |pool| {
                    sqlx::query("UPDATE extension_sources SET sync_error = $1 WHERE id = $2")
                        .bind(e.to_string())
                        .bind(&source.id)
                        .execute(pool)
                        .await?;
                });
                return Err(e);
            }
        };
        let invalid = scanned.iter().filter(|s| s.errors.is_some()).count();
        self.store(&source.id, &scanned).await?;
        self.refresh_catalog().await?;
        Ok(SyncReport {
            source: source.name,
            extensions: u32::try_from(scanned.len()).unwrap_or(u32::MAX),
            invalid: u32::try_from(invalid).unwrap_or(u32::MAX),
            millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// The folder holding the source's extensions, fetched when it is remote.
    async fn fetch(&self, source: &SourceView) -> Result<PathBuf, MarketError> {
        match source.kind.as_str() {
            "builtin" | "folder" => {
                let dir = PathBuf::from(&source.location);
                if !dir.is_dir() {
                    return Err(MarketError::Source(format!(
                        "{} is not a folder on the server",
                        dir.display()
                    )));
                }
                Ok(dir)
            }
            "git" => self.clone_git(source).await.map_err(MarketError::Source),
            "http" => self
                .download_index(source)
                .await
                .map_err(MarketError::Source),
            other => Err(MarketError::Source(format!("unknown source kind {other}"))),
        }
    }

    /// A fresh folder beside the cache, moved into place once complete.
    async fn staging(&self, source: &SourceView) -> Result<PathBuf, String> {
        let dir = self
            .cache
            .join(format!(".{}-{}", source.id, uuid::Uuid::now_v7()));
        tokio::fs::create_dir_all(&self.cache)
            .await
            .map_err(|e| format!("{}: {e}", self.cache.display()))?;
        Ok(dir)
    }

    async fn put_in_place(&self, source: &SourceView, staged: &Path) -> Result<PathBuf, String> {
        let target = self.cache.join(&source.id);
        let _ = tokio::fs::remove_dir_all(&target).await;
        tokio::fs::rename(staged, &target)
            .await
            .map_err(|e| format!("{}: {e}", target.display()))?;
        Ok(target)
    }

    async fn clone_git(&self, source: &SourceView) -> Result<PathBuf, String> {
        let staged = self.staging(source).await?;
        let mut cmd = tokio::process::Command::new("git");
        cmd.env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_ALLOW_PROTOCOL", "http:https:git")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            // No user configuration either (filters such as LFS, hooks, credential helpers).
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .args([
                "-c",
                "core.symlinks=false",
                "clone",
                "--quiet",
                "--depth",
                "1",
            ])
            .args(["--single-branch", "--no-tags"]);
        if let Some(reference) = &source.reference {
            cmd.args(["--branch", reference]);
        }
        cmd.arg("--")
            .arg(&source.location)
            .arg(&staged)
            .kill_on_drop(true)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let child = cmd.spawn().map_err(|e| format!("cannot run git: {e}"))?;
        let output = match tokio::time::timeout(self.limits.timeout, child.wait_with_output()).await
        {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => {
                let _ = tokio::fs::remove_dir_all(&staged).await;
                return Err(format!("git failed: {e}"));
            }
            Err(_) => {
                let _ = tokio::fs::remove_dir_all(&staged).await;
                return Err(format!(
                    "cloning {} took longer than {} s",
                    source.location,
                    self.limits.timeout.as_secs()
                ));
            }
        };
        if !output.status.success() {
            let _ = tokio::fs::remove_dir_all(&staged).await;
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            return Err(format!(
                "cloning {} failed: {}",
                source.location,
                last.trim()
            ));
        }
        let _ = tokio::fs::remove_dir_all(staged.join(".git")).await;
        let size = folder_size(&staged);
        if size > self.limits.max_bytes {
            let _ = tokio::fs::remove_dir_all(&staged).await;
            return Err(format!(
                "the repository holds {size} bytes; at most {} are accepted",
                self.limits.max_bytes
            ));
        }
        self.put_in_place(source, &staged).await
    }

    async fn download_index(&self, source: &SourceView) -> Result<PathBuf, String> {
        use futures::StreamExt;
        let client = reqwest::Client::builder()
            .timeout(self.limits.timeout)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| e.to_string())?;
        let response = client
            .get(&source.location)
            .send()
            .await
            .map_err(|e| format!("fetching {} failed: {e}", source.location))?;
        if !response.status().is_success() {
            return Err(format!(
                "fetching {} answered {}",
                source.location,
                response.status()
            ));
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| format!("reading {} failed: {e}", source.location))?;
            if (body.len() + chunk.len()) as u64 > self.limits.max_bytes {
                return Err(format!(
                    "the index is larger than {} bytes",
                    self.limits.max_bytes
                ));
            }
            body.extend_from_slice(&chunk);
        }
        let index: Index = serde_json::from_slice(&body)
            .map_err(|e| format!("{} is not an extension index: {e}", source.location))?;
        let staged = self.staging(source).await?;
        let written = write_index(&staged, &index);
        if let Err(e) = written {
            let _ = tokio::fs::remove_dir_all(&staged).await;
            return Err(e);
        }
        self.put_in_place(source, &staged).await
    }

    async fn store(&self, source: &str, scanned: &[Scanned]) -> Result<(), MarketError> {
        let previous: Vec<(String, String, i64)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT ext_id, version, updated_at FROM extension_entries WHERE source_id = $1",
            )
            .bind(source)
            .fetch_all(pool)
            .await?
        });
        let previous: HashMap<String, (String, i64)> = previous
            .into_iter()
            .map(|(id, v, at)| (id, (v, at)))
            .collect();
        let now = now_ms();
        let updated = |s: &Scanned| match previous.get(&s.ext_id) {
            Some((v, at)) if *v == s.version => *at,
            _ => now,
        };
        const INSERT: &str = "INSERT INTO extension_entries (source_id, ext_id, version, name, summary, description, categories, icon, manifest, template, readme, changelog, errors, updated_at) ";
        // SQLite keeps its full-text index itself; PostgreSQL's is a column of the entries.
        let sqlite = matches!(self.db, Database::Sqlite(_));
        on_pool!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            if sqlite {
                sqlx::query("DELETE FROM extension_search WHERE rowid IN (SELECT rowid FROM extension_entries WHERE source_id = $1)")
                    .bind(source)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM extension_entries WHERE source_id = $1")
                .bind(source)
                .execute(&mut *tx)
                .await?;
            for chunk in scanned.chunks(500) {
                let mut q = sqlx::QueryBuilder::new(INSERT);
                q.push_values(chunk, |mut b, s| {
                    b.push_bind(source)
                        .push_bind(&s.ext_id)
                        .push_bind(&s.version)
                        .push_bind(&s.name)
                        .push_bind(&s.summary)
                        .push_bind(&s.description)
                        .push_bind(&s.categories)
                        .push_bind(&s.icon)
                        .push_bind(&s.manifest)
                        .push_bind(&s.template)
                        .push_bind(&s.readme)
                        .push_bind(&s.changelog)
                        .push_bind(errors_json(s))
                        .push_bind(updated(s));
                });
                q.build().execute(&mut *tx).await?;
            }
            if sqlite {
                sqlx::query("INSERT INTO extension_search (rowid, name, summary, categories, description) \
                             SELECT rowid, name, summary, categories, description FROM extension_entries WHERE source_id = $1")
                    .bind(source)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "UPDATE extension_sources SET synced_at = $1, sync_error = NULL WHERE id = $2",
            )
            .bind(now)
            .bind(source)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Rebuilds the in-memory catalog from the database.
    async fn refresh_catalog(&self) -> Result<(), MarketError> {
        type LoadTuple = (
            i64,
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
            String,
        );
        let rowid = match self.db {
            Database::Sqlite(_) => "e.rowid",
            Database::Postgres(_) => "CAST(0 AS BIGINT)",
        };
        let sql = format!(
            "SELECT {rowid}, e.source_id, s.name, e.ext_id, e.name, e.version, e.summary, e.categories, e.icon, e.errors, e.updated_at, e.description \
             FROM extension_entries e JOIN extension_sources s ON s.id = e.source_id"
        );
        let rows: Vec<LoadTuple> = on_pool!(&self.db, |pool| {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        let rows = rows
            .into_iter()
            .map(|t| CatalogRow {
                rowid: t.0,
                card: card((
                    t.1, t.2, t.3, t.4, t.5, t.6, t.7, t.8, t.9, t.10, 0, None, 0,
                )),
                description: t.11,
            })
            .collect();
        let mut catalog = Catalog::new(rows);
        let (installs, ratings) = self.stats().await?;
        catalog.set_stats(&installs, &ratings);
        if let Ok(mut c) = self.catalog.write() {
            *c = Arc::new(catalog);
        }
        Ok(())
    }

    /// Install counts and (average, count) of ratings, by extension id.
    #[allow(clippy::type_complexity)]
    async fn stats(
        &self,
    ) -> Result<(HashMap<String, i64>, HashMap<String, (f64, i64)>), MarketError> {
        let (installs, ratings): (Vec<(String, i64)>, Vec<(String, f64, i64)>) = on_pool!(
            &self.db,
            |pool| {
                let installs = sqlx::query_as("SELECT ext_id, installs FROM extension_counts")
                    .fetch_all(pool)
                    .await?;
                let ratings = sqlx::query_as(
                    "SELECT ext_id, CAST(AVG(rating) AS DOUBLE PRECISION), COUNT(*) FROM extension_reviews GROUP BY ext_id",
                )
                .fetch_all(pool)
                .await?;
                (installs, ratings)
            }
        );
        Ok((
            installs.into_iter().collect(),
            ratings.into_iter().map(|(k, a, n)| (k, (a, n))).collect(),
        ))
    }

    /// Refreshes install counts and ratings in the in-memory catalog.
    async fn refresh_stats(&self) -> Result<(), MarketError> {
        let (installs, ratings) = self.stats().await?;
        if let Ok(mut c) = self.catalog.write() {
            // Entries are shared with searches under way: update a copy.
            let mut next = Catalog::clone(c.as_ref());
            next.set_stats(&installs, &ratings);
            *c = Arc::new(next);
        }
        Ok(())
    }

    // ----- catalog -----

    /// Searches the catalog: the full-text index finds the entries matching the words, the
    /// in-memory catalog filters, ranks and pages them.
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchPage, MarketError> {
        let words = words_of(query.q.as_deref().unwrap_or(""));
        let catalog = self
            .catalog
            .read()
            .map(|c| Arc::clone(&c))
            .unwrap_or_default();
        let matched = if words.is_empty() {
            None
        } else {
            Some(self.matching(&words, &catalog).await?)
        };
        catalog
            .query(query, matched, &words)
            .map_err(|m| invalid("sort", m))
    }

    /// Positions in `catalog` of the entries whose text has every word (as a prefix), from the
    /// database's full-text index, in one row.
    async fn matching(
        &self,
        words: &[String],
        catalog: &Catalog,
    ) -> Result<Vec<usize>, MarketError> {
        match &self.db {
            Database::Sqlite(pool) => {
                let q = words
                    .iter()
                    .map(|w| format!("\"{w}\"*"))
                    .collect::<Vec<_>>()
                    .join(" ");
                let (ids,): (Option<String>,) = sqlx::query_as(
                    "SELECT group_concat(rowid) FROM extension_search WHERE extension_search MATCH $1",
                )
                .bind(q)
                .fetch_one(pool)
                .await?;
                let ids = ids.unwrap_or_default();
                Ok(catalog.by_rowids(ids.split(',').filter_map(|r| r.parse().ok())))
            }
            Database::Postgres(pool) => {
                let q = words
                    .iter()
                    .map(|w| format!("{w}:*"))
                    .collect::<Vec<_>>()
                    .join(" & ");
                let (keys,): (Option<String>,) = sqlx::query_as(
                    "SELECT string_agg(source_id || chr(31) || ext_id, chr(30)) FROM extension_entries \
                     WHERE search @@ to_tsquery('simple', $1)",
                )
                .bind(q)
                .fetch_one(pool)
                .await?;
                let keys = keys.unwrap_or_default();
                Ok(catalog.by_keys(keys.split('\u{1e}').filter_map(|k| k.split_once('\u{1f}'))))
            }
        }
    }

    /// The entry of `ext_id` in `source`, or in the first source that has it (valid ones
    /// first, the built-in source first).
    async fn entry(&self, ext_id: &str, source: Option<&str>) -> Result<Entry, MarketError> {
        type EntryTuple = (
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            Option<String>,
        );
        let found: Option<EntryTuple> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT e.source_id, e.ext_id, e.version, e.manifest, e.template, e.readme, e.changelog, e.errors \
                 FROM extension_entries e JOIN extension_sources s ON s.id = e.source_id \
                 WHERE e.ext_id = $1 AND ($2 = '' OR e.source_id = $2 OR s.name = $2) \
                 ORDER BY (e.errors IS NULL) DESC, (s.kind = 'builtin') DESC, s.created_at LIMIT 1",
            )
            .bind(ext_id)
            .bind(source.unwrap_or(""))
            .fetch_optional(pool)
            .await?
        });
        let t = found.ok_or_else(|| MarketError::NotFound("extension".into()))?;
        Ok(Entry {
            source: t.0,
            ext_id: t.1,
            version: t.2,
            manifest_text: t.3,
            template: t.4,
            readme: t.5,
            changelog: t.6,
            errors: t.7.and_then(|e| serde_json::from_str(&e).ok()),
        })
    }

    async fn card_of(&self, ext_id: &str, source: &str) -> Result<ExtensionCard, MarketError> {
        let sql = format!(
            "{CARD_SELECT} FROM extension_entries e {CARD_JOINS} WHERE e.ext_id = $1 AND e.source_id = $2"
        );
        let row: Option<CardTuple> = on_pool!(&self.db, |pool| {
            sqlx::query_as(&sql)
                .bind(ext_id)
                .bind(source)
                .fetch_optional(pool)
                .await?
        });
        row.map(card)
            .ok_or_else(|| MarketError::NotFound("extension".into()))
    }

    /// One extension with its README and changelog rendered.
    pub async fn detail(
        &self,
        ext_id: &str,
        source: Option<&str>,
    ) -> Result<ExtensionDetail, MarketError> {
        let entry = self.entry(ext_id, source).await?;
        let card = self.card_of(&entry.ext_id, &entry.source).await?;
        let manifest = entry.manifest().ok();
        Ok(ExtensionDetail {
            card,
            manifest,
            readme_html: to_html(&entry.readme),
            changelog_html: to_html(&entry.changelog),
        })
    }

    /// Every installable version of these extensions, for resolving requirements.
    async fn candidates(&self, root: &Manifest) -> Result<Vec<Candidate>, MarketError> {
        let mut wanted: Vec<String> = root.requires.iter().map(|r| r.id.clone()).collect();
        let mut seen: Vec<String> = Vec::new();
        let mut out = Vec::new();
        while let Some(id) = wanted.pop() {
            if seen.contains(&id) || seen.len() > 64 {
                continue;
            }
            seen.push(id.clone());
            let rows: Vec<(String, String, String)> = on_pool!(&self.db, |pool| {
                sqlx::query_as(
                    "SELECT source_id, version, manifest FROM extension_entries WHERE ext_id = $1 AND errors IS NULL",
                )
                .bind(&id)
                .fetch_all(pool)
                .await?
            });
            for (source, version, text) in rows {
                if let (Some(m), _) = manifest::parse(&text) {
                    wanted.extend(m.requires.iter().map(|r| r.id.clone()));
                    out.push(Candidate {
                        id: id.clone(),
                        version,
                        source,
                        requires: m.requires,
                    });
                }
            }
        }
        Ok(out)
    }

    // ----- installs -----

    async fn app(&self, id: &str) -> Result<AppRow, MarketError> {
        let row: Option<AppTuple> = on_pool!(&self.db, |pool| {
            sqlx::query_as(&format!(
                "SELECT {APP_COLUMNS} FROM extension_installs WHERE id = $1 OR stack_name = $1"
            ))
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        row.map(app_row)
            .ok_or_else(|| MarketError::NotFound("app".into()))
    }

    async fn app_rows(&self, workspaces: Option<&[String]>) -> Result<Vec<AppRow>, MarketError> {
        let rows: Vec<AppTuple> = on_pool!(&self.db, |pool| {
            sqlx::query_as(&format!(
                "SELECT {APP_COLUMNS} FROM extension_installs ORDER BY created_at"
            ))
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(app_row)
            .filter(|r| workspaces.is_none_or(|ws| ws.contains(&r.workspace)))
            .collect())
    }

    /// The workspace an app belongs to (by app id or stack name).
    pub async fn app_workspace(&self, id: &str) -> Result<String, MarketError> {
        Ok(self.app(id).await?.workspace)
    }

    async fn view(&self, row: &AppRow) -> Result<AppView, MarketError> {
        let manifest = manifest::parse(&row.manifest).0;
        let latest: Option<(String,)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT version FROM extension_entries WHERE source_id = $1 AND ext_id = $2 AND errors IS NULL",
            )
            .bind(&row.source)
            .bind(&row.ext_id)
            .fetch_optional(pool)
            .await?
        });
        let latest = latest.map(|(v,)| v).filter(|v| newer(v, &row.version));
        let stack_id = self.stacks.get(&row.stack).await.ok().map(|s| s.id);
        let containers = if stack_id.is_some() {
            self.docker
                .containers()
                .filtered(|c| c.stack.as_deref() == Some(row.stack.as_str()))
        } else {
            Vec::new()
        };
        let running = containers.iter().filter(|c| c.is_up()).count();
        let mut links = Vec::new();
        for e in manifest.iter().flat_map(|m| m.exposes.iter()) {
            let port = containers
                .iter()
                .filter(|c| c.service.as_deref() == Some(e.service.as_str()))
                .flat_map(|c| c.ports.iter())
                .find(|p| p.container_port == e.port && p.host_port != 0);
            if let Some(p) = port {
                links.push(AppLink {
                    label: if e.label.is_empty() {
                        e.service.clone()
                    } else {
                        e.label.clone()
                    },
                    host_port: p.host_port,
                    protocol: e.protocol.clone(),
                    path: e.path.clone(),
                });
            }
        }
        Ok(AppView {
            id: row.id.clone(),
            workspace: row.workspace.clone(),
            stack: row.stack.clone(),
            stack_id,
            extension: row.ext_id.clone(),
            name: manifest
                .as_ref()
                .map_or_else(|| row.ext_id.clone(), |m| m.name.clone()),
            icon: manifest.as_ref().and_then(|m| m.icon.clone()),
            source: row.source.clone(),
            version: row.version.clone(),
            status: row.status.clone(),
            error: row.error.clone(),
            latest,
            required_by: row.required_by.clone(),
            running: u32::try_from(running).unwrap_or(u32::MAX),
            containers: u32::try_from(containers.len()).unwrap_or(u32::MAX),
            links,
            permissions: manifest.map(|m| m.permissions).unwrap_or_default(),
            created_at: row.created_at,
            created_by: row.created_by.clone(),
            approved_by: row.approved_by.clone(),
        })
    }

    /// Apps installed in these workspaces (all when `None`).
    pub async fn apps(&self, workspaces: Option<&[String]>) -> Result<Vec<AppView>, MarketError> {
        let mut out = Vec::new();
        for row in self.app_rows(workspaces).await? {
            out.push(self.view(&row).await?);
        }
        Ok(out)
    }

    /// One installed app.
    pub async fn app_view(&self, id: &str) -> Result<AppView, MarketError> {
        let row = self.app(id).await?;
        self.view(&row).await
    }

    /// What installing would do: the requirement steps and the extension, and whether a
    /// platform admin has to approve it.
    pub async fn plan(
        &self,
        workspace: &str,
        form: &InstallForm,
        admin: bool,
    ) -> Result<InstallPlan, MarketError> {
        let (steps, _) = self.resolve(workspace, form).await?;
        let mut out = Vec::new();
        let mut needs_approval = false;
        for (step, entry, manifest, stack) in steps {
            let reuse = match step {
                Step::Reuse { app, .. } => Some(app),
                Step::Install(_) => {
                    needs_approval |= !admin && manifest.permissions.any();
                    None
                }
            };
            out.push(PlanStep {
                extension: entry.ext_id.clone(),
                name: manifest.name.clone(),
                version: entry.version.clone(),
                source: entry.source.clone(),
                stack,
                reuse,
                permissions: manifest.permissions.clone(),
            });
        }
        Ok(InstallPlan {
            steps: out,
            needs_approval,
        })
    }

    /// Resolves the install: each step with its entry, manifest and stack name, and the root's
    /// checked values.
    #[allow(clippy::type_complexity)]
    async fn resolve(
        &self,
        workspace: &str,
        form: &InstallForm,
    ) -> Result<
        (
            Vec<(Step, Entry, Manifest, String)>,
            BTreeMap<String, String>,
        ),
        MarketError,
    > {
        let stack = ProjectName::parse(form.stack.trim())
            .map_err(|e| invalid("stack", e.to_string()))?
            .to_string();
        let entry = self.entry(&form.extension, form.source.as_deref()).await?;
        let root = entry.manifest()?;
        let values = check_values(&root.inputs, &form.inputs).map_err(|errors| {
            MarketError::Diagnostics(
                errors
                    .into_iter()
                    .map(|e| {
                        Diagnostic::error(join_key("inputs", &e.key), Pos::default(), e.message)
                    })
                    .collect(),
            )
        })?;
        let installed: Vec<Installed> = self
            .app_rows(Some(&[workspace.to_owned()]))
            .await?
            .into_iter()
            .filter(|a| a.status == "installed")
            .map(|a| Installed {
                app: a.id,
                extension: a.ext_id,
                version: a.version,
            })
            .collect();
        let catalog = self.candidates(&root).await?;
        let steps = resolve::resolve(&entry.candidate(&root), &catalog, &installed)
            .map_err(MarketError::Conflict)?;
        let mut out = Vec::new();
        for step in steps {
            match &step {
                Step::Install(c) if c.id == root.id && c.source == entry.source => {
                    out.push((step, entry.clone(), root.clone(), stack.clone()));
                }
                Step::Install(c) => {
                    let e = self.entry(&c.id, Some(&c.source)).await?;
                    let m = e.manifest()?;
                    let name = format!("{stack}-{}", c.id);
                    out.push((step, e, m, name));
                }
                Step::Reuse { extension, app } => {
                    let row = self.app(app).await?;
                    let e = self
                        .entry(extension, Some(&row.source))
                        .await
                        .unwrap_or(Entry {
                            source: row.source.clone(),
                            ext_id: row.ext_id.clone(),
                            version: row.version.clone(),
                            manifest_text: row.manifest.clone(),
                            template: String::new(),
                            readme: String::new(),
                            changelog: String::new(),
                            errors: None,
                        });
                    let m = manifest::parse(&row.manifest).0.ok_or_else(|| {
                        MarketError::Conflict(format!("{app}'s manifest no longer reads"))
                    })?;
                    let e = Entry {
                        version: row.version.clone(),
                        ..e
                    };
                    out.push((step, e, m, row.stack));
                }
            }
        }
        Ok((out, values))
    }

    /// Installs an extension into a workspace: requirements first, each as a stack deployed in
    /// turn. Everything is checked before anything is created; when a deploy fails, every stack
    /// this install made is taken down with its volumes and deleted, and the app is left as
    /// `failed` with the reason. Host access asked by a non-admin waits for approval.
    pub async fn install(
        &self,
        workspace: &str,
        form: &InstallForm,
        who: Installer<'_>,
    ) -> Result<Working<InstallStarted>, MarketError> {
        let (steps, values) = self.resolve(workspace, form).await?;
        let root_manifest = steps
            .last()
            .map(|s| s.2.clone())
            .ok_or_else(|| MarketError::Conflict("nothing to install".into()))?;
        let needs_approval = !who.admin
            && steps
                .iter()
                .any(|(s, _, m, _)| matches!(s, Step::Install(_)) && m.permissions.any());
        let status = if needs_approval {
            "awaiting_approval"
        } else {
            "installing"
        };
        let root_id = uuid::Uuid::now_v7().to_string();
        let mut launches = Vec::new();
        for (step, entry, manifest, stack) in steps {
            if !matches!(step, Step::Install(_)) {
                continue;
            }
            let is_root = stack == form.stack.trim();
            let values = if is_root {
                values.clone()
            } else {
                check_values(&manifest.inputs, &BTreeMap::new()).map_err(|errors| {
                    MarketError::Conflict(format!(
                        "{} requires {}, which needs a value for {}; install {} first",
                        root_manifest.id,
                        manifest.id,
                        errors
                            .iter()
                            .map(|e| e.key.clone())
                            .collect::<Vec<_>>()
                            .join(", "),
                        manifest.id
                    ))
                })?
            };
            self.check_stack_free(workspace, &stack).await?;
            launches.push(Launch {
                app: AppRow {
                    id: if is_root {
                        root_id.clone()
                    } else {
                        uuid::Uuid::now_v7().to_string()
                    },
                    workspace: workspace.to_owned(),
                    stack,
                    ext_id: entry.ext_id.clone(),
                    source: entry.source.clone(),
                    version: entry.version.clone(),
                    inputs: String::new(),
                    manifest: entry.manifest_text.clone(),
                    status: status.to_owned(),
                    error: None,
                    required_by: (!is_root).then(|| root_id.clone()),
                    created_at: now_ms(),
                    created_by: who.actor.to_owned(),
                    approved_by: None,
                    template: entry.template.clone(),
                },
                manifest,
                template: entry.template.clone(),
                values,
            });
        }
        check_ports(&root_manifest, &values)?;
        if needs_approval {
            let mut apps = Vec::new();
            let mut inserted: Vec<String> = Vec::new();
            for l in &mut launches {
                let step = async {
                    l.app.inputs = self.seal_values(&l.app.id, &l.values)?;
                    self.insert_app(&l.app).await
                }
                .await;
                if let Err(e) = step {
                    for id in &inserted {
                        let _ = self.delete_app(id).await;
                    }
                    return Err(e);
                }
                inserted.push(l.app.id.clone());
                apps.push(self.view(&l.app).await?);
            }
            let (tx, done) = oneshot::channel();
            let _ = tx.send(Ok(()));
            return Ok(Working {
                value: InstallStarted { apps },
                done,
            });
        }
        self.launch(launches, who.policy, false, who.actor).await
    }

    /// Installs straight from a git repository (platform admins): the repository becomes a
    /// source (or its existing source is synced again) and the extension is installed from it;
    /// `form.extension` may be left empty when the repository holds one extension.
    pub async fn install_from_git(
        &self,
        workspace: &str,
        url: &str,
        reference: Option<&str>,
        form: &InstallForm,
        who: Installer<'_>,
    ) -> Result<Working<InstallStarted>, MarketError> {
        if !who.admin {
            return Err(MarketError::Conflict(
                "only platform admins install from a git URL".into(),
            ));
        }
        let url = url.trim();
        let reference = reference.map(str::trim).filter(|r| !r.is_empty());
        let existing =
            self.sources().await?.into_iter().find(|s| {
                s.kind == "git" && s.location == url && s.reference.as_deref() == reference
            });
        let source = match existing {
            Some(s) => {
                self.sync(&s.id).await?;
                s.id
            }
            None => {
                let name = match reference {
                    Some(r) => format!("{url} @ {r}"),
                    None => url.to_owned(),
                };
                let source = NewSource {
                    name: name.chars().take(64).collect(),
                    kind: "git".into(),
                    location: url.to_owned(),
                    reference: reference.map(str::to_owned),
                };
                self.add_source(&source, who.actor).await?.0.id
            }
        };
        let extension = if form.extension.trim().is_empty() {
            let page = self
                .search(&SearchQuery {
                    source: Some(source.clone()),
                    limit: Some(2),
                    ..SearchQuery::default()
                })
                .await?;
            match page.items.as_slice() {
                [one] => one.id.clone(),
                [] => {
                    return Err(invalid(
                        "url",
                        format!("{url} holds no extension that can be installed"),
                    ));
                }
                _ => {
                    return Err(invalid(
                        "extension",
                        format!(
                            "{url} holds {} extensions; name the one to install",
                            page.total
                        ),
                    ));
                }
            }
        } else {
            form.extension.clone()
        };
        let form = InstallForm {
            extension,
            source: Some(source),
            ..form.clone()
        };
        self.install(workspace, &form, who).await
    }

    async fn check_stack_free(&self, workspace: &str, stack: &str) -> Result<(), MarketError> {
        // A failed install's record (in this workspace, its cleanup finished) gives its name back.
        if self.stacks.get(stack).await.is_err() {
            on_pool!(&self.db, |pool| {
                sqlx::query(
                    "DELETE FROM extension_installs WHERE stack_name = $1 AND status = 'failed' AND workspace_id = $2",
                )
                .bind(stack)
                .bind(workspace)
                .execute(pool)
                .await?;
            });
        }
        if self.app(stack).await.is_ok() || self.stacks.get(stack).await.is_ok() {
            return Err(MarketError::Stack(StackError::NameTaken(stack.to_owned())));
        }
        Ok(())
    }

    fn seal_values(
        &self,
        app: &str,
        values: &BTreeMap<String, String>,
    ) -> Result<String, MarketError> {
        let json = serde_json::to_string(values).unwrap_or_else(|_| "{}".into());
        Ok(self
            .vault
            .seal(&json, &format!("extension-install:{app}"))?)
    }

    /// The values of the secret inputs (typed or generated) of the app installed as `stack`;
    /// none when no app is. Pages mask them for members who may not change the stack.
    pub async fn stack_secrets(&self, stack: &str) -> Result<Vec<String>, MarketError> {
        let row = match self.app(stack).await {
            Ok(row) if row.stack == stack => row,
            Ok(_) | Err(MarketError::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let Some(manifest) = manifest::parse(&row.manifest).0 else {
            return Ok(Vec::new());
        };
        let values = self.open_values(&row)?;
        Ok(manifest
            .inputs
            .iter()
            .filter(|i| i.kind == manifest::InputKind::Secret)
            .filter_map(|i| values.get(&i.key).cloned())
            .filter(|v| !v.is_empty())
            .collect())
    }

    fn open_values(&self, app: &AppRow) -> Result<BTreeMap<String, String>, MarketError> {
        let json = self
            .vault
            .open_sealed(&app.inputs, &format!("extension-install:{}", app.id))?;
        Ok(serde_json::from_str(&json).unwrap_or_default())
    }

    async fn insert_app(&self, a: &AppRow) -> Result<(), MarketError> {
        on_pool!(&self.db, |pool| {
            sqlx::query(&format!(
                "INSERT INTO extension_installs ({APP_COLUMNS}, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $12)"
            ))
            .bind(&a.id)
            .bind(&a.workspace)
            .bind(&a.stack)
            .bind(&a.ext_id)
            .bind(&a.source)
            .bind(&a.version)
            .bind(&a.inputs)
            .bind(&a.manifest)
            .bind(&a.status)
            .bind(&a.error)
            .bind(&a.required_by)
            .bind(a.created_at)
            .bind(&a.created_by)
            .bind(&a.approved_by)
            .bind(&a.template)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    async fn set_status(
        &self,
        app: &str,
        status: &str,
        error: Option<&str>,
    ) -> Result<(), MarketError> {
        on_pool!(&self.db, |pool| {
            sqlx::query(
                "UPDATE extension_installs SET status = $1, error = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(status)
            .bind(error)
            .bind(now_ms())
            .bind(app)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Moves an app from status `from` to `to`, or says it is busy: two operations on one app
    /// never both go ahead.
    async fn claim(&self, row: &AppRow, from: &str, to: &str) -> Result<(), MarketError> {
        let done = on_pool!(&self.db, |pool| {
            sqlx::query(
                "UPDATE extension_installs SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
            )
            .bind(to)
            .bind(now_ms())
            .bind(&row.id)
            .bind(from)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if done == 1 {
            Ok(())
        } else {
            Err(MarketError::Conflict(format!(
                "{} is busy with another operation; try again when it ends",
                row.stack
            )))
        }
    }

    async fn delete_app(&self, app: &str) -> Result<(), MarketError> {
        on_pool!(&self.db, |pool| {
            sqlx::query("DELETE FROM extension_installs WHERE id = $1")
                .bind(app)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Renders and checks every app, creates their stacks (undoing all of it on any error),
    /// then deploys them in turn in the background.
    async fn launch(
        &self,
        mut launches: Vec<Launch>,
        policy: Option<&SecurityPolicy>,
        grant: bool,
        actor: &str,
    ) -> Result<Working<InstallStarted>, MarketError> {
        let mut rendered = Vec::new();
        // Each app's rules: the workspace's policy, widened by what an approval granted.
        let mut policies = Vec::new();
        for l in &mut launches {
            let policy = policy.map(|p| {
                if grant {
                    granted(p, &l.manifest.permissions)
                } else {
                    p.clone()
                }
            });
            let (compose, values) =
                render(&l.manifest, &l.template, &l.values).map_err(MarketError::Diagnostics)?;
            if let Some(policy) = &policy {
                let loaded = load(&l.manifest.template, &compose, &Options::default());
                if let Some(project) = &loaded.project {
                    let refused: Vec<Diagnostic> = check_project(project, policy)
                        .into_iter()
                        .filter(Diagnostic::is_error)
                        .map(|d| d.in_file(&l.manifest.template))
                        .collect();
                    if !refused.is_empty() {
                        return Err(MarketError::Diagnostics(refused));
                    }
                }
            }
            l.app.inputs = self.seal_values(&l.app.id, &values)?;
            l.values = values;
            rendered.push(compose);
            policies.push(policy);
        }
        // Volumes a stack name already has (kept by an uninstall): a failed install leaves them.
        let volumes = self.docker.volumes();
        let kept: Vec<bool> = launches
            .iter()
            .map(|l| {
                let prefix = format!("{}_", l.app.stack);
                volumes.iter().any(|v| v.name.starts_with(&prefix))
            })
            .collect();
        // (app id, whether its row was there before — an approved install —, its stack)
        let mut created: Vec<(String, bool, crate::stacks::StackRow)> = Vec::new();
        let mut failure = None;
        for (l, compose) in launches.iter().zip(&rendered) {
            let existed = self.app(&l.app.id).await.is_ok();
            let step = async {
                if existed {
                    on_pool!(&self.db, |pool| {
                        sqlx::query(
                            "UPDATE extension_installs SET status = 'installing', inputs = $1, error = NULL, updated_at = $2 WHERE id = $3",
                        )
                        .bind(&l.app.inputs)
                        .bind(now_ms())
                        .bind(&l.app.id)
                        .execute(pool)
                        .await?;
                    });
                } else {
                    self.insert_app(&l.app).await?;
                }
                self.stacks
                    .create(&l.app.workspace, &l.app.stack, compose, "", actor)
                    .await
                    .map_err(MarketError::from)
            }
            .await;
            match step {
                Ok(stack) => created.push((l.app.id.clone(), existed, stack)),
                Err(e) => {
                    failure = Some((l.app.id.clone(), existed, e));
                    break;
                }
            }
        }
        if let Some((failed_app, failed_existed, e)) = failure {
            // Undo: stacks deleted; an approved install waits for approval again, with why.
            let reason = e.to_string();
            let undo = created
                .iter()
                .rev()
                .map(|(app, existed, stack)| (app.clone(), *existed, Some(stack)))
                .chain(std::iter::once((failed_app, failed_existed, None)));
            for (app, existed, stack) in undo {
                if let Some(stack) = stack {
                    let _ = self.stacks.delete(stack).await;
                }
                if existed {
                    let _ = self
                        .set_status(&app, "awaiting_approval", Some(&reason))
                        .await;
                } else {
                    let _ = self.delete_app(&app).await;
                }
            }
            return Err(e);
        }
        let mut apps = Vec::new();
        for l in &launches {
            apps.push(self.view(&l.app).await?);
        }
        let (tx, done) = oneshot::channel();
        let this = self.clone();
        let actor = actor.to_owned();
        let order: Vec<Deploying> = launches
            .into_iter()
            .zip(created)
            .zip(policies.into_iter().zip(kept))
            .map(|((l, (_, _, stack)), (policy, kept_volumes))| Deploying {
                app: l.app,
                stack,
                policy,
                kept_volumes,
            })
            .collect();
        tokio::spawn(async move {
            let result = this.deploy_in_turn(&order, &actor).await;
            let _ = tx.send(result);
        });
        Ok(Working {
            value: InstallStarted { apps },
            done,
        })
    }

    async fn deploy_in_turn(&self, order: &[Deploying], actor: &str) -> Result<(), String> {
        for d in order {
            let app = &d.app;
            if let Err(reason) = self
                .deploy_once(&d.stack, None, d.policy.as_ref(), actor)
                .await
            {
                let why = format!("installing {} {} failed: {reason}", app.ext_id, app.version);
                // Leave nothing: every stack of this install goes, with the volumes it made.
                for other in order.iter().rev() {
                    let _ = self
                        .take_down(&other.stack, !other.kept_volumes, actor)
                        .await;
                    let _ = self.stacks.delete(&other.stack).await;
                    if other.app.required_by.is_some() {
                        let _ = self.delete_app(&other.app.id).await;
                    }
                }
                let root = order.last().map(|d| d.app.id.clone()).unwrap_or_default();
                let _ = self.set_status(&root, "failed", Some(&why)).await;
                return Err(why);
            }
            let _ = self.set_status(&app.id, "installed", None).await;
            let _ = on_pool!(&self.db, |pool| {
                sqlx::query(
                    "INSERT INTO extension_counts (ext_id, installs) VALUES ($1, 1) \
                     ON CONFLICT (ext_id) DO UPDATE SET installs = extension_counts.installs + 1",
                )
                .bind(&app.ext_id)
                .execute(pool)
                .await
                .map(|_| ())
            });
        }
        let _ = self.refresh_stats().await;
        Ok(())
    }

    /// Deploys the stack (a saved revision when given) and waits for the end.
    async fn deploy_once(
        &self,
        stack: &crate::stacks::StackRow,
        revision: Option<i64>,
        policy: Option<&SecurityPolicy>,
        actor: &str,
    ) -> Result<(), String> {
        let request = OperationRequest {
            revision,
            remove_orphans: true,
            ..OperationRequest::default()
        };
        let stack = self
            .stacks
            .get(&stack.id)
            .await
            .map_err(|e| e.to_string())?;
        let running = self
            .stacks
            .start(&stack, Operation::Deploy, &request, policy, actor)
            .await
            .map_err(|e| e.to_string())?;
        let record = running
            .done
            .await
            .map_err(|_| "the deploy ended without a result".to_owned())?;
        match record.brief.error {
            None if record.brief.status == "succeeded" => Ok(()),
            error => Err(error.unwrap_or_else(|| "the deploy failed".into())),
        }
    }

    async fn take_down(
        &self,
        stack: &crate::stacks::StackRow,
        volumes: bool,
        actor: &str,
    ) -> Result<(), String> {
        let request = OperationRequest {
            volumes,
            ..OperationRequest::default()
        };
        let running = self
            .stacks
            .start(stack, Operation::Down, &request, None, actor)
            .await
            .map_err(|e| e.to_string())?;
        let record = running
            .done
            .await
            .map_err(|_| "taking the stack down ended without a result".to_owned())?;
        match record.brief.error {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }

    /// Apps awaiting a platform admin's approval.
    pub async fn awaiting(&self) -> Result<Vec<AppView>, MarketError> {
        let mut out = Vec::new();
        for row in self.app_rows(None).await? {
            if row.status == "awaiting_approval" && row.required_by.is_none() {
                out.push(self.view(&row).await?);
            }
        }
        Ok(out)
    }

    /// A platform admin approves an install that asks for host access: it runs now, with no
    /// policy, requirements first.
    pub async fn approve(
        &self,
        app: &str,
        actor: &str,
        policy: &SecurityPolicy,
    ) -> Result<Working<InstallStarted>, MarketError> {
        let root = self.app(app).await?;
        // Claimed once: a second approval (a double click) finds it no longer waiting.
        let claimed = on_pool!(&self.db, |pool| {
            sqlx::query(
                "UPDATE extension_installs SET status = 'installing', approved_by = $1, updated_at = $2 \
                 WHERE id = $3 AND status = 'awaiting_approval' AND required_by IS NULL",
            )
            .bind(actor)
            .bind(now_ms())
            .bind(&root.id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if claimed != 1 {
            return Err(MarketError::Conflict(format!(
                "{} is {}, not awaiting approval",
                root.stack,
                root.status.replace('_', " ")
            )));
        }
        let mut rows: Vec<AppRow> = self
            .app_rows(Some(std::slice::from_ref(&root.workspace)))
            .await?
            .into_iter()
            .filter(|r| r.required_by.as_deref() == Some(root.id.as_str()))
            .collect();
        rows.push(root);
        let mut launches = Vec::new();
        for row in rows {
            let prepared = manifest::parse(&row.manifest)
                .0
                .ok_or_else(|| {
                    MarketError::Conflict(format!("{}'s manifest no longer reads", row.ext_id))
                })
                .and_then(|m| Ok((m, self.open_values(&row)?)));
            let (manifest, values) = match prepared {
                Ok(p) => p,
                Err(e) => {
                    let _ = self
                        .set_status(app, "awaiting_approval", Some(&e.to_string()))
                        .await;
                    return Err(e);
                }
            };
            // What was requested and approved, even if the source changed since.
            let template = row.template.clone();
            on_pool!(&self.db, |pool| {
                sqlx::query("UPDATE extension_installs SET approved_by = $1 WHERE id = $2")
                    .bind(actor)
                    .bind(&row.id)
                    .execute(pool)
                    .await?;
            });
            launches.push(Launch {
                app: row,
                manifest,
                template,
                values,
            });
        }
        // The workspace's policy still holds, widened by exactly the access the admin approved.
        self.launch(launches, Some(policy), true, actor).await
    }

    /// What updating an app to its source's version changes.
    pub async fn update_preview(&self, app: &str) -> Result<UpdatePreview, MarketError> {
        let row = self.app(app).await?;
        let entry = self.entry(&row.ext_id, Some(&row.source)).await?;
        let manifest = entry.manifest()?;
        let old = manifest::parse(&row.manifest).0;
        let new_inputs = manifest
            .inputs
            .iter()
            .filter(|i| {
                old.as_ref()
                    .is_none_or(|o| !o.inputs.iter().any(|x| x.key == i.key))
            })
            .cloned()
            .collect();
        Ok(UpdatePreview {
            from: row.version,
            to: entry.version,
            changelog_html: to_html(&entry.changelog),
            new_inputs,
            exposes: manifest.exposes,
            requires: manifest.requires,
        })
    }

    /// Updates an app to its source's newer version: the form's values kept, new inputs take
    /// their defaults, redeployed. A failed deploy goes back to the previous revision.
    pub async fn update(
        &self,
        app: &str,
        who: Installer<'_>,
    ) -> Result<Working<AppView>, MarketError> {
        let row = self.app(app).await?;
        if row.status != "installed" {
            return Err(MarketError::Conflict(format!(
                "{} is {}; only an installed app can be updated",
                row.stack, row.status
            )));
        }
        let entry = self.entry(&row.ext_id, Some(&row.source)).await?;
        if !newer(&entry.version, &row.version) {
            return Err(MarketError::Conflict(format!(
                "{} {} is the latest version in its source",
                row.ext_id, row.version
            )));
        }
        let manifest = entry.manifest()?;
        let old = manifest::parse(&row.manifest)
            .0
            .unwrap_or_else(|| manifest.clone());
        if !who.admin && manifest.permissions.any() && manifest.permissions != old.permissions {
            return Err(MarketError::Conflict(format!(
                "{} {} asks for different host access; a platform admin has to update it",
                row.ext_id, entry.version
            )));
        }
        let installed: Vec<Installed> = self
            .app_rows(Some(std::slice::from_ref(&row.workspace)))
            .await?
            .into_iter()
            .filter(|a| a.status == "installed")
            .map(|a| Installed {
                app: a.id,
                extension: a.ext_id,
                version: a.version,
            })
            .collect();
        let steps = resolve::resolve(&entry.candidate(&manifest), &[], &installed)
            .map_err(|e| MarketError::Conflict(format!("{e}; install it first, then update")))?;
        debug_assert!(
            steps
                .iter()
                .all(|s| !matches!(s, Step::Install(c) if c.id != manifest.id))
        );
        let mut values = self.open_values(&row)?;
        values.retain(|k, _| manifest.inputs.iter().any(|i| &i.key == k));
        let generated: BTreeMap<String, String> = values
            .iter()
            .filter(|(k, _)| {
                manifest
                    .inputs
                    .iter()
                    .any(|i| &i.key == *k && i.generate.is_some())
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let (compose, mut kept) =
            render(&manifest, &entry.template, &values).map_err(MarketError::Diagnostics)?;
        kept.extend(generated);
        // An approved app keeps the access it was granted, as long as it asks for no more.
        let policy: Option<SecurityPolicy> = who.policy.map(|p| {
            if row.approved_by.is_some() && manifest.permissions == old.permissions {
                granted(p, &manifest.permissions)
            } else {
                p.clone()
            }
        });
        if let Some(policy) = &policy {
            let loaded = load(&manifest.template, &compose, &Options::default());
            if let Some(project) = &loaded.project {
                let refused: Vec<Diagnostic> = check_project(project, policy)
                    .into_iter()
                    .filter(Diagnostic::is_error)
                    .collect();
                if !refused.is_empty() {
                    return Err(MarketError::Diagnostics(refused));
                }
            }
        }
        let stack = self.stacks.get(&row.stack).await?;
        let previous = stack.deployed_revision;
        self.claim(&row, "installed", "updating").await?;
        if let Err(e) = self.stacks.save(&stack, &compose, "", who.actor).await {
            let _ = self.set_status(&row.id, "installed", None).await;
            return Err(e.into());
        }
        let sealed = self.seal_values(&row.id, &kept)?;
        let (tx, done) = oneshot::channel();
        let this = self.clone();
        let template = entry.template.clone();
        let actor = who.actor.to_owned();
        let (to_version, to_manifest) = (entry.version.clone(), entry.manifest_text.clone());
        let row_for_task = row.clone();
        tokio::spawn(async move {
            let row = row_for_task;
            let result = match this
                .deploy_once(&stack, None, policy.as_ref(), &actor)
                .await
            {
                Ok(()) => {
                    let saved = on_pool!(&this.db, |pool| {
                        sqlx::query(
                            "UPDATE extension_installs SET version = $1, manifest = $2, inputs = $3, template = $6, status = 'installed', error = NULL, updated_at = $4 WHERE id = $5",
                        )
                        .bind(&to_version)
                        .bind(&to_manifest)
                        .bind(&sealed)
                        .bind(now_ms())
                        .bind(&row.id)
                        .bind(&template)
                        .execute(pool)
                        .await
                        .map(|_| ())
                    });
                    saved.map_err(|e| e.to_string())
                }
                Err(reason) => {
                    let mut why = format!("updating to {to_version} failed: {reason}");
                    if let Some(previous) = previous {
                        match this.deploy_once(&stack, Some(previous), None, &actor).await {
                            Ok(()) => why.push_str(&format!("; {} runs again", row.version)),
                            Err(e) => why.push_str(&format!(
                                "; going back to {} failed too: {e}",
                                row.version
                            )),
                        }
                    }
                    let _ = this.set_status(&row.id, "installed", Some(&why)).await;
                    Err(why)
                }
            };
            let _ = tx.send(result);
        });
        let value = self.app_view(&row.id).await?;
        Ok(Working { value, done })
    }

    /// Uninstalls an app: its stack taken down (volumes kept unless asked) and deleted. An app
    /// another installed app requires stays until that one goes.
    pub async fn uninstall(
        &self,
        app: &str,
        volumes: bool,
        actor: &str,
    ) -> Result<AppView, MarketError> {
        let row = self.app(app).await?;
        let view = self.view(&row).await?;
        match row.status.as_str() {
            "installing" | "updating" | "removing" => {
                return Err(MarketError::Conflict(format!(
                    "{} is {}; wait until it ends",
                    row.stack, row.status
                )));
            }
            "awaiting_approval" | "failed" => {
                // A failure whose cleanup did not finish: finish it now.
                if row.status == "failed"
                    && let Ok(stack) = self.stacks.get(&row.stack).await
                {
                    self.take_down(&stack, volumes, actor)
                        .await
                        .map_err(MarketError::Conflict)?;
                    self.stacks.delete(&stack).await?;
                }
                for dep in self
                    .app_rows(Some(std::slice::from_ref(&row.workspace)))
                    .await?
                {
                    if dep.required_by.as_deref() == Some(row.id.as_str())
                        && dep.status == "awaiting_approval"
                    {
                        self.delete_app(&dep.id).await?;
                    }
                }
                // Only while it still waits (or failed): an approval may have just started it.
                let gone = on_pool!(&self.db, |pool| {
                    sqlx::query(
                        "DELETE FROM extension_installs WHERE id = $1 AND status IN ('awaiting_approval', 'failed')",
                    )
                    .bind(&row.id)
                    .execute(pool)
                    .await?
                    .rows_affected()
                });
                if gone != 1 {
                    return Err(MarketError::Conflict(format!(
                        "{} has just started; uninstall it once it has",
                        row.stack
                    )));
                }
                return Ok(view);
            }
            _ => {}
        }
        let others = self
            .app_rows(Some(std::slice::from_ref(&row.workspace)))
            .await?;
        let needed_by: Vec<String> = others
            .iter()
            .filter(|o| o.id != row.id && o.status != "failed")
            .filter(|o| {
                manifest::parse(&o.manifest)
                    .0
                    .is_some_and(|m| m.requires.iter().any(|r| r.id == row.ext_id))
            })
            .map(|o| o.stack.clone())
            .collect();
        if !needed_by.is_empty() {
            return Err(MarketError::Conflict(format!(
                "{} is required by {}; uninstall {} first",
                row.stack,
                needed_by.join(", "),
                if needed_by.len() == 1 { "it" } else { "them" }
            )));
        }
        self.claim(&row, "installed", "removing").await?;
        let removed = async {
            if let Ok(stack) = self.stacks.get(&row.stack).await {
                self.take_down(&stack, volumes, actor)
                    .await
                    .map_err(MarketError::Conflict)?;
                self.stacks.delete(&stack).await?;
            }
            Ok::<_, MarketError>(())
        }
        .await;
        if let Err(e) = removed {
            let _ = self
                .set_status(&row.id, "installed", Some(&e.to_string()))
                .await;
            return Err(e);
        }
        self.delete_app(&row.id).await?;
        Ok(view)
    }

    // ----- reviews -----

    /// An extension's reviews as `viewer` sees them, most helpful first.
    pub async fn reviews(&self, ext_id: &str, viewer: &str) -> Result<Reviews, MarketError> {
        type ReviewTuple = (String, String, i64, String, i64, i64, i64, i64);
        let rows: Vec<ReviewTuple> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT r.user_id, u.name, r.rating, r.body, r.created_at, r.updated_at, \
                 (SELECT COUNT(*) FROM extension_review_votes v WHERE v.ext_id = r.ext_id AND v.author_id = r.user_id), \
                 (SELECT COUNT(*) FROM extension_review_votes v WHERE v.ext_id = r.ext_id AND v.author_id = r.user_id AND v.voter_id = $2) \
                 FROM extension_reviews r JOIN users u ON u.id = r.user_id WHERE r.ext_id = $1",
            )
            .bind(ext_id)
            .bind(viewer)
            .fetch_all(pool)
            .await?
        });
        let mut items: Vec<ReviewView> = rows
            .into_iter()
            .map(|r| ReviewView {
                mine: r.0 == viewer,
                author_id: r.0,
                author: r.1,
                rating: u8::try_from(r.2).unwrap_or(0),
                body: r.3,
                created_at: r.4,
                updated_at: r.5,
                helpful: r.6,
                voted: r.7 > 0,
            })
            .collect();
        items.sort_by(|a, b| {
            b.helpful
                .cmp(&a.helpful)
                .then(b.updated_at.cmp(&a.updated_at))
        });
        let count = items.len() as i64;
        let average = (count > 0)
            .then(|| items.iter().map(|r| f64::from(r.rating)).sum::<f64>() / count as f64);
        Ok(Reviews {
            average,
            count,
            items,
        })
    }

    /// Writes or rewrites `user`'s review of an extension in the catalog.
    pub async fn review(
        &self,
        ext_id: &str,
        user: &str,
        form: &ReviewForm,
    ) -> Result<(), MarketError> {
        check_review(form).map_err(|(field, message)| invalid(field, message))?;
        self.entry(ext_id, None).await?;
        let now = now_ms();
        on_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO extension_reviews (ext_id, user_id, rating, body, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) \
                 ON CONFLICT (ext_id, user_id) DO UPDATE SET rating = $3, body = $4, updated_at = $5",
            )
            .bind(ext_id)
            .bind(user)
            .bind(i64::from(form.rating))
            .bind(form.body.trim())
            .bind(now)
            .execute(pool)
            .await?;
        });
        self.refresh_stats().await
    }

    /// Deletes `user`'s review (and its votes).
    pub async fn delete_review(&self, ext_id: &str, user: &str) -> Result<(), MarketError> {
        let done = on_pool!(&self.db, |pool| {
            sqlx::query("DELETE FROM extension_reviews WHERE ext_id = $1 AND user_id = $2")
                .bind(ext_id)
                .bind(user)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if done == 0 {
            return Err(MarketError::NotFound("review".into()));
        }
        self.refresh_stats().await
    }

    /// Marks (or unmarks) a review helpful; nobody votes for their own.
    pub async fn vote(
        &self,
        ext_id: &str,
        author: &str,
        voter: &str,
        helpful: bool,
    ) -> Result<(), MarketError> {
        if author == voter {
            return Err(MarketError::Conflict(
                "you cannot mark your own review helpful".into(),
            ));
        }
        let exists: Option<(String,)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT user_id FROM extension_reviews WHERE ext_id = $1 AND user_id = $2",
            )
            .bind(ext_id)
            .bind(author)
            .fetch_optional(pool)
            .await?
        });
        if exists.is_none() {
            return Err(MarketError::NotFound("review".into()));
        }
        on_pool!(&self.db, |pool| {
            if helpful {
                sqlx::query(
                    "INSERT INTO extension_review_votes (ext_id, author_id, voter_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(ext_id)
                .bind(author)
                .bind(voter)
                .execute(pool)
                .await?;
            } else {
                sqlx::query(
                    "DELETE FROM extension_review_votes WHERE ext_id = $1 AND author_id = $2 AND voter_id = $3",
                )
                .bind(ext_id)
                .bind(author)
                .bind(voter)
                .execute(pool)
                .await?;
            }
        });
        Ok(())
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
