//! Loading a Compose project: YAML → schema check (before interpolation, as the spec says) →
//! `include` → interpolation → `extends` → `!reset`/`!override` → profiles → the normalized
//! model → semantic checks. Every problem becomes a [`Diagnostic`] with its path and position;
//! loading goes on after an error so that an editor sees all of them at once.
//!
//! The crate does no I/O: other files (`include`, `extends.file`, `env_file`) are read through a
//! callback, and left unchecked when there is none (the browser).

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use crate::diag::{Diagnostic, Pos, join_index, join_key};
use crate::interpolate::{interpolate, variables};
use crate::model::{
    Condition, Dependency, FileMount, FileObject, Healthcheck, Logging, Mount, MountKind,
    NetworkDef, Port, Project, Service, ServiceNetwork, VolumeDef,
};
use crate::units::{parse_bytes, parse_duration, split_command};
use crate::yaml::{self, Key, Limits, Node, Tag, Value};
use crate::{dotenv, schema};

/// Reads a file named relative to the project folder (already joined with the including file's
/// folder); the error is the reason it could not be read.
pub type ReadFile<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// How to load a project.
#[derive(Default)]
pub struct Options<'a> {
    pub limits: Limits,
    /// Variables for interpolation and for `environment` entries without a value.
    pub env: BTreeMap<String, String>,
    /// Active profiles (`*` enables all).
    pub profiles: Vec<String>,
    /// The project folder, to make relative bind mounts absolute; left relative when `None`.
    pub project_dir: Option<String>,
    pub read_file: Option<ReadFile<'a>>,
}

/// The result of loading: the project when it could be built, and every diagnostic.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub project: Option<Project>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The errors, in file order.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

/// Loads the Compose file `file` whose text is `text`.
pub fn load(file: &str, text: &str, options: &Options) -> Loaded {
    let mut loader = Loader {
        options,
        env: Rc::new(options.env.clone()),
        diags: Vec::new(),
        files: vec![file.to_owned()],
        tainted: BTreeSet::new(),
        incomplete: BTreeSet::new(),
    };
    let project = loader.run(file, text);
    // A value that could not be interpolated is reported once, not again by later checks; and
    // a place the schema found wrong is not reported a second time by the reading of its value
    // (the first error at a place, in the order the stages ran, is the one kept).
    let mut reported: BTreeSet<(String, String)> = BTreeSet::new();
    let mut places: BTreeSet<(String, String, u32, u32)> = BTreeSet::new();
    let tainted = loader.tainted;
    let mut diagnostics: Vec<Diagnostic> = loader
        .diags
        .into_iter()
        .filter(|d| {
            if !d.is_error() {
                return true;
            }
            let key = (d.file.clone(), d.path.clone());
            let place = (d.file.clone(), d.path.clone(), d.line, d.column);
            (!tainted.contains(&key) || reported.insert(key)) && places.insert(place)
        })
        .collect();
    for d in &mut diagnostics {
        if d.file == file {
            d.file.clear();
        }
    }
    diagnostics.sort_by(|a, b| {
        (a.file.as_str(), a.line, a.column).cmp(&(b.file.as_str(), b.line, b.column))
    });
    diagnostics.dedup();
    Loaded {
        project,
        diagnostics,
    }
}

/// How deeply `include` and `extends` may nest. Cycles are caught by name; this bounds chains
/// whose names never repeat (a reader that makes every remote reference unique).
const MAX_NESTING: usize = 32;

struct Loader<'o, 'a> {
    options: &'o Options<'a>,
    /// The variables of the file being interpolated: the caller's, plus an included file's own
    /// env files. Shared so that interpolation can report while it reads them.
    env: Rc<BTreeMap<String, String>>,
    diags: Vec<Diagnostic>,
    /// Files being loaded, outermost first, to name include and extends cycles.
    files: Vec<String>,
    /// (file, path) of values whose interpolation failed.
    tainted: BTreeSet<(String, String)>,
    /// Services whose `extends` could not be resolved: what they lack is a consequence of the
    /// error already reported, not a second mistake.
    incomplete: BTreeSet<String>,
}

fn folder_of(file: &str) -> &str {
    file.rfind('/').map_or("", |i| &file[..i])
}

/// Whether a reference names a remote resource (`https://…`, `git@host:…`, `oci://…`, or a
/// reader-defined `scheme:path`) rather than a path: it is passed to the reader as written,
/// since joining it with a folder would change what it names. One-letter schemes are Windows
/// drive letters, so they are paths.
fn is_remote(reference: &str) -> bool {
    if reference.contains("://") || reference.starts_with("git@") {
        return true;
    }
    let Some((scheme, rest)) = reference.split_once(':') else {
        return false;
    };
    scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
        && !rest.is_empty()
}

/// The name the reader is asked for: `reference` joined onto `folder`, unless it is remote.
fn resolve_reference(folder: &str, reference: &str) -> String {
    if is_remote(reference) {
        reference.to_owned()
    } else {
        join_path(folder, reference)
    }
}

/// `path`, written relative to the folder `from`, as a path relative to the folder `to` (both
/// named the way the loader names files). The result starts with `./` or `../` so that a short
/// volume syntax still reads it as a bind mount.
fn relative_to(from: &str, path: &str, to: &str) -> String {
    let full = resolve_reference(from, path);
    if full.starts_with('/') != to.starts_with('/') || is_remote(&full) {
        return full;
    }
    let full_parts: Vec<&str> = full.split('/').filter(|p| !p.is_empty()).collect();
    let to_parts: Vec<&str> = to
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let common = full_parts
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if to_parts[common..].contains(&"..") {
        // Climbing out of `to` through a parent whose name is unknown: keep the joined path.
        return full;
    }
    let mut parts: Vec<&str> = vec![".."; to_parts.len() - common];
    parts.extend(&full_parts[common..]);
    match parts.first() {
        None => ".".to_owned(),
        Some(&"..") => parts.join("/"),
        Some(_) => format!("./{}", parts.join("/")),
    }
}

