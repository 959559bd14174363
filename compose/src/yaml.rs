//! YAML for Compose files: a tree of nodes that remembers where each came from, loaded with
//! limits so that hostile input (huge files, deep nesting, alias bombs) is refused quickly.
//!
//! Scalars are resolved with the YAML 1.2 core schema, as the Compose CLI's parser does:
//! `yes`/`on` stay strings, `0644` is octal. Merge keys (`<<`) are applied while loading; the
//! Compose tags `!reset` and `!override` are kept on their nodes for the merge of several files.

use std::collections::HashMap;
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::diag::Pos;

/// Limits on what a single YAML file may cost to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of sequences and mappings.
    pub max_depth: usize,
    /// Most nodes the document may have once aliases are expanded.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 1024 * 1024,
            max_depth: 64,
            max_nodes: 200_000,
        }
    }
}

/// A Compose-specific tag on a node, telling how it merges over an earlier file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// `!reset`: remove the value inherited from earlier files.
    Reset,
    /// `!override`: replace the inherited value instead of merging with it.
    Override,
}

/// A mapping key: its text and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub pos: Pos,
}

/// A YAML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A value with its position and Compose tag.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
    pub tag: Option<Tag>,
}

/// Why a YAML file could not be loaded, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} ({pos})")]
pub struct YamlError {
    pub message: String,
    pub pos: Pos,
}

impl YamlError {
    fn new(pos: Pos, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            pos,
        }
    }
}

impl Node {
    /// A node with no tag.
    pub fn new(value: Value, pos: Pos) -> Self {
        Self {
            value,
            pos,
            tag: None,
        }
    }

    /// The value under `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// The entries when this is a mapping.
    pub fn entries(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items when this is a sequence.
    pub fn items(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The text when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is `null` (written `null`, `~` or nothing).
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The scalar as text, the way it would be passed on as a string (`80` → "80").
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(format_float(*f)),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// The JSON type name of the value, as a schema speaks of it.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Seq(_) => "array",
            Value::Map(_) => "object",
        }
    }

    /// The value as JSON (positions and tags dropped).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Builds a node tree from JSON, every node at `pos`.
    pub fn from_json(json: &serde_json::Value, pos: Pos) -> Self {
        use serde_json::Value as J;
        let value = match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => n
                .as_i64()
                .map(Value::Int)
                .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(0.0))),
            J::String(s) => Value::Str(s.clone()),
            J::Array(items) => Value::Seq(items.iter().map(|i| Node::from_json(i, pos)).collect()),
            J::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| {
                        (
                            Key {
                                name: k.clone(),
                                pos,
                            },
                            Node::from_json(v, pos),
                        )
                    })
                    .collect(),
            ),
        };
        Node::new(value, pos)
    }
}

