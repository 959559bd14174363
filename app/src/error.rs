//! The error type every server function returns: safe to show, never an internal detail.
//!
//! # Error policy
//!
//! - Each engine service has its own error enum saying what went wrong in its words
//!   (`StackError::NameTaken`, `TokenError::NotFound`, …). It converts into [`AppError`] in one
//!   `From` impl beside the server functions of that resource; REST routes map the same
//!   `AppError` to their status and body, so both doors answer a failure alike.
//! - What the caller did wrong becomes `Invalid` (naming the field), `NotFound`, `Conflict`,
//!   `Diagnostics` (naming line and column), `Forbidden` or `Unauthorized`, with a message that
//!   is safe to show and never carries a secret.
//! - What the server did wrong becomes `Internal` and is logged at `error` with its cause, once,
//!   where it is converted; the caller reads only that the server log has the details.
//! - Storage failures go through one conversion, `From<DbError>`: an unreachable database is
//!   `DatabaseUnavailable` (nothing was changed, try again), any other query failure `Internal`.
//!   A service error's `Db(e)` case converts with `e.into()`, never with its own copy of that
//!   rule. In the engine, `?` on a query lands in that case through one macro,
//!   [`engine::query_error_is_db`], instead of a hand-written `From<sqlx::Error>` per service.
//! - The Docker engine's errors go through `From<DockerError>`: unreachable is
//!   `DockerUnavailable`, a refusal is `Docker` with the engine's own message and status.

use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What a page may be told about a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The Docker engine cannot be reached.
    #[error("The Docker engine at {host} is unreachable: {reason}")]
    DockerUnavailable { host: String, reason: String },
    /// The Docker engine refused the request; its own message, and the status it answered
    /// with (a request it found wrong, something missing or in the way, or a failure of its own).
    #[error("The Docker engine refused the request: {message}")]
    Docker {
        message: String,
        #[serde(default)]
        status: u16,
    },
    /// A form field is not acceptable; `field` names it.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// Sign-in refused: same answer for unknown accounts and wrong passwords.
    #[error("The email or the password is wrong")]
    InvalidCredentials,
    /// Too many failed sign-ins from this account or address.
    #[error("Too many failed sign-ins; try again in {} minute(s)", retry_after_secs.div_ceil(60))]
    RateLimited { retry_after_secs: u64 },
    /// Not signed in.
    #[error("Sign in first")]
    Unauthorized,
    /// Signed in, but not allowed to do this.
    #[error("You are not allowed to do this")]
    Forbidden,
    /// The thing named does not exist (or is not visible to the caller).
    #[error("No such {0}")]
    NotFound(String),
    /// A Compose file has errors (or asks for what the security policy refuses); each
    /// diagnostic names its line, column and field. Nothing was changed.
    #[error("{}", first_error(.0))]
    Diagnostics(Vec<compose::diag::Diagnostic>),
    /// The action conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// A server Orbitr relies on (the mail server) refused or failed; the message says which
    /// and what it answered.
    #[error("{0}")]
    Upstream(String),
    /// The database cannot be reached right now; nothing was changed.
    #[error("The database is unavailable right now; nothing was changed. Try again in a moment")]
    DatabaseUnavailable,
    /// Something failed on the server; details are in its log under this request.
    #[error("Internal error; the server log has the details")]
    Internal,
    /// The request did not reach the server or its answer could not be read.
    #[error("Could not reach Orbitr: {0}")]
    Transport(String),
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Invalid { .. } => 400,
            Self::Diagnostics(_) => 422,
            Self::InvalidCredentials | Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::RateLimited { .. } => 429,
            Self::DockerUnavailable { .. } | Self::DatabaseUnavailable => 503,
            // The engine's own judgement of the request, passed on; its failures are 502.
            Self::Docker { status: 400, .. } => 400,
            Self::Docker { status: 404, .. } => 404,
            Self::Docker {
                status: 403 | 409, ..
            } => 409,
            Self::Docker { .. } | Self::Upstream(_) => 502,
            Self::Internal | Self::Transport(_) => 500,
        }
    }
}

