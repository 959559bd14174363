//! One front door per operation. Each operation is declared once, as an [`Op`] beside the
//! function that carries it out (`ops/<resource>.rs`): its name and what its caller needs. The
//! REST table (`server::access::REST`) and the server-function table
//! ([`crate::api::SERVER_FNS`]) point at these declarations, so a permission is written once
//! whichever door a request comes through.
//!
//! A request becomes a [`Caller`] once (who is asking, from where), is authorized once against
//! its operation's need by [`authorize`] (which also audits refusals), and the operation runs
//! with the resulting [`Grant`], which writes the operation's audit record. REST handlers and
//! server functions only transport: extract the input, call the op, encode the answer.

/// Where sign-in providers send people back, under the public URL.
pub const OAUTH_CALLBACK_PATH: &str = "/api/oauth/callback";

pub mod audit;
pub mod auth;
pub mod containers;
pub mod feeds;
pub mod marketplace;
pub mod oauth;
pub mod objects;
pub mod onboarding;
pub mod palette;
pub mod registries;
pub mod sessions;
pub mod settings;
pub mod stacks;
pub mod system;
pub mod tokens;
pub mod users;
pub mod workspaces;

use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::ConnectInfo;
use engine::audit::{Entry, Outcome};
use engine::identity::accounts::User;
use engine::identity::tokens::TokenInfo;
use engine::model::ids::WorkspaceId;
use tower_sessions::Session;

use crate::access::{Need, audits_denial, check, owner_of};
use crate::error::AppError;
use crate::state::AppState;

/// The signed-in user, put in request extensions by the request gate.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

/// Present when the request was authenticated with an API token rather than a session.
#[derive(Debug, Clone)]
pub struct TokenAuth(pub TokenInfo);

/// The operation a server function's table declares for the request's path, put in request
/// extensions by the request gate: a function that authorizes for another operation is refused,
/// and the gate reads `run` after the answer.
#[derive(Debug, Clone)]
pub struct Declared {
    pub op: &'static Op,
    pub run: Run,
}

impl Declared {
    pub fn new(op: &'static Op) -> Self {
        Self {
            op,
            run: Run::default(),
        }
    }
}

/// Whether a request's operation ran: set when the operation takes the grant made for it
/// ([`Grant::expect`]). The door that authorized the request reads it after the answer, so a
/// route or server function that answers without going through its operation is caught.
#[derive(Debug, Clone, Default)]
pub struct Run(Arc<AtomicBool>);

impl Run {
    /// Whether the request's operation took its grant.
    pub fn done(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The audit actor of a request: `user:<id>`, `user:<id> token:<id>` through an API token, or
/// `anonymous`.
pub fn actor_of(
    user: Option<&User>,
    token: Option<&engine::identity::tokens::TokenInfo>,
) -> String {
    match (user, token) {
        (Some(user), Some(token)) => format!("{} token:{}", actor(user), token.id),
        (Some(user), None) => actor(user),
        (None, _) => "anonymous".to_owned(),
    }
}

/// The audit actor name of a user.
pub fn actor(user: &User) -> String {
    format!("user:{}", user.id)
}

/// An operation's declaration: its name and what a caller must hold to run it.
#[derive(Debug, PartialEq, Eq)]
pub struct Op {
    /// `resource.verb`, for people reading the tables and the logs.
    pub name: &'static str,
    pub need: Need,
}

/// Who is asking, with the request facts that audit records carry. Built once per request
/// from its parts, by the REST route layer and by [`Caller::current`] for server functions.
#[derive(Clone)]
pub struct Caller {
    pub state: AppState,
    pub session: Option<Session>,
    pub user: Option<User>,
    /// The API token used, when not a session.
    pub token: Option<TokenInfo>,
    pub address: String,
    pub request_id: Option<String>,
    pub user_agent: Option<String>,
    /// The `Host` the browser used.
    pub host: Option<String>,
    /// `METHOD /path` of a REST request: what a refusal's audit record names when the call
    /// names no object.
    pub route: Option<String>,
    /// The operation the request's server function is declared with (see [`Declared`]).
    pub declared: Option<&'static Op>,
    /// Whether the request's operation ran (shared with the door that reads it).
    pub run: Run,
}

impl Caller {
    /// The caller of a request, from its parts (what the request gate put in its extensions,
    /// and its headers).
    pub fn of_request(state: AppState, parts: &http::request::Parts) -> Self {
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v: &http::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            session: parts.extensions.get::<Session>().cloned(),
            user: parts.extensions.get::<CurrentUser>().map(|c| c.0.clone()),
            token: parts.extensions.get::<TokenAuth>().map(|t| t.0.clone()),
            address: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string()),
            request_id: header(http::HeaderName::from_static("x-request-id")),
            user_agent: header(http::header::USER_AGENT),
            host: header(http::header::HOST),
            route: None,
            declared: parts.extensions.get::<Declared>().map(|d| d.op),
            run: parts
                .extensions
                .get::<Declared>()
                .map(|d| d.run.clone())
                .unwrap_or_default(),
            state,
        }
    }