/// Formats a float the way YAML and Go print it (`1.5`, `3`, `.inf`).
fn format_float(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        }
    } else {
        f.to_string()
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

/// Loads one YAML document. An empty file gives `null`; a file with several documents is refused.
pub fn load(text: &str, limits: &Limits) -> Result<Node, YamlError> {
    load_with_warnings(text, limits).map(|(node, _)| node)
}

/// Most lines [`load_with_warnings`] re-indents before it gives up: each costs a parse.
const MAX_REINDENTED_LINES: usize = 16;

/// Loads one YAML document like [`load`], and also accepts what the Compose CLI's YAML library
/// accepts though YAML 1.2 does not: a flow collection (`[…]`, `{…}`) in block context whose
/// later lines are indented no deeper than its parent, like a closing `]` under its key. Such
/// lines are indented for the parser (positions still point into the original text) and each
/// is returned as a warning.
pub fn load_with_warnings(
    text: &str,
    limits: &Limits,
) -> Result<(Node, Vec<YamlError>), YamlError> {
    if text.len() > limits.max_bytes {
        return Err(YamlError::new(
            Pos::new(1, 1),
            format!(
                "the file is {} bytes, more than the limit of {} bytes",
                text.len(),
                limits.max_bytes
            ),
        ));
    }
    let mut shifts: HashMap<usize, usize> = HashMap::new();
    let failure = match Builder::new(limits, &shifts).run(text) {
        Ok(node) => return Ok((node, Vec::new())),
        Err(failure) => failure,
    };
    let mut current = text.to_owned();
    let mut warnings = Vec::new();
    let mut next = failure.reindent;
    while let Some(fix) = next {
        if warnings.len() >= MAX_REINDENTED_LINES {
            break;
        }
        let Some(indented) = reindent(&current, &fix) else {
            break;
        };
        current = indented;
        *shifts.entry(fix.line).or_default() += fix.width;
        warnings.push(YamlError::new(
            Pos::new(
                u32::try_from(fix.line).unwrap_or(u32::MAX),
                u32::try_from(fix.indent + 1).unwrap_or(u32::MAX),
            ),
            format!(
                "this line of the flow collection opened at line {} is indented no deeper than \
                 its parent, which YAML does not allow; accepted as Compose accepts it",
                fix.opened_at
            ),
        ));
        match Builder::new(limits, &shifts).run(&current) {
            Ok(node) => return Ok((node, warnings)),
            Err(again) => next = again.reindent,
        }
    }
    Err(failure.error)
}

/// A line (1-based) to indent by `width` spaces so that it lies inside the flow collection
/// opened at line `opened_at`; `indent` is its indentation in the original text.
struct Reindent {
    line: usize,
    indent: usize,
    width: usize,
    opened_at: usize,
}

/// A parse that failed, and the line whose indentation would let it go on, if that is why.
struct Failure {
    error: YamlError,
    reindent: Option<Reindent>,
}

impl From<YamlError> for Failure {
    fn from(error: YamlError) -> Self {
        Self {
            error,
            reindent: None,
        }
    }
}

/// `text` with `width` spaces put before line `fix.line`.
fn reindent(text: &str, fix: &Reindent) -> Option<String> {
    let mut start = 0;
    for _ in 1..fix.line {
        start += text[start..].find('\n')? + 1;
    }
    let mut out = String::with_capacity(text.len() + fix.width);
    out.push_str(&text[..start]);
    out.extend(std::iter::repeat_n(' ', fix.width));
    out.push_str(&text[start..]);
    Some(out)
}

/// Where a collection starting at `span` opens, when it is a flow collection (`[` or `{`).
fn flow_start(lines: &[&str], span: &Span) -> Option<(usize, usize)> {
    let (line, col) = (span.start.line(), span.start.col());
    let content = lines.get(line.checked_sub(1)?)?;
    matches!(content.chars().nth(col), Some('[' | '{')).then_some((line, col))
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
        tag: Option<Tag>,
        size: usize,
    },
    Map {
        entries: Vec<(Key, Node)>,
        key: Option<Key>,
        merges: Vec<Node>,
        pos: Pos,
        anchor: usize,
        tag: Option<Tag>,
        size: usize,
    },
}

struct Builder<'l> {
    limits: &'l Limits,
    /// Spaces added before lines (1-based) of the parsed text, taken off reported columns.
    shifts: &'l HashMap<usize, usize>,
    stack: Vec<Frame>,
    /// For each open collection, where its `[` or `{` is in the parsed text (1-based line,
    /// 0-based column) when it is a flow collection.
    flows: Vec<Option<(usize, usize)>>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    documents: usize,
    root: Option<Node>,
}

impl<'l> Builder<'l> {
    fn new(limits: &'l Limits, shifts: &'l HashMap<usize, usize>) -> Self {
        Self {
            limits,
            shifts,
            stack: Vec::new(),
            flows: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            documents: 0,
            root: None,
        }
    }

    /// A position in the original text from a 1-based line and 0-based column of the parsed one.
    fn pos(&self, line: usize, col: usize) -> Pos {
        let shift = self.shifts.get(&line).copied().unwrap_or(0);
        let column = col.saturating_sub(shift) + 1;
        Pos::new(
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        )
    }

