//! Portainer app templates, formats 2 and 3 (`{"version":"2"|"3","templates":[…]}`): container
//! templates (type 1) become a one-service compose template; stack templates (types 2 and 3)
//! use their compose file when the repository is checked out beside the templates file.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{Converted, Draft, Entry, Importer, id_from, quoted};

pub struct Portainer;

#[derive(Debug, Deserialize)]
struct File {
    version: String,
    #[serde(default)]
    templates: Vec<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Template {
    #[serde(rename = "type")]
    kind: u8,
    title: String,
    description: String,
    note: String,
    categories: Vec<String>,
    platform: String,
    logo: String,
    maintainer: String,
    image: String,
    command: String,
    network: String,
    hostname: String,
    restart_policy: String,
    privileged: bool,
    ports: Vec<String>,
    volumes: Vec<Volume>,
    env: Vec<Env>,
    labels: Vec<Label>,
    repository: Option<Repository>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Volume {
    container: String,
    bind: Option<String>,
    readonly: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Env {
    name: String,
    label: String,
    description: String,
    default: String,
    preset: bool,
    select: Vec<Choice>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Choice {
    text: String,
    value: String,
    default: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Label {
    name: String,
    value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Repository {
    url: String,
    stackfile: String,
}

/// `$` kept literal through interpolation.
fn literal(text: &str) -> String {
    quoted(&text.replace('$', "$$"))
}

/// Text without HTML tags (Portainer's notes are HTML).
fn without_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

/// A form input's key from an environment variable's name.
fn key_of(name: &str) -> String {
    let key: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if key.starts_with(|c: char| c.is_ascii_uppercase()) {
        key
    } else {
        format!("V_{key}")
    }
}

fn secret_like(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "_KEY"]
        .iter()
        .any(|w| upper.contains(w))
}

impl Template {
    /// The form inputs for its environment; preset values stay literal. Returns the
    /// `environment` lines of the service (8-space indent).
    fn environment(&self, draft: &mut Draft) -> String {
        let mut lines = String::new();
        for env in &self.env {
            if env.name.is_empty() {
                continue;
            }
            if env.preset {
                lines.push_str(&format!(
                    "      {}: {}\n",
                    quoted(&env.name),
                    literal(&env.default)
                ));
                continue;
            }
            let key = key_of(&env.name);
            let label = if env.label.is_empty() {
                &env.name
            } else {
                &env.label
            };
            let mut extra = String::new();
            if !env.description.is_empty() {
                extra.push_str(&format!("    description: {}\n", quoted(&env.description)));
            }
            if !env.select.is_empty() {
                extra.push_str("    options:\n");
                for choice in &env.select {
                    extra.push_str(&format!(
                        "      - {{value: {}, label: {}}}\n",
                        quoted(&choice.value),
                        quoted(if choice.text.is_empty() {
                            &choice.value
                        } else {
                            &choice.text
                        })
                    ));
                }
                let default = self
                    .env_default_choice(env)
                    .or_else(|| env.select.first().map(|c| c.value.clone()));
                draft.input(&key, label, "select", default.as_deref(), &extra);
            } else if env.default.is_empty() && secret_like(&env.name) {
                extra.push_str("    generate: 24\n");
                draft.input(&key, label, "secret", None, &extra);
            } else {
                let default = (!env.default.is_empty()).then_some(env.default.as_str());
                draft.input(&key, label, "string", default, &extra);
            }
            lines.push_str(&format!("      {}: \"${{{key}}}\"\n", quoted(&env.name)));
        }
        lines
    }

    fn env_default_choice(&self, env: &Env) -> Option<String> {
        env.select
            .iter()
            .find(|c| c.default)
            .map(|c| c.value.clone())
    }

    /// A one-service compose file for a container template.
    fn container(&self, draft: &mut Draft) -> Result<String, String> {
        if self.image.is_empty() {
            return Err("a container template without an image".into());
        }
        let service = "app";
        let mut out = format!(
            "services:\n  {service}:\n    image: {}\n    restart: {}\n",
            literal(&self.image),
            quoted(if self.restart_policy.is_empty() {
                "unless-stopped"
            } else {
                &self.restart_policy
            })
        );
        if !self.command.is_empty() {
            out.push_str(&format!("    command: {}\n", literal(&self.command)));
        }
        if !self.hostname.is_empty() {
            out.push_str(&format!("    hostname: {}\n", literal(&self.hostname)));
        }
        if !self.network.is_empty() {
            out.push_str(&format!("    network_mode: {}\n", literal(&self.network)));
        }
        if self.privileged {
            out.push_str("    privileged: true\n");
            draft.access.privileged = true;
        }
        if !self.ports.is_empty() {
            out.push_str("    ports:\n");
            for port in &self.ports {
                out.push_str(&format!("      - {}\n", literal(port)));
            }
        }
        let mut named = Vec::new();
        if !self.volumes.is_empty() {
            out.push_str("    volumes:\n");
            for volume in &self.volumes {
                if volume.container.is_empty() {
                    continue;
                }
                let source = match &volume.bind {
                    Some(bind) if !bind.is_empty() => {
                        if bind.ends_with("docker.sock") {
                            draft.access.docker_socket = true;
                        } else {
                            draft.access.host_paths.insert(bind.clone());
                        }
                        bind.clone()
                    }
                    _ => {
                        let name = format!("data-{}", named.len() + 1);
                        named.push(name.clone());
                        name
                    }
                };
                let mode = if volume.readonly { ":ro" } else { "" };
                out.push_str(&format!(
                    "      - {}\n",
                    literal(&format!("{source}:{}{mode}", volume.container))
                ));
            }
        }
        let environment = self.environment(draft);
        if !environment.is_empty() {
            out.push_str("    environment:\n");
            out.push_str(&environment);
        }
        if !self.labels.is_empty() {
            out.push_str("    labels:\n");
            for label in self.labels.iter().filter(|l| !l.name.is_empty()) {
                out.push_str(&format!(
                    "      {}: {}\n",
                    quoted(&label.name),
                    literal(&label.value)
                ));
            }
        }
        if !named.is_empty() {
            out.push_str("volumes:\n");
            for name in named {
                out.push_str(&format!("  {name}: {{}}\n"));
            }
        }
        draft.exposes = self
            .ports
            .iter()
            .filter(|p| !p.ends_with("/udp"))
            .filter_map(|p| {
                p.split('/')
                    .next()
                    .and_then(|p| p.rsplit(':').next())
                    .and_then(|p| p.parse().ok())
            })
            .next()
            .map(|port| (service.to_owned(), port, None));
        Ok(out)
    }
}

impl Importer for Portainer {
    fn format(&self) -> &'static str {
        "portainer"
    }

    /// `src` is a templates file, or a folder holding `templates.json` (a checkout of a
    /// templates repository, whose stack files are then read from it).
    fn entries(&self, src: &Path) -> Result<Vec<Entry>, String> {
        let (dir, name) = if src.is_dir() {
            (src.to_path_buf(), "templates.json".to_owned())
        } else {
            let dir = src.parent().map(Path::to_path_buf).unwrap_or_default();
            let name = src
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (dir, name)
        };
        let text = crate::extensions::package::read_inside(&dir, &name)?;
        let file: File = serde_json::from_str(&text)
            .map_err(|e| format!("{name}: not a templates file: {e}"))?;
        if file.version != "2" && file.version != "3" {
            return Err(format!(
                "{name}: templates format {} is not supported (2 and 3 are)",
                file.version
            ));
        }
        Ok(file
            .templates
            .into_iter()
            .enumerate()
            .map(|(i, value)| {
                let title = value["title"].as_str().unwrap_or_default().to_owned();
                let mut files = BTreeMap::from([("template.json".to_owned(), value.to_string())]);
                if let Some(stackfile) = value["repository"]["stackfile"].as_str()
                    && let Ok(compose) = crate::extensions::package::read_inside(&dir, stackfile)
                {
                    files.insert("stackfile".to_owned(), compose);
                }
                Entry {
                    label: if title.is_empty() {
                        format!("template {i}")
                    } else {
                        title
                    },
                    files,
                }
            })
            .collect())
    }

    fn convert(&self, entry: &Entry) -> Result<Converted, String> {
        let template: Template =
            serde_json::from_str(entry.files.get("template.json").ok_or("no template")?)
                .map_err(|e| format!("not a template: {e}"))?;
        if template.title.is_empty() {
            return Err("a template without a title".into());
        }
        if template.platform == "windows" {
            return Err("a Windows container template".into());
        }
        let mut draft = Draft {
            id: id_from(&template.title),
            name: template.title.clone(),
            summary: template.description.clone(),
            description: [template.description.clone(), without_tags(&template.note)]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("\n\n"),
            category: template.categories.first().cloned(),
            icon: Some(template.logo.clone()).filter(|l| !l.is_empty()),
            author: Some(template.maintainer.clone()).filter(|m| !m.is_empty()),
            ..Draft::default()
        };
        let compose = match template.kind {
            1 => template.container(&mut draft)?,
            2 | 3 => {
                let repository = template.repository.as_ref();
                let Some(stackfile) = entry.files.get("stackfile") else {
                    return Err(format!(
                        "a stack template whose compose file is in a repository ({} {}): check the repository out beside the templates file and import the folder",
                        repository.map_or("", |r| r.url.as_str()),
                        repository.map_or("", |r| r.stackfile.as_str())
                    ));
                };
                // Its variables are the template's `env`; other `$` stay as written.
                template.environment(&mut draft);
                draft.source = repository.map(|r| r.url.clone()).filter(|u| !u.is_empty());
                stackfile.clone()
            }
            other => {
                return Err(format!(
                    "template type {other} is not a container or a stack"
                ));
            }
        };
        let tag = template
            .image
            .rsplit_once(':')
            .map(|(_, tag)| tag.to_owned())
            .filter(|t| !t.contains('/'));
        draft.version_from(tag.as_deref());
        let origin = format!("the Portainer templates (`{}`)", entry.label);
        Ok(draft.finish(compose, &origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extensions::import::{Outcome, import_all};
    use crate::extensions::package::check_dir;

    fn fixtures() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/extensions/import/fixtures/portainer")
    }

    #[test]
    fn portainer_v2_and_v3_templates_import_or_say_why_not() {
        let out = tempfile::tempdir().expect("tmp");
        for file in ["v2/templates.json", "v3.json"] {
            let report = import_all(&Portainer, &fixtures().join(file), out.path())
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            let outcomes: BTreeMap<String, Outcome> = report
                .apps
                .iter()
                .map(|(label, _, o)| (label.clone(), o.clone()))
                .collect();
            eprintln!("{file}: {:?}", report.counts());
            match file {
                "v2/templates.json" => {
                    assert!(
                        matches!(outcomes["Nginx"], Outcome::Imported),
                        "{outcomes:?}"
                    );
                    assert!(
                        matches!(&outcomes["MySQL"], Outcome::Imported),
                        "{outcomes:?}"
                    );
                    assert!(
                        matches!(
                            &outcomes["Wiki stack"],
                            Outcome::Imported | Outcome::ImportedWithWarnings(_)
                        ),
                        "a stack whose file is checked out beside: {outcomes:?}"
                    );
                    let Outcome::Refused(why) = &outcomes["Remote stack"] else {
                        panic!("{outcomes:?}")
                    };
                    assert!(why.contains("check the repository out"), "{why}");
                    let Outcome::Refused(why) = &outcomes["IIS"] else {
                        panic!("{outcomes:?}")
                    };
                    assert!(why.contains("Windows"), "{why}");
                }
                _ => {
                    assert!(
                        matches!(&outcomes["Portainer Agent"], Outcome::ImportedWithWarnings(w) if w.iter().any(|w| w.contains("host access"))),
                        "{outcomes:?}"
                    );
                }
            }
        }
        let mysql = check_dir(&out.path().join("mysql"));
        let manifest = mysql.manifest.expect("mysql is valid");
        let password = manifest
            .inputs
            .iter()
            .find(|i| i.key == "MYSQL_ROOT_PASSWORD")
            .expect("password input");
        assert_eq!(password.generate, Some(24));
        let mode = manifest
            .inputs
            .iter()
            .find(|i| i.key == "SQL_MODE")
            .expect("select");
        assert_eq!(mode.default.as_deref(), Some("strict"));
        assert_eq!(manifest.version, "8.0.0");
        let template = mysql.template.expect("template");
        assert!(
            template.contains("\"MYSQL_ROOT_PASSWORD\": \"${MYSQL_ROOT_PASSWORD}\""),
            "{template}"
        );
        assert!(template.contains("\"data-1:/var/lib/mysql\""), "{template}");
        assert!(
            template.contains("\"PRESET\": \"cost $$5\""),
            "a preset stays literal: {template}"
        );
        let agent = check_dir(&out.path().join("portainer-agent"))
            .manifest
            .expect("agent");
        assert!(agent.permissions.docker_socket);
        assert_eq!(agent.permissions.host_paths, ["/var/lib/docker/volumes"]);
    }

    #[test]
    fn notes_lose_their_markup_and_names_become_keys() {
        assert_eq!(
            without_tags("Open <a href=\"x\">the docs</a>."),
            "Open the docs."
        );
        assert_eq!(key_of("db-host"), "DB_HOST");
        assert_eq!(key_of("1st"), "V_1ST");
    }
}
