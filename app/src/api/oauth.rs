//! Sign-in through OAuth 2 / OpenID Connect providers: starting a sign-in (or a link from the
//! profile), the provider's callback, and the profile's list of linked providers.
//!
//! A first sign-in through a provider makes an account only when an invitation or the
//! provider's allowed-email-domain rule permits it; otherwise the person lands on
//! `/signin/refused`, which says why.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A provider as the sign-in page offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderButton {
    pub name: String,
    pub label: String,
}

/// One provider on the profile, linked or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderLink {
    pub name: String,
    pub label: String,
    /// Whether the provider is still configured (a removed one can only be unlinked).
    pub configured: bool,
    pub linked: Option<LinkedAccount>,
}

/// The provider account linked to the user's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedAccount {
    pub email: Option<String>,
    pub linked_at: i64,
    pub last_used_at: Option<i64>,
}

/// How the signed-in user can sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInMethods {
    pub has_password: bool,
    pub providers: Vec<ProviderLink>,
}

/// Why a provider sign-in ended on the refusal page (`/signin/refused?why=<code>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    NotAllowed,
    LinkFirst,
    EmailUnverified,
    Expired,
    Denied,
    ProviderFailed,
    Taken,
    AlreadyLinked,
    Invitation,
    InvitationEmail,
    SignInFirst,
    UnknownProvider,
    Unavailable,
    Internal,
}

impl Refusal {
    const ALL: [Self; 14] = [
        Self::NotAllowed,
        Self::LinkFirst,
        Self::EmailUnverified,
        Self::Expired,
        Self::Denied,
        Self::ProviderFailed,
        Self::Taken,
        Self::AlreadyLinked,
        Self::Invitation,
        Self::InvitationEmail,
        Self::SignInFirst,
        Self::UnknownProvider,
        Self::Unavailable,
        Self::Internal,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::NotAllowed => "not_allowed",
            Self::LinkFirst => "link_first",
            Self::EmailUnverified => "email_unverified",
            Self::Expired => "expired",
            Self::Denied => "denied",
            Self::ProviderFailed => "provider_failed",
            Self::Taken => "taken",
            Self::AlreadyLinked => "already_linked",
            Self::Invitation => "invitation",
            Self::InvitationEmail => "invitation_email",
            Self::SignInFirst => "sign_in_first",
            Self::UnknownProvider => "unknown_provider",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// What the refusal page says.
    pub fn message(self) -> &'static str {
        match self {
            Self::NotAllowed => {
                "There is no Orbitr account for this sign-in, and this provider does not let new people in by themselves. Ask a workspace owner or an admin for an invitation link, then use it to join."
            }
            Self::LinkFirst => {
                "An Orbitr account with this email already exists. Sign in with its password, then link this provider on your profile page."
            }
            Self::EmailUnverified => {
                "The provider did not confirm that this email address is yours, so no account can be made from it. Verify the address with the provider and try again."
            }
            Self::Expired => {
                "This sign-in was not started here, was already used, or took longer than 10 minutes. Start again from the sign-in page."
            }
            Self::Denied => "The sign-in was cancelled at the provider. Nothing was changed.",
            Self::ProviderFailed => {
                "The provider could not complete the sign-in. Try again; if it keeps failing, an admin will find the reason in the audit log."
            }
            Self::Taken => {
                "This provider account is already linked to another Orbitr account. Unlink it there first."
            }
            Self::AlreadyLinked => {
                "Your account is already linked to another account at this provider. Unlink it on your profile first."
            }
            Self::Invitation => {
                "The invitation cannot be used: it was used already, withdrawn, expired or is unknown. Ask for a new one."
            }
            Self::InvitationEmail => {
                "The invitation was made for another email address than the one this provider gave."
            }
            Self::SignInFirst => "Sign in first, then link the provider from your profile.",
            Self::UnknownProvider => "This sign-in provider is not configured.",
            Self::Unavailable => {
                "Orbitr's database is unavailable right now; nothing was changed. Try again in a moment."
            }
            Self::Internal => {
                "Something failed on Orbitr's side; nothing was changed. The server log has the details."
            }
        }
    }
}

