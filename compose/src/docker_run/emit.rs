//! YAML output

/// A YAML value: block maps and lists, and scalars that are strings, always-quoted strings, or
/// raw numbers and booleans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Node {
    Str(String),
    Quoted(String),
    Raw(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    pub(super) fn str(value: &str) -> Self {
        Node::Str(value.to_owned())
    }

    pub(super) fn raw(value: &str) -> Self {
        Node::Raw(value.to_owned())
    }

    pub(super) fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Node)>) -> Self {
        Node::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub(super) fn scalar(&self) -> Option<String> {
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

pub(super) fn indent(out: &mut String, width: usize) {
    out.extend(std::iter::repeat_n(' ', width));
}

/// Writes `value` after `key:` or `-` on the current line; nested blocks go two spaces deeper.
pub(super) fn write_after_key(out: &mut String, value: &Node, width: usize) {
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

pub(super) fn write_entry(out: &mut String, key: &str, value: &Node, width: usize) {
    out.push_str(&yaml_scalar(key));
    out.push(':');
    write_after_key(out, value, width);
}

pub(super) fn write_map(out: &mut String, entries: &[(String, Node)], width: usize) {
    for (key, value) in entries {
        indent(out, width);
        write_entry(out, key, value, width);
    }
}

pub(super) fn write_seq(out: &mut String, items: &[Node], width: usize) {
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
pub(super) fn yaml_scalar(value: &str) -> String {
    if needs_quotes(value) {
        double_quoted(value)
    } else {
        value.to_owned()
    }
}

pub(super) fn needs_quotes(value: &str) -> bool {
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
pub(super) fn is_line_break_like(c: char) -> bool {
    matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// Null and boolean spellings of YAML 1.1 (`yes`, `off`, `y`) as well as 1.2.
pub(super) fn is_reserved_word(value: &str) -> bool {
    const WORDS: &[&str] = &["null", "true", "false", "yes", "no", "on", "off", "y", "n"];
    WORDS.iter().any(|w| w.eq_ignore_ascii_case(value))
}

/// Anything a YAML reader might take for a number: decimal, hex, octal, binary, floats with
/// exponents, `_` separators and YAML 1.1's base 60 (`8080:80`). Deliberately broad: an extra
/// pair of quotes is harmless, a port read as the integer 484880 is not.
pub(super) fn looks_numeric(value: &str) -> bool {
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
pub(super) fn double_quoted(value: &str) -> String {
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
