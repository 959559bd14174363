//! The catalog held in memory for searching. The database's full-text index (SQLite FTS5, or a
//! `tsvector` on PostgreSQL) says which entries match the words; this ranks them, filters by
//! category, source and validity, sorts and pages, in microseconds rather than a query per
//! sort. Rebuilt after every sync; install counts and ratings are refreshed when they change.

use std::collections::{BTreeMap, HashMap};

use super::market::{ExtensionCard, SORTS, SearchPage, SearchQuery};

/// One entry with what ranking needs.
#[derive(Debug, Clone)]
struct Indexed {
    card: ExtensionCard,
    name: String,
    /// Lowercase words of the name, summary, categories and description.
    words: [Vec<String>; 4],
}

/// What ranking weighs a word found in each field with, after a name or id that starts with it.
const WEIGHTS: [u32; 4] = [100, 30, 20, 1];
const NAME_START: u32 = 1000;

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// An entry as loaded from the database.
#[derive(Debug, Clone)]
pub struct Row {
    /// SQLite's rowid of the entry (0 on PostgreSQL, which names entries by key).
    pub rowid: i64,
    pub card: ExtensionCard,
    pub description: String,
}

/// The whole catalog.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    entries: Vec<Indexed>,
    by_rowid: HashMap<i64, usize>,
    by_key: HashMap<(String, String), usize>,
    facets: Vec<(String, u64)>,
    /// Positions in name order, and each entry's place in it (ties and sorts compare these).
    by_name: Vec<usize>,
    name_rank: Vec<u32>,
}

impl Catalog {
    /// The catalog of these entries.
    pub fn new(rows: Vec<Row>) -> Self {
        let mut catalog = Self::default();
        let mut facets: BTreeMap<String, u64> = BTreeMap::new();
        for (i, row) in rows.into_iter().enumerate() {
            let card = row.card;
            if card.errors.is_empty() {
                for c in &card.categories {
                    *facets.entry(c.clone()).or_default() += 1;
                }
            }
            catalog.by_rowid.insert(row.rowid, i);
            catalog
                .by_key
                .insert((card.source.clone(), card.id.clone()), i);
            catalog.entries.push(Indexed {
                name: card.name.to_lowercase(),
                words: [
                    words(&card.name),
                    words(&card.summary),
                    card.categories.iter().flat_map(|c| words(c)).collect(),
                    words(&row.description),
                ],
                card,
            });
        }
        catalog.facets = facets.into_iter().collect();
        let mut by_name: Vec<usize> = (0..catalog.entries.len()).collect();
        by_name.sort_by(|a, b| {
            let (x, y) = (&catalog.entries[*a], &catalog.entries[*b]);
            (&x.name, &x.card.id).cmp(&(&y.name, &y.card.id))
        });
        catalog.name_rank = vec![0; by_name.len()];
        for (place, i) in by_name.iter().enumerate() {
            catalog.name_rank[*i] = u32::try_from(place).unwrap_or(u32::MAX);
        }
        catalog.by_name = by_name;
        catalog
    }

    /// Sets install counts and ratings (by extension id).
    pub fn set_stats(
        &mut self,
        installs: &HashMap<String, i64>,
        ratings: &HashMap<String, (f64, i64)>,
    ) {
        for e in &mut self.entries {
            e.card.installs = installs.get(&e.card.id).copied().unwrap_or(0);
            let (rating, reviews) = ratings
                .get(&e.card.id)
                .map_or((None, 0), |(avg, n)| (Some(*avg), *n));
            e.card.rating = rating;
            e.card.reviews = reviews;
        }
    }

    /// Positions of entries by SQLite rowid (unknown ones are skipped).
    pub fn by_rowids(&self, rowids: impl Iterator<Item = i64>) -> Vec<usize> {
        rowids
            .filter_map(|r| self.by_rowid.get(&r).copied())
            .collect()
    }