/// The configured sign-in providers (for the sign-in and invitation pages).
#[server(endpoint = "sign_in_providers", output = crate::api::codec::Json)]
pub async fn sign_in_providers() -> Result<Vec<ProviderButton>, AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::ops::admit(&crate::ops::oauth::PROVIDERS, crate::ops::On::Nothing).await?;
            Ok(ctx
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
        .await,
    )
}

/// Starts a sign-in (`intent` "login", the default) or a link to the signed-in account
/// ("link") at `provider`: sends the browser to the provider. `invite` carries an invitation
/// code through the sign-in; `next` is where to land afterwards.
#[server(endpoint = "oauth/start", output = crate::api::codec::Json)]
pub async fn oauth_start(
    provider: String,
    intent: Option<String>,
    invite: Option<String>,
    next: Option<String>,
) -> Result<(), AppError> {
    crate::auth::reply(flow::or_refusal(
        flow::start(provider, intent, invite, next).await,
    ))
}

/// Where providers send people back: `?code=…&state=…` (or `?error=…`). Always answers with
/// a redirect: to the destination, the profile, or the refusal page.
#[server(endpoint = "oauth/callback", input = GetUrl, output = crate::api::codec::Json)]
pub async fn oauth_callback(
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
) -> Result<(), AppError> {
    crate::auth::reply(flow::or_refusal(flow::callback(code, state, error).await))
}

/// The signed-in user's sign-in methods: password or not, and each provider, linked or not.
#[server(endpoint = "my_sign_in_methods", output = crate::api::codec::Json)]
pub async fn my_sign_in_methods() -> Result<SignInMethods, AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::ops::admit(&crate::ops::oauth::METHODS, crate::ops::On::Nothing).await?;
            let user = ctx.require_user()?;
            let has_password = ctx.state.accounts.has_password(&user.id).await?;
            let mut linked = ctx
                .state
                .identities
                .for_user(&user.id)
                .await
                .map_err(AppError::from)?;
            let mut providers: Vec<ProviderLink> = ctx
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
        .await,
    )
}

