//! Accounts: validated emails and passwords, argon2id hashing off the async runtime with bounded
//! concurrency, and the users table.

use std::sync::Arc;

use argon2::{Argon2, PasswordHasher as _, PasswordVerifier as _};
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::clock::now_ms;
use crate::db::{Database, DbError};
use crate::model::ids::UserId;
use crate::on_pool;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (hashing cost grows with it).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Why an account operation was refused. Messages name the field and say why.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("email: {0}")]
    BadEmail(&'static str),
    #[error("name: {0}")]
    BadName(&'static str),
    #[error("password: {0}")]
    WeakPassword(String),
    #[error("email: an account with this email already exists")]
    EmailTaken,
    #[error("the email or the password is wrong")]
    InvalidCredentials,
    #[error("password hashing failed")]
    Hashing,
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::query_error_is_db!(AccountError);

/// An email address, trimmed and lowercased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(AccountError::BadEmail("is required"));
        }
        if email.len() > 254 {
            return Err(AccountError::BadEmail("is longer than 254 characters"));
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(AccountError::BadEmail("needs an @, like ada@example.com"));
        };
        if local.is_empty() || domain.is_empty() || domain.contains('@') {
            return Err(AccountError::BadEmail(
                "is not an address like ada@example.com",
            ));
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(AccountError::BadEmail("cannot contain spaces"));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: 1 to 100 characters after trimming.
pub fn parse_name(raw: &str) -> Result<String, AccountError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AccountError::BadName("is required"));
    }
    if name.chars().count() > 100 {
        return Err(AccountError::BadName("is longer than 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(AccountError::BadName("cannot contain control characters"));
    }
    Ok(name.to_owned())
}

/// Checks a new password: at least 12 characters and hard to guess (zxcvbn score 3 or more,
/// knowing the user's email and name). The error says why and how to do better.
pub fn check_password(password: &str, email: &str, name: &str) -> Result<(), AccountError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AccountError::WeakPassword(format!(
            "use at least {MIN_PASSWORD_CHARS} characters (this one has {chars})"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AccountError::WeakPassword(format!(
            "use at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    let local = email.split('@').next().unwrap_or_default();
    let entropy = zxcvbn::zxcvbn(password, &[email, local, name, "orbitr"]);
    if u8::from(entropy.score()) >= 3 {
        return Ok(());
    }
    let mut why = String::from("too easy to guess");
    if let Some(feedback) = entropy.feedback() {
        if let Some(warning) = feedback.warning() {
            why.push_str(&format!(": {warning}"));
        }
        let tips: Vec<String> = feedback
            .suggestions()
            .iter()
            .map(ToString::to_string)
            .collect();
        if !tips.is_empty() {
            why.push_str(&format!(". {}", tips.join(" ")));
        }
    }
    Err(AccountError::WeakPassword(why))
}

/// argon2id (m = 19 MiB, t = 2, p = 1) on the blocking pool, at most `permits` at a time, so a
/// flood of logins queues up instead of starving other requests of CPU.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
}

impl PasswordHasher {
    /// One permit per core but one, and at least one.
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::with_permits(cores.saturating_sub(1).max(1))
    }

    pub fn with_permits(permits: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(permits)),
        }
    }

    /// The PHC string of a fresh hash of `password`.
    pub async fn hash(&self, password: &str) -> Result<String, AccountError> {
        let password = password.to_owned();
        self.run(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|_| AccountError::Hashing)
        })
        .await
    }

    /// Whether `password` matches the PHC string `hash`.
    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool, AccountError> {
        let password = password.to_owned();
        let hash = hash.to_owned();
        self.run(move || {
            Ok(Argon2::default()
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok())
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, AccountError> + Send + 'static,
    ) -> Result<T, AccountError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AccountError::Hashing)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| AccountError::Hashing)?
    }
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new()
    }
}

/// A user as the rest of Orbitr sees it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
    pub created_at: i64,
    pub password_changed_at: i64,
}

const USER_COLUMNS: &str = "id, email, name, is_admin, created_at, password_changed_at";

