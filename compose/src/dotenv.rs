//! The `.env` / `env_file` format, parsed the way compose-go's `dotenv` package parses it.
//!
//! Accepted per statement: `KEY=value`, `KEY: value` (compose-go's YAML-ish form), an
//! optional `export ` prefix, and a bare `KEY` whose value comes from the caller's lookup.
//! Values are unquoted (trimmed, ` #` starts a comment, interpolated), single-quoted (literal)
//! or double-quoted (escape sequences, then interpolation); quoted values may span lines.

use std::collections::HashMap;

use crate::interpolate::interpolate;

/// Why an env file could not be parsed, with the 1-based line of the offending statement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct DotenvError {
    /// 1-based line where the offending statement or value starts.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses an env file into `(key, value)` pairs in first-appearance order, later duplicates
/// overriding earlier values.
///
/// `lookup` supplies bare `KEY` lines and takes precedence over the file's own earlier keys
/// when values are interpolated, as in compose-go, where the caller's environment overrides
/// the file.
pub fn parse(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, DotenvError> {
    // Editors on Windows like to prepend a byte-order mark; compose-go drops it too.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut cursor = Cursor {
        src: text,
        pos: 0,
        line: 1,
    };
    let mut vars = Vars::default();
    while cursor.skip_to_statement() {
        let (key, assigned) = cursor.key()?;
        if !assigned {
            if let Some(value) = lookup(key) {
                vars.set(key, value);
            }
            continue;
        }
        let value = {
            let resolve = |name: &str| lookup(name).or_else(|| vars.get(name));
            cursor.value(key, &resolve)?
        };
        vars.set(key, value);
    }
    Ok(vars.entries)
}

#[derive(Default)]
struct Vars {
    entries: Vec<(String, String)>,
    index: HashMap<String, usize>,
}

impl Vars {
    fn set(&mut self, key: &str, value: String) {
        match self.index.get(key) {
            Some(&at) => self.entries[at].1 = value,
            None => {
                self.index.insert(key.to_owned(), self.entries.len());
                self.entries.push((key.to_owned(), value));
            }
        }
    }

    fn get(&self, key: &str) -> Option<String> {
        self.index.get(key).map(|&at| self.entries[at].1.clone())
    }
}

