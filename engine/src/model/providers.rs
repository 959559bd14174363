//! Sign-in providers as settings: their kinds, their fields and how a typed value is checked.
//! The settings file, the environment and the settings page check providers with the same
//! rules ([`ProviderSpec::check`]); the client secret is kept apart and never shown.

use serde::{Deserialize, Serialize};

/// The protocols Orbitr speaks with providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// OAuth 2 plus GitHub's REST API (GitHub has no OpenID Connect for people).
    GitHub,
    /// OpenID Connect at gitlab.com or a self-managed GitLab (`issuer`).
    GitLab,
    /// OpenID Connect at accounts.google.com.
    Google,
    /// Any OpenID Connect provider with a discovery document at `issuer`.
    Oidc,
}

impl ProviderKind {
    /// The kinds as settings spell them.
    pub const NAMES: &'static str = "github, gitlab, google or oidc";
    /// Every kind, in the order a form offers them.
    pub const ALL: [Self; 4] = [Self::Oidc, Self::GitHub, Self::GitLab, Self::Google];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == raw)
    }

    /// How settings spell it.
    pub fn key(self) -> &'static str {
        match self {
            Self::GitHub => "github",
            Self::GitLab => "gitlab",
            Self::Google => "google",
            Self::Oidc => "oidc",
        }
    }

    /// The issuer (GitHub: the site) used when the settings name none.
    pub fn default_issuer(self) -> Option<&'static str> {
        match self {
            Self::GitHub => Some("https://github.com"),
            Self::GitLab => Some("https://gitlab.com"),
            Self::Google => Some("https://accounts.google.com"),
            Self::Oidc => None,
        }
    }

    /// The button text used when the settings name none.
    pub fn default_label(self) -> &'static str {
        match self {
            Self::GitHub => "GitHub",
            Self::GitLab => "GitLab",
            Self::Google => "Google",
            Self::Oidc => "single sign-on",
        }
    }

    /// Its name in a form's choice.
    pub fn title(self) -> &'static str {
        match self {
            Self::Oidc => "OpenID Connect",
            other => other.default_label(),
        }
    }
}

/// A provider field: its name, whether its value is secret, and its expected form.
#[derive(Debug)]
pub struct ProviderField {
    pub name: &'static str,
    pub secret: bool,
    pub expected: &'static str,
}

/// Every provider field, in the order they are checked.
pub const PROVIDER_FIELDS: &[ProviderField] = &[
    ProviderField {
        name: "kind",
        secret: false,
        expected: "github, gitlab, google or oidc (defaults to the provider's name for the first three)",
    },
    ProviderField {
        name: "label",
        secret: false,
        expected: "the button text after \"Continue with\", 1 to 40 characters",
    },
    ProviderField {
        name: "issuer",
        secret: false,
        expected: "the issuer URL exactly as the provider's discovery document writes it, like https://sso.example.com/realms/main (GitHub: the site, for GitHub Enterprise)",
    },
    ProviderField {
        name: "allowed_domains",
        secret: false,
        expected: "email domains whose people may create an account by signing in, like [\"example.com\"] (environment: comma-separated)",
    },
    ProviderField {
        name: "trust_email",
        secret: false,
        expected: "true or false: count this provider's emails as verified even without email_verified",
    },
    ProviderField {
        name: "client_id",
        secret: false,
        expected: "the client id the provider issued to Orbitr",
    },
    ProviderField {
        name: "client_secret",
        secret: true,
        expected: "the client secret the provider issued to Orbitr",
    },
];

/// The field named `name`.
pub fn provider_field(name: &str) -> Option<&'static ProviderField> {
    PROVIDER_FIELDS.iter().find(|f| f.name == name)
}

/// What a provider name must look like.
pub const PROVIDER_NAME_EXPECTED: &str = "a provider name of lowercase letters, digits and _ (starting with a letter, at most 32), like github or corp_sso";

/// Whether `name` may name a provider (it is part of the callback URL and of stored links).
pub fn valid_provider_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Why a provider's fields were refused: the field, and whether it was missing or wrong.
#[derive(Debug, PartialEq, Eq)]
pub enum ProviderProblem {
    Missing(&'static str),
    Bad(&'static str),
}

impl ProviderProblem {
    /// The field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Missing(f) | Self::Bad(f) => f,
        }
    }

    /// What the field expects.
    pub fn expected(&self) -> &'static str {
        if let Self::Missing("kind") = self {
            return ProviderKind::NAMES;
        }
        provider_field(self.field()).map_or("", |f| f.expected)
    }
}

/// A sign-in provider's settings but its client secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSpec {
    /// The name in the settings (`[oauth.<name>]`); links are stored under it.
    pub name: String,
    pub kind: ProviderKind,
    /// Shown on the button: "Continue with <label>".
    pub label: String,
    pub client_id: String,
    /// OIDC issuer URL exactly as the provider writes it; for GitHub the site (GitHub
    /// Enterprise: `https://github.example.com`).
    pub issuer: String,
    /// Email domains whose people may create an account by signing in here.
    pub allowed_domains: Vec<String>,
    /// Count emails from this provider as verified even without `email_verified` (for
    /// providers that only hand out addresses they manage).
    pub trust_email: bool,
}

