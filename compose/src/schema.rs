//! The Compose Specification's structural rules (what compose-go's `compose-spec.json` says),
//! checked on the raw YAML document before variables are interpolated.
//!
//! The rules are written here as a small tree of `Schema` shapes, built once, that mirrors the
//! JSON Schema keywords the specification uses (`type`, `enum`, `pattern`, `minimum`/`maximum`,
//! `properties`, `patternProperties`, `additionalProperties: false`, `required`, `items`,
//! `uniqueItems`, `oneOf`, `deprecated`) with their JSON Schema meaning, so that a document is
//! accepted exactly when the canonical schema accepts it (`tests/schema_differential.rs` checks
//! that). What differs is the reporting: one message per problem, phrased for a person, with the
//! path and position of the offending value.
//!
//! Values tagged `!reset` are left out, as compose-go removes them before it validates.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::BitOr;
use std::sync::OnceLock;

use crate::diag::{Diagnostic, did_you_mean, join_index, join_key};
use crate::yaml::{Node, Tag, Value};

/// Checks a Compose document against the Compose Specification's structure.
pub fn validate(doc: &Node) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if doc.is_null() {
        out.push(Diagnostic::error("", doc.pos, "the Compose file is empty"));
        return out;
    }
    check(doc, root(), "", Label::Root, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Shapes

/// The JSON types a value may have: JSON Schema's `type` keyword as a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Types(u8);

const NULL: Types = Types(1);
const BOOL: Types = Types(2);
const INT: Types = Types(4);
const NUM: Types = Types(8);
const STR: Types = Types(16);
const ARR: Types = Types(32);
const OBJ: Types = Types(64);
const ANY: Types = Types(127);

impl BitOr for Types {
    type Output = Types;

    fn bitor(self, other: Types) -> Types {
        Types(self.0 | other.0)
    }
}

impl Types {
    fn has(self, other: Types) -> bool {
        self.0 & other.0 != 0
    }

    fn accepts(self, node: &Node) -> bool {
        match &node.value {
            Value::Null => self.has(NULL),
            Value::Bool(_) => self.has(BOOL),
            Value::Int(_) => self.has(NUM | INT),
            // JSON Schema counts 2.0 as an integer: integers are numbers with no fraction.
            Value::Float(f) => {
                self.has(NUM) || (self.has(INT) && f.is_finite() && f.fract() == 0.0)
            }
            Value::Str(_) => self.has(STR),
            Value::Seq(_) => self.has(ARR),
            Value::Map(_) => self.has(OBJ),
        }
    }

    /// "a string or a number", in a fixed order.
    fn describe(self) -> String {
        let mut names = Vec::new();
        if self.has(STR) {
            names.push("a string");
        }
        if self.has(NUM) {
            names.push("a number");
        } else if self.has(INT) {
            names.push("an integer");
        }
        if self.has(BOOL) {
            names.push("a boolean");
        }
        if self.has(ARR) {
            names.push("a list");
        }
        if self.has(OBJ) {
            names.push("a mapping");
        }
        if self.has(NULL) {
            names.push("null");
        }
        match names.split_last() {
            None => "nothing".to_owned(),
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        }
    }
}

/// The `patternProperties` patterns of the specification, as predicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyPattern {
    /// `^x-`
    Extension,
    /// `^[a-zA-Z0-9._-]+$`
    Name,
    /// `^.+$`: `.` does not match a line feed, and `$` is the end of the text.
    Line,
    /// `.+`, unanchored: some character other than a line feed.
    NotBlank,
    /// `^[a-z]+$`
    Lowercase,
}

impl KeyPattern {
    fn matches(self, key: &str) -> bool {
        match self {
            KeyPattern::Extension => key.starts_with("x-"),
            KeyPattern::Name => {
                !key.is_empty()
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            }
            KeyPattern::Line => !key.is_empty() && !key.contains('\n'),
            KeyPattern::NotBlank => key.chars().any(|c| c != '\n'),
            KeyPattern::Lowercase => !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase()),
        }
    }

    fn rule(self) -> &'static str {
        match self {
            KeyPattern::Extension => "extension keys start with \"x-\"",
            KeyPattern::Name => "names may only use letters, digits, \".\", \"_\" and \"-\"",
            KeyPattern::Line => "keys must be non-empty and on one line",
            KeyPattern::NotBlank => "keys must not be empty",
            KeyPattern::Lowercase => "names are lowercase letters only",
        }
    }
}

/// The value `pattern`s of the specification, as predicates. Both are unanchored, so they only
/// need to match somewhere in the string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextPattern {
    /// `[a-zA-Z0-9][a-zA-Z0-9_.-]+`
    ContainerName,
    /// `always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+`
    PullPolicy,
}

impl TextPattern {
    fn matches(self, text: &str) -> bool {
        match self {
            TextPattern::ContainerName => text.as_bytes().windows(2).any(|w| {
                w[0].is_ascii_alphanumeric()
                    && (w[1].is_ascii_alphanumeric() || matches!(w[1], b'_' | b'.' | b'-'))
            }),
            TextPattern::PullPolicy => {
                const WORDS: [&str; 8] = [
                    "always",
                    "never",
                    "build",
                    "if_not_present",
                    "missing",
                    "refresh",
                    "daily",
                    "weekly",
                ];
                WORDS.iter().any(|w| text.contains(w))
                    || text.match_indices("every_").any(|(i, w)| {
                        let rest = &text.as_bytes()[i + w.len()..];
                        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                        digits > 0 && rest.get(digits).is_some_and(|b| b"wdhms".contains(b))
                    })
            }
        }
    }

    fn describe(self) -> &'static str {
        match self {
            TextPattern::ContainerName => {
                "a valid container name (a letter or digit followed by letters, digits, \"_\", \".\" or \"-\")"
            }
            TextPattern::PullPolicy => {
                "a valid pull policy (always, never, missing, if_not_present, build, daily, weekly, every_<duration> or refresh)"
            }
        }
    }
}

/// One shape of the specification: a JSON Schema (sub)schema restricted to the keywords the
/// specification uses. Unset parts constrain nothing.
#[derive(Debug, Clone)]
struct Schema {
    types: Types,
    /// What a value of this shape is called when it is named by its key ("service").
    noun: Option<&'static str>,
    choices: &'static [&'static str],
    pattern: Option<TextPattern>,
    minimum: Option<i64>,
    maximum: Option<i64>,
    /// Why the key is deprecated: JSON Schema's `deprecated`, reported as a warning.
    deprecated: Option<&'static str>,
    properties: Vec<(&'static str, Schema)>,
    patterns: Vec<(KeyPattern, Schema)>,
    /// `additionalProperties: false`.
    closed: bool,
    required: &'static [&'static str],
    items: Option<Box<Schema>>,
    unique: bool,
    one_of: Vec<Schema>,
}

