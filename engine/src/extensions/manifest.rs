//! `orbitr.yaml`: what an extension is, the form it asks for, what it needs and exposes. Read
//! with every value's line, so each mistake is reported as file, line and field.

use std::collections::BTreeSet;

use compose::diag::{Diagnostic, Pos, did_you_mean, join_index, join_key};
use compose::yaml::{Limits, Node, Value};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

// What an input is lives with how its values are checked.
pub use super::inputs::{Choice, Input, InputKind};

/// The manifest's file name in an extension folder.
pub const MANIFEST_FILE: &str = "orbitr.yaml";
/// The compose template's default file name.
pub const TEMPLATE_FILE: &str = "compose.yaml";
/// Largest manifest accepted.
pub const MAX_MANIFEST_BYTES: usize = 256 * 1024;

/// An extension's manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Manifest {
    /// Lowercase letters, digits and dashes, 2–63 characters; unique in a registry.
    pub id: String,
    pub name: String,
    /// Semantic version (`1.4.2`, `2.0.0-rc.1`).
    pub version: String,
    /// One line for lists and search results (at most 200 characters).
    pub summary: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub categories: Vec<String>,
    /// A file in the extension folder or an https URL.
    pub icon: Option<String>,
    pub homepage: Option<String>,
    /// Where the app's source lives.
    pub source: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    /// SPDX identifier, e.g. `MIT`.
    pub license: Option<String>,
    /// The compose template in the folder (default `compose.yaml`).
    #[serde(default = "default_template")]
    pub template: String,
    /// The install form; each input is `${KEY}` in the template.
    #[serde(default)]
    pub inputs: Vec<Input>,
    /// Other extensions this one needs.
    #[serde(default)]
    pub requires: Vec<Requirement>,
    /// Web ports people open (links, and later the reverse proxy).
    #[serde(default)]
    pub exposes: Vec<Exposed>,
    /// How to tell the app is up.
    #[serde(default)]
    pub health: Vec<Health>,
    #[serde(default)]
    pub backup: Backup,
    /// What the app needs of the host; shown to whoever installs it.
    #[serde(default)]
    pub permissions: Permissions,
}

fn default_template() -> String {
    TEMPLATE_FILE.to_owned()
}

/// Another extension this one needs, with the versions it works with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Requirement {
    pub id: String,
    /// A semver range, e.g. `^16`, `>=1.2, <2`.
    pub version: String,
}

/// A port of a service people open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Exposed {
    pub service: String,
    /// The container port.
    pub port: u16,
    /// `http` (default), `https` or `tcp`.
    #[serde(default = "default_protocol")]
    pub protocol: String,
    /// Path to open, e.g. `/admin`.
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub label: String,
}

fn default_protocol() -> String {
    "http".to_owned()
}

/// A health check hint: the service whose health says the app is up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub service: String,
    /// An HTTP path that answers 2xx when the app is up (checked on the first exposed port).
    pub path: Option<String>,
}

/// What to keep: volumes holding the app's data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Backup {
    #[serde(default)]
    pub volumes: Vec<String>,
}

/// Host access the app asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Permissions {
    #[serde(default)]
    pub privileged: bool,
    #[serde(default)]
    pub docker_socket: bool,
    #[serde(default)]
    pub host_paths: Vec<String>,
    #[serde(default)]
    pub devices: Vec<String>,
}

impl Permissions {
    /// Whether installing needs a platform admin's approval.
    pub fn any(&self) -> bool {
        self.privileged
            || self.docker_socket
            || !self.host_paths.is_empty()
            || !self.devices.is_empty()
    }
}

