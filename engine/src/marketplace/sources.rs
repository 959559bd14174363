//! Extension sources: registering, syncing (a folder, a git branch or tag, an HTTP index)
//! and storing what a sync finds.

use super::*;

impl Marketplace {
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

    pub(super) async fn insert_source(
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

    pub(super) async fn source(&self, key: &str) -> Result<SourceView, MarketError> {
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

    pub(super) async fn delete_source_rows(&self, id: &str) -> Result<(), MarketError> {
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
    pub(super) async fn fetch(&self, source: &SourceView) -> Result<PathBuf, MarketError> {
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
    pub(super) async fn staging(&self, source: &SourceView) -> Result<PathBuf, String> {
        let dir = self
            .cache
            .join(format!(".{}-{}", source.id, uuid::Uuid::now_v7()));
        tokio::fs::create_dir_all(&self.cache)
            .await
            .map_err(|e| format!("{}: {e}", self.cache.display()))?;
        Ok(dir)
    }

    pub(super) async fn put_in_place(
        &self,
        source: &SourceView,
        staged: &Path,
    ) -> Result<PathBuf, String> {
        let target = self.cache.join(&source.id);
        let _ = tokio::fs::remove_dir_all(&target).await;
        tokio::fs::rename(staged, &target)
            .await
            .map_err(|e| format!("{}: {e}", target.display()))?;
        Ok(target)
    }

    pub(super) async fn clone_git(&self, source: &SourceView) -> Result<PathBuf, String> {
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

    pub(super) async fn download_index(&self, source: &SourceView) -> Result<PathBuf, String> {
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

    pub(super) async fn store(&self, source: &str, scanned: &[Scanned]) -> Result<(), MarketError> {
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
    pub(super) async fn refresh_catalog(&self) -> Result<(), MarketError> {
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
    pub(super) async fn stats(
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
    pub(super) async fn refresh_stats(&self) -> Result<(), MarketError> {
        let (installs, ratings) = self.stats().await?;
        if let Ok(mut c) = self.catalog.write() {
            // Entries are shared with searches under way: update a copy.
            let mut next = Catalog::clone(c.as_ref());
            next.set_stats(&installs, &ratings);
            *c = Arc::new(next);
        }
        Ok(())
    }
}