    /// The caller of the server function being run, from the Leptos context.
    pub fn current() -> Result<Self, AppError> {
        let state = leptos::prelude::use_context::<AppState>().ok_or(AppError::Internal)?;
        let parts =
            leptos::prelude::use_context::<http::request::Parts>().ok_or(AppError::Internal)?;
        Ok(Self::of_request(state, &parts))
    }

    /// The signed-in user, or `Unauthorized`.
    pub fn require_user(&self) -> Result<&User, AppError> {
        self.user.as_ref().ok_or(AppError::Unauthorized)
    }

    /// Who is acting, as audit records name them: `user:<id>`, or `user:<id> token:<id>`
    /// through an API token, or `anonymous`.
    pub fn actor(&self) -> String {
        actor_of(self.user.as_ref(), self.token.as_ref())
    }

    /// The session, which the session layer always provides.
    pub fn session(&self) -> Result<&Session, AppError> {
        self.session.as_ref().ok_or(AppError::Internal)
    }

    /// Whether the caller holds `need` (in `workspace` for workspace needs); no audit record.
    /// For what an answer shows (an edit button, a policy that applies), not for admission.
    pub async fn holds(&self, need: Need, workspace: Option<&str>) -> bool {
        check(
            &self.state,
            self.user.as_ref(),
            self.token.as_ref(),
            need,
            workspace,
        )
        .await
        .is_ok()
    }

    /// Notes that an account exists now.
    pub fn mark_has_users(&self) {
        self.state.auth.has_users.store(true, Ordering::SeqCst);
    }
}

