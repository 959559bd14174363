//! Importers: other app stores' entries turned into Orbitr extensions. Each format is one
//! [`Importer`]; [`import_all`] writes the converted folders, checks each with
//! [`super::package::check_dir`] and reports per app: imported, imported with warnings, or
//! refused and why (a refused app leaves nothing behind).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use compose::yaml::{Node, Value};

use super::manifest::{MANIFEST_FILE, TEMPLATE_FILE};
use super::package::{README_FILE, check_dir};

mod casaos;
mod portainer;

/// One app of another store, as files.
#[derive(Debug, Clone)]
pub struct Entry {
    /// How the store names it (its folder, or its title).
    pub label: String,
    pub files: BTreeMap<String, String>,
}

/// An app converted to an extension folder's files.
#[derive(Debug, Clone)]
pub struct Converted {
    pub id: String,
    pub manifest: String,
    pub template: String,
    pub readme: String,
    /// What did not carry over exactly.
    pub warnings: Vec<String>,
}

/// A store format.
pub trait Importer {
    /// The name used with `--from`.
    fn format(&self) -> &'static str;
    /// The apps found at `src`.
    fn entries(&self, src: &Path) -> Result<Vec<Entry>, String>;
    /// One app as an extension, or why it cannot be.
    fn convert(&self, entry: &Entry) -> Result<Converted, String>;
}

/// The importers Orbitr has, by format name.
pub fn importer(format: &str) -> Option<Box<dyn Importer>> {
    match format {
        "casaos" => Some(Box::new(casaos::CasaOs)),
        "portainer" => Some(Box::new(portainer::Portainer)),
        _ => None,
    }
}

/// The formats [`importer`] knows.
pub const FORMATS: &[&str] = &["casaos", "portainer"];

/// How one app went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Imported,
    ImportedWithWarnings(Vec<String>),
    Refused(String),
}

/// Per app: its label, the extension id (when written) and the outcome.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub apps: Vec<(String, Option<String>, Outcome)>,
}

impl Report {
    /// (imported, imported with warnings, refused).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for (_, _, o) in &self.apps {
            match o {
                Outcome::Imported => c.0 += 1,
                Outcome::ImportedWithWarnings(_) => c.1 += 1,
                Outcome::Refused(_) => c.2 += 1,
            }
        }
        c
    }
}

/// Converts every app at `src` into `out/<id>/`, checking each result.
pub fn import_all(importer: &dyn Importer, src: &Path, out: &Path) -> Result<Report, String> {
    let entries = importer.entries(src)?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut report = Report::default();
    let mut taken = BTreeSet::new();
    for entry in entries {
        let converted = match importer.convert(&entry) {
            Ok(c) => c,
            Err(why) => {
                report.apps.push((entry.label, None, Outcome::Refused(why)));
                continue;
            }
        };
        if !taken.insert(converted.id.clone()) {
            report.apps.push((
                entry.label,
                Some(converted.id.clone()),
                Outcome::Refused(format!(
                    "id {} is already used by another app",
                    converted.id
                )),
            ));
            continue;
        }
        let dir: PathBuf = out.join(&converted.id);
        let written = std::fs::create_dir_all(&dir).and_then(|()| {
            std::fs::write(dir.join(MANIFEST_FILE), &converted.manifest)?;
            std::fs::write(dir.join(TEMPLATE_FILE), &converted.template)?;
            std::fs::write(dir.join(README_FILE), &converted.readme)
        });
        if let Err(e) = written {
            let _ = std::fs::remove_dir_all(&dir);
            report.apps.push((
                entry.label,
                Some(converted.id),
                Outcome::Refused(format!("writing {}: {e}", dir.display())),
            ));
            continue;
        }
        let checked = check_dir(&dir);
        let outcome = if let Some(error) = checked.diagnostics.iter().find(|d| d.is_error()) {
            let _ = std::fs::remove_dir_all(&dir);
            Outcome::Refused(format!("not valid after conversion: {error}"))
        } else if converted.warnings.is_empty() {
            Outcome::Imported
        } else {
            Outcome::ImportedWithWarnings(converted.warnings)
        };
        report.apps.push((entry.label, Some(converted.id), outcome));
    }
    Ok(report)
}

/// A YAML scalar that reads back as the same string.
pub fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

fn plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c))
        && !key.starts_with(['-', '.', '/'])
        && ![
            "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~",
        ]
        .contains(&key.to_ascii_lowercase().as_str())
}

fn scalar(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Float(f) => {
            let text = f.to_string();
            if text.contains(['.', 'e', 'E', 'i', 'N']) {
                text
            } else {
                format!("{text}.0")
            }
        }
        Value::Str(s) => quoted(s),
        Value::Map(m) if m.is_empty() => "{}".into(),
        Value::Seq(s) if s.is_empty() => "[]".into(),
        _ => return None,
    })
}