impl ProviderSpec {
    /// Checks provider `name`'s fields as `get` gives them (a field not given is `None`) and
    /// fills in defaults: the kind from a known name, the label and issuer from the kind.
    /// The client secret is not read here.
    pub fn check<'a>(
        name: &str,
        get: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Self, ProviderProblem> {
        let get = |f: &str| get(f).map(str::trim);
        let kind = match get("kind") {
            Some(v) => ProviderKind::parse(v).ok_or(ProviderProblem::Bad("kind"))?,
            None => ProviderKind::parse(name).ok_or(ProviderProblem::Missing("kind"))?,
        };
        let label = match get("label") {
            Some(v) if v.is_empty() || v.chars().count() > 40 => {
                return Err(ProviderProblem::Bad("label"));
            }
            Some(v) => v.to_owned(),
            None => kind.default_label().to_owned(),
        };
        let issuer = match get("issuer") {
            Some(v) => {
                let ok = (v.starts_with("https://") || v.starts_with("http://"))
                    && v.len() > "https://".len()
                    && !v.contains(char::is_whitespace);
                if !ok {
                    return Err(ProviderProblem::Bad("issuer"));
                }
                v.to_owned()
            }
            None => kind
                .default_issuer()
                .ok_or(ProviderProblem::Missing("issuer"))?
                .to_owned(),
        };
        let allowed_domains = match get("allowed_domains") {
            Some(v) => {
                let domains: Vec<String> = v
                    .split(',')
                    .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
                    .filter(|d| !d.is_empty())
                    .collect();
                if domains.iter().any(|d| {
                    !d.contains('.') || d.contains(|c: char| c.is_whitespace() || c == '@')
                }) {
                    return Err(ProviderProblem::Bad("allowed_domains"));
                }
                domains
            }
            None => Vec::new(),
        };
        let trust_email = match get("trust_email") {
            Some("true") => true,
            Some("false") | None => false,
            Some(_) => return Err(ProviderProblem::Bad("trust_email")),
        };
        let client_id = get("client_id")
            .filter(|v| !v.is_empty())
            .ok_or(ProviderProblem::Missing("client_id"))?
            .to_owned();
        Ok(Self {
            name: name.to_owned(),
            kind,
            label,
            client_id,
            issuer,
            allowed_domains,
            trust_email,
        })
    }
}

/// A provider typed on the settings page. Empty fields are not given (their defaults apply);
/// an empty client secret keeps the one stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProviderForm {
    pub name: String,
    pub kind: String,
    pub label: String,
    pub client_id: String,
    pub client_secret: String,
    pub issuer: String,
    /// Comma-separated.
    pub allowed_domains: String,
    pub trust_email: bool,
}

impl ProviderForm {
    /// Field `name` as typed, when not empty (the secret is never read here).
    pub fn field(&self, name: &str) -> Option<&str> {
        let value = match name {
            "kind" => &self.kind,
            "label" => &self.label,
            "client_id" => &self.client_id,
            "issuer" => &self.issuer,
            "allowed_domains" => &self.allowed_domains,
            "trust_email" => return Some(if self.trust_email { "true" } else { "false" }),
            _ => return None,
        };
        Some(value.as_str()).filter(|v| !v.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, fields: &[(&str, &'static str)]) -> Result<ProviderSpec, ProviderProblem> {
        let fields = fields.to_vec();
        ProviderSpec::check(name, move |f| {
            fields.iter().find(|(k, _)| *k == f).map(|(_, v)| *v)
        })
    }

    #[test]
    fn known_kinds_fill_in_their_issuer_and_label() {
        let spec = check("github", &[("client_id", "id")]).expect("github");
        assert_eq!(spec.kind, ProviderKind::GitHub);
        assert_eq!(spec.issuer, "https://github.com");
        assert_eq!(spec.label, "GitHub");
        assert_eq!(
            check("corp", &[("client_id", "id")]),
            Err(ProviderProblem::Missing("kind"))
        );
        assert_eq!(
            check("corp", &[("kind", "oidc"), ("client_id", "id")]),
            Err(ProviderProblem::Missing("issuer"))
        );
        assert_eq!(
            check("corp", &[("kind", "saml"), ("client_id", "id")]),
            Err(ProviderProblem::Bad("kind"))
        );
    }

    #[test]
    fn every_field_is_checked() {
        let base = [("kind", "oidc"), ("issuer", "https://sso.example.com")];
        let with = |extra: (&str, &'static str)| {
            let mut all = base.to_vec();
            all.push(("client_id", "id"));
            all.retain(|(k, _)| *k != extra.0);
            all.push(extra);
            check("corp", &all)
        };
        assert_eq!(
            with(("label", "x".repeat(41).leak())),
            Err(ProviderProblem::Bad("label"))
        );
        assert_eq!(
            with(("issuer", "sso.example.com")),
            Err(ProviderProblem::Bad("issuer"))
        );
        assert_eq!(
            with(("allowed_domains", "localhost")),
            Err(ProviderProblem::Bad("allowed_domains"))
        );
        assert_eq!(
            with(("trust_email", "yes")),
            Err(ProviderProblem::Bad("trust_email"))
        );
        assert_eq!(
            check("corp", &base),
            Err(ProviderProblem::Missing("client_id"))
        );
        let spec = with(("allowed_domains", " Example.com, @corp.test ")).expect("ok");
        assert_eq!(spec.allowed_domains, ["example.com", "corp.test"]);
    }

    #[test]
    fn names_are_lowercase_words() {
        assert!(valid_provider_name("corp_sso2"));
        assert!(!valid_provider_name("Corp"));
        assert!(!valid_provider_name("2fa"));
        assert!(!valid_provider_name("a-b"));
        assert!(!valid_provider_name(&"a".repeat(33)));
    }

    #[test]
    fn a_form_gives_only_what_was_typed_and_never_the_secret() {
        let form = ProviderForm {
            name: "corp".into(),
            label: "  ".into(),
            client_secret: "s3cret".into(),
            ..ProviderForm::default()
        };
        assert_eq!(form.field("label"), None);
        assert_eq!(form.field("client_secret"), None);
        assert_eq!(form.field("trust_email"), Some("false"));
    }
}
