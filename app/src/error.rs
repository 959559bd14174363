//! The error type every server function returns: safe to show, never an internal detail.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What a page may be told about a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The Docker engine cannot be reached.
    #[error("The Docker engine at {host} is unreachable: {reason}")]
    DockerUnavailable { host: String, reason: String },
    /// The Docker engine refused the request; its own message.
    #[error("The Docker engine refused the request: {message}")]
    Docker { message: String },
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
            Self::Docker { .. } => 502,
            Self::Internal | Self::Transport(_) => 500,
        }
    }
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
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<engine::accounts::AccountError> for AppError {
    fn from(e: engine::accounts::AccountError) -> Self {
        use engine::accounts::AccountError;
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
            AccountError::Db(e) if e.is_unavailable() => {
                tracing::error!(error = ?e, "database unavailable");
                Self::DatabaseUnavailable
            }
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
            DockerError::Api { message, .. } => Self::Docker { message },
            other => {
                tracing::error!(error = ?other, "Docker call failed");
                Self::Internal
            }
        }
    }
}