/// Joins `relative` onto `folder` and removes `.` and `..` components lexically.
pub fn join_path(folder: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let absolute =
        relative.starts_with('/') || (folder.starts_with('/') && !relative.starts_with('/'));
    let full = if relative.starts_with('/') || folder.is_empty() {
        relative.to_owned()
    } else {
        format!("{folder}/{relative}")
    };
    for part in full.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

impl Loader<'_, '_> {
    fn error(&mut self, file: &str, path: &str, pos: Pos, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::error(path, pos, message).in_file(file));
    }

    fn warn(&mut self, file: &str, path: &str, pos: Pos, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::warning(path, pos, message).in_file(file));
    }

    fn run(&mut self, file: &str, text: &str) -> Option<Project> {
        let mut doc = self.parse(file, text)?;
        let folder = folder_of(file);
        self.includes(file, folder, &mut doc);
        self.interpolate_tree(file, "", &mut doc);
        self.resolve_extends(file, folder, &mut doc);
        strip_resets(&mut doc);
        let project = self.build_project(file, &doc);
        self.check(file, &project);
        Some(project)
    }

    /// YAML and the schema; `None` when there is nothing to go on.
    fn parse(&mut self, file: &str, text: &str) -> Option<Node> {
        let doc = match yaml::load_with_warnings(text, &self.options.limits) {
            Ok((doc, warnings)) => {
                for w in warnings {
                    self.warn(file, "", w.pos, w.message);
                }
                doc
            }
            Err(e) => {
                self.error(file, "", e.pos, e.message);
                return None;
            }
        };
        match doc.value {
            Value::Null => {
                self.error(file, "", doc.pos, "empty compose file");
                return None;
            }
            Value::Map(_) => {}
            _ => {
                self.error(
                    file,
                    "",
                    doc.pos,
                    format!(
                        "a Compose file is a mapping of top-level keys, not {}",
                        doc.kind()
                    ),
                );
                return None;
            }
        }
        for d in schema::validate(&doc) {
            self.diags.push(d.in_file(file));
        }
        Some(doc)
    }

    /// Interpolates every string in the tree, in place.
    fn interpolate_tree(&mut self, file: &str, path: &str, node: &mut Node) {
        match &mut node.value {
            Value::Str(s) if s.contains('$') => {
                let env = Rc::clone(&self.env);
                let lookup = |name: &str| env.get(name).cloned();
                match interpolate(s, &lookup) {
                    Ok(out) => {
                        for name in variables(s) {
                            let plain =
                                s.contains(&format!("${{{name}}}")) || bare_reference(s, &name);
                            if plain && !env.contains_key(&name) {
                                let message =
                                    format!("variable {name} is not set; an empty string is used");
                                self.warn(file, path, node.pos, message);
                            }
                        }
                        *s = out;
                    }
                    Err(e) => {
                        self.tainted.insert((file.to_owned(), path.to_owned()));
                        self.error(file, path, node.pos, e.message);
                    }
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.interpolate_tree(file, &join_index(path, i), item);
                }
            }
            Value::Map(entries) => {
                for (k, v) in entries.iter_mut() {
                    self.interpolate_tree(file, &join_key(path, &k.name), v);
                }
            }
            _ => {}
        }
    }

    fn read(
        &mut self,
        from: &str,
        path: &str,
        pos: Pos,
        relative: &str,
    ) -> Option<(String, String)> {
        let read_file = self.options.read_file?;
        let name = resolve_reference(folder_of(from), relative);
        match read_file(&name) {
            Ok(text) => Some((name, text)),
            Err(reason) => {
                self.error(
                    from,
                    path,
                    pos,
                    format!("cannot read {relative:?}: {reason}"),
                );
                None
            }
        }
    }

    /// `include:` merges other projects' resources into this one; a name defined twice is an
    /// error. Their relative paths are rewritten to start from `folder`, the folder this file's
    /// own paths start from.
    fn includes(&mut self, file: &str, folder: &str, doc: &mut Node) {
        let Value::Map(entries) = &mut doc.value else {
            return;
        };
        let Some(i) = entries.iter().position(|(k, _)| k.name == "include") else {
            return;
        };
        let (_, include) = entries.remove(i);
        for (n, item) in include.items().unwrap_or_default().iter().enumerate() {
            let path = join_index("include", n);
            let entry = self.include_entry(file, &path, item);
            self.include(file, folder, doc, &entry);
        }
    }

    /// What one `include` item asks for; its strings interpolated with the including file's
    /// variables.
    fn include_entry(&mut self, file: &str, path: &str, item: &Node) -> IncludeEntry {
        let mut entry = IncludeEntry {
            path: path.to_owned(),
            pos: item.pos,
            ..IncludeEntry::default()
        };
        if item.as_str().is_some() {
            entry.files.extend(self.reference(file, path, item));
            return entry;
        }
        if let Some(files) = item.get("path") {
            let p = join_key(path, "path");
            entry.files = self.references(file, &p, files);
        }
        if let Some(dir) = item.get("project_directory") {
            entry.project_directory =
                self.reference(file, &join_key(path, "project_directory"), dir);
        }
        if let Some(env_files) = item.get("env_file") {
            entry.env_files = self.references(file, &join_key(path, "env_file"), env_files);
        }
        entry
    }

    /// A string or a list of strings naming files.
    fn references(&mut self, file: &str, path: &str, node: &Node) -> Vec<Reference> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| self.reference(file, &join_index(path, i), item))
                .collect(),
            _ => self.reference(file, path, node).into_iter().collect(),
        }
    }

    fn reference(&mut self, file: &str, path: &str, node: &Node) -> Option<Reference> {
        let text = node.as_str()?;
        let env = Rc::clone(&self.env);
        match interpolate(text, &|n: &str| env.get(n).cloned()) {
            Ok(text) => Some(Reference {
                text,
                pos: node.pos,
                path: path.to_owned(),
            }),
            Err(e) => {
                self.error(file, path, node.pos, e.message);
                None
            }
        }
    }

    /// Loads one included project (its files merged like `-f a -f b`) and merges it into `doc`.
    fn include(&mut self, file: &str, folder: &str, doc: &mut Node, entry: &IncludeEntry) {
        let Some(first) = entry.files.first() else {
            return;
        };
        let here = folder_of(file);
        let project = match &entry.project_directory {
            Some(dir) => resolve_reference(here, &dir.text),
            None => folder_of(&resolve_reference(here, &first.text)).to_owned(),
        };
        let env = self.include_env(file, &project, entry);
        let outer = std::mem::replace(&mut self.env, Rc::new(env));
        let mut combined: Option<(String, Node)> = None;
        for reference in &entry.files {
            let target = resolve_reference(here, &reference.text);
            if self.files.contains(&target) {
                let chain = format!("{} -> {target}", self.files.join(" -> "));
                let message = format!("include cycle detected: {chain}");
                self.error(file, &reference.path, reference.pos, message);
                continue;
            }
            if self.files.len() >= MAX_NESTING {
                let message = format!("includes and extends nest deeper than {MAX_NESTING} files");
                self.error(file, &reference.path, reference.pos, message);
                continue;
            }
            let Some((name, text)) =
                self.read(file, &reference.path, reference.pos, &reference.text)
            else {
                continue;
            };
            self.files.push(name.clone());
            if let Some(mut included) = self.parse(&name, &text) {
                self.includes(&name, &project, &mut included);
                self.interpolate_tree(&name, "", &mut included);
                self.resolve_extends(&name, &project, &mut included);
                combined = Some(match combined.take() {
                    None => (name, included),
                    Some((first, base)) => (first, merge_nodes(&base, &included, "")),
                });
            }
            self.files.pop();
        }
        self.env = outer;
        if let Some((name, mut included)) = combined {
            rebase_document(&mut included, &project, folder);
            merge_included(doc, included, &name, &mut self.diags, file);
        }
    }

    /// The variables of an included project: the including file's, then those of its env files
    /// (the `.env` of its folder when it names none) for the names still unset, as Compose does.
    fn include_env(
        &mut self,
        file: &str,
        project: &str,
        entry: &IncludeEntry,
    ) -> BTreeMap<String, String> {
        let mut env = (*self.env).clone();
        let mut texts: Vec<(String, String, String, Pos)> = Vec::new();
        if entry.env_files.is_empty() {
            // The default file is optional: a project without one is fine.
            if let Some(read_file) = self.options.read_file {
                let name = join_path(project, ".env");
                if let Ok(text) = read_file(&name) {
                    texts.push((name, text, entry.path.clone(), entry.pos));
                }
            }
        } else {
            for r in &entry.env_files {
                if let Some((name, text)) = self.read(file, &r.path, r.pos, &r.text) {
                    texts.push((name, text, r.path.clone(), r.pos));
                }
            }
        }
        let mut from_files: BTreeMap<String, String> = BTreeMap::new();
        for (name, text, path, pos) in texts {
            let lookup = |n: &str| env.get(n).or_else(|| from_files.get(n)).cloned();
            match dotenv::parse(&text, &lookup) {
                Ok(pairs) => from_files.extend(pairs),
                Err(e) => {
                    let message = format!("{name}: line {}: {}", e.line, e.message);
                    self.error(file, &path, pos, message);
                }
            }
        }
        for (k, v) in from_files {
            env.entry(k).or_insert(v);
        }
        env
    }

    /// Merges every service's `extends` chain into it; relative paths inherited from another
    /// file are rewritten to start from `folder`, where this file's own paths start.
    fn resolve_extends(&mut self, file: &str, folder: &str, doc: &mut Node) {
        let Some(services) = doc.get("services").cloned() else {
            return;
        };
        let Some(entries) = services.entries() else {
            return;
        };
        let mut resolved: Vec<(Key, Node)> = Vec::with_capacity(entries.len());
        for (key, service) in entries {
            let mut chain = vec![format!("{file}:{}", key.name)];
            let errors = self.diags.iter().filter(|d| d.is_error()).count();
            let node = self.extend(file, folder, &services, &key.name, service, &mut chain);
            if self.diags.iter().filter(|d| d.is_error()).count() > errors {
                self.incomplete.insert(key.name.clone());
            }
            resolved.push((key.clone(), node));
        }
        if let Value::Map(top) = &mut doc.value
            && let Some((_, s)) = top.iter_mut().find(|(k, _)| k.name == "services")
        {
            s.value = Value::Map(resolved);
        }
    }

    /// The service with its `extends` chain merged in, its relative paths starting from
    /// `folder`.
    fn extend(
        &mut self,
        file: &str,
        folder: &str,
        services: &Node,
        name: &str,
        service: &Node,
        chain: &mut Vec<String>,
    ) -> Node {
        let Some(extends) = service.get("extends") else {
            return service.clone();
        };
        let path = join_key(&join_key("services", name), "extends");
        let (base_name, base_file) = match &extends.value {
            Value::Str(s) => (s.clone(), None),
            Value::Map(_) => (
                extends
                    .get("service")
                    .and_then(Node::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                extends
                    .get("file")
                    .and_then(Node::as_str)
                    .map(str::to_owned),
            ),
            _ => return without_key(service, "extends"),
        };
        if chain.len() > MAX_NESTING {
            let message = format!("the extends chain is longer than {MAX_NESTING} services");
            self.error(file, &path, extends.pos, message);
            return without_key(service, "extends");
        }
        let (base_file_name, base_services) = match &base_file {
            None => (file.to_owned(), services.clone()),
            Some(relative) => {
                let Some((name, text)) = self.read(file, &path, extends.pos, relative) else {
                    return without_key(service, "extends");
                };
                let Some(mut other) = self.parse(&name, &text) else {
                    return without_key(service, "extends");
                };
                self.interpolate_tree(&name, "", &mut other);
                let services = other
                    .get("services")
                    .cloned()
                    .unwrap_or_else(|| Node::new(Value::Map(Vec::new()), other.pos));
                (name, services)
            }
        };
        let link = format!("{base_file_name}:{base_name}");
        if chain.contains(&link) {
            let message = format!(
                "Circular reference: extends cycle {} -> {link}",
                chain.join(" -> ")
            );
            self.error(file, &path, extends.pos, message);
            return without_key(service, "extends");
        }
        let Some(base) = base_services.get(&base_name).cloned() else {
            let message = format!(
                "cannot extend service {base_name:?}: it is not defined in {base_file_name}"
            );
            self.error(file, &path, extends.pos, message);
            return without_key(service, "extends");
        };
        // A service of another file has its paths relative to that file's folder.
        let base_folder = if base_file.is_some() {
            folder_of(&base_file_name)
        } else {
            folder
        };
        chain.push(link);
        let base = self.extend(
            &base_file_name,
            base_folder,
            &base_services,
            &base_name,
            &base,
            chain,
        );
        chain.pop();
        let base = rebase_paths(&base, base_folder, folder);
        merge_nodes(&base, &without_key(service, "extends"), "")
    }

    fn build_project(&mut self, file: &str, doc: &Node) -> Project {
        let mut project = Project {
            name: doc.get("name").and_then(Node::scalar_text),
            ..Project::default()
        };
        let mut r = Reader {
            file,
            diags: &mut self.diags,
            options: self.options,
        };
        project.networks = section(doc, "networks", |path, node| r.network(path, node));
        project.volumes = section(doc, "volumes", |path, node| r.volume(path, node));
        project.secrets = section(doc, "secrets", |path, node| r.file_object(path, node));
        project.configs = section(doc, "configs", |path, node| r.file_object(path, node));
        let active = &self.options.profiles;
        for (key, node) in entries_of(doc, "services") {
            if node.entries().is_none() {
                // Not a mapping: the schema has said so, and all it lacks follows from that.
                self.incomplete.insert(key.name.clone());
            }
            let service = r.service(&key.name, key.pos, node);
            let enabled = service.profiles.is_empty()
                || active
                    .iter()
                    .any(|p| p == "*" || service.profiles.contains(p));
            if enabled {
                project.services.insert(key.name.clone(), service);
            } else {
                project.disabled.push(key.name.clone());
            }
        }
        project
    }

    /// Checks across fields: references, cycles, published ports, images.
    fn check(&mut self, file: &str, project: &Project) {
        let mut published: BTreeMap<(String, String, u32), String> = BTreeMap::new();
        for (name, service) in &project.services {
            let at = join_key("services", name);
            let pos = service.pos;
            let runnable = service.image.is_some() || service.build || service.provider;
            if !runnable && !self.incomplete.contains(name) {
                if service.positions.contains_key("image") {
                    self.error(
                        file,
                        &join_key(&at, "image"),
                        service.pos_of("image"),
                        format!(
                            "service {name:?} has an empty image (an unset variable?) and no build section"
                        ),
                    );
                } else {
                    self.error(
                        file,
                        &at,
                        pos,
                        format!("service {name:?} has neither an image nor a build section"),
                    );
                }
            }
            if let Some(image) = &service.image
                && let Err(why) = check_image_reference(image)
            {
                self.error(
                    file,
                    &join_key(&at, "image"),
                    service.pos_of("image"),
                    format!("invalid image reference {image:?}: {why}"),
                );
            }
            if service.container_name.is_some() && service.replicas > 1 {
                self.error(
                    file,
                    &at,
                    pos,
                    format!(
                        "service {name:?} sets container_name, so it cannot run {} replicas",
                        service.replicas
                    ),
                );
            }
            for dep in service.depends_on.keys() {
                if !project.services.contains_key(dep) {
                    let message = if project.disabled.contains(dep) {
                        format!(
                            "service {name:?} depends on service {dep:?}, which is disabled by its profiles"
                        )
                    } else {
                        format!("service {name:?} depends on undefined service {dep:?}")
                    };
                    if service.depends_on[dep].required {
                        self.error(
                            file,
                            &join_key(&join_key(&at, "depends_on"), dep),
                            service.pos_of(&join_key("depends_on", dep)),
                            message,
                        );
                    }
                }
            }
            for net in service.networks.keys() {
                if net != "default" && !project.networks.contains_key(net) {
                    self.error(
                        file,
                        &join_key(&join_key(&at, "networks"), net),
                        service.pos_of("networks"),
                        format!("service {name:?} refers to undefined network {net:?}"),
                    );
                }
            }
            for (i, mount) in service.volumes.iter().enumerate() {
                if mount.kind == MountKind::Volume
                    && let Some(source) = &mount.source
                    && !project.volumes.contains_key(source)
                {
                    self.error(
                        file,
                        &join_index(&join_key(&at, "volumes"), i),
                        service.pos_of(&join_index("volumes", i)),
                        format!("service {name:?} refers to undefined volume {source:?}"),
                    );
                }
            }
            for (kind, mounts, defined) in [
                ("secret", &service.secrets, &project.secrets),
                ("config", &service.configs, &project.configs),
            ] {
                for (i, m) in mounts.iter().enumerate() {
                    if !defined.contains_key(&m.source) {
                        self.error(
                            file,
                            &join_index(&join_key(&at, &format!("{kind}s")), i),
                            service.pos_of(&join_index(&format!("{kind}s"), i)),
                            format!("service {name:?} refers to undefined {kind} {:?}", m.source),
                        );
                    }
                }
            }
            for port in &service.ports {
                let i = port.item;
                let pos = service.pos_of(&join_index("ports", i));
                let Some(p) = &port.published else { continue };
                let Some((low, high)) = port_range(p) else {
                    self.error(
                        file,
                        &join_index(&join_key(&at, "ports"), i),
                        pos,
                        format!(
                            "published port {p:?} is not a port or range like 8080 or 8000-8010"
                        ),
                    );
                    continue;
                };
                let here = join_index(&join_key(&at, "ports"), i);
                for number in low..=high.min(low + 1024) {
                    let host = port.host_ip.clone().unwrap_or_default();
                    let key = (host, port.protocol.clone(), number);
                    if let Some(first) = published.get(&key) {
                        if *first != here {
                            self.error(
                                file,
                                &here,
                                pos,
                                format!(
                                    "host port {number}/{} is already published by {first}",
                                    port.protocol
                                ),
                            );
                        }
                    } else {
                        published.insert(key, here.clone());
                    }
                }
            }
        }
        self.check_cycles(file, project);
    }

    fn check_cycles(&mut self, file: &str, project: &Project) {
        let mut reported: BTreeSet<Vec<String>> = BTreeSet::new();
        for start in project.services.keys() {
            let mut path = vec![start.clone()];
            if let Some(cycle) = find_cycle(project, &mut path) {
                let mut canonical = cycle.clone();
                canonical.pop();
                canonical.sort();
                if reported.insert(canonical) {
                    let pos = project
                        .services
                        .get(&cycle[0])
                        .map(|s| s.pos)
                        .unwrap_or_default();
                    let message = format!("dependency cycle detected: {}", cycle.join(" -> "));
                    self.error(
                        file,
                        &join_key(&join_key("services", &cycle[0]), "depends_on"),
                        pos,
                        message,
                    );
                }
            }
        }
    }
}

