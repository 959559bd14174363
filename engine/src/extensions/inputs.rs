//! A manifest's inputs (the install form's fields) and the checking of their values. The same
//! code runs in the browser (as the user types) and on the server (before anything is installed).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A form field of the install dialog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Input {
    /// Upper-case name used as `${KEY}` in the template.
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub description: String,
    #[serde(rename = "type")]
    pub kind: InputKind,
    /// Must be filled in (default: true unless there is a default or it is generated).
    pub required: Option<bool>,
    /// The value the form starts with.
    pub default: Option<String>,
    /// `number` and `port`: the smallest value.
    pub min: Option<f64>,
    /// `number` and `port`: the largest value.
    pub max: Option<f64>,
    /// `select`: the choices.
    #[serde(default)]
    pub options: Vec<Choice>,
    /// `secret`: generate a random value of this many characters when left empty.
    pub generate: Option<u32>,
}

impl Input {
    /// Whether the form must have a value for it.
    pub fn is_required(&self) -> bool {
        self.required
            .unwrap_or(self.default.is_none() && self.generate.is_none())
    }
}

/// The kinds of form fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    String,
    Text,
    Secret,
    Number,
    /// A host port; it must be free when installing.
    Port,
    Boolean,
    Select,
    Email,
    Url,
    /// A folder on the host, within the security policy's allowed roots.
    HostPath,
}

