//! An extension folder as a whole: its manifest, its compose template rendered with the
//! inputs, its README, and whether they agree (every `${VAR}` is an input, exposed services
//! exist, host access is declared). Used by `orbitr ext validate`, registries and installs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use compose::diag::{Diagnostic, Pos, join_index, join_key};
use compose::load::{Options, load};
use compose::model::{MountKind, Project};
use compose::yaml::Node;

use super::manifest::{self, InputKind, MANIFEST_FILE, Manifest};

/// Largest compose template and README accepted.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// The README's file name.
pub const README_FILE: &str = "README.md";

/// What checking a folder found.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// The manifest, when it has no error.
    pub manifest: Option<Manifest>,
    pub template: Option<String>,
    pub readme: Option<String>,
    /// Every finding, each with its file, line and field.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads `name` inside `dir`: a regular file (links are followed only when they stay inside),
/// at most [`MAX_FILE_BYTES`].
pub fn read_inside(dir: &Path, name: &str) -> Result<String, String> {
    String::from_utf8(read_bytes_inside(dir, name)?)
        .map_err(|_| format!("{name} is not UTF-8 text"))
}

/// The bytes of a file inside the extension folder (an image), with the same checks as
/// [`read_inside`].
pub fn read_bytes_inside(dir: &Path, name: &str) -> Result<Vec<u8>, String> {
    if !super::inside(name) {
        return Err(format!("{name} is not a path inside the extension folder"));
    }
    let root = dir
        .canonicalize()
        .map_err(|e| format!("cannot read the folder {}: {e}", dir.display()))?;
    let path: PathBuf = root.join(name);
    let real = path.canonicalize().map_err(|e| format!("{name}: {e}"))?;
    if !real.starts_with(&root) {
        return Err(format!("{name} leads outside the extension folder"));
    }
    let meta = std::fs::metadata(&real).map_err(|e| format!("{name}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{name} is not a file"));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{name} is {} bytes; at most {MAX_FILE_BYTES} are read",
            meta.len()
        ));
    }
    std::fs::read(&real).map_err(|e| format!("{name}: {e}"))
}

/// A value of the input's type, to render the template while checking it.
fn sample(input: &manifest::Input) -> String {
    if let Some(default) = &input.default {
        return default.clone();
    }
    match input.kind {
        InputKind::Number => input.min.unwrap_or(1.0).to_string(),
        InputKind::Port => input.min.map_or(8080, |m| m as u16).to_string(),
        InputKind::Boolean => "false".into(),
        InputKind::Select => input
            .options
            .first()
            .map(|o| o.value.clone())
            .unwrap_or_default(),
        InputKind::Email => "admin@example.com".into(),
        InputKind::Url => "https://example.com".into(),
        InputKind::HostPath => format!("/srv/{}", input.key.to_lowercase()),
        InputKind::Secret => "x".repeat(input.generate.unwrap_or(16) as usize),
        InputKind::String | InputKind::Text => "sample".into(),
    }
}

/// The line of the first `$NAME` or `${NAME…` in `text`.
fn line_of_variable(text: &str, name: &str) -> u32 {
    let braced = format!("${{{name}");
    let bare = format!("${name}");
    text.lines()
        .position(|l| l.contains(&braced) || l.contains(&bare))
        .map_or(0, |i| u32::try_from(i + 1).unwrap_or(0))
}

/// Where `path` (`exposes[0].service`) is in the manifest.
fn manifest_pos(doc: Option<&Node>, section: &str, index: usize, key: &str) -> Pos {
    doc.and_then(|d| d.get(section))
        .and_then(|s| s.items())
        .and_then(|items| items.get(index))
        .map_or(Pos::default(), |item| {
            item.get(key).map_or(item.pos, |n| n.pos)
        })
}