/// Inserts a user: (id, email, name, password_hash, is_admin, now).
pub const INSERT_USER: &str = "INSERT INTO users (id, email, name, password_hash, is_admin, created_at, password_changed_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $6)";

/// A validated account with its password hashed, not stored yet.
pub struct PreparedUser {
    pub id: String,
    pub email: Email,
    pub name: String,
    /// `None` for an account that signs in through a provider only.
    pub hash: Option<String>,
    pub is_admin: bool,
    pub now: i64,
}

impl PreparedUser {
    /// The user as it will be once stored.
    pub fn user(&self) -> User {
        User {
            id: self.id.clone().into(),
            email: self.email.as_str().to_owned(),
            name: self.name.clone(),
            is_admin: self.is_admin,
            created_at: self.now,
            password_changed_at: self.now,
        }
    }
}

/// What it takes to create an account.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a str,
    pub is_admin: bool,
}

/// Something a person said once that Orbitr remembers for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// The first-run checklist on the dashboard was dismissed.
    ChecklistDismissed,
}

impl Flag {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChecklistDismissed => "checklist_dismissed",
        }
    }
}

/// The users table. Users are cached in memory after their first read: every write to the
/// table goes through this type, which keeps the cache in step (one Orbitr process owns its
/// database), so an authenticated request costs no user query.
#[derive(Clone)]
pub struct Accounts {
    db: Database,
    hasher: PasswordHasher,
    cache: Arc<std::sync::RwLock<std::collections::HashMap<UserId, User>>>,
    /// A hash verified when the email is unknown, so both cases cost the same time.
    decoy: Arc<tokio::sync::OnceCell<String>>,
}

impl Accounts {
    pub fn new(db: Database, hasher: PasswordHasher) -> Self {
        Self {
            db,
            hasher,
            cache: Arc::default(),
            decoy: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    /// Whether `user` has said `flag` (see [`Flag`]).
    pub async fn has_flag(&self, user: &str, flag: Flag) -> Result<bool, AccountError> {
        let row: Option<(i64,)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT set_at FROM user_flags WHERE user_id = $1 AND flag = $2"
        )
        .bind(user)
        .bind(flag.as_str())
        .fetch_optional(pool)
        .await?);
        Ok(row.is_some())
    }

