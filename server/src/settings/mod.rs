//! Settings: defaults < `orbitr.toml` < `ORBITR_*` environment < command-line flags.
//!
//! Every source is read as text and parsed by the same per-key parser, so a bad value is reported
//! the same way wherever it came from: key, value, source and the expected form.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use engine::db::DatabaseUrl;
use engine::model::settings::{Tunable, public_origin};

mod keys;
mod oauth;

pub use keys::{CONFIG_ENV, DEFAULT_CONFIG_FILE, KEYS, Key, SettingsError, Source};

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
    /// The mail settings given (`smtp_host`, `smtp_port`, …), checked; the others are their
    /// defaults.
    pub mail: BTreeMap<Tunable, String>,
    /// The mail server password, if given.
    pub smtp_password: Option<String>,
    /// Sign-in providers (`[oauth.<name>]`), in name order.
    pub oauth: Vec<engine::identity::oauth::ProviderSettings>,
    /// Where each setting given in the file, the environment or a flag came from (`key` →
    /// `orbitr.toml:3`, `environment variable ORBITR_…`): the settings page shows those
    /// read-only.
    pub given: BTreeMap<&'static str, String>,
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
    let mut providers = oauth::RawProviders::new();

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
            || oauth::read_env(var, value, &mut providers)?
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
    settings.oauth = oauth::build(&providers)?;
    settings.given = raw
        .iter()
        .map(|(key, (_, source))| (*key, source.to_string()))
        .collect();
    Ok((settings, raw))
}

fn read_file(
    path: &Path,
    raw: &mut Sources,
    providers: &mut oauth::RawProviders,
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
            oauth::read_file_table(path, &text, value, providers)?;
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
    // The settings the browser can change too: their bounds are the settings page's.
    let tunable = |t: Tunable| {
        let (default, least, most) = t.bounds().expect("a whole-number setting");
        number(t.key(), default, least, most)
    };
    let session_idle_hours = tunable(Tunable::SessionIdleHours)?;
    let session_max_days = tunable(Tunable::SessionMaxDays)?;
    let login_failures_per_account = tunable(Tunable::LoginFailuresPerAccount)?;
    let login_failures_per_address = tunable(Tunable::LoginFailuresPerAddress)?;
    let login_failure_window_mins = tunable(Tunable::LoginFailureWindowMins)?;
    let log_ring_lines = number("log_ring_lines", 2000, 0, 1_000_000)?;
    let log_viewer_queue = number("log_viewer_queue", 4096, 16, 1_000_000)?;
    let marketplace_sync_mins = tunable(Tunable::MarketplaceSyncMins)?;
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

    let mut mail = BTreeMap::new();
    for t in Tunable::ALL.into_iter().filter(|t| t.section() == "Mail") {
        if let Some((v, s)) = get(t.key()) {
            let value = t.parse(v).map_err(|why| bad(t.key(), v, s, Some(why)))?;
            mail.insert(t, value);
        }
    }
    let smtp_password = get("smtp_password").map(|(v, _)| v.to_owned());

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
        mail,
        smtp_password,
        oauth: Vec::new(),
        given: BTreeMap::new(),
    })
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
    fn each_given_setting_says_where_it_came_from_for_the_settings_page() {
        let s = load_with(
            Some("session_max_days = 7\n"),
            &[("ORBITR_MARKETPLACE_SYNC_MINS", "0")],
            &[],
        )
        .expect("load");
        assert_eq!(s.session_max_days, 7);
        assert_eq!(s.marketplace_sync_mins, 0);
        assert!(
            s.given["session_max_days"].ends_with("orbitr.toml:1"),
            "{:?}",
            s.given
        );
        assert_eq!(
            s.given["marketplace_sync_mins"],
            "environment variable ORBITR_MARKETPLACE_SYNC_MINS"
        );
        assert!(
            !s.given.contains_key("public_url"),
            "not given: the page may set it"
        );
        let err = load_with(None, &[("ORBITR_SESSION_MAX_DAYS", "0")], &[])
            .expect_err("the page's bounds hold for the environment too")
            .to_string();
        assert!(err.contains("session_max_days"), "{err}");
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
