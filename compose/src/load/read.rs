//! Reading a checked document into the normalized model, one section and field at a time.

use super::*;

/// One of the env file formats of [`dotenv`].
pub(super) type DotenvParser =
    fn(&str, &dyn Fn(&str) -> Option<String>) -> Result<Vec<(String, String)>, dotenv::DotenvError>;

/// A file named in the document, its variables interpolated, with where it is written.
pub(super) struct Reference {
    pub(super) text: String,
    pub(super) pos: Pos,
    pub(super) path: String,
}

/// One `include` item.
#[derive(Default)]
pub(super) struct IncludeEntry {
    /// Where the item is.
    pub(super) path: String,
    pub(super) pos: Pos,
    /// The project's files; later ones override earlier ones.
    pub(super) files: Vec<Reference>,
    /// Where the project's relative paths start; the first file's folder when absent.
    pub(super) project_directory: Option<Reference>,
    /// The env files for the project's variables.
    pub(super) env_files: Vec<Reference>,
}

/// Reads typed values out of nodes, reporting what does not fit.
pub(super) struct Reader<'d, 'o, 'a> {
    pub(super) file: &'d str,
    pub(super) diags: &'d mut Vec<Diagnostic>,
    pub(super) options: &'o Options<'a>,
}

impl Reader<'_, '_, '_> {
    pub(super) fn error(&mut self, path: &str, pos: Pos, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::error(path, pos, message).in_file(self.file));
    }

    pub(super) fn warn(&mut self, path: &str, pos: Pos, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::warning(path, pos, message).in_file(self.file));
    }

    pub(super) fn text(&mut self, path: &str, node: &Node) -> Option<String> {
        if node.is_null() {
            return None;
        }
        let text = node.scalar_text();
        if text.is_none() {
            self.error(path, node.pos, format!("must be text, not {}", node.kind()));
        }
        text
    }

    pub(super) fn boolean(&mut self, path: &str, node: &Node) -> Option<bool> {
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

    pub(super) fn integer(&mut self, path: &str, node: &Node) -> Option<i64> {
        match node.value {
            Value::Int(i) => Some(i),
            #[allow(clippy::cast_possible_truncation)]
            Value::Float(f) if f.fract() == 0.0 => Some(f as i64),
            _ => self.text_as(path, node, "a whole number", |s| s.trim().parse().ok()),
        }
    }

    pub(super) fn float(&mut self, path: &str, node: &Node) -> Option<f64> {
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
    pub(super) fn text_as<T>(
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
    pub(super) fn parsed<T>(
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

    pub(super) fn duration(&mut self, path: &str, node: &Node) -> Option<i64> {
        self.parsed(path, node, parse_duration)
    }

    pub(super) fn bytes(&mut self, path: &str, node: &Node) -> Option<i64> {
        match node.value {
            Value::Int(i) => Some(i),
            _ => self.parsed(path, node, parse_bytes),
        }
    }

    /// The value under `key` of the mapping `node`, read by `read`; `None` when absent.
    pub(super) fn field<T>(
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
    pub(super) fn strings(&mut self, path: &str, node: &Node) -> Vec<String> {
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
    pub(super) fn command(&mut self, path: &str, node: &Node) -> Option<Vec<String>> {
        match &node.value {
            Value::Null => None,
            Value::Seq(_) => Some(self.strings(path, node)),
            _ => self.parsed(path, node, split_command),
        }
    }

    /// A mapping, or a list of `K<sep>V` strings.
    pub(super) fn dict(
        &mut self,
        path: &str,
        node: &Node,
        sep: char,
    ) -> BTreeMap<String, Option<String>> {
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

    pub(super) fn labels(&mut self, path: &str, node: &Node) -> BTreeMap<String, String> {
        self.dict(path, node, '=')
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect()
    }

    pub(super) fn host_path(&self, source: &str) -> String {
        let home = self.options.env.get("HOME");
        if let (Some(rest), Some(home)) = (source.strip_prefix('~'), home) {
            return format!("{home}{rest}");
        }
        match &self.options.project_dir {
            Some(dir) if !source.starts_with('/') => join_path(dir, source),
            _ => source.to_owned(),
        }
    }

    pub(super) fn network(&mut self, path: &str, node: &Node) -> NetworkDef {
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

    pub(super) fn volume(&mut self, path: &str, node: &Node) -> VolumeDef {
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

    pub(super) fn file_object(&mut self, path: &str, node: &Node) -> FileObject {
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

    pub(super) fn service(&mut self, name: &str, pos: Pos, node: &Node) -> Service {
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

    pub(super) fn env_files(
        &mut self,
        path: &str,
        node: &Node,
        into: &mut BTreeMap<String, Option<String>>,
    ) {
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

    pub(super) fn ports(&mut self, path: &str, node: &Node, into: &mut Vec<Port>) {
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

    pub(super) fn mounts(&mut self, path: &str, node: &Node, into: &mut Vec<Mount>) {
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

    pub(super) fn service_networks(
        &mut self,
        path: &str,
        node: &Node,
    ) -> BTreeMap<String, ServiceNetwork> {
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

    pub(super) fn depends_on(&mut self, path: &str, node: &Node) -> BTreeMap<String, Dependency> {
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

    pub(super) fn healthcheck(&mut self, path: &str, node: &Node) -> Healthcheck {
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

    pub(super) fn devices(&mut self, path: &str, node: &Node) -> Vec<String> {
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

    pub(super) fn ulimits(&mut self, path: &str, node: &Node) -> BTreeMap<String, (i64, i64)> {
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

    pub(super) fn logging(&mut self, path: &str, node: &Node) -> Logging {
        Logging {
            driver: self.field(path, node, "driver", Self::text),
            options: node
                .get("options")
                .map(|o| self.labels(&join_key(path, "options"), o))
                .unwrap_or_default(),
        }
    }

    pub(super) fn file_mounts(
        &mut self,
        path: &str,
        node: &Node,
        default_dir: &str,
    ) -> Vec<FileMount> {
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

    pub(super) fn deploy(
        &mut self,
        path: &str,
        node: &Node,
        s: &mut Service,
        scale: &mut Option<i64>,
    ) {
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
pub(super) fn record_positions(into: &mut BTreeMap<String, Pos>, path: String, node: &Node) {
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

pub(super) fn external(r: &mut Reader, path: &str, node: &Node) -> bool {
    match &node.value {
        Value::Map(_) => true,
        _ => r.boolean(path, node).unwrap_or(false),
    }
}
