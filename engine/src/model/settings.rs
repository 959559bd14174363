//! The platform settings a platform admin may change from the browser, applied without a
//! restart: what each one is, its default and bounds, and how a typed value is checked. The
//! settings file, the environment and the command line read these keys with the same checks
//! and win over what the browser stored.

use serde::{Deserialize, Serialize};

/// A setting changeable while Orbitr runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tunable {
    PublicUrl,
    SessionIdleHours,
    SessionMaxDays,
    LoginFailuresPerAccount,
    LoginFailuresPerAddress,
    LoginFailureWindowMins,
    MarketplaceSyncMins,
    SmtpHost,
    SmtpPort,
    SmtpSecurity,
    SmtpUsername,
    SmtpFrom,
}

/// What kind of value a [`Tunable`] holds, which decides how it is checked and typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TunableKind {
    /// An http(s) URL, kept as its origin.
    Url,
    /// A whole number: `(default, least, most)`.
    Number(u64, u64, u64),
    /// A host name or IP address.
    Host,
    /// A user name: no spaces or control characters.
    Name,
    /// An email address.
    Email,
    /// One of these words (the first is the default).
    Choice(&'static [&'static str]),
}

/// The key of the mail server password: a secret setting, stored sealed and never shown.
pub const SMTP_PASSWORD: &str = "smtp_password";

/// The ways to secure the connection to the mail server (`smtp_security`).
pub const SMTP_SECURITY: &[&str] = &["starttls", "tls", "none"];

impl Tunable {
    /// In the order the settings page shows them.
    pub const ALL: [Self; 12] = [
        Self::PublicUrl,
        Self::SessionIdleHours,
        Self::SessionMaxDays,
        Self::LoginFailuresPerAccount,
        Self::LoginFailuresPerAddress,
        Self::LoginFailureWindowMins,
        Self::MarketplaceSyncMins,
        Self::SmtpHost,
        Self::SmtpPort,
        Self::SmtpSecurity,
        Self::SmtpUsername,
        Self::SmtpFrom,
    ];