/// Writes a YAML tree in block style; every string is double-quoted, so nothing changes type.
pub fn emit(node: &Node) -> String {
    let mut out = String::new();
    emit_into(node, 0, &mut out);
    out
}

fn emit_into(node: &Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match &node.value {
        Value::Map(entries) if !entries.is_empty() => {
            for (key, value) in entries {
                out.push_str(&pad);
                if plain_key(&key.name) {
                    out.push_str(&key.name);
                } else {
                    out.push_str(&quoted(&key.name));
                }
                out.push(':');
                match scalar(&value.value) {
                    Some(s) => {
                        out.push(' ');
                        out.push_str(&s);
                        out.push('\n');
                    }
                    None => {
                        out.push('\n');
                        emit_into(value, indent + 2, out);
                    }
                }
            }
        }
        Value::Seq(items) if !items.is_empty() => {
            for item in items {
                out.push_str(&pad);
                out.push_str("- ");
                match scalar(&item.value) {
                    Some(s) => {
                        out.push_str(&s);
                        out.push('\n');
                    }
                    None => {
                        // The item's first line goes on the dash's line (`- key: value`).
                        let mut inner = String::new();
                        emit_into(item, indent + 2, &mut inner);
                        out.push_str(&inner[indent + 2..]);
                    }
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&scalar(other).unwrap_or_default());
            out.push('\n');
        }
    }
}

/// A scalar as text.
pub fn text_of(node: Option<&Node>) -> Option<String> {
    match &node?.value {
        Value::Str(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Int(n) => Some(n.to_string()),
        Value::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

/// An extension id from a store's name: lowercase letters, digits, dashes, starting with a
/// letter.
pub fn id_from(name: &str) -> String {
    let mut id = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
    }
    let id = id.trim_end_matches('-').to_owned();
    let id = if id.starts_with(|c: char| c.is_ascii_lowercase()) {
        id
    } else {
        format!("app-{id}")
    };
    id.chars()
        .take(63)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

/// A semantic version from a store's version text: `v1.2` → `1.2.0`; `None` when there are no
/// digits to go by.
pub fn semver_from(raw: &str) -> Option<String> {
    let raw = raw.trim().trim_start_matches(['v', 'V']);
    if semver::Version::parse(raw).is_ok() {
        return Some(raw.to_owned());
    }
    let numbers: Vec<u64> = raw
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .take(3)
        .filter_map(|p| p.parse().ok())
        .collect();
    if numbers.is_empty() || !raw.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let part = |i: usize| numbers.get(i).copied().unwrap_or(0);
    Some(format!("{}.{}.{}", part(0), part(1), part(2)))
}

/// What a template takes from the host, noted while converting it; declared as permissions.
#[derive(Debug, Default)]
pub struct HostAccess {
    pub host_paths: BTreeSet<String>,
    pub docker_socket: bool,
    pub privileged: bool,
    pub devices: BTreeSet<String>,
}

/// An extension as an importer assembles it; [`Draft::finish`] writes its files.
#[derive(Debug, Default)]
pub struct Draft {
    pub id: String,
    pub name: String,
    pub version: String,
    pub summary: String,
    pub description: String,
    pub category: Option<String>,
    pub icon: Option<String>,
    pub homepage: Option<String>,
    pub source: Option<String>,
    pub author: Option<String>,
    /// The exposed web port: service, container port, path.
    pub exposes: Option<(String, u16, Option<String>)>,
    pub access: HostAccess,
    pub warnings: Vec<String>,
    /// `inputs:` entries, as YAML.
    inputs: String,
    keys: BTreeSet<String>,
}

impl Draft {
    /// Sets the version from a store's version text, or 0.0.0 with a warning.
    pub fn version_from(&mut self, raw: Option<&str>) {
        self.version = match raw.and_then(semver_from) {
            Some(v) => v,
            None => {
                self.warnings
                    .push("no usable version; 0.0.0 used".to_owned());
                "0.0.0".to_owned()
            }
        };
    }

    /// Whether an input with this key exists.
    pub fn has_input(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    /// Adds a form input; `extra` holds more of its fields as YAML lines (4-space indent).
    pub fn input(
        &mut self,
        key: &str,
        label: &str,
        kind: &str,
        default: Option<&str>,
        extra: &str,
    ) {
        if !self.keys.insert(key.to_owned()) {
            return;
        }
        self.inputs.push_str(&format!(
            "  - key: {key}\n    label: {}\n    type: {kind}\n",
            quoted(label)
        ));
        if let Some(default) = default {
            self.inputs
                .push_str(&format!("    default: {}\n", quoted(default)));
        }
        self.inputs.push_str(extra);
    }

    /// The extension's files; `origin` names where it came from (for the README).
    pub fn finish(mut self, template: String, origin: &str) -> Converted {
        let summary: String = if self.summary.trim().is_empty() {
            self.name.clone()
        } else {
            self.summary.clone()
        }
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
        let mut manifest = format!(
            "id: {}\nname: {}\nversion: {}\nsummary: {}\n",
            self.id,
            quoted(&self.name),
            quoted(&self.version),
            quoted(&summary)
        );
        if !self.description.is_empty() {
            manifest.push_str(&format!("description: {}\n", quoted(&self.description)));
        }
        if let Some(category) = &self.category {
            manifest.push_str(&format!(
                "categories: [{}]\n",
                quoted(&category.to_lowercase())
            ));
        }
        for (key, url) in [
            ("icon", &self.icon),
            ("homepage", &self.homepage),
            ("source", &self.source),
        ] {
            if let Some(url) = url
                .as_ref()
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            {
                manifest.push_str(&format!("{key}: {}\n", quoted(url)));
            }
        }
        if let Some(author) = &self.author {
            manifest.push_str(&format!("authors: [{}]\n", quoted(author)));
        }
        if !self.inputs.is_empty() {
            manifest.push_str("inputs:\n");
            manifest.push_str(&self.inputs);
        }
        match &self.exposes {
            Some((service, port, path)) => {
                manifest.push_str(&format!(
                    "exposes:\n  - service: {}\n    port: {port}\n",
                    quoted(service)
                ));
                if let Some(path) = path.as_ref().filter(|p| p.starts_with('/')) {
                    manifest.push_str(&format!("    path: {}\n", quoted(path)));
                }
            }
            None => self.warnings.push("no web port found to link to".into()),
        }
        let access = &self.access;
        if access.privileged
            || access.docker_socket
            || !access.host_paths.is_empty()
            || !access.devices.is_empty()
        {
            let list = |set: &BTreeSet<String>| {
                set.iter().map(|s| quoted(s)).collect::<Vec<_>>().join(", ")
            };
            manifest.push_str(&format!(
                "permissions:\n  privileged: {}\n  docker_socket: {}\n  host_paths: [{}]\n  devices: [{}]\n",
                access.privileged,
                access.docker_socket,
                list(&access.host_paths),
                list(&access.devices)
            ));
            self.warnings
                .push("asks for host access (shown to the installer)".into());
        }
        let readme = format!(
            "# {}\n\n{}\n\nImported from {origin}.\n",
            self.name,
            if self.description.is_empty() {
                &summary
            } else {
                &self.description
            },
        );
        Converted {
            id: self.id,
            manifest,
            template,
            readme,
            warnings: self.warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose::yaml::{Key, Limits};

    #[test]
    fn names_and_versions_are_made_valid() {
        assert_eq!(id_from("2FAuth"), "app-2fauth");
        assert_eq!(id_from("Home Assistant"), "home-assistant");
        assert_eq!(id_from("AdGuardHome"), "adguardhome");
        assert_eq!(semver_from("v0.107.76").as_deref(), Some("0.107.76"));
        assert_eq!(semver_from("2024.04").as_deref(), Some("2024.4.0"));
        assert_eq!(semver_from("1.2.3-beta.1").as_deref(), Some("1.2.3-beta.1"));
        assert_eq!(semver_from("latest"), None);
    }

    #[test]
    fn emitted_yaml_reads_back_the_same() {
        let text = "services:\n  web:\n    image: \"nginx:1\"\n    ports:\n      - \"8080:80\"\n      - target: 443\n        published: \"8443\"\n    environment:\n      A: \"yes\"\n      B: 0644\n      C: ''\n    labels: {}\n    command: []\n    healthcheck:\n      disable: true\nvolumes:\n  data: {}\n";
        let doc = compose::yaml::load(text, &Limits::default()).expect("yaml");
        let again = compose::yaml::load(&emit(&doc), &Limits::default()).expect("emitted yaml");
        assert_eq!(strip(&doc), strip(&again), "{}", emit(&doc));
    }

    /// The tree without positions.
    fn strip(node: &Node) -> Node {
        let value = match &node.value {
            Value::Map(m) => Value::Map(
                m.iter()
                    .map(|(k, v)| {
                        (
                            Key {
                                name: k.name.clone(),
                                pos: compose::diag::Pos::default(),
                            },
                            strip(v),
                        )
                    })
                    .collect(),
            ),
            Value::Seq(s) => Value::Seq(s.iter().map(strip).collect()),
            other => other.clone(),
        };
        Node::new(value, compose::diag::Pos::default())
    }
}
