//! Turns a pasted `docker run …` command into a Compose file, for the Compose editor's
//! "paste a docker run command" helper (the idea composerize made popular).
//!
//! The command is split into words the way a POSIX shell would, its options are mapped one by
//! one onto Compose keys, and the result is written as YAML by a small emitter here: the output
//! is a few dozen lines of a known shape, and quoting every risky scalar ourselves keeps the
//! result predictable on the server and in the browser alike.

use std::collections::BTreeMap;

/// A Compose file produced from one `docker run` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    /// Name of the single service in `yaml`.
    pub service_name: String,
    /// A complete Compose file: the service plus the networks and volumes it refers to.
    pub yaml: String,
    /// What the user should review: options without an exact Compose equivalent, ignored commands.
    pub warnings: Vec<String>,
}

/// Why a pasted command could not be converted; word positions count from 1 over the whole paste.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// Nothing but blanks and comments was pasted.
    #[error("the command is empty")]
    Empty,
    /// The command is not `docker run`, `docker container run` or `podman run`.
    #[error(
        "not a docker run command: expected `docker run`, `docker container run` or `podman run` at word {position}, found {found}"
    )]
    NotDockerRun { found: String, position: usize },
    /// A quote opened in word `position` is never closed.
    #[error("unterminated {quote} quote in word {position}: `{token}`")]
    UnterminatedQuote {
        quote: &'static str,
        token: String,
        position: usize,
    },
    /// The options end without an image.
    #[error("the command names no image: it ends after word {position} (`{last}`)")]
    MissingImage { last: String, position: usize },
    /// An option that takes a value is the last word.
    #[error("option `{option}` (word {position}) needs a value")]
    MissingValue { option: String, position: usize },
    /// An option we cannot convert; refused rather than silently dropped.
    #[error("unknown option `{option}` in word {position} (`{word}`)")]
    UnknownOption {
        option: String,
        word: String,
        position: usize,
    },
    /// An option value Docker itself would reject, or one Compose cannot express.
    #[error("invalid value `{value}` for `{option}` (word {position}): {reason}")]
    InvalidValue {
        option: String,
        value: String,
        position: usize,
        reason: String,
    },
    /// Two options that cannot be combined.
    #[error("`{option}` (word {position}) conflicts with {other}")]
    Conflict {
        option: String,
        position: usize,
        other: String,
    },
}

/// Converts one `docker run` (or `docker container run`, `podman run`) command to Compose.
pub fn docker_run_to_compose(command: &str) -> Result<Converted, RunError> {
    let commands = tokenize(command)?;
    let mut chosen: Option<(&Word, &[Word])> = None;
    let mut first_mismatch = None;
    let mut ignored = Vec::new();
    for words in &commands {
        let start = words.first().map_or(0, |w| w.position);
        match run_arguments(words) {
            Ok(found) if chosen.is_none() => chosen = Some(found),
            Ok(_) => ignored.push(format!(
                "ignored the second docker run command starting at word {start}: convert it separately"
            )),
            Err(error) => {
                first_mismatch.get_or_insert(error);
                ignored.push(format!(
                    "ignored `{}` (word {start}): only the docker run command is converted",
                    shown_words(words)
                ));
            }
        }
    }
    let Some((verb, args)) = chosen else {
        return Err(first_mismatch.unwrap_or(RunError::Empty));
    };

    let mut builder = Builder::default();
    let image_at = parse_options(args, &mut builder)?;
    let Some(image) = args.get(image_at).filter(|w| !w.text.is_empty()) else {
        let last = args
            .get(..image_at)
            .and_then(<[Word]>::last)
            .unwrap_or(verb);
        return Err(RunError::MissingImage {
            last: last.shown.clone(),
            position: last.position,
        });
    };
    let rest = args.get(image_at + 1..).unwrap_or_default();
    for word in args {
        builder.note_shell_features(word);
    }
    builder.warnings.extend(ignored);
    builder.finish(&image.text, rest)
}

