//! Options

use super::*;

/// What a boolean option does.
#[derive(Debug, Clone, Copy)]
pub(super) enum FlagAction {
    Ignore,
    Warn(&'static str),
    Set(&'static str),
    NoHealthcheck,
}

/// What an option with a value does.
#[derive(Debug, Clone, Copy)]
pub(super) enum ValueAction {
    Ignore,
    Warn(&'static str),
    Str(&'static str),
    Int(&'static str),
    /// A size: integers stay numbers so `-1` (unlimited) is not read as a malformed size string.
    Bytes(&'static str),
    List(&'static str),
    /// A list whose items are always quoted: `80:80` is a base-60 number to YAML 1.1.
    QuotedList(&'static str),
    Name,
    Volume,
    Mount,
    Network,
    NetworkAlias,
    Address(&'static str),
    Entrypoint,
    Ulimit,
    Cpus,
    LogDriver,
    LogOpt,
    Health(&'static str),
    StopTimeout,
    Gpus,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Action {
    Flag(FlagAction),
    Value(ValueAction),
}

pub(super) struct OptSpec {
    pub(super) long: &'static str,
    pub(super) short: Option<char>,
    pub(super) action: Action,
}

pub(super) const fn flag(long: &'static str, short: Option<char>, action: FlagAction) -> OptSpec {
    OptSpec {
        long,
        short,
        action: Action::Flag(action),
    }
}

pub(super) const fn value(long: &'static str, short: Option<char>, action: ValueAction) -> OptSpec {
    OptSpec {
        long,
        short,
        action: Action::Value(action),
    }
}

pub(super) const RM_WARNING: &str = "--rm has no Compose equivalent and was ignored: Compose keeps a stopped container until `docker compose down`";
pub(super) const PUBLISH_ALL_WARNING: &str = "--publish-all has no Compose equivalent and was ignored: list the ports to publish under `ports:`";
pub(super) const CIDFILE_WARNING: &str = "--cidfile has no Compose equivalent and was ignored";
pub(super) const GPUS_WARNING: &str = "--gpus became a device reservation under `deploy.resources.reservations.devices` for the NVIDIA driver; check the driver, count and capabilities";

use FlagAction as F;
use ValueAction as V;

/// Every `docker run` option we understand. An option missing here is an error rather than
/// silently dropped: a half-converted service that starts without, say, its volumes is worse
/// than a clear message.
pub(super) const OPTIONS: &[OptSpec] = &[
    flag("detach", Some('d'), F::Ignore),
    value("attach", Some('a'), V::Ignore),
    value("detach-keys", None, V::Ignore),
    flag("sig-proxy", None, F::Ignore),
    flag("quiet", Some('q'), F::Ignore),
    flag("disable-content-trust", None, F::Ignore),
    flag("rm", None, F::Warn(RM_WARNING)),
    flag("publish-all", Some('P'), F::Warn(PUBLISH_ALL_WARNING)),
    value("cidfile", None, V::Warn(CIDFILE_WARNING)),
    flag("interactive", Some('i'), F::Set("stdin_open")),
    flag("tty", Some('t'), F::Set("tty")),
    value("name", None, V::Name),
    value("publish", Some('p'), V::QuotedList("ports")),
    value("expose", None, V::QuotedList("expose")),
    value("volume", Some('v'), V::Volume),
    value("mount", None, V::Mount),
    value("volumes-from", None, V::List("volumes_from")),
    value("tmpfs", None, V::List("tmpfs")),
    value("env", Some('e'), V::List("environment")),
    value("env-file", None, V::List("env_file")),
    value("label", Some('l'), V::List("labels")),
    value("network", None, V::Network),
    value("net", None, V::Network),
    value("network-alias", None, V::NetworkAlias),
    value("net-alias", None, V::NetworkAlias),
    value("ip", None, V::Address("ipv4_address")),
    value("ip6", None, V::Address("ipv6_address")),
    value("link", None, V::List("links")),
    value("mac-address", None, V::Str("mac_address")),
    value("restart", None, V::Str("restart")),
    value("workdir", Some('w'), V::Str("working_dir")),
    value("user", Some('u'), V::Str("user")),
    value("entrypoint", None, V::Entrypoint),
    value("hostname", Some('h'), V::Str("hostname")),
    value("domainname", None, V::Str("domainname")),
    value("add-host", None, V::List("extra_hosts")),
    value("dns", None, V::List("dns")),
    value("dns-search", None, V::List("dns_search")),
    value("dns-option", None, V::List("dns_opt")),
    value("dns-opt", None, V::List("dns_opt")),
    value("cap-add", None, V::List("cap_add")),
    value("cap-drop", None, V::List("cap_drop")),
    flag("privileged", None, F::Set("privileged")),
    value("device", None, V::List("devices")),
    value("device-cgroup-rule", None, V::List("device_cgroup_rules")),
    value("security-opt", None, V::List("security_opt")),
    value("ulimit", None, V::Ulimit),
    value("memory", Some('m'), V::Bytes("mem_limit")),
    value("memory-reservation", None, V::Bytes("mem_reservation")),
    value("memory-swap", None, V::Bytes("memswap_limit")),
    value("memory-swappiness", None, V::Int("mem_swappiness")),
    flag("oom-kill-disable", None, F::Set("oom_kill_disable")),
    value("oom-score-adj", None, V::Int("oom_score_adj")),
    value("cpus", None, V::Cpus),
    value("cpu-shares", Some('c'), V::Int("cpu_shares")),
    value("cpu-quota", None, V::Int("cpu_quota")),
    value("cpu-period", None, V::Int("cpu_period")),
    value("cpuset-cpus", None, V::Str("cpuset")),
    value("pids-limit", None, V::Int("pids_limit")),
    value("shm-size", None, V::Bytes("shm_size")),
    flag("init", None, F::Set("init")),
    flag("read-only", None, F::Set("read_only")),
    value("log-driver", None, V::LogDriver),
    value("log-opt", None, V::LogOpt),
    value("health-cmd", None, V::Health("test")),
    value("health-interval", None, V::Health("interval")),
    value("health-timeout", None, V::Health("timeout")),
    value("health-retries", None, V::Health("retries")),
    value("health-start-period", None, V::Health("start_period")),
    value("health-start-interval", None, V::Health("start_interval")),
    flag("no-healthcheck", None, F::NoHealthcheck),
    value("pid", None, V::Str("pid")),
    value("ipc", None, V::Str("ipc")),
    value("uts", None, V::Str("uts")),
    value("sysctl", None, V::List("sysctls")),
    value("stop-signal", None, V::Str("stop_signal")),
    value("stop-timeout", None, V::StopTimeout),
    value("platform", None, V::Str("platform")),
    value("pull", None, V::Str("pull_policy")),
    value("gpus", None, V::Gpus),
    value("group-add", None, V::List("group_add")),
    value("userns", None, V::Str("userns_mode")),
    value("cgroupns", None, V::Str("cgroup")),
    value("cgroup-parent", None, V::Str("cgroup_parent")),
    value("runtime", None, V::Str("runtime")),
    value("isolation", None, V::Str("isolation")),
];

/// Order of the service's keys in the output: identity first, then the option list's order.
pub(super) const SERVICE_KEYS: &[&str] = &[
    "image",
    "container_name",
    "stdin_open",
    "tty",
    "ports",
    "expose",
    "volumes",
    "volumes_from",
    "tmpfs",
    "environment",
    "env_file",
    "labels",
    "network_mode",
    "networks",
    "links",
    "mac_address",
    "restart",
    "working_dir",
    "user",
    "entrypoint",
    "hostname",
    "domainname",
    "extra_hosts",
    "dns",
    "dns_search",
    "dns_opt",
    "cap_add",
    "cap_drop",
    "privileged",
    "devices",
    "device_cgroup_rules",
    "security_opt",
    "ulimits",
    "mem_limit",
    "mem_reservation",
    "memswap_limit",
    "mem_swappiness",
    "oom_kill_disable",
    "oom_score_adj",
    "cpus",
    "cpu_shares",
    "cpu_quota",
    "cpu_period",
    "cpuset",
    "pids_limit",
    "shm_size",
    "init",
    "read_only",
    "logging",
    "healthcheck",
    "pid",
    "ipc",
    "uts",
    "sysctls",
    "stop_signal",
    "stop_grace_period",
    "platform",
    "pull_policy",
    "deploy",
    "group_add",
    "userns_mode",
    "cgroup",
    "cgroup_parent",
    "runtime",
    "isolation",
    "command",
];

pub(super) const HEALTH_KEYS: &[&str] = &[
    "test",
    "interval",
    "timeout",
    "retries",
    "start_period",
    "start_interval",
];

/// The option being applied, for error messages.
#[derive(Debug, Clone)]
pub(super) struct Ctx {
    pub(super) option: String,
    pub(super) position: usize,
}

impl Ctx {
    pub(super) fn invalid(&self, value: &str, reason: impl Into<String>) -> RunError {
        RunError::InvalidValue {
            option: self.option.clone(),
            value: value.to_owned(),
            position: self.position,
            reason: reason.into(),
        }
    }
}

/// Reads options until the image, returning the image's index in `args`. Follows the Docker
/// CLI's flag parser: `--opt=value`, `--opt value`, `-abc` clusters, `-p8080:80`, `-p=8080:80`,
/// `--flag=false`, and `--` to end the options.
pub(super) fn parse_options(args: &[Word], builder: &mut Builder) -> Result<usize, RunError> {
    let mut i = 0;
    while let Some(word) = args.get(i) {
        let text = word.text.as_str();
        if text == "--" {
            return Ok(i + 1);
        }
        if let Some(long) = text.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (long, None),
            };
            let ctx = Ctx {
                option: format!("--{name}"),
                position: word.position,
            };
            let spec = OPTIONS
                .iter()
                .find(|spec| spec.long == name)
                .ok_or_else(|| unknown(&ctx, word))?;
            match spec.action {
                Action::Flag(action) => {
                    let on = match inline {
                        Some(value) => parse_bool(value)
                            .ok_or_else(|| ctx.invalid(value, "expected true or false"))?,
                        None => true,
                    };
                    builder.apply_flag(action, on, &ctx);
                }
                Action::Value(action) => {
                    let value = match inline {
                        Some(value) => value,
                        None => {
                            i += 1;
                            next_value(args, i, &ctx)?
                        }
                    };
                    builder.apply_value(action, value, &ctx)?;
                }
            }
        } else if let Some(cluster) = text.strip_prefix('-')
            && !cluster.is_empty()
        {
            let mut rest = cluster;
            while let Some(c) = rest.chars().next() {
                rest = &rest[c.len_utf8()..];
                let ctx = Ctx {
                    option: format!("-{c}"),
                    position: word.position,
                };
                let spec = OPTIONS
                    .iter()
                    .find(|spec| spec.short == Some(c))
                    .ok_or_else(|| unknown(&ctx, word))?;
                match spec.action {
                    Action::Flag(action) => {
                        if let Some(value) = rest.strip_prefix('=') {
                            let on = parse_bool(value)
                                .ok_or_else(|| ctx.invalid(value, "expected true or false"))?;
                            builder.apply_flag(action, on, &ctx);
                            break;
                        }
                        builder.apply_flag(action, true, &ctx);
                    }
                    Action::Value(action) => {
                        // The rest of the cluster is the value: `-p8080:80`, `-dp=80:80`.
                        let value = if rest.is_empty() {
                            i += 1;
                            next_value(args, i, &ctx)?
                        } else {
                            rest.strip_prefix('=').unwrap_or(rest)
                        };
                        builder.apply_value(action, value, &ctx)?;
                        break;
                    }
                }
            }
        } else {
            return Ok(i);
        }
        i += 1;
    }
    Ok(i)
}

pub(super) fn unknown(ctx: &Ctx, word: &Word) -> RunError {
    RunError::UnknownOption {
        option: ctx.option.clone(),
        word: word.shown.clone(),
        position: ctx.position,
    }
}

pub(super) fn next_value<'a>(args: &'a [Word], i: usize, ctx: &Ctx) -> Result<&'a str, RunError> {
    args.get(i)
        .map(|w| w.text.as_str())
        .ok_or_else(|| RunError::MissingValue {
            option: ctx.option.clone(),
            position: ctx.position,
        })
}

/// Booleans as the Docker CLI spells them (Go's `strconv.ParseBool`).
pub(super) fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

pub(super) fn parse_int(value: &str, ctx: &Ctx) -> Result<i64, RunError> {
    value
        .parse()
        .map_err(|_| ctx.invalid(value, "expected a whole number"))
}

/// A non-negative decimal like `1.5`, normalized (`.5` → `0.5`) so YAML reads it as a number.
pub(super) fn parse_cpus(value: &str) -> Option<String> {
    let well_formed = value.chars().any(|c| c.is_ascii_digit())
        && value.chars().all(|c| c.is_ascii_digit() || c == '.')
        && value.matches('.').count() <= 1;
    let cpus: f64 = value.parse().ok().filter(|_| well_formed)?;
    Some(format!("{cpus}"))
}

/// Splits a comma-separated option value the way Docker reads `--mount` and `--gpus`: as one
/// CSV record, so `"volume-opt=o=addr=1.2.3.4,rw"` can carry a comma.
pub(super) fn split_csv(value: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = value.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c != '"' {
                field.push(c);
            } else if chars.peek() == Some(&'"') {
                field.push('"');
                chars.next();
            } else {
                quoted = false;
            }
        } else if c == '"' && field.is_empty() {
            quoted = true;
        } else if c == ',' {
            fields.push(std::mem::take(&mut field));
        } else {
            field.push(c);
        }
    }
    if quoted {
        return Err("a quoted field has no closing `\"`".to_owned());
    }
    fields.push(field);
    fields.retain(|f| !f.is_empty());
    Ok(fields)
}
