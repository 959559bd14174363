//! The CasaOS app store: `Apps/<Name>/docker-compose.yml` with `x-casaos` metadata.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use compose::yaml::{Limits, Node, Value};

use super::{Converted, Draft, Entry, HostAccess, Importer, emit, id_from, text_of};

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

/// Moves `/DATA/AppData/<id>` under the `APP_DATA` input and notes other host access.
fn rewrite_service(service: &mut Node, app_id: &str, access: &mut HostAccess, app_data: &mut bool) {
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
                            *app_data = true;
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
                if let Ok(text) =
                    crate::extensions::package::read_inside(&dir, "docker-compose.yml")
                {
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
        let mut draft = Draft {
            id: id_from(&entry.label),
            name: english(meta.get("title")).unwrap_or_else(|| entry.label.clone()),
            summary: english(meta.get("tagline"))
                .or_else(|| english(meta.get("description")))
                .unwrap_or_default(),
            description: english(meta.get("description")).unwrap_or_default(),
            category: text_of(meta.get("category")),
            icon: text_of(meta.get("icon")),
            homepage: text_of(meta.get("website")),
            source: text_of(meta.get("repo")),
            author: text_of(meta.get("developer")),
            ..Draft::default()
        };
        draft.version_from(text_of(meta.get("version")).as_deref());
        // CasaOS's `$AppID` is the project name; its data folders are named after it.
        let app_id = text_of(doc.get("name")).unwrap_or_else(|| draft.id.clone());
        // The template: the compose file without CasaOS's metadata and project name.
        let Value::Map(top) = &mut doc.value else {
            return Err("docker-compose.yml is not a mapping".into());
        };
        top.retain(|(k, _)| k.name != "x-casaos" && k.name != "name");
        replace_app_id(&mut doc, &app_id);
        let mut services = Vec::new();
        let mut app_data = false;
        if let Some((_, node)) = match &mut doc.value {
            Value::Map(top) => top.iter_mut().find(|(k, _)| k.name == "services"),
            _ => None,
        } && let Value::Map(list) = &mut node.value
        {
            for (key, service) in list.iter_mut() {
                services.push(key.name.clone());
                rewrite_service(service, &app_id, &mut draft.access, &mut app_data);
            }
        }
        if services.is_empty() {
            return Err("no services".into());
        }
        let template = emit(&doc);

        // Inputs: CasaOS's own variables, the app data folder, and any other variable used.
        let used = compose::interpolate::variables(&template);
        for (key, label, kind, default) in CASAOS_INPUTS {
            if used.iter().any(|u| u == key) {
                draft.input(key, label, kind, Some(default), "");
            }
        }
        if app_data {
            draft.input(
                "APP_DATA",
                "Data folder",
                "host_path",
                Some(&format!("/DATA/AppData/{app_id}")),
                "    description: \"Where the app keeps its files on the host.\"\n",
            );
        }
        for variable in &used {
            if draft.has_input(variable) {
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
            draft.input(variable, variable, "string", None, "    required: false\n");
            draft
                .warnings
                .push(format!("${variable} became an optional text input"));
        }

        // The web port people open: CasaOS's main service and `port_map`.
        let main = text_of(meta.get("main")).unwrap_or_else(|| services[0].clone());
        let port_map = text_of(meta.get("port_map"));
        draft.exposes = exposed_port(&doc, &main, port_map.as_deref())
            .map(|port| (main, port, text_of(meta.get("index"))));
        let origin = format!("the CasaOS app store (`{}`)", entry.label);
        Ok(draft.finish(template, &origin))
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
    use crate::extensions::import::{Outcome, import_all};
    use crate::extensions::package::check_dir;

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
