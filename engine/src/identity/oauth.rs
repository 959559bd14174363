//! Sign-in through OAuth 2 / OpenID Connect providers: GitHub (plain OAuth 2 and its REST API),
//! GitLab, Google and any OpenID Connect provider found through its discovery document.
//!
//! A sign-in is two steps. [`Providers::begin`] makes the provider's authorization URL with a
//! fresh `state`, PKCE verifier (S256) and, for OIDC, `nonce`, and returns them as a [`Pending`]
//! that the caller keeps server-side (in the session). [`Providers::finish`] takes the code the
//! provider sent back, exchanges it with the verifier, and for OIDC checks the ID token
//! (signature against the provider's keys, issuer, audience, expiry, nonce). What comes out is
//! an [`ExternalIdentity`]: the provider's stable subject id, and an email with whether the
//! provider vouches for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreProviderMetadata,
};
use openidconnect::reqwest;
use openidconnect::{
    AccessToken, AuthUrl, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, EmptyAdditionalClaims, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl, UserInfoClaims,
};
use serde::{Deserialize, Serialize};

use crate::clock::now_ms;
use crate::identity::identities::ExternalIdentity;

/// How long a started sign-in may take at the provider.
pub const PENDING_LIFETIME_MS: i64 = 10 * 60 * 1000;
/// How long a provider's discovery document (endpoints and signing keys) is reused.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// Longest wait for any call to a provider.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

pub use crate::model::providers::ProviderKind;
use crate::model::providers::ProviderSpec;

/// One configured provider: its settings and its client secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderSettings {
    pub spec: ProviderSpec,
    pub client_secret: String,
}

/// Its settings are read through it (`provider.name`, `provider.issuer`).
impl std::ops::Deref for ProviderSettings {
    type Target = ProviderSpec;

    fn deref(&self) -> &ProviderSpec {
        &self.spec
    }
}

/// Everything but the client secret.
impl std::fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("spec", &self.spec)
            .field("client_secret", &"(hidden)")
            .finish()
    }
}

impl ProviderSettings {
    /// Whether this provider lets a person with `email` create an account.
    pub fn allows_domain(&self, email: &str) -> bool {
        let Some((_, domain)) = email.rsplit_once('@') else {
            return false;
        };
        self.allowed_domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(domain))
    }

    /// GitHub's endpoints: (authorize, token, REST API base).
    fn github_endpoints(&self) -> (String, String, String) {
        let site = self.issuer.trim_end_matches('/');
        let api = if site == "https://github.com" {
            "https://api.github.com".to_owned()
        } else {
            format!("{site}/api/v3")
        };
        (
            format!("{site}/login/oauth/authorize"),
            format!("{site}/login/oauth/access_token"),
            api,
        )
    }
}

/// A started sign-in, kept server-side until the provider sends the person back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub provider: String,
    /// The `state` sent to the provider; the callback must return it.
    pub state: String,
    /// The OIDC nonce the ID token must carry.
    pub nonce: Option<String>,
    /// The PKCE verifier whose S256 challenge went to the provider.
    pub verifier: String,
    pub created_at: i64,
}

impl Pending {
    /// Whether the provider's answer came too late.
    pub fn expired(&self, now: i64) -> bool {
        now.saturating_sub(self.created_at) > PENDING_LIFETIME_MS
    }

    /// Whether a returned `state` is this sign-in's (compared in constant time).
    pub fn matches(&self, state: &str) -> bool {
        crate::identity::secrets::constant_time_eq(self.state.as_bytes(), state.as_bytes())
    }
}

/// Why a provider sign-in failed. Messages are safe to show and name the provider.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("no sign-in provider named {0:?} is configured")]
    UnknownProvider(String),
    #[error("{provider} cannot be reached: {reason}")]
    Unavailable { provider: String, reason: String },
    #[error("{provider} did not accept the sign-in: {reason}")]
    Exchange { provider: String, reason: String },
    #[error("{provider} sent an ID token that fails its checks: {reason}")]
    IdToken { provider: String, reason: String },
    #[error("{provider} did not tell who you are: {reason}")]
    Profile { provider: String, reason: String },
    #[error("the sign-in provider settings are wrong: {0}")]
    Settings(String),
}

/// The configured providers and what was learned from them (discovery documents).
#[derive(Clone)]
pub struct Providers {
    /// Replaced whole when the settings page changes a provider.
    list: Arc<RwLock<Arc<Vec<ProviderSettings>>>>,
    http: reqwest::Client,
    discovered: Arc<Mutex<HashMap<String, (CoreProviderMetadata, Instant)>>>,
}

