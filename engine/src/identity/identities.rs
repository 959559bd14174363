//! Accounts' links to sign-in providers (`user_identities`): which provider identity (provider
//! name, subject) belongs to which account. Linking, unlinking and creating an account together
//! with its first link go through [`Identities`].

use serde::{Deserialize, Serialize};

use crate::clock::now_ms;
use crate::db::{Database, DbError};
use crate::identity::accounts::{AccountError, PreparedUser, User};
use crate::on_pool;

/// Inserts a link: (provider, subject, user_id, email, now).
pub const INSERT_IDENTITY: &str = "INSERT INTO user_identities (provider, subject, user_id, email, created_at) \
     VALUES ($1, $2, $3, $4, $5)";

/// A provider identity as a provider vouched for it, not yet linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIdentity {
    /// The provider's name in the settings.
    pub provider: String,
    /// The provider's stable id of the person (OIDC `sub`, GitHub's numeric id).
    pub subject: String,
    pub email: Option<String>,
    /// Whether the provider says it checked that the person owns `email`.
    pub email_verified: bool,
    pub name: Option<String>,
}

/// A link as its owner sees it on the profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Identity {
    pub provider: String,
    pub email: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// Why a link could not be made or removed.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("this {0} account is already linked to another Orbitr account")]
    TakenByOther(String),
    #[error("your account is already linked to a {0} account: unlink it first")]
    ProviderAlreadyLinked(String),
    #[error("no {0} account is linked to yours")]
    NotLinked(String),
    #[error(
        "this is the only way you sign in: ask an admin for a password-reset link to set a password first"
    )]
    LastWayIn,
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::query_error_is_db!(IdentityError);

fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Inside a transaction `$tx` (either backend): stores a prepared account.
#[macro_export]
#[doc(hidden)]
macro_rules! insert_prepared_user {
    ($tx:ident, $prepared:expr) => {
        sqlx::query($crate::identity::accounts::INSERT_USER)
            .bind(&$prepared.id)
            .bind($prepared.email.as_str())
            .bind(&$prepared.name)
            .bind(&$prepared.hash)
            .bind($prepared.is_admin)
            .bind($prepared.now)
            .execute(&mut *$tx)
            .await
    };
}

/// Inside a transaction `$tx`: links `$identity` to the user with id `$user_id`.
#[macro_export]
#[doc(hidden)]
macro_rules! insert_identity {
    ($tx:ident, $identity:expr, $user_id:expr) => {
        sqlx::query($crate::identity::identities::INSERT_IDENTITY)
            .bind(&$identity.provider)
            .bind(&$identity.subject)
            .bind($user_id)
            .bind(&$identity.email)
            .bind($crate::clock::now_ms())
            .execute(&mut *$tx)
            .await
    };
}

/// The link table.
#[derive(Clone)]
pub struct Identities {
    db: Database,
}

impl Identities {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The account an identity is linked to; notes the use.
    pub async fn user_of(&self, provider: &str, subject: &str) -> Result<Option<String>, DbError> {
        let row: Option<(String,)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "UPDATE user_identities SET last_used_at = $1 WHERE provider = $2 AND subject = $3 \
             RETURNING user_id"
        )
        .bind(now_ms())
        .bind(provider)
        .bind(subject)
        .fetch_optional(pool)
        .await?);
        Ok(row.map(|(id,)| id))
    }

    /// How many accounts are linked to each provider.
    pub async fn linked_counts(&self) -> Result<std::collections::HashMap<String, u64>, DbError> {
        let rows: Vec<(String, i64)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT provider, COUNT(*) FROM user_identities GROUP BY provider"
        )
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(p, n)| (p, u64::try_from(n).unwrap_or_default()))
            .collect())
    }

    /// The providers linked to an account.
    pub async fn for_user(&self, user_id: &str) -> Result<Vec<Identity>, DbError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_as::<_, Identity>(
            "SELECT provider, email, created_at, last_used_at FROM user_identities \
             WHERE user_id = $1 ORDER BY provider"
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?))
    }

    /// Links an identity to an existing account.
    pub async fn link(
        &self,
        user: &User,
        identity: &ExternalIdentity,
    ) -> Result<(), IdentityError> {
        let linked: Result<(), sqlx::Error> = on_pool!(&self.db, |pool| {
            async {
                let mut tx = pool.begin().await?;
                insert_identity!(tx, identity, &user.id)?;
                tx.commit().await
            }
            .await
        });
        match linked {
            Ok(()) => Ok(()),
            Err(e) if unique_violation(&e) => Err(self.conflict(&user.id, identity).await),
            Err(e) => Err(e.into()),
        }
    }

    /// Which uniqueness rule a refused link broke.
    async fn conflict(&self, user_id: &str, identity: &ExternalIdentity) -> IdentityError {
        match self.for_user(user_id).await {
            Ok(links) if links.iter().any(|l| l.provider == identity.provider) => {
                IdentityError::ProviderAlreadyLinked(identity.provider.clone())
            }
            Ok(_) => IdentityError::TakenByOther(identity.provider.clone()),
            Err(e) => e.into(),
        }
    }

    /// Creates an account together with its first link, in one transaction (a failure leaves
    /// neither behind).
    pub async fn create_account(
        &self,
        prepared: &PreparedUser,
        identity: &ExternalIdentity,
    ) -> Result<User, IdentityError> {
        let created: Result<Result<(), IdentityError>, sqlx::Error> = on_pool!(&self.db, |pool| {
            async {
                let mut tx = pool.begin().await?;
                match insert_prepared_user!(tx, prepared) {
                    Err(e) if unique_violation(&e) => {
                        return Ok(Err(AccountError::EmailTaken.into()));
                    }
                    other => other?,
                };
                match insert_identity!(tx, identity, &prepared.id) {
                    Err(e) if unique_violation(&e) => {
                        return Ok(Err(IdentityError::TakenByOther(identity.provider.clone())));
                    }
                    other => other?,
                };
                tx.commit().await?;
                Ok(Ok(()))
            }
            .await
        });
        created??;
        Ok(prepared.user())
    }

    /// Removes an account's link to a provider. Refused when it is the account's only way to
    /// sign in (no password, no other link).
    pub async fn unlink(&self, user_id: &str, provider: &str) -> Result<(), IdentityError> {
        let outcome: Result<Result<(), IdentityError>, sqlx::Error> = on_pool!(&self.db, |pool| {
            async {
                    let mut tx = pool.begin().await?;
                    // Lock the account row: two unlinks at once queue here, so they cannot both
                    // see the other's link and leave the account without a way in.
                    sqlx::query("UPDATE users SET id = id WHERE id = $1")
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await?;
                    let (others, password): (i64, Option<String>) = sqlx::query_as(
                        "SELECT (SELECT COUNT(*) FROM user_identities WHERE user_id = $1 AND provider <> $2), \
                         (SELECT password_hash FROM users WHERE id = $1)",
                    )
                    .bind(user_id)
                    .bind(provider)
                    .fetch_one(&mut *tx)
                    .await?;
                    if others == 0 && password.is_none() {
                        return Ok(Err(IdentityError::LastWayIn));
                    }
                    let removed = sqlx::query(
                        "DELETE FROM user_identities WHERE user_id = $1 AND provider = $2",
                    )
                    .bind(user_id)
                    .bind(provider)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if removed == 0 {
                        return Ok(Err(IdentityError::NotLinked(provider.to_owned())));
                    }
                    tx.commit().await?;
                    Ok(Ok(()))
                }
                .await
        });
        outcome?
    }
}
