//! Settings: defaults < `orbitr.toml` < `ORBITR_*` environment < command-line flags.
//!
//! Every source is read as text and parsed by the same per-key parser, so a bad value is reported
//! the same way wherever it came from: key, value, source and the expected form.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use engine::db::DatabaseUrl;

/// Environment variable naming the settings file.
pub const CONFIG_ENV: &str = "ORBITR_CONFIG";
/// Settings file read from the working directory when none is named.
pub const DEFAULT_CONFIG_FILE: &str = "orbitr.toml";

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The effective settings of one run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// Folder for the database, stacks and keys.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; `None` means `<data_dir>/orbitr.db`.
    pub database_url: Option<String>,
    /// Docker engine address; `None` means `DOCKER_HOST` or the default socket.
    pub docker_host: Option<String>,
    /// Log filter (`info`, `orbitr=debug,tower_http=info`, …).
    pub log: String,
    /// Log line format.
    pub log_format: LogFormat,
    /// Folder holding the compiled browser assets (`pkg/`, favicon).
    pub site_dir: PathBuf,
    /// Seconds in-flight requests get to finish after SIGINT/SIGTERM.
    pub shutdown_grace_secs: u64,
    /// The address people use to reach Orbitr (`https://orbitr.example.com`), if set.
    pub public_url: Option<String>,
    /// A session ends after this many hours without a request.
    pub session_idle_hours: u64,
    /// A session ends this many days after sign-in, however active.
    pub session_max_days: u64,
    /// Failed sign-ins allowed per account within the window.
    pub login_failures_per_account: u64,
    /// Failed sign-ins allowed per client address within the window.
    pub login_failures_per_address: u64,
    /// The window of the sign-in limits, in minutes.
    pub login_failure_window_mins: u64,
    /// Recent log lines kept per watched container for viewers who join later.
    pub log_ring_lines: u64,
    /// Log lines a viewer may fall behind before it loses some (and is told how many).
    pub log_viewer_queue: u64,
    /// The official extension catalog (`None`: no built-in marketplace source).
    pub extensions_dir: Option<PathBuf>,
    /// Minutes between syncs of every marketplace source (0: only on demand).
    pub marketplace_sync_mins: u64,
    /// Sign-in providers (`[oauth.<name>]`), in name order.
    pub oauth: Vec<engine::oauth::ProviderSettings>,
}

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

/// Raw values as given on the command line (`None` = not given).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub values: Vec<(&'static str, &'static str, String)>,
}

impl Overrides {
    /// Records `--flag value` for setting `key`.
    pub fn set(&mut self, key: &'static str, flag: &'static str, value: Option<String>) {
        if let Some(value) = value {
            self.values.push((key, flag, value));
        }
    }
}

/// The raw value of each setting that was given, with where it came from.
pub type Sources = BTreeMap<&'static str, (String, Source)>;

/// Resolves the effective settings from every source, with where each value came from.
pub fn load(
    overrides: &Overrides,
    env: &BTreeMap<String, String>,
    cwd: &Path,
) -> Result<(Settings, Sources), SettingsError> {
    let mut raw = Sources::new();
    let mut providers = crate::oauth_settings::RawProviders::new();

    // 1. orbitr.toml, when named or present in the working directory.
    let named = overrides
        .config
        .clone()
        .or_else(|| env.get(CONFIG_ENV).map(PathBuf::from));
    let config_path = match named {
        Some(path) => Some(path),
        None => Some(cwd.join(DEFAULT_CONFIG_FILE)).filter(|p| p.is_file()),
    };
    if let Some(path) = config_path {
        read_file(&path, &mut raw, &mut providers)?;
    }

    // 2. ORBITR_* environment variables; an unknown one is a typo worth stopping for.
    for (var, value) in env {
        if !var.starts_with("ORBITR_")
            || var == CONFIG_ENV
            || crate::oauth_settings::read_env(var, value, &mut providers)?
        {
            continue;
        }
        let key = KEYS
            .iter()
            .find(|k| k.env == var)
            .ok_or_else(|| SettingsError::UnknownEnv { var: var.clone() })?;
        raw.insert(key.name, (value.clone(), Source::Env(key.env)));
    }

    // 3. Flags.
    for (key, flag, value) in &overrides.values {
        raw.insert(key, (value.clone(), Source::Flag(flag)));
    }

    let mut settings = build(&raw, cwd)?;
    settings.oauth = crate::oauth_settings::build(&providers)?;
    Ok((settings, raw))
}