impl Providers {
    pub fn new(list: Vec<ProviderSettings>) -> Self {
        let http = reqwest::Client::builder()
            // Provider answers are never followed elsewhere (the openidconnect docs warn of SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .user_agent(concat!("Orbitr/", env!("CARGO_PKG_VERSION")))
            .build()
            // Only fails when the TLS backend cannot start; a client without the no-redirect
            // and timeout settings must never be used instead.
            .expect("the HTTP client for sign-in providers builds");
        Self {
            list: Arc::new(RwLock::new(Arc::new(list))),
            http,
            discovered: Arc::default(),
        }
    }

    /// Every configured provider, in settings order.
    pub fn all(&self) -> Arc<Vec<ProviderSettings>> {
        self.list.read().map(|l| Arc::clone(&l)).unwrap_or_default()
    }

    /// Puts `list` in force for the next sign-in; what was learned from a provider whose
    /// settings changed or went is forgotten.
    pub fn replace(&self, list: Vec<ProviderSettings>) {
        let old = self.all();
        if let Ok(mut discovered) = self.discovered.lock() {
            discovered.retain(|name, _| {
                let before = old.iter().find(|p| &p.name == name);
                before.is_some() && before == list.iter().find(|p| &p.name == name)
            });
        }
        if let Ok(mut current) = self.list.write() {
            *current = Arc::new(list);
        }
    }