/// What a call names, for its authorization.
#[derive(Debug, Clone, Copy)]
pub enum On<'a> {
    /// Nothing in particular (anyone, signed-in, session and platform needs).
    Nothing,
    /// The workspace the call names: a workspace need is checked there, and audit records of
    /// any need name it.
    Workspace(&'a str),
    /// The Docker object or stack the call names (id, name or id prefix): a `Need::Owned` is
    /// checked in the workspace that owns it.
    Object(&'a str),
}

/// Proof that a caller holds what one operation needs, in the workspace it was checked in.
/// Only [`authorize`] makes one; an operation takes it and writes its audit record through it
/// (the one audit writer).
#[derive(Clone)]
pub struct Grant {
    caller: Caller,
    op: &'static Op,
    /// The workspace the call was authorized in (or names), which audit records carry.
    pub workspace: Option<WorkspaceId>,
}

impl Deref for Grant {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

/// A sign-in changes who the caller is for the rest of its request (its audit records name the
/// account signed in).
impl DerefMut for Grant {
    fn deref_mut(&mut self) -> &mut Caller {
        &mut self.caller
    }
}

/// Checks that `caller` holds what `op` needs for what the call names, and audits a refusal.
/// A caller who may not even see the object named is told it does not exist, as for an
/// unknown one.
pub async fn authorize(caller: Caller, op: &'static Op, on: On<'_>) -> Result<Grant, AppError> {
    if let Some(declared) = caller.declared
        && declared != op
    {
        tracing::error!(
            declared = declared.name,
            asked = op.name,
            "a server function authorized for another operation than its table declares"
        );
        return Err(AppError::Forbidden);
    }
    let need = op.need;
    let (workspace, denial_target) = match (need, on) {
        (Need::Owned(object, _), On::Object(key)) => {
            let Some(owner) = owner_of(&caller.state, object, key) else {
                caller.require_user()?;
                return Err(AppError::NotFound(object.into()));
            };
            (owner, Some(format!("{object}:{key}")))
        }
        (Need::Owned(object, _), _) => {
            caller.require_user()?;
            return Err(AppError::NotFound(object.into()));
        }
        (_, On::Workspace(w)) => (
            Some(w.to_owned()),
            caller
                .route
                .clone()
                .or_else(|| Some(format!("workspace:{w}"))),
        ),
        _ => (None, caller.route.clone()),
    };
    let grant = Grant {
        caller,
        op,
        workspace: workspace.map(WorkspaceId::from),
    };
    let Err(refused) = check(
        &grant.state,
        grant.user.as_ref(),
        grant.token.as_ref(),
        need,
        grant.workspace.as_deref(),
    )
    .await
    else {
        return Ok(grant);
    };
    if audits_denial(need, &refused) {
        grant
            .audit(
                &need.label(),
                denial_target,
                Outcome::Denied,
                Some(format!("requires {}", need.label())),
            )
            .await;
    }
    match (need, &refused) {
        (Need::Owned(object, _), AppError::Forbidden)
            if !grant
                .holds(Need::Owned(object, "read"), grant.workspace.as_deref())
                .await =>
        {
            Err(AppError::NotFound(object.into()))
        }
        _ => Err(refused),
    }
}

impl Grant {
    /// The operation this grant was made for, or `Forbidden` (logged) when a transport hands an
    /// operation another operation's grant: a table pointing at the wrong op.
    pub fn expect(&self, op: &'static Op) -> Result<&Self, AppError> {
        if std::ptr::eq(self.op, op) || self.op == op {
            self.run.0.store(true, Ordering::SeqCst);
            Ok(self)
        } else {
            tracing::error!(
                granted = self.op.name,
                asked = op.name,
                "an operation was called with another operation's grant"
            );
            Err(AppError::Forbidden)
        }
    }

    /// The workspace the grant was checked in, for operations inside one (`Forbidden` if none).
    pub fn in_workspace(&self) -> Result<&WorkspaceId, AppError> {
        self.workspace.as_ref().ok_or(AppError::Forbidden)
    }

    /// An audit record of this request, by `actor`, in the grant's workspace.
    pub fn entry(
        &self,
        actor: String,
        action: &str,
        target: Option<String>,
        reason: Option<String>,
    ) -> Entry {
        Entry {
            actor,
            workspace: self.workspace.clone().map(String::from),
            action: action.to_owned(),
            target,
            reason,
            request_id: self.request_id.clone(),
            source_ip: Some(self.address.clone()),
        }
    }

    /// Where sign-in providers send people back: under the public URL, else under the host
    /// the browser used.
    pub fn oauth_callback_url(&self) -> String {
        format!("{}{OAUTH_CALLBACK_PATH}", self.site_origin())
    }

    /// Where people reach Orbitr: the public URL, else the address this request came to.
    pub fn site_origin(&self) -> String {
        self.state.auth.public_origin().unwrap_or_else(|| {
            format!(
                "http://{}",
                self.host.as_deref().unwrap_or("127.0.0.1:8080")
            )
        })
    }

    /// Writes an audit record by `actor` (sign-in attempts name the account tried); a failure
    /// to write is logged, never hidden. Every audit record of a request is written here.
    pub async fn audit_as(
        &self,
        actor: String,
        action: &str,
        target: Option<String>,
        outcome: Outcome,
        reason: Option<String>,
    ) {
        let entry = self.entry(actor, action, target, reason);
        if let Err(e) = self.state.audit.record(&entry, outcome).await {
            tracing::error!(error = %e, action, "could not write the audit record");
        }
    }

    /// Writes an audit record by the caller.
    pub async fn audit(
        &self,
        action: &str,
        target: Option<String>,
        outcome: Outcome,
        reason: Option<String>,
    ) {
        self.audit_as(self.actor(), action, target, outcome, reason)
            .await;
    }

    /// Audits the outcome of an operation under `action` (ok, or failed with the error as the
    /// reason) and hands the result on as an [`AppError`].
    pub async fn audited<T, E>(
        &self,
        action: &str,
        target: Option<String>,
        result: Result<T, E>,
    ) -> Result<T, AppError>
    where
        E: std::fmt::Display + Into<AppError>,
    {
        match result {
            Ok(value) => {
                self.audit(action, target, Outcome::Ok, None).await;
                Ok(value)
            }
            Err(e) => {
                self.audit(action, target, Outcome::Failed, Some(e.to_string()))
                    .await;
                Err(e.into())
            }
        }
    }

    /// Audits work that goes on after the answer (an install, update or uninstall): a refusal
    /// at once, else the record is written when the work ends, with how it ended — the answer
    /// only says it started. The work's `done` then answers after the record is written, for a
    /// caller that waits.
    pub async fn audited_work<T, E>(
        &self,
        action: &str,
        target: Option<String>,
        result: Result<engine::marketplace::Working<T>, E>,
    ) -> Result<engine::marketplace::Working<T>, AppError>
    where
        E: std::fmt::Display + Into<AppError>,
    {
        match result {
            Ok(mut work) => {
                let entry = self.entry(self.actor(), action, target, None);
                let (_, unused) = tokio::sync::oneshot::channel();
                let done = std::mem::replace(&mut work.done, unused);
                work.done = audit_when_done(&self.state, entry, done);
                Ok(work)
            }
            Err(e) => {
                self.audit(action, target, Outcome::Failed, Some(e.to_string()))
                    .await;
                Err(e.into())
            }
        }
    }
}

/// Writes `entry` once the work behind `done` ends: ok, or failed with the reason (also when
/// Orbitr stops first). The returned receiver answers with the same end, for a caller that waits.
fn audit_when_done(
    state: &AppState,
    mut entry: Entry,
    done: tokio::sync::oneshot::Receiver<Result<(), String>>,
) -> tokio::sync::oneshot::Receiver<Result<(), String>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let audit = state.audit.clone();
    tokio::spawn(async move {
        let ended = done
            .await
            .unwrap_or_else(|_| Err("it did not finish: Orbitr stopped first".to_owned()));
        let outcome = match &ended {
            Ok(()) => Outcome::Ok,
            Err(reason) => {
                entry.reason = Some(reason.clone());
                Outcome::Failed
            }
        };
        if let Err(e) = audit.record(&entry, outcome).await {
            tracing::error!(error = %e, action = entry.action, "could not write the audit record");
        }
        let _ = tx.send(ended);
    });
    rx
}

/// The caller of the server function being run, authorized for `op` (which the function
/// carries) on what the call names.
pub async fn admit(op: &'static Op, on: On<'_>) -> Result<Grant, AppError> {
    authorize(Caller::current()?, op, on).await
}

/// The workspace's security policy as it applies to the caller: `None` for platform admins,
/// whom it does not limit.
pub async fn policy_for(
    caller: &Caller,
    workspace: &str,
) -> Result<Option<compose::policy::SecurityPolicy>, AppError> {
    if caller.holds(Need::Platform("policy", "manage"), None).await {
        Ok(None)
    } else {
        Ok(Some(caller.state.policies.get(workspace).await?))
    }
}