    /// The key in `orbitr.toml` (the environment variable is `ORBITR_` and its capitals).
    pub fn key(self) -> &'static str {
        match self {
            Self::PublicUrl => "public_url",
            Self::SessionIdleHours => "session_idle_hours",
            Self::SessionMaxDays => "session_max_days",
            Self::LoginFailuresPerAccount => "login_failures_per_account",
            Self::LoginFailuresPerAddress => "login_failures_per_address",
            Self::LoginFailureWindowMins => "login_failure_window_mins",
            Self::MarketplaceSyncMins => "marketplace_sync_mins",
            Self::SmtpHost => "smtp_host",
            Self::SmtpPort => "smtp_port",
            Self::SmtpSecurity => "smtp_security",
            Self::SmtpUsername => "smtp_username",
            Self::SmtpFrom => "smtp_from",
        }
    }

    /// The setting named `key`.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.key() == key)
    }

    /// Its name on the settings page.
    pub fn label(self) -> &'static str {
        match self {
            Self::PublicUrl => "Public URL",
            Self::SessionIdleHours => "Idle session lifetime (hours)",
            Self::SessionMaxDays => "Longest session (days)",
            Self::LoginFailuresPerAccount => "Failed sign-ins per account",
            Self::LoginFailuresPerAddress => "Failed sign-ins per address",
            Self::LoginFailureWindowMins => "Failed sign-in window (minutes)",
            Self::MarketplaceSyncMins => "Marketplace sync interval (minutes)",
            Self::SmtpHost => "Mail server",
            Self::SmtpPort => "Mail server port",
            Self::SmtpSecurity => "Connection security",
            Self::SmtpUsername => "Mail server user name",
            Self::SmtpFrom => "Sender address",
        }
    }

    /// What it does, in a line.
    pub fn hint(self) -> &'static str {
        match self {
            Self::PublicUrl => {
                "Where people reach Orbitr, like https://orbitr.example.com. Browser requests that \
                 change something must come from it, sign-in providers send people back to it, \
                 and https makes sign-in cookies Secure. Empty: the address each browser used."
            }
            Self::SessionIdleHours => {
                "A session ends after this long without a request (counted to the minute)."
            }
            Self::SessionMaxDays => "A session ends this long after sign-in, however active.",
            Self::LoginFailuresPerAccount => {
                "Failed sign-ins allowed for one account within the window before it waits."
            }
            Self::LoginFailuresPerAddress => {
                "Failed sign-ins allowed from one address within the window before it waits."
            }
            Self::LoginFailureWindowMins => {
                "The window the failed sign-ins are counted in, and the first wait."
            }
            Self::MarketplaceSyncMins => {
                "How often every marketplace source is read again; 0: only when asked."
            }
            Self::SmtpHost => {
                "The SMTP server Orbitr sends mail through (invitations, tests), like \
                 smtp.example.com. Empty: Orbitr sends no mail."
            }
            Self::SmtpPort => "587 for STARTTLS, 465 for TLS, 25 for a relay on your network.",
            Self::SmtpSecurity => {
                "starttls: upgrade to TLS after connecting (port 587); tls: TLS from the first \
                 byte (port 465); none: no encryption (a relay on your own network only)."
            }
            Self::SmtpUsername => "Empty: the server takes mail without signing in.",
            Self::SmtpFrom => "The address mail comes from, like orbitr@example.com.",
        }
    }

    /// What kind of value it holds.
    pub fn kind(self) -> TunableKind {
        match self {
            Self::PublicUrl => TunableKind::Url,
            Self::SessionIdleHours => TunableKind::Number(12, 1, 8760),
            Self::SessionMaxDays => TunableKind::Number(30, 1, 365),
            Self::LoginFailuresPerAccount => TunableKind::Number(5, 1, 1000),
            Self::LoginFailuresPerAddress => TunableKind::Number(20, 1, 100_000),
            Self::LoginFailureWindowMins => TunableKind::Number(15, 1, 1440),
            Self::MarketplaceSyncMins => TunableKind::Number(360, 0, 10_080),
            Self::SmtpHost => TunableKind::Host,
            Self::SmtpPort => TunableKind::Number(587, 1, 65_535),
            Self::SmtpSecurity => TunableKind::Choice(SMTP_SECURITY),
            Self::SmtpUsername => TunableKind::Name,
            Self::SmtpFrom => TunableKind::Email,
        }
    }

    /// The part of the settings page it is on.
    pub fn section(self) -> &'static str {
        match self {
            Self::SmtpHost
            | Self::SmtpPort
            | Self::SmtpSecurity
            | Self::SmtpUsername
            | Self::SmtpFrom => "Mail",
            Self::MarketplaceSyncMins => "Marketplace",
            _ => "Access",
        }
    }

    /// `(default, least, most)` of a whole-number setting.
    pub fn bounds(self) -> Option<(u64, u64, u64)> {
        match self.kind() {
            TunableKind::Number(default, least, most) => Some((default, least, most)),
            _ => None,
        }
    }

    /// The value when nothing sets it (`""`: none).
    pub fn default_value(self) -> String {
        match self.kind() {
            TunableKind::Number(default, _, _) => default.to_string(),
            TunableKind::Choice(words) => words[0].to_owned(),
            _ => String::new(),
        }
    }

    /// The value `raw` stands for, as stored and applied (a URL reduced to its origin), or
    /// what was expected. Empty is the default.
    pub fn parse(self, raw: &str) -> Result<String, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(self.default_value());
        }
        match self.kind() {
            TunableKind::Url => public_origin(raw).ok_or_else(|| {
                "expected an http:// or https:// URL like https://orbitr.example.com".to_owned()
            }),
            TunableKind::Number(_, least, most) => raw
                .parse::<u64>()
                .ok()
                .filter(|n| (least..=most).contains(n))
                .map(|n| n.to_string())
                .ok_or_else(|| format!("expected a whole number from {least} to {most}")),
            TunableKind::Host => {
                let host = raw.trim_start_matches('[').trim_end_matches(']');
                let ok = host.len() <= 253
                    && host
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
                ok.then(|| raw.to_ascii_lowercase()).ok_or_else(|| {
                    "expected a host name or IP address like smtp.example.com".to_owned()
                })
            }
            TunableKind::Name => (raw.len() <= 254
                && !raw.contains(|c: char| c.is_whitespace() || c.is_control()))
            .then(|| raw.to_owned())
            .ok_or_else(|| "expected a user name without spaces".to_owned()),
            TunableKind::Email => {
                let ok = raw.len() <= 254
                    && raw.split_once('@').is_some_and(|(local, domain)| {
                        !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
                    })
                    && !raw.contains(|c: char| {
                        c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',')
                    });
                ok.then(|| raw.to_owned())
                    .ok_or_else(|| "expected an email address like orbitr@example.com".to_owned())
            }
            TunableKind::Choice(words) => words
                .iter()
                .find(|w| w.eq_ignore_ascii_case(raw))
                .map(|w| (*w).to_owned())
                .ok_or_else(|| format!("expected one of {}", words.join(", "))),
        }
    }
}