    /// The origins a sign-in form may be redirected to: each provider's issuer (GitHub: its
    /// site) and, once discovered, its authorization endpoint. Pages allow them as form targets.
    pub fn form_origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = self
            .all()
            .iter()
            .filter_map(|p| origin_of(&p.issuer))
            .collect();
        if let Ok(discovered) = self.discovered.lock() {
            origins.extend(
                discovered
                    .values()
                    .filter_map(|(meta, _)| origin_of(meta.authorization_endpoint().as_str())),
            );
        }
        origins.sort();
        origins.dedup();
        origins
    }

    /// The provider with this name.
    pub fn get(&self, name: &str) -> Result<ProviderSettings, OAuthError> {
        self.all()
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .ok_or_else(|| OAuthError::UnknownProvider(name.to_owned()))
    }

    /// Starts a sign-in: the URL to send the person to, and what to keep until they return.
    /// `redirect_uri` is Orbitr's callback as registered with the provider.
    pub async fn begin(
        &self,
        name: &str,
        redirect_uri: &str,
    ) -> Result<(String, Pending), OAuthError> {
        let provider = &self.get(name)?;
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| OAuthError::Settings(format!("callback URL {redirect_uri:?}: {e}")))?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = match provider.kind {
            ProviderKind::GitHub => {
                let client = github_client(provider)?.set_redirect_uri(redirect);
                let (url, state) = client
                    .authorize_url(CsrfToken::new_random)
                    .add_scope(Scope::new("read:user".into()))
                    .add_scope(Scope::new("user:email".into()))
                    .set_pkce_challenge(challenge)
                    .url();
                (url.to_string(), state, None)
            }
            _ => {
                let client = self
                    .oidc_client(provider, false)
                    .await?
                    .set_redirect_uri(redirect);
                let (url, state, nonce) = client
                    .authorize_url(
                        CoreAuthenticationFlow::AuthorizationCode,
                        CsrfToken::new_random,
                        Nonce::new_random,
                    )
                    .add_scope(Scope::new("email".into()))
                    .add_scope(Scope::new("profile".into()))
                    .set_pkce_challenge(challenge)
                    .url();
                (url.to_string(), state, Some(nonce.secret().clone()))
            }
        };
        Ok((
            url,
            Pending {
                provider: provider.name.clone(),
                state: state.secret().clone(),
                nonce,
                verifier: verifier.secret().clone(),
                created_at: now_ms(),
            },
        ))
    }

    /// Completes a sign-in with the `code` the provider returned (the caller has checked
    /// `state` and expiry with [`Pending::matches`] and [`Pending::expired`]).
    pub async fn finish(
        &self,
        pending: &Pending,
        code: &str,
        redirect_uri: &str,
    ) -> Result<ExternalIdentity, OAuthError> {
        let provider = &self.get(&pending.provider)?;
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| OAuthError::Settings(format!("callback URL {redirect_uri:?}: {e}")))?;
        match provider.kind {
            ProviderKind::GitHub => self.finish_github(provider, pending, code, redirect).await,
            _ => self.finish_oidc(provider, pending, code, redirect).await,
        }
    }

    /// Fetches every OIDC provider's discovery document now (at start-up), so the first
    /// sign-in does not wait for it and pages know the authorization endpoints; failures are
    /// logged and retried at the first sign-in.
    pub async fn discover_all(&self) {
        for provider in self.all().iter().filter(|p| p.kind != ProviderKind::GitHub) {
            if let Err(e) = self.metadata(provider, false).await {
                tracing::warn!(provider = %provider.name, error = %e, "sign-in provider discovery failed");
            }
        }
    }

    /// Fetches provider `name`'s discovery document now (after the settings page saved it).
    pub async fn discover(&self, name: &str) -> Result<(), OAuthError> {
        let provider = self.get(name)?;
        if provider.kind != ProviderKind::GitHub {
            self.metadata(&provider, true).await?;
        }
        Ok(())
    }

    /// The provider's discovery document, fetched once an hour (or again when `refresh`).
    async fn metadata(
        &self,
        provider: &ProviderSettings,
        refresh: bool,
    ) -> Result<CoreProviderMetadata, OAuthError> {
        if !refresh
            && let Some((meta, at)) = self
                .discovered
                .lock()
                .ok()
                .and_then(|d| d.get(&provider.name).cloned())
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(meta);
        }
        let issuer = IssuerUrl::new(provider.issuer.clone())
            .map_err(|e| OAuthError::Settings(format!("issuer {:?}: {e}", provider.issuer)))?;
        let meta = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| OAuthError::Unavailable {
                provider: provider.label.clone(),
                reason: error_chain(&e),
            })?;
        if let Ok(mut d) = self.discovered.lock() {
            d.insert(provider.name.clone(), (meta.clone(), Instant::now()));
        }
        Ok(meta)
    }

    async fn oidc_client(
        &self,
        provider: &ProviderSettings,
        refresh: bool,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        OAuthError,
    > {
        let meta = self.metadata(provider, refresh).await?;
        Ok(CoreClient::from_provider_metadata(
            meta,
            ClientId::new(provider.client_id.clone()),
            Some(ClientSecret::new(provider.client_secret.clone())),
        ))
    }

    async fn finish_oidc(
        &self,
        provider: &ProviderSettings,
        pending: &Pending,
        code: &str,
        redirect: RedirectUrl,
    ) -> Result<ExternalIdentity, OAuthError> {
        let client = self
            .oidc_client(provider, false)
            .await?
            .set_redirect_uri(redirect);
        let exchange = |reason: String| OAuthError::Exchange {
            provider: provider.label.clone(),
            reason,
        };
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| exchange(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| exchange(error_chain(&e)))?;
        let id_token = token.id_token().ok_or_else(|| OAuthError::IdToken {
            provider: provider.label.clone(),
            reason: "the token answer has no ID token".into(),
        })?;
        let nonce = Nonce::new(pending.nonce.clone().unwrap_or_default());
        let claims = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(claims) => claims.clone(),
            // The provider may have rotated its signing keys since discovery: fetch them again
            // and check once more.
            Err(ClaimsVerificationError::SignatureVerification(_)) => {
                let fresh = self.oidc_client(provider, true).await?;
                id_token
                    .claims(&fresh.id_token_verifier(), &nonce)
                    .map_err(|e| OAuthError::IdToken {
                        provider: provider.label.clone(),
                        reason: e.to_string(),
                    })?
                    .clone()
            }
            Err(e) => {
                return Err(OAuthError::IdToken {
                    provider: provider.label.clone(),
                    reason: e.to_string(),
                });
            }
        };
        let mut email = claims.email().map(|e| e.as_str().to_owned());
        let mut verified = claims.email_verified();
        let mut name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned());
        // Some providers keep the email out of the ID token; their userinfo endpoint has it.
        if email.is_none()
            && let Ok(request) = client.user_info(
                AccessToken::new(token.access_token().secret().clone()),
                Some(claims.subject().clone()),
            )
        {
            let info: Result<UserInfoClaims<EmptyAdditionalClaims, CoreGenderClaim>, _> =
                request.request_async(&self.http).await;
            match info {
                Ok(info) => {
                    email = info.email().map(|e| e.as_str().to_owned());
                    verified = info.email_verified();
                    name = name.or_else(|| {
                        info.name()
                            .and_then(|n| n.get(None))
                            .map(|n| n.as_str().to_owned())
                    });
                }
                Err(e) => {
                    tracing::warn!(provider = %provider.name, error = %error_chain(&e), "userinfo request failed");
                }
            }
        }
        let email = email.map(|e| e.trim().to_lowercase());
        Ok(ExternalIdentity {
            provider: provider.name.clone(),
            subject: claims.subject().as_str().to_owned(),
            // `trust_email` stands in for a missing claim, never overrides an explicit `false`.
            email_verified: email.is_some()
                && (verified == Some(true) || (verified.is_none() && provider.trust_email)),
            email,
            name,
        })
    }

    async fn finish_github(
        &self,
        provider: &ProviderSettings,
        pending: &Pending,
        code: &str,
        redirect: RedirectUrl,
    ) -> Result<ExternalIdentity, OAuthError> {
        let (_, _, api) = provider.github_endpoints();
        let client = github_client(provider)?.set_redirect_uri(redirect);
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| OAuthError::Exchange {
                provider: provider.label.clone(),
                reason: github_token_error(&e).unwrap_or_else(|| error_chain(&e)),
            })?;
        let bearer = token.access_token().secret().clone();
        let profile = |reason: String| OAuthError::Profile {
            provider: provider.label.clone(),
            reason,
        };

        #[derive(Deserialize)]
        struct GitHubUser {
            id: u64,
            login: String,
            name: Option<String>,
        }
        #[derive(Deserialize)]
        struct GitHubEmail {
            email: String,
            primary: bool,
            verified: bool,
        }
        let get = |path: &str| {
            self.http
                .get(format!("{api}{path}"))
                .bearer_auth(&bearer)
                .header("accept", "application/vnd.github+json")
                .header("x-github-api-version", "2022-11-28")
                .send()
        };
        async fn read<T: serde::de::DeserializeOwned>(
            response: Result<reqwest::Response, reqwest::Error>,
        ) -> Result<T, String> {
            let body = response
                .and_then(reqwest::Response::error_for_status)
                .map_err(|e| error_chain(&e))?
                .bytes()
                .await
                .map_err(|e| error_chain(&e))?;
            serde_json::from_slice(&body).map_err(|e| e.to_string())
        }
        let user: GitHubUser = read(get("/user").await).await.map_err(profile)?;
        let emails: Vec<GitHubEmail> = read(get("/user/emails").await).await.map_err(profile)?;
        let primary = emails.into_iter().find(|e| e.primary);
        Ok(ExternalIdentity {
            provider: provider.name.clone(),
            subject: user.id.to_string(),
            email_verified: primary.as_ref().is_some_and(|e| e.verified),
            email: primary.map(|e| e.email.trim().to_lowercase()),
            name: user
                .name
                .filter(|n| !n.trim().is_empty())
                .or(Some(user.login)),
        })
    }
}