/// The JSON Schema of a manifest, generated from these types (served at
/// `/api/v1/schemas/extension.json`; editors use it to complete and check `orbitr.yaml`).
#[cfg(feature = "runtime")]
pub fn json_schema() -> serde_json::Value {
    use utoipa::{PartialSchema, ToSchema};
    let mut nested = Vec::new();
    <Manifest as ToSchema>::schemas(&mut nested);
    let definitions: serde_json::Map<String, serde_json::Value> = nested
        .into_iter()
        .map(|(name, schema)| (name, serde_json::to_value(schema).unwrap_or_default()))
        .collect();
    let mut root = serde_json::to_value(<Manifest as PartialSchema>::schema()).unwrap_or_default();
    if let Some(object) = root.as_object_mut() {
        object.insert(
            "$schema".into(),
            "https://json-schema.org/draft/2020-12/schema".into(),
        );
        object.insert("$id".into(), "/api/v1/schemas/extension.json".into());
        object.insert(
            "title".into(),
            "Orbitr extension manifest (orbitr.yaml)".into(),
        );
        // Nested types are referenced as `#/components/schemas/…`, which resolves here.
        object.insert(
            "components".into(),
            serde_json::json!({ "schemas": definitions }),
        );
    }
    root
}

/// Reads a mapping's fields, reporting unknown keys, wrong types and missing values.
struct Fields<'a> {
    node: &'a Node,
    path: String,
    diags: &'a mut Vec<Diagnostic>,
}

impl<'a> Fields<'a> {
    /// The mapping at `node`, or an error when it is something else.
    fn of(
        node: &'a Node,
        path: String,
        known: &[&str],
        diags: &'a mut Vec<Diagnostic>,
    ) -> Option<Self> {
        let Some(entries) = node.entries() else {
            diags.push(Diagnostic::error(
                path.clone(),
                node.pos,
                format!("{} must be a mapping", name_of(&path)),
            ));
            return None;
        };
        for (key, _) in entries {
            if !known.contains(&key.name.as_str()) {
                let hint = did_you_mean(&key.name, known.iter().copied())
                    .map(|k| format!("; did you mean \"{k}\"?"))
                    .unwrap_or_default();
                diags.push(Diagnostic::error(
                    join_key(&path, &key.name),
                    key.pos,
                    format!("unknown key \"{}\"{hint}", key.name),
                ));
            }
        }
        Some(Self { node, path, diags })
    }

    fn at(&self, key: &str) -> String {
        join_key(&self.path, key)
    }

    fn error(&mut self, key: &str, pos: Pos, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::error(self.at(key), pos, message.into()));
    }

    /// A scalar as text (numbers and booleans as written).
    fn scalar(&mut self, key: &str) -> Option<(String, Pos)> {
        let node = self.node.get(key)?;
        let text = match &node.value {
            Value::Str(s) => s.clone(),
            Value::Int(n) => n.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => return None,
            _ => {
                self.error(key, node.pos, format!("{key} must be a single value"));
                return None;
            }
        };
        Some((text, node.pos))
    }

    fn text(&mut self, key: &str) -> Option<String> {
        let node = self.node.get(key)?;
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            Value::Null => None,
            _ => {
                self.error(key, node.pos, format!("{key} must be text"));
                None
            }
        }
    }

    fn required(&mut self, key: &str) -> String {
        match self.text(key) {
            Some(s) if !s.trim().is_empty() => s,
            _ => {
                if self.node.get(key).is_none() {
                    let pos = self.node.pos;
                    let what = name_of(&self.path);
                    self.error(key, pos, format!("{what} needs \"{key}\""));
                } else if let Some(n) = self.node.get(key) {
                    let pos = n.pos;
                    self.error(key, pos, format!("{key} must not be empty"));
                }
                String::new()
            }
        }
    }

    fn flag(&mut self, key: &str) -> Option<bool> {
        let node = self.node.get(key)?;
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.error(key, node.pos, format!("{key} must be true or false"));
                None
            }
        }
    }

    fn number(&mut self, key: &str) -> Option<f64> {
        let node = self.node.get(key)?;
        match node.value {
            Value::Int(n) => Some(n as f64),
            Value::Float(f) => Some(f),
            _ => {
                self.error(key, node.pos, format!("{key} must be a number"));
                None
            }
        }
    }

    fn texts(&mut self, key: &str) -> Vec<String> {
        let Some(node) = self.node.get(key) else {
            return Vec::new();
        };
        let Some(items) = node.items() else {
            self.error(key, node.pos, format!("{key} must be a list"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match &item.value {
                Value::Str(s) => out.push(s.clone()),
                _ => self.diags.push(Diagnostic::error(
                    join_index(&self.at(key), i),
                    item.pos,
                    format!("{key} must list text"),
                )),
            }
        }
        out
    }

    /// The items of a list of mappings, with their paths.
    fn list(&mut self, key: &str) -> Vec<(&'a Node, String)> {
        let Some(node) = self.node.get(key) else {
            return Vec::new();
        };
        match node.items() {
            Some(items) => items
                .iter()
                .enumerate()
                .map(|(i, n)| (n, join_index(&self.at(key), i)))
                .collect(),
            None => {
                self.error(key, node.pos, format!("{key} must be a list"));
                Vec::new()
            }
        }
    }

    fn pos_of(&self, key: &str) -> Pos {
        self.node.get(key).map_or(self.node.pos, |n| n.pos)
    }
}

/// The last part of a path, for messages ("inputs[0]" → "inputs[0]", "" → "the manifest").
fn name_of(path: &str) -> String {
    if path.is_empty() {
        "the manifest".to_owned()
    } else {
        path.to_owned()
    }
}

/// Whether `id` is a valid extension id.
pub fn valid_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    (2..=63).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !id.ends_with('-')
}

