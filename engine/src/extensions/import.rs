//! Importers: other app stores' entries turned into Orbitr extensions. Each format is one
//! [`Importer`]; [`import_all`] writes the converted folders, checks each with
//! [`super::package::check_dir`] and reports per app: imported, imported with warnings, or
//! refused and why (a refused app leaves nothing behind).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use compose::yaml::{Limits, Node, Value};

use super::manifest::{MANIFEST_FILE, TEMPLATE_FILE};
use super::package::{README_FILE, check_dir};

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
        "casaos" => Some(Box::new(CasaOs)),
        _ => None,
    }
}

/// The formats [`importer`] knows.
pub const FORMATS: &[&str] = &["casaos"];

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
fn quoted(text: &str) -> String {
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

/// The CasaOS app store: `Apps/<Name>/docker-compose.yml` with `x-casaos` metadata.
pub struct CasaOs;

/// CasaOS's variables that become form inputs: (name, label, type, default).
const CASAOS_INPUTS: [(&str, &str, &str, &str); 3] = [
    ("PUID", "User id the app runs as", "number", "1000"),
    ("PGID", "Group id the app runs as", "number", "1000"),
    ("TZ", "Time zone", "string", "UTC"),
];

/// The English text of a CasaOS translated field (or the field itself when it is plain text).
fn english(node: Option<&Node>) -> Option<String> {
    let node = node?;
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Map(_) => node
            .get("en_US")
            .or_else(|| node.get("en_GB"))
            .and_then(|n| match &n.value {
                Value::Str(s) => Some(s.clone()),
                _ => None,
            }),
        _ => None,
    }
    .map(|s| s.trim().to_owned())
    .filter(|s| !s.is_empty())
}