impl InputKind {
    pub const ALL: [(&'static str, InputKind); 10] = [
        ("string", Self::String),
        ("text", Self::Text),
        ("secret", Self::Secret),
        ("number", Self::Number),
        ("port", Self::Port),
        ("boolean", Self::Boolean),
        ("select", Self::Select),
        ("email", Self::Email),
        ("url", Self::Url),
        ("host_path", Self::HostPath),
    ];
}

/// A choice of a `select` input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// Why a value does not fit its input (completes "the value …"/"the default …").
pub fn check_value(input: &Input, value: &str) -> Result<(), String> {
    let value = value.trim();
    // Values land in a YAML file: only a text input may span lines.
    if input.kind != InputKind::Text && value.chars().any(char::is_control) {
        return Err("has a line break or another control character".into());
    }
    match input.kind {
        InputKind::Number | InputKind::Port => {
            let n: f64 = value
                .parse()
                .map_err(|_| format!("\"{value}\" is not a number"))?;
            let (lo, hi) = if input.kind == InputKind::Port {
                (
                    input.min.unwrap_or(1.0).max(1.0),
                    input.max.unwrap_or(65535.0).min(65535.0),
                )
            } else {
                (
                    input.min.unwrap_or(f64::NEG_INFINITY),
                    input.max.unwrap_or(f64::INFINITY),
                )
            };
            if input.kind == InputKind::Port && n.fract() != 0.0 {
                return Err(format!("{value} is not a whole port number"));
            }
            if n < lo || n > hi {
                return Err(match (lo.is_finite(), hi.is_finite()) {
                    (true, true) => format!("{value} is not between {lo} and {hi}"),
                    (true, false) => format!("{value} is below {lo}"),
                    _ => format!("{value} is above {hi}"),
                });
            }
            Ok(())
        }
        InputKind::Boolean => match value {
            "true" | "false" => Ok(()),
            _ => Err(format!("\"{value}\" is not true or false")),
        },
        InputKind::Select => {
            if input.options.iter().any(|o| o.value == value) {
                Ok(())
            } else {
                Err(format!(
                    "\"{value}\" is not one of {}",
                    input
                        .options
                        .iter()
                        .map(|o| o.value.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        }
        InputKind::Email => {
            let ok = value.split_once('@').is_some_and(|(user, host)| {
                !user.is_empty()
                    && host.contains('.')
                    && !host.starts_with('.')
                    && !host.ends_with('.')
            }) && !value.contains(char::is_whitespace);
            if ok {
                Ok(())
            } else {
                Err(format!("\"{value}\" is not an email address"))
            }
        }
        InputKind::Url => {
            let rest = value
                .strip_prefix("https://")
                .or_else(|| value.strip_prefix("http://"));
            if rest.is_some_and(|r| !r.is_empty() && !r.contains(char::is_whitespace)) {
                Ok(())
            } else {
                Err(format!("\"{value}\" is not an http(s) URL"))
            }
        }
        InputKind::HostPath => {
            if !value.starts_with('/') {
                Err(format!("\"{value}\" is not an absolute host path"))
            } else if value.split('/').any(|part| part == "..") {
                Err(format!("\"{value}\" may not contain .."))
            } else {
                Ok(())
            }
        }
        InputKind::String | InputKind::Secret => {
            if value.contains(['\n', '\r']) {
                Err("must be on one line".to_owned())
            } else {
                Ok(())
            }
        }
        InputKind::Text => Ok(()),
    }
}

/// One input's problem in a form.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputError {
    pub key: String,
    pub message: String,
}

/// The form's values checked against `inputs`: each input's value (given, else its default;
/// generated secrets are left out for the server to fill), or every problem. Values for keys
/// that are not inputs are refused too.
pub fn check_values(
    inputs: &[Input],
    values: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Vec<InputError>> {
    let mut out = BTreeMap::new();
    let mut errors = Vec::new();
    for key in values.keys() {
        if !inputs.iter().any(|i| &i.key == key) {
            errors.push(InputError {
                key: key.clone(),
                message: format!("{key} is not an input of this extension"),
            });
        }
    }
    for input in inputs {
        let given = values
            .get(&input.key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        let value = given.or_else(|| input.default.clone());
        match value {
            Some(value) => match check_value(input, &value) {
                Ok(()) => {
                    out.insert(input.key.clone(), value);
                }
                Err(message) => errors.push(InputError {
                    key: input.key.clone(),
                    message: format!("{}: the value {message}", input.label),
                }),
            },
            None if input.generate.is_some() || !input.is_required() => {}
            None => errors.push(InputError {
                key: input.key.clone(),
                message: format!("{} is required", input.label),
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(kind: InputKind) -> Input {
        Input {
            key: "K".into(),
            label: "K".into(),
            description: String::new(),
            kind,
            required: None,
            default: None,
            min: None,
            max: None,
            options: vec![Choice {
                value: "a".into(),
                label: "A".into(),
            }],
            generate: None,
        }
    }

    #[test]
    fn only_a_text_input_spans_lines() {
        let mut input = Input {
            key: "TITLE".into(),
            label: "Title".into(),
            description: String::new(),
            kind: InputKind::String,
            required: None,
            default: None,
            min: None,
            max: None,
            options: Vec::new(),
            generate: None,
        };
        let injected = "x\n    privileged: true";
        assert!(check_value(&input, injected).is_err());
        assert!(check_value(&input, "tab\there").is_err());
        input.kind = InputKind::Text;
        assert!(check_value(&input, injected).is_ok());
    }

    #[test]
    fn each_type_has_its_rule() {
        let cases = [
            (InputKind::Port, "8080", true),
            (InputKind::Port, "0", false),
            (InputKind::Port, "80.5", false),
            (InputKind::Number, "-3.5", true),
            (InputKind::Number, "x", false),
            (InputKind::Boolean, "true", true),
            (InputKind::Boolean, "yes", false),
            (InputKind::Select, "a", true),
            (InputKind::Select, "b", false),
            (InputKind::Email, "ada@example.com", true),
            (InputKind::Email, "ada@", false),
            (InputKind::Url, "https://example.com/x", true),
            (InputKind::Url, "javascript:alert(1)", false),
            (InputKind::HostPath, "/srv/media", true),
            (InputKind::HostPath, "/srv/../etc", false),
            (InputKind::HostPath, "relative", false),
            (InputKind::String, "two\nlines", false),
            (InputKind::Text, "two\nlines", true),
        ];
        for (kind, value, ok) in cases {
            assert_eq!(
                check_value(&input(kind), value).is_ok(),
                ok,
                "{kind:?} {value:?}"
            );
        }
        let mut bounded = input(InputKind::Number);
        bounded.min = Some(1.0);
        bounded.max = Some(10.0);
        assert_eq!(
            check_value(&bounded, "11"),
            Err("11 is not between 1 and 10".to_owned())
        );
    }

    #[test]
    fn a_form_gets_defaults_and_every_problem_at_once() {
        let mut port = input(InputKind::Port);
        port.key = "PORT".into();
        port.label = "Web port".into();
        port.default = Some("3000".into());
        let mut name = input(InputKind::String);
        name.key = "NAME".into();
        name.label = "Site name".into();
        let mut secret = input(InputKind::Secret);
        secret.key = "PASSWORD".into();
        secret.generate = Some(24);
        let inputs = [port, name, secret];
        let values = BTreeMap::from([("NAME".to_owned(), "blog".to_owned())]);
        let ok = check_values(&inputs, &values).expect("valid");
        assert_eq!(
            ok,
            BTreeMap::from([
                ("NAME".to_owned(), "blog".to_owned()),
                ("PORT".to_owned(), "3000".to_owned()),
            ])
        );
        let bad = BTreeMap::from([
            ("PORT".to_owned(), "99999".to_owned()),
            ("EXTRA".to_owned(), "x".to_owned()),
        ]);
        let errors = check_values(&inputs, &bad).expect_err("invalid");
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "EXTRA is not an input of this extension",
                "Web port: the value 99999 is not between 1 and 65535",
                "Site name is required"
            ]
        );
    }
}