fn read_file(
    path: &Path,
    raw: &mut Sources,
    providers: &mut crate::oauth_settings::RawProviders,
) -> Result<(), SettingsError> {
    let text = std::fs::read_to_string(path).map_err(|e| SettingsError::File {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let table: BTreeMap<String, toml::Spanned<toml::Value>> =
        toml::from_str(&text).map_err(|e| SettingsError::File {
            path: path.to_owned(),
            reason: e.to_string().trim().replace('\n', " "),
        })?;
    for (name, value) in table {
        if name == "oauth" {
            crate::oauth_settings::read_file_table(path, &text, value, providers)?;
            continue;
        }
        let line = text[..value.span().start].lines().count().max(1);
        let source = Source::File {
            path: path.to_owned(),
            line,
        };
        let Some(key) = KEYS.iter().find(|k| k.name == name) else {
            return Err(SettingsError::UnknownKey {
                key: name,
                origin: source,
            });
        };
        let text_value = match value.into_inner() {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Float(f) => f.to_string(),
            other => {
                return Err(SettingsError::BadValue {
                    key: key.name,
                    value: other.to_string(),
                    origin: source,
                    expected: key.expected.to_owned(),
                });
            }
        };
        raw.insert(key.name, (text_value, source));
    }
    Ok(())
}

fn key(name: &str) -> &'static Key {
    KEYS.iter()
        .find(|k| k.name == name)
        .expect("every key used in build() is listed in KEYS")
}

fn bad(name: &'static str, value: &str, source: &Source, why: Option<String>) -> SettingsError {
    let expected = key(name).expected;
    SettingsError::BadValue {
        key: name,
        value: value.to_owned(),
        origin: source.clone(),
        expected: match why {
            Some(why) => format!("{expected} ({why})"),
            None => expected.to_owned(),
        },
    }
}

fn build(raw: &Sources, cwd: &Path) -> Result<Settings, SettingsError> {
    let get = |name: &'static str| raw.get(name).map(|(v, s)| (v.as_str(), s));

    let bind = match get("bind") {
        Some((v, s)) => v.parse().map_err(|_| bad("bind", v, s, None))?,
        None => SocketAddr::from(([127, 0, 0, 1], 8080)),
    };

    let data_dir = match get("data_dir") {
        Some(("", s)) => return Err(bad("data_dir", "", s, None)),
        Some((v, _)) => cwd.join(v),
        None => cwd.join("data"),
    };

    let database_url = match get("database_url") {
        Some((v, s)) => {
            DatabaseUrl::parse(v).map_err(|e| {
                bad(
                    "database_url",
                    &engine::db::redact(v),
                    s,
                    Some(root_reason(&e)),
                )
            })?;
            Some(v.to_owned())
        }
        None => None,
    };

    let docker_host = match get("docker_host") {
        Some((v, s)) => {
            let ok = ["unix://", "tcp://", "http://", "https://"]
                .iter()
                .any(|p| v.strip_prefix(p).is_some_and(|rest| !rest.is_empty()));
            if !ok {
                return Err(bad("docker_host", v, s, None));
            }
            Some(v.to_owned())
        }
        None => None,
    };

    let log = match get("log") {
        Some((v, s)) => {
            tracing_subscriber::EnvFilter::builder()
                .parse(v)
                .map_err(|e| bad("log", v, s, Some(e.to_string())))?;
            v.to_owned()
        }
        None => "info".to_owned(),
    };

    let log_format = match get("log_format") {
        Some(("text", _)) | None => LogFormat::Text,
        Some(("json", _)) => LogFormat::Json,
        Some((v, s)) => return Err(bad("log_format", v, s, None)),
    };

    let site_dir = match get("site_dir") {
        Some(("", s)) => return Err(bad("site_dir", "", s, None)),
        Some((v, _)) => cwd.join(v),
        None => default_site_dir(cwd),
    };

    let number = |name: &'static str, default: u64, min: u64, max: u64| match get(name) {
        Some((v, s)) => v
            .parse::<u64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| bad(name, v, s, None)),
        None => Ok(default),
    };
    let shutdown_grace_secs = number("shutdown_grace_secs", 10, 0, 3600)?;
    let session_idle_hours = number("session_idle_hours", 12, 1, 8760)?;
    let session_max_days = number("session_max_days", 30, 1, 365)?;
    let login_failures_per_account = number("login_failures_per_account", 5, 1, 1000)?;
    let login_failures_per_address = number("login_failures_per_address", 20, 1, 100_000)?;
    let login_failure_window_mins = number("login_failure_window_mins", 15, 1, 1440)?;
    let log_ring_lines = number("log_ring_lines", 2000, 0, 1_000_000)?;
    let log_viewer_queue = number("log_viewer_queue", 4096, 16, 1_000_000)?;
    let marketplace_sync_mins = number("marketplace_sync_mins", 360, 0, 10_080)?;
    let extensions_dir = match get("extensions_dir") {
        Some(("", _)) => None,
        Some((v, s)) => {
            let dir = cwd.join(v);
            if !dir.is_dir() {
                return Err(bad("extensions_dir", v, s, None));
            }
            Some(dir)
        }
        None => default_extensions_dir(cwd),
    };

    let public_url = match get("public_url") {
        Some((v, s)) => Some(public_origin(v).ok_or_else(|| bad("public_url", v, s, None))?),
        None => None,
    };

    Ok(Settings {
        bind,
        data_dir,
        database_url,
        docker_host,
        log,
        log_format,
        site_dir,
        shutdown_grace_secs,
        public_url,
        session_idle_hours,
        session_max_days,
        login_failures_per_account,
        login_failures_per_address,
        login_failure_window_mins,
        log_ring_lines,
        log_viewer_queue,
        extensions_dir,
        marketplace_sync_mins,
        oauth: Vec::new(),
    })
}