fn any() -> Schema {
    Schema {
        types: ANY,
        noun: None,
        choices: &[],
        pattern: None,
        minimum: None,
        maximum: None,
        deprecated: None,
        properties: Vec::new(),
        patterns: Vec::new(),
        closed: false,
        required: &[],
        items: None,
        unique: false,
        one_of: Vec::new(),
    }
}

fn typed(types: Types) -> Schema {
    Schema { types, ..any() }
}

fn string() -> Schema {
    typed(STR)
}

fn integer() -> Schema {
    typed(INT)
}

fn array(items: Schema) -> Schema {
    Schema {
        items: Some(Box::new(items)),
        ..typed(ARR)
    }
}

fn object() -> Schema {
    typed(OBJ)
}

fn one_of(branches: impl IntoIterator<Item = Schema>) -> Schema {
    Schema {
        one_of: branches.into_iter().collect(),
        ..any()
    }
}

impl Schema {
    fn props(mut self, props: impl IntoIterator<Item = (&'static str, Schema)>) -> Self {
        self.properties.extend(props);
        self
    }

    fn keys(mut self, pattern: KeyPattern, schema: Schema) -> Self {
        self.patterns.push((pattern, schema));
        self
    }

    /// `additionalProperties: false`.
    fn closed(mut self) -> Self {
        self.closed = true;
        self
    }

    /// `additionalProperties: false` with `patternProperties: {"^x-": {}}`.
    fn closed_ext(self) -> Self {
        self.keys(KeyPattern::Extension, any()).closed()
    }

    fn required(mut self, keys: &'static [&'static str]) -> Self {
        self.required = keys;
        self
    }

    fn choices(mut self, choices: &'static [&'static str]) -> Self {
        self.choices = choices;
        self
    }

    fn pattern(mut self, pattern: TextPattern) -> Self {
        self.pattern = Some(pattern);
        self
    }

    fn range(mut self, minimum: Option<i64>, maximum: Option<i64>) -> Self {
        self.minimum = minimum;
        self.maximum = maximum;
        self
    }

    fn unique(mut self) -> Self {
        self.unique = true;
        self
    }

    fn or_null(mut self) -> Self {
        self.types = self.types | NULL;
        self
    }

    fn noun(mut self, noun: &'static str) -> Self {
        self.noun = Some(noun);
        self
    }

    fn deprecated(mut self, why: &'static str) -> Self {
        self.deprecated = Some(why);
        self
    }

    /// Whether the value has a type some branch of this shape allows.
    fn admits(&self, node: &Node) -> bool {
        self.types.accepts(node)
            && (self.one_of.is_empty() || self.one_of.iter().any(|b| b.admits(node)))
    }

    /// The types this shape allows, looking into `oneOf`.
    fn all_types(&self) -> Types {
        if self.one_of.is_empty() {
            return self.types;
        }
        let inner = self
            .one_of
            .iter()
            .fold(Types(0), |acc, b| acc | b.all_types());
        Types(self.types.0 & inner.0)
    }
}

// ---------------------------------------------------------------------------------------------
// The specification (the `$defs` of compose-spec.json, one function each)

fn root() -> &'static Schema {
    static ROOT: OnceLock<Schema> = OnceLock::new();
    ROOT.get_or_init(|| {
        object()
            .props([
                (
                    "version",
                    string().deprecated("is obsolete: Compose ignores it, so it can be removed"),
                ),
                ("name", string()),
                ("include", array(include())),
                (
                    "services",
                    object().keys(KeyPattern::Name, service()).closed(),
                ),
                ("models", object().keys(KeyPattern::Name, model())),
                ("networks", object().keys(KeyPattern::Name, network())),
                (
                    "volumes",
                    object().keys(KeyPattern::Name, volume()).closed(),
                ),
                (
                    "secrets",
                    object().keys(KeyPattern::Name, secret()).closed(),
                ),
                (
                    "configs",
                    object().keys(KeyPattern::Name, config()).closed(),
                ),
            ])
            .closed_ext()
    })
}

fn bool_or_string() -> Schema {
    typed(BOOL | STR)
}

fn number_or_string() -> Schema {
    typed(NUM | STR)
}

fn integer_or_string() -> Schema {
    typed(INT | STR)
}

fn strings() -> Schema {
    array(string())
}

fn unique_strings() -> Schema {
    array(string()).unique()
}

fn list_of_strings() -> Schema {
    unique_strings()
}

fn string_or_list() -> Schema {
    one_of([string(), list_of_strings()])
}

fn list_or_dict() -> Schema {
    one_of([
        object()
            .keys(KeyPattern::NotBlank, typed(STR | NUM | BOOL | NULL))
            .closed(),
        unique_strings(),
    ])
}

fn driver_opts() -> Schema {
    object().keys(KeyPattern::Line, typed(STR | NUM))
}

fn command() -> Schema {
    one_of([typed(NULL), string(), strings()])
}