/// Checks the folder: manifest, template (rendered with defaults or sample values), README.
pub fn check_dir(dir: &Path) -> Checked {
    let mut checked = Checked::default();
    let text = match read_inside(dir, MANIFEST_FILE) {
        Ok(text) => text,
        Err(message) => {
            checked
                .diagnostics
                .push(Diagnostic::error("", Pos::default(), message).in_file(MANIFEST_FILE));
            return checked;
        }
    };
    let (manifest, diags) = manifest::parse(&text);
    checked.diagnostics = diags;
    match read_inside(dir, README_FILE) {
        Ok(readme) => checked.readme = Some(readme),
        Err(message) => checked.diagnostics.push(
            Diagnostic::warning("", Pos::default(), format!("no README: {message}"))
                .in_file(README_FILE),
        ),
    }
    let Some(manifest) = manifest else {
        return checked;
    };
    let template = match read_inside(dir, &manifest.template) {
        Ok(t) => t,
        Err(message) => {
            checked.diagnostics.push(
                Diagnostic::error("template", Pos::default(), message).in_file(MANIFEST_FILE),
            );
            checked.manifest = Some(manifest);
            return checked;
        }
    };
    let doc = compose::yaml::load(&text, &compose::yaml::Limits::default()).ok();
    checked
        .diagnostics
        .extend(check_template(&manifest, &template, doc.as_ref()));
    checked.template = Some(template);
    if !checked.has_errors() {
        checked.manifest = Some(manifest);
    }
    checked
}

/// Checks a template against its manifest; `manifest_doc` (the manifest's YAML) places
/// findings about the manifest on their lines.
pub fn check_template(
    manifest: &Manifest,
    template: &str,
    manifest_doc: Option<&Node>,
) -> Vec<Diagnostic> {
    let file = manifest.template.as_str();
    let mut diags = Vec::new();
    let mut unknown = Vec::new();
    for name in compose::interpolate::variables(template) {
        if !manifest.inputs.iter().any(|i| i.key == name) {
            unknown.push(format!("variable {name} is not set"));
            diags.push(
                Diagnostic::error(
                    "",
                    Pos::new(line_of_variable(template, &name), 1),
                    format!("${{{name}}} is not an input of {MANIFEST_FILE}; add it to inputs or write $${{{name}}} for a literal $"),
                )
                .in_file(file),
            );
        }
    }
    let env: BTreeMap<String, String> = manifest
        .inputs
        .iter()
        .map(|i| (i.key.clone(), sample(i)))
        .collect();
    let loaded = load(
        file,
        template,
        &Options {
            env,
            ..Options::default()
        },
    );
    // An unknown variable is reported once, as the error above.
    diags.extend(
        loaded
            .diagnostics
            .into_iter()
            .filter(|d| !unknown.iter().any(|u| d.message.starts_with(u.as_str())))
            .map(|d| {
                if d.file.is_empty() {
                    d.in_file(file)
                } else {
                    d
                }
            }),
    );
    let Some(project) = loaded.project else {
        return diags;
    };
    let services = compose::yaml::load(template, &compose::yaml::Limits::default()).ok();
    let service_pos = |name: &str| {
        services
            .as_ref()
            .and_then(|d| d.get("services"))
            .and_then(Node::entries)
            .and_then(|entries| entries.iter().find(|(k, _)| k.name == name))
            .map_or(Pos::default(), |(k, _)| k.pos)
    };
    let mut manifest_error = |path: String, pos: Pos, message: String| {
        diags.push(Diagnostic::error(path, pos, message).in_file(MANIFEST_FILE));
    };
    for (i, e) in manifest.exposes.iter().enumerate() {
        if !project.services.contains_key(&e.service) {
            manifest_error(
                join_key(&join_index("exposes", i), "service"),
                manifest_pos(manifest_doc, "exposes", i, "service"),
                format!("service \"{}\" is not in {file}", e.service),
            );
        }
    }
    for (i, h) in manifest.health.iter().enumerate() {
        if !project.services.contains_key(&h.service) {
            manifest_error(
                join_key(&join_index("health", i), "service"),
                manifest_pos(manifest_doc, "health", i, "service"),
                format!("service \"{}\" is not in {file}", h.service),
            );
        }
    }
    for volume in &manifest.backup.volumes {
        if !project.volumes.contains_key(volume) {
            manifest_error(
                "backup.volumes".into(),
                manifest_doc
                    .and_then(|d| d.get("backup"))
                    .map_or(Pos::default(), |n| n.pos),
                format!("volume \"{volume}\" is not in {file}"),
            );
        }
    }
    for finding in undeclared_access(manifest, &project) {
        diags.push(
            Diagnostic::error(
                join_key("services", &finding.0),
                service_pos(&finding.0),
                finding.1,
            )
            .in_file(file),
        );
    }
    diags
}