/// A plain OAuth 2 client for GitHub (which has no OpenID Connect for people).
fn github_client(
    provider: &ProviderSettings,
) -> Result<
    oauth2::basic::BasicClient<
        oauth2::EndpointSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointSet,
    >,
    OAuthError,
> {
    let (auth, token, _) = provider.github_endpoints();
    let settings = |e: oauth2::url::ParseError| OAuthError::Settings(e.to_string());
    Ok(
        oauth2::basic::BasicClient::new(ClientId::new(provider.client_id.clone()))
            .set_client_secret(ClientSecret::new(provider.client_secret.clone()))
            .set_auth_uri(AuthUrl::new(auth).map_err(settings)?)
            .set_token_uri(TokenUrl::new(token).map_err(settings)?),
    )
}

/// GitHub answers token errors with status 200 and `{"error": …}`, which oauth2 can only
/// report as an unreadable token: the error GitHub gave, when that is what happened.
fn github_token_error<RE, T>(e: &oauth2::RequestTokenError<RE, T>) -> Option<String>
where
    RE: std::error::Error + 'static,
    T: oauth2::ErrorResponse + 'static,
{
    let oauth2::RequestTokenError::Parse(_, body) = e else {
        return None;
    };
    let answer: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error = answer.get("error")?.as_str()?;
    Some(
        match answer.get("error_description").and_then(|d| d.as_str()) {
            Some(description) => format!("{error}: {description}"),
            None => error.to_owned(),
        },
    )
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let url = openidconnect::url::Url::parse(url).ok()?;
    match url.origin() {
        openidconnect::url::Origin::Tuple(..) => Some(url.origin().ascii_serialization()),
        openidconnect::url::Origin::Opaque(_) => None,
    }
}