/// The origin (`scheme://host[:port]`) of an http(s) URL, lowercased, without path.
fn public_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    if host.is_empty() || host.contains('@') || host.contains(char::is_whitespace) {
        return None;
    }
    Some(format!("{scheme}://{host}"))
}

fn root_reason(e: &engine::db::DbError) -> String {
    match e {
        engine::db::DbError::BadUrl { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

/// `site/` beside the binary (an installed layout), else `../site` (cargo's `target/<profile>/`),
/// else `target/site` under the working directory.
fn default_site_dir(cwd: &Path) -> PathBuf {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    if let Some(dir) = exe_dir {
        for candidate in [dir.join("site"), dir.join("../site")] {
            if candidate.join("pkg").is_dir() {
                return candidate;
            }
        }
    }
    cwd.join("target/site")
}

/// `extensions/` beside the binary (an installed layout), else in the source tree the binary
/// was built in (`target/<profile>/`, or `target/<profile>/deps/` for tests), else under the
/// working directory.
fn default_extensions_dir(cwd: &Path) -> Option<PathBuf> {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    let mut candidates = Vec::new();
    if let Some(dir) = exe_dir {
        candidates.extend([
            dir.join("extensions"),
            dir.join("../../extensions"),
            dir.join("../../../extensions"),
        ]);
    }
    candidates.push(cwd.join("extensions"));
    candidates
        .into_iter()
        .find(|c| c.join("postgres/orbitr.yaml").is_file())
        .and_then(|c| c.canonicalize().ok())
}

impl Settings {
    /// The database to open: the configured URL, or the SQLite file in the data dir.
    pub fn database(&self) -> DatabaseUrl {
        match &self.database_url {
            Some(url) => {
                DatabaseUrl::parse(url).expect("database_url was checked when settings loaded")
            }
            None => DatabaseUrl::sqlite_file(&self.data_dir.join("orbitr.db")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn load_with(
        file: Option<&str>,
        vars: &[(&str, &str)],
        flags: &[(&'static str, &'static str, &str)],
    ) -> Result<Settings, SettingsError> {
        let dir = tempfile::tempdir().expect("tempdir");
        if let Some(text) = file {
            std::fs::write(dir.path().join(DEFAULT_CONFIG_FILE), text).expect("write");
        }
        let mut overrides = Overrides::default();
        for (key, flag, value) in flags {
            overrides.set(key, flag, Some((*value).to_owned()));
        }
        load(&overrides, &env(vars), dir.path()).map(|(s, _)| s)
    }

    #[test]
    fn defaults_listen_on_loopback_8080_with_data_in_dot_data() {
        let s = load_with(None, &[], &[]).expect("defaults load");
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert!(s.data_dir.ends_with("data"));
        assert_eq!(s.log_format, LogFormat::Text);
        assert!(s.database_url.is_none());
    }

    #[test]
    fn file_then_env_then_flags_each_override_the_previous() {
        let file = "bind = \"127.0.0.1:1000\"\nlog = \"debug\"\nlog_format = \"json\"\n";
        let s = load_with(Some(file), &[], &[]).expect("file");
        assert_eq!(s.bind.port(), 1000);
        assert_eq!(s.log, "debug");
        let s = load_with(Some(file), &[("ORBITR_BIND", "127.0.0.1:2000")], &[]).expect("env");
        assert_eq!(s.bind.port(), 2000);
        assert_eq!(s.log_format, LogFormat::Json);
        let s = load_with(
            Some(file),
            &[("ORBITR_BIND", "127.0.0.1:2000")],
            &[("bind", "--bind", "127.0.0.1:3000")],
        )
        .expect("flag");
        assert_eq!(s.bind.port(), 3000);
    }

    #[test]
    fn a_bad_value_names_key_value_source_and_expected_form() {
        let err = load_with(None, &[("ORBITR_BIND", "localhost")], &[])
            .expect_err("must fail")
            .to_string();
        assert!(err.contains("`bind`"), "{err}");
        assert!(err.contains("\"localhost\""), "{err}");
        assert!(err.contains("ORBITR_BIND"), "{err}");
        assert!(err.contains("127.0.0.1:8080"), "{err}");
    }

    #[test]
    fn an_unknown_key_in_the_file_names_its_line() {
        let err = load_with(Some("log = \"info\"\nbnid = \"x\"\n"), &[], &[])
            .expect_err("must fail")
            .to_string();
        assert!(err.contains("`bnid`"), "{err}");
        assert!(err.contains("orbitr.toml:2"), "{err}");
    }

    #[test]
    fn an_unknown_orbitr_variable_is_refused() {
        let err = load_with(None, &[("ORBITR_DATABSE_URL", "x")], &[])
            .expect_err("must fail")
            .to_string();
        assert!(err.contains("ORBITR_DATABSE_URL"), "{err}");
    }

    #[test]
    fn a_malformed_database_url_is_refused_without_its_password() {
        let err = load_with(
            None,
            &[("ORBITR_DATABASE_URL", "postgres://u:hunter2@h:port/db")],
            &[],
        )
        .expect_err("must fail")
        .to_string();
        assert!(err.contains("database_url"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let err = load_with(None, &[("ORBITR_DATABASE_URL", "mysql://x")], &[])
            .expect_err("must fail")
            .to_string();
        assert!(err.contains("postgres://USER"), "{err}");
    }

    #[test]
    fn the_public_url_is_reduced_to_its_origin() {
        let s = load_with(
            None,
            &[("ORBITR_PUBLIC_URL", "HTTPS://Orbitr.Example.com:8443/app/")],
            &[],
        )
        .expect("url");
        assert_eq!(
            s.public_url.as_deref(),
            Some("https://orbitr.example.com:8443")
        );
        assert!(load_with(None, &[("ORBITR_PUBLIC_URL", "ftp://x")], &[]).is_err());
        assert!(load_with(None, &[("ORBITR_PUBLIC_URL", "https://")], &[]).is_err());
    }

    #[test]
    fn wrong_types_and_values_are_refused() {
        assert!(load_with(None, &[("ORBITR_SESSION_MAX_DAYS", "0")], &[]).is_err());
        assert!(load_with(None, &[("ORBITR_LOGIN_FAILURES_PER_ACCOUNT", "five")], &[]).is_err());
        assert!(load_with(Some("bind = [1]\n"), &[], &[]).is_err());
        assert!(load_with(None, &[("ORBITR_LOG_FORMAT", "xml")], &[]).is_err());
        assert!(load_with(None, &[("ORBITR_SHUTDOWN_GRACE_SECS", "-1")], &[]).is_err());
        assert!(load_with(None, &[("ORBITR_DOCKER_HOST", "/var/run/docker.sock")], &[]).is_err());
        assert!(load_with(None, &[("ORBITR_LOG", "info,[[")], &[]).is_err());
        assert!(load_with(Some("bind = "), &[], &[]).is_err());
    }
}