    /// Positions of entries by (source, extension id).
    pub fn by_keys<'a>(&self, keys: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<usize> {
        keys.filter_map(|(s, e)| self.by_key.get(&(s.to_owned(), e.to_owned())).copied())
            .collect()
    }

    /// How well an entry matches the words: a name or id starting with a word first, then
    /// words found (as prefixes) in the name, summary, categories and description.
    fn score(&self, i: usize, query: &[String]) -> u32 {
        let e = &self.entries[i];
        let mut score = 0;
        for q in query {
            if e.name.starts_with(q.as_str()) || e.card.id.starts_with(q.as_str()) {
                score += NAME_START;
            }
            for (field, weight) in e.words.iter().zip(WEIGHTS) {
                let hits = field.iter().filter(|w| w.starts_with(q.as_str())).count();
                // A word repeated in a long description does not outweigh the name.
                score += weight * u32::try_from(hits.min(3)).unwrap_or(3);
            }
        }
        score
    }

    /// A page of results. `matched` are the positions the full-text index found for `words`
    /// (`None`: no words, everything). Errors name the bad field's value.
    pub fn query(
        &self,
        query: &SearchQuery,
        matched: Option<Vec<usize>>,
        words: &[String],
    ) -> Result<SearchPage, String> {
        let sort = query.sort.as_deref().unwrap_or(if words.is_empty() {
            "name"
        } else {
            "relevance"
        });
        if !SORTS.contains(&sort) {
            return Err(format!("{sort:?} is not one of {}", SORTS.join(", ")));
        }
        let category = query
            .category
            .as_deref()
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty());
        let source = query.source.as_deref().filter(|s| !s.is_empty());
        let invalid = query.invalid.unwrap_or(false);
        let keep = |i: &usize| {
            let c = &self.entries[*i].card;
            (invalid || c.errors.is_empty())
                && category.as_ref().is_none_or(|k| c.categories.contains(k))
                && source.is_none_or(|s| c.source == s || c.source_name == s)
        };
        let limit = query.limit.unwrap_or(48).clamp(1, 200) as usize;
        let offset = query.offset.unwrap_or(0) as usize;
        let by_name = sort == "name" || (sort == "relevance" && words.is_empty());
        let presorted = by_name && matched.is_none();
        let mut found: Vec<usize> = match matched {
            // In name order already: nothing to sort.
            None if by_name => self.by_name.iter().copied().filter(keep).collect(),
            None => (0..self.entries.len()).filter(keep).collect(),
            Some(m) => m.into_iter().filter(keep).collect(),
        };
        let total = found.len() as u64;
        if !presorted {
            let rank = |i: usize| self.name_rank[i];
            // Each sort is a key, smaller first, ending with the name's place.
            let key = |i: usize| -> (i64, u64, u32) {
                let c = &self.entries[i].card;
                match sort {
                    "relevance" => (-i64::from(self.score(i, words)), 0, rank(i)),
                    "updated" => (-c.updated_at, 0, rank(i)),
                    "installs" => (-c.installs, 0, rank(i)),
                    // Ratings to a thousandth, then more reviews first.
                    "rating" => (
                        -((c.rating.unwrap_or(0.0) * 1000.0).round() as i64),
                        u64::MAX - u64::try_from(c.reviews).unwrap_or(0),
                        rank(i),
                    ),
                    _ => (0, 0, rank(i)),
                }
            };
            let mut keyed: Vec<((i64, u64, u32), usize)> =
                found.iter().map(|i| (key(*i), *i)).collect();
            // Only the page needs its order: select it, then sort it.
            let wanted = (offset + limit).min(keyed.len());
            if wanted > 0 && wanted < keyed.len() {
                keyed.select_nth_unstable_by(wanted - 1, |a, b| a.0.cmp(&b.0));
                keyed.truncate(wanted);
            }
            keyed.sort_unstable_by_key(|a| a.0);
            found = keyed.into_iter().map(|(_, i)| i).collect();
        }
        Ok(SearchPage {
            total,
            items: found
                .into_iter()
                .skip(offset)
                .take(limit)
                .map(|i| self.entries[i].card.clone())
                .collect(),
            categories: self.facets.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rowid: i64, id: &str, name: &str, summary: &str, cats: &[&str], desc: &str) -> Row {
        Row {
            rowid,
            card: ExtensionCard {
                id: id.into(),
                source: "s".into(),
                source_name: "Official".into(),
                name: name.into(),
                version: "1.0.0".into(),
                summary: summary.into(),
                categories: cats.iter().map(|c| (*c).to_owned()).collect(),
                icon: None,
                installs: 0,
                rating: None,
                reviews: 0,
                updated_at: rowid,
                errors: Vec::new(),
            },
            description: desc.into(),
        }
    }

    fn catalog() -> Catalog {
        let mut broken = row(4, "broken", "Broken", "", &["databases"], "");
        broken.card.errors = vec!["orbitr.yaml:1: bad".into()];
        Catalog::new(vec![
            row(
                1,
                "grafana",
                "Grafana",
                "Dashboards over PostgreSQL and Prometheus",
                &["monitoring"],
                "postgres postgres postgres postgres",
            ),
            row(
                2,
                "postgres",
                "PostgreSQL",
                "The relational database",
                &["databases"],
                "a database",
            ),
            row(
                3,
                "nextcloud",
                "Nextcloud",
                "Files, with a PostgreSQL database",
                &["storage"],
                "",
            ),
            broken,
        ])
    }

    fn ids(page: &SearchPage) -> Vec<&str> {
        page.items.iter().map(|c| c.id.as_str()).collect()
    }

    fn words(q: &str) -> Vec<String> {
        super::words(q)
    }

    #[test]
    fn a_name_starting_with_the_word_ranks_first_then_the_summary() {
        let c = catalog();
        let all = Some(vec![0, 1, 2]);
        let page = c
            .query(&SearchQuery::default(), all, &words("postg"))
            .expect("page");
        assert_eq!(ids(&page)[0], "postgres");
        assert_eq!(page.total, 3);
    }

    #[test]
    fn invalid_entries_are_listed_only_when_asked_and_facets_count_valid_ones() {
        let c = catalog();
        let page = c.query(&SearchQuery::default(), None, &[]).expect("page");
        assert_eq!(ids(&page), ["grafana", "nextcloud", "postgres"]);
        assert_eq!(
            page.categories
                .iter()
                .find(|(k, _)| k == "databases")
                .map(|(_, n)| *n),
            Some(1)
        );
        let q = SearchQuery {
            invalid: Some(true),
            category: Some("Databases".into()),
            ..SearchQuery::default()
        };
        assert_eq!(
            ids(&c.query(&q, None, &[]).expect("page")),
            ["broken", "postgres"]
        );
    }

    #[test]
    fn sorts_by_updated_installs_and_rating_and_refuses_others() {
        let mut c = catalog();
        c.set_stats(
            &HashMap::from([("nextcloud".to_owned(), 5)]),
            &HashMap::from([("grafana".to_owned(), (4.5, 2))]),
        );
        let by = |sort: &str| SearchQuery {
            sort: Some(sort.into()),
            ..SearchQuery::default()
        };
        assert_eq!(
            ids(&c.query(&by("updated"), None, &[]).expect("page"))[0],
            "nextcloud"
        );
        assert_eq!(
            ids(&c.query(&by("installs"), None, &[]).expect("page"))[0],
            "nextcloud"
        );
        assert_eq!(
            ids(&c.query(&by("rating"), None, &[]).expect("page"))[0],
            "grafana"
        );
        assert!(c.query(&by("random"), None, &[]).is_err());
        let paged = SearchQuery {
            limit: Some(1),
            offset: Some(1),
            ..by("name")
        };
        let page = c.query(&paged, None, &[]).expect("page");
        assert_eq!((ids(&page), page.total), (vec!["nextcloud"], 3));
    }

    #[test]
    fn positions_come_from_rowids_or_keys() {
        let c = catalog();
        assert_eq!(c.by_rowids([2, 99, 1].into_iter()), [1, 0]);
        assert_eq!(c.by_keys([("s", "nextcloud"), ("x", "y")].into_iter()), [2]);
    }
}