    /// Why parsing stopped at (`line`, `col`), and whether indenting that line would help: it
    /// would when the parser refused its indentation inside a flow collection.
    fn failure(&self, lines: &[&str], line: usize, col: usize, info: &str) -> Failure {
        let error = YamlError::new(self.pos(line, col), format!("invalid YAML: {info}"));
        let opened = self.flows.iter().flatten().next().copied();
        let reindent = opened.and_then(|(opened_at, bracket)| {
            let content = lines.get(line.checked_sub(1)?)?;
            let indent = content.len() - content.trim_start_matches(' ').len();
            (info.contains("indentation") && line > opened_at && indent < bracket).then(|| {
                Reindent {
                    line,
                    indent: indent.saturating_sub(self.shifts.get(&line).copied().unwrap_or(0)),
                    width: bracket - indent,
                    opened_at,
                }
            })
        });
        Failure { error, reindent }
    }

    fn run(mut self, text: &str) -> Result<Node, Failure> {
        let lines: Vec<&str> = text.split('\n').collect();
        let mut parser = Parser::new_from_str(text);
        while let Some(event) = parser.next_event() {
            let (event, span) = match event {
                Ok(ok) => ok,
                Err(e) => {
                    let m = e.marker();
                    return Err(self.failure(&lines, m.line(), m.col(), e.info()));
                }
            };
            let pos = self.pos(span.start.line(), span.start.col());
            if let Event::SequenceStart(..) | Event::MappingStart(..) = event {
                self.flows.push(flow_start(&lines, &span));
            }
            if let Event::SequenceEnd | Event::MappingEnd = event {
                self.flows.pop();
            }
            match event {
                Event::DocumentStart(_) => {
                    self.documents += 1;
                    if self.documents > 1 {
                        return Err(YamlError::new(
                            pos,
                            "a Compose file holds one YAML document; a second one starts here",
                        )
                        .into());
                    }
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let node = scalar(&text, style, tag.as_deref(), pos)?;
                    self.finish(node, anchor, 1)?;
                }
                Event::Alias(id) => {
                    let (node, size) = self.anchors.get(&id).cloned().ok_or_else(|| {
                        YamlError::new(pos, "this alias refers to an anchor that is not defined")
                    })?;
                    self.count(size, pos)?;
                    let mut node = node;
                    // The copy is reported where the alias was used, its insides where the
                    // anchor defined them.
                    node.pos = pos;
                    self.finish(node, 0, size)?;
                }
                Event::SequenceStart(anchor, tag) => {
                    self.open(pos)?;
                    self.stack.push(Frame::Seq {
                        items: Vec::new(),
                        pos,
                        anchor,
                        tag: compose_tag(tag.as_deref(), pos, "sequence")?,
                        size: 1,
                    });
                }
                Event::MappingStart(anchor, tag) => {
                    self.open(pos)?;
                    self.stack.push(Frame::Map {
                        entries: Vec::new(),
                        key: None,
                        merges: Vec::new(),
                        pos,
                        anchor,
                        tag: compose_tag(tag.as_deref(), pos, "mapping")?,
                        size: 1,
                    });
                }
                Event::SequenceEnd => match self.stack.pop() {
                    Some(Frame::Seq {
                        items,
                        pos,
                        anchor,
                        tag,
                        size,
                    }) => {
                        let node = Node {
                            value: Value::Seq(items),
                            pos,
                            tag,
                        };
                        self.finish(node, anchor, size)?;
                    }
                    _ => return Err(YamlError::new(pos, "unbalanced sequence end").into()),
                },
                Event::MappingEnd => match self.stack.pop() {
                    Some(Frame::Map {
                        mut entries,
                        merges,
                        pos,
                        anchor,
                        tag,
                        size,
                        ..
                    }) => {
                        apply_merges(&mut entries, merges);
                        let node = Node {
                            value: Value::Map(entries),
                            pos,
                            tag,
                        };
                        self.finish(node, anchor, size)?;
                    }
                    _ => return Err(YamlError::new(pos, "unbalanced mapping end").into()),
                },
                Event::StreamEnd => break,
                Event::Nothing | Event::StreamStart | Event::DocumentEnd => {}
            }
        }
        Ok(self
            .root
            .unwrap_or_else(|| Node::new(Value::Null, Pos::new(1, 1))))
    }