fn valid_key(key: &str) -> bool {
    key.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
        && key
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

fn web_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

const TOP: [&str; 18] = [
    "id",
    "name",
    "version",
    "summary",
    "description",
    "categories",
    "icon",
    "homepage",
    "source",
    "authors",
    "license",
    "template",
    "inputs",
    "requires",
    "exposes",
    "health",
    "backup",
    "permissions",
];

/// Reads a manifest. Every problem is a diagnostic with its line and field (file `orbitr.yaml`);
/// the manifest is returned only when there is no error.
pub fn parse(text: &str) -> (Option<Manifest>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let finish = |manifest: Option<Manifest>, diags: Vec<Diagnostic>| {
        let diags: Vec<Diagnostic> = diags
            .into_iter()
            .map(|d| d.in_file(MANIFEST_FILE))
            .collect();
        let ok = !diags.iter().any(Diagnostic::is_error);
        (manifest.filter(|_| ok), diags)
    };
    let limits = Limits {
        max_bytes: MAX_MANIFEST_BYTES,
        ..Limits::default()
    };
    let doc = match compose::yaml::load(text, &limits) {
        Ok(doc) => doc,
        Err(e) => {
            diags.push(Diagnostic::error("", e.pos, e.message));
            return finish(None, diags);
        }
    };
    let Some(mut f) = Fields::of(&doc, String::new(), &TOP, &mut diags) else {
        return finish(None, diags);
    };
    let id = f.required("id");
    if !id.is_empty() && !valid_id(&id) {
        let pos = f.pos_of("id");
        f.error(
            "id",
            pos,
            format!("id \"{id}\" must be 2–63 lowercase letters, digits or dashes, starting with a letter"),
        );
    }
    let name = f.required("name");
    let version = f.scalar("version").map(|(v, _)| v).unwrap_or_default();
    if version.is_empty() {
        let pos = f.pos_of("version");
        f.error(
            "version",
            pos,
            "the manifest needs \"version\" (semver, e.g. 1.0.0)",
        );
    } else if let Err(e) = semver::Version::parse(&version) {
        let pos = f.pos_of("version");
        f.error(
            "version",
            pos,
            format!("version \"{version}\" is not a semantic version (e.g. 1.4.2): {e}"),
        );
    }
    let summary = f.required("summary");
    if summary.chars().count() > 200 {
        let pos = f.pos_of("summary");
        f.error("summary", pos, "summary must be at most 200 characters");
    }
    let description = f.text("description").unwrap_or_default();
    let categories = f.texts("categories");
    let authors = f.texts("authors");
    let icon = f.text("icon");
    let homepage = f.text("homepage");
    let source = f.text("source");
    let license = f.text("license");
    for (key, url) in [("homepage", &homepage), ("source", &source)] {
        if let Some(url) = url
            && !web_url(url)
            && !url.starts_with("git://")
        {
            let pos = f.pos_of(key);
            f.error(key, pos, format!("{key} must be an http(s) URL"));
        }
    }
    if let Some(icon) = &icon
        && !web_url(icon)
        && !super::inside(icon)
    {
        let pos = f.pos_of("icon");
        f.error(
            "icon",
            pos,
            "icon must be a file inside the extension folder or an https URL",
        );
    }
    let template = f.text("template").unwrap_or_else(default_template);
    if !super::inside(&template) {
        let pos = f.pos_of("template");
        f.error(
            "template",
            pos,
            "template must be a file inside the extension folder",
        );
    }

    let mut inputs = Vec::new();
    let mut keys = BTreeSet::new();
    for (node, path) in f.list("inputs") {
        if let Some(input) = input(node, path, f.diags)
            && !input.key.is_empty()
        {
            if !keys.insert(input.key.clone()) {
                f.diags.push(Diagnostic::error(
                    "inputs",
                    node.pos,
                    format!("input {} is defined twice", input.key),
                ));
            }
            inputs.push(input);
        }
    }
    let mut requires = Vec::new();
    for (node, path) in f.list("requires") {
        let Some(mut r) = Fields::of(node, path, &["id", "version"], f.diags) else {
            continue;
        };
        let req_id = r.required("id");
        if !req_id.is_empty() && !valid_id(&req_id) {
            let pos = r.pos_of("id");
            r.error("id", pos, format!("\"{req_id}\" is not an extension id"));
        }
        let range = r
            .scalar("version")
            .map(|(v, _)| v)
            .unwrap_or_else(|| "*".into());
        if let Err(e) = semver::VersionReq::parse(&range) {
            let pos = r.pos_of("version");
            r.error(
                "version",
                pos,
                format!("\"{range}\" is not a version range (e.g. ^16, >=1.2, <2): {e}"),
            );
        }
        requires.push(Requirement {
            id: req_id,
            version: range,
        });
    }
    let mut exposes = Vec::new();
    for (node, path) in f.list("exposes") {
        let Some(mut e) = Fields::of(
            node,
            path,
            &["service", "port", "protocol", "path", "label"],
            f.diags,
        ) else {
            continue;
        };
        let service = e.required("service");
        let port = e.number("port");
        let port = match port {
            Some(p) if p.fract() == 0.0 && (1.0..=65535.0).contains(&p) => p as u16,
            _ => {
                let pos = e.pos_of("port");
                e.error("port", pos, "port must be a whole number from 1 to 65535");
                0
            }
        };
        let protocol = e.text("protocol").unwrap_or_else(default_protocol);
        if !["http", "https", "tcp"].contains(&protocol.as_str()) {
            let pos = e.pos_of("protocol");
            e.error("protocol", pos, "protocol must be http, https or tcp");
        }
        let path = e.text("path").unwrap_or_default();
        if !path.is_empty() && !path.starts_with('/') {
            let pos = e.pos_of("path");
            e.error("path", pos, "path must start with /");
        }
        exposes.push(Exposed {
            service,
            port,
            protocol,
            path,
            label: e.text("label").unwrap_or_default(),
        });
    }
    let mut health = Vec::new();
    for (node, path) in f.list("health") {
        let Some(mut h) = Fields::of(node, path, &["service", "path"], f.diags) else {
            continue;
        };
        health.push(Health {
            service: h.required("service"),
            path: h.text("path"),
        });
    }
    let backup = match doc.get("backup") {
        Some(node) => match Fields::of(node, "backup".into(), &["volumes"], f.diags) {
            Some(mut b) => Backup {
                volumes: b.texts("volumes"),
            },
            None => Backup::default(),
        },
        None => Backup::default(),
    };
    let permissions = match doc.get("permissions") {
        Some(node) => match Fields::of(
            node,
            "permissions".into(),
            &["privileged", "docker_socket", "host_paths", "devices"],
            f.diags,
        ) {
            Some(mut p) => Permissions {
                privileged: p.flag("privileged").unwrap_or(false),
                docker_socket: p.flag("docker_socket").unwrap_or(false),
                host_paths: p.texts("host_paths"),
                devices: p.texts("devices"),
            },
            None => Permissions::default(),
        },
        None => Permissions::default(),
    };
    let manifest = Manifest {
        id,
        name,
        version,
        summary,
        description,
        categories,
        icon,
        homepage,
        source,
        authors,
        license,
        template,
        inputs,
        requires,
        exposes,
        health,
        backup,
        permissions,
    };
    finish(Some(manifest), diags)
}

fn input(node: &Node, path: String, diags: &mut Vec<Diagnostic>) -> Option<Input> {
    let mut f = Fields::of(
        node,
        path,
        &[
            "key",
            "label",
            "description",
            "type",
            "required",
            "default",
            "min",
            "max",
            "options",
            "generate",
        ],
        diags,
    )?;
    let key = f.required("key");
    if !key.is_empty() && !valid_key(&key) {
        let pos = f.pos_of("key");
        f.error(
            "key",
            pos,
            format!("key \"{key}\" must be upper-case letters, digits and _ (it is ${{{key}}} in the template)"),
        );
    }
    let label = f.required("label");
    let type_name = f.required("type");
    let kind = InputKind::ALL
        .iter()
        .find(|(n, _)| *n == type_name)
        .map(|(_, k)| *k);
    if kind.is_none() && !type_name.is_empty() {
        let pos = f.pos_of("type");
        let names = InputKind::ALL.map(|(n, _)| n);
        let hint = did_you_mean(&type_name, names)
            .map(|k| format!("; did you mean \"{k}\"?"))
            .unwrap_or_default();
        f.error(
            "type",
            pos,
            format!(
                "type \"{type_name}\" is not one of {}{hint}",
                names.join(", ")
            ),
        );
    }
    let kind = kind.unwrap_or(InputKind::String);
    let min = f.number("min");
    let max = f.number("max");
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        let pos = f.pos_of("max");
        f.error("max", pos, format!("max {hi} is below min {lo}"));
    }
    let mut options = Vec::new();
    if let Some(list) = f.node.get("options") {
        match list.items() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    match &item.value {
                        Value::Str(s) => options.push(Choice {
                            value: s.clone(),
                            label: s.clone(),
                        }),
                        Value::Map(_) => {
                            let item_path = join_index(&f.at("options"), i);
                            if let Some(mut c) =
                                Fields::of(item, item_path, &["value", "label"], f.diags)
                            {
                                let value = c.scalar("value").map(|(v, _)| v).unwrap_or_default();
                                let label = c.text("label").unwrap_or_else(|| value.clone());
                                options.push(Choice { value, label });
                            }
                        }
                        _ => f.diags.push(Diagnostic::error(
                            join_index(&f.at("options"), i),
                            item.pos,
                            "an option is text or {value, label}",
                        )),
                    }
                }
            }
            None => {
                let pos = list.pos;
                f.error("options", pos, "options must be a list");
            }
        }
    }
    if kind == InputKind::Select && options.is_empty() {
        let pos = f.pos_of("type");
        f.error("options", pos, "a select input needs options");
    }
    let generate = f.number("generate").map(|n| n as u32);
    if let Some(n) = generate
        && (kind != InputKind::Secret || !(8..=128).contains(&n))
    {
        let pos = f.pos_of("generate");
        f.error(
            "generate",
            pos,
            "generate is for secret inputs: a length from 8 to 128",
        );
    }
    let required = f.flag("required");
    let default = f.scalar("default").map(|(v, _)| v);
    let input = Input {
        key,
        label,
        description: f.text("description").unwrap_or_default(),
        kind,
        required,
        default,
        min,
        max,
        options,
        generate,
    };
    if let Some(value) = &input.default
        && let Err(message) = super::inputs::check_value(&input, value)
    {
        let pos = f.pos_of("default");
        f.error("default", pos, format!("the default {message}"));
    }
    Some(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "id: uptime\nname: Uptime Kuma\nversion: 1.23.16\nsummary: Watch your sites\ncategories: [monitoring]\ninputs:\n  - key: PORT\n    label: Web port\n    type: port\n    default: 3001\n  - key: MODE\n    label: Mode\n    type: select\n    options: [fast, {value: slow, label: Careful}]\n    default: fast\n  - key: DB_PASSWORD\n    label: Database password\n    type: secret\n    generate: 24\nrequires:\n  - id: postgres\n    version: ^16\nexposes:\n  - service: web\n    port: 3001\nbackup:\n  volumes: [data]\n";

    #[test]
    fn a_good_manifest_reads_whole() {
        let (m, diags) = parse(GOOD);
        assert!(diags.is_empty(), "{diags:?}");
        let m = m.expect("manifest");
        assert_eq!(m.id, "uptime");
        assert_eq!(m.template, "compose.yaml");
        assert_eq!(m.inputs.len(), 3);
        assert_eq!(m.inputs[1].options[1].label, "Careful");
        assert!(!m.inputs[2].is_required(), "generated");
        assert_eq!(m.requires[0].version, "^16");
        assert_eq!(m.exposes[0].protocol, "http");
        assert!(!m.permissions.any());
    }

    fn errors(text: &str) -> Vec<String> {
        let (m, diags) = parse(text);
        assert!(m.is_none());
        diags
            .iter()
            .map(|d| format!("{}:{} {}: {}", d.file, d.line, d.path, d.message))
            .collect()
    }

    #[test]
    fn mistakes_name_file_line_and_field() {
        let text = GOOD
            .replace("version: 1.23.16", "version: one")
            .replace("type: port", "type: prot")
            .replace("version: ^16", "version: \"^^16\"")
            .replace("summary:", "sumary: x\nsummary:");
        let found = errors(&text);
        assert!(
            found.iter().any(|e| e
                .starts_with("orbitr.yaml:3 version: version \"one\" is not a semantic version")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|e| e.starts_with(
                "orbitr.yaml:4 sumary: unknown key \"sumary\"; did you mean \"summary\"?"
            )),
            "{found:?}"
        );
        assert!(
            found.iter().any(
                |e| e.contains("inputs[0].type: type \"prot\" is not one of")
                    && e.contains("did you mean \"port\"")
            ),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|e| e.contains("requires[0].version: \"^^16\" is not a version range")),
            "{found:?}"
        );
    }

    #[test]
    fn inputs_are_checked_against_their_type() {
        let found = errors(
            "id: x1\nname: X\nversion: 1.0.0\nsummary: s\ninputs:\n  - key: port\n    label: P\n    type: port\n    default: 70000\n  - key: LEVEL\n    label: L\n    type: select\n  - key: K\n    label: K\n    type: string\n    generate: 12\n",
        );
        assert!(
            found
                .iter()
                .any(|e| e.contains("inputs[0].key: key \"port\" must be upper-case")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|e| e.contains("inputs[0].default: the default") && e.contains("65535")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|e| e.contains("inputs[1].options: a select input needs options")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|e| e.contains("inputs[2].generate")),
            "{found:?}"
        );
    }

    #[test]
    fn paths_may_not_leave_the_folder_and_ids_are_strict() {
        let found = errors(
            "id: Bad_Id\nname: X\nversion: 1.0.0\nsummary: s\ntemplate: ../../etc/passwd\nicon: /etc/shadow\n",
        );
        assert!(
            found
                .iter()
                .any(|e| e.contains("id: id \"Bad_Id\" must be")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|e| e.contains("template: template must be a file inside")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|e| e.contains("icon: icon must be a file inside")),
            "{found:?}"
        );
    }

    #[cfg(feature = "runtime")]
    #[test]
    fn the_json_schema_describes_every_field_and_resolves_its_references() {
        let schema = json_schema();
        let properties = schema["properties"].as_object().expect("properties");
        for key in TOP {
            assert!(properties.contains_key(key), "{key} in the schema");
        }
        let text = schema.to_string();
        for reference in text.split("\"$ref\":\"").skip(1) {
            let target = reference.split('"').next().unwrap_or_default();
            let name = target.trim_start_matches("#/components/schemas/");
            assert!(
                schema["components"]["schemas"].get(name).is_some(),
                "{target} resolves"
            );
        }
        assert!(text.contains("host_path"), "input kinds are listed");
    }

    #[test]
    fn missing_fields_and_bad_yaml_are_reported() {
        let found = errors("name: X\n");
        for key in ["id", "version", "summary"] {
            assert!(
                found
                    .iter()
                    .any(|e| e.contains(&format!("needs \"{key}\""))),
                "{key}: {found:?}"
            );
        }
        let found = errors("id: [unclosed\n");
        assert!(found[0].starts_with("orbitr.yaml:"), "{found:?}");
    }
}
