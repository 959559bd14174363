//! Building the service

use super::*;

/// A network the container joins (`--network`), with its per-network settings.
#[derive(Debug, Clone)]
pub(super) struct NetworkRequest {
    pub(super) name: String,
    pub(super) aliases: Vec<String>,
    pub(super) addresses: Vec<(&'static str, String)>,
    pub(super) ctx: Ctx,
}

/// A named volume to declare at the top level.
#[derive(Debug, Clone, Default)]
pub(super) struct VolumeDecl {
    pub(super) name: String,
    pub(super) driver: Option<String>,
    pub(super) driver_opts: Vec<(String, String)>,
    pub(super) labels: Vec<String>,
}

#[derive(Debug, Default)]
pub(super) struct Builder {
    pub(super) fields: BTreeMap<&'static str, Node>,
    pub(super) name: Option<String>,
    pub(super) networks: Vec<NetworkRequest>,
    pub(super) aliases: Vec<String>,
    pub(super) addresses: Vec<(&'static str, String)>,
    pub(super) addressing: Option<Ctx>,
    pub(super) volumes: Vec<VolumeDecl>,
    pub(super) ulimits: Vec<(String, Node)>,
    pub(super) log_driver: Option<String>,
    pub(super) log_opts: Vec<(String, String)>,
    pub(super) health: Vec<(&'static str, Node)>,
    pub(super) health_ctx: Option<Ctx>,
    pub(super) no_healthcheck: Option<Ctx>,
    pub(super) warnings: Vec<String>,
    pub(super) pwd_warned: bool,
    pub(super) variables_warned: bool,
}

pub(super) fn replace_or_push<K: PartialEq, T>(entries: &mut Vec<(K, T)>, key: K, value: T) {
    match entries.iter_mut().find(|(k, _)| *k == key) {
        Some(entry) => entry.1 = value,
        None => entries.push((key, value)),
    }
}

impl Builder {
    pub(super) fn warn(&mut self, message: impl Into<String>) {
        let message = message.into();
        if !self.warnings.contains(&message) {
            self.warnings.push(message);
        }
    }

    pub(super) fn push(&mut self, key: &'static str, node: Node) {
        let list = self
            .fields
            .entry(key)
            .or_insert_with(|| Node::Seq(Vec::new()));
        match list {
            Node::Seq(items) => items.push(node),
            other => *other = Node::Seq(vec![node]),
        }
    }

    pub(super) fn apply_flag(&mut self, action: FlagAction, on: bool, ctx: &Ctx) {
        match action {
            FlagAction::Ignore => {}
            FlagAction::Warn(message) => {
                if on {
                    self.warn(message);
                }
            }
            FlagAction::Set(key) => {
                if on {
                    self.fields.insert(key, Node::raw("true"));
                } else {
                    self.fields.remove(key);
                }
            }
            FlagAction::NoHealthcheck => self.no_healthcheck = on.then(|| ctx.clone()),
        }
    }

    pub(super) fn apply_value(
        &mut self,
        action: ValueAction,
        value: &str,
        ctx: &Ctx,
    ) -> Result<(), RunError> {
        match action {
            ValueAction::Ignore => {}
            ValueAction::Warn(message) => self.warn(message),
            ValueAction::Str(key) => {
                self.fields.insert(key, Node::str(value));
            }
            ValueAction::Int(key) => {
                let number = parse_int(value, ctx)?;
                self.fields.insert(key, Node::Raw(number.to_string()));
            }
            ValueAction::Bytes(key) => {
                let node = match value.parse::<i64>() {
                    Ok(number) => Node::Raw(number.to_string()),
                    Err(_) => Node::str(value),
                };
                self.fields.insert(key, node);
            }
            ValueAction::List(key) => self.push(key, Node::str(value)),
            ValueAction::QuotedList(key) => self.push(key, Node::Quoted(value.to_owned())),
            ValueAction::Name => {
                // Docker accepts and strips a leading slash (`/web`), as container names are paths.
                let name = value.strip_prefix('/').unwrap_or(value);
                if name.is_empty() {
                    return Err(ctx.invalid(value, "a container name cannot be empty"));
                }
                self.fields.insert("container_name", Node::str(name));
                self.name = Some(name.to_owned());
            }
            ValueAction::Volume => self.volume(value),
            ValueAction::Mount => self.mount(value, ctx)?,
            ValueAction::Network => self.network(value, ctx)?,
            ValueAction::NetworkAlias => {
                self.aliases.push(value.to_owned());
                self.addressing.get_or_insert_with(|| ctx.clone());
            }
            ValueAction::Address(key) => {
                replace_or_push(&mut self.addresses, key, value.to_owned());
                self.addressing.get_or_insert_with(|| ctx.clone());
            }
            ValueAction::Entrypoint => {
                // Docker runs `--entrypoint` as one executable, never shell-split; an empty one
                // clears the image's entrypoint, which Compose spells `[]`.
                let items = if value.is_empty() {
                    Vec::new()
                } else {
                    vec![Node::str(value)]
                };
                self.fields.insert("entrypoint", Node::Seq(items));
            }
            ValueAction::Ulimit => self.ulimit(value, ctx)?,
            ValueAction::Cpus => {
                let cpus = parse_cpus(value)
                    .ok_or_else(|| ctx.invalid(value, "expected a number of CPUs like 1.5"))?;
                self.fields.insert("cpus", Node::Raw(cpus));
            }
            ValueAction::LogDriver => self.log_driver = Some(value.to_owned()),
            ValueAction::LogOpt => {
                let (key, option) = value
                    .split_once('=')
                    .ok_or_else(|| ctx.invalid(value, "expected KEY=VALUE"))?;
                replace_or_push(&mut self.log_opts, key.to_owned(), option.to_owned());
            }
            ValueAction::Health(key) => {
                let node = match key {
                    "test" => Node::Seq(vec![Node::str("CMD-SHELL"), Node::str(value)]),
                    "retries" => Node::Raw(parse_int(value, ctx)?.to_string()),
                    _ => Node::str(value),
                };
                replace_or_push(&mut self.health, key, node);
                self.health_ctx.get_or_insert_with(|| ctx.clone());
            }
            ValueAction::StopTimeout => {
                let seconds: u32 = value
                    .parse()
                    .map_err(|_| ctx.invalid(value, "expected a whole number of seconds"))?;
                self.fields
                    .insert("stop_grace_period", Node::str(&format!("{seconds}s")));
            }
            ValueAction::Gpus => {
                let device = gpu_device(value).map_err(|reason| ctx.invalid(value, reason))?;
                let deploy = Node::map([(
                    "resources",
                    Node::map([(
                        "reservations",
                        Node::map([("devices", Node::Seq(vec![device]))]),
                    )]),
                )]);
                self.fields.insert("deploy", deploy);
                self.warn(GPUS_WARNING);
            }
        }
        Ok(())
    }

    pub(super) fn declare_volume(&mut self, name: &str) -> &mut VolumeDecl {
        let at = match self.volumes.iter().position(|v| v.name == name) {
            Some(at) => at,
            None => {
                self.volumes.push(VolumeDecl {
                    name: name.to_owned(),
                    ..VolumeDecl::default()
                });
                self.volumes.len() - 1
            }
        };
        &mut self.volumes[at]
    }

    /// `-v SOURCE:TARGET[:OPTIONS]` or `-v TARGET`: kept in Docker's short syntax, which Compose
    /// shares; a SOURCE that is a volume name (not a path) is also declared at the top level.
    pub(super) fn volume(&mut self, spec: &str) {
        let parts: Vec<&str> = spec.split(':').collect();
        if let [source, second, rest @ ..] = parts.as_slice()
            && is_volume_name(source)
            && !is_windows_drive(source, second, rest)
        {
            self.declare_volume(source);
        }
        self.push("volumes", Node::str(spec));
    }

    /// `--mount type=…,source=…,target=…`: the long volume syntax, or a `tmpfs:` entry for tmpfs
    /// mounts (Docker's option string carries the octal mode without YAML's octal ambiguity).
    pub(super) fn mount(&mut self, value: &str, ctx: &Ctx) -> Result<(), RunError> {
        let fields = split_csv(value).map_err(|reason| ctx.invalid(value, reason))?;
        let mut kind = "volume".to_owned();
        let mut source = None;
        let mut target = None;
        let mut read_only = false;
        let mut bind = Vec::new();
        let mut volume = Vec::new();
        let mut consistency = None;
        let mut driver = None;
        let mut driver_opts = Vec::new();
        let mut labels = Vec::new();
        let mut tmpfs = Vec::new();
        for field in &fields {
            let (key, setting) = match field.split_once('=') {
                Some((key, setting)) => (key.to_ascii_lowercase(), Some(setting)),
                None => (field.to_ascii_lowercase(), None),
            };
            let needed =
                || setting.ok_or_else(|| ctx.invalid(value, format!("`{key}` needs a value")));
            let boolean = || match setting {
                None => Ok(true),
                Some(s) => parse_bool(s)
                    .ok_or_else(|| ctx.invalid(value, format!("`{key}` expects true or false"))),
            };
            let pair = || {
                needed()?
                    .split_once('=')
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .ok_or_else(|| ctx.invalid(value, format!("`{key}` expects KEY=VALUE")))
            };
            match key.as_str() {
                "type" => needed()?.clone_into(&mut kind),
                "source" | "src" => source = Some(needed()?.to_owned()),
                "target" | "destination" | "dst" => target = Some(needed()?.to_owned()),
                "readonly" | "ro" => read_only = boolean()?,
                "consistency" => consistency = Some(needed()?.to_owned()),
                "bind-propagation" => bind.push(("propagation", Node::str(needed()?))),
                "volume-nocopy" => {
                    if boolean()? {
                        volume.push(("nocopy", Node::raw("true")));
                    }
                }
                "volume-subpath" => volume.push(("subpath", Node::str(needed()?))),
                "volume-driver" => driver = Some(needed()?.to_owned()),
                "volume-opt" => driver_opts.push(pair()?),
                "volume-label" => labels.push(needed()?.to_owned()),
                "tmpfs-size" => tmpfs.push(format!("size={}", needed()?)),
                "tmpfs-mode" => tmpfs.push(format!("mode={}", needed()?)),
                _ => return Err(ctx.invalid(value, format!("unknown --mount key `{key}`"))),
            }
        }
        let target = target.ok_or_else(|| ctx.invalid(value, "a mount needs a target"))?;
        let misplaced = |what: &str, wanted: &str| {
            Err(ctx.invalid(
                value,
                format!("{what} options only apply to type={wanted}, not type={kind}"),
            ))
        };
        if !bind.is_empty() && kind != "bind" {
            return misplaced("bind-", "bind");
        }
        if (!volume.is_empty() || driver.is_some() || !driver_opts.is_empty() || !labels.is_empty())
            && kind != "volume"
        {
            return misplaced("volume-", "volume");
        }
        if !tmpfs.is_empty() && kind != "tmpfs" {
            return misplaced("tmpfs-", "tmpfs");
        }
        match kind.as_str() {
            "tmpfs" => {
                if read_only {
                    tmpfs.insert(0, "ro".to_owned());
                }
                let entry = if tmpfs.is_empty() {
                    target
                } else {
                    format!("{target}:{}", tmpfs.join(","))
                };
                self.push("tmpfs", Node::str(&entry));
                return Ok(());
            }
            "bind" | "npipe" if source.is_none() => {
                return Err(ctx.invalid(value, format!("a {kind} mount needs a source")));
            }
            "bind" | "volume" | "npipe" | "cluster" => {}
            other => {
                return Err(ctx.invalid(value, format!("unsupported mount type `{other}`")));
            }
        }
        if kind == "volume" {
            match &source {
                Some(name) => {
                    let decl = self.declare_volume(name);
                    if driver.is_some() {
                        decl.driver = driver;
                    }
                    decl.driver_opts.extend(driver_opts);
                    decl.labels.extend(labels);
                }
                None if driver.is_some() || !driver_opts.is_empty() || !labels.is_empty() => {
                    return Err(ctx.invalid(
                        value,
                        "volume driver options need a named volume (source=NAME)",
                    ));
                }
                None => {}
            }
        }
        let mut entry = vec![("type".to_owned(), Node::str(&kind))];
        if let Some(source) = source {
            entry.push(("source".to_owned(), Node::str(&source)));
        }
        entry.push(("target".to_owned(), Node::str(&target)));
        if read_only {
            entry.push(("read_only".to_owned(), Node::raw("true")));
        }
        if let Some(consistency) = consistency {
            entry.push(("consistency".to_owned(), Node::str(&consistency)));
        }
        if !bind.is_empty() {
            entry.push(("bind".to_owned(), Node::map(bind)));
        }
        if !volume.is_empty() {
            entry.push(("volume".to_owned(), Node::map(volume)));
        }
        self.push("volumes", Node::Map(entry));
        Ok(())
    }

    /// `--network NAME` or the extended `--network name=NAME,alias=A,ip=…`.
    pub(super) fn network(&mut self, value: &str, ctx: &Ctx) -> Result<(), RunError> {
        let mut request = NetworkRequest {
            name: value.to_owned(),
            aliases: Vec::new(),
            addresses: Vec::new(),
            ctx: ctx.clone(),
        };
        if value.contains('=') {
            request.name.clear();
            for field in split_csv(value).map_err(|reason| ctx.invalid(value, reason))? {
                let (key, setting) = field
                    .split_once('=')
                    .ok_or_else(|| ctx.invalid(value, format!("`{field}` is not KEY=VALUE")))?;
                match key {
                    "name" => setting.clone_into(&mut request.name),
                    "alias" => request.aliases.push(setting.to_owned()),
                    "ip" => request.addresses.push(("ipv4_address", setting.to_owned())),
                    "ip6" => request.addresses.push(("ipv6_address", setting.to_owned())),
                    _ => {
                        return Err(
                            ctx.invalid(value, format!("unsupported network setting `{key}`"))
                        );
                    }
                }
            }
        }
        if request.name.is_empty() {
            return Err(ctx.invalid(value, "a network needs a name"));
        }
        self.networks.push(request);
        Ok(())
    }

    /// `--ulimit nofile=1024:2048` → `nofile: {soft: 1024, hard: 2048}`; a single number stays one.
    pub(super) fn ulimit(&mut self, value: &str, ctx: &Ctx) -> Result<(), RunError> {
        let (name, limits) = value
            .split_once('=')
            .filter(|(name, _)| !name.is_empty())
            .ok_or_else(|| ctx.invalid(value, "expected NAME=SOFT[:HARD]"))?;
        let number = |s: &str| {
            s.parse::<i64>()
                .map(|n| Node::Raw(n.to_string()))
                .map_err(|_| ctx.invalid(value, format!("`{s}` is not a whole number")))
        };
        let node = match limits.split_once(':') {
            Some((soft, hard)) => Node::map([("soft", number(soft)?), ("hard", number(hard)?)]),
            None => number(limits)?,
        };
        replace_or_push(&mut self.ulimits, name.to_owned(), node);
        Ok(())
    }

    /// Warns once about shell features Compose treats differently.
    pub(super) fn note_shell_features(&mut self, word: &Word) {
        if word.pwd && !self.pwd_warned {
            self.pwd_warned = true;
            self.warn("the current directory (`$(pwd)`, `$PWD`) became `.`, the Compose project directory");
        }
        if word.variables && !self.variables_warned {
            self.variables_warned = true;
            self.warn("`$VARIABLE` references were kept: Compose fills them in from the environment or the project's .env file");
        }
        if word.substitution {
            self.warn(format!(
                "word {} (`{}`) uses shell command substitution, which Compose does not run: replace it with its output",
                word.position, word.shown
            ));
        }
    }

    /// Resolves the collected options into the service, and writes the whole file.
    pub(super) fn finish(mut self, image: &str, command: &[Word]) -> Result<Converted, RunError> {
        self.fields.insert("image", Node::str(image));
        if !command.is_empty() {
            let args = command.iter().map(|w| Node::str(&w.text)).collect();
            self.fields.insert("command", Node::Seq(args));
        }
        let networks = self.resolve_networks()?;
        self.resolve_healthcheck()?;
        if !self.ulimits.is_empty() {
            let ulimits = std::mem::take(&mut self.ulimits);
            self.fields.insert("ulimits", Node::Map(ulimits));
        }
        if self.log_driver.is_some() || !self.log_opts.is_empty() {
            let mut logging = Vec::new();
            if let Some(driver) = self.log_driver.take() {
                logging.push(("driver".to_owned(), Node::str(&driver)));
            }
            if !self.log_opts.is_empty() {
                let options = self
                    .log_opts
                    .iter()
                    .map(|(k, v)| (k.clone(), Node::str(v)))
                    .collect();
                logging.push(("options".to_owned(), Node::Map(options)));
            }
            self.fields.insert("logging", Node::Map(logging));
        }

        let service_name = service_name(self.name.as_deref(), image);
        let mut service = Vec::new();
        for key in SERVICE_KEYS {
            if let Some(node) = self.fields.remove(key) {
                service.push(((*key).to_owned(), node));
            }
        }
        let mut root = vec![(
            "services".to_owned(),
            Node::Map(vec![(service_name.clone(), Node::Map(service))]),
        )];
        if !networks.is_empty() {
            let declared = networks
                .into_iter()
                .map(|name| (name, Node::map([("external", Node::raw("true"))])))
                .collect();
            root.push(("networks".to_owned(), Node::Map(declared)));
        }
        if !self.volumes.is_empty() {
            let mut declared = Vec::new();
            for volume in std::mem::take(&mut self.volumes) {
                self.warn(format!(
                    "named volume `{0}` is created per project (`<project>_{0}`); add `name: {0}` under the top-level `volumes:` entry to reuse the volume docker run created",
                    volume.name
                ));
                declared.push((volume.name.clone(), volume_declaration(volume)));
            }
            root.push(("volumes".to_owned(), Node::Map(declared)));
        }
        let mut yaml = String::new();
        write_map(&mut yaml, &root, 0);
        Ok(Converted {
            service_name,
            yaml,
            warnings: self.warnings,
        })
    }

    /// Sets `network_mode` or `networks`, returning the user networks to declare as external:
    /// `docker run` never creates a network, so they must already exist.
    pub(super) fn resolve_networks(&mut self) -> Result<Vec<String>, RunError> {
        let special = self.networks.iter().find(|n| is_network_mode(&n.name));
        if let Some(mode) = special {
            if let Some(other) = self.networks.iter().find(|n| n.name != mode.name) {
                return Err(RunError::Conflict {
                    option: other.ctx.option.clone(),
                    position: other.ctx.position,
                    other: format!(
                        "`{} {}` (word {}): a container in network mode `{}` joins no other network",
                        mode.ctx.option, mode.name, mode.ctx.position, mode.name
                    ),
                });
            }
            if let Some(ctx) = &self.addressing {
                return Err(RunError::Conflict {
                    option: ctx.option.clone(),
                    position: ctx.position,
                    other: format!(
                        "network mode `{}`: aliases and addresses need a user-defined network",
                        mode.name
                    ),
                });
            }
            let name = if mode.name == "default" {
                "bridge"
            } else {
                mode.name.as_str()
            };
            self.fields.insert("network_mode", Node::str(name));
            return Ok(Vec::new());
        }
        let mut networks = std::mem::take(&mut self.networks);
        match networks.first_mut() {
            Some(first) => {
                first.aliases.append(&mut self.aliases);
                for (key, address) in self.addresses.drain(..) {
                    replace_or_push(&mut first.addresses, key, address);
                }
            }
            None => {
                if let Some(ctx) = &self.addressing {
                    return Err(RunError::Conflict {
                        option: ctx.option.clone(),
                        position: ctx.position,
                        other: "the default bridge network: add `--network NAME` for aliases and addresses"
                            .to_owned(),
                    });
                }
                return Ok(Vec::new());
            }
        }
        let mut names: Vec<String> = Vec::new();
        for network in &networks {
            if !names.contains(&network.name) {
                names.push(network.name.clone());
            }
        }
        let detailed = networks
            .iter()
            .any(|n| !n.aliases.is_empty() || !n.addresses.is_empty());
        let node = if detailed {
            let entries = networks
                .into_iter()
                .map(|network| {
                    let mut settings = Vec::new();
                    if !network.aliases.is_empty() {
                        let aliases = network.aliases.iter().map(|a| Node::str(a)).collect();
                        settings.push(("aliases".to_owned(), Node::Seq(aliases)));
                    }
                    for (key, address) in &network.addresses {
                        settings.push(((*key).to_owned(), Node::str(address)));
                    }
                    (network.name, Node::Map(settings))
                })
                .collect();
            Node::Map(entries)
        } else {
            Node::Seq(names.iter().map(|n| Node::str(n)).collect())
        };
        self.fields.insert("networks", node);
        Ok(names)
    }

    pub(super) fn resolve_healthcheck(&mut self) -> Result<(), RunError> {
        if let Some(disabled) = &self.no_healthcheck {
            if let Some(ctx) = &self.health_ctx {
                return Err(RunError::Conflict {
                    option: disabled.option.clone(),
                    position: disabled.position,
                    other: format!("`{}` (word {})", ctx.option, ctx.position),
                });
            }
            self.fields
                .insert("healthcheck", Node::map([("disable", Node::raw("true"))]));
        } else if !self.health.is_empty() {
            let mut settings = Vec::new();
            for key in HEALTH_KEYS {
                if let Some((_, node)) = self.health.iter().find(|(k, _)| k == key) {
                    settings.push(((*key).to_owned(), node.clone()));
                }
            }
            self.fields.insert("healthcheck", Node::Map(settings));
        }
        Ok(())
    }
}

pub(super) fn volume_declaration(volume: VolumeDecl) -> Node {
    let mut settings = Vec::new();
    if let Some(driver) = volume.driver {
        settings.push(("driver".to_owned(), Node::str(&driver)));
    }
    if !volume.driver_opts.is_empty() {
        let options = volume
            .driver_opts
            .into_iter()
            .map(|(k, v)| (k, Node::str(&v)))
            .collect();
        settings.push(("driver_opts".to_owned(), Node::Map(options)));
    }
    if !volume.labels.is_empty() {
        let labels = volume.labels.iter().map(|l| Node::str(l)).collect();
        settings.push(("labels".to_owned(), Node::Seq(labels)));
    }
    Node::Map(settings)
}

/// Docker's rule for volume names; anything else in SOURCE position is a host path.
pub(super) fn is_volume_name(source: &str) -> bool {
    let mut chars = source.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// `C:\data:/data` splits into `C`, `\data`, `/data`: a drive letter, not a volume named `C`.
pub(super) fn is_windows_drive(source: &str, second: &str, rest: &[&str]) -> bool {
    source.len() == 1
        && (second.starts_with('\\')
            || (second.starts_with('/') && rest.first().is_some_and(|r| r.starts_with('/'))))
}

/// Network values that are modes (`network_mode:`) rather than networks to join.
pub(super) fn is_network_mode(name: &str) -> bool {
    matches!(
        name,
        "host" | "none" | "bridge" | "default" | "private" | "slirp4netns" | "pasta"
    ) || ["container:", "ns:", "slirp4netns:", "pasta:"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

/// `--gpus all`, `--gpus 2`, `--gpus '"device=0,1"'`, `--gpus driver=nvidia,capabilities=compute`.
pub(super) fn gpu_device(value: &str) -> Result<Node, String> {
    let mut count = None;
    let mut ids: Vec<String> = Vec::new();
    let mut driver = "nvidia".to_owned();
    let mut capabilities = vec!["gpu".to_owned()];
    let mut in_devices = false;
    for field in split_csv(value)? {
        match field.split_once('=') {
            Some(("count", n)) => {
                count = Some(n.to_owned());
                in_devices = false;
            }
            Some(("device", list)) => {
                ids.extend(list.split(',').map(str::to_owned));
                in_devices = true;
            }
            Some(("driver", name)) => {
                name.clone_into(&mut driver);
                in_devices = false;
            }
            Some(("capabilities", list)) => {
                for capability in list.split(',') {
                    if !capabilities.iter().any(|c| c == capability) {
                        capabilities.push(capability.to_owned());
                    }
                }
                in_devices = false;
            }
            Some((key, _)) => return Err(format!("unknown --gpus setting `{key}`")),
            None if field == "all" || field.parse::<u32>().is_ok() => count = Some(field),
            // An unquoted `device=0,1` reaches us as two fields.
            None if in_devices => ids.push(field),
            None => return Err(format!("`{field}` is not all, a count or KEY=VALUE")),
        }
    }
    if count.is_some() && !ids.is_empty() {
        return Err("set either a count or device IDs, not both".to_owned());
    }
    let mut device = vec![("driver".to_owned(), Node::str(&driver))];
    if let Some(count) = count {
        let node = if count == "all" {
            Node::str("all")
        } else {
            Node::Raw(count)
        };
        device.push(("count".to_owned(), node));
    }
    if !ids.is_empty() {
        let ids = ids.into_iter().map(Node::Quoted).collect();
        device.push(("device_ids".to_owned(), Node::Seq(ids)));
    }
    let capabilities = capabilities.iter().map(|c| Node::str(c)).collect();
    device.push(("capabilities".to_owned(), Node::Seq(capabilities)));
    Ok(Node::Map(device))
}

/// The service's name: `--name`, else the image's repository name without registry, path, tag
/// or digest; lowercased to `[a-z0-9_-]` as Compose project tooling expects.
pub(super) fn service_name(name: Option<&str>, image: &str) -> String {
    let raw = name.unwrap_or_else(|| {
        let without_digest = image.split('@').next().unwrap_or(image);
        let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
        last.split(':').next().unwrap_or(last)
    });
    let mut normalized = String::new();
    for c in raw.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' {
            c
        } else {
            '-'
        };
        // Runs of replaced characters become one dash: `my..app` → `my-app`.
        if !(c == '-' && normalized.ends_with('-')) {
            normalized.push(c);
        }
    }
    let trimmed = normalized.trim_matches(|c| c == '-' || c == '_');
    if trimmed.is_empty() {
        "app".to_owned()
    } else {
        trimmed.to_owned()
    }
}