    fn open(&mut self, pos: Pos) -> Result<(), YamlError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(YamlError::new(
                pos,
                format!("nesting deeper than {} levels", self.limits.max_depth),
            ));
        }
        self.count(1, pos)
    }

    fn count(&mut self, size: usize, pos: Pos) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(size);
        if self.nodes > self.limits.max_nodes {
            return Err(YamlError::new(
                pos,
                format!(
                    "the document expands to more than {} values (aliases repeated inside aliases?)",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    /// Places a complete node into its parent (or as the document), remembering its anchor.
    fn finish(&mut self, node: Node, anchor: usize, size: usize) -> Result<(), YamlError> {
        if size == 1 && matches!(node.value, Value::Seq(_) | Value::Map(_)) {
            // Empty collections were counted when opened.
        } else if size == 1 {
            self.count(1, node.pos)?;
        }
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::Seq {
                items, size: total, ..
            }) => {
                *total += size;
                items.push(node);
                Ok(())
            }
            Some(Frame::Map {
                entries,
                key,
                merges,
                size: total,
                ..
            }) => {
                *total += size;
                match key.take() {
                    None => {
                        let name = node.scalar_text().ok_or_else(|| {
                            YamlError::new(
                                node.pos,
                                format!("a mapping key must be text, not {}", describe(&node)),
                            )
                        })?;
                        *key = Some(Key {
                            name,
                            pos: node.pos,
                        });
                        Ok(())
                    }
                    Some(k) if k.name == "<<" => {
                        merges.push(node);
                        Ok(())
                    }
                    Some(k) => {
                        if let Some((first, _)) = entries.iter().find(|(e, _)| e.name == k.name) {
                            return Err(YamlError::new(
                                k.pos,
                                format!(
                                    "mapping key {:?} is already defined at line {}",
                                    k.name, first.pos.line
                                ),
                            ));
                        }
                        entries.push((k, node));
                        Ok(())
                    }
                }
            }
        }
    }
}

fn describe(node: &Node) -> &'static str {
    match node.value {
        Value::Seq(_) => "a sequence",
        Value::Map(_) => "a mapping",
        _ => "null",
    }
}

/// `<<: *base` or `<<: [*a, *b]`: keys written in the mapping win, then earlier sources.
fn apply_merges(entries: &mut Vec<(Key, Node)>, merges: Vec<Node>) {
    for merge in merges {
        let sources = match merge.value {
            Value::Seq(items) => items,
            other => vec![Node::new(other, merge.pos)],
        };
        for source in sources {
            if let Value::Map(source_entries) = source.value {
                for (k, v) in source_entries {
                    if !entries.iter().any(|(e, _)| e.name == k.name) {
                        entries.push((k, v));
                    }
                }
            }
        }
    }
}

fn compose_tag(
    tag: Option<&saphyr_parser::Tag>,
    pos: Pos,
    what: &str,
) -> Result<Option<Tag>, YamlError> {
    let Some(tag) = tag else { return Ok(None) };
    match (tag.handle.as_str(), tag.suffix.as_str()) {
        ("!", "reset") => Ok(Some(Tag::Reset)),
        ("!", "override") => Ok(Some(Tag::Override)),
        ("tag:yaml.org,2002:", "seq" | "map") => Ok(None),
        _ => Err(YamlError::new(
            pos,
            format!("unknown tag {tag} on a {what} (Compose knows !reset and !override)"),
        )),
    }
}

fn scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&saphyr_parser::Tag>,
    pos: Pos,
) -> Result<Node, YamlError> {
    let (core, compose) = match tag {
        None => (None, None),
        Some(t) if t.handle == "tag:yaml.org,2002:" => (Some(t.suffix.as_str()), None),
        Some(t) => (None, compose_tag(Some(t), pos, "scalar")?),
    };
    let value = match core {
        Some("str") => Value::Str(text.to_owned()),
        Some(kind @ ("int" | "float" | "bool" | "null")) => {
            let v = resolve_plain(text);
            let ok = matches!(
                (kind, &v),
                ("int", Value::Int(_))
                    | ("float", Value::Float(_) | Value::Int(_))
                    | ("bool", Value::Bool(_))
                    | ("null", Value::Null)
            );
            if !ok {
                return Err(YamlError::new(
                    pos,
                    format!("{text:?} is not a valid !!{kind}"),
                ));
            }
            match (kind, v) {
                ("float", Value::Int(i)) => Value::Float(i as f64),
                (_, v) => v,
            }
        }
        Some(other) => {
            return Err(YamlError::new(pos, format!("unsupported tag !!{other}")));
        }
        None if style == ScalarStyle::Plain => resolve_plain(text),
        None => Value::Str(text.to_owned()),
    };
    Ok(Node {
        value,
        pos,
        tag: compose,
    })
}

