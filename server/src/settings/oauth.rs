//! Sign-in provider settings: `[oauth.<name>]` tables in `orbitr.toml`, each field also settable
//! as `ORBITR_OAUTH_<NAME>_<FIELD>` (the environment wins, so secrets can stay out of the file).
//!
//! ```toml
//! [oauth.github]                 # kind defaults to the name for github, gitlab and google
//! client_id = "Iv1.0123"
//! client_secret = "…"            # or ORBITR_OAUTH_GITHUB_CLIENT_SECRET
//! allowed_domains = ["example.com"]
//!
//! [oauth.corp]
//! kind = "oidc"
//! label = "Example SSO"
//! issuer = "https://sso.example.com/realms/main"
//! client_id = "orbitr"
//! client_secret = "…"
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use engine::identity::oauth::ProviderSettings;
use engine::model::providers::{
    PROVIDER_FIELDS, PROVIDER_NAME_EXPECTED, ProviderField, ProviderProblem, ProviderSpec,
    provider_field as field, valid_provider_name as valid_name,
};

use super::keys::{SettingsError, Source};

/// Environment variables of provider fields start with this.
pub const ENV_PREFIX: &str = "ORBITR_OAUTH_";

/// Raw provider values: provider name → field → (value, where it came from).
pub type RawProviders = BTreeMap<String, BTreeMap<&'static str, (String, Source)>>;

fn bad_name(name: &str, origin: Source) -> SettingsError {
    SettingsError::BadValue {
        key: "oauth",
        value: name.to_owned(),
        origin,
        expected: PROVIDER_NAME_EXPECTED.into(),
    }
}

/// Reads the `oauth` table of the settings file.
pub fn read_file_table(
    path: &Path,
    text: &str,
    value: toml::Spanned<toml::Value>,
    raw: &mut RawProviders,
) -> Result<(), SettingsError> {
    let line_of = |start: usize| text[..start].matches('\n').count() + 1;
    let origin = |start: usize| Source::File {
        path: path.to_owned(),
        line: line_of(start),
    };
    let start = value.span().start;
    let toml::Value::Table(providers) = value.into_inner() else {
        return Err(SettingsError::BadValue {
            key: "oauth",
            value: "(not a table)".into(),
            origin: origin(start),
            expected: "[oauth.<name>] tables, one per sign-in provider".into(),
        });
    };
    // The spans of nested values are lost by `toml::Value`; find each provider's table header
    // for its line instead.
    for (name, table) in providers {
        let header = text.find(&format!("[oauth.{name}]")).unwrap_or(start);
        if !valid_name(&name) {
            return Err(bad_name(&name, origin(header)));
        }
        let toml::Value::Table(fields) = table else {
            return Err(SettingsError::BadValue {
                key: "oauth",
                value: name,
                origin: origin(header),
                expected: "a table: [oauth.<name>] with client_id, client_secret, …".into(),
            });
        };
        let entry = raw.entry(name.clone()).or_default();
        for (key, value) in fields {
            let line_start = text[header..]
                .find(&format!("\n{key}"))
                .map_or(header, |i| header + i + 1);
            let source = origin(line_start);
            let Some(f) = field(&key) else {
                return Err(SettingsError::UnknownKey {
                    key: format!("oauth.{name}.{key}"),
                    origin: source,
                });
            };
            let text_value = match value {
                toml::Value::String(s) => s,
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Array(items) => {
                    let mut parts = Vec::new();
                    for item in items {
                        match item {
                            toml::Value::String(s) => parts.push(s),
                            other => {
                                return Err(provider_error(&name, f, &other.to_string(), &source));
                            }
                        }
                    }
                    parts.join(",")
                }
                other => return Err(provider_error(&name, f, &other.to_string(), &source)),
            };
            entry.insert(f.name, (text_value, source));
        }
    }
    Ok(())
}