/// How a person reads a field name with an entry index, as the server names it for programs:
/// `ports[0]` is "port 1", `bind_roots[2]` is "bind root 3"; a name without one is unchanged.
pub fn entry_label(field: &str) -> String {
    let Some((list, rest)) = field.split_once('[') else {
        return field.to_owned();
    };
    let Some(index) = rest.strip_suffix(']').and_then(|i| i.parse::<usize>().ok()) else {
        return field.to_owned();
    };
    let list = list.rsplit('.').next().unwrap_or(list);
    let one = match list {
        "env" => "variable".to_owned(),
        "allowed_capabilities" => "capability".to_owned(),
        "allowed_host_settings" => "host setting".to_owned(),
        other => other
            .strip_suffix("ies")
            .map(|stem| format!("{stem}y"))
            .or_else(|| other.strip_suffix('s').map(str::to_owned))
            .unwrap_or_else(|| other.to_owned())
            .replace('_', " "),
    };
    format!("{one} {}", index + 1)
}

fn first_error(diags: &[compose::diag::Diagnostic]) -> String {
    let errors: Vec<&compose::diag::Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
    match errors.as_slice() {
        [] => "The compose file has problems".into(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

impl FromServerFnError for AppError {
    type Encoder = crate::api::codec::TextJsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Raised on the server before the function runs: the caller's arguments.
            ServerFnErrorErr::Args(message) => Self::Invalid {
                field: "arguments".into(),
                message: format!("the arguments cannot be read: {message}"),
            },
            ServerFnErrorErr::MissingArg(name) => Self::Invalid {
                field: name,
                message: "this argument is missing".into(),
            },
            other => Self::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<engine::db::DbError> for AppError {
    fn from(e: engine::db::DbError) -> Self {
        if e.is_unavailable() {
            tracing::error!(error = ?e, "database unavailable");
            Self::DatabaseUnavailable
        } else {
            tracing::error!(error = ?e, "database query failed");
            Self::Internal
        }
    }
}

#[cfg(feature = "ssr")]
impl From<engine::identity::accounts::AccountError> for AppError {
    fn from(e: engine::identity::accounts::AccountError) -> Self {
        use engine::identity::accounts::AccountError;
        match e {
            AccountError::BadEmail(m) => Self::Invalid {
                field: "email".into(),
                message: m.into(),
            },
            AccountError::EmailTaken => Self::Invalid {
                field: "email".into(),
                message: "an account with this email already exists".into(),
            },
            AccountError::BadName(m) => Self::Invalid {
                field: "name".into(),
                message: m.into(),
            },
            AccountError::WeakPassword(m) => Self::Invalid {
                field: "password".into(),
                message: m,
            },
            AccountError::InvalidCredentials => Self::InvalidCredentials,
            AccountError::Db(e) => e.into(),
            other => {
                tracing::error!(error = ?other, "account operation failed");
                Self::Internal
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl From<engine::docker::DockerError> for AppError {
    fn from(e: engine::docker::DockerError) -> Self {
        use engine::docker::DockerError;
        match e {
            DockerError::Unavailable { host, reason } => Self::DockerUnavailable { host, reason },
            DockerError::Api {
                message, status, ..
            } => Self::Docker { message, status },
            other => {
                tracing::error!(error = ?other, "Docker call failed");
                Self::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::entry_label;

    #[test]
    fn entries_are_counted_from_one_in_words() {
        assert_eq!(entry_label("ports[0]"), "port 1");
        assert_eq!(entry_label("bind_roots[2]"), "bind root 3");
        assert_eq!(entry_label("env[1]"), "variable 2");
        assert_eq!(entry_label("allowed_capabilities[0]"), "capability 1");
        assert_eq!(entry_label("name"), "name");
        assert_eq!(entry_label("odd[x]"), "odd[x]");
    }
}
