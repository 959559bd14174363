//! Reviews, ratings and helpful votes.

use super::*;

impl Marketplace {
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
