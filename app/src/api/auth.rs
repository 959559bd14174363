//! First-run setup, sign-in and sign-out.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The signed-in user as pages see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: String,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
}

/// Creates the platform admin while no account exists, and signs them in.
/// Returns where to go next.
#[server(endpoint = "setup", output = crate::api::codec::Json)]
pub async fn setup_admin(
    name: String,
    email: String,
    password: String,
    confirm: String,
) -> Result<String, AppError> {
    crate::auth::reply(setup_admin_inner(name, email, password, confirm).await)
}

#[cfg(feature = "ssr")]
async fn setup_admin_inner(
    name: String,
    email: String,
    password: String,
    confirm: String,
) -> Result<String, AppError> {
    use engine::audit::Outcome;
    let ctx = crate::ops::admit(&crate::ops::auth::SETUP, crate::ops::On::Nothing).await?;
    if password != confirm {
        return Err(AppError::Invalid {
            field: "confirm".into(),
            message: "does not match the password".into(),
        });
    }
    let created = ctx
        .state
        .accounts
        .create_first_admin(&email, &name, &password)
        .await?;
    let Some(user) = created else {
        ctx.audit_as(
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
    ctx.mark_has_users();
    ctx.start_session(&user).await?;
    ctx.audit_as(
        crate::auth::actor(&user),
        "auth.setup",
        Some(format!("user:{}", user.email)),
        Outcome::Ok,
        None,
    )
    .await;
    Ok("/".into())
}

/// Signs in with email and password. Returns where to go next.
#[server(endpoint = "login", output = crate::api::codec::Json)]
pub async fn login(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<String, AppError> {
    crate::auth::reply(login_inner(email, password, next).await)
}

#[cfg(feature = "ssr")]
async fn login_inner(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<String, AppError> {
    use engine::audit::Outcome;
    let ctx = crate::ops::admit(&crate::ops::auth::LOGIN, crate::ops::On::Nothing).await?;
    let target = Some(format!("user:{}", email.trim().to_lowercase()));
    if let Err(wait) = ctx.state.login_limiter.check(&email, &ctx.address) {
        ctx.audit_as(
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
    match ctx.state.accounts.verify_login(&email, &password).await {
        Ok(user) => {
            ctx.state.login_limiter.clear_account(&email);
            ctx.start_session(&user).await?;
            ctx.audit_as(
                crate::auth::actor(&user),
                "auth.login",
                target,
                Outcome::Ok,
                None,
            )
            .await;
            Ok(crate::auth::safe_next(next.as_deref()))
        }
        Err(engine::accounts::AccountError::InvalidCredentials) => {
            ctx.state.login_limiter.record_failure(&email, &ctx.address);
            ctx.audit_as(
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

/// Ends this session. Returns where to go next.
#[server(endpoint = "logout", output = crate::api::codec::Json)]
pub async fn logout() -> Result<String, AppError> {
    crate::auth::reply(logout_inner().await)
}

#[cfg(feature = "ssr")]
async fn logout_inner() -> Result<String, AppError> {
    use engine::audit::Outcome;
    let ctx = crate::ops::admit(&crate::ops::auth::LOGOUT, crate::ops::On::Nothing).await?;
    let user = ctx.require_user()?.clone();
    if let Some(handle) = ctx.sign_in_handle().await
        && let Err(e) = ctx.state.signins.revoke(&user.id, &handle).await
    {
        tracing::error!(error = %e, "could not end the sign-in record");
    }
    ctx.session()?.flush().await.map_err(|e| {
        tracing::error!(error = %e, "session store failed");
        AppError::Internal
    })?;
    ctx.audit_as(
        crate::auth::actor(&user),
        "auth.logout",
        None,
        Outcome::Ok,
        None,
    )
    .await;
    Ok("/login".into())
}

/// The signed-in user, if any.
#[server(output = crate::api::codec::Json)]
pub async fn get_me() -> Result<Option<Me>, AppError> {
    let ctx = crate::auth::reply(
        crate::ops::admit(&crate::ops::auth::WHO, crate::ops::On::Nothing).await,
    )?;
    Ok(ctx.user.clone().map(|u| Me {
        id: u.id,
        email: u.email,
        name: u.name,
        is_admin: u.is_admin,
    }))
}

/// Changes the signed-in user's password; every other session of theirs ends, this one stays.
#[server(endpoint = "change_password", output = crate::api::codec::Json)]
pub async fn change_password(
    current: String,
    password: String,
    confirm: String,
) -> Result<String, AppError> {
    crate::auth::reply(
        async {
            use engine::audit::Outcome;
            let ctx =
                crate::ops::admit(&crate::ops::auth::CHANGE_PASSWORD, crate::ops::On::Nothing)
                    .await?;
            let user = ctx.require_user()?.clone();
            if password != confirm {
                return Err(AppError::Invalid {
                    field: "confirm".into(),
                    message: "does not match the new password".into(),
                });
            }
            match ctx
                .state
                .accounts
                .change_password(&user.id, &current, &password)
                .await
            {
                Ok(updated) => {
                    let handle = ctx.start_session(&updated).await?;
                    if let Err(e) = ctx
                        .state
                        .signins
                        .revoke_all(&updated.id, Some(&handle))
                        .await
                    {
                        tracing::error!(error = %e, "could not end the other sign-ins");
                    }
                    ctx.audit_as(
                        crate::auth::actor(&user),
                        "auth.change_password",
                        None,
                        Outcome::Ok,
                        None,
                    )
                    .await;
                    Ok("Password changed; your other sessions have been signed out.".into())
                }
                Err(engine::accounts::AccountError::InvalidCredentials) => {
                    ctx.audit_as(
                        crate::auth::actor(&user),
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
        .await,
    )
}
