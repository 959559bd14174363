//! Sign-in through OAuth 2 / OpenID Connect providers, and one's links to them. Starting and
//! finishing a provider sign-in is open to anyone; a link to an account needs that account's
//! session, which the flow checks itself.
//!
//! A first sign-in through a provider makes an account only when an invitation or the
//! provider's allowed-email-domain rule permits it; otherwise the person lands on
//! `/signin/refused`, which says why. The flow answers where the browser goes next; the server
//! function sends it there.

use engine::audit::Outcome;
use engine::identity::identities::{ExternalIdentity, IdentityError};
use engine::identity::oauth::Pending;
use engine::model::ids::UserId;
use engine::tenancy::workspaces::WorkspaceError;
use serde::{Deserialize, Serialize};

use super::{Grant, Op, actor};
use crate::access::Need;
use crate::auth::safe_next;
use crate::error::AppError;
use crate::model::oauth::{LinkedAccount, ProviderButton, ProviderLink, Refusal, SignInMethods};

/// The sign-in providers offered on the sign-in page.
pub static PROVIDERS: Op = Op {
    name: "oauth.providers",
    need: Need::Anyone,
};
/// Starting a provider sign-in (or a link to the signed-in account).
pub static START: Op = Op {
    name: "oauth.start",
    need: Need::Anyone,
};
/// Finishing a provider sign-in.
pub static CALLBACK: Op = Op {
    name: "oauth.callback",
    need: Need::Anyone,
};
/// One's own sign-in methods.
pub static METHODS: Op = Op {
    name: "oauth.methods",
    need: Need::Session,
};
/// Unlinking a provider from one's own account.
pub static UNLINK: Op = Op {
    name: "oauth.unlink",
    need: Need::Session,
};

impl From<engine::identity::identities::Identity> for LinkedAccount {
    fn from(l: engine::identity::identities::Identity) -> Self {
        Self {
            email: l.email,
            linked_at: l.created_at,
            last_used_at: l.last_used_at,
        }
    }
}

impl From<engine::identity::identities::IdentityError> for AppError {
    fn from(e: engine::identity::identities::IdentityError) -> Self {
        use engine::identity::identities::IdentityError;
        match e {
            IdentityError::NotLinked(p) => Self::NotFound(format!("link to {p}")),
            e @ (IdentityError::TakenByOther(_)
            | IdentityError::ProviderAlreadyLinked(_)
            | IdentityError::LastWayIn) => Self::Conflict(e.to_string()),
            IdentityError::Account(e) => e.into(),
            IdentityError::Db(e) => e.into(),
        }
    }
}

/// The configured sign-in providers (for the sign-in and invitation pages).
pub fn providers(grant: &Grant) -> Result<Vec<ProviderButton>, AppError> {
    grant.expect(&PROVIDERS)?;
    Ok(grant
        .state
        .providers
        .all()
        .iter()
        .map(|p| ProviderButton {
            name: p.name.clone(),
            label: p.label.clone(),
        })
        .collect())
}

/// The caller's sign-in methods: password or not, and each provider, linked or not (a link to
/// a provider no longer configured is listed too, so it can be removed).
pub async fn methods(grant: &Grant) -> Result<SignInMethods, AppError> {
    grant.expect(&METHODS)?;
    let user = grant.require_user()?;
    let has_password = grant.state.accounts.has_password(&user.id).await?;
    let mut linked = grant.state.identities.for_user(&user.id).await?;
    let mut providers: Vec<ProviderLink> = grant
        .state
        .providers
        .all()
        .iter()
        .map(|p| {
            let link = linked
                .iter()
                .position(|l| l.provider == p.name)
                .map(|i| linked.remove(i));
            ProviderLink {
                name: p.name.clone(),
                label: p.label.clone(),
                configured: true,
                linked: link.map(Into::into),
            }
        })
        .collect();
    providers.extend(linked.into_iter().map(|l| ProviderLink {
        name: l.provider.clone(),
        label: l.provider.clone(),
        configured: false,
        linked: Some(l.into()),
    }));
    Ok(SignInMethods {
        has_password,
        providers,
    })
}