    /// Remembers that `user` said `flag`; saying it again changes nothing.
    pub async fn set_flag(&self, user: &str, flag: Flag) -> Result<(), AccountError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO user_flags (user_id, flag, set_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, flag) DO NOTHING"
        )
        .bind(user)
        .bind(flag.as_str())
        .bind(now_ms())
        .execute(pool)
        .await
        .map(drop)?);
        Ok(())
    }

    /// How many accounts exist.
    pub async fn count(&self) -> Result<i64, AccountError> {
        let n: (i64,) = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT COUNT(*) FROM users"
        )
        .fetch_one(pool)
        .await?);
        Ok(n.0)
    }

    /// Validates every field, hashes the password and stores the account.
    pub async fn create(&self, new: NewUser<'_>) -> Result<User, AccountError> {
        let prepared = self.prepare(new).await?;
        self.insert(
            &prepared.email,
            &prepared.name,
            prepared.hash.as_deref(),
            prepared.is_admin,
        )
        .await
    }

    /// Validates every field and hashes the password, for a caller that stores the account
    /// inside a transaction of its own (with [`INSERT_USER`] and [`PreparedUser::user`]).
    pub async fn prepare(&self, new: NewUser<'_>) -> Result<PreparedUser, AccountError> {
        let email = Email::parse(new.email)?;
        let name = parse_name(new.name)?;
        check_password(new.password, email.as_str(), &name)?;
        let hash = self.hasher.hash(new.password).await?;
        Ok(PreparedUser {
            id: uuid::Uuid::now_v7().to_string(),
            email,
            name,
            hash: Some(hash),
            is_admin: new.is_admin,
            now: now_ms(),
        })
    }

    /// Validates an account that signs in through a provider only (no password), for a caller
    /// that stores it inside a transaction together with the provider link.
    pub fn prepare_external(&self, email: &str, name: &str) -> Result<PreparedUser, AccountError> {
        Ok(PreparedUser {
            id: uuid::Uuid::now_v7().to_string(),
            email: Email::parse(email)?,
            name: parse_name(name)?,
            hash: None,
            is_admin: false,
            now: now_ms(),
        })
    }

    /// Whether the account has a password (accounts made through a provider have none).
    pub async fn has_password(&self, id: &str) -> Result<bool, AccountError> {
        let row: Option<(Option<String>,)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT password_hash FROM users WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await?);
        Ok(matches!(row, Some((Some(_),))))
    }

    /// Creates the first platform admin, atomically refusing when any account exists already
    /// (two setup forms submitted at once cannot both win).
    pub async fn create_first_admin(
        &self,
        email: &str,
        name: &str,
        password: &str,
    ) -> Result<Option<User>, AccountError> {
        let email = Email::parse(email)?;
        let name = parse_name(name)?;
        check_password(password, email.as_str(), &name)?;
        let hash = self.hasher.hash(password).await?;
        let id = uuid::Uuid::now_v7().to_string();
        let now = now_ms();
        let inserted = on_pool!(&self.db, |pool| {
            sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, is_admin, created_at, password_changed_at) \
             SELECT $1, $2, $3, $4, TRUE, $5, $5 WHERE NOT EXISTS (SELECT 1 FROM users)"
        )
        .bind(&id)
        .bind(email.as_str())
        .bind(&name)
        .bind(&hash)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected()
        });
        if inserted == 0 {
            return Ok(None);
        }
        self.get(&id).await
    }

    async fn insert(
        &self,
        email: &Email,
        name: &str,
        hash: Option<&str>,
        is_admin: bool,
    ) -> Result<User, AccountError> {
        let id = uuid::Uuid::now_v7().to_string();
        let now = now_ms();
        let result = on_pool!(&self.db, |pool| {
            sqlx::query(INSERT_USER)
                .bind(&id)
                .bind(email.as_str())
                .bind(name)
                .bind(hash)
                .bind(is_admin)
                .bind(now)
                .execute(pool)
                .await
                .map(drop)
        });
        match result {
            Ok(()) => Ok(User {
                id: id.into(),
                email: email.as_str().to_owned(),
                name: name.to_owned(),
                is_admin,
                created_at: now,
                password_changed_at: now,
            }),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(AccountError::EmailTaken)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The user with this email, if any.
    pub async fn find_by_email(&self, email: &str) -> Result<Option<User>, AccountError> {
        let email = Email::parse(email)?;
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        Ok(on_pool!(&self.db, |pool| sqlx::query_as::<_, User>(&sql)
            .bind(email.as_str())
            .fetch_optional(pool)
            .await?))
    }

    /// Drops a user from the in-memory cache after a change made elsewhere (admin role,
    /// deletion, password reset); the next read loads it again.
    pub fn forget(&self, id: &str) {
        if let Ok(mut cache) = self.cache.write() {
            cache.remove(id);
        }
    }

    /// Hashes a password with the shared, bounded hasher.
    pub async fn hash(&self, password: &str) -> Result<String, AccountError> {
        self.hasher.hash(password).await
    }

    /// The user with this id.
    pub async fn get(&self, id: &str) -> Result<Option<User>, AccountError> {
        if let Some(user) = self.cache.read().ok().and_then(|c| c.get(id).cloned()) {
            return Ok(Some(user));
        }
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let user = on_pool!(&self.db, |pool| sqlx::query_as::<_, User>(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await?);
        if let (Some(user), Ok(mut cache)) = (&user, self.cache.write()) {
            cache.insert(user.id.clone(), user.clone());
        }
        Ok(user)
    }

    /// Changes a password after checking the current one. Returns the user with its new
    /// `password_changed_at`, which every older session is compared against (and so ends).
    pub async fn change_password(
        &self,
        id: &str,
        current: &str,
        new: &str,
    ) -> Result<User, AccountError> {
        let user = self
            .get(id)
            .await?
            .ok_or(AccountError::InvalidCredentials)?;
        let stored: Option<(Option<String>,)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT password_hash FROM users WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await?);
        let Some((Some(hash),)) = stored else {
            return Err(AccountError::InvalidCredentials);
        };
        if !self.hasher.verify(current, &hash).await? {
            return Err(AccountError::InvalidCredentials);
        }
        check_password(new, &user.email, &user.name)?;
        let new_hash = self.hasher.hash(new).await?;
        // Strictly later than the old value, even within the same millisecond.
        let changed_at = now_ms().max(user.password_changed_at + 1);
        on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3"
        )
        .bind(&new_hash)
        .bind(changed_at)
        .bind(id)
        .execute(pool)
        .await
        .map(drop)?);
        let updated = User {
            password_changed_at: changed_at,
            ..user
        };
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(updated.id.clone(), updated.clone());
        }
        Ok(updated)
    }

    /// Checks an email and password. Unknown emails and wrong passwords give the same error
    /// after the same work (a decoy hash is verified), so answers do not reveal accounts.
    pub async fn verify_login(&self, email: &str, password: &str) -> Result<User, AccountError> {
        let email = Email::parse(email).map_err(|_| AccountError::InvalidCredentials)?;
        let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1");
        let row: Option<(User, Option<String>)> = on_pool!(&self.db, |pool| {
            let row = sqlx::query(&sql)
                .bind(email.as_str())
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => {
                    use sqlx::{FromRow, Row};
                    let user = User::from_row(&row)?;
                    let hash: Option<String> = row.try_get("password_hash")?;
                    Some((user, hash))
                }
                None => None,
            }
        });
        match row {
            Some((user, Some(hash))) => {
                if self.hasher.verify(password, &hash).await? {
                    Ok(user)
                } else {
                    Err(AccountError::InvalidCredentials)
                }
            }
            _ => {
                let decoy = self
                    .decoy
                    .get_or_try_init(|| self.hasher.hash("decoy password for unknown accounts"))
                    .await?;
                let _ = self.hasher.verify(password, decoy).await?;
                Err(AccountError::InvalidCredentials)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").map(|e| e.0).ok(),
            Some("ada@example.com".into())
        );
        assert!(Email::parse("admin@localhost").is_ok());
    }

    #[test]
    fn malformed_emails_say_what_is_wrong() {
        for (raw, needle) in [
            ("", "required"),
            ("ada", "needs an @"),
            ("@x.org", "not an address"),
            ("a b@x.org", "spaces"),
        ] {
            let err = Email::parse(raw).expect_err(raw).to_string();
            assert!(
                err.starts_with("email: ") && err.contains(needle),
                "{raw}: {err}"
            );
        }
    }

    #[test]
    fn short_passwords_are_refused_with_the_count() {
        let err = check_password("Tr0ub4dor&3", "ada@example.com", "Ada")
            .expect_err("short")
            .to_string();
        assert!(
            err.contains("at least 12") && err.contains("has 11"),
            "{err}"
        );
    }

    #[test]
    fn guessable_passwords_are_refused_with_advice() {
        let err = check_password("passwordpassword", "ada@example.com", "Ada")
            .expect_err("weak")
            .to_string();
        assert!(err.starts_with("password: too easy to guess"), "{err}");
        let err = check_password("ada@example.com1", "ada@example.com", "Ada")
            .expect_err("own email")
            .to_string();
        assert!(err.contains("too easy to guess"), "{err}");
    }

    #[test]
    fn strong_passwords_pass() {
        assert!(check_password("correct horse battery staple", "ada@example.com", "Ada").is_ok());
        assert!(check_password("vK3#q9!zLm2@pX", "ada@example.com", "Ada").is_ok());
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_the_recommended_cost_and_verify() {
        let hasher = PasswordHasher::with_permits(1);
        let hash = hasher
            .hash("correct horse battery staple")
            .await
            .expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify("correct horse battery staple", &hash)
                .await
                .expect("verify")
        );
        assert!(
            !hasher
                .verify("wrong horse battery staple", &hash)
                .await
                .expect("verify")
        );
    }
}