/// An error with its causes, `a: b: c`, for messages and logs.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let next = cause.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github() -> ProviderSettings {
        ProviderSettings {
            spec: ProviderSpec {
                name: "github".into(),
                kind: ProviderKind::GitHub,
                label: "GitHub".into(),
                client_id: "Iv1.client".into(),
                issuer: "https://github.com".into(),
                allowed_domains: vec!["Example.com".into()],
                trust_email: false,
            },
            client_secret: "secret".into(),
        }
    }

    #[tokio::test]
    async fn github_sign_in_starts_with_state_and_pkce_and_no_openid_scope() {
        let providers = Providers::new(vec![github()]);
        let (url, pending) = providers
            .begin("github", "https://orbitr.example.com/api/oauth/callback")
            .await
            .expect("begin");
        let url = openidconnect::url::Url::parse(&url).expect("url");
        assert_eq!(url.host_str(), Some("github.com"));
        assert_eq!(url.path(), "/login/oauth/authorize");
        let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(query["client_id"], "Iv1.client");
        assert_eq!(query["scope"], "read:user user:email");
        assert_eq!(query["state"], pending.state);
        assert_eq!(query["code_challenge_method"], "S256");
        // The challenge is the S256 of the verifier kept server-side.
        let expected = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
            pending.verifier.clone(),
        ));
        assert_eq!(query["code_challenge"], expected.as_str());
        assert!(!query.contains_key("nonce"));
        assert!(pending.verifier.len() >= 43, "{}", pending.verifier);
        assert!(pending.matches(&pending.state.clone()));
        assert!(!pending.matches("forged"));
    }

    #[tokio::test]
    async fn each_sign_in_gets_its_own_state_and_verifier() {
        let providers = Providers::new(vec![github()]);
        let (_, a) = providers.begin("github", "http://h/cb").await.expect("a");
        let (_, b) = providers.begin("github", "http://h/cb").await.expect("b");
        assert_ne!(a.state, b.state);
        assert_ne!(a.verifier, b.verifier);
    }

    #[tokio::test]
    async fn unknown_providers_are_named() {
        let providers = Providers::new(vec![github()]);
        let err = providers
            .begin("gitea", "http://h/cb")
            .await
            .expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "no sign-in provider named \"gitea\" is configured"
        );
    }

    #[test]
    fn pending_sign_ins_expire_after_ten_minutes() {
        let pending = Pending {
            provider: "github".into(),
            state: "s".into(),
            nonce: None,
            verifier: "v".into(),
            created_at: 1_000,
        };
        assert!(!pending.expired(1_000 + PENDING_LIFETIME_MS));
        assert!(pending.expired(1_001 + PENDING_LIFETIME_MS));
    }

    #[test]
    fn domain_rules_match_the_whole_domain_ignoring_case() {
        let p = github();
        assert!(p.allows_domain("ada@example.COM"));
        assert!(!p.allows_domain("ada@notexample.com"));
        assert!(!p.allows_domain("ada@example.com.evil.test"));
        assert!(!p.allows_domain("example.com"));
    }

    #[test]
    fn sign_in_forms_may_go_to_each_provider_origin() {
        let mut enterprise = github();
        enterprise.spec.name = "ghe".into();
        enterprise.spec.issuer = "https://git.example.com:8443/".into();
        let providers = Providers::new(vec![github(), enterprise]);
        assert_eq!(
            providers.form_origins(),
            ["https://git.example.com:8443", "https://github.com"]
        );
    }

    #[test]
    fn settings_never_print_the_client_secret() {
        let shown = format!("{:?}", github());
        assert!(
            shown.contains("Iv1.client") && !shown.contains("secret\""),
            "{shown}"
        );
        assert!(shown.contains("(hidden)"), "{shown}");
    }

    #[test]
    fn github_enterprise_uses_its_own_api() {
        let mut p = github();
        assert_eq!(p.github_endpoints().2, "https://api.github.com");
        p.spec.issuer = "https://git.example.com/".into();
        let (auth, token, api) = p.github_endpoints();
        assert_eq!(auth, "https://git.example.com/login/oauth/authorize");
        assert_eq!(token, "https://git.example.com/login/oauth/access_token");
        assert_eq!(api, "https://git.example.com/api/v3");
    }
}