/// Resolves an untagged plain scalar with the YAML 1.2 core schema.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(i) = parse_int(text) {
        return Value::Int(i);
    }
    if is_float(text)
        && let Ok(f) = text.parse::<f64>()
    {
        return Value::Float(f);
    }
    Value::Str(text.to_owned())
}

fn parse_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, body) = if let Some(h) = digits.strip_prefix("0x") {
        (16, h)
    } else if let Some(o) = digits.strip_prefix("0o") {
        (8, o)
    } else if let Some(b) = digits.strip_prefix("0b") {
        (2, b)
    } else if digits.len() > 1
        && digits.starts_with('0')
        && digits.bytes().all(|c| c.is_ascii_digit())
    {
        // `0644`: file modes are written this way and mean octal, as in the Compose CLI.
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i64::from_str_radix(body, radix).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

fn is_float(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (!int.is_empty() || !frac.is_empty())
                && int.bytes().all(|c| c.is_ascii_digit())
                && frac.bytes().all(|c| c.is_ascii_digit())
                && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|c| c.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok && (mantissa.contains('.') || exponent.is_some())
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn parse(text: &str) -> Node {
        load(text, &Limits::default()).expect("valid yaml")
    }

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let doc = parse("services:\n  web:\n    image: nginx\n");
        let image = doc
            .get("services")
            .and_then(|s| s.get("web"))
            .and_then(|w| w.get("image"))
            .expect("image");
        assert_eq!(image.as_str(), Some("nginx"));
        assert_eq!(image.pos, Pos::new(3, 12));
        let key = &doc
            .get("services")
            .and_then(|s| s.get("web"))
            .and_then(Node::entries)
            .expect("map")[0]
            .0;
        assert_eq!(key.pos, Pos::new(3, 5));
    }

    #[test]
    fn scalars_follow_the_core_schema() {
        let doc = parse(
            "a: yes\nb: true\nc: 0644\nd: 0x1F\ne: 1.5\nf: ~\ng: '80'\nh: 8080:80\ni: 1e3\nj: .inf\nk: -12\nl: 1_000\n",
        );
        let v = |k: &str| doc.get(k).expect(k).value.clone();
        assert_eq!(v("a"), Value::Str("yes".into()));
        assert_eq!(v("b"), Value::Bool(true));
        assert_eq!(v("c"), Value::Int(0o644));
        assert_eq!(v("d"), Value::Int(31));
        assert_eq!(v("e"), Value::Float(1.5));
        assert_eq!(v("f"), Value::Null);
        assert_eq!(v("g"), Value::Str("80".into()));
        assert_eq!(v("h"), Value::Str("8080:80".into()));
        assert_eq!(v("i"), Value::Float(1000.0));
        assert_eq!(v("j"), Value::Float(f64::INFINITY));
        assert_eq!(v("k"), Value::Int(-12));
        assert_eq!(v("l"), Value::Str("1_000".into()));
    }

    #[test]
    fn merge_keys_fill_in_what_the_mapping_does_not_say() {
        let doc = parse(
            "x-base: &base\n  image: app\n  restart: always\nservices:\n  web:\n    <<: *base\n    restart: \"no\"\n",
        );
        let web = doc.get("services").and_then(|s| s.get("web")).expect("web");
        assert_eq!(web.get("image").and_then(Node::as_str), Some("app"));
        assert_eq!(web.get("restart").and_then(Node::as_str), Some("no"));
        assert_eq!(web.entries().map(<[_]>::len), Some(2));
    }

    #[test]
    fn merging_a_list_of_anchors_prefers_the_first() {
        let doc = parse("a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n");
        let c = doc.get("c").expect("c");
        assert_eq!(c.get("x").map(|n| n.value.clone()), Some(Value::Int(1)));
        assert_eq!(c.get("y").map(|n| n.value.clone()), Some(Value::Int(2)));
    }

    #[test]
    fn compose_tags_are_kept_and_others_refused() {
        let doc = parse("ports: !reset []\nimage: !override app\n");
        assert_eq!(doc.get("ports").and_then(|n| n.tag), Some(Tag::Reset));
        assert_eq!(doc.get("image").and_then(|n| n.tag), Some(Tag::Override));
        let err = load("a: !custom x\n", &Limits::default()).expect_err("unknown tag");
        assert!(err.message.contains("unknown tag"), "{err}");
        assert_eq!(err.pos.line, 1);
    }

    #[test]
    fn a_duplicate_key_names_both_lines() {
        let err = load("services:\n  web: {}\n  web: {}\n", &Limits::default()).expect_err("dup");
        assert_eq!(err.pos, Pos::new(3, 3));
        assert!(err.message.contains("already defined at line 2"), "{err}");
    }

    #[test]
    fn syntax_errors_say_where() {
        let err = load("services:\n  web:\n    image: [a\n", &Limits::default()).expect_err("bad");
        assert!(err.message.starts_with("invalid YAML"), "{err}");
        assert!(err.pos.line >= 3, "{err}");
    }

    #[test]
    fn flow_lines_under_their_parent_are_accepted_where_they_stand() {
        let text = "a:\n  v: [\n x,\n  {k: 1\n }\n ]\nb: 2\n";
        let (doc, warnings) = load_with_warnings(text, &Limits::default()).expect("lenient");
        let items = doc
            .get("a")
            .and_then(|a| a.get("v"))
            .and_then(Node::items)
            .expect("a.v is a list");
        // Positions are those of the original text, not of the re-indented one.
        assert_eq!(items[0].pos, Pos::new(3, 2));
        assert_eq!(items[1].pos, Pos::new(4, 3));
        assert_eq!(doc.get("b").map(|b| b.pos), Some(Pos::new(7, 4)));
        let lines: Vec<(u32, u32)> = warnings
            .iter()
            .map(|w| (w.pos.line, w.pos.column))
            .collect();
        assert_eq!(lines, [(3, 2), (5, 2), (6, 2)]);
        // The strict entry point gives the same tree.
        assert_eq!(load(text, &Limits::default()).expect("same"), doc);
    }

    #[test]
    fn other_indentation_errors_keep_their_own_position() {
        let err = load("a:\n  b: 1\n c: 2\n", &Limits::default()).expect_err("bad");
        assert_eq!(err.pos.line, 3, "{err}");
        let err = load("a: [x,\n", &Limits::default()).expect_err("unclosed");
        assert!(err.message.starts_with("invalid YAML"), "{err}");
    }

    #[test]
    fn an_empty_file_is_null() {
        assert!(parse("").is_null());
        assert!(parse("# only a comment\n").is_null());
    }

    #[test]
    fn a_second_document_is_refused() {
        let err = load("a: 1\n---\nb: 2\n", &Limits::default()).expect_err("two docs");
        assert_eq!(err.pos.line, 2);
    }

    #[test]
    fn an_alias_bomb_is_refused_quickly() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = format!("*a{}", i - 1);
            let row = [prev.as_str(); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{row}]\n"));
        }
        let started = Instant::now();
        let err = load(&text, &Limits::default()).expect_err("bomb");
        let took = started.elapsed();
        assert!(err.message.contains("expands to more than"), "{err}");
        // Unguarded, the expansion is 10^12 nodes (hours): seconds tell the guard works while a
        // loaded CI machine running a debug build still passes.
        assert!(took.as_secs() < 5, "took {took:?}");
    }

    #[test]
    fn deep_nesting_and_huge_files_are_refused() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let err = load(&deep, &Limits::default()).expect_err("deep");
        assert!(err.message.contains("nesting deeper than 64"), "{err}");
        let limits = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        let err = load("services: {}\n", &limits).expect_err("big");
        assert!(
            err.message.contains("more than the limit of 10 bytes"),
            "{err}"
        );
    }

    #[test]
    fn crlf_line_endings_load_the_same() {
        let a = parse("services:\r\n  web:\r\n    image: app\r\n");
        let b = parse("services:\n  web:\n    image: app\n");
        assert_eq!(a.to_json(), b.to_json());
    }
}