fn service() -> Schema {
    object()
        .noun("service")
        .props([
            ("develop", development()),
            ("deploy", deployment()),
            ("annotations", list_or_dict()),
            ("attach", bool_or_string()),
            ("build", build()),
            ("blkio_config", blkio_config()),
            ("cap_add", unique_strings()),
            ("cap_drop", unique_strings()),
            ("cgroup", string().choices(&["host", "private"])),
            ("cgroup_parent", string()),
            ("command", command()),
            ("configs", service_config_or_secret()),
            (
                "container_name",
                string().pattern(TextPattern::ContainerName),
            ),
            (
                "cpu_count",
                one_of([string(), integer().range(Some(0), None)]),
            ),
            (
                "cpu_percent",
                one_of([string(), integer().range(Some(0), Some(100))]),
            ),
            ("cpu_shares", number_or_string()),
            ("cpu_quota", number_or_string()),
            ("cpu_period", number_or_string()),
            ("cpu_rt_period", number_or_string()),
            ("cpu_rt_runtime", number_or_string()),
            ("cpus", number_or_string()),
            ("cpuset", string()),
            (
                "credential_spec",
                object()
                    .props([
                        ("config", string()),
                        ("file", string()),
                        ("registry", string()),
                    ])
                    .closed_ext(),
            ),
            ("depends_on", depends_on()),
            ("device_cgroup_rules", list_of_strings()),
            (
                "devices",
                array(one_of([
                    string(),
                    object()
                        .props([
                            ("source", string()),
                            ("target", string()),
                            ("permissions", string()),
                        ])
                        .required(&["source"])
                        .closed_ext(),
                ])),
            ),
            ("dns", string_or_list()),
            ("dns_opt", unique_strings()),
            ("dns_search", string_or_list()),
            ("domainname", string()),
            ("entrypoint", command()),
            ("env_file", env_file()),
            ("label_file", one_of([string(), strings()])),
            ("environment", list_or_dict()),
            ("expose", array(typed(STR | NUM)).unique()),
            (
                "extends",
                one_of([
                    string(),
                    object()
                        .props([("service", string()), ("file", string())])
                        .required(&["service"])
                        .closed(),
                ]),
            ),
            ("provider", provider()),
            ("external_links", unique_strings()),
            ("extra_hosts", extra_hosts()),
            ("gpus", gpus()),
            ("group_add", array(typed(STR | NUM)).unique()),
            ("healthcheck", healthcheck()),
            ("hostname", string()),
            ("image", string()),
            ("init", bool_or_string()),
            ("ipc", string()),
            ("isolation", string()),
            ("labels", list_or_dict()),
            ("links", unique_strings()),
            (
                "logging",
                object()
                    .props([
                        ("driver", string()),
                        (
                            "options",
                            object().keys(KeyPattern::Line, typed(STR | NUM | NULL)),
                        ),
                    ])
                    .closed_ext(),
            ),
            ("mac_address", string()),
            ("mem_limit", number_or_string()),
            ("mem_reservation", integer_or_string()),
            ("mem_swappiness", integer_or_string()),
            ("memswap_limit", number_or_string()),
            ("network_mode", string()),
            ("models", service_models()),
            ("networks", service_networks()),
            ("oom_kill_disable", bool_or_string()),
            (
                "oom_score_adj",
                one_of([string(), integer().range(Some(-1000), Some(1000))]),
            ),
            ("pid", typed(STR | NULL)),
            ("pids_limit", number_or_string()),
            ("platform", string()),
            ("ports", ports()),
            ("pre_start", array(pre_start_hook())),
            ("post_start", array(service_hook())),
            ("pre_stop", array(service_hook())),
            ("privileged", bool_or_string()),
            ("profiles", list_of_strings()),
            ("pull_policy", string().pattern(TextPattern::PullPolicy)),
            ("pull_refresh_after", string()),
            ("read_only", bool_or_string()),
            ("restart", string()),
            ("runtime", string()),
            ("scale", integer_or_string()),
            ("security_opt", unique_strings()),
            ("shm_size", number_or_string()),
            ("secrets", service_config_or_secret()),
            ("sysctls", list_or_dict()),
            ("stdin_open", bool_or_string()),
            ("stop_grace_period", string()),
            ("stop_signal", string()),
            ("storage_opt", object()),
            ("tmpfs", string_or_list()),
            ("tty", bool_or_string()),
            ("ulimits", ulimits()),
            ("use_api_socket", typed(BOOL)),
            ("user", string()),
            ("uts", string()),
            ("userns_mode", string()),
            ("volumes", service_volumes()),
            ("volumes_from", unique_strings()),
            ("working_dir", string()),
        ])
        .closed_ext()
}

fn build() -> Schema {
    one_of([
        string(),
        object()
            .props([
                ("context", string()),
                ("dockerfile", string()),
                ("dockerfile_inline", string()),
                ("entitlements", strings()),
                ("args", list_or_dict()),
                ("ssh", list_or_dict()),
                ("labels", list_or_dict()),
                ("cache_from", strings()),
                ("cache_to", strings()),
                ("no_cache", bool_or_string()),
                ("no_cache_filter", string_or_list()),
                ("additional_contexts", list_or_dict()),
                ("network", string()),
                ("provenance", bool_or_string()),
                ("sbom", bool_or_string()),
                ("pull", bool_or_string()),
                ("target", string()),
                ("shm_size", integer_or_string()),
                ("extra_hosts", extra_hosts()),
                ("isolation", string()),
                ("privileged", bool_or_string()),
                ("secrets", service_config_or_secret()),
                ("tags", strings()),
                ("ulimits", ulimits()),
                ("platforms", strings()),
            ])
            .closed_ext(),
    ])
}

fn blkio_config() -> Schema {
    // The only service sub-object without `^x-` extensions in the specification.
    object()
        .props([
            ("device_read_bps", array(blkio_limit())),
            ("device_read_iops", array(blkio_limit())),
            ("device_write_bps", array(blkio_limit())),
            ("device_write_iops", array(blkio_limit())),
            ("weight", integer_or_string()),
            ("weight_device", array(blkio_weight())),
        ])
        .closed()
}

fn blkio_limit() -> Schema {
    object()
        .props([("path", string()), ("rate", integer_or_string())])
        .closed()
}

fn blkio_weight() -> Schema {
    object()
        .props([("path", string()), ("weight", integer_or_string())])
        .closed()
}

fn depends_on() -> Schema {
    one_of([
        list_of_strings(),
        object()
            .keys(
                KeyPattern::Name,
                object()
                    .noun("dependency")
                    .props([
                        ("restart", bool_or_string()),
                        ("required", typed(BOOL)),
                        (
                            "condition",
                            string().choices(&[
                                "service_started",
                                "service_healthy",
                                "service_completed_successfully",
                            ]),
                        ),
                    ])
                    .required(&["condition"])
                    .closed_ext(),
            )
            .closed(),
    ])
}

fn provider() -> Schema {
    let scalar = || typed(STR | NUM | BOOL);
    object()
        .props([
            ("type", string()),
            (
                "options",
                object().keys(KeyPattern::Line, one_of([scalar(), array(scalar())])),
            ),
        ])
        .required(&["type"])
        .closed_ext()
}

fn service_models() -> Schema {
    one_of([
        list_of_strings(),
        object().keys(
            KeyPattern::Name,
            one_of([
                object()
                    .noun("model")
                    .props([("endpoint_var", string()), ("model_var", string())])
                    .closed_ext(),
                typed(NULL),
            ])
            .noun("model"),
        ),
    ])
}

fn service_networks() -> Schema {
    one_of([
        list_of_strings(),
        object()
            .keys(
                KeyPattern::Name,
                one_of([
                    object()
                        .noun("network")
                        .props([
                            ("aliases", list_of_strings()),
                            ("interface_name", string()),
                            ("ipv4_address", string()),
                            ("ipv6_address", string()),
                            ("link_local_ips", list_of_strings()),
                            ("mac_address", string()),
                            ("driver_opts", driver_opts()),
                            ("priority", typed(NUM)),
                            ("gw_priority", typed(NUM)),
                        ])
                        .closed_ext(),
                    typed(NULL),
                ])
                .noun("network"),
            )
            .closed(),
    ])
}