fn text_of(node: Option<&Node>) -> Option<String> {
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

/// Replaces `$AppID`/`${AppID}` in every string of a tree.
fn replace_app_id(node: &mut Node, app_id: &str) {
    match &mut node.value {
        Value::Str(s) if s.contains("AppID") => {
            *s = s.replace("${AppID}", app_id).replace("$AppID", app_id);
        }
        Value::Seq(items) => items.iter_mut().for_each(|n| replace_app_id(n, app_id)),
        Value::Map(entries) => entries
            .iter_mut()
            .for_each(|(_, n)| replace_app_id(n, app_id)),
        _ => {}
    }
}

/// What a CasaOS template takes from the host, found while rewriting its bind mounts.
#[derive(Default)]
struct HostAccess {
    app_data: bool,
    host_paths: BTreeSet<String>,
    docker_socket: bool,
    privileged: bool,
    devices: BTreeSet<String>,
}

/// Moves `/DATA/AppData/<id>` under the `APP_DATA` input and notes other host access.
fn rewrite_service(service: &mut Node, app_id: &str, access: &mut HostAccess) {
    let data_root = format!("/DATA/AppData/{app_id}");
    let Value::Map(entries) = &mut service.value else {
        return;
    };
    entries.retain(|(k, _)| k.name != "x-casaos");
    for (key, value) in entries.iter_mut() {
        match key.name.as_str() {
            "privileged" => access.privileged |= value.value == Value::Bool(true),
            "devices" => {
                for d in value.items().unwrap_or_default() {
                    if let Value::Str(s) = &d.value {
                        access
                            .devices
                            .insert(s.split(':').next().unwrap_or(s).to_owned());
                    }
                }
            }
            "volumes" => {
                if let Value::Seq(items) = &mut value.value {
                    for item in items {
                        let source: Option<&mut String> = match &mut item.value {
                            Value::Str(s) => Some(s),
                            Value::Map(fields) => fields
                                .iter_mut()
                                .find(|(k, _)| k.name == "source")
                                .and_then(|(_, v)| match &mut v.value {
                                    Value::Str(s) => Some(s),
                                    _ => None,
                                }),
                            _ => None,
                        };
                        let Some(source) = source else { continue };
                        if source.starts_with(&data_root) {
                            *source = source.replacen(&data_root, "${APP_DATA}", 1);
                            access.app_data = true;
                        } else if source.starts_with('/') {
                            let host = source.split(':').next().unwrap_or(source).to_owned();
                            if host.ends_with("docker.sock") {
                                access.docker_socket = true;
                            } else {
                                access.host_paths.insert(host);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

impl Importer for CasaOs {
    fn format(&self) -> &'static str {
        "casaos"
    }

    fn entries(&self, src: &Path) -> Result<Vec<Entry>, String> {
        let apps = if src.join("Apps").is_dir() {
            src.join("Apps")
        } else {
            src.to_path_buf()
        };
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&apps)
            .map_err(|e| format!("{}: {e}", apps.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("docker-compose.yml").is_file())
            .collect();
        dirs.sort();
        Ok(dirs
            .into_iter()
            .map(|dir| {
                let label = dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let mut files = BTreeMap::new();
                if let Ok(text) = super::package::read_inside(&dir, "docker-compose.yml") {
                    files.insert("docker-compose.yml".to_owned(), text);
                }
                Entry { label, files }
            })
            .collect())
    }

    fn convert(&self, entry: &Entry) -> Result<Converted, String> {
        let text = entry
            .files
            .get("docker-compose.yml")
            .ok_or("no readable docker-compose.yml")?;
        let mut doc = compose::yaml::load(text, &Limits::default())
            .map_err(|e| format!("docker-compose.yml: {e}"))?;
        let meta = doc.get("x-casaos").cloned().ok_or("no x-casaos section")?;
        let mut warnings = Vec::new();
        let id = id_from(&entry.label);
        // CasaOS's `$AppID` is the project name; its data folders are named after it.
        let app_id = text_of(doc.get("name")).unwrap_or_else(|| id.clone());
        let name = english(meta.get("title")).unwrap_or_else(|| entry.label.clone());
        let summary: String = english(meta.get("tagline"))
            .or_else(|| english(meta.get("description")))
            .unwrap_or_else(|| name.clone())
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        let description = english(meta.get("description")).unwrap_or_default();
        let version = match text_of(meta.get("version"))
            .as_deref()
            .and_then(semver_from)
        {
            Some(v) => v,
            None => {
                warnings.push("no usable version; 0.0.0 used".to_owned());
                "0.0.0".to_owned()
            }
        };
        // The template: the compose file without CasaOS's metadata and project name.
        let Value::Map(top) = &mut doc.value else {
            return Err("docker-compose.yml is not a mapping".into());
        };
        top.retain(|(k, _)| k.name != "x-casaos" && k.name != "name");
        replace_app_id(&mut doc, &app_id);
        let mut access = HostAccess::default();
        let mut services = Vec::new();
        if let Some((_, node)) = match &mut doc.value {
            Value::Map(top) => top.iter_mut().find(|(k, _)| k.name == "services"),
            _ => None,
        } && let Value::Map(list) = &mut node.value
        {
            for (key, service) in list.iter_mut() {
                services.push(key.name.clone());
                rewrite_service(service, &app_id, &mut access);
            }
        }
        if services.is_empty() {
            return Err("no services".into());
        }
        let template = emit(&doc);

        // Inputs: CasaOS's own variables, the app data folder, and any other variable used.
        let mut inputs = String::new();
        let mut declared: BTreeSet<String> = BTreeSet::new();
        let used = compose::interpolate::variables(&template);
        for (key, label, kind, default) in CASAOS_INPUTS {
            if used.iter().any(|u| u == key) {
                inputs.push_str(&format!(
                    "  - key: {key}\n    label: {}\n    type: {kind}\n    default: {}\n",
                    quoted(label),
                    quoted(default)
                ));
                declared.insert(key.to_owned());
            }
        }
        if access.app_data {
            inputs.push_str(&format!(
                "  - key: APP_DATA\n    label: \"Data folder\"\n    description: \"Where the app keeps its files on the host.\"\n    type: host_path\n    default: {}\n",
                quoted(&format!("/DATA/AppData/{app_id}"))
            ));
            declared.insert("APP_DATA".to_owned());
        }
        for variable in &used {
            if declared.contains(variable) {
                continue;
            }
            let valid = variable
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && variable.starts_with(|c: char| c.is_ascii_uppercase());
            if !valid {
                return Err(format!(
                    "the variable ${variable} cannot be a form input (inputs are upper-case names)"
                ));
            }
            inputs.push_str(&format!(
                "  - key: {variable}\n    label: {}\n    type: string\n    required: false\n",
                quoted(variable)
            ));
            warnings.push(format!("${variable} became an optional text input"));
            declared.insert(variable.clone());
        }

        // The web port people open: CasaOS's main service and `port_map`.
        let main = text_of(meta.get("main")).unwrap_or_else(|| services[0].clone());
        let port_map = text_of(meta.get("port_map"));
        let exposes = exposed_port(&doc, &main, port_map.as_deref()).map(|port| {
            let path = text_of(meta.get("index")).filter(|p| p.starts_with('/'));
            format!(
                "exposes:\n  - service: {}\n    port: {port}\n{}",
                quoted(&main),
                path.map(|p| format!("    path: {}\n", quoted(&p)))
                    .unwrap_or_default()
            )
        });
        if exposes.is_none() {
            warnings.push("no web port found to link to".into());
        }

        let mut manifest = format!(
            "id: {id}\nname: {}\nversion: {}\nsummary: {}\n",
            quoted(&name),
            quoted(&version),
            quoted(&summary)
        );
        if !description.is_empty() {
            manifest.push_str(&format!("description: {}\n", quoted(&description)));
        }
        if let Some(category) = text_of(meta.get("category")) {
            manifest.push_str(&format!(
                "categories: [{}]\n",
                quoted(&category.to_lowercase())
            ));
        }
        for (key, field) in [
            ("icon", "icon"),
            ("homepage", "website"),
            ("source", "repo"),
        ] {
            if let Some(url) = text_of(meta.get(field))
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            {
                manifest.push_str(&format!("{key}: {}\n", quoted(&url)));
            }
        }
        if let Some(developer) = text_of(meta.get("developer")) {
            manifest.push_str(&format!("authors: [{}]\n", quoted(&developer)));
        }
        if !inputs.is_empty() {
            manifest.push_str("inputs:\n");
            manifest.push_str(&inputs);
        }
        if let Some(exposes) = exposes {
            manifest.push_str(&exposes);
        }
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
            warnings.push("asks for host access (shown to the installer)".into());
        }
        let readme = format!(
            "# {name}\n\n{}\n\nImported from the CasaOS app store (`{}`).\n",
            if description.is_empty() {
                &summary
            } else {
                &description
            },
            entry.label
        );
        Ok(Converted {
            id,
            manifest,
            template,
            readme,
            warnings,
        })
    }
}

/// The container port of `service` published as `published` (or its first port).
fn exposed_port(doc: &Node, service: &str, published: Option<&str>) -> Option<u16> {
    let ports = doc.get("services")?.get(service)?.get("ports")?.items()?;
    let mut first = None;
    for port in ports {
        let (target, host) = match &port.value {
            Value::Map(_) => (text_of(port.get("target")), text_of(port.get("published"))),
            Value::Str(s) => {
                let parts: Vec<&str> = s.split('/').next().unwrap_or(s).split(':').collect();
                (
                    parts.last().map(|p| (*p).to_owned()),
                    (parts.len() > 1).then(|| parts[parts.len() - 2].to_owned()),
                )
            }
            Value::Int(n) => (Some(n.to_string()), None),
            _ => (None, None),
        };
        let target: Option<u16> = target.and_then(|t| t.parse().ok());
        if first.is_none() {
            first = target;
        }
        if published.is_some() && host.as_deref() == published {
            return target;
        }
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose::yaml::Key;

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

    const APP: &str = "name: demo\nservices:\n  demo:\n    image: demo/demo:1.2.3\n    ports:\n      - target: 80\n        published: \"8088\"\n    volumes:\n      - type: bind\n        source: /DATA/AppData/$AppID/config\n        target: /config\n      - /DATA/Media:/media\n    environment:\n      PUID: $PUID\n      TZ: $TZ\n      SECRET: $api_key\n    x-casaos:\n      ports: []\n    container_name: demo\nx-casaos:\n  main: demo\n  category: Media\n  title:\n    en_US: Demo App\n  tagline:\n    en_US: Shows things\n  version: v1.2.3\n  port_map: \"8088\"\n  index: /web\n  icon: https://example.com/icon.png\n";

    #[test]
    fn a_casaos_app_becomes_a_valid_extension() {
        let dir = tempfile::tempdir().expect("tmp");
        let entry = Entry {
            label: "Demo".into(),
            files: BTreeMap::from([("docker-compose.yml".to_owned(), APP.to_owned())]),
        };
        let refused = CasaOs.convert(&entry).expect_err("lowercase variable");
        assert!(refused.contains("$api_key"), "{refused}");

        let fixed = APP.replace("$api_key", "$API_KEY");
        let app_dir = dir.path().join("Apps/Demo");
        std::fs::create_dir_all(&app_dir).expect("mkdir");
        std::fs::write(app_dir.join("docker-compose.yml"), fixed).expect("write");
        let out = dir.path().join("out");
        let report = import_all(&CasaOs, dir.path(), &out).expect("import");
        let (id, outcome) = match &report.apps[..] {
            [(_, Some(id), outcome)] => (id.clone(), outcome.clone()),
            other => panic!("{other:?}"),
        };
        assert_eq!(id, "demo");
        let Outcome::ImportedWithWarnings(warnings) = outcome else {
            panic!("{outcome:?}")
        };
        assert!(
            warnings.iter().any(|w| w.contains("$API_KEY")),
            "{warnings:?}"
        );
        let checked = check_dir(&out.join("demo"));
        let manifest = checked.manifest.expect("valid");
        assert_eq!(manifest.name, "Demo App");
        assert_eq!(manifest.version, "1.2.3");
        assert_eq!(manifest.exposes[0].port, 80);
        assert_eq!(manifest.exposes[0].path, "/web");
        assert_eq!(manifest.permissions.host_paths, ["/DATA/Media"]);
        let data = manifest.inputs.iter().find(|i| i.key == "APP_DATA");
        assert_eq!(
            data.and_then(|i| i.default.as_deref()),
            Some("/DATA/AppData/demo"),
            "CasaOS's own data folder, so existing data is found"
        );
        let keys: Vec<&str> = manifest.inputs.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["PUID", "TZ", "APP_DATA", "API_KEY"]);
        let template = checked.template.expect("template");
        assert!(template.contains("\"${APP_DATA}/config\""), "{template}");
        assert!(!template.contains("x-casaos"), "{template}");
    }

    #[test]
    fn the_casaos_store_imports_almost_whole() {
        let store =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora/casaos-appstore");
        if !store.is_dir() {
            eprintln!("skipped: {} is absent", store.display());
            return;
        }
        let out = tempfile::tempdir().expect("tmp");
        let report = import_all(&CasaOs, &store, out.path()).expect("import");
        let (clean, warned, refused) = report.counts();
        let total = clean + warned + refused;
        eprintln!(
            "casaos: {total} apps: {clean} imported, {warned} imported with warnings, {refused} refused"
        );
        for (label, _, outcome) in &report.apps {
            if let Outcome::Refused(why) = outcome {
                eprintln!("  refused {label}: {why}");
            }
        }
        assert!(
            (clean + warned) * 100 >= total * 95,
            "{} of {total} imported",
            clean + warned
        );
    }
}