/// Takes `ORBITR_OAUTH_<NAME>_<FIELD>`; `Ok(false)` when `var` is not a provider variable.
pub fn read_env(var: &str, value: &str, raw: &mut RawProviders) -> Result<bool, SettingsError> {
    let Some(rest) = var.strip_prefix(ENV_PREFIX) else {
        return Ok(false);
    };
    let found = PROVIDER_FIELDS.iter().find_map(|f| {
        rest.strip_suffix(&format!("_{}", f.name.to_ascii_uppercase()))
            .map(|name| (name.to_ascii_lowercase(), f))
    });
    let Some((name, f)) = found.filter(|(name, _)| !name.is_empty()) else {
        return Err(SettingsError::UnknownEnv {
            var: format!(
                "{var} (provider variables are {ENV_PREFIX}<NAME>_<FIELD> with FIELD one of {})",
                PROVIDER_FIELDS
                    .iter()
                    .map(|f| f.name.to_ascii_uppercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    };
    if !valid_name(&name) {
        return Err(bad_name(&name, Source::Env("ORBITR_OAUTH_<NAME>_<FIELD>")));
    }
    raw.entry(name).or_default().insert(
        f.name,
        (value.to_owned(), Source::Env("ORBITR_OAUTH_<NAME>_<FIELD>")),
    );
    Ok(true)
}

fn provider_error(
    provider: &str,
    f: &ProviderField,
    value: &str,
    origin: &Source,
) -> SettingsError {
    SettingsError::BadProvider {
        key: format!("oauth.{provider}.{}", f.name),
        value: if f.secret {
            "(hidden)".into()
        } else {
            value.to_owned()
        },
        origin: origin.clone(),
        expected: f.expected.to_owned(),
    }
}

/// Checks every provider and fills in defaults.
pub fn build(raw: &RawProviders) -> Result<Vec<ProviderSettings>, SettingsError> {
    let mut providers = Vec::new();
    for (name, values) in raw {
        let missing = |f: &'static str, expected: &str| SettingsError::MissingProvider {
            key: format!("oauth.{name}.{f}"),
            expected: expected.to_owned(),
        };
        let spec = ProviderSpec::check(name, |f| values.get(f).map(|(v, _)| v.as_str())).map_err(
            |problem| match &problem {
                ProviderProblem::Missing(f) => missing(f, problem.expected()),
                ProviderProblem::Bad(f) => {
                    let (value, source) = &values[f];
                    provider_error(name, field(f).expect("a known field"), value, source)
                }
            },
        )?;
        let client_secret = values
            .get("client_secret")
            .map(|(v, _)| v.trim())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                missing(
                    "client_secret",
                    field("client_secret").map_or("", |f| f.expected),
                )
            })?
            .to_owned();
        providers.push(ProviderSettings {
            spec,
            client_secret,
        });
    }
    Ok(providers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Result<Vec<ProviderSettings>, SettingsError> {
        let table: BTreeMap<String, toml::Spanned<toml::Value>> =
            toml::from_str(text).expect("toml");
        let mut raw = RawProviders::new();
        for (key, value) in table {
            assert_eq!(key, "oauth");
            read_file_table(Path::new("orbitr.toml"), text, value, &mut raw)?;
        }
        build(&raw)
    }

    #[test]
    fn known_providers_need_only_their_client() {
        let providers = file(
            "[oauth.github]\nclient_id = \"id\"\nclient_secret = \"s\"\nallowed_domains = [\"Example.com\", \"@corp.test\"]\n",
        )
        .expect("github");
        assert_eq!(providers.len(), 1);
        let p = &providers[0];
        assert_eq!(p.kind, engine::model::providers::ProviderKind::GitHub);
        assert_eq!(p.label, "GitHub");
        assert_eq!(p.issuer, "https://github.com");
        assert_eq!(p.allowed_domains, ["example.com", "corp.test"]);
        assert!(!p.trust_email);
    }

    #[test]
    fn generic_oidc_needs_kind_and_issuer() {
        let err = file("[oauth.corp]\nclient_id = \"id\"\nclient_secret = \"s\"\n")
            .expect_err("no kind")
            .to_string();
        assert!(err.contains("oauth.corp.kind"), "{err}");
        let err =
            file("[oauth.corp]\nkind = \"oidc\"\nclient_id = \"id\"\nclient_secret = \"s\"\n")
                .expect_err("no issuer")
                .to_string();
        assert!(err.contains("oauth.corp.issuer"), "{err}");
        let providers = file(
            "[oauth.corp]\nkind = \"oidc\"\nlabel = \"Corp SSO\"\nissuer = \"http://127.0.0.1:9400\"\nclient_id = \"id\"\nclient_secret = \"s\"\ntrust_email = true\n",
        )
        .expect("oidc");
        assert_eq!(providers[0].label, "Corp SSO");
        assert!(providers[0].trust_email);
    }

    #[test]
    fn errors_name_the_field_and_line_and_hide_secrets() {
        let err = file("[oauth.github]\nclient_id = \"id\"\nclient_secret = 5\n")
            .expect_err("secret type")
            .to_string();
        assert!(err.contains("oauth.github.client_secret"), "{err}");
        assert!(err.contains("orbitr.toml:3"), "{err}");
        assert!(err.contains("(hidden)") && !err.contains('5'), "{err}");
        let err = file("[oauth.github]\nclient_id = \"id\"\nclient_secert = \"x\"\n")
            .expect_err("typo")
            .to_string();
        assert!(
            err.contains("oauth.github.client_secert") && err.contains("orbitr.toml:3"),
            "{err}"
        );
        let err = file("[oauth.github]\nclient_id = \"id\"\n")
            .expect_err("missing secret")
            .to_string();
        assert!(err.contains("oauth.github.client_secret"), "{err}");
        let err = file("[oauth.GitHub]\nclient_id = \"id\"\n")
            .expect_err("name")
            .to_string();
        assert!(err.contains("GitHub") && err.contains("lowercase"), "{err}");
        let err = file("[oauth.corp]\nkind = \"saml\"\nclient_id = \"i\"\nclient_secret = \"s\"\n")
            .expect_err("kind")
            .to_string();
        assert!(err.contains("saml") && err.contains("oidc"), "{err}");
        let err = file("[oauth.github]\nclient_id = \"i\"\nclient_secret = \"s\"\nallowed_domains = \"localhost\"\n")
            .expect_err("domain")
            .to_string();
        assert!(err.contains("allowed_domains"), "{err}");
    }

    #[test]
    fn environment_variables_set_fields_of_any_provider() {
        let mut raw = RawProviders::new();
        for (var, value) in [
            ("ORBITR_OAUTH_CORP_SSO_KIND", "oidc"),
            ("ORBITR_OAUTH_CORP_SSO_ISSUER", "https://sso.example.com"),
            ("ORBITR_OAUTH_CORP_SSO_CLIENT_ID", "orbitr"),
            ("ORBITR_OAUTH_CORP_SSO_CLIENT_SECRET", "s3cret"),
            (
                "ORBITR_OAUTH_CORP_SSO_ALLOWED_DOMAINS",
                "example.com, corp.test",
            ),
        ] {
            assert!(read_env(var, value, &mut raw).expect(var));
        }
        assert!(!read_env("ORBITR_BIND", "x", &mut raw).expect("not oauth"));
        let providers = build(&raw).expect("build");
        assert_eq!(providers[0].name, "corp_sso");
        assert_eq!(providers[0].client_secret, "s3cret");
        assert_eq!(providers[0].allowed_domains, ["example.com", "corp.test"]);
        let err = read_env("ORBITR_OAUTH_CORP_SECRET", "x", &mut raw)
            .expect_err("unknown field")
            .to_string();
        assert!(err.contains("CLIENT_SECRET"), "{err}");
    }
}
