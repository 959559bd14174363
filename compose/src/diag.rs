//! Diagnostics: what is wrong (or doubtful) in a Compose file, and exactly where.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How serious a diagnostic is: errors stop a deploy, warnings do not.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A line and column in a source file, both counted from 1 (0 when unknown).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    /// A position from 1-based line and column.
    pub const fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// One finding about a Compose file: severity, the field's path (`services.web.ports[1]`), the
/// file it is in (empty for the main file) and its position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Diagnostic {
    pub severity: Severity,
    pub path: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl Diagnostic {
    /// An error at `pos` about the field at `path`.
    pub fn error(path: impl Into<String>, pos: Pos, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, path, pos, message)
    }

    /// A warning at `pos` about the field at `path`.
    pub fn warning(path: impl Into<String>, pos: Pos, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, path, pos, message)
    }

    fn new(
        severity: Severity,
        path: impl Into<String>,
        pos: Pos,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            path: path.into(),
            file: String::new(),
            line: pos.line,
            column: pos.column,
            message: message.into(),
        }
    }

    /// The same diagnostic, said to be in `file`.
    pub fn in_file(mut self, file: &str) -> Self {
        if self.file.is_empty() {
            self.file = file.to_owned();
        }
        self
    }

    /// Whether this diagnostic stops a deploy.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Where the diagnostic is.
    pub fn pos(&self) -> Pos {
        Pos::new(self.line, self.column)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if !self.file.is_empty() {
            write!(f, "{}:", self.file)?;
        }
        write!(f, "{}:{}: {level}", self.line, self.column)?;
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Appends a mapping key to a diagnostic path: `services` + `web` → `services.web`; keys that
/// would be ambiguous in dotted form are bracketed: `labels["com.example.tier"]`.
pub fn join_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (path.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (true, false) => format!("[{key:?}]"),
        (false, true) => format!("{path}.{key}"),
        (false, false) => format!("{path}[{key:?}]"),
    }
}

/// Appends a sequence index to a diagnostic path: `services.web.ports` + 1 → `…ports[1]`.
pub fn join_index(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

/// Suggests the candidate closest to `word` when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, c.len()))
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters, with transpositions counted as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_the_file() {
        let p = join_key(&join_key(&join_key("", "services"), "web"), "ports");
        assert_eq!(join_index(&p, 1), "services.web.ports[1]");
        assert_eq!(
            join_key("services.web.labels", "com.example"),
            "services.web.labels[\"com.example\"]"
        );
    }

    #[test]
    fn a_typo_gets_a_suggestion_and_nonsense_does_not() {
        let keys = ["image", "ports", "volumes", "environment", "depends_on"];
        assert_eq!(did_you_mean("imgae", keys), Some("image"));
        assert_eq!(did_you_mean("enviroment", keys), Some("environment"));
        assert_eq!(did_you_mean("depends-on", keys), Some("depends_on"));
        assert_eq!(did_you_mean("zzz", keys), None);
    }

    #[test]
    fn a_diagnostic_prints_file_line_column_and_path() {
        let d = Diagnostic::error("services.web.image", Pos::new(3, 12), "must be a string")
            .in_file("base.yaml");
        assert_eq!(
            d.to_string(),
            "base.yaml:3:12: error: services.web.image: must be a string"
        );
    }
}