/// Removes the link between the caller's account and `provider`.
pub async fn unlink(grant: &Grant, provider: &str) -> Result<(), AppError> {
    grant.expect(&UNLINK)?;
    let user = grant.require_user()?;
    let result = grant.state.identities.unlink(&user.id, provider).await;
    grant
        .audited(
            "auth.unlink_provider",
            Some(format!("provider:{provider}")),
            result,
        )
        .await
}

/// Session key of the sign-ins started from this browser and not finished yet.
const SESSION_FLOWS: &str = "oauth_flows";
/// At most this many unfinished sign-ins are kept per browser (several tabs).
const MAX_FLOWS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Intent {
    Login,
    Link,
}

/// A started sign-in and what it is for.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Flow {
    pending: Pending,
    intent: Intent,
    /// For links: the account that asked (the callback must come from the same one).
    user_id: Option<UserId>,
    invite: Option<String>,
    next: Option<String>,
}

fn session_error(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store failed");
    AppError::Internal
}

/// A browser on its way to or back from a provider gets a page, not an error body: a
/// failure ends on the refusal page too. (While the database is down the session cannot be
/// saved on the way there, and the server's outage layer answers 503 with the reason.)
pub fn or_refusal(result: Result<String, AppError>) -> Result<String, AppError> {
    match result {
        Err(AppError::DatabaseUnavailable) => refuse(Refusal::Unavailable, ""),
        Err(AppError::Internal | AppError::NotFound(_)) => refuse(Refusal::Internal, ""),
        other => other,
    }
}

/// Where a refused sign-in lands: the refusal page, which says why.
fn refuse(why: Refusal, provider: &str) -> Result<String, AppError> {
    Ok(format!(
        "/signin/refused?why={}&provider={}",
        why.code(),
        urlencode(provider)
    ))
}

