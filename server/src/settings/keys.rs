//! What can be set: every key with its environment variable, default and expected form, where
//! a value came from, and what is wrong with one.

use std::fmt;
use std::path::PathBuf;

/// Environment variable naming the settings file.
pub const CONFIG_ENV: &str = "ORBITR_CONFIG";
/// Settings file read from the working directory when none is named.
pub const DEFAULT_CONFIG_FILE: &str = "orbitr.toml";

/// One known setting: its key, environment variable, default and expected form.
pub struct Key {
    pub name: &'static str,
    pub env: &'static str,
    pub default: &'static str,
    pub expected: &'static str,
    pub about: &'static str,
}

/// Every setting, in the order the README's configuration table lists them.
pub const KEYS: &[Key] = &[
    Key {
        name: "bind",
        env: "ORBITR_BIND",
        default: "127.0.0.1:8080",
        expected: "an IP address and port, like 127.0.0.1:8080 or [::]:8080",
        about: "Address the web server listens on (flag `serve --bind`).",
    },
    Key {
        name: "data_dir",
        env: "ORBITR_DATA_DIR",
        default: "./data",
        expected: "a folder path",
        about: "Folder for the SQLite database, stacks and keys; created if missing (flag `--data-dir`).",
    },
    Key {
        name: "database_url",
        env: "ORBITR_DATABASE_URL",
        default: "sqlite://<data_dir>/orbitr.db",
        expected: "sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/NAME",
        about: "Database; a postgres:// URL switches to PostgreSQL (flag `--database-url`).",
    },
    Key {
        name: "docker_host",
        env: "ORBITR_DOCKER_HOST",
        default: "$DOCKER_HOST or unix:///var/run/docker.sock",
        expected: "unix:///PATH, tcp://HOST:PORT or http://HOST:PORT",
        about: "Docker engine to manage (flag `--docker-host`).",
    },
    Key {
        name: "log",
        env: "ORBITR_LOG",
        default: "info",
        expected: "a tracing filter, like info or orbitr=debug,tower_http=info",
        about: "What to log (flag `--log`).",
    },
    Key {
        name: "log_format",
        env: "ORBITR_LOG_FORMAT",
        default: "text",
        expected: "text or json",
        about: "Log line format (flag `--log-format`).",
    },
    Key {
        name: "site_dir",
        env: "ORBITR_SITE_DIR",
        default: "site/ next to the binary, else ../site",
        expected: "a folder path",
        about: "Compiled browser assets (wasm, JS, CSS); `make build` puts them in target/site.",
    },
    Key {
        name: "public_url",
        env: "ORBITR_PUBLIC_URL",
        default: "(unset: the request's own host)",
        expected: "an http:// or https:// URL like https://orbitr.example.com",
        about: "Where people reach Orbitr. Browser requests that change state must come from this origin; https makes session cookies Secure.",
    },
    Key {
        name: "session_idle_hours",
        env: "ORBITR_SESSION_IDLE_HOURS",
        default: "12",
        expected: "a whole number of hours from 1 to 8760",
        about: "A session ends after this long without a request.",
    },
    Key {
        name: "session_max_days",
        env: "ORBITR_SESSION_MAX_DAYS",
        default: "30",
        expected: "a whole number of days from 1 to 365",
        about: "A session ends this long after sign-in, however active.",
    },
    Key {
        name: "login_failures_per_account",
        env: "ORBITR_LOGIN_FAILURES_PER_ACCOUNT",
        default: "5",
        expected: "a whole number from 1 to 1000",
        about: "Failed sign-ins allowed per account within the window; then it must wait.",
    },
    Key {
        name: "login_failures_per_address",
        env: "ORBITR_LOGIN_FAILURES_PER_ADDRESS",
        default: "20",
        expected: "a whole number from 1 to 100000",
        about: "Failed sign-ins allowed per client address within the window.",
    },
    Key {
        name: "login_failure_window_mins",
        env: "ORBITR_LOGIN_FAILURE_WINDOW_MINS",
        default: "15",
        expected: "a whole number of minutes from 1 to 1440",
        about: "The window the sign-in limits count over.",
    },
    Key {
        name: "log_ring_lines",
        env: "ORBITR_LOG_RING_LINES",
        default: "2000",
        expected: "a whole number from 0 to 1000000",
        about: "Recent log lines kept in memory per watched container, shown to viewers who open the logs later.",
    },
    Key {
        name: "log_viewer_queue",
        env: "ORBITR_LOG_VIEWER_QUEUE",
        default: "4096",
        expected: "a whole number from 16 to 1000000",
        about: "Log lines a slow viewer may fall behind before it loses some; it is told how many.",
    },
    Key {
        name: "extensions_dir",
        env: "ORBITR_EXTENSIONS_DIR",
        default: "extensions/ next to the binary, else the source tree's, else ./extensions",
        expected: "a folder path, or empty for none",
        about: "The official extension catalog, listed in the marketplace as the source `Official`.",
    },
    Key {
        name: "marketplace_sync_mins",
        env: "ORBITR_MARKETPLACE_SYNC_MINS",
        default: "360",
        expected: "a whole number of minutes from 0 to 10080",
        about: "How often every marketplace source is synced again; 0 syncs only when an admin asks.",
    },
    Key {
        name: "smtp_host",
        env: "ORBITR_SMTP_HOST",
        default: "(unset: no mail)",
        expected: "a host name or IP address like smtp.example.com",
        about: "The SMTP server Orbitr sends mail through (invitations, tests).",
    },
    Key {
        name: "smtp_port",
        env: "ORBITR_SMTP_PORT",
        default: "587",
        expected: "a port number from 1 to 65535",
        about: "The mail server's port: 587 for STARTTLS, 465 for TLS.",
    },
    Key {
        name: "smtp_security",
        env: "ORBITR_SMTP_SECURITY",
        default: "starttls",
        expected: "starttls, tls or none",
        about: "starttls upgrades to TLS after connecting, tls speaks TLS from the first byte, none is unencrypted.",
    },
    Key {
        name: "smtp_username",
        env: "ORBITR_SMTP_USERNAME",
        default: "(unset: no sign-in)",
        expected: "a user name without spaces",
        about: "The mail server user name (AUTH PLAIN); unset sends without signing in.",
    },
    Key {
        name: "smtp_password",
        env: "ORBITR_SMTP_PASSWORD",
        default: "(unset)",
        expected: "the mail server password",
        about: "The mail server password; never shown (set it in the environment to keep it out of the file).",
    },
    Key {
        name: "smtp_from",
        env: "ORBITR_SMTP_FROM",
        default: "(unset)",
        expected: "an email address like orbitr@example.com",
        about: "The address Orbitr's mail comes from.",
    },
    Key {
        name: "shutdown_grace_secs",
        env: "ORBITR_SHUTDOWN_GRACE_SECS",
        default: "10",
        expected: "a whole number of seconds from 0 to 3600",
        about: "Time in-flight requests get to finish after SIGINT/SIGTERM.",
    },
];

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File { path: PathBuf, line: usize },
    Env(&'static str),
    Flag(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::File { path, line } => write!(f, "{}:{line}", path.display()),
            Self::Env(var) => write!(f, "environment variable {var}"),
            Self::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// A setting that cannot be used. The process exits with code 2 on any of these.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("setting `{key}` from {origin} has value {value:?}, expected {expected}")]
    BadValue {
        key: &'static str,
        value: String,
        origin: Source,
        expected: String,
    },
    #[error(
        "unknown setting `{key}` in {origin}; known settings: {}",
        known_names()
    )]
    UnknownKey { key: String, origin: Source },
    #[error(
        "unknown environment variable {var}; known: {CONFIG_ENV}, {}",
        known_envs()
    )]
    UnknownEnv { var: String },
    #[error("setting `{key}` from {origin} has value {value:?}, expected {expected}")]
    BadProvider {
        key: String,
        value: String,
        origin: Source,
        expected: String,
    },
    #[error("sign-in provider setting `{key}` is missing: expected {expected}")]
    MissingProvider { key: String, expected: String },
    #[error("cannot read the settings file {path}: {reason}")]
    File { path: PathBuf, reason: String },
}

fn known_names() -> String {
    KEYS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
}

fn known_envs() -> String {
    KEYS.iter().map(|k| k.env).collect::<Vec<_>>().join(", ")
}