/// The entries of the top-level mapping `name` (none when it is absent or not a mapping).
fn entries_of<'n>(doc: &'n Node, name: &str) -> &'n [(Key, Node)] {
    doc.get(name).and_then(Node::entries).unwrap_or_default()
}

/// The top-level mapping `name`, each entry read by `read` with its path.
fn section<T>(
    doc: &Node,
    name: &str,
    mut read: impl FnMut(&str, &Node) -> T,
) -> BTreeMap<String, T> {
    entries_of(doc, name)
        .iter()
        .map(|(key, node)| (key.name.clone(), read(&join_key(name, &key.name), node)))
        .collect()
}

fn find_cycle(project: &Project, path: &mut Vec<String>) -> Option<Vec<String>> {
    let current = path.last()?.clone();
    let service = project.services.get(&current)?;
    for dep in service.dependencies() {
        if let Some(i) = path.iter().position(|p| p == dep) {
            if i == 0 {
                let mut cycle = path.clone();
                cycle.push(dep.to_owned());
                return Some(cycle);
            }
            continue;
        }
        path.push(dep.to_owned());
        if let Some(c) = find_cycle(project, path) {
            return Some(c);
        }
        path.pop();
    }
    None
}

fn bare_reference(s: &str, name: &str) -> bool {
    let needle = format!("${name}");
    s.match_indices(&needle).any(|(i, _)| {
        let before_escaped = i > 0 && s[..i].ends_with('$');
        let after = s[i + needle.len()..].chars().next();
        !before_escaped && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

fn port_range(text: &str) -> Option<(u32, u32)> {
    let (a, b) = text.split_once('-').unwrap_or((text, text));
    let low: u32 = a.trim().parse().ok()?;
    let high: u32 = b.trim().parse().ok()?;
    (low <= high && high <= 65535).then_some((low, high))
}

/// Checks `[registry[:port]/]name[/name…][:tag][@algo:hex]` the way the engine parses references.
pub fn check_image_reference(image: &str) -> Result<(), String> {
    if image.is_empty() {
        return Err("it is empty".into());
    }
    if image.chars().any(char::is_whitespace) {
        return Err("it contains whitespace".into());
    }
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    if let Some(d) = digest {
        let ok = d.split_once(':').is_some_and(|(algo, hex)| {
            !algo.is_empty()
                && algo
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+._-".contains(c))
                && hex.len() >= 32
                && hex.chars().all(|c| c.is_ascii_hexdigit())
        });
        if !ok {
            return Err(format!(
                "the digest {d:?} is not like sha256:<64 hex digits>"
            ));
        }
    }
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(tag) = tag {
        let ok = !tag.is_empty()
            && tag.len() <= 128
            && tag
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !ok {
            return Err(format!(
                "the tag {tag:?} may only hold letters, digits, '_', '.' and '-' (at most 128)"
            ));
        }
    }
    let mut components: Vec<&str> = name.split('/').collect();
    if components.len() > 1 {
        let first = components[0];
        if first.contains(['.', ':'])
            || first == "localhost"
            || first.chars().any(|c| c.is_ascii_uppercase())
        {
            components.remove(0);
        }
    }
    for component in components {
        if component.is_empty() {
            return Err("a path component is empty".into());
        }
        if component.chars().any(|c| c.is_ascii_uppercase()) {
            return Err("the repository name must be lowercase".into());
        }
        let valid_chars = component
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        let edges = component
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && component
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_alphanumeric());
        if !valid_chars || !edges {
            return Err(format!(
                "{component:?} is not a valid repository name component"
            ));
        }
    }
    Ok(())
}

fn without_key(node: &Node, key: &str) -> Node {
    let mut copy = node.clone();
    if let Value::Map(entries) = &mut copy.value {
        entries.retain(|(k, _)| k.name != key);
    }
    copy
}

/// Whether `path` is a local path relative to a folder (not absolute, home-based or remote).
fn is_relative_path(path: &str) -> bool {
    !path.is_empty() && !path.starts_with(['/', '~']) && !is_remote(path)
}

/// A copy of `service` whose relative paths (bind mounts, env files), written relative to the
/// folder `from`, are rewritten relative to the folder `to`, so that they still name the same
/// files once the service sits in a file of another folder.
fn rebase_paths(service: &Node, from: &str, to: &str) -> Node {
    let mut copy = service.clone();
    if from != to {
        rebase_service(&mut copy, from, to);
    }
    copy
}

fn rebase_service(service: &mut Node, from: &str, to: &str) {
    let rebase = |s: &mut String| {
        if is_relative_path(s) {
            *s = relative_to(from, s, to);
        }
    };
    let Value::Map(entries) = &mut service.value else {
        return;
    };
    for (k, v) in entries.iter_mut() {
        match (k.name.as_str(), &mut v.value) {
            ("volumes", Value::Seq(items)) => {
                for item in items {
                    let bind = item.get("type").and_then(Node::as_str) == Some("bind");
                    match &mut item.value {
                        // Short syntax: only a source that starts with `.` is a relative path;
                        // a bare name is a named volume.
                        Value::Str(s) => {
                            if let Some((src, rest)) = s.split_once(':')
                                && src.starts_with('.')
                            {
                                *s = format!("{}:{rest}", relative_to(from, src, to));
                            }
                        }
                        Value::Map(fields) if bind => {
                            for (fk, fv) in fields.iter_mut() {
                                if let ("source", Value::Str(src)) =
                                    (fk.name.as_str(), &mut fv.value)
                                {
                                    rebase(src);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            ("env_file", Value::Str(s)) => rebase(s),
            ("env_file", Value::Seq(items)) => {
                for item in items {
                    match &mut item.value {
                        Value::Str(s) => rebase(s),
                        Value::Map(fields) => {
                            for (fk, fv) in fields.iter_mut() {
                                if let ("path", Value::Str(p)) = (fk.name.as_str(), &mut fv.value) {
                                    rebase(p);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// Rewrites the relative paths of an included document (its services' and its secrets' and
/// configs' `file`) from the folder `from` to the folder `to`.
fn rebase_document(doc: &mut Node, from: &str, to: &str) {
    if from == to {
        return;
    }
    let Value::Map(top) = &mut doc.value else {
        return;
    };
    for (section, node) in top.iter_mut() {
        let Value::Map(entries) = &mut node.value else {
            continue;
        };
        for (_, entry) in entries.iter_mut() {
            match section.name.as_str() {
                "services" => rebase_service(entry, from, to),
                "secrets" | "configs" => {
                    if let Value::Map(fields) = &mut entry.value {
                        for (fk, fv) in fields.iter_mut() {
                            if let ("file", Value::Str(f)) = (fk.name.as_str(), &mut fv.value)
                                && is_relative_path(f)
                            {
                                *f = relative_to(from, f, to);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Keys whose list form `K=V` is a mapping in disguise; merged per key.
const DICT_KEYS: &[&str] = &[
    "environment",
    "labels",
    "annotations",
    "sysctls",
    "args",
    "extra_hosts",
    "driver_opts",
];
/// Sequences that an override replaces instead of extending.
const REPLACED_SEQS: &[&str] = &["command", "entrypoint", "test"];

/// Merges `over` onto `base` with the Compose rules: mappings per key, command-like sequences
/// replaced, other sequences appended without duplicates, `!override` replaces, `!reset` removes.
pub fn merge_nodes(base: &Node, over: &Node, key: &str) -> Node {
    if over.tag == Some(Tag::Override) {
        let mut o = over.clone();
        o.tag = None;
        return o;
    }
    if over.tag == Some(Tag::Reset) {
        return over.clone();
    }
    if DICT_KEYS.contains(&key)
        && let (Some(b), Some(o)) = (as_dict(base), as_dict(over))
    {
        return merge_maps(&b, &o, over.pos);
    }
    match (&base.value, &over.value) {
        (Value::Map(b), Value::Map(o)) => merge_maps(b, o, over.pos),
        (Value::Seq(b), Value::Seq(o)) if !REPLACED_SEQS.contains(&key) => {
            let mut items = b.clone();
            for item in o {
                let identity = mount_target(item);
                if let Some(target) = identity {
                    items.retain(|x| mount_target(x).as_deref() != Some(target.as_str()));
                } else if items.iter().any(|x| x.to_json() == item.to_json()) {
                    continue;
                }
                items.push(item.clone());
            }
            Node::new(Value::Seq(items), over.pos)
        }
        _ => over.clone(),
    }
}

fn merge_maps(base: &[(Key, Node)], over: &[(Key, Node)], pos: Pos) -> Node {
    let mut entries: Vec<(Key, Node)> = Vec::with_capacity(base.len() + over.len());
    for (k, b) in base {
        match over.iter().find(|(ok, _)| ok.name == k.name) {
            Some((ok, o)) => entries.push((ok.clone(), merge_nodes(b, o, &k.name))),
            None => entries.push((k.clone(), b.clone())),
        }
    }
    for (k, o) in over {
        if !base.iter().any(|(bk, _)| bk.name == k.name) {
            entries.push((k.clone(), o.clone()));
        }
    }
    Node::new(Value::Map(entries), pos)
}

/// The container path of a volume-like entry, which identifies it in a merge.
fn mount_target(item: &Node) -> Option<String> {
    match &item.value {
        Value::Str(s) => {
            let parts: Vec<&str> = s.split(':').collect();
            (parts.len() >= 2).then(|| parts[1].to_owned())
        }
        Value::Map(_) => item.get("target").and_then(Node::scalar_text),
        _ => None,
    }
}

/// A `K=V` list or a mapping, as mapping entries.
fn as_dict(node: &Node) -> Option<Vec<(Key, Node)>> {
    match &node.value {
        Value::Map(entries) => Some(entries.clone()),
        Value::Seq(items) => Some(
            items
                .iter()
                .filter_map(|item| {
                    let text = item.scalar_text()?;
                    let (k, v) = match text.split_once('=') {
                        Some((k, v)) => (k.to_owned(), Value::Str(v.to_owned())),
                        None => (text, Value::Null),
                    };
                    Some((
                        Key {
                            name: k,
                            pos: item.pos,
                        },
                        Node::new(v, item.pos),
                    ))
                })
                .collect(),
        ),
        Value::Null => Some(Vec::new()),
        _ => None,
    }
}

/// Removes every `!reset` entry left after merging.
fn strip_resets(node: &mut Node) {
    match &mut node.value {
        Value::Map(entries) => {
            entries.retain(|(_, v)| v.tag != Some(Tag::Reset));
            for (_, v) in entries.iter_mut() {
                strip_resets(v);
            }
        }
        Value::Seq(items) => {
            items.retain(|v| v.tag != Some(Tag::Reset));
            for v in items.iter_mut() {
                strip_resets(v);
            }
        }
        _ => {}
    }
}

fn merge_included(
    doc: &mut Node,
    included: Node,
    name: &str,
    diags: &mut Vec<Diagnostic>,
    file: &str,
) {
    let Value::Map(top) = &mut doc.value else {
        return;
    };
    for section in ["services", "networks", "volumes", "secrets", "configs"] {
        let Some(theirs) = included.get(section).and_then(Node::entries) else {
            continue;
        };
        if !top.iter().any(|(k, _)| k.name == section) {
            top.push((
                Key {
                    name: section.to_owned(),
                    pos: doc.pos,
                },
                Node::new(Value::Map(Vec::new()), doc.pos),
            ));
        }
        let Some((_, ours)) = top.iter_mut().find(|(k, _)| k.name == section) else {
            continue;
        };
        if ours.is_null() {
            ours.value = Value::Map(Vec::new());
        }
        let Value::Map(ours) = &mut ours.value else {
            continue;
        };
        for (k, v) in theirs {
            if let Some((existing, node)) = ours.iter().find(|(e, _)| e.name == k.name) {
                if node.to_json() != v.to_json() {
                    diags.push(
                        Diagnostic::error(
                            join_key(section, &k.name),
                            existing.pos,
                            format!(
                                "{section}.{} is defined here and also in the included file {name}",
                                k.name
                            ),
                        )
                        .in_file(file),
                    );
                }
                continue;
            }
            ours.push((k.clone(), v.clone()));
        }
    }
}

/// One of the env file formats of [`dotenv`].
type DotenvParser =
    fn(&str, &dyn Fn(&str) -> Option<String>) -> Result<Vec<(String, String)>, dotenv::DotenvError>;

/// A file named in the document, its variables interpolated, with where it is written.
struct Reference {
    text: String,
    pos: Pos,
    path: String,
}

/// One `include` item.
#[derive(Default)]
struct IncludeEntry {
    /// Where the item is.
    path: String,
    pos: Pos,
    /// The project's files; later ones override earlier ones.
    files: Vec<Reference>,
    /// Where the project's relative paths start; the first file's folder when absent.
    project_directory: Option<Reference>,
    /// The env files for the project's variables.
    env_files: Vec<Reference>,
}

/// Reads typed values out of nodes, reporting what does not fit.
struct Reader<'d, 'o, 'a> {
    file: &'d str,
    diags: &'d mut Vec<Diagnostic>,
    options: &'o Options<'a>,
}

impl Reader<'_, '_, '_> {
    fn error(&mut self, path: &str, pos: Pos, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::error(path, pos, message).in_file(self.file));
    }

    fn warn(&mut self, path: &str, pos: Pos, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::warning(path, pos, message).in_file(self.file));
    }

    fn text(&mut self, path: &str, node: &Node) -> Option<String> {
        if node.is_null() {
            return None;
        }
        let text = node.scalar_text();
        if text.is_none() {
            self.error(path, node.pos, format!("must be text, not {}", node.kind()));
        }
        text
    }

    fn boolean(&mut self, path: &str, node: &Node) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => self.text_as(path, node, "true or false", |s| {
                match s.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "y" | "on" | "1" => Some(true),
                    "false" | "no" | "n" | "off" | "0" | "" => Some(false),
                    _ => None,
                }
            }),
        }
    }

    fn integer(&mut self, path: &str, node: &Node) -> Option<i64> {
        match node.value {
            Value::Int(i) => Some(i),
            #[allow(clippy::cast_possible_truncation)]
            Value::Float(f) if f.fract() == 0.0 => Some(f as i64),
            _ => self.text_as(path, node, "a whole number", |s| s.trim().parse().ok()),
        }
    }

    fn float(&mut self, path: &str, node: &Node) -> Option<f64> {
        match node.value {
            #[allow(clippy::cast_precision_loss)]
            Value::Int(i) => Some(i as f64),
            Value::Float(f) => Some(f),
            Value::Str(_) | Value::Null => {
                self.text_as(path, node, "a number", |s| s.trim().parse().ok())
            }
            // A boolean, list or mapping is left to the schema, which reports it.
            _ => None,
        }
    }

    /// A value YAML did not type as `what` ("true or false", "a whole number"): a string is
    /// read by `parse`, null is absent, and what `parse` refuses or is not a string is reported.
    fn text_as<T>(
        &mut self,
        path: &str,
        node: &Node,
        what: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        match &node.value {
            Value::Str(s) => {
                let value = parse(s);
                if value.is_none() {
                    self.error(path, node.pos, format!("{s:?} is not {what}"));
                }
                value
            }
            Value::Null => None,
            _ => {
                self.error(
                    path,
                    node.pos,
                    format!("must be {what}, not {}", node.kind()),
                );
                None
            }
        }
    }

    /// A scalar's text read by `parse`, whose error is reported.
    fn parsed<T>(
        &mut self,
        path: &str,
        node: &Node,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = self.text(path, node)?;
        parse(&text)
            .map_err(|why| self.error(path, node.pos, why))
            .ok()
    }

    fn duration(&mut self, path: &str, node: &Node) -> Option<i64> {
        self.parsed(path, node, parse_duration)
    }

    fn bytes(&mut self, path: &str, node: &Node) -> Option<i64> {
        match node.value {
            Value::Int(i) => Some(i),
            _ => self.parsed(path, node, parse_bytes),
        }
    }

    /// The value under `key` of the mapping `node`, read by `read`; `None` when absent.
    fn field<T>(
        &mut self,
        path: &str,
        node: &Node,
        key: &str,
        read: impl FnOnce(&mut Self, &str, &Node) -> Option<T>,
    ) -> Option<T> {
        let value = node.get(key)?;
        read(self, &join_key(path, key), value)
    }

    /// A string or a list of strings.
    fn strings(&mut self, path: &str, node: &Node) -> Vec<String> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, n)| self.text(&join_index(path, i), n))
                .collect(),
            Value::Null => Vec::new(),
            _ => self.text(path, node).into_iter().collect(),
        }
    }

    /// A command: a string is split like a shell would; a list is taken as it is.
    fn command(&mut self, path: &str, node: &Node) -> Option<Vec<String>> {
        match &node.value {
            Value::Null => None,
            Value::Seq(_) => Some(self.strings(path, node)),
            _ => self.parsed(path, node, split_command),
        }
    }

    /// A mapping, or a list of `K<sep>V` strings.
    fn dict(&mut self, path: &str, node: &Node, sep: char) -> BTreeMap<String, Option<String>> {
        let mut out = BTreeMap::new();
        match &node.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    let value = if v.is_null() {
                        None
                    } else {
                        self.text(&join_key(path, &k.name), v)
                    };
                    out.insert(k.name.clone(), value);
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    let Some(text) = self.text(&join_index(path, i), item) else {
                        continue;
                    };
                    match text.split_once(sep) {
                        Some((k, v)) => out.insert(k.trim().to_owned(), Some(v.to_owned())),
                        None => out.insert(text.trim().to_owned(), None),
                    };
                }
            }
            Value::Null => {}
            _ => self.error(
                path,
                node.pos,
                format!("must be a mapping or a list, not {}", node.kind()),
            ),
        }
        out
    }

    fn labels(&mut self, path: &str, node: &Node) -> BTreeMap<String, String> {
        self.dict(path, node, '=')
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect()
    }

    fn host_path(&self, source: &str) -> String {
        let home = self.options.env.get("HOME");
        if let (Some(rest), Some(home)) = (source.strip_prefix('~'), home) {
            return format!("{home}{rest}");
        }
        match &self.options.project_dir {
            Some(dir) if !source.starts_with('/') => join_path(dir, source),
            _ => source.to_owned(),
        }
    }

    fn network(&mut self, path: &str, node: &Node) -> NetworkDef {
        let mut def = NetworkDef {
            pos: node.pos,
            ..NetworkDef::default()
        };
        for (k, v) in node.entries().unwrap_or_default() {
            let p = join_key(path, &k.name);
            match k.name.as_str() {
                "name" => def.name = self.text(&p, v),
                "external" => def.external = external(self, &p, v),
                "driver" => def.driver = self.text(&p, v),
                "driver_opts" => def.driver_opts = self.labels(&p, v),
                "internal" => def.internal = self.boolean(&p, v).unwrap_or(false),
                "attachable" => def.attachable = self.boolean(&p, v).unwrap_or(false),
                "enable_ipv6" => def.enable_ipv6 = self.boolean(&p, v).unwrap_or(false),
                "labels" => def.labels = self.labels(&p, v),
                "ipam" => {
                    for (i, c) in v
                        .get("config")
                        .and_then(Node::items)
                        .unwrap_or_default()
                        .iter()
                        .enumerate()
                    {
                        let at = join_index(&join_key(&p, "config"), i);
                        def.subnets.extend(self.field(&at, c, "subnet", Self::text));
                    }
                }
                _ => {}
            }
        }
        def
    }

    fn volume(&mut self, path: &str, node: &Node) -> VolumeDef {
        let mut def = VolumeDef {
            pos: node.pos,
            ..VolumeDef::default()
        };
        for (k, v) in node.entries().unwrap_or_default() {
            let p = join_key(path, &k.name);
            match k.name.as_str() {
                "name" => def.name = self.text(&p, v),
                "external" => def.external = external(self, &p, v),
                "driver" => def.driver = self.text(&p, v),
                "driver_opts" => def.driver_opts = self.labels(&p, v),
                "labels" => def.labels = self.labels(&p, v),
                _ => {}
            }
        }
        def
    }

    fn file_object(&mut self, path: &str, node: &Node) -> FileObject {
        let mut def = FileObject::default();
        for (k, v) in node.entries().unwrap_or_default() {
            let p = join_key(path, &k.name);
            match k.name.as_str() {
                "name" => def.name = self.text(&p, v),
                "file" => def.file = self.text(&p, v).map(|f| self.host_path(&f)),
                "environment" => def.environment = self.text(&p, v),
                "content" => def.content = self.text(&p, v),
                "external" => def.external = external(self, &p, v),
                _ => {}
            }
        }
        def
    }

    fn service(&mut self, name: &str, pos: Pos, node: &Node) -> Service {
        let at = join_key("services", name);
        let mut s = Service {
            name: name.to_owned(),
            pos,
            replicas: 1,
            ..Service::default()
        };
        let mut env_from_files: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut scale: Option<i64> = None;
        let mut has_networks = false;
        for (k, v) in node.entries().unwrap_or_default() {
            let p = join_key(&at, &k.name);
            record_positions(&mut s.positions, k.name.clone(), v);
            match k.name.as_str() {
                // An empty image (an unset variable, usually) is no image, as in Compose.
                "image" => s.image = self.text(&p, v).filter(|i| !i.is_empty()),
                "build" => s.build = true,
                "provider" => {
                    s.provider = !v.is_null();
                    if s.provider {
                        self.warn(
                            &p,
                            k.pos,
                            "provider is accepted but not applied by Orbitr yet",
                        );
                    }
                }
                "command" => s.command = self.command(&p, v),
                "entrypoint" => s.entrypoint = self.command(&p, v),
                "environment" => {
                    for (key, value) in self.dict(&p, v, '=') {
                        let value = value.or_else(|| self.options.env.get(&key).cloned());
                        s.environment.insert(key, value);
                    }
                }
                "env_file" => self.env_files(&p, v, &mut env_from_files),
                "ports" => self.ports(&p, v, &mut s.ports),
                "expose" => s.expose = self.strings(&p, v),
                "volumes" => self.mounts(&p, v, &mut s.volumes),
                "tmpfs" => s.tmpfs = self.strings(&p, v),
                "networks" => {
                    has_networks = true;
                    s.networks = self.service_networks(&p, v);
                }
                "network_mode" => s.network_mode = self.text(&p, v),
                "depends_on" => s.depends_on = self.depends_on(&p, v),
                "healthcheck" => s.healthcheck = Some(self.healthcheck(&p, v)),
                "restart" => s.restart = self.text(&p, v),
                "labels" => s.labels = self.labels(&p, v),
                "container_name" => s.container_name = self.text(&p, v),
                "hostname" => s.hostname = self.text(&p, v),
                "domainname" => s.domainname = self.text(&p, v),
                "user" => s.user = self.text(&p, v),
                "working_dir" => s.working_dir = self.text(&p, v),
                "platform" => s.platform = self.text(&p, v),
                "pull_policy" => s.pull_policy = self.text(&p, v),
                "privileged" => s.privileged = self.boolean(&p, v).unwrap_or(false),
                "init" => s.init = self.boolean(&p, v),
                "read_only" => s.read_only = self.boolean(&p, v).unwrap_or(false),
                "stdin_open" => s.stdin_open = self.boolean(&p, v).unwrap_or(false),
                "tty" => s.tty = self.boolean(&p, v).unwrap_or(false),
                "cap_add" => s.cap_add = self.strings(&p, v),
                "cap_drop" => s.cap_drop = self.strings(&p, v),
                "devices" => s.devices = self.devices(&p, v),
                "dns" => s.dns = self.strings(&p, v),
                "dns_search" => s.dns_search = self.strings(&p, v),
                "dns_opt" => s.dns_opt = self.strings(&p, v),
                "extra_hosts" => {
                    s.extra_hosts = self
                        .dict(&p, v, '=')
                        .into_iter()
                        .map(|(k, v)| match v {
                            Some(ip) => format!("{k}:{ip}"),
                            None => k,
                        })
                        .collect();
                }
                "security_opt" => s.security_opt = self.strings(&p, v),
                "group_add" => s.group_add = self.strings(&p, v),
                "pid" => s.pid = self.text(&p, v),
                "ipc" => s.ipc = self.text(&p, v),
                "userns_mode" => s.userns_mode = self.text(&p, v),
                "cgroup_parent" => s.cgroup_parent = self.text(&p, v),
                "runtime" => s.runtime = self.text(&p, v),
                "mac_address" => s.mac_address = self.text(&p, v),
                "stop_signal" => s.stop_signal = self.text(&p, v),
                "stop_grace_period" => s.stop_grace_period_ns = self.duration(&p, v),
                "shm_size" => s.shm_size = self.bytes(&p, v),
                "mem_limit" => s.mem_limit = self.bytes(&p, v),
                "memswap_limit" => s.memswap_limit = self.bytes(&p, v),
                "mem_reservation" => s.mem_reservation = self.bytes(&p, v),
                "cpus" => s.cpus = self.float(&p, v),
                "cpu_shares" => s.cpu_shares = self.integer(&p, v),
                "pids_limit" => s.pids_limit = self.integer(&p, v),
                "oom_score_adj" => s.oom_score_adj = self.integer(&p, v),
                "ulimits" => s.ulimits = self.ulimits(&p, v),
                "sysctls" => {
                    s.sysctls = self.labels(&p, v);
                }
                "logging" => s.logging = Some(self.logging(&p, v)),
                "secrets" => s.secrets = self.file_mounts(&p, v, "/run/secrets/"),
                "configs" => s.configs = self.file_mounts(&p, v, "/"),
                "scale" => scale = self.integer(&p, v),
                "profiles" => s.profiles = self.strings(&p, v),
                "deploy" => self.deploy(&p, v, &mut s, &mut scale),
                "develop"
                | "x-develop"
                | "annotations"
                | "attach"
                | "external_links"
                | "links"
                | "label_file"
                | "models"
                | "post_start"
                | "pre_stop"
                | "pre_start"
                | "use_api_socket"
                | "gpus"
                | "blkio_config"
                | "credential_spec"
                | "storage_opt"
                | "device_cgroup_rules"
                | "cpu_count"
                | "cpu_percent"
                | "cpu_period"
                | "cpu_quota"
                | "cpu_rt_period"
                | "cpu_rt_runtime"
                | "cpuset"
                | "mem_swappiness"
                | "oom_kill_disable"
                | "isolation"
                | "volumes_from"
                | "uts"
                | "cgroup"
                | "extends"
                | "driver_opts"
                    if !v.is_null() =>
                {
                    let message = format!("{} is accepted but not applied by Orbitr yet", k.name);
                    self.warn(&p, k.pos, message);
                }
                _ => {}
            }
        }
        for (k, v) in env_from_files {
            s.environment.entry(k).or_insert(v);
        }
        if let Some(n) = scale {
            match u32::try_from(n) {
                Ok(n) => s.replicas = n,
                Err(_) => self.error(
                    &join_key(&at, "scale"),
                    pos,
                    format!("{n} is not a number of replicas"),
                ),
            }
        }
        if !has_networks && s.network_mode.is_none() {
            s.networks
                .insert("default".into(), ServiceNetwork::default());
        }
        s
    }

    fn env_files(&mut self, path: &str, node: &Node, into: &mut BTreeMap<String, Option<String>>) {
        let items: Vec<Node> = match &node.value {
            Value::Seq(items) => items.clone(),
            _ => vec![node.clone()],
        };
        let Some(read_file) = self.options.read_file else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let p = join_index(path, i);
            let (file, required, format) = match &item.value {
                Value::Map(_) => (
                    item.get("path").and_then(Node::scalar_text),
                    item.get("required")
                        .is_none_or(|r| r.value != Value::Bool(false)),
                    item.get("format").and_then(Node::scalar_text),
                ),
                _ => (item.scalar_text(), true, None),
            };
            let Some(file) = file else { continue };
            // `raw` is the format docker compose registers besides the default one.
            let parse: DotenvParser = match format.as_deref() {
                None => dotenv::parse,
                Some("raw") => dotenv::parse_raw,
                Some(other) => {
                    let message =
                        format!("unknown env_file format {other:?} (the one Compose knows is raw)");
                    let at = item.get("format").map_or(item.pos, |f| f.pos);
                    self.error(&join_key(&p, "format"), at, message);
                    continue;
                }
            };
            let name = resolve_reference(folder_of(self.file), &file);
            match read_file(&name) {
                Ok(text) => {
                    let env = &self.options.env;
                    match parse(&text, &|n: &str| env.get(n).cloned()) {
                        Ok(pairs) => {
                            for (k, v) in pairs {
                                into.insert(k, Some(v));
                            }
                        }
                        Err(e) => self.error(
                            &p,
                            item.pos,
                            format!("{file}: line {}: {}", e.line, e.message),
                        ),
                    }
                }
                Err(reason) if required => self.error(
                    &p,
                    item.pos,
                    format!("env file {file:?} cannot be read: {reason}"),
                ),
                Err(_) => {}
            }
        }
    }

    fn ports(&mut self, path: &str, node: &Node, into: &mut Vec<Port>) {
        for (i, item) in node.items().unwrap_or_default().iter().enumerate() {
            let p = join_index(path, i);
            match &item.value {
                Value::Map(_) => {
                    let target = self.field(&p, item, "target", Self::integer);
                    let Some(target) = target.and_then(|t| u16::try_from(t).ok()) else {
                        self.error(&p, item.pos, "a port needs a target between 0 and 65535");
                        continue;
                    };
                    let published = self.field(&p, item, "published", Self::text);
                    let host_ip = self.field(&p, item, "host_ip", Self::text);
                    let protocol = item
                        .get("protocol")
                        .and_then(Node::scalar_text)
                        .unwrap_or_else(|| "tcp".into());
                    into.push(Port {
                        target,
                        published,
                        host_ip,
                        protocol,
                        item: i,
                    });
                }
                _ => {
                    let Some(text) = self.text(&p, item) else {
                        continue;
                    };
                    match parse_port(&text) {
                        Ok(ports) => into.extend(ports.into_iter().map(|p| Port { item: i, ..p })),
                        Err(why) => self.error(&p, item.pos, format!("{text:?}: {why}")),
                    }
                }
            }
        }
    }

    fn mounts(&mut self, path: &str, node: &Node, into: &mut Vec<Mount>) {
        for (i, item) in node.items().unwrap_or_default().iter().enumerate() {
            let p = join_index(path, i);
            let mount = match &item.value {
                Value::Map(_) => {
                    let kind = match item.get("type").and_then(Node::as_str).unwrap_or("volume") {
                        "bind" => MountKind::Bind,
                        "tmpfs" => MountKind::Tmpfs,
                        "volume" => MountKind::Volume,
                        other => {
                            self.warn(
                                &p,
                                item.pos,
                                format!("mounts of type {other:?} are not applied by Orbitr"),
                            );
                            continue;
                        }
                    };
                    let Some(target) = self.field(&p, item, "target", Self::text) else {
                        self.error(&p, item.pos, "a mount needs a target");
                        continue;
                    };
                    let source = self.field(&p, item, "source", Self::text);
                    let source = match kind {
                        MountKind::Bind => source.map(|s| self.host_path(&s)),
                        _ => source,
                    };
                    let read_only = self
                        .field(&p, item, "read_only", Self::boolean)
                        .unwrap_or(false);
                    Mount {
                        kind,
                        source,
                        target,
                        read_only,
                    }
                }
                _ => {
                    let Some(text) = self.text(&p, item) else {
                        continue;
                    };
                    match parse_volume(&text) {
                        Ok(mut m) => {
                            if m.kind == MountKind::Bind {
                                m.source = m.source.map(|s| self.host_path(&s));
                            }
                            m
                        }
                        Err(why) => {
                            self.error(&p, item.pos, format!("{text:?}: {why}"));
                            continue;
                        }
                    }
                }
            };
            into.push(mount);
        }
    }

    fn service_networks(&mut self, path: &str, node: &Node) -> BTreeMap<String, ServiceNetwork> {
        let mut out = BTreeMap::new();
        match &node.value {
            Value::Seq(_) => {
                for name in self.strings(path, node) {
                    out.insert(name, ServiceNetwork::default());
                }
            }
            Value::Map(entries) => {
                for (k, v) in entries {
                    let p = join_key(path, &k.name);
                    let mut n = ServiceNetwork::default();
                    if let Some(a) = v.get("aliases") {
                        n.aliases = self.strings(&join_key(&p, "aliases"), a);
                    }
                    n.ipv4_address = self.field(&p, v, "ipv4_address", Self::text);
                    n.ipv6_address = self.field(&p, v, "ipv6_address", Self::text);
                    out.insert(k.name.clone(), n);
                }
            }
            _ => {}
        }
        out
    }

    fn depends_on(&mut self, path: &str, node: &Node) -> BTreeMap<String, Dependency> {
        let plain = Dependency {
            condition: Condition::ServiceStarted,
            restart: false,
            required: true,
        };
        let mut out = BTreeMap::new();
        match &node.value {
            Value::Seq(_) => {
                for name in self.strings(path, node) {
                    out.insert(name, plain.clone());
                }
            }
            Value::Map(entries) => {
                for (k, v) in entries {
                    let p = join_key(path, &k.name);
                    let mut d = plain.clone();
                    if let Some(c) = v.get("condition") {
                        d.condition = match c.as_str() {
                            Some("service_started") => Condition::ServiceStarted,
                            Some("service_healthy") => Condition::ServiceHealthy,
                            Some("service_completed_successfully") => {
                                Condition::ServiceCompletedSuccessfully
                            }
                            _ => {
                                self.error(&join_key(&p, "condition"), c.pos, "condition must be service_started, service_healthy or service_completed_successfully");
                                Condition::ServiceStarted
                            }
                        };
                    }
                    d.restart = self.field(&p, v, "restart", Self::boolean).unwrap_or(false);
                    d.required = self.field(&p, v, "required", Self::boolean).unwrap_or(true);
                    out.insert(k.name.clone(), d);
                }
            }
            _ => {}
        }
        out
    }

    fn healthcheck(&mut self, path: &str, node: &Node) -> Healthcheck {
        let mut h = Healthcheck::default();
        for (k, v) in node.entries().unwrap_or_default() {
            let p = join_key(path, &k.name);
            match k.name.as_str() {
                "test" => {
                    h.test = match &v.value {
                        Value::Seq(_) => self.strings(&p, v),
                        _ => self
                            .text(&p, v)
                            .map(|t| vec!["CMD-SHELL".to_owned(), t])
                            .unwrap_or_default(),
                    };
                }
                "interval" => h.interval_ns = self.duration(&p, v),
                "timeout" => h.timeout_ns = self.duration(&p, v),
                "start_period" => h.start_period_ns = self.duration(&p, v),
                "start_interval" => h.start_interval_ns = self.duration(&p, v),
                "retries" => h.retries = self.integer(&p, v),
                "disable" => h.disable = self.boolean(&p, v).unwrap_or(false),
                _ => {}
            }
        }
        if h.disable {
            h.test = vec!["NONE".into()];
        }
        h
    }

    fn devices(&mut self, path: &str, node: &Node) -> Vec<String> {
        let mut out = Vec::new();
        for (i, item) in node.items().unwrap_or_default().iter().enumerate() {
            let p = join_index(path, i);
            match &item.value {
                Value::Map(_) => {
                    let source = item
                        .get("source")
                        .and_then(Node::scalar_text)
                        .unwrap_or_default();
                    let target = item
                        .get("target")
                        .and_then(Node::scalar_text)
                        .unwrap_or_else(|| source.clone());
                    let perms = item
                        .get("permissions")
                        .and_then(Node::scalar_text)
                        .unwrap_or_else(|| "rwm".into());
                    out.push(format!("{source}:{target}:{perms}"));
                }
                _ => out.extend(self.text(&p, item)),
            }
        }
        out
    }

    fn ulimits(&mut self, path: &str, node: &Node) -> BTreeMap<String, (i64, i64)> {
        let mut out = BTreeMap::new();
        for (k, v) in node.entries().unwrap_or_default() {
            let p = join_key(path, &k.name);
            let pair = match &v.value {
                Value::Map(_) => {
                    let soft = self.field(&p, v, "soft", Self::integer);
                    let hard = self.field(&p, v, "hard", Self::integer);
                    soft.zip(hard)
                }
                _ => self.integer(&p, v).map(|n| (n, n)),
            };
            if let Some(pair) = pair {
                out.insert(k.name.clone(), pair);
            }
        }
        out
    }

    fn logging(&mut self, path: &str, node: &Node) -> Logging {
        Logging {
            driver: self.field(path, node, "driver", Self::text),
            options: node
                .get("options")
                .map(|o| self.labels(&join_key(path, "options"), o))
                .unwrap_or_default(),
        }
    }

    fn file_mounts(&mut self, path: &str, node: &Node, default_dir: &str) -> Vec<FileMount> {
        let mut out = Vec::new();
        for (i, item) in node.items().unwrap_or_default().iter().enumerate() {
            let p = join_index(path, i);
            let (source, target) = match &item.value {
                Value::Map(_) => (
                    item.get("source").and_then(Node::scalar_text),
                    item.get("target").and_then(Node::scalar_text),
                ),
                _ => (self.text(&p, item), None),
            };
            let Some(source) = source else { continue };
            let target = match target {
                Some(t) if t.starts_with('/') => t,
                Some(t) => format!("{default_dir}{t}"),
                None => format!("{default_dir}{source}"),
            };
            out.push(FileMount { source, target });
        }
        out
    }

    fn deploy(&mut self, path: &str, node: &Node, s: &mut Service, scale: &mut Option<i64>) {
        if let Some(n) = self.field(path, node, "replicas", Self::integer) {
            *scale = Some(n);
        }
        let resources = join_key(path, "resources");
        if let Some(limits) = node.get("resources").and_then(|r| r.get("limits")) {
            let p = join_key(&resources, "limits");
            s.cpus = self.field(&p, limits, "cpus", Self::float).or(s.cpus);
            s.mem_limit = self
                .field(&p, limits, "memory", Self::bytes)
                .or(s.mem_limit);
            s.pids_limit = self
                .field(&p, limits, "pids", Self::integer)
                .or(s.pids_limit);
        }
        if let Some(reservations) = node.get("resources").and_then(|r| r.get("reservations")) {
            let p = join_key(&resources, "reservations");
            s.mem_reservation = self
                .field(&p, reservations, "memory", Self::bytes)
                .or(s.mem_reservation);
        }
    }
}

/// Where `node` and everything written inside it is, by path relative to the service
/// (`volumes[1].bind.propagation`): for diagnostics, and so the policy sees every field written.
fn record_positions(into: &mut BTreeMap<String, Pos>, path: String, node: &Node) {
    match &node.value {
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                record_positions(into, join_index(&path, i), item);
            }
        }
        Value::Map(entries) => {
            for (k, v) in entries {
                record_positions(into, join_key(&path, &k.name), v);
            }
        }
        _ => {}
    }
    into.insert(path, node.pos);
}

fn external(r: &mut Reader, path: &str, node: &Node) -> bool {
    match &node.value {
        Value::Map(_) => true,
        _ => r.boolean(path, node).unwrap_or(false),
    }
}

/// Short port syntax: `[host_ip:][published:]target[/protocol]`, ranges on both sides.
pub fn parse_port(text: &str) -> Result<Vec<Port>, String> {
    let (spec, protocol) = match text.rsplit_once('/') {
        Some((s, p)) => (s, p.to_owned()),
        None => (text, "tcp".to_owned()),
    };
    if !["tcp", "udp", "sctp"].contains(&protocol.as_str()) {
        return Err(format!("unknown protocol {protocol:?} (tcp, udp or sctp)"));
    }
    // An IPv6 host address is bracketed: `[::1]:8080:80`.
    let (host_ip, rest) = if let Some(r) = spec.strip_prefix('[') {
        let (ip, r) = r
            .split_once("]:")
            .ok_or("an IPv6 address needs a closing ']' followed by ':'")?;
        (Some(ip.to_owned()), r)
    } else {
        let parts: Vec<&str> = spec.split(':').collect();
        match parts.len() {
            1 | 2 => (None, spec),
            3 => (Some(parts[0].to_owned()), &spec[parts[0].len() + 1..]),
            _ => return Err("too many ':' (use [ip]:published:target)".into()),
        }
    };
    let (published, target) = match rest.split_once(':') {
        Some((p, t)) => (if p.is_empty() { None } else { Some(p) }, t),
        None => (None, rest),
    };
    let (t_low, t_high) =
        port_range(target).ok_or_else(|| format!("{target:?} is not a port or range"))?;
    let published_range = match published {
        Some(p) => Some(port_range(p).ok_or_else(|| format!("{p:?} is not a port or range"))?),
        None => None,
    };
    let count = t_high - t_low;
    let mut out = Vec::new();
    for offset in 0..=count {
        let target = u16::try_from(t_low + offset).map_err(|_| "port out of range")?;
        let published = match published_range {
            None => None,
            Some((lo, hi)) if hi - lo == count => Some((lo + offset).to_string()),
            Some((lo, hi)) if count == 0 => Some(if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}-{hi}")
            }),
            Some(_) => return Err("the published and target ranges have different lengths".into()),
        };
        out.push(Port {
            target,
            published,
            host_ip: host_ip.clone().filter(|h| !h.is_empty()),
            protocol: protocol.clone(),
            item: 0,
        });
    }
    Ok(out)
}

/// Short volume syntax: `[source:]target[:mode]`; a source that looks like a path is a bind.
pub fn parse_volume(text: &str) -> Result<Mount, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [target] => (None, *target, ""),
        [source, target] => (Some(*source), *target, ""),
        [source, target, mode] => (Some(*source), *target, *mode),
        _ => return Err("too many ':' (use source:target[:ro])".into()),
    };
    if source == Some("") {
        // Usually `${VAR}:/path` with VAR unset; Compose refuses it as well.
        return Err("the host path or volume name before ':' is empty".into());
    }
    if !target.starts_with('/') {
        return Err(format!("the container path {target:?} must be absolute"));
    }
    let mut read_only = false;
    for flag in mode.split(',').filter(|f| !f.is_empty()) {
        match flag {
            "ro" => read_only = true,
            "rw" | "z" | "Z" | "cached" | "delegated" | "consistent" | "nocopy" | "shared"
            | "slave" | "private" | "rshared" | "rslave" | "rprivate" => {}
            other => return Err(format!("unknown mount option {other:?}")),
        }
    }
    let kind = match source {
        Some(s) if s.starts_with(['/', '.', '~']) => MountKind::Bind,
        _ => MountKind::Volume,
    };
    Ok(Mount {
        kind,
        source: source.map(str::to_owned),
        target: target.to_owned(),
        read_only,
    })
}

/// Interpolation variables for a stack: the `.env` file's values over the caller's extra ones.
pub fn environment_from_dotenv(
    text: &str,
    extra: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Diagnostic> {
    let lookup = |n: &str| extra.get(n).cloned();
    let pairs = dotenv::parse(text, &lookup).map_err(|e| {
        let line = u32::try_from(e.line).unwrap_or(u32::MAX);
        Diagnostic::error("", Pos::new(line, 1), e.message).in_file(".env")
    })?;
    let mut env = extra.clone();
    env.extend(pairs);
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_references_are_told_from_paths() {
        for remote in [
            "https://example.com/compose.yaml",
            "oci://registry/app:1",
            "git@github.com:org/repo.git",
            "remote:cycle/compose.yaml",
        ] {
            assert!(is_remote(remote), "{remote}");
        }
        for path in [
            "./a:b.yaml",
            "sub/compose.yaml",
            "C:/stack/compose.yaml",
            "a:",
            "/x:y",
        ] {
            assert!(!is_remote(path), "{path}");
        }
    }

    #[test]
    fn paths_move_between_folders() {
        assert_eq!(relative_to("sub", "./data", ""), "./sub/data");
        assert_eq!(relative_to("sub", "app.env", ""), "./sub/app.env");
        assert_eq!(relative_to("a/b", "../c/x", "a"), "./c/x");
        assert_eq!(relative_to("lib", "x", "stack"), "../lib/x");
        assert_eq!(relative_to("sub", ".", "sub"), ".");
        assert_eq!(relative_to("/srv/lib", "x", "/srv/app"), "../lib/x");
        // Out of a folder whose parent is unknown, the path stays as joined.
        assert_eq!(relative_to("x", "y", "../z"), "x/y");
        assert_eq!(relative_to("remote:lib", "./env", ""), "remote:lib/env");
    }
}