fn ports() -> Schema {
    array(one_of([
        typed(NUM),
        string(),
        object()
            .props([
                ("name", string()),
                ("mode", string()),
                ("host_ip", string()),
                ("target", integer_or_string()),
                ("published", integer_or_string()),
                ("protocol", string()),
                ("app_protocol", string()),
            ])
            .closed_ext(),
    ]))
    .unique()
}

fn service_volumes() -> Schema {
    let mount = object()
        .props([
            (
                "type",
                string().choices(&["bind", "volume", "tmpfs", "cluster", "npipe", "image"]),
            ),
            ("source", string()),
            ("target", string()),
            ("read_only", bool_or_string()),
            ("consistency", string()),
            (
                "bind",
                object()
                    .props([
                        ("propagation", string()),
                        ("create_host_path", bool_or_string()),
                        (
                            "recursive",
                            string().choices(&["enabled", "disabled", "writable", "readonly"]),
                        ),
                        ("selinux", string().choices(&["z", "Z"])),
                    ])
                    .closed_ext(),
            ),
            (
                "volume",
                object()
                    .props([
                        ("labels", list_or_dict()),
                        ("nocopy", bool_or_string()),
                        ("subpath", string()),
                    ])
                    .closed_ext(),
            ),
            (
                "tmpfs",
                object()
                    .props([
                        ("size", one_of([integer().range(Some(0), None), string()])),
                        ("mode", number_or_string()),
                    ])
                    .closed_ext(),
            ),
            (
                "image",
                object().props([("subpath", string())]).closed_ext(),
            ),
        ])
        .required(&["type"])
        .closed_ext();
    array(one_of([string(), mount])).unique()
}

fn healthcheck() -> Schema {
    object()
        .props([
            ("disable", bool_or_string()),
            ("interval", string()),
            ("retries", number_or_string()),
            ("test", one_of([string(), strings()])),
            ("timeout", string()),
            ("start_period", string()),
            ("start_interval", string()),
        ])
        .closed_ext()
}

fn development() -> Schema {
    let watch = object()
        .props([
            ("ignore", string_or_list()),
            ("include", string_or_list()),
            ("path", string()),
            (
                "action",
                string().choices(&["rebuild", "sync", "restart", "sync+restart", "sync+exec"]),
            ),
            ("target", string()),
            ("exec", service_hook()),
            ("initial_sync", typed(BOOL)),
        ])
        .required(&["path", "action"])
        .closed_ext();
    object()
        .or_null()
        .props([("watch", array(watch))])
        .closed_ext()
}

fn deployment() -> Schema {
    let update = || {
        object()
            .props([
                ("parallelism", integer_or_string()),
                ("delay", string()),
                ("failure_action", string()),
                ("monitor", string()),
                ("max_failure_ratio", number_or_string()),
                ("order", string().choices(&["start-first", "stop-first"])),
            ])
            .closed_ext()
    };
    let limits = object()
        .props([
            ("cpus", number_or_string()),
            ("memory", string()),
            ("pids", integer_or_string()),
        ])
        .closed_ext();
    let reservations = object()
        .props([
            ("cpus", number_or_string()),
            ("memory", string()),
            ("generic_resources", generic_resources()),
            ("devices", reserved_devices()),
        ])
        .closed_ext();
    let restart_policy = object()
        .props([
            ("condition", string()),
            ("delay", string()),
            ("max_attempts", integer_or_string()),
            ("window", string()),
        ])
        .closed_ext();
    let placement = object()
        .props([
            ("constraints", strings()),
            (
                "preferences",
                array(object().props([("spread", string())]).closed_ext()),
            ),
            ("max_replicas_per_node", integer_or_string()),
        ])
        .closed_ext();
    object()
        .or_null()
        .props([
            ("mode", string()),
            ("endpoint_mode", string()),
            ("replicas", integer_or_string()),
            ("labels", list_or_dict()),
            ("rollback_config", update()),
            ("update_config", update()),
            (
                "resources",
                object()
                    .props([("limits", limits), ("reservations", reservations)])
                    .closed_ext(),
            ),
            ("restart_policy", restart_policy),
            ("placement", placement),
        ])
        .closed_ext()
}

fn generic_resources() -> Schema {
    array(
        object()
            .props([(
                "discrete_resource_spec",
                object()
                    .props([("kind", string()), ("value", number_or_string())])
                    .closed_ext(),
            )])
            .closed_ext(),
    )
}

fn reserved_devices() -> Schema {
    array(
        object()
            .props(device_request())
            .required(&["capabilities"])
            .closed_ext(),
    )
}