/// The origin (`scheme://host[:port]`) of an http(s) URL, lowercased, without path.
pub fn public_origin(url: &str) -> Option<String> {
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

/// Where a setting's value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SettingSource {
    /// Nothing sets it.
    Default,
    /// Set from the settings page.
    Stored { at: i64, by: Option<String> },
    /// The settings file, the environment or a flag sets it (named here): it cannot be changed
    /// from the browser.
    Fixed(String),
}

/// One setting as the settings page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingView {
    pub tunable: Tunable,
    pub value: String,
    pub source: SettingSource,
}

/// Settings that are read once at start from the file or environment, shown for reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedSetting {
    pub name: String,
    pub value: String,
    /// Where it comes from (`orbitr.toml line 3`, `ORBITR_BIND`, `default`).
    pub source: String,
}

/// A sign-in provider as the settings page shows it: never its client secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderView {
    pub spec: super::providers::ProviderSpec,
    /// `Fixed`: the settings file or the environment gives it, and only there can it change.
    pub source: SettingSource,
    /// Accounts linked to it (they sign in through it).
    pub linked_accounts: u64,
    /// Where the provider sends people back: register this URL with it.
    pub callback_url: String,
}

/// The settings page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SettingsPage {
    pub settings: Vec<SettingView>,
    /// Sign-in providers: those of the file and environment first, then those added here.
    pub providers: Vec<ProviderView>,
    /// What the server was started with.
    pub fixed: Vec<FixedSetting>,
    /// Whether a mail server password is set, and where it comes from (never the password).
    pub smtp_password: Option<SettingSource>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_like_the_settings_file_checks_them() {
        assert_eq!(
            Tunable::PublicUrl.parse(" HTTPS://Orbitr.Example.com/path "),
            Ok("https://orbitr.example.com".to_owned())
        );
        assert_eq!(Tunable::PublicUrl.parse(""), Ok(String::new()));
        assert!(Tunable::PublicUrl.parse("ftp://x").is_err());
        assert_eq!(Tunable::SessionMaxDays.parse("7"), Ok("7".to_owned()));
        assert_eq!(Tunable::SessionMaxDays.parse(""), Ok("30".to_owned()));
        let refused = Tunable::SessionMaxDays
            .parse("0")
            .expect_err("out of bounds");
        assert!(refused.contains("1 to 365"), "{refused}");
        assert!(Tunable::MarketplaceSyncMins.parse("0").is_ok());
        assert!(Tunable::LoginFailuresPerAccount.parse("two").is_err());
        assert_eq!(
            Tunable::SmtpHost.parse("SMTP.Example.com"),
            Ok("smtp.example.com".to_owned())
        );
        assert!(Tunable::SmtpHost.parse("smtp example").is_err());
        assert_eq!(Tunable::SmtpSecurity.parse(""), Ok("starttls".to_owned()));
        assert_eq!(Tunable::SmtpSecurity.parse("TLS"), Ok("tls".to_owned()));
        assert!(Tunable::SmtpSecurity.parse("ssl").is_err());
        assert!(Tunable::SmtpFrom.parse("orbitr@example.com").is_ok());
        assert!(
            Tunable::SmtpFrom
                .parse("Orbitr <orbitr@example.com>")
                .is_err()
        );
        assert!(Tunable::SmtpUsername.parse("a b").is_err());
        assert_eq!(Tunable::SmtpPort.parse(""), Ok("587".to_owned()));
    }

    #[test]
    fn every_setting_is_found_by_its_key() {
        for t in Tunable::ALL {
            assert_eq!(Tunable::from_key(t.key()), Some(t));
        }
        assert_eq!(Tunable::from_key("bind"), None);
    }
}
