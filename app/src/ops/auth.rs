//! Accounts: first-run setup, signing in and out, who is signed in, changing one's password.

use engine::audit::Outcome;
use engine::identity::accounts::{AccountError, User};
use engine::identity::tokens::TokenInfo;

use super::{Grant, Op, actor};
use crate::access::Need;
use crate::error::AppError;
use crate::model::accounts::Me;

/// First-run setup: the first account, a platform admin.
pub static SETUP: Op = Op {
    name: "account.setup",
    need: Need::Anyone,
};
/// Signing in with email and password.
pub static LOGIN: Op = Op {
    name: "account.login",
    need: Need::Anyone,
};
/// Signing out of this session.
pub static LOGOUT: Op = Op {
    name: "account.logout",
    need: Need::SignedIn,
};
/// Who is signed in, if anyone (pages ask before they render).
pub static WHO: Op = Op {
    name: "account.who",
    need: Need::Anyone,
};
/// The signed-in account.
pub static ME: Op = Op {
    name: "account.me",
    need: Need::SignedIn,
};
/// Changing one's own password (ends every other session).
pub static CHANGE_PASSWORD: Op = Op {
    name: "account.change_password",
    need: Need::Session,
};

/// What the caller is signed in as, and through which API token if any.
pub struct Identity {
    pub user: User,
    pub token: Option<TokenInfo>,
}

/// The signed-in account, and the token the request came with.
pub fn me(grant: &Grant) -> Result<Identity, AppError> {
    grant.expect(&ME)?;
    Ok(Identity {
        user: grant.require_user()?.clone(),
        token: grant.token.clone(),
    })
}

/// Who is signed in, if anyone.
pub fn who(grant: &Grant) -> Result<Option<Me>, AppError> {
    grant.expect(&WHO)?;
    Ok(grant.user.clone().map(|u| Me {
        id: u.id.into(),
        email: u.email,
        name: u.name,
        is_admin: u.is_admin,
    }))
}

/// A password and its confirmation, or the confirmation's field is named.
fn confirmed(password: &str, confirm: &str, message: &str) -> Result<(), AppError> {
    if password == confirm {
        Ok(())
    } else {
        Err(AppError::Invalid {
            field: "confirm".into(),
            message: message.into(),
        })
    }
}

/// What first-run setup and account forms ask for.
pub struct NewAccount {
    pub name: String,
    pub email: String,
    pub password: String,
    pub confirm: String,
}

/// Creates the platform admin while no account exists, and signs them in. Returns where to go
/// next.
pub async fn setup(grant: &Grant, new: NewAccount) -> Result<String, AppError> {
    grant.expect(&SETUP)?;
    confirmed(&new.password, &new.confirm, "does not match the password")?;
    let created = grant
        .state
        .accounts
        .create_first_admin(&new.email, &new.name, &new.password)
        .await?;
    let Some(user) = created else {
        grant
            .audit_as(
                "anonymous".into(),
                "auth.setup",
                None,
                Outcome::Denied,
                Some("already set up".into()),
            )
            .await;
        return Err(AppError::Conflict(
            "Orbitr is already set up: sign in instead".into(),
        ));
    };
    grant.mark_has_users();
    grant.start_session(&user).await?;
    grant
        .audit_as(
            actor(&user),
            "auth.setup",
            Some(format!("user:{}", user.email)),
            Outcome::Ok,
            None,
        )
        .await;
    Ok("/".into())
}

/// Signs in with email and password, within the sign-in limits. Returns where to go next
/// (`next` if it stays on this site).
pub async fn login(
    grant: &Grant,
    email: &str,
    password: &str,
    next: Option<&str>,
) -> Result<String, AppError> {
    grant.expect(&LOGIN)?;
    let target = Some(format!("user:{}", email.trim().to_lowercase()));
    if let Err(wait) = grant.state.login_limiter.check(email, &grant.address) {
        grant
            .audit_as(
                "anonymous".into(),
                "auth.login",
                target,
                Outcome::Denied,
                Some("too many failed sign-ins".into()),
            )
            .await;
        return Err(AppError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    match grant.state.accounts.verify_login(email, password).await {
        Ok(user) => {
            grant.state.login_limiter.clear_account(email);
            grant.start_session(&user).await?;
            grant
                .audit_as(actor(&user), "auth.login", target, Outcome::Ok, None)
                .await;
            Ok(crate::auth::safe_next(next))
        }
        Err(AccountError::InvalidCredentials) => {
            grant
                .state
                .login_limiter
                .record_failure(email, &grant.address);
            grant
                .audit_as(
                    "anonymous".into(),
                    "auth.login",
                    target,
                    Outcome::Failed,
                    Some("wrong email or password".into()),
                )
                .await;
            Err(AppError::InvalidCredentials)
        }
        Err(e) => Err(e.into()),
    }
}

/// Ends this session and its sign-in record. Returns where to go next.
pub async fn logout(grant: &Grant) -> Result<String, AppError> {
    grant.expect(&LOGOUT)?;
    let user = grant.require_user()?;
    if let Some(handle) = grant.sign_in_handle().await
        && let Err(e) = grant.state.signins.revoke(&user.id, &handle).await
    {
        tracing::error!(error = %e, "could not end the sign-in record");
    }
    grant.session()?.flush().await.map_err(|e| {
        tracing::error!(error = %e, "session store failed");
        AppError::Internal
    })?;
    grant
        .audit_as(actor(user), "auth.logout", None, Outcome::Ok, None)
        .await;
    Ok("/login".into())
}

/// Changes the caller's password (`current` must be right); every other session of theirs
/// ends, this one is renewed. Returns what to tell them.
pub async fn change_password(
    grant: &Grant,
    current: &str,
    password: &str,
    confirm: &str,
) -> Result<String, AppError> {
    grant.expect(&CHANGE_PASSWORD)?;
    let user = grant.require_user()?;
    confirmed(password, confirm, "does not match the new password")?;
    match grant
        .state
        .accounts
        .change_password(&user.id, current, password)
        .await
    {
        Ok(updated) => {
            let handle = grant.start_session(&updated).await?;
            if let Err(e) = grant
                .state
                .signins
                .revoke_all(&updated.id, Some(&handle))
                .await
            {
                tracing::error!(error = %e, "could not end the other sign-ins");
            }
            grant
                .audit_as(actor(user), "auth.change_password", None, Outcome::Ok, None)
                .await;
            Ok("Password changed; your other sessions have been signed out.".into())
        }
        Err(AccountError::InvalidCredentials) => {
            grant
                .audit_as(
                    actor(user),
                    "auth.change_password",
                    None,
                    Outcome::Failed,
                    Some("wrong current password".into()),
                )
                .await;
            Err(AppError::Invalid {
                field: "current".into(),
                message: "is not your current password".into(),
            })
        }
        Err(e) => Err(e.into()),
    }
}