fn device_request() -> [(&'static str, Schema); 5] {
    [
        ("capabilities", list_of_strings()),
        ("count", typed(STR | INT)),
        ("device_ids", list_of_strings()),
        ("driver", string()),
        ("options", list_or_dict()),
    ]
}

fn gpus() -> Schema {
    // The specification puts `additionalProperties: false` beside `items`, where it constrains
    // nothing, so a GPU request may carry any other key.
    one_of([
        string().choices(&["all"]),
        array(object().props(device_request())),
    ])
}

fn include() -> Schema {
    one_of([
        string(),
        object()
            .props([
                ("path", string_or_list()),
                ("env_file", string_or_list()),
                ("project_directory", string()),
            ])
            .closed(),
    ])
}

/// `external` of a network or volume, where `name` inside it is deprecated.
fn external_closed() -> Schema {
    typed(BOOL | STR | OBJ)
        .props([("name", deprecated_external_name())])
        .closed_ext()
}

fn deprecated_external_name() -> Schema {
    string()
        .deprecated("is deprecated inside \"external\": set \"name\" beside \"external\" instead")
}

fn network() -> Schema {
    let ipam_config = object()
        .props([
            ("subnet", string()),
            ("ip_range", string()),
            ("gateway", string()),
            (
                "aux_addresses",
                object().keys(KeyPattern::Line, string()).closed(),
            ),
        ])
        .closed_ext();
    object()
        .or_null()
        .noun("network")
        .props([
            ("name", string()),
            ("driver", string()),
            ("driver_opts", driver_opts()),
            (
                "ipam",
                object()
                    .props([
                        ("driver", string()),
                        ("config", array(ipam_config)),
                        (
                            "options",
                            object().keys(KeyPattern::Line, string()).closed(),
                        ),
                    ])
                    .closed_ext(),
            ),
            ("external", external_closed()),
            ("internal", bool_or_string()),
            ("enable_ipv4", bool_or_string()),
            ("enable_ipv6", bool_or_string()),
            ("attachable", bool_or_string()),
            ("labels", list_or_dict()),
        ])
        .closed_ext()
}

fn volume() -> Schema {
    object()
        .or_null()
        .noun("volume")
        .props([
            ("name", string()),
            ("driver", string()),
            ("driver_opts", driver_opts()),
            ("external", external_closed()),
            ("labels", list_or_dict()),
        ])
        .closed_ext()
}

fn secret() -> Schema {
    object()
        .noun("secret")
        .props([
            ("name", string()),
            ("environment", string()),
            ("file", string()),
            (
                "external",
                typed(BOOL | STR | OBJ).props([("name", string())]),
            ),
            ("labels", list_or_dict()),
            ("driver", string()),
            ("driver_opts", driver_opts()),
            ("template_driver", string()),
        ])
        .closed_ext()
}

fn config() -> Schema {
    object()
        .noun("config")
        .props([
            ("name", string()),
            ("content", string()),
            ("environment", string()),
            ("file", string()),
            (
                "external",
                typed(BOOL | STR | OBJ).props([("name", deprecated_external_name())]),
            ),
            ("labels", list_or_dict()),
            ("template_driver", string()),
        ])
        .closed_ext()
}

fn model() -> Schema {
    object()
        .noun("model")
        .props([
            ("name", string()),
            ("model", string()),
            ("context_size", integer()),
            ("runtime_flags", strings()),
        ])
        .required(&["model"])
        .closed_ext()
}

fn service_hook() -> Schema {
    object()
        .props([
            ("command", command()),
            ("user", string()),
            ("privileged", bool_or_string()),
            ("working_dir", string()),
            ("environment", list_or_dict()),
        ])
        .required(&["command"])
        .closed_ext()
}

fn pre_start_hook() -> Schema {
    object()
        .props([
            ("command", command()),
            ("image", string()),
            ("user", string()),
            ("privileged", bool_or_string()),
            ("working_dir", string()),
            ("environment", list_or_dict()),
            ("per_replica", bool_or_string()),
        ])
        .closed_ext()
}

fn env_file() -> Schema {
    one_of([
        string(),
        array(one_of([
            string(),
            object()
                .props([
                    ("path", string()),
                    ("format", string()),
                    ("required", bool_or_string()),
                ])
                .required(&["path"])
                .closed(),
        ])),
    ])
}

fn extra_hosts() -> Schema {
    one_of([
        object()
            .keys(KeyPattern::NotBlank, one_of([string(), strings()]))
            .closed(),
        unique_strings(),
    ])
}

fn service_config_or_secret() -> Schema {
    array(one_of([
        string(),
        object()
            .props([
                ("source", string()),
                ("target", string()),
                ("uid", string()),
                ("gid", string()),
                ("mode", number_or_string()),
            ])
            .closed_ext(),
    ]))
}

fn ulimits() -> Schema {
    object().keys(
        KeyPattern::Lowercase,
        one_of([
            integer_or_string(),
            object()
                .noun("ulimit")
                .props([("hard", integer_or_string()), ("soft", integer_or_string())])
                .required(&["soft", "hard"])
                .closed_ext(),
        ])
        .noun("ulimit"),
    )
}

// ---------------------------------------------------------------------------------------------
// The walk

/// How the value being checked was reached, to name it in messages.
#[derive(Debug, Clone, Copy)]
enum Label<'a> {
    /// The document itself.
    Root,
    /// A value under a key the specification names (`image`).
    Key(&'a str),
    /// A value under a key the user chose (a service's name, an environment variable).
    Named(&'a str),
    /// An item of the list under this key.
    Item(&'a str),
}

impl Label<'_> {
    /// The value as the subject of a sentence: `"image"`, `service "web"`, `an item of "ports"`.
    fn subject(self, noun: Option<&str>) -> String {
        match (self, noun) {
            (Label::Root, _) => "the Compose file".to_owned(),
            (Label::Key(k), _) | (Label::Named(k), None) => format!("{k:?}"),
            (Label::Named(k), Some(noun)) => format!("{noun} {k:?}"),
            (Label::Item(k), _) => format!("an item of {k:?}"),
        }
    }

    /// Where a key inside the value is: `at the top level`, `in service "web"`.
    fn place(self, noun: Option<&str>) -> String {
        match self {
            Label::Root => "at the top level".to_owned(),
            _ => format!("in {}", self.subject(noun)),
        }
    }
}

fn key_of<'a>(label: Label<'a>) -> &'a str {
    match label {
        Label::Root => "",
        Label::Key(k) | Label::Named(k) | Label::Item(k) => k,
    }
}

/// Whether a value takes part in validation: compose-go removes `!reset` values first.
fn live(node: &Node) -> bool {
    node.tag != Some(Tag::Reset)
}

fn check(node: &Node, schema: &Schema, path: &str, label: Label<'_>, out: &mut Vec<Diagnostic>) {
    if let Some(why) = schema.deprecated {
        let subject = label.subject(schema.noun);
        out.push(Diagnostic::warning(
            path,
            node.pos,
            format!("{subject} {why}"),
        ));
    }
    if !schema.types.accepts(node) {
        out.push(type_error(node, schema.types, path, label, schema.noun));
        return;
    }
    if !schema.choices.is_empty() {
        check_choices(node, schema, path, label, out);
    }
    if let (Some(pattern), Value::Str(text)) = (schema.pattern, &node.value)
        && !pattern.matches(text)
    {
        let subject = label.subject(schema.noun);
        let what = pattern.describe();
        let message = format!("{subject}: {text:?} is not {what}");
        out.push(Diagnostic::error(path, node.pos, message));
    }
    check_bounds(node, schema, path, label, out);
    match &node.value {
        Value::Map(entries) => check_object(node, entries, schema, path, label, out),
        Value::Seq(items) => check_items(items, schema, path, label, out),
        _ => {}
    }
    if !schema.one_of.is_empty() {
        check_one_of(node, schema, path, label, out);
    }
}

fn type_error(
    node: &Node,
    expected: Types,
    path: &str,
    label: Label<'_>,
    noun: Option<&str>,
) -> Diagnostic {
    let subject = label.subject(noun);
    let mut message = format!(
        "{subject} must be {}, not {}",
        expected.describe(),
        describe(node)
    );
    // Only when quoting is the fix: `version: 3.8` means the string "3.8".
    let scalar = matches!(node.value, Value::Bool(_) | Value::Int(_) | Value::Float(_));
    if scalar && expected.has(STR) && !expected.has(NUM | INT | BOOL) {
        message.push_str("; put the value in quotes to make it a string");
    }
    Diagnostic::error(path, node.pos, message)
}

