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
    /// Something failed on the server; details are in its log under this request.
    #[error("Internal error; the server log has the details")]
    Internal,
    /// The request did not reach the server or its answer could not be read.
    #[error("Could not reach Orbitr: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
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