/// Host access the template takes that `permissions` does not declare: (service, message).
fn undeclared_access(manifest: &Manifest, project: &Project) -> Vec<(String, String)> {
    let declared = &manifest.permissions;
    let chosen: Vec<String> = manifest
        .inputs
        .iter()
        .filter(|i| i.kind == InputKind::HostPath)
        .map(sample)
        .collect();
    let mut out = Vec::new();
    for (name, service) in &project.services {
        if service.privileged && !declared.privileged {
            out.push((
                name.clone(),
                "runs privileged: declare permissions.privileged".to_owned(),
            ));
        }
        for device in &service.devices {
            let host = device.split(':').next().unwrap_or(device);
            if !declared.devices.iter().any(|d| d == host) {
                out.push((
                    name.clone(),
                    format!("uses device {host}: declare it in permissions.devices"),
                ));
            }
        }
        for mount in service.volumes.iter().filter(|m| m.kind == MountKind::Bind) {
            let Some(source) = mount.source.as_deref() else {
                continue;
            };
            if source.ends_with("docker.sock") {
                if !declared.docker_socket {
                    out.push((
                        name.clone(),
                        format!(
                            "mounts the Docker socket ({source}): declare permissions.docker_socket"
                        ),
                    ));
                }
            } else if source.starts_with('/')
                && !chosen.iter().any(|c| source.starts_with(c.as_str()))
                && !declared.host_paths.iter().any(|p| {
                    source == p || source.starts_with(&format!("{}/", p.trim_end_matches('/')))
                })
            {
                out.push((
                    name.clone(),
                    format!("mounts the host path {source}: declare it in permissions.host_paths or make it a host_path input"),
                ));
            }
        }
    }
    out
}

/// A random secret of `len` letters and digits.
pub fn generate_secret(len: usize) -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

/// The template with the form's `values` in place of its variables: checked values, defaults
/// for what was left empty, generated secrets; the rendered file is checked again. Nothing but
/// the inputs can be read by the template (no host environment, no files).
pub fn render(
    manifest: &Manifest,
    template: &str,
    values: &BTreeMap<String, String>,
) -> Result<(String, BTreeMap<String, String>), Vec<Diagnostic>> {
    let mut values = super::inputs::check_values(&manifest.inputs, values).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| Diagnostic::error(join_key("inputs", &e.key), Pos::default(), e.message))
            .collect::<Vec<_>>()
    })?;
    for input in &manifest.inputs {
        if let Some(len) = input.generate
            && !values.contains_key(&input.key)
        {
            values.insert(input.key.clone(), generate_secret(len as usize));
        }
    }
    let lookup = |name: &str| values.get(name).cloned().or_else(|| Some(String::new()));
    let rendered = compose::interpolate::interpolate(template, &lookup).map_err(|e| {
        vec![Diagnostic::error("", Pos::default(), e.to_string()).in_file(&manifest.template)]
    })?;
    // `$$` stays `$` after interpolation; the stack's own loading must not see a variable.
    let stored = rendered.replace('$', "$$");
    let loaded = load(&manifest.template, &stored, &Options::default());
    if loaded.has_errors() {
        return Err(loaded
            .diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .map(|d| {
                if d.file.is_empty() {
                    d.in_file(&manifest.template)
                } else {
                    d
                }
            })
            .collect());
    }
    Ok((stored, values))
}