/// The value's type for a message, with the value when it is short: `a number (1.5)`.
fn describe(node: &Node) -> String {
    match &node.value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Int(_) | Value::Float(_) => {
            format!("a number ({})", node.scalar_text().unwrap_or_default())
        }
        Value::Str(s) if s.chars().count() <= 40 => format!("a string ({s:?})"),
        Value::Str(_) => "a string".to_owned(),
        Value::Seq(_) => "a list".to_owned(),
        Value::Map(_) => "a mapping".to_owned(),
    }
}

fn quoted_list(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("{w:?}")).collect();
    quoted.join(", ")
}

fn check_choices(
    node: &Node,
    schema: &Schema,
    path: &str,
    label: Label<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let text = node.as_str();
    if text.is_some_and(|t| schema.choices.contains(&t)) {
        return;
    }
    let subject = label.subject(schema.noun);
    let allowed = match schema.choices {
        [only] => format!("{only:?}"),
        many => format!("one of {}", quoted_list(many)),
    };
    let actual = text.map_or_else(|| describe(node), |t| format!("{t:?}"));
    let mut message = format!("{subject} must be {allowed}, not {actual}");
    if let Some(best) = text.and_then(|t| did_you_mean(t, schema.choices.iter().copied())) {
        let _ = write!(message, "; did you mean {best:?}?");
    }
    out.push(Diagnostic::error(path, node.pos, message));
}

fn check_bounds(
    node: &Node,
    schema: &Schema,
    path: &str,
    label: Label<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let value = match node.value {
        // i64 → f64 may round, but only beyond 2^53, far outside the specification's bounds.
        Value::Int(i) => i as f64,
        Value::Float(f) => f,
        _ => return,
    };
    let subject = || label.subject(schema.noun);
    let shown = || node.scalar_text().unwrap_or_default();
    if let Some(min) = schema.minimum.filter(|m| value < *m as f64) {
        let message = format!("{} must be at least {min}, not {}", subject(), shown());
        out.push(Diagnostic::error(path, node.pos, message));
    }
    if let Some(max) = schema.maximum.filter(|m| value > *m as f64) {
        let message = format!("{} must be at most {max}, not {}", subject(), shown());
        out.push(Diagnostic::error(path, node.pos, message));
    }
}

fn check_object(
    node: &Node,
    entries: &[(crate::yaml::Key, Node)],
    schema: &Schema,
    path: &str,
    label: Label<'_>,
    out: &mut Vec<Diagnostic>,
) {
    for (key, value) in entries.iter().filter(|(_, v)| live(v)) {
        let name = key.name.as_str();
        let child = join_key(path, name);
        let mut known = false;
        // As in JSON Schema, a key is checked by its property and by every pattern it matches.
        if let Some((_, sub)) = schema.properties.iter().find(|(p, _)| *p == name) {
            known = true;
            check(value, sub, &child, Label::Key(name), out);
        }
        for (pattern, sub) in &schema.patterns {
            if pattern.matches(name) {
                known = true;
                check(value, sub, &child, Label::Named(name), out);
            }
        }
        if !known && schema.closed {
            out.push(Diagnostic::error(
                child,
                key.pos,
                unknown_key(name, schema, label),
            ));
        }
    }
    for required in schema.required {
        if !entries.iter().any(|(k, v)| k.name == *required && live(v)) {
            let place = label.place(schema.noun);
            let message = format!("missing required key {required:?} {place}");
            out.push(Diagnostic::error(path, node.pos, message));
        }
    }
}

fn unknown_key(name: &str, schema: &Schema, label: Label<'_>) -> String {
    let place = label.place(schema.noun);
    let allows_extensions = schema
        .patterns
        .iter()
        .any(|(p, _)| *p == KeyPattern::Extension);
    if !schema.properties.is_empty() {
        let mut message = format!("unknown key {name:?} {place}");
        if let Some(best) = did_you_mean(name, schema.properties.iter().map(|(p, _)| *p)) {
            let _ = write!(message, "; did you mean {best:?}?");
        } else if allows_extensions {
            message.push_str(" (keys of your own must start with \"x-\")");
        }
        return message;
    }
    match schema
        .patterns
        .iter()
        .find(|(p, _)| *p != KeyPattern::Extension)
    {
        Some((pattern, sub)) => {
            let what = sub
                .noun
                .map_or_else(|| "key".to_owned(), |n| format!("{n} name"));
            format!("{name:?} is not a valid {what} {place}: {}", pattern.rule())
        }
        None => format!("unknown key {name:?} {place}"),
    }
}

fn check_items(
    items: &[Node],
    schema: &Schema,
    path: &str,
    label: Label<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let base = key_of(label);
    if let Some(sub) = &schema.items {
        for (i, item) in items.iter().enumerate().filter(|(_, n)| live(n)) {
            check(item, sub, &join_index(path, i), Label::Item(base), out);
        }
    }
    if schema.unique {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, item) in items.iter().enumerate().filter(|(_, n)| live(n)) {
            let mut key = String::new();
            canonical(item, &mut key);
            if let Some(first) = seen.get(&key) {
                let subject = label.subject(schema.noun);
                let shown = shorten(&item.to_json().to_string());
                let message = format!(
                    "{subject} lists {shown} twice (items {first} and {i}); items must be unique"
                );
                out.push(Diagnostic::error(join_index(path, i), item.pos, message));
            } else {
                seen.insert(key, i);
            }
        }
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= 60 {
        return text.to_owned();
    }
    let cut: String = text.chars().take(57).collect();
    format!("{cut}...")
}

