//! The catalog: full-text search over the entries held in memory, one extension's page, and
//! the versions that can meet a requirement.

use super::*;

impl Marketplace {
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
    pub(super) async fn matching(
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
    pub(super) async fn entry(
        &self,
        ext_id: &str,
        source: Option<&str>,
    ) -> Result<Entry, MarketError> {
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

    pub(super) async fn card_of(
        &self,
        ext_id: &str,
        source: &str,
    ) -> Result<ExtensionCard, MarketError> {
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
    pub(super) async fn candidates(&self, root: &Manifest) -> Result<Vec<Candidate>, MarketError> {
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
}