/// Writes a new extension named `id` into `dir` (which must not exist or be empty): a
/// manifest, a template serving a web page on a port the installer picks, and a README. It
/// passes [`check_dir`] as written.
pub fn scaffold(dir: &Path, id: &str) -> Result<(), String> {
    if !manifest::valid_id(id) {
        return Err(format!(
            "\"{id}\" is not an extension id: 2–63 lowercase letters, digits or dashes, starting with a letter"
        ));
    }
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .next()
            .is_some()
    {
        return Err(format!("{} exists and is not empty", dir.display()));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let files = [
        (
            MANIFEST_FILE,
            format!(
                "id: {id}\nname: {id}\nversion: 0.1.0\nsummary: What {id} does, in one line\ndescription: |\n  A longer description, shown on the extension's page.\ncategories: [utilities]\nlicense: MIT\ninputs:\n  - key: PORT\n    label: Web port\n    description: The host port the app is reached on.\n    type: port\n    default: 8080\nexposes:\n  - service: web\n    port: 80\nbackup:\n  volumes: [data]\n"
            ),
        ),
        (
            manifest::TEMPLATE_FILE,
            "services:\n  web:\n    image: nginx:1.27-alpine\n    restart: unless-stopped\n    ports:\n      - \"${PORT}:80\"\n    volumes:\n      - data:/usr/share/nginx/html\n    healthcheck:\n      test: [\"CMD\", \"wget\", \"-q\", \"-O\", \"/dev/null\", \"http://localhost/\"]\n      interval: 30s\nvolumes:\n  data: {}\n"
                .to_owned(),
        ),
        (
            README_FILE,
            format!("# {id}\n\nWhat it is, what the inputs mean, and where its data lives.\n"),
        ),
    ];
    for (name, content) in files {
        std::fs::write(dir.join(name), content).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("write");
        }
    }

    fn messages(checked: &Checked) -> Vec<String> {
        checked
            .diagnostics
            .iter()
            .map(|d| format!("{}:{} {}: {}", d.file, d.line, d.path, d.message))
            .collect()
    }

    #[test]
    fn every_official_extension_checks_clean() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../extensions");
        let mut seen = 0;
        for entry in std::fs::read_dir(&root).expect("extensions/") {
            let dir = entry.expect("entry").path();
            if !dir.is_dir() {
                continue;
            }
            let checked = check_dir(&dir);
            assert!(
                checked.diagnostics.is_empty(),
                "{}: {:#?}",
                dir.display(),
                messages(&checked)
            );
            let manifest = checked.manifest.expect("manifest");
            assert_eq!(
                dir.file_name().and_then(|n| n.to_str()),
                Some(manifest.id.as_str()),
                "the folder is named after the id"
            );
            let template = checked.template.expect("template");
            let (rendered, _) =
                render(&manifest, &template, &BTreeMap::new()).expect("renders with defaults");
            assert!(!rendered.is_empty());
            seen += 1;
        }
        assert!(seen >= 12, "{seen} extensions");
    }

    #[test]
    fn a_scaffold_checks_clean() {
        let dir = tempfile::tempdir().expect("tmp");
        let target = dir.path().join("hello");
        scaffold(&target, "hello").expect("scaffold");
        let checked = check_dir(&target);
        assert!(checked.diagnostics.is_empty(), "{:?}", messages(&checked));
        assert_eq!(checked.manifest.map(|m| m.id), Some("hello".into()));
        assert!(
            scaffold(&target, "hello").is_err(),
            "not over an existing one"
        );
        assert!(scaffold(&dir.path().join("x"), "Bad").is_err());
    }

    #[test]
    fn the_template_and_the_manifest_must_agree() {
        let dir = tempfile::tempdir().expect("tmp");
        write(
            dir.path(),
            &[
                (
                    MANIFEST_FILE,
                    "id: app\nname: App\nversion: 1.0.0\nsummary: s\ninputs:\n  - key: PORT\n    label: Port\n    type: port\n    default: 8080\n  - key: MEDIA\n    label: Media folder\n    type: host_path\nexposes:\n  - service: web\n    port: 80\n  - service: nope\n    port: 80\nbackup:\n  volumes: [gone]\n",
                ),
                (
                    "compose.yaml",
                    "services:\n  web:\n    image: nginx\n    ports: [\"${PORT}:80\"]\n    environment:\n      TOKEN: ${API_TOKEN}\n    volumes:\n      - ${MEDIA}:/media\n      - /etc:/host-etc\n  agent:\n    image: agent\n    privileged: true\n    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n",
                ),
                ("README.md", "# App\n"),
            ],
        );
        let checked = check_dir(dir.path());
        let found = messages(&checked);
        let expect = [
            "compose.yaml:6 : ${API_TOKEN} is not an input of orbitr.yaml",
            "orbitr.yaml:16 exposes[1].service: service \"nope\" is not in compose.yaml",
            "orbitr.yaml:19 backup.volumes: volume \"gone\" is not in compose.yaml",
            "compose.yaml:10 services.agent: runs privileged: declare permissions.privileged",
            "compose.yaml:10 services.agent: mounts the Docker socket",
            "compose.yaml:2 services.web: mounts the host path /etc:",
        ];
        for e in expect {
            assert!(found.iter().any(|f| f.starts_with(e)), "{e}\n{found:#?}");
        }
        assert!(
            !found.iter().any(|f| f.contains("/srv/media")),
            "a host_path input's folder is the installer's choice: {found:#?}"
        );
        assert!(
            !found.iter().any(|f| f.contains("API_TOKEN is not set")),
            "reported once: {found:#?}"
        );
        assert!(checked.manifest.is_none());
    }

    #[test]
    fn rendering_fills_inputs_generates_secrets_and_keeps_dollars_literal() {
        let (manifest, diags) = manifest::parse(
            "id: app\nname: App\nversion: 1.0.0\nsummary: s\ninputs:\n  - key: PORT\n    label: Port\n    type: port\n    default: 8080\n  - key: PASSWORD\n    label: Password\n    type: secret\n    generate: 20\n",
        );
        let manifest = manifest.unwrap_or_else(|| panic!("{diags:?}"));
        let template = "services:\n  web:\n    image: nginx\n    ports: [\"${PORT}:80\"]\n    environment:\n      PASSWORD: ${PASSWORD}\n      PRICE: $$5\n";
        let values = BTreeMap::from([("PORT".to_owned(), "9090".to_owned())]);
        let (rendered, used) = render(&manifest, template, &values).expect("renders");
        assert!(rendered.contains("\"9090:80\""), "{rendered}");
        assert_eq!(used["PASSWORD"].len(), 20);
        assert!(rendered.contains(&format!("PASSWORD: {}", used["PASSWORD"])));
        assert!(
            rendered.contains("PRICE: $$5"),
            "a literal dollar stays literal: {rendered}"
        );
        let bad = BTreeMap::from([("PORT".to_owned(), "http".to_owned())]);
        let errors = render(&manifest, template, &bad).expect_err("refused");
        assert_eq!(errors[0].path, "inputs.PORT");
        assert!(errors[0].message.contains("not a number"), "{errors:?}");
        assert_ne!(generate_secret(24), generate_secret(24));
    }

    #[test]
    fn files_may_not_lead_outside_the_folder() {
        let dir = tempfile::tempdir().expect("tmp");
        let outside = dir.path().join("secret.yaml");
        std::fs::write(&outside, "services: {}\n").expect("write");
        let ext = dir.path().join("ext");
        std::fs::create_dir(&ext).expect("mkdir");
        std::os::unix::fs::symlink(&outside, ext.join("compose.yaml")).expect("link");
        write(
            &ext,
            &[(
                MANIFEST_FILE,
                "id: app\nname: App\nversion: 1.0.0\nsummary: s\n",
            )],
        );
        let checked = check_dir(&ext);
        let found = messages(&checked);
        assert!(
            found
                .iter()
                .any(|f| f.contains("compose.yaml leads outside the extension folder")),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("README.md:0 : no README")),
            "{found:#?}"
        );
    }
}