struct Cursor<'a> {
    src: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    /// Skips blank lines and comment lines; false once the input is exhausted.
    fn skip_to_statement(&mut self) -> bool {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start();
            self.line += rest[..rest.len() - trimmed.len()].matches('\n').count();
            self.pos += rest.len() - trimmed.len();
            if trimmed.is_empty() {
                return false;
            }
            if !trimmed.starts_with('#') {
                return true;
            }
            self.pos += trimmed.find('\n').unwrap_or(trimmed.len());
        }
    }

    /// Reads the key and its separator; `true` when an `=` or `:` follows, `false` for a bare
    /// key (which also consumes the end of its line).
    fn key(&mut self) -> Result<(&'a str, bool), DotenvError> {
        let rest = self.rest();
        if let Some(after) = rest.strip_prefix("export") {
            let trimmed = after.trim_start_matches(is_inline_space);
            // `export=1` or a line holding only `export` defines a variable named "export".
            let is_prefix = trimmed.len() < after.len()
                && trimmed
                    .chars()
                    .next()
                    .is_some_and(|c| !matches!(c, '=' | ':' | '\n'));
            if is_prefix {
                self.pos += rest.len() - trimmed.len();
            }
        }

        let rest = self.rest();
        let mut key_end = 0;
        let mut pending_space = false;
        let mut inner_space = false;
        let mut separator = None;
        for (i, c) in rest.char_indices() {
            match c {
                '=' | ':' | '\n' => {
                    separator = Some((i, c));
                    break;
                }
                c if is_inline_space(c) => pending_space = key_end > 0,
                c if is_key_char(c) => {
                    inner_space |= pending_space;
                    key_end = i + c.len_utf8();
                }
                c => {
                    return Err(self.error(format!(
                        r#"unexpected character "{c}" in variable name {:?}"#,
                        first_line(rest)
                    )));
                }
            }
        }
        let key = &rest[..key_end];
        if inner_space {
            return Err(self.error(format!(
                "key cannot contain a space: {:?}",
                first_line(rest).trim_end()
            )));
        }
        match separator {
            Some((at, '\n')) => {
                self.pos += at + 1;
                self.line += 1;
                Ok((key, false))
            }
            None => {
                self.pos += rest.len();
                Ok((key, false))
            }
            Some((at, c)) => {
                if key.is_empty() {
                    return Err(self.error(format!(r#"missing variable name before "{c}""#)));
                }
                self.pos += at + 1;
                Ok((key, true))
            }
        }
    }

    /// Reads the value after the separator, through the end of its (last) line.
    fn value(
        &mut self,
        key: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String, DotenvError> {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start_matches(is_inline_space).len();
        let start_line = self.line;
        let interpolated = |raw: &str| {
            interpolate(raw, lookup).map_err(|e| DotenvError {
                line: start_line,
                message: format!("value of {key}: {}", e.message),
            })
        };

        let rest = self.rest();
        let quote = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => q,
            _ => {
                let end = rest.find('\n');
                let line = &rest[..end.unwrap_or(rest.len())];
                // `a#b` keeps its hash: only a space-preceded `#` starts a comment.
                let raw = line.split(" #").next().unwrap_or_default().trim_end();
                match end {
                    Some(end) => {
                        self.pos += end + 1;
                        self.line += 1;
                    }
                    None => self.pos += rest.len(),
                }
                return interpolated(raw);
            }
        };

        let mut raw = String::new();
        let mut chars = rest.char_indices().skip(1);
        let close = loop {
            let Some((i, c)) = chars.next() else {
                return Err(DotenvError {
                    line: start_line,
                    message: format!(
                        "unterminated quoted value {}",
                        first_line(rest).trim_end_matches('\r')
                    ),
                });
            };
            if c == '\n' {
                self.line += 1;
            }
            if c == quote {
                break i;
            }
            if c != '\\' {
                raw.push(c);
                continue;
            }
            // Only the quote itself loses its backslash here; double-quoted escapes are
            // decoded afterwards, and single-quoted values keep other backslashes verbatim.
            match chars.next() {
                Some((_, next)) => {
                    if next == '\n' {
                        self.line += 1;
                    }
                    if next != quote {
                        raw.push('\\');
                    }
                    raw.push(next);
                }
                None => continue,
            }
        };
        self.pos += close + 1;
        self.finish_line_after_quote()?;
        if quote == '\'' {
            Ok(raw)
        } else {
            interpolated(&expand_escapes(&raw))
        }
    }

    /// After a closing quote only blanks and a `#` comment may follow on the same line.
    fn finish_line_after_quote(&mut self) -> Result<(), DotenvError> {
        let rest = self.rest();
        let trimmed = rest.trim_start_matches(is_inline_space);
        let line = &trimmed[..trimmed.find('\n').unwrap_or(trimmed.len())];
        if !line.is_empty() && !line.starts_with('#') {
            return Err(self.error(format!(
                "unexpected text after the closing quote: {:?}",
                line.trim_end()
            )));
        }
        self.pos += rest.len() - trimmed.len() + line.len();
        if self.rest().starts_with('\n') {
            self.pos += 1;
            self.line += 1;
        }
        Ok(())
    }

    fn error(&self, message: String) -> DotenvError {
        DotenvError {
            line: self.line,
            message,
        }
    }
}

/// Decodes the shell-style escapes compose-go supports in double-quoted values: `\a \b \f \n
/// \r \t \v \\ \"`, octal `\0NNN`, and `\$`, which becomes `$$` so interpolation leaves a
/// literal dollar. Any other backslash is kept.
fn expand_escapes(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let Some(c) = after.chars().next() else {
            out.push('\\');
            rest = after;
            break;
        };
        let decoded = match c {
            'a' => Some('\u{07}'),
            'b' => Some('\u{08}'),
            'f' => Some('\u{0c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{0b}'),
            '\\' => Some('\\'),
            '"' => Some('"'),
            '$' => {
                out.push_str("$$");
                rest = &after[1..];
                continue;
            }
            '0' => {
                let digits = after[1..]
                    .bytes()
                    .take(3)
                    .take_while(u8::is_ascii_digit)
                    .count();
                let octal = &after[1..1 + digits];
                match u8::from_str_radix(octal, 8) {
                    Ok(byte) if digits == 3 => {
                        out.push(char::from(byte));
                        rest = &after[1 + digits..];
                        continue;
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        match decoded {
            Some(d) => {
                out.push(d);
                rest = &after[c.len_utf8()..];
            }
            None => {
                out.push('\\');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Blanks that may surround keys and values; unlike `char::is_whitespace`, not a newline.
fn is_inline_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{0b}' | '\u{0c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

fn is_key_char(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || matches!(c, '_' | '.' | '-' | '[' | ']')
}

fn first_line(text: &str) -> &str {
    text.split('\n').next().unwrap_or_default()
}

/// Parses an env file in the `raw` format (`env_file: {path, format: raw}`), read the way
/// `docker run --env-file` reads one: `KEY=value` with the value taken verbatim (no quotes, no
/// escapes, no interpolation), blank and `#` lines skipped, and a bare `KEY` taken from `lookup`
/// (left out when unset). Later duplicates override earlier values.
pub fn parse_raw(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, DotenvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut vars = Vars::default();
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line).trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            None => (line.trim_end(), None),
        };
        let error = |message: String| DotenvError {
            line: i + 1,
            message,
        };
        if key.is_empty() {
            return Err(error("a variable name is missing before '='".to_owned()));
        }
        if key.chars().any(char::is_whitespace) {
            return Err(error(format!("variable name {key:?} contains whitespace")));
        }
        match value {
            Some(value) => vars.set(key, value.to_owned()),
            None => {
                if let Some(value) = lookup(key) {
                    vars.set(key, value);
                }
            }
        }
    }
    Ok(vars.entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_raw_format_keeps_values_verbatim() {
        let lookup = |n: &str| (n == "FROM_ENV").then(|| "env".to_owned());
        let text = "\u{feff}TEST_VAR='{\"key\": \"value\"}'\r\n# note\n\n  B=${NOT} #x \nFROM_ENV\nUNSET\nB=2\n";
        let parsed = parse_raw(text, &lookup).expect("raw env parses");
        assert_eq!(
            parsed,
            pairs(&[
                ("TEST_VAR", "'{\"key\": \"value\"}'"),
                ("B", "2"),
                ("FROM_ENV", "env"),
            ])
        );
        let bad = parse_raw("A=1\nMY VAR=2\n", &none).expect_err("a name with a space");
        assert_eq!(bad.line, 2);
        assert!(bad.message.contains("whitespace"), "{bad}");
        assert_eq!(parse_raw("=1\n", &none).expect_err("no name").line, 1);
    }

    fn none(_: &str) -> Option<String> {
        None
    }

    fn parse_ok(text: &str) -> Vec<(String, String)> {
        parse(text, &none).expect("the env text should parse")
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn value_of(text: &str) -> String {
        let parsed = parse_ok(text);
        assert_eq!(parsed.len(), 1, "{text:?} gave {parsed:?}");
        parsed
            .into_iter()
            .next()
            .map(|(_, v)| v)
            .unwrap_or_default()
    }

    fn parse_err(text: &str) -> DotenvError {
        parse(text, &none).expect_err("the env text should be rejected")
    }

    #[test]
    fn simple_assignments_keep_their_order() {
        assert_eq!(
            parse_ok("ONE=1\nTWO='2'\nTHREE = \"3\""),
            pairs(&[("ONE", "1"), ("TWO", "2"), ("THREE", "3")])
        );
    }

    #[test]
    fn empty_input_and_only_comments_give_nothing() {
        assert!(parse_ok("").is_empty());
        assert!(parse_ok("\n\r\n\t\t \n# comment\n\t # indented comment").is_empty());
    }

    #[test]
    fn spaces_around_the_equals_sign_are_trimmed() {
        assert_eq!(
            parse_ok("A =1\nB= 2\n  C = 3\n\tD=4"),
            pairs(&[("A", "1"), ("B", "2"), ("C", "3"), ("D", "4")])
        );
    }

    #[test]
    fn an_export_prefix_is_ignored() {
        assert_eq!(value_of("export OPTION_A=2"), "2");
        assert_eq!(value_of("export\tOPTION_A=2"), "2");
        assert_eq!(value_of("  export OPTION_A=2"), "2");
        assert_eq!(value_of(r#"export OPTION_A="export A""#), "export A");
        assert_eq!(
            parse_ok("export OPTION_B='\\n'"),
            pairs(&[("OPTION_B", "\\n")])
        );
    }

    #[test]
    fn export_is_only_a_prefix_when_followed_by_a_blank_and_a_name() {
        assert_eq!(parse_ok("exportFOO=2"), pairs(&[("exportFOO", "2")]));
        assert_eq!(parse_ok("export_FOO =2"), pairs(&[("export_FOO", "2")]));
        assert_eq!(parse_ok("export.FOO= 2"), pairs(&[("export.FOO", "2")]));
        assert_eq!(parse_ok("export=1"), pairs(&[("export", "1")]));
        assert_eq!(parse_ok("export = 1"), pairs(&[("export", "1")]));
    }

    #[test]
    fn crlf_line_endings_are_accepted() {
        assert_eq!(
            parse_ok("A=1\r\nB='2'\r\nC=\"3\"\r\n\r\n# c\r\nD = x y \r\n"),
            pairs(&[("A", "1"), ("B", "2"), ("C", "3"), ("D", "x y")])
        );
    }

    #[test]
    fn a_leading_byte_order_mark_is_ignored() {
        assert_eq!(parse_ok("\u{feff}A=1"), pairs(&[("A", "1")]));
    }

    #[test]
    fn unquoted_values_lose_trailing_blanks_and_inline_comments() {
        assert_eq!(value_of("FOO=bar "), "bar");
        assert_eq!(value_of("FOO=bar # this is foo"), "bar");
        assert_eq!(value_of("FOO=bar #this is foo"), "bar");
        assert_eq!(value_of("FOO=bar #"), "bar");
        assert_eq!(
            value_of("FOO=first one with spaces"),
            "first one with spaces"
        );
    }

    #[test]
    fn a_hash_without_a_space_before_it_is_part_of_an_unquoted_value() {
        assert_eq!(value_of("FOO=123#not-a-comment"), "123#not-a-comment");
    }

    #[test]
    fn a_value_starting_with_a_hash_is_kept_as_compose_go_does() {
        assert_eq!(
            value_of("FOO= # looks like a comment"),
            "# looks like a comment"
        );
    }

    #[test]
    fn unquoted_values_may_contain_equals_signs_and_colons() {
        assert_eq!(value_of("FOO=foobar="), "foobar=");
        assert_eq!(value_of("OPTION_A=1:B"), "1:B");
        assert_eq!(
            value_of("DSN=postgres://localhost:5432/db?sslmode=disable"),
            "postgres://localhost:5432/db?sslmode=disable"
        );
    }

    #[test]
    fn empty_values_are_kept_as_empty_strings() {
        assert_eq!(
            parse_ok("A=\nB = \nC=''\nD=\"\""),
            pairs(&[("A", ""), ("B", ""), ("C", ""), ("D", "")])
        );
    }

    #[test]
    fn a_colon_works_as_the_separator_like_yaml() {
        assert_eq!(value_of("OPTION_A: 1"), "1");
        assert_eq!(value_of("OPTION_A: Foo=bar"), "Foo=bar");
        assert_eq!(
            parse_ok("FOO:BAR\nZOT:QIX"),
            pairs(&[("FOO", "BAR"), ("ZOT", "QIX")])
        );
    }

    #[test]
    fn unquoted_backslashes_are_kept_verbatim() {
        assert_eq!(value_of(r"FOO=a\tb"), r"a\tb");
        assert_eq!(value_of(r"FOO=C:\path\n"), r"C:\path\n");
    }

    #[test]
    fn single_quoted_values_are_literal() {
        assert_eq!(value_of("BAR='quote $FOO'"), "quote $FOO");
        assert_eq!(value_of("BAR='${FOO:?never}'"), "${FOO:?never}");
        assert_eq!(value_of(r"OPTION_D='\n'"), r"\n");
        assert_eq!(value_of("FOO='bar#baz' # comment"), "bar#baz");
    }

    #[test]
    fn an_escaped_quote_inside_single_quotes_is_unescaped() {
        assert_eq!(value_of(r"OPTION_K='Let\'s go!'"), "Let's go!");
    }

    #[test]
    fn single_quoted_values_may_span_lines() {
        assert_eq!(
            parse_ok("OPTION_J = 'first line\nsecond line\nthird line\nand so on'\nNEXT=1"),
            pairs(&[
                ("OPTION_J", "first line\nsecond line\nthird line\nand so on"),
                ("NEXT", "1")
            ])
        );
    }

    #[test]
    fn double_quoted_values_decode_escapes() {
        assert_eq!(value_of(r#"FOO="bar\nbaz""#), "bar\nbaz");
        assert_eq!(value_of(r#"FOO="a\tb""#), "a\tb");
        assert_eq!(value_of(r#"FOO="escaped\"bar""#), "escaped\"bar");
        assert_eq!(value_of(r#"FOO="\"quoted\"""#), "\"quoted\"");
        assert_eq!(value_of(r#"FOO="bar\nbaz\\""#), "bar\nbaz\\");
        assert_eq!(
            value_of(r#"KEY="Z\aZ\bZ\fZ\nZ\rZ\tZ\vZ\\Z\0123Z""#),
            "Z\u{07}Z\u{08}Z\u{0c}Z\nZ\rZ\tZ\u{0b}Z\\ZSZ"
        );
    }

    #[test]
    fn unknown_escapes_in_double_quotes_keep_their_backslash() {
        assert_eq!(value_of(r#"FOO="bar\n\ b\az""#), "bar\n\\ b\u{07}z");
        assert_eq!(value_of(r#"FOO="bar\\r\ b""#), "bar\\r\\ b");
        assert_eq!(value_of(r#"KEY="\x07""#), r"\x07");
        assert_eq!(value_of(r#"KEY="\u12e4""#), r"\u12e4");
    }

    #[test]
    fn octal_escapes_need_exactly_three_octal_digits() {
        assert_eq!(value_of(r#"KEY="\0123""#), "S");
        assert_eq!(value_of(r#"KEY="\01234""#), "S4");
        assert_eq!(value_of(r#"KEY="\012""#), r"\012");
        assert_eq!(value_of(r#"KEY="\0""#), r"\0");
        assert_eq!(value_of(r#"KEY="\0128""#), r"\0128");
        assert_eq!(value_of(r#"KEY="\0777""#), r"\0777");
    }

    #[test]
    fn double_quoted_values_may_span_lines() {
        assert_eq!(
            value_of("TEST_URLS=\"tcp://a:3333\ntcp://b:443\""),
            "tcp://a:3333\ntcp://b:443"
        );
    }

    #[test]
    fn hashes_and_other_quotes_inside_quotes_are_literal() {
        assert_eq!(value_of(r#"FOO="ba#r""#), "ba#r");
        assert_eq!(value_of(r#"FOO="bar#baz" # comment"#), "bar#baz");
        assert_eq!(value_of(r##"FOO="bar#baz"#"##), "bar#baz");
        assert_eq!(value_of(r#"FOO="'d'""#), "'d'");
        assert_eq!(
            value_of(r#"OPTION_I = "echo 'asd'" # Inline comment"#),
            "echo 'asd'"
        );
    }

    #[test]
    fn unquoted_and_double_quoted_values_are_interpolated() {
        assert_eq!(
            parse_ok("FOO=test\nBAR=$FOO\nBAZ=${FOO}bar\nQUX=\"quote $FOO\""),
            pairs(&[
                ("FOO", "test"),
                ("BAR", "test"),
                ("BAZ", "testbar"),
                ("QUX", "quote test")
            ])
        );
        assert_eq!(value_of("BAR=$UNDEFINED"), "");
        assert_eq!(value_of("BAR=${UNDEFINED:-fallback}"), "fallback");
    }

    #[test]
    fn escaped_dollars_in_double_quotes_are_not_interpolated() {
        assert_eq!(value_of(r#"FOO="foo\$BAR""#), "foo$BAR");
        assert_eq!(value_of(r#"FOO="foo\${BAR}""#), "foo${BAR}");
        assert_eq!(
            parse_ok("FOO=test\nBAR=\"foo\\${FOO} ${FOO}\""),
            pairs(&[("FOO", "test"), ("BAR", "foo${FOO} test")])
        );
    }

    #[test]
    fn a_double_dollar_is_a_literal_dollar_in_unquoted_values() {
        assert_eq!(value_of("PASSWORD=pa$$word"), "pa$word");
    }

    #[test]
    fn a_backslash_does_not_escape_a_dollar_in_unquoted_values() {
        // compose-go decodes `\$` only inside double quotes; unquoted, `$$` is the escape.
        let lookup = |name: &str| (name == "bar").then(|| "B".to_owned());
        assert_eq!(
            parse(r"FOO=\$bar", &lookup).expect("valid file"),
            pairs(&[("FOO", r"\B")])
        );
    }

    #[test]
    fn the_lookup_wins_over_earlier_keys_when_interpolating() {
        let lookup = |name: &str| (name == "OPTION_A").then(|| "5".to_owned());
        let parsed = parse(
            "OPTION_A=1\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\nOPTION_D=${OPTION_A}_${OPTION_B}",
            &lookup,
        )
        .expect("valid file");
        assert_eq!(
            parsed,
            pairs(&[
                ("OPTION_A", "1"),
                ("OPTION_B", "5"),
                ("OPTION_C", "5"),
                ("OPTION_D", "5_5")
            ])
        );
    }

    #[test]
    fn earlier_keys_are_used_when_the_lookup_has_no_value() {
        let lookup = |name: &str| (name == "ME").then(|| "YES".to_owned());
        assert_eq!(
            parse("A=1\nB=${A}-$ME", &lookup).expect("valid file"),
            pairs(&[("A", "1"), ("B", "1-YES")])
        );
    }

    #[test]
    fn a_bare_key_takes_its_value_from_the_lookup() {
        let lookup =
            |name: &str| (name == "VAR_TO_BE_LOADED_FROM_OS_ENV").then(|| "SOME_VALUE".to_owned());
        assert_eq!(
            parse("foo=bar\nVAR_TO_BE_LOADED_FROM_OS_ENV\nbar=baz\n", &lookup).expect("valid"),
            pairs(&[
                ("foo", "bar"),
                ("VAR_TO_BE_LOADED_FROM_OS_ENV", "SOME_VALUE"),
                ("bar", "baz")
            ])
        );
        assert_eq!(
            parse("  export KEY  \r\n", &|_: &str| Some("v".to_owned())).expect("valid"),
            pairs(&[("KEY", "v")])
        );
    }

    #[test]
    fn a_bare_key_without_a_value_is_omitted() {
        assert!(parse_ok("VARIABLE_NOT_FOUND\n").is_empty());
        assert_eq!(parse_ok("A\nB=2"), pairs(&[("B", "2")]));
        assert_eq!(parse_ok("A=1\nA"), pairs(&[("A", "1")]));
    }

    #[test]
    fn a_later_duplicate_overrides_the_value_but_keeps_the_first_position() {
        assert_eq!(parse_ok("A=1\nB=2\nA=3"), pairs(&[("A", "3"), ("B", "2")]));
    }

    #[test]
    fn keys_may_contain_dots_dashes_brackets_and_unicode_letters() {
        assert_eq!(
            parse_ok(
                "VAR.WITH.DOTS=dots\nVAR-WITH-DASHES=dashes\na[1]=c\n456 = ABC\n\
                 árvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ-tükörfúrógép"
            ),
            pairs(&[
                ("VAR.WITH.DOTS", "dots"),
                ("VAR-WITH-DASHES", "dashes"),
                ("a[1]", "c"),
                ("456", "ABC"),
                ("árvíztűrő-TÜKÖRFÚRÓGÉP", "ÁRVÍZTŰRŐ-tükörfúrógép")
            ])
        );
    }

    #[test]
    fn a_key_with_a_space_is_rejected_on_its_line() {
        let error = parse_err("A=1\n\nINVALID LINE\nzot=qix");
        assert_eq!(error.line, 3);
        assert_eq!(
            error.to_string(),
            r#"line 3: key cannot contain a space: "INVALID LINE""#
        );
        assert_eq!(parse_err("MY KEY=1").line, 1);
    }

    #[test]
    fn a_key_with_an_invalid_character_is_rejected() {
        let error = parse_err("# c\nlol$wut");
        assert_eq!(
            error,
            DotenvError {
                line: 2,
                message: r#"unexpected character "$" in variable name "lol$wut""#.to_owned()
            }
        );
        assert_eq!(parse_err("%!(EXTRA string)=foo").line, 1);
        assert_eq!(parse_err("KEY # comment").line, 1);
    }

    #[test]
    fn an_empty_key_is_rejected() {
        assert_eq!(
            parse_err("=\"value\"").message,
            r#"missing variable name before "=""#
        );
        assert_eq!(parse_err("A=1\n: x").line, 2);
    }

    #[test]
    fn an_unterminated_quote_is_rejected_at_its_opening_line() {
        for text in [
            r#"KEY=""#,
            r#"KEY="value"#,
            r#"KEY="value\""#,
            r#"KEY="value'"#,
            "KEY='",
            "KEY='value",
            r"KEY='value\'",
            r#"KEY='value""#,
            "A=1\nKEY=\"value\nmore\nlines",
        ] {
            let error = parse_err(text);
            assert!(
                error.message.starts_with("unterminated quoted value"),
                "{text:?}: {error}"
            );
            assert_eq!(error.line, text.lines().count().min(2), "{text:?}");
        }
    }

    #[test]
    fn text_after_a_closing_quote_is_rejected() {
        let error = parse_err("A=1\nB=\"x\"y\nC=2");
        assert_eq!(error.line, 2);
        assert_eq!(
            error.message,
            r#"unexpected text after the closing quote: "y""#
        );
    }

    #[test]
    fn interpolation_errors_name_the_key_and_line() {
        let error = parse_err("A=1\nB=${NEEDED:?set NEEDED first}");
        assert_eq!(error.line, 2);
        assert_eq!(
            error.message,
            "value of B: required variable NEEDED is missing a value: set NEEDED first"
        );
        let error = parse_err("A=\"x\ny\"\nC=\"${oops\"");
        assert_eq!(error.line, 3);
        assert!(
            error
                .message
                .starts_with("value of C: invalid interpolation format")
        );
    }

    #[test]
    fn line_numbers_count_lines_inside_quoted_values() {
        let error = parse_err("A='one\ntwo'\nB=\"three\nfour\"\n\n# c\nbad key=1");
        assert_eq!(error.line, 7);
    }

    #[test]
    fn compose_go_fixtures_parse_and_invalid1_fails() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/corpora/compose-go/dotenv/fixtures");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("skipping: {} is not available", dir.display());
            return;
        };
        let mut seen = 0;
        for entry in entries {
            let path = entry.expect("a readable directory entry").path();
            let text = std::fs::read_to_string(&path).expect("a UTF-8 fixture");
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            let result = parse(&text, &none);
            if name == "invalid1.env" {
                let error = result.expect_err("invalid1.env must be rejected");
                assert_eq!(error.line, 7, "{error}");
            } else {
                result.unwrap_or_else(|e| panic!("{name} should parse: {e}"));
            }
            seen += 1;
        }
        assert!(seen > 0, "no fixtures found in {}", dir.display());
    }

    #[test]
    fn the_quoted_fixture_gives_the_upstream_values() {
        let text = "OPTION_A='1'\nOPTION_B='2'\nOPTION_C=''\nOPTION_D='\\n'\nOPTION_E=\"1\"\n\
                    OPTION_F=\"2\"\nOPTION_G=\"\"\nOPTION_H=\"\\n\"\n\
                    OPTION_I = \"echo 'asd'\" # Inline comment\n\
                    OPTION_J = 'first line\nsecond line\nthird line\nand so on'\n\
                    OPTION_K='Let\\'s go!'\nOPTION_Z = \"last value\"\n";
        assert_eq!(
            parse_ok(text),
            pairs(&[
                ("OPTION_A", "1"),
                ("OPTION_B", "2"),
                ("OPTION_C", ""),
                ("OPTION_D", "\\n"),
                ("OPTION_E", "1"),
                ("OPTION_F", "2"),
                ("OPTION_G", ""),
                ("OPTION_H", "\n"),
                ("OPTION_I", "echo 'asd'"),
                ("OPTION_J", "first line\nsecond line\nthird line\nand so on"),
                ("OPTION_K", "Let's go!"),
                ("OPTION_Z", "last value"),
            ])
        );
    }

    #[test]
    fn the_plain_fixture_gives_the_upstream_values() {
        let text = "OPTION_A=1\nOPTION_B=2\nOPTION_C= 3\nOPTION_D =4\nOPTION_E = 5\n456 = ABC\n\
                    OPTION_F = \nOPTION_G=\nOPTION_H = my string # Inline comment\n";
        assert_eq!(
            parse_ok(text),
            pairs(&[
                ("OPTION_A", "1"),
                ("OPTION_B", "2"),
                ("OPTION_C", "3"),
                ("OPTION_D", "4"),
                ("OPTION_E", "5"),
                ("456", "ABC"),
                ("OPTION_F", ""),
                ("OPTION_G", ""),
                ("OPTION_H", "my string"),
            ])
        );
    }

    #[test]
    fn the_substitutions_default_fixture_gives_the_upstream_values() {
        let text = "OPTION_A=${OPTION_A:-1}\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\n\
                    OPTION_D=${OPTION_A}_${OPTION_B}\nOPTION_E=${OPTION_NOT_DEFINED}\n";
        let expected = pairs(&[
            ("OPTION_A", "1"),
            ("OPTION_B", "1"),
            ("OPTION_C", "1"),
            ("OPTION_D", "1_1"),
            ("OPTION_E", ""),
        ]);
        assert_eq!(parse_ok(text), expected);
        let lookup = |name: &str| (name == "OPTION_A").then(|| "5".to_owned());
        let with_env = parse(text, &lookup).expect("valid file");
        assert_eq!(with_env[0], ("OPTION_A".to_owned(), "5".to_owned()));
        assert_eq!(with_env[3], ("OPTION_D".to_owned(), "5_5".to_owned()));
    }
}
