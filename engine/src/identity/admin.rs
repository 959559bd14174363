//! What platform admins do to accounts: list them, grant or withdraw the admin role, delete
//! them (never the last admin), and issue one-time password-reset links.
//!
//! Changes to who is an admin take a lock first (a no-op update of the installation's id row),
//! so two admins demoting or deleting each other at once cannot leave the platform without one.

use crate::clock::now_ms;
use crate::db::{Database, DbError};
use crate::identity::accounts::{AccountError, Accounts, User, check_password};
use crate::identity::secrets;
use crate::on_pool;

/// How long a reset link works.
pub const RESET_HOURS: i64 = 24;
const RESET_PREFIX: &str = "rst_";

/// Why an admin operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("no such user")]
    NoSuchUser,
    #[error("the platform needs at least one admin: make someone else admin first")]
    LastAdmin,
    #[error(
        "this reset link is not valid, was already used or has expired: ask an admin for a new one"
    )]
    BadResetLink,
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::query_error_is_db!(AdminError);

/// Account administration on top of [`Accounts`] (whose cache it keeps current).
#[derive(Clone)]
pub struct Admin {
    db: Database,
    accounts: Accounts,
}

impl Admin {
    pub fn new(db: Database, accounts: Accounts) -> Self {
        Self { db, accounts }
    }

    /// Every account, by email.
    pub async fn users(&self) -> Result<Vec<User>, AdminError> {
        Ok(on_pool!(&self.db, |pool| {
            sqlx::query_as::<_, User>(
            "SELECT id, email, name, is_admin, created_at, password_changed_at FROM users ORDER BY email"
        )
        .fetch_all(pool)
        .await?
        }))
    }

    /// Grants or withdraws the platform admin role (`Some(flag)`) or deletes the account
    /// (`None`), refusing to leave no admin.
    pub async fn change(&self, user_id: &str, admin: Option<bool>) -> Result<(), AdminError> {
        let outcome: Result<Result<(), AdminError>, sqlx::Error> = on_pool!(&self.db, |pool| {
            async {
                let mut tx = pool.begin().await?;
                sqlx::query("UPDATE instance_meta SET value = value WHERE key = 'instance_id'")
                    .execute(&mut *tx)
                    .await?;
                let row: Option<(bool,)> =
                    sqlx::query_as("SELECT is_admin FROM users WHERE id = $1")
                        .bind(user_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some((is_admin,)) = row else {
                    return Ok(Err(AdminError::NoSuchUser));
                };
                if is_admin && admin != Some(true) {
                    let (admins,): (i64,) =
                        sqlx::query_as("SELECT COUNT(*) FROM users WHERE is_admin")
                            .fetch_one(&mut *tx)
                            .await?;
                    if admins <= 1 {
                        return Ok(Err(AdminError::LastAdmin));
                    }
                }
                match admin {
                    Some(flag) => {
                        sqlx::query("UPDATE users SET is_admin = $1 WHERE id = $2")
                            .bind(flag)
                            .bind(user_id)
                            .execute(&mut *tx)
                            .await?
                    }
                    None => {
                        sqlx::query("DELETE FROM users WHERE id = $1")
                            .bind(user_id)
                            .execute(&mut *tx)
                            .await?
                    }
                };
                tx.commit().await?;
                Ok(Ok(()))
            }
            .await
        });
        outcome??;
        self.accounts.forget(user_id);
        Ok(())
    }

    /// Issues a one-time reset link code for a user (shown once), valid [`RESET_HOURS`].
    pub async fn issue_reset(&self, user_id: &str, by: &str) -> Result<String, AdminError> {
        self.accounts
            .get(user_id)
            .await?
            .ok_or(AdminError::NoSuchUser)?;
        let (id, secret) = secrets::new_credential();
        let now = now_ms();
        on_pool!(&self.db, |pool| {
            sqlx::query(
            "INSERT INTO password_resets (id, user_id, secret_hash, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(&id)
        .bind(user_id)
        .bind(secrets::digest(&secret))
        .bind(by)
        .bind(now)
        .bind(now + RESET_HOURS * 3_600_000)
        .execute(pool)
        .await
        .map(drop)?
        });
        Ok(format!("{RESET_PREFIX}{id}_{secret}"))
    }

    /// The account a reset code is for, if the code can be used now.
    pub async fn check_reset(&self, code: &str) -> Result<(String, User), AdminError> {
        let (id, secret) =
            secrets::split(code.trim(), RESET_PREFIX).ok_or(AdminError::BadResetLink)?;
        let row: Option<(String, String, i64, Option<i64>)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT user_id, secret_hash, expires_at, used_at FROM password_resets WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        let Some((user_id, hash, expires_at, used_at)) = row else {
            return Err(AdminError::BadResetLink);
        };
        if !secrets::matches(&hash, secret) || used_at.is_some() || expires_at <= now_ms() {
            return Err(AdminError::BadResetLink);
        }
        let user = self
            .accounts
            .get(&user_id)
            .await?
            .ok_or(AdminError::BadResetLink)?;
        Ok((id.to_owned(), user))
    }

    /// Sets a new password through a reset code, once: the code is marked used and the password
    /// changed in one transaction. Every existing session of the user ends (password version).
    pub async fn complete_reset(&self, code: &str, password: &str) -> Result<User, AdminError> {
        let (id, user) = self.check_reset(code).await?;
        check_password(password, &user.email, &user.name)?;
        let hash = self.accounts.hash(password).await?;
        let changed_at = now_ms().max(user.password_changed_at + 1);
        let outcome: Result<bool, sqlx::Error> = on_pool!(&self.db, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let claimed = sqlx::query(
                    "UPDATE password_resets SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1",
                )
                .bind(now_ms())
                .bind(&id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if claimed == 0 {
                    return Ok(false);
                }
                sqlx::query(
                    "UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3",
                )
                .bind(&hash)
                .bind(changed_at)
                .bind(&user.id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }
            .await
        });
        if !outcome? {
            return Err(AdminError::BadResetLink);
        }
        self.accounts.forget(&user.id);
        Ok(User {
            password_changed_at: changed_at,
            ..user
        })
    }
}
