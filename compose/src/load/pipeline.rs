//! The loading pipeline itself: `include`, interpolation, `extends`, `!reset`/`!override`,
//! profiles, then the model and its semantic checks.

use super::*;

impl Loader<'_, '_> {
    pub(super) fn error(&mut self, file: &str, path: &str, pos: Pos, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::error(path, pos, message).in_file(file));
    }

    pub(super) fn warn(&mut self, file: &str, path: &str, pos: Pos, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::warning(path, pos, message).in_file(file));
    }

    pub(super) fn run(&mut self, file: &str, text: &str) -> Option<Project> {
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
    pub(super) fn parse(&mut self, file: &str, text: &str) -> Option<Node> {
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
    pub(super) fn interpolate_tree(&mut self, file: &str, path: &str, node: &mut Node) {
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

    pub(super) fn read(
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
    pub(super) fn includes(&mut self, file: &str, folder: &str, doc: &mut Node) {
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
    pub(super) fn include_entry(&mut self, file: &str, path: &str, item: &Node) -> IncludeEntry {
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
    pub(super) fn references(&mut self, file: &str, path: &str, node: &Node) -> Vec<Reference> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| self.reference(file, &join_index(path, i), item))
                .collect(),
            _ => self.reference(file, path, node).into_iter().collect(),
        }
    }

    pub(super) fn reference(&mut self, file: &str, path: &str, node: &Node) -> Option<Reference> {
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
    pub(super) fn include(
        &mut self,
        file: &str,
        folder: &str,
        doc: &mut Node,
        entry: &IncludeEntry,
    ) {
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
    pub(super) fn include_env(
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
    pub(super) fn resolve_extends(&mut self, file: &str, folder: &str, doc: &mut Node) {
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
    pub(super) fn extend(
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

    pub(super) fn build_project(&mut self, file: &str, doc: &Node) -> Project {
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
    pub(super) fn check(&mut self, file: &str, project: &Project) {
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

    pub(super) fn check_cycles(&mut self, file: &str, project: &Project) {
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