fn shown_words(words: &[Word]) -> String {
    words
        .iter()
        .map(|w| w.shown.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// Shell words
// ---------------------------------------------------------------------------------------------

/// One shell word. `text` is ready for Compose: a `$` the shell would have kept literally (single
/// quotes, `\$`) is doubled so Compose does not interpolate it, while `$VAR` stays a variable —
/// Compose fills it from the environment or `.env`, as the shell would have. `shown` is the word
/// as the shell would pass it, for messages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Word {
    text: String,
    shown: String,
    position: usize,
    variables: bool,
    substitution: bool,
    pwd: bool,
}

impl Word {
    fn push(&mut self, c: char) {
        self.text.push(c);
        self.shown.push(c);
    }

    fn push_literal_dollar(&mut self) {
        self.text.push_str("$$");
        self.shown.push('$');
    }
}

/// Splits `input` into commands (separated by newlines, `;`, `&&`, `||`, `|`, `&`) of words.
fn tokenize(input: &str) -> Result<Vec<Vec<Word>>, RunError> {
    let mut lexer = Lexer {
        chars: input.chars().collect(),
        ..Lexer::default()
    };
    lexer.run()?;
    Ok(lexer.commands)
}

#[derive(Default)]
struct Lexer {
    chars: Vec<char>,
    i: usize,
    commands: Vec<Vec<Word>>,
    current: Vec<Word>,
    word: Option<Word>,
    word_start: usize,
    next_position: usize,
}

impl Lexer {
    fn peek(&self, offset: usize) -> Option<char> {
        self.chars.get(self.i + offset).copied()
    }

    fn starts_with(&self, offset: usize, pattern: &str) -> bool {
        pattern
            .chars()
            .enumerate()
            .all(|(k, c)| self.peek(offset + k) == Some(c))
    }

    fn word(&mut self) -> &mut Word {
        if self.word.is_none() {
            self.next_position += 1;
            self.word_start = self.i;
        }
        let position = self.next_position;
        self.word.get_or_insert_with(|| Word {
            position,
            ..Word::default()
        })
    }

    fn finish_word(&mut self) {
        if let Some(word) = self.word.take() {
            self.current.push(word);
        }
    }

    fn finish_command(&mut self) {
        self.finish_word();
        if !self.current.is_empty() {
            self.commands.push(std::mem::take(&mut self.current));
        }
    }

    /// The unterminated word as typed, shortened: enough to find it in a long paste.
    fn unterminated(&self, quote: &'static str) -> RunError {
        const SHOWN: usize = 40;
        let rest: String = self
            .chars
            .get(self.word_start..)
            .unwrap_or_default()
            .iter()
            .collect();
        let rest = rest.lines().next().unwrap_or_default();
        let token = if rest.chars().count() > SHOWN {
            format!("{}…", rest.chars().take(SHOWN).collect::<String>())
        } else {
            rest.to_owned()
        };
        RunError::UnterminatedQuote {
            quote,
            token,
            position: self.next_position,
        }
    }

    fn run(&mut self) -> Result<(), RunError> {
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' | '\r' => {
                    self.finish_word();
                    self.i += 1;
                }
                '\n' | ';' => {
                    self.finish_command();
                    self.i += 1;
                }
                '&' | '|' => {
                    self.finish_command();
                    self.i += if self.peek(1) == Some(c) { 2 } else { 1 };
                }
                '#' if self.word.is_none() => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.i += 1;
                    }
                }
                '\\' => self.backslash(),
                '\'' => self.single_quoted()?,
                '"' => self.double_quoted()?,
                '$' => self.dollar(),
                '`' => self.backtick(),
                _ => {
                    self.word().push(c);
                    self.i += 1;
                }
            }
        }
        self.finish_command();
        Ok(())
    }

    /// Length of a line continuation at the current backslash: `\` then optional blanks then a
    /// newline. Blanks are tolerated because web pages often leave a space after the backslash.
    fn continuation(&self) -> Option<(usize, bool)> {
        let mut k = 1;
        let mut blanks = false;
        while let Some(c) = self.peek(k) {
            match c {
                '\n' => return Some((k + 1, blanks)),
                '\r' => {}
                ' ' | '\t' => blanks = true,
                _ => return None,
            }
            k += 1;
        }
        None
    }

    fn backslash(&mut self) {
        if let Some((len, blanks)) = self.continuation() {
            // `word\<newline>more` joins; with blanks in between the user meant a separator.
            if blanks {
                self.finish_word();
            }
            self.i += len;
            return;
        }
        match self.peek(1) {
            Some('$') => self.word().push_literal_dollar(),
            Some(next) => self.word().push(next),
            // A dangling backslash at the very end escapes nothing.
            None => {}
        }
        self.i += 2;
    }

    fn single_quoted(&mut self) -> Result<(), RunError> {
        self.word();
        self.i += 1;
        loop {
            let Some(c) = self.peek(0) else {
                return Err(self.unterminated("single"));
            };
            self.i += 1;
            match c {
                '\'' => return Ok(()),
                '$' => self.word().push_literal_dollar(),
                _ => self.word().push(c),
            }
        }
    }

    fn double_quoted(&mut self) -> Result<(), RunError> {
        self.word();
        self.i += 1;
        loop {
            let Some(c) = self.peek(0) else {
                return Err(self.unterminated("double"));
            };
            match c {
                '"' => {
                    self.i += 1;
                    return Ok(());
                }
                '\\' => match self.peek(1) {
                    Some('\n') => self.i += 2,
                    Some('\r') if self.peek(2) == Some('\n') => self.i += 3,
                    Some('$') => {
                        self.word().push_literal_dollar();
                        self.i += 2;
                    }
                    Some(escaped @ ('`' | '"' | '\\')) => {
                        self.word().push(escaped);
                        self.i += 2;
                    }
                    // Inside double quotes other backslashes are kept as typed.
                    _ => {
                        self.word().push('\\');
                        self.i += 1;
                    }
                },
                '$' => self.dollar(),
                '`' => self.backtick(),
                _ => {
                    self.word().push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// A `$` the shell would expand (unquoted or inside double quotes).
    fn dollar(&mut self) {
        // The current directory of a pasted command is the project directory in Compose terms.
        for pwd in ["$(pwd)", "${PWD}"] {
            if self.starts_with(0, pwd) {
                self.replace_with_dot(pwd);
                return;
            }
        }
        let after_pwd = self.peek(4);
        if self.starts_with(0, "$PWD") && !after_pwd.is_some_and(is_name_char) {
            self.replace_with_dot("$PWD");
            return;
        }
        match self.peek(1) {
            Some('(') => {
                let end = self.matching_paren(self.i + 1);
                self.push_substitution(end);
            }
            Some(c) if c == '{' || c == '_' || c.is_ascii_alphabetic() => {
                let word = self.word();
                word.variables = true;
                word.push('$');
                self.i += 1;
            }
            // `$` before anything else is literal to the shell but an error to Compose.
            _ => {
                self.word().push_literal_dollar();
                self.i += 1;
            }
        }
    }

    fn backtick(&mut self) {
        if self.starts_with(0, "`pwd`") {
            self.replace_with_dot("`pwd`");
            return;
        }
        let end = self
            .chars
            .iter()
            .skip(self.i + 1)
            .position(|&c| c == '`')
            .map_or(self.chars.len(), |k| self.i + k + 2);
        self.push_substitution(end);
    }

    /// Index just past the `)` matching the `(` at `start`, or the end of the input.
    fn matching_paren(&self, start: usize) -> usize {
        let mut depth = 0usize;
        for (k, &c) in self.chars.iter().enumerate().skip(start) {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return k + 1;
                    }
                }
                _ => {}
            }
        }
        self.chars.len()
    }

    /// Keeps a command substitution whole, blanks included, as the shell would; Compose cannot
    /// run it, so the word is flagged for a warning.
    fn push_substitution(&mut self, end: usize) {
        let typed: String = self
            .chars
            .get(self.i..end)
            .unwrap_or_default()
            .iter()
            .collect();
        let word = self.word();
        word.substitution = true;
        word.text.push_str(&typed);
        word.shown.push_str(&typed);
        self.i = end;
    }

    fn replace_with_dot(&mut self, typed: &str) {
        let word = self.word();
        word.text.push('.');
        word.shown.push_str(typed);
        word.pwd = true;
        self.i += typed.chars().count();
    }
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

/// The `run` word and the arguments after it when `words` is a docker run command, tolerating a
/// `$` prompt and `sudo`.
fn run_arguments(words: &[Word]) -> Result<(&Word, &[Word]), RunError> {
    let mut rest = words;
    if let [prompt, tail @ ..] = rest
        && prompt.shown == "$"
    {
        rest = tail;
    }
    if let [sudo, tail @ ..] = rest
        && sudo.shown == "sudo"
    {
        rest = skip_sudo_options(tail);
    }
    match rest {
        [program, verb, tail @ ..] if is_engine(program) && verb.shown == "run" => {
            return Ok((verb, tail));
        }
        [program, group, verb, tail @ ..]
            if is_engine(program) && group.shown == "container" && verb.shown == "run" =>
        {
            return Ok((verb, tail));
        }
        _ => {}
    }
    let expected_at = if !rest.first().is_some_and(is_engine) {
        0
    } else if rest.get(1).is_some_and(|w| w.shown == "container") {
        2
    } else {
        1
    };
    Err(match rest.get(expected_at) {
        Some(word) => RunError::NotDockerRun {
            found: format!("`{}`", word.shown),
            position: word.position,
        },
        None => RunError::NotDockerRun {
            found: "the end of the command".to_owned(),
            position: words.last().map_or(1, |w| w.position + 1),
        },
    })
}

fn skip_sudo_options(mut rest: &[Word]) -> &[Word] {
    while let [option, tail @ ..] = rest
        && option.shown.starts_with('-')
    {
        rest = tail;
        // These sudo options take the next word as their value.
        if matches!(
            option.shown.as_str(),
            "-u" | "-g" | "-U" | "-h" | "-p" | "-C" | "-D"
        ) {
            rest = rest.get(1..).unwrap_or_default();
        }
    }
    rest
}

fn is_engine(word: &Word) -> bool {
    let program = word.shown.rsplit('/').next().unwrap_or_default();
    matches!(program, "docker" | "podman")
}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

/// What a boolean option does.
#[derive(Debug, Clone, Copy)]
enum FlagAction {
    Ignore,
    Warn(&'static str),
    Set(&'static str),
    NoHealthcheck,
}

/// What an option with a value does.
#[derive(Debug, Clone, Copy)]
enum ValueAction {
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
enum Action {
    Flag(FlagAction),
    Value(ValueAction),
}

struct OptSpec {
    long: &'static str,
    short: Option<char>,
    action: Action,
}

const fn flag(long: &'static str, short: Option<char>, action: FlagAction) -> OptSpec {
    OptSpec {
        long,
        short,
        action: Action::Flag(action),
    }
}

const fn value(long: &'static str, short: Option<char>, action: ValueAction) -> OptSpec {
    OptSpec {
        long,
        short,
        action: Action::Value(action),
    }
}

const RM_WARNING: &str = "--rm has no Compose equivalent and was ignored: Compose keeps a stopped container until `docker compose down`";
const PUBLISH_ALL_WARNING: &str = "--publish-all has no Compose equivalent and was ignored: list the ports to publish under `ports:`";
const CIDFILE_WARNING: &str = "--cidfile has no Compose equivalent and was ignored";
const GPUS_WARNING: &str = "--gpus became a device reservation under `deploy.resources.reservations.devices` for the NVIDIA driver; check the driver, count and capabilities";

use FlagAction as F;
use ValueAction as V;

/// Every `docker run` option we understand. An option missing here is an error rather than
/// silently dropped: a half-converted service that starts without, say, its volumes is worse
/// than a clear message.
const OPTIONS: &[OptSpec] = &[
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
const SERVICE_KEYS: &[&str] = &[
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

const HEALTH_KEYS: &[&str] = &[
    "test",
    "interval",
    "timeout",
    "retries",
    "start_period",
    "start_interval",
];

/// The option being applied, for error messages.
#[derive(Debug, Clone)]
struct Ctx {
    option: String,
    position: usize,
}

impl Ctx {
    fn invalid(&self, value: &str, reason: impl Into<String>) -> RunError {
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
fn parse_options(args: &[Word], builder: &mut Builder) -> Result<usize, RunError> {
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

fn unknown(ctx: &Ctx, word: &Word) -> RunError {
    RunError::UnknownOption {
        option: ctx.option.clone(),
        word: word.shown.clone(),
        position: ctx.position,
    }
}

fn next_value<'a>(args: &'a [Word], i: usize, ctx: &Ctx) -> Result<&'a str, RunError> {
    args.get(i)
        .map(|w| w.text.as_str())
        .ok_or_else(|| RunError::MissingValue {
            option: ctx.option.clone(),
            position: ctx.position,
        })
}

/// Booleans as the Docker CLI spells them (Go's `strconv.ParseBool`).
fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

fn parse_int(value: &str, ctx: &Ctx) -> Result<i64, RunError> {
    value
        .parse()
        .map_err(|_| ctx.invalid(value, "expected a whole number"))
}

/// A non-negative decimal like `1.5`, normalized (`.5` → `0.5`) so YAML reads it as a number.
fn parse_cpus(value: &str) -> Option<String> {
    let well_formed = value.chars().any(|c| c.is_ascii_digit())
        && value.chars().all(|c| c.is_ascii_digit() || c == '.')
        && value.matches('.').count() <= 1;
    let cpus: f64 = value.parse().ok().filter(|_| well_formed)?;
    Some(format!("{cpus}"))
}

/// Splits a comma-separated option value the way Docker reads `--mount` and `--gpus`: as one
/// CSV record, so `"volume-opt=o=addr=1.2.3.4,rw"` can carry a comma.
fn split_csv(value: &str) -> Result<Vec<String>, String> {
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

// ---------------------------------------------------------------------------------------------
// Building the service
// ---------------------------------------------------------------------------------------------

/// A network the container joins (`--network`), with its per-network settings.
#[derive(Debug, Clone)]
struct NetworkRequest {
    name: String,
    aliases: Vec<String>,
    addresses: Vec<(&'static str, String)>,
    ctx: Ctx,
}

/// A named volume to declare at the top level.
#[derive(Debug, Clone, Default)]
struct VolumeDecl {
    name: String,
    driver: Option<String>,
    driver_opts: Vec<(String, String)>,
    labels: Vec<String>,
}

#[derive(Debug, Default)]
struct Builder {
    fields: BTreeMap<&'static str, Node>,
    name: Option<String>,
    networks: Vec<NetworkRequest>,
    aliases: Vec<String>,
    addresses: Vec<(&'static str, String)>,
    addressing: Option<Ctx>,
    volumes: Vec<VolumeDecl>,
    ulimits: Vec<(String, Node)>,
    log_driver: Option<String>,
    log_opts: Vec<(String, String)>,
    health: Vec<(&'static str, Node)>,
    health_ctx: Option<Ctx>,
    no_healthcheck: Option<Ctx>,
    warnings: Vec<String>,
    pwd_warned: bool,
    variables_warned: bool,
}

fn replace_or_push<K: PartialEq, T>(entries: &mut Vec<(K, T)>, key: K, value: T) {
    match entries.iter_mut().find(|(k, _)| *k == key) {
        Some(entry) => entry.1 = value,
        None => entries.push((key, value)),
    }
}

impl Builder {
    fn warn(&mut self, message: impl Into<String>) {
        let message = message.into();
        if !self.warnings.contains(&message) {
            self.warnings.push(message);
        }
    }

    fn push(&mut self, key: &'static str, node: Node) {
        let list = self
            .fields
            .entry(key)
            .or_insert_with(|| Node::Seq(Vec::new()));
        match list {
            Node::Seq(items) => items.push(node),
            other => *other = Node::Seq(vec![node]),
        }
    }

    fn apply_flag(&mut self, action: FlagAction, on: bool, ctx: &Ctx) {
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

    fn apply_value(&mut self, action: ValueAction, value: &str, ctx: &Ctx) -> Result<(), RunError> {
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

    fn declare_volume(&mut self, name: &str) -> &mut VolumeDecl {
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
    fn volume(&mut self, spec: &str) {
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
    fn mount(&mut self, value: &str, ctx: &Ctx) -> Result<(), RunError> {
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
    fn network(&mut self, value: &str, ctx: &Ctx) -> Result<(), RunError> {
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
    fn ulimit(&mut self, value: &str, ctx: &Ctx) -> Result<(), RunError> {
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
    fn note_shell_features(&mut self, word: &Word) {
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
    fn finish(mut self, image: &str, command: &[Word]) -> Result<Converted, RunError> {
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
    fn resolve_networks(&mut self) -> Result<Vec<String>, RunError> {
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

    fn resolve_healthcheck(&mut self) -> Result<(), RunError> {
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

fn volume_declaration(volume: VolumeDecl) -> Node {
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
fn is_volume_name(source: &str) -> bool {
    let mut chars = source.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// `C:\data:/data` splits into `C`, `\data`, `/data`: a drive letter, not a volume named `C`.
fn is_windows_drive(source: &str, second: &str, rest: &[&str]) -> bool {
    source.len() == 1
        && (second.starts_with('\\')
            || (second.starts_with('/') && rest.first().is_some_and(|r| r.starts_with('/'))))
}

/// Network values that are modes (`network_mode:`) rather than networks to join.
fn is_network_mode(name: &str) -> bool {
    matches!(
        name,
        "host" | "none" | "bridge" | "default" | "private" | "slirp4netns" | "pasta"
    ) || ["container:", "ns:", "slirp4netns:", "pasta:"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

/// `--gpus all`, `--gpus 2`, `--gpus '"device=0,1"'`, `--gpus driver=nvidia,capabilities=compute`.
fn gpu_device(value: &str) -> Result<Node, String> {
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
fn service_name(name: Option<&str>, image: &str) -> String {
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

// ---------------------------------------------------------------------------------------------
// YAML output
// ---------------------------------------------------------------------------------------------

/// A YAML value: block maps and lists, and scalars that are strings, always-quoted strings, or
/// raw numbers and booleans.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Str(String),
    Quoted(String),
    Raw(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    fn str(value: &str) -> Self {
        Node::Str(value.to_owned())
    }

    fn raw(value: &str) -> Self {
        Node::Raw(value.to_owned())
    }

    fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Node)>) -> Self {
        Node::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    fn scalar(&self) -> Option<String> {
        match self {
            Node::Str(s) => Some(yaml_scalar(s)),
            Node::Quoted(s) => Some(double_quoted(s)),
            Node::Raw(s) => Some(s.clone()),
            Node::Seq(items) if items.is_empty() => Some("[]".to_owned()),
            Node::Map(entries) if entries.is_empty() => Some("{}".to_owned()),
            Node::Seq(_) | Node::Map(_) => None,
        }
    }
}

fn indent(out: &mut String, width: usize) {
    out.extend(std::iter::repeat_n(' ', width));
}

/// Writes `value` after `key:` or `-` on the current line; nested blocks go two spaces deeper.
fn write_after_key(out: &mut String, value: &Node, width: usize) {
    match (value.scalar(), value) {
        (Some(scalar), _) => {
            out.push(' ');
            out.push_str(&scalar);
            out.push('\n');
        }
        (None, Node::Seq(items)) => {
            out.push('\n');
            write_seq(out, items, width + 2);
        }
        (None, Node::Map(entries)) => {
            out.push('\n');
            write_map(out, entries, width + 2);
        }
        (None, _) => {}
    }
}

fn write_entry(out: &mut String, key: &str, value: &Node, width: usize) {
    out.push_str(&yaml_scalar(key));
    out.push(':');
    write_after_key(out, value, width);
}

fn write_map(out: &mut String, entries: &[(String, Node)], width: usize) {
    for (key, value) in entries {
        indent(out, width);
        write_entry(out, key, value, width);
    }
}

fn write_seq(out: &mut String, items: &[Node], width: usize) {
    for item in items {
        indent(out, width);
        out.push('-');
        // A map item starts on the dash's line; its other keys align under the first.
        if let Node::Map(entries) = item
            && let Some(((key, value), rest)) = entries.split_first()
        {
            out.push(' ');
            write_entry(out, key, value, width + 2);
            write_map(out, rest, width + 2);
        } else {
            write_after_key(out, item, width);
        }
    }
}

/// Renders `value` as a YAML scalar: plain when no YAML 1.1 or 1.2 reader could take it for
/// anything but that string, double-quoted otherwise.
fn yaml_scalar(value: &str) -> String {
    if needs_quotes(value) {
        double_quoted(value)
    } else {
        value.to_owned()
    }
}

fn needs_quotes(value: &str) -> bool {
    let Some(first) = value.chars().next() else {
        return true;
    };
    let second = value.chars().nth(1);
    value.starts_with(char::is_whitespace)
        || value.ends_with(char::is_whitespace)
        || value.chars().any(|c| c.is_control() || is_line_break_like(c))
        // Indicators that start another kind of node.
        || "*&!|>'\"%@`{}[],#~".contains(first)
        || (matches!(first, '-' | '?' | ':') && second.is_none_or(char::is_whitespace))
        || value.contains(": ")
        || value.ends_with(':')
        || value.contains(['#', '{', '}', '[', ']'])
        || matches!(value, "---" | "..." | "<<" | "=")
        || is_reserved_word(value)
        || looks_numeric(value)
}

/// Characters YAML treats as line breaks or that vanish on copy and paste.
fn is_line_break_like(c: char) -> bool {
    matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// Null and boolean spellings of YAML 1.1 (`yes`, `off`, `y`) as well as 1.2.
fn is_reserved_word(value: &str) -> bool {
    const WORDS: &[&str] = &["null", "true", "false", "yes", "no", "on", "off", "y", "n"];
    WORDS.iter().any(|w| w.eq_ignore_ascii_case(value))
}

/// Anything a YAML reader might take for a number: decimal, hex, octal, binary, floats with
/// exponents, `_` separators and YAML 1.1's base 60 (`8080:80`). Deliberately broad: an extra
/// pair of quotes is harmless, a port read as the integer 484880 is not.
fn looks_numeric(value: &str) -> bool {
    let body = value.strip_prefix(['+', '-']).unwrap_or(value);
    if [".inf", ".nan", "inf", "nan", "infinity"]
        .iter()
        .any(|w| w.eq_ignore_ascii_case(body))
    {
        return true;
    }
    body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && body.chars().any(|c| c.is_ascii_digit())
        && body.chars().all(|c| {
            c.is_ascii_hexdigit()
                || matches!(c, 'x' | 'X' | 'o' | 'O' | '.' | '_' | ':' | '+' | '-')
        })
}

/// A double-quoted YAML scalar with every character that needs it escaped.
fn double_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || is_line_break_like(c) => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(command: &str) -> Converted {
        docker_run_to_compose(command).expect("the command converts")
    }

    fn yaml(command: &str) -> String {
        let converted = convert(command);
        assert_parses(&converted.yaml);
        converted.yaml
    }

    fn error(command: &str) -> RunError {
        docker_run_to_compose(command).expect_err("the command is refused")
    }

    fn texts(input: &str) -> Vec<Vec<String>> {
        tokenize(input)
            .expect("the input tokenizes")
            .into_iter()
            .map(|words| words.into_iter().map(|w| w.text).collect())
            .collect()
    }

    /// The scalars of a YAML document in order, proving it parses.
    fn scalars(yaml: &str) -> Vec<String> {
        saphyr_parser::Parser::new_from_str(yaml)
            .map(|event| event.expect("the YAML parses").0)
            .filter_map(|event| match event {
                saphyr_parser::Event::Scalar(value, ..) => Some(value.into_owned()),
                _ => None,
            })
            .collect()
    }

    fn assert_parses(yaml: &str) {
        assert!(!scalars(yaml).is_empty(), "{yaml}");
    }

    #[test]
    fn the_classic_composerize_example_becomes_an_nginx_service() {
        let converted = convert(
            "docker run -d -p 80:80 -v /var/run/docker.sock:/tmp/docker.sock:ro --restart always --log-opt max-size=1g nginx",
        );
        assert_eq!(converted.service_name, "nginx");
        assert_eq!(
            converted.yaml,
            "services:
  nginx:
    image: nginx
    ports:
      - \"80:80\"
    volumes:
      - /var/run/docker.sock:/tmp/docker.sock:ro
    restart: always
    logging:
      options:
        max-size: 1g
"
        );
        assert!(converted.warnings.is_empty(), "{:?}", converted.warnings);
        assert_parses(&converted.yaml);
    }

    #[test]
    fn a_named_volume_is_declared_at_the_top_level_with_a_warning() {
        let converted = convert(
            "docker run -d -p 8000:8000 -p 9443:9443 --name portainer --restart=always \
             -v /var/run/docker.sock:/var/run/docker.sock -v portainer_data:/data \
             portainer/portainer-ce:latest",
        );
        assert_eq!(
            converted.yaml,
            "services:
  portainer:
    image: portainer/portainer-ce:latest
    container_name: portainer
    ports:
      - \"8000:8000\"
      - \"9443:9443\"
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
      - portainer_data:/data
    restart: always
volumes:
  portainer_data: {}
"
        );
        assert_eq!(converted.warnings.len(), 1);
        assert!(converted.warnings[0].contains("`portainer_data`"));
    }

    #[test]
    fn a_multi_line_command_with_a_prompt_sudo_and_backslashes_converts() {
        let command = "$ sudo docker run -d \\
    --name=jellyfin \\
    -e PUID=1000 \\
    -e PGID=1000 \\
    -e TZ=Etc/UTC \\
    -p 8096:8096 \\
    -p 7359:7359/udp \\
    -v /path/to/library:/config \\
    --restart unless-stopped \\
    lscr.io/linuxserver/jellyfin:latest
";
        let expected = "services:
  jellyfin:
    image: lscr.io/linuxserver/jellyfin:latest
    container_name: jellyfin
    ports:
      - \"8096:8096\"
      - \"7359:7359/udp\"
    volumes:
      - /path/to/library:/config
    environment:
      - PUID=1000
      - PGID=1000
      - TZ=Etc/UTC
    restart: unless-stopped
";
        assert_eq!(yaml(command), expected);
        // Windows line endings and a stray blank after a backslash, as web pages leave them.
        let sloppy = command.replace(" \\\n", " \\ \r\n");
        assert_eq!(yaml(&sloppy), expected);
    }

    #[test]
    fn environment_accepts_every_form_of_the_env_option() {
        let converted = yaml(
            "docker run -e A=1 --env=B=2 -eC=3 -e D -e 'E=hello world' -e \"F=a: b\" \
             --env G= -e 'PASS=pa$$word' -e HOME_DIR=$HOME alpine",
        );
        assert_eq!(
            converted,
            "services:
  alpine:
    image: alpine
    environment:
      - A=1
      - B=2
      - C=3
      - D
      - E=hello world
      - \"F=a: b\"
      - G=
      - PASS=pa$$$$word
      - HOME_DIR=$HOME
"
        );
    }

    #[test]
    fn literal_dollars_are_escaped_and_variables_are_kept_with_a_warning() {
        let converted = convert("docker run -e \"URL=$BASE/x\" alpine sh -c 'echo $HOME'");
        assert!(
            converted.yaml.contains("- URL=$BASE/x\n"),
            "{}",
            converted.yaml
        );
        assert!(
            converted.yaml.contains("- echo $$HOME\n"),
            "{}",
            converted.yaml
        );
        assert_eq!(converted.warnings.len(), 1, "{:?}", converted.warnings);
        assert!(converted.warnings[0].contains("$VARIABLE"));
    }

    #[test]
    fn the_current_directory_becomes_the_project_directory() {
        let converted = convert(
            "docker run -v $(pwd)/data:/data -v \"$PWD\":/app -v `pwd`/x:/x -v ${PWD}/y:/y node",
        );
        assert!(
            converted.yaml.contains(
                "    volumes:\n      - ./data:/data\n      - .:/app\n      - ./x:/x\n      - ./y:/y\n"
            ),
            "{}",
            converted.yaml
        );
        assert_eq!(converted.warnings.len(), 1, "{:?}", converted.warnings);
        assert!(
            !converted.yaml.contains("\nvolumes:"),
            "bind mounts declare nothing"
        );
    }

    #[test]
    fn command_substitution_is_kept_and_flagged() {
        let converted = convert("docker run -e TOKEN=$(cat token) alpine");
        assert_eq!(converted.service_name, "alpine");
        assert!(
            converted.yaml.contains("- TOKEN=$(cat token)\n"),
            "{}",
            converted.yaml
        );
        assert!(
            converted
                .warnings
                .iter()
                .any(|w| w.contains("command substitution") && w.contains("word 4")),
            "{:?}",
            converted.warnings
        );
    }

    #[test]
    fn mount_options_become_the_long_volume_syntax_and_tmpfs_entries() {
        let converted = yaml(
            "docker run \
             --mount type=bind,source=/srv/app,target=/app,readonly \
             --mount type=volume,src=data,dst=/data,volume-nocopy \
             --mount type=tmpfs,destination=/cache,tmpfs-size=64m,tmpfs-mode=1770 \
             --mount 'type=volume,source=nfs,target=/nfs,volume-driver=local,\"volume-opt=o=addr=10.0.0.1,rw\",volume-opt=type=nfs' \
             --mount type=bind,src=/etc/ssl,dst=/ssl,ro=true,bind-propagation=rslave \
             busybox",
        );
        assert_eq!(
            converted,
            "services:
  busybox:
    image: busybox
    volumes:
      - type: bind
        source: /srv/app
        target: /app
        read_only: true
      - type: volume
        source: data
        target: /data
        volume:
          nocopy: true
      - type: volume
        source: nfs
        target: /nfs
      - type: bind
        source: /etc/ssl
        target: /ssl
        read_only: true
        bind:
          propagation: rslave
    tmpfs:
      - /cache:size=64m,mode=1770
volumes:
  data: {}
  nfs:
    driver: local
    driver_opts:
      o: addr=10.0.0.1,rw
      type: nfs
"
        );
    }

    #[test]
    fn mount_mistakes_are_refused_naming_the_key() {
        let message = error("docker run --mount type=bind,target=/x alpine").to_string();
        assert!(message.contains("needs a source"), "{message}");
        let message = error("docker run --mount src=data alpine").to_string();
        assert!(message.contains("needs a target"), "{message}");
        let message =
            error("docker run --mount type=bind,src=/a,dst=/b,sparkle=1 alpine").to_string();
        assert!(
            message.contains("unknown --mount key `sparkle`"),
            "{message}"
        );
        let message =
            error("docker run --mount type=bind,src=/a,dst=/b,volume-nocopy alpine").to_string();
        assert!(message.contains("type=volume"), "{message}");
    }

    #[test]
    fn health_options_become_a_healthcheck_in_compose_order() {
        let converted = yaml(
            "docker run --health-retries 3 --health-cmd 'curl -f http://localhost/ || exit 1' \
             --health-interval=30s --health-timeout 5s --health-start-period 10s nginx",
        );
        assert_eq!(
            converted,
            "services:
  nginx:
    image: nginx
    healthcheck:
      test:
        - CMD-SHELL
        - curl -f http://localhost/ || exit 1
      interval: 30s
      timeout: 5s
      retries: 3
      start_period: 10s
"
        );
        assert!(
            yaml("docker run --no-healthcheck nginx")
                .ends_with("    healthcheck:\n      disable: true\n")
        );
        assert!(matches!(
            error("docker run --no-healthcheck --health-cmd true nginx"),
            RunError::Conflict { position: 3, .. }
        ));
        assert!(matches!(
            error("docker run --health-retries often nginx"),
            RunError::InvalidValue { position: 3, .. }
        ));
    }

    #[test]
    fn combined_short_flags_split_like_the_docker_cli() {
        let converted = convert(
            "docker run -dit -p8080:80 -eFOO=bar -v=/a:/b --rm -P ubuntu:22.04 bash -c 'echo hi'",
        );
        assert_eq!(
            converted.yaml,
            "services:
  ubuntu:
    image: ubuntu:22.04
    stdin_open: true
    tty: true
    ports:
      - \"8080:80\"
    volumes:
      - /a:/b
    environment:
      - FOO=bar
    command:
      - bash
      - -c
      - echo hi
"
        );
        assert_eq!(converted.warnings, [RM_WARNING, PUBLISH_ALL_WARNING]);
        // `-it=false` style values and `--flag=false` turn a flag back off.
        let off = yaml("docker run -i -t=false --init --init=false alpine");
        assert_eq!(
            off,
            "services:\n  alpine:\n    image: alpine\n    stdin_open: true\n"
        );
    }

    #[test]
    fn arguments_after_the_image_belong_to_the_command_even_when_they_look_like_options() {
        let converted =
            yaml("docker run --rm -- redis:7 redis-server --appendonly yes --port 6380");
        assert!(
            converted.ends_with(
                "    command:\n      - redis-server\n      - --appendonly\n      - \"yes\"\n      - --port\n      - \"6380\"\n"
            ),
            "{converted}"
        );
    }

    #[test]
    fn every_supported_option_lands_on_its_key_in_a_stable_order() {
        let converted = convert(
            "docker run --runtime runc --cgroupns private --userns host --group-add video \
             --pull always --platform linux/amd64 --stop-timeout 30 --stop-signal SIGINT \
             --sysctl net.core.somaxconn=1024 --ipc=host --pid host --log-opt max-file=3 \
             --log-driver json-file --read-only --init --shm-size 1g --cpu-shares 512 --cpus .5 \
             --memory-reservation 256m -m 512m --memory-swap -1 --ulimit nofile=1024:2048 \
             --ulimit nproc=512 --security-opt no-new-privileges:true --device /dev/ttyUSB0 \
             --privileged --cap-drop ALL --cap-add NET_ADMIN --dns-search example.com \
             --dns 1.1.1.1 --add-host db:10.0.0.2 -h web --entrypoint /init -u 1000:1000 \
             -w /srv --restart no -l traefik.enable=true --env-file .env --tmpfs /run \
             --expose 9000 --name /My.App example/app --port 8080",
        );
        assert_eq!(converted.service_name, "my-app");
        assert_eq!(
            converted.yaml,
            "services:
  my-app:
    image: example/app
    container_name: My.App
    expose:
      - \"9000\"
    tmpfs:
      - /run
    env_file:
      - .env
    labels:
      - traefik.enable=true
    restart: \"no\"
    working_dir: /srv
    user: \"1000:1000\"
    entrypoint:
      - /init
    hostname: web
    extra_hosts:
      - db:10.0.0.2
    dns:
      - \"1.1.1.1\"
    dns_search:
      - example.com
    cap_add:
      - NET_ADMIN
    cap_drop:
      - ALL
    privileged: true
    devices:
      - /dev/ttyUSB0
    security_opt:
      - no-new-privileges:true
    ulimits:
      nofile:
        soft: 1024
        hard: 2048
      nproc: 512
    mem_limit: 512m
    mem_reservation: 256m
    memswap_limit: -1
    cpus: 0.5
    cpu_shares: 512
    shm_size: 1g
    init: true
    read_only: true
    logging:
      driver: json-file
      options:
        max-file: \"3\"
    pid: host
    ipc: host
    sysctls:
      - net.core.somaxconn=1024
    stop_signal: SIGINT
    stop_grace_period: 30s
    platform: linux/amd64
    pull_policy: always
    group_add:
      - video
    userns_mode: host
    cgroup: private
    runtime: runc
    command:
      - --port
      - \"8080\"
"
        );
        assert!(converted.warnings.is_empty(), "{:?}", converted.warnings);
        assert_parses(&converted.yaml);
    }

    #[test]
    fn an_empty_entrypoint_clears_the_image_entrypoint() {
        assert!(yaml("docker run --entrypoint '' alpine").ends_with("    entrypoint: []\n"));
    }

    #[test]
    fn user_networks_are_joined_and_declared_external() {
        let converted = yaml(
            "docker run --network web --network-alias api --ip 172.20.0.5 --net=backend traefik/whoami",
        );
        assert_eq!(
            converted,
            "services:
  whoami:
    image: traefik/whoami
    networks:
      web:
        aliases:
          - api
        ipv4_address: \"172.20.0.5\"
      backend: {}
networks:
  web:
    external: true
  backend:
    external: true
"
        );
        assert!(
            yaml("docker run --network proxy nginx").contains("    networks:\n      - proxy\n")
        );
        assert!(
            yaml("docker run --network name=proxy,alias=web nginx")
                .contains("    networks:\n      proxy:\n        aliases:\n          - web\n")
        );
    }

    #[test]
    fn special_networks_become_a_network_mode() {
        assert!(yaml("docker run --net=host nginx").contains("    network_mode: host\n"));
        assert!(
            yaml("docker run --network container:db nginx")
                .contains("    network_mode: container:db\n")
        );
        assert!(yaml("docker run --network default nginx").contains("    network_mode: bridge\n"));
        assert_eq!(
            error("docker run --network host --network web nginx"),
            RunError::Conflict {
                option: "--network".into(),
                position: 5,
                other: "`--network host` (word 3): a container in network mode `host` joins no other network".into(),
            }
        );
        assert!(matches!(
            error("docker run --network-alias api nginx"),
            RunError::Conflict { position: 3, .. }
        ));
    }

    #[test]
    fn gpus_become_a_device_reservation_with_a_warning() {
        let converted = convert("docker run --gpus all nvidia/cuda:12.0-base nvidia-smi");
        assert_eq!(
            converted.yaml,
            "services:
  cuda:
    image: nvidia/cuda:12.0-base
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: all
              capabilities:
                - gpu
    command:
      - nvidia-smi
"
        );
        assert_eq!(converted.warnings, [GPUS_WARNING]);
        assert_parses(&converted.yaml);
        let devices = yaml("docker run --gpus '\"device=0,1\",capabilities=compute' cuda");
        assert!(
            devices.contains(
                "            - driver: nvidia\n              device_ids:\n                - \"0\"\n                - \"1\"\n              capabilities:\n                - gpu\n                - compute\n"
            ),
            "{devices}"
        );
        assert!(yaml("docker run --gpus 2 cuda").contains("              count: 2\n"));
    }

    #[test]
    fn the_service_name_comes_from_the_image_without_registry_tag_or_digest() {
        let name = |command: &str| convert(command).service_name;
        assert_eq!(name("docker run ghcr.io/linuxserver/nginx:1.2"), "nginx");
        assert_eq!(
            name("docker run localhost:5000/team/My_App@sha256:0123"),
            "my_app"
        );
        assert_eq!(
            name("docker run registry.example.com:443/a/b/web.server:latest"),
            "web-server"
        );
        assert_eq!(
            name("docker run --name '  Fancy  Name!! ' alpine"),
            "fancy-name"
        );
        assert_eq!(service_name(None, "__"), "app");
    }

    #[test]
    fn docker_container_run_podman_and_full_paths_are_accepted() {
        for command in [
            "docker container run alpine",
            "podman run alpine",
            "/usr/bin/docker run alpine",
            "sudo -E docker run alpine",
            "sudo -u root docker run alpine",
            "  $ docker run alpine  ",
        ] {
            assert_eq!(convert(command).service_name, "alpine", "{command}");
        }
    }

    #[test]
    fn other_commands_around_the_docker_run_are_ignored_with_a_warning() {
        let converted = convert(
            "docker pull nginx && docker run -d nginx\n# then check it\ndocker run -d redis; docker logs web",
        );
        assert_eq!(converted.service_name, "nginx");
        assert_eq!(
            converted.warnings,
            [
                "ignored `docker pull nginx` (word 1): only the docker run command is converted",
                "ignored the second docker run command starting at word 8: convert it separately",
                "ignored `docker logs web` (word 12): only the docker run command is converted",
            ]
        );
    }

    #[test]
    fn what_is_not_a_docker_run_command_is_refused_naming_the_word() {
        assert_eq!(error(""), RunError::Empty);
        assert_eq!(error("  \\\n # just a comment"), RunError::Empty);
        assert_eq!(
            error("ls -la"),
            RunError::NotDockerRun {
                found: "`ls`".into(),
                position: 1
            }
        );
        assert_eq!(
            error("docker ps -a").to_string(),
            "not a docker run command: expected `docker run`, `docker container run` or `podman run` at word 2, found `ps`"
        );
        assert_eq!(
            error("docker container"),
            RunError::NotDockerRun {
                found: "the end of the command".into(),
                position: 3
            }
        );
    }

    #[test]
    fn a_missing_image_names_the_last_word() {
        assert_eq!(
            error("docker run"),
            RunError::MissingImage {
                last: "run".into(),
                position: 2
            }
        );
        assert_eq!(
            error("docker run -d -p 80:80").to_string(),
            "the command names no image: it ends after word 5 (`80:80`)"
        );
        assert!(matches!(
            error("docker run -d ''"),
            RunError::MissingImage { position: 3, .. }
        ));
    }

    #[test]
    fn an_option_without_its_value_is_refused() {
        assert_eq!(
            error("docker run -d -p"),
            RunError::MissingValue {
                option: "-p".into(),
                position: 4
            }
        );
        // After the image everything belongs to the command, even an option without its value.
        assert!(yaml("docker run nginx --name").ends_with("    command:\n      - --name\n"));
        assert_eq!(
            error("docker run --name").to_string(),
            "option `--name` (word 3) needs a value"
        );
    }

    #[test]
    fn unknown_options_are_refused_rather_than_dropped() {
        assert_eq!(
            error("docker run --frobnicate nginx").to_string(),
            "unknown option `--frobnicate` in word 3 (`--frobnicate`)"
        );
        assert_eq!(
            error("docker run -dz nginx"),
            RunError::UnknownOption {
                option: "-z".into(),
                word: "-dz".into(),
                position: 3
            }
        );
    }

    #[test]
    fn malformed_values_are_refused_naming_option_and_value() {
        assert_eq!(
            error("docker run --ulimit nofile=soft nginx").to_string(),
            "invalid value `nofile=soft` for `--ulimit` (word 3): `soft` is not a whole number"
        );
        for command in [
            "docker run --ulimit nofile nginx",
            "docker run --cpus many nginx",
            "docker run --cpu-shares 1.5 nginx",
            "docker run --stop-timeout 10s nginx",
            "docker run --log-opt max-size nginx",
            "docker run --rm=maybe nginx",
            "docker run --gpus device=0,count=1 nginx",
            "docker run --name / nginx",
        ] {
            assert!(
                matches!(error(command), RunError::InvalidValue { position: 3, .. }),
                "{command}"
            );
        }
    }

    #[test]
    fn an_unterminated_quote_names_its_word() {
        assert_eq!(
            error("docker run -e 'A=1 nginx"),
            RunError::UnterminatedQuote {
                quote: "single",
                token: "'A=1 nginx".into(),
                position: 4
            }
        );
        assert_eq!(
            error("docker run --name \"web nginx").to_string(),
            "unterminated double quote in word 4: `\"web nginx`"
        );
    }

    #[test]
    fn words_split_like_a_posix_shell() {
        assert_eq!(
            texts(r#"a 'b c' "d \"e\" \$f \x" g\ h '' i"j"'k'"#),
            [vec!["a", "b c", r#"d "e" $$f \x"#, "g h", "", "ijk"]]
        );
        assert_eq!(texts("a \\\n  b ab\\\ncd"), [vec!["a", "b", "abcd"]]);
        assert_eq!(
            texts("'multi\nline' \"x\\\ny\""),
            [vec!["multi\nline", "xy"]]
        );
        assert_eq!(
            texts("a; b && c || d | e & f\ng # no\nh#not-a-comment"),
            [
                vec!["a"],
                vec!["b"],
                vec!["c"],
                vec!["d"],
                vec!["e"],
                vec!["f"],
                vec!["g"],
                vec!["h#not-a-comment"]
            ]
        );
    }

    #[test]
    fn dollars_stay_variables_only_where_the_shell_would_expand_them() {
        assert_eq!(
            texts(r#"$HOME '$HOME' "$HOME" \$HOME ${A:-b} $5 a$ $(pwd)/x "${PWD}" $PWDX"#),
            [vec![
                "$HOME", "$$HOME", "$HOME", "$$HOME", "${A:-b}", "$$5", "a$$", "./x", ".", "$PWDX"
            ]]
        );
        let words = tokenize("x $(pwd) \"$(date)\"").expect("the input tokenizes");
        let shown: Vec<&str> = words[0].iter().map(|w| w.shown.as_str()).collect();
        assert_eq!(shown, ["x", "$(pwd)", "$(date)"]);
        assert!(words[0][2].substitution && words[0][1].pwd);
    }

    #[test]
    fn the_scalar_helper_leaves_ordinary_strings_plain() {
        for plain in [
            "nginx",
            "ghcr.io/linuxserver/nginx:1.2",
            "/var/run/docker.sock:/tmp/docker.sock:ro",
            "512m",
            "30s",
            "--config",
            "-c",
            "curl -f http://localhost/ || exit 1",
            "TZ=Europe/Berlin",
            ".env",
            "a,b",
            "héllo wörld",
        ] {
            assert_eq!(yaml_scalar(plain), plain);
        }
    }

    #[test]
    fn the_scalar_helper_quotes_whatever_yaml_could_misread() {
        for (value, quoted) in [
            ("", r#""""#),
            ("80:80", r#""80:80""#),
            ("8080", r#""8080""#),
            ("-1", r#""-1""#),
            ("1.5", r#""1.5""#),
            (".5", r#"".5""#),
            ("0x1F", r#""0x1F""#),
            ("1_000", r#""1_000""#),
            ("1e3", r#""1e3""#),
            ("172.20.0.5", r#""172.20.0.5""#),
            (".inf", r#"".inf""#),
            ("-.NaN", r#""-.NaN""#),
            ("no", r#""no""#),
            ("Yes", r#""Yes""#),
            ("off", r#""off""#),
            ("NULL", r#""NULL""#),
            ("~", r#""~""#),
            ("y", r#""y""#),
            ("a: b", r#""a: b""#),
            ("key:", r#""key:""#),
            ("a #b", r##""a #b""##),
            ("#x", r##""#x""##),
            ("*x", r#""*x""#),
            ("&x", r#""&x""#),
            ("!x", r#""!x""#),
            ("|x", r#""|x""#),
            (">x", r#"">x""#),
            ("'x'", r#""'x'""#),
            ("\"x\"", r#""\"x\"""#),
            ("%x", r#""%x""#),
            ("@x", r#""@x""#),
            ("`x`", r#""`x`""#),
            ("{x}", r#""{x}""#),
            ("[x]", r#""[x]""#),
            ("a[0]", r#""a[0]""#),
            ("-", r#""-""#),
            ("- x", r#""- x""#),
            ("? x", r#""? x""#),
            (":", r#"":""#),
            ("---", r#""---""#),
            ("<<", r#""<<""#),
            (" lead", r#"" lead""#),
            ("trail ", r#""trail ""#),
            ("line\nbreak", r#""line\nbreak""#),
            ("tab\there", r#""tab\there""#),
            ("back\\slash: x", r#""back\\slash: x""#),
            ("bell\u{7}", r#""bell\u0007""#),
            ("sep\u{2028}", r#""sep\u2028""#),
        ] {
            assert_eq!(yaml_scalar(value), quoted, "{value:?}");
        }
    }

    #[test]
    fn every_scalar_reads_back_as_the_same_string() {
        let values = [
            "nginx",
            "",
            "80:80",
            "a: b",
            "#x",
            "\"x\"",
            "back\\slash",
            "line\nbreak",
            "tab\there",
            "bell\u{7}",
            "sep\u{2028}",
            "-c",
            "--config",
            "no",
            "~",
            " lead",
            "http://x/?a=1&b=[2]",
            "héllo",
        ];
        let mut document = String::new();
        for value in values {
            document.push_str(&format!("- {}\n", yaml_scalar(value)));
        }
        assert_eq!(scalars(&document), values);
    }

    #[test]
    fn nested_lists_and_maps_are_written_as_indented_blocks() {
        let tree = vec![(
            "root".to_owned(),
            Node::Seq(vec![
                Node::map([
                    ("a", Node::str("1")),
                    ("b", Node::Seq(vec![Node::raw("true")])),
                ]),
                Node::Seq(vec![Node::str("x")]),
                Node::Map(Vec::new()),
                Node::Quoted("q".into()),
            ]),
        )];
        let mut out = String::new();
        write_map(&mut out, &tree, 0);
        assert_eq!(
            out,
            "root:\n  - a: \"1\"\n    b:\n      - true\n  -\n    - x\n  - {}\n  - \"q\"\n"
        );
        assert_eq!(scalars(&out), ["root", "a", "1", "b", "true", "x", "q"]);
    }

    #[test]
    fn odd_input_gives_an_answer_rather_than_a_panic() {
        for command in [
            "\\",
            "docker run \\",
            "docker run $(",
            "docker run `",
            "docker run -e $(echo (nested) x alpine",
            "docker run -é alpine",
            "docker run --=x alpine",
            "docker run - alpine",
            "docker run --mount '\"unterminated' alpine",
            "docker run --gpus '' alpine",
            "docker run -v C:\\\\data:/data alpine",
            "docker run ünïcödé/ïmage:tag",
            "&&&; ||",
        ] {
            let _ = docker_run_to_compose(command);
        }
        assert!(!yaml("docker run -v C:\\\\data:/data alpine").contains("\nvolumes:"));
    }

    #[test]
    fn every_option_key_has_a_place_in_the_service_order() {
        for spec in OPTIONS {
            let key = match spec.action {
                Action::Flag(FlagAction::Set(key))
                | Action::Value(
                    ValueAction::Str(key)
                    | ValueAction::Int(key)
                    | ValueAction::Bytes(key)
                    | ValueAction::List(key)
                    | ValueAction::QuotedList(key),
                ) => key,
                _ => continue,
            };
            assert!(
                SERVICE_KEYS.contains(&key),
                "--{} writes `{key}`",
                spec.long
            );
        }
        let mut longs: Vec<&str> = OPTIONS.iter().map(|s| s.long).collect();
        longs.sort_unstable();
        longs.dedup();
        assert_eq!(longs.len(), OPTIONS.len(), "no option is listed twice");
    }
}