/// A text that two values share exactly when JSON Schema calls them equal: numbers by value
/// (`1` equals `1.0`), mappings regardless of key order.
fn canonical(node: &Node, out: &mut String) {
    match &node.value {
        Value::Null => out.push('n'),
        Value::Bool(b) => out.push(if *b { 't' } else { 'f' }),
        Value::Int(i) => {
            let _ = write!(out, "#{i}");
        }
        Value::Float(f) => {
            // Integral floats print as the integer they equal; 2^63 bounds what i64 holds.
            if f.fract() == 0.0 && f.abs() < 9.2e18 {
                let _ = write!(out, "#{}", *f as i64);
            } else {
                let _ = write!(out, "#{f:e}");
            }
        }
        Value::Str(s) => {
            let _ = write!(out, "s{s:?}");
        }
        Value::Seq(items) => {
            out.push('[');
            for item in items.iter().filter(|n| live(n)) {
                canonical(item, out);
                out.push(',');
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let mut parts: Vec<(String, String)> = entries
                .iter()
                .filter(|(_, v)| live(v))
                .map(|(k, v)| {
                    let mut value = String::new();
                    canonical(v, &mut value);
                    (k.name.clone(), value)
                })
                .collect();
            parts.sort();
            out.push('{');
            for (k, v) in parts {
                let _ = write!(out, "{k:?}:{v},");
            }
            out.push('}');
        }
    }
}

fn check_one_of(
    node: &Node,
    schema: &Schema,
    path: &str,
    label: Label<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let results: Vec<(&Schema, Vec<Diagnostic>)> = schema
        .one_of
        .iter()
        .map(|branch| {
            let mut found = Vec::new();
            check(node, branch, path, label, &mut found);
            (branch, found)
        })
        .collect();
    let passing: Vec<usize> = (0..results.len())
        .filter(|i| !results[*i].1.iter().any(Diagnostic::is_error))
        .collect();
    match passing.as_slice() {
        [one] => out.extend(results[*one].1.iter().cloned()),
        [] => {
            // Report why the branch meant for this kind of value failed; when no branch takes
            // this kind of value, say which kinds are allowed.
            let best = results
                .iter()
                .filter(|(branch, _)| branch.admits(node))
                .min_by_key(|(_, found)| found.iter().filter(|d| d.is_error()).count());
            match best {
                Some((_, found)) => out.extend(found.iter().cloned()),
                None => out.push(type_error(
                    node,
                    schema.all_types(),
                    path,
                    label,
                    schema.noun,
                )),
            }
        }
        _ => {
            let subject = label.subject(schema.noun);
            let message = format!(
                "{subject} fits more than one of its allowed forms, which the Compose specification forbids"
            );
            out.push(Diagnostic::error(path, node.pos, message));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Pos, Severity};
    use crate::yaml::{Limits, load};

    fn diagnostics(text: &str) -> Vec<Diagnostic> {
        validate(&load(text, &Limits::default()).expect("valid yaml"))
    }

    fn errors(text: &str) -> Vec<Diagnostic> {
        diagnostics(text)
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect()
    }

    fn single_error(text: &str) -> Diagnostic {
        let found = errors(text);
        assert_eq!(found.len(), 1, "{found:#?}");
        found.into_iter().next().expect("one error")
    }

    #[test]
    fn a_typo_in_a_service_key_suggests_the_right_one() {
        let d = single_error("services:\n  web:\n    imgae: nginx\n");
        assert_eq!(d.path, "services.web.imgae");
        assert_eq!(d.pos(), Pos::new(3, 5));
        assert_eq!(
            d.message,
            "unknown key \"imgae\" in service \"web\"; did you mean \"image\"?"
        );
    }

    #[test]
    fn an_unknown_top_level_key_is_reported_at_its_key() {
        let d = single_error("servics:\n  web:\n    image: nginx\n");
        assert_eq!(d.path, "servics");
        assert_eq!(d.pos(), Pos::new(1, 1));
        assert_eq!(
            d.message,
            "unknown key \"servics\" at the top level; did you mean \"services\"?"
        );
        let d = single_error("services: {}\nstuff: 1\n");
        assert!(
            d.message.contains("must start with \"x-\""),
            "{}",
            d.message
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_says_what_was_expected() {
        let d = single_error("services:\n  web:\n    cpus: {a: 1}\n");
        assert_eq!(d.path, "services.web.cpus");
        assert_eq!(d.pos(), Pos::new(3, 11));
        assert_eq!(
            d.message,
            "\"cpus\" must be a string or a number, not a mapping"
        );
        let d = single_error("version: 3.8\nservices: {}\n");
        assert_eq!(
            d.message,
            "\"version\" must be a string, not a number (3.8); put the value in quotes to make it a string"
        );
    }

    #[test]
    fn a_port_of_no_allowed_kind_lists_the_kinds_and_points_at_the_item() {
        let d = single_error("services:\n  web:\n    ports:\n      - 80:80\n      - true\n");
        assert_eq!(d.path, "services.web.ports[1]");
        assert_eq!(d.pos(), Pos::new(5, 9));
        assert_eq!(
            d.message,
            "an item of \"ports\" must be a string, a number or a mapping, not a boolean (true)"
        );
    }

    #[test]
    fn a_value_outside_an_enum_lists_the_allowed_ones() {
        let d = single_error("services:\n  web:\n    cgroup: hots\n");
        assert_eq!(
            d.message,
            "\"cgroup\" must be one of \"host\", \"private\", not \"hots\"; did you mean \"host\"?"
        );
        let d = single_error(
            "services:\n  web:\n    depends_on:\n      db:\n        condition: service_healty\n  db: {}\n",
        );
        assert_eq!(d.path, "services.web.depends_on.db.condition");
        assert!(
            d.message.contains("did you mean \"service_healthy\"?"),
            "{}",
            d.message
        );
    }

    #[test]
    fn restart_is_free_text_in_the_specification() {
        assert!(errors("services:\n  web:\n    restart: sometimes\n").is_empty());
    }

    #[test]
    fn a_pull_policy_must_match_the_specification_pattern() {
        let d = single_error("services:\n  web:\n    pull_policy: sometimes\n");
        assert!(
            d.message
                .starts_with("\"pull_policy\": \"sometimes\" is not a valid pull policy"),
            "{}",
            d.message
        );
        for ok in [
            "always",
            "missing",
            "every_12h",
            "every_1d2h",
            "${POLICY:-always}",
        ] {
            assert!(
                errors(&format!("services:\n  web:\n    pull_policy: \"{ok}\"\n")).is_empty(),
                "{ok}"
            );
        }
        assert_eq!(
            errors("services:\n  web:\n    pull_policy: every_h\n").len(),
            1
        );
    }

    #[test]
    fn a_container_name_needs_two_name_characters_somewhere() {
        assert_eq!(
            errors("services:\n  web:\n    container_name: a\n").len(),
            1
        );
        // The pattern is unanchored, as in the specification.
        assert!(errors("services:\n  web:\n    container_name: \"/ab\"\n").is_empty());
    }

    #[test]
    fn a_long_syntax_volume_without_a_type_is_missing_a_required_key() {
        let d = single_error(
            "services:\n  web:\n    volumes:\n      - source: data\n        target: /data\n",
        );
        assert_eq!(d.path, "services.web.volumes[0]");
        assert_eq!(d.pos(), Pos::new(4, 9));
        assert_eq!(
            d.message,
            "missing required key \"type\" in an item of \"volumes\""
        );
        let d = single_error(
            "services:\n  web:\n    volumes:\n      - type: bnd\n        target: /data\n",
        );
        assert!(
            d.message.contains("did you mean \"bind\"?"),
            "{}",
            d.message
        );
    }

    #[test]
    fn a_long_syntax_port_is_checked_key_by_key_and_needs_no_target() {
        assert!(errors("services:\n  web:\n    ports:\n      - published: 8080\n").is_empty());
        let d = single_error("services:\n  web:\n    ports:\n      - targte: 80\n");
        assert_eq!(d.path, "services.web.ports[0].targte");
        assert_eq!(
            d.message,
            "unknown key \"targte\" in an item of \"ports\"; did you mean \"target\"?"
        );
        let d = single_error("services:\n  web:\n    ports:\n      - target: [80]\n");
        assert_eq!(
            d.message,
            "\"target\" must be a string or an integer, not a list"
        );
    }

    #[test]
    fn a_long_form_dependency_needs_a_condition() {
        let d = single_error(
            "services:\n  web:\n    depends_on:\n      db:\n        required: true\n  db: {}\n",
        );
        assert_eq!(d.path, "services.web.depends_on.db");
        assert_eq!(
            d.message,
            "missing required key \"condition\" in dependency \"db\""
        );
    }

    #[test]
    fn extensions_are_allowed_where_the_schema_allows_them_and_not_elsewhere() {
        let text = "x-top: {a: [1]}\nservices:\n  web:\n    x-mine: 1\n    build:\n      context: .\n      x-b: 2\n    logging:\n      x-l: 3\nnetworks:\n  front:\n    x-n: 4\n";
        assert!(errors(text).is_empty(), "{:#?}", errors(text));
        let d = single_error("services:\n  web:\n    blkio_config:\n      x-b: 1\n");
        assert_eq!(d.path, "services.web.blkio_config.x-b");
    }

    #[test]
    fn variables_are_accepted_in_typed_fields() {
        let text = "name: ${NAME}
services:
  web:
    image: ${IMAGE}
    cpus: ${CPUS}
    scale: ${SCALE}
    privileged: ${PRIV}
    cpu_count: ${N}
    ports:
      - ${PORT}
      - target: ${T}
        published: ${P}
    ulimits:
      nproc: ${U}
      nofile:
        soft: ${S}
        hard: ${H}
    deploy:
      replicas: ${R}
      resources:
        limits:
          pids: ${L}
    volumes:
      - type: tmpfs
        target: /t
        tmpfs:
          size: ${SIZE}
volumes:
  v:
    external: ${EXT}
";
        assert!(errors(text).is_empty(), "{:#?}", errors(text));
    }

    #[test]
    fn the_specification_example_with_variables_passes() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/corpora/compose-go/schema/using-variables.yaml"
        );
        // The corpora live beside the workspace on the development machine only.
        let Ok(text) = std::fs::read_to_string(path) else {
            return;
        };
        assert!(diagnostics(&text).is_empty(), "{:#?}", diagnostics(&text));
    }

    #[test]
    fn an_integer_may_be_written_as_a_float_without_fraction() {
        assert!(errors("services:\n  web:\n    cpu_percent: 50.0\n").is_empty());
        let d = single_error("services:\n  web:\n    cpu_percent: 50.5\n");
        assert_eq!(
            d.message,
            "\"cpu_percent\" must be a string or an integer, not a number (50.5)"
        );
        let d = single_error("services:\n  web:\n    cpu_percent: 150\n");
        assert_eq!(d.message, "\"cpu_percent\" must be at most 100, not 150");
        let d = single_error("services:\n  web:\n    oom_score_adj: -1001\n");
        assert_eq!(
            d.message,
            "\"oom_score_adj\" must be at least -1000, not -1001"
        );
    }

    #[test]
    fn unique_lists_compare_values_as_json_does() {
        let d = single_error("services:\n  web:\n    expose: [80, 81, 80.0]\n");
        assert_eq!(d.path, "services.web.expose[2]");
        assert!(d.message.contains("items 0 and 2"), "{}", d.message);
        let d = single_error(
            "services:\n  web:\n    ports:\n      - {target: 80, published: 8080}\n      - {published: 8080, target: 80}\n",
        );
        assert_eq!(d.path, "services.web.ports[1]");
        assert!(errors("services:\n  web:\n    expose: [\"80\", 80]\n").is_empty());
    }

    #[test]
    fn a_bad_service_name_says_which_characters_are_allowed() {
        let d = single_error("services:\n  \"web app\":\n    image: nginx\n");
        assert_eq!(
            d.message,
            "\"web app\" is not a valid service name in \"services\": names may only use letters, digits, \".\", \"_\" and \"-\""
        );
    }

    #[test]
    fn a_service_that_is_not_a_mapping_is_named_as_a_service() {
        let d = single_error("services:\n  web:\n");
        assert_eq!(d.message, "service \"web\" must be a mapping, not null");
        assert!(
            errors("services:\n  web: {}\nnetworks:\n  front:\nvolumes:\n  data:\n").is_empty()
        );
    }

    #[test]
    fn the_obsolete_version_key_is_a_warning() {
        let found = diagnostics("version: \"3.8\"\nservices: {}\n");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Warning);
        assert!(
            found[0].message.starts_with("\"version\" is obsolete"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn a_reset_value_is_left_out_as_compose_go_does() {
        assert!(
            errors("services:\n  web:\n    image: !reset null\n    ports: !reset {}\n").is_empty()
        );
    }

    #[test]
    fn an_empty_file_and_a_list_are_not_compose_files() {
        assert_eq!(single_error("").message, "the Compose file is empty");
        assert_eq!(
            single_error("- a\n").message,
            "the Compose file must be a mapping, not a list"
        );
    }

    #[test]
    fn a_value_fitting_two_forms_of_a_one_of_is_ambiguous() {
        // No `oneOf` of the specification has overlapping forms today; JSON Schema still
        // rejects a value that fits two, and so do we.
        let shape = one_of([string(), typed(STR | NUM)]);
        let node = load("abc", &Limits::default()).expect("valid yaml");
        let mut found = Vec::new();
        check(&node, &shape, "x", Label::Key("x"), &mut found);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].message.contains("more than one"),
            "{}",
            found[0].message
        );
        let node = load("12", &Limits::default()).expect("valid yaml");
        let mut found = Vec::new();
        check(&node, &shape, "x", Label::Key("x"), &mut found);
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn gpus_take_all_or_a_list_of_requests() {
        assert!(errors("services:\n  web:\n    gpus: all\n").is_empty());
        assert!(errors("services:\n  web:\n    gpus:\n      - driver: nvidia\n        count: 1\n        anything: goes\n").is_empty());
        assert_eq!(
            single_error("services:\n  web:\n    gpus: some\n").message,
            "\"gpus\" must be \"all\", not \"some\""
        );
    }
}