fn urlencode(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// What a sign-in or link to be started asks for.
pub struct Start {
    pub provider: String,
    /// `login` (the default) or `link`.
    pub intent: Option<String>,
    /// An invitation code carried through the sign-in.
    pub invite: Option<String>,
    /// Where to land afterwards.
    pub next: Option<String>,
}

/// Starts a sign-in or a link at a provider: remembers it in the session and answers the
/// provider's address to send the browser to (or the refusal page).
pub async fn start(ctx: &Grant, start: Start) -> Result<String, AppError> {
    ctx.expect(&START)?;
    let Start {
        provider,
        intent,
        invite,
        next,
    } = start;
    let intent = match intent.as_deref() {
        None | Some("" | "login") => Intent::Login,
        Some("link") => Intent::Link,
        Some(_) => {
            return Err(AppError::Invalid {
                field: "intent".into(),
                message: "must be login or link".into(),
            });
        }
    };
    let user_id = match (intent, &ctx.user, &ctx.token) {
        (Intent::Link, Some(user), None) => Some(user.id.clone()),
        (Intent::Link, _, _) => return refuse(Refusal::SignInFirst, &provider),
        (Intent::Login, _, _) => None,
    };
    if ctx.state.providers.get(&provider).is_err() {
        return refuse(Refusal::UnknownProvider, &provider);
    }
    let (url, pending) = match ctx
        .state
        .providers
        .begin(&provider, &ctx.oauth_callback_url())
        .await
    {
        Ok(begun) => begun,
        Err(e) => {
            ctx.audit(
                "auth.oauth",
                Some(format!("provider:{provider}")),
                Outcome::Failed,
                Some(e.to_string()),
            )
            .await;
            return refuse(Refusal::ProviderFailed, &provider);
        }
    };
    let session = ctx.session()?;
    let now = engine::clock::now_ms();
    let mut flows: Vec<Flow> = session
        .get(SESSION_FLOWS)
        .await
        .map_err(session_error)?
        .unwrap_or_default();
    flows.retain(|f| !f.pending.expired(now));
    flows.push(Flow {
        pending,
        intent,
        user_id,
        invite: invite.filter(|c| !c.trim().is_empty()),
        next,
    });
    if flows.len() > MAX_FLOWS {
        flows.drain(..flows.len() - MAX_FLOWS);
    }
    session
        .insert(SESSION_FLOWS, &flows)
        .await
        .map_err(session_error)?;
    Ok(url)
}

/// What a provider sends people back with: `code` and `state`, or `error`.
pub struct Return {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// Finishes a sign-in or link the provider sent the browser back from (`state` must be one
/// this browser started, once, within its time). Answers where the browser goes next: the
/// destination, the profile, or the refusal page.
pub async fn callback(ctx: &mut Grant, back: Return) -> Result<String, AppError> {
    ctx.expect(&CALLBACK)?;
    let Return { code, state, error } = back;
    let session = ctx.session()?.clone();
    let mut flows: Vec<Flow> = session
        .get(SESSION_FLOWS)
        .await
        .map_err(session_error)?
        .unwrap_or_default();
    // The flow is used up whatever happens next: a state works once.
    let found = state
        .as_deref()
        .and_then(|s| flows.iter().position(|f| f.pending.matches(s)))
        .map(|i| flows.remove(i));
    session
        .insert(SESSION_FLOWS, &flows)
        .await
        .map_err(session_error)?;
    let Some(flow) = found.filter(|f| !f.pending.expired(engine::clock::now_ms())) else {
        ctx.audit(
            "auth.oauth",
            None,
            Outcome::Denied,
            Some("unknown, reused or expired state".into()),
        )
        .await;
        return refuse(Refusal::Expired, "");
    };
    let provider = flow.pending.provider.clone();
    let target = Some(format!("provider:{provider}"));
    if let Some(error) = error {
        ctx.audit(
            "auth.oauth",
            target,
            Outcome::Failed,
            Some(format!("the provider answered {error}")),
        )
        .await;
        return refuse(Refusal::Denied, &provider);
    }
    let identity = match ctx
        .state
        .providers
        .finish(
            &flow.pending,
            code.as_deref().unwrap_or_default(),
            &ctx.oauth_callback_url(),
        )
        .await
    {
        Ok(identity) => identity,
        Err(e) => {
            ctx.audit("auth.oauth", target, Outcome::Failed, Some(e.to_string()))
                .await;
            return refuse(Refusal::ProviderFailed, &provider);
        }
    };
    match flow.intent {
        Intent::Link => link(ctx, &flow, &identity).await,
        Intent::Login => login(ctx, &flow, identity).await,
    }
}

async fn link(ctx: &Grant, flow: &Flow, identity: &ExternalIdentity) -> Result<String, AppError> {
    let provider = &identity.provider;
    let target = Some(format!("provider:{provider}"));
    let Some(user) = ctx
        .user
        .as_ref()
        .filter(|u| flow.user_id.as_deref() == Some(u.id.as_str()))
    else {
        ctx.audit(
            "auth.link_provider",
            target,
            Outcome::Denied,
            Some("not signed in as the account that started the link".into()),
        )
        .await;
        return refuse(Refusal::SignInFirst, provider);
    };
    match ctx.state.identities.link(user, identity).await {
        Ok(()) => {
            ctx.audit("auth.link_provider", target, Outcome::Ok, None)
                .await;
            Ok("/profile".into())
        }
        Err(e @ (IdentityError::TakenByOther(_) | IdentityError::ProviderAlreadyLinked(_))) => {
            let why = if matches!(e, IdentityError::TakenByOther(_)) {
                Refusal::Taken
            } else {
                Refusal::AlreadyLinked
            };
            ctx.audit(
                "auth.link_provider",
                target,
                Outcome::Denied,
                Some(e.to_string()),
            )
            .await;
            refuse(why, provider)
        }
        Err(e) => Err(e.into()),
    }
}

async fn login(
    ctx: &mut Grant,
    flow: &Flow,
    identity: ExternalIdentity,
) -> Result<String, AppError> {
    let provider = identity.provider.clone();
    let target = Some(format!(
        "user:{} via {provider}",
        identity.email.as_deref().unwrap_or("(no email)")
    ));

    // A known identity signs in to its account.
    let linked = ctx
        .state
        .identities
        .user_of(&provider, &identity.subject)
        .await
        .map_err(AppError::from)?;
    if let Some(user_id) = linked {
        let Some(user) = ctx.state.accounts.get(&user_id).await? else {
            return refuse(Refusal::NotAllowed, &provider);
        };
        ctx.start_session(&user).await?;
        ctx.audit_as(actor(&user), "auth.login", target, Outcome::Ok, None)
            .await;
        return Ok(safe_next(flow.next.as_deref()));
    }

    // Anyone else needs an account made for them: by invitation or by the domain rule.
    let email = match identity.email.clone() {
        Some(email) if identity.email_verified => email,
        _ => {
            ctx.audit(
                "auth.login",
                target,
                Outcome::Denied,
                Some("the provider gave no verified email".into()),
            )
            .await;
            return refuse(Refusal::EmailUnverified, &provider);
        }
    };
    // The provider's name for the person, else the email's local part, else a placeholder
    // (the account's name can be changed later); never a reason to refuse.
    let name = [
        identity.name.clone(),
        email.split('@').next().map(str::to_owned),
    ]
    .into_iter()
    .flatten()
    .find(|n| engine::identity::accounts::parse_name(n).is_ok())
    .unwrap_or_else(|| "New user".to_owned());
    let prepared = match ctx.state.accounts.prepare_external(&email, &name) {
        Ok(prepared) => prepared,
        Err(e) => {
            ctx.audit("auth.login", target, Outcome::Failed, Some(e.to_string()))
                .await;
            return refuse(Refusal::ProviderFailed, &provider);
        }
    };

    if ctx.state.accounts.find_by_email(&email).await?.is_some() {
        ctx.audit(
            "auth.login",
            target,
            Outcome::Denied,
            Some("an account with this email exists but is not linked".into()),
        )
        .await;
        return refuse(Refusal::LinkFirst, &provider);
    }
    if let Some(code) = &flow.invite {
        let accepted = ctx
            .state
            .workspaces
            .accept_prepared(code, &prepared, Some(&identity))
            .await;
        let (user, invitation) = match accepted {
            Ok(done) => done,
            Err(e) => {
                let why = match &e {
                    WorkspaceError::Unusable(_) => Refusal::Invitation,
                    WorkspaceError::Invalid { .. } => Refusal::InvitationEmail,
                    WorkspaceError::IdentityTaken => Refusal::Taken,
                    WorkspaceError::Account(
                        engine::identity::accounts::AccountError::EmailTaken,
                    ) => Refusal::LinkFirst,
                    _ => return Err(e.into()),
                };
                ctx.audit(
                    "invitation.accept",
                    target,
                    Outcome::Denied,
                    Some(e.to_string()),
                )
                .await;
                return refuse(why, &provider);
            }
        };
        ctx.mark_has_users();
        ctx.start_session(&user).await?;
        ctx.user = Some(user.clone());
        super::workspaces::work_in(ctx, &invitation.workspace_id).await?;
        ctx.workspace = Some(invitation.workspace_id.clone());
        ctx.audit(
            "invitation.accept",
            Some(format!(
                "invitation:{} as {} via {provider}",
                invitation.id,
                invitation.role.as_str()
            )),
            Outcome::Ok,
            None,
        )
        .await;
        return Ok(format!("/workspaces/{}", invitation.workspace_id));
    }

    let allowed = ctx
        .state
        .providers
        .get(&provider)
        .is_ok_and(|p| p.allows_domain(&email))
        && ctx.state.accounts.count().await? > 0;
    if !allowed {
        ctx.audit(
            "auth.login",
            target,
            Outcome::Denied,
            Some("no account, no invitation, email domain not allowed".into()),
        )
        .await;
        return refuse(Refusal::NotAllowed, &provider);
    }
    let user = match ctx
        .state
        .identities
        .create_account(&prepared, &identity)
        .await
    {
        Ok(user) => user,
        Err(IdentityError::Account(engine::identity::accounts::AccountError::EmailTaken)) => {
            return refuse(Refusal::LinkFirst, &provider);
        }
        Err(IdentityError::TakenByOther(_)) => return refuse(Refusal::Taken, &provider),
        Err(e) => return Err(e.into()),
    };
    ctx.start_session(&user).await?;
    ctx.audit_as(
        actor(&user),
        "auth.signup",
        Some(format!("user:{email} via {provider} (allowed domain)")),
        Outcome::Ok,
        None,
    )
    .await;
    Ok(safe_next(flow.next.as_deref()))
}