/// Removes the link between the signed-in user's account and `provider`.
#[server(endpoint = "unlink_provider", output = crate::api::codec::Json)]
pub async fn unlink_provider(provider: String) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::ops::admit(&crate::ops::oauth::UNLINK, crate::ops::On::Nothing).await?;
            let user = ctx.require_user()?;
            let result = ctx.state.identities.unlink(&user.id, &provider).await;
            ctx.audited(
                "auth.unlink_provider",
                Some(format!("provider:{provider}")),
                result,
            )
            .await
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
impl From<engine::identities::Identity> for LinkedAccount {
    fn from(l: engine::identities::Identity) -> Self {
        Self {
            email: l.email,
            linked_at: l.created_at,
            last_used_at: l.last_used_at,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<engine::identities::IdentityError> for AppError {
    fn from(e: engine::identities::IdentityError) -> Self {
        use engine::identities::IdentityError;
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

#[cfg(feature = "ssr")]
mod flow {
    use engine::audit::Outcome;
    use engine::identities::{ExternalIdentity, IdentityError};
    use engine::oauth::Pending;
    use engine::workspaces::WorkspaceError;
    use serde::{Deserialize, Serialize};

    use super::Refusal;
    use crate::auth::safe_next;
    use crate::error::AppError;
    use crate::ops::{Grant as RequestCtx, actor};

    /// Session key of the sign-ins started from this browser and not finished yet.
    const SESSION_FLOWS: &str = "oauth_flows";
    /// At most this many unfinished sign-ins are kept per browser (several tabs).
    const MAX_FLOWS: usize = 5;
    /// Where providers send people back, under the public URL.
    pub const CALLBACK_PATH: &str = "/api/oauth/callback";

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
        user_id: Option<String>,
        invite: Option<String>,
        next: Option<String>,
    }

    fn session_error(e: tower_sessions::session::Error) -> AppError {
        tracing::error!(error = %e, "session store failed");
        AppError::Internal
    }

    /// Orbitr's callback URL as registered with providers: under the public URL, else under
    /// the host the browser used.
    fn callback_url(ctx: &RequestCtx) -> String {
        let origin = ctx.state.auth.public_origin.clone().unwrap_or_else(|| {
            format!("http://{}", ctx.host.as_deref().unwrap_or("127.0.0.1:8080"))
        });
        format!("{origin}{CALLBACK_PATH}")
    }

    /// A browser on its way to or back from a provider gets a page, not an error body: a
    /// failure ends on the refusal page too. (While the database is down the session cannot be
    /// saved on the way there, and the server's outage layer answers 503 with the reason.)
    pub fn or_refusal(result: Result<(), AppError>) -> Result<(), AppError> {
        match result {
            Err(AppError::DatabaseUnavailable) => refuse(Refusal::Unavailable, ""),
            Err(AppError::Internal | AppError::NotFound(_)) => refuse(Refusal::Internal, ""),
            other => other,
        }
    }

    fn refuse(why: Refusal, provider: &str) -> Result<(), AppError> {
        leptos_axum::redirect(&format!(
            "/signin/refused?why={}&provider={}",
            why.code(),
            urlencode(provider)
        ));
        Ok(())
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

    pub async fn start(
        provider: String,
        intent: Option<String>,
        invite: Option<String>,
        next: Option<String>,
    ) -> Result<(), AppError> {
        let ctx = crate::ops::admit(&crate::ops::oauth::START, crate::ops::On::Nothing).await?;
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
            .begin(&provider, &callback_url(&ctx))
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
        let now = engine::db::now_ms();
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
        leptos_axum::redirect(&url);
        Ok(())
    }

    pub async fn callback(
        code: Option<String>,
        state: Option<String>,
        error: Option<String>,
    ) -> Result<(), AppError> {
        let mut ctx =
            crate::ops::admit(&crate::ops::oauth::CALLBACK, crate::ops::On::Nothing).await?;
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
        let Some(flow) = found.filter(|f| !f.pending.expired(engine::db::now_ms())) else {
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
                &callback_url(&ctx),
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
            Intent::Link => link(&ctx, &flow, &identity).await,
            Intent::Login => login(&mut ctx, &flow, identity).await,
        }
    }

    async fn link(
        ctx: &RequestCtx,
        flow: &Flow,
        identity: &ExternalIdentity,
    ) -> Result<(), AppError> {
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
                leptos_axum::redirect("/profile");
                Ok(())
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
        ctx: &mut RequestCtx,
        flow: &Flow,
        identity: ExternalIdentity,
    ) -> Result<(), AppError> {
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
            leptos_axum::redirect(&safe_next(flow.next.as_deref()));
            return Ok(());
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
        .find(|n| engine::accounts::parse_name(n).is_ok())
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
                        WorkspaceError::Account(engine::accounts::AccountError::EmailTaken) => {
                            Refusal::LinkFirst
                        }
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
            ctx.session()?
                .insert(
                    crate::api::workspaces::SESSION_WORKSPACE,
                    &invitation.workspace_id,
                )
                .await
                .map_err(session_error)?;
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
            leptos_axum::redirect(&format!("/workspaces/{}", invitation.workspace_id));
            return Ok(());
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
            Err(IdentityError::Account(engine::accounts::AccountError::EmailTaken)) => {
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
        leptos_axum::redirect(&safe_next(flow.next.as_deref()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Refusal;

    #[test]
    fn every_refusal_code_reads_back_and_says_something() {
        for why in Refusal::ALL {
            assert_eq!(Refusal::parse(why.code()), Some(why));
            assert!(why.message().ends_with('.'), "{why:?}");
        }
        assert_eq!(Refusal::parse("<script>"), None);
    }
}
