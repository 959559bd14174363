//! Compose variable interpolation: `$VAR`, `${VAR}`, `$$` and the `:-`, `-`, `:?`, `?`, `:+`,
//! `+` modifiers, with nesting, as the Compose Specification and compose-go define them.
//!
//! The input is parsed completely before anything is looked up, so a syntax error anywhere
//! (even in a default that would not be used) is always reported, while `?` errors only fire
//! for the branch that is actually taken, as in compose-go.

/// Why a string could not be interpolated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InterpolationError {
    /// Human-readable explanation, worded like compose-go's.
    pub message: String,
    /// Byte offset in the input where the offending expression or character starts.
    pub offset: usize,
    /// Whether the input is malformed or a required variable is missing.
    pub kind: InterpolationErrorKind,
}

/// The two families of interpolation failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpolationErrorKind {
    /// The text is not valid interpolation syntax.
    Syntax,
    /// A `${VAR?err}` or `${VAR:?err}` variable has no acceptable value.
    MissingRequired {
        /// Name of the variable that must be set.
        variable: String,
    },
}

/// Replaces every variable reference in `input` with its value from `lookup`.
pub fn interpolate(
    input: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, InterpolationError> {
    if !input.contains('$') {
        return Ok(input.to_owned());
    }
    let mut parser = Parser::new(input);
    let segments = parser.parse_top_level()?;
    let mut out = String::with_capacity(input.len());
    render(&segments, lookup, &mut out)?;
    Ok(out)
}

/// Names of the variables `input` refers to, in order of first appearance, without duplicates.
///
/// Names inside defaults and replacements are included. On malformed input the names found
/// before the error are returned, which is what an editor wants while the user is typing.
pub fn variables(input: &str) -> Vec<String> {
    if !input.contains('$') {
        return Vec::new();
    }
    let mut parser = Parser::new(input);
    let _ = parser.parse_top_level();
    let mut names: Vec<String> = Vec::new();
    for name in parser.names {
        if !names.iter().any(|known| known == name) {
            names.push(name.to_owned());
        }
    }
    names
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Modifier {
    /// `:-`
    DefaultIfUnsetOrEmpty,
    /// `-`
    DefaultIfUnset,
    /// `:?`
    RequiredNonEmpty,
    /// `?`
    Required,
    /// `:+`
    ReplaceIfNonEmpty,
    /// `+`
    ReplaceIfSet,
}

impl Modifier {
    /// Whether the operator is written with a `:`, which makes an empty value count as unset.
    fn has_colon(self) -> bool {
        matches!(
            self,
            Modifier::DefaultIfUnsetOrEmpty
                | Modifier::RequiredNonEmpty
                | Modifier::ReplaceIfNonEmpty
        )
    }
}

#[derive(Debug)]
enum Segment<'a> {
    Text(&'a str),
    Variable {
        name: &'a str,
        /// Offset of the `$`, reported by `?` errors.
        start: usize,
        modifier: Option<(Modifier, Vec<Segment<'a>>)>,
    },
}

const OPERATORS_HINT: &str = r#"expected "}" or one of ":-", "-", ":?", "?", ":+", "+""#;

struct Parser<'a> {
    input: &'a str,
    pos: usize,
    names: Vec<&'a str>,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Self {
        Self {
            input,
            pos: 0,
            names: Vec::new(),
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.input.as_bytes().get(self.pos + ahead).copied()
    }

    fn parse_top_level(&mut self) -> Result<Vec<Segment<'a>>, InterpolationError> {
        self.parse_sequence(false)
    }

    /// Parses text up to the end of input, or, when `nested`, up to the `}` that closes the
    /// enclosing `${`; bare `{`/`}` pairs inside a nested word are kept as text so that
    /// defaults such as `${A:-{"k":1}}` work as in compose-go.
    fn parse_sequence(&mut self, nested: bool) -> Result<Vec<Segment<'a>>, InterpolationError> {
        let mut segments = Vec::new();
        let mut text_start = self.pos;
        let mut depth = 0usize;
        while let Some(byte) = self.peek(0) {
            match byte {
                b'$' => {
                    let next = self.peek(1);
                    let literal_dollar =
                        !matches!(next, Some(b'$' | b'{')) && !next.is_some_and(is_name_start);
                    if literal_dollar {
                        self.pos += 1;
                        continue;
                    }
                    push_text(&mut segments, &self.input[text_start..self.pos]);
                    match next {
                        Some(b'$') => {
                            segments.push(Segment::Text(&self.input[self.pos + 1..self.pos + 2]));
                            self.pos += 2;
                        }
                        Some(b'{') => segments.push(self.parse_braced()?),
                        _ => segments.push(self.parse_unbraced()),
                    }
                    text_start = self.pos;
                }
                b'{' if nested => {
                    depth += 1;
                    self.pos += 1;
                }
                b'}' if nested => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
        push_text(&mut segments, &self.input[text_start..self.pos]);
        Ok(segments)
    }

    fn parse_unbraced(&mut self) -> Segment<'a> {
        let start = self.pos;
        let name_start = start + 1;
        let name_end = self.scan_name(name_start);
        let name = &self.input[name_start..name_end];
        self.names.push(name);
        self.pos = name_end;
        Segment::Variable {
            name,
            start,
            modifier: None,
        }
    }

    fn parse_braced(&mut self) -> Result<Segment<'a>, InterpolationError> {
        let start = self.pos;
        self.pos += 2;
        match self.peek(0) {
            None => return Err(self.unterminated(start)),
            Some(b'}') => {
                return Err(self.syntax(
                    start,
                    format!(r#""${{}}" at byte {start} has no variable name"#),
                ));
            }
            Some(byte) if !is_name_start(byte) => {
                let found = self.char_at(self.pos);
                return Err(self.syntax(
                    self.pos,
                    format!(
                        r#"variable name at byte {} starts with "{found}"; names start with a letter or "_""#,
                        self.pos
                    ),
                ));
            }
            Some(_) => {}
        }
        let name_end = self.scan_name(self.pos);
        let name = &self.input[self.pos..name_end];
        self.names.push(name);
        self.pos = name_end;

        let modifier = match (self.peek(0), self.peek(1)) {
            (None, _) | (Some(b':'), None) => return Err(self.unterminated(start)),
            (Some(b'}'), _) => {
                self.pos += 1;
                return Ok(Segment::Variable {
                    name,
                    start,
                    modifier: None,
                });
            }
            (Some(b':'), Some(b'-')) => Modifier::DefaultIfUnsetOrEmpty,
            (Some(b':'), Some(b'?')) => Modifier::RequiredNonEmpty,
            (Some(b':'), Some(b'+')) => Modifier::ReplaceIfNonEmpty,
            (Some(b'-'), _) => Modifier::DefaultIfUnset,
            (Some(b'?'), _) => Modifier::Required,
            (Some(b'+'), _) => Modifier::ReplaceIfSet,
            (Some(b':'), Some(_)) => {
                let operator = format!(":{}", self.char_at(self.pos + 1));
                return Err(self.syntax(
                    self.pos,
                    format!(
                        r#"unknown operator "{operator}" at byte {} after variable name "{name}"; {OPERATORS_HINT}"#,
                        self.pos
                    ),
                ));
            }
            (Some(_), _) => {
                let found = self.char_at(self.pos);
                return Err(self.syntax(
                    self.pos,
                    format!(
                        r#"unexpected "{found}" at byte {} after variable name "{name}"; {OPERATORS_HINT}"#,
                        self.pos
                    ),
                ));
            }
        };
        self.pos += if modifier.has_colon() { 2 } else { 1 };
        let word = self.parse_sequence(true)?;
        if self.peek(0) != Some(b'}') {
            return Err(self.unterminated(start));
        }
        self.pos += 1;
        Ok(Segment::Variable {
            name,
            start,
            modifier: Some((modifier, word)),
        })
    }

    fn scan_name(&self, from: usize) -> usize {
        let bytes = self.input.as_bytes();
        let mut end = from;
        while bytes.get(end).is_some_and(|&b| is_name_char(b)) {
            end += 1;
        }
        end
    }

    fn char_at(&self, offset: usize) -> char {
        self.input[offset..].chars().next().unwrap_or('\u{fffd}')
    }

    fn unterminated(&self, start: usize) -> InterpolationError {
        self.syntax(
            start,
            format!(r#""${{" at byte {start} is never closed with "}}""#),
        )
    }

    fn syntax(&self, offset: usize, detail: String) -> InterpolationError {
        InterpolationError {
            message: format!(
                r#"invalid interpolation format for {:?}: {detail}; a literal "$" is written "$$""#,
                self.input
            ),
            offset,
            kind: InterpolationErrorKind::Syntax,
        }
    }
}

fn push_text<'a>(segments: &mut Vec<Segment<'a>>, text: &'a str) {
    if !text.is_empty() {
        segments.push(Segment::Text(text));
    }
}

fn is_name_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_'
}

fn is_name_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

fn render(
    segments: &[Segment<'_>],
    lookup: &dyn Fn(&str) -> Option<String>,
    out: &mut String,
) -> Result<(), InterpolationError> {
    for segment in segments {
        match segment {
            Segment::Text(text) => out.push_str(text),
            Segment::Variable {
                name,
                start,
                modifier,
            } => {
                let value = lookup(name);
                let Some((modifier, word)) = modifier else {
                    out.push_str(value.as_deref().unwrap_or_default());
                    continue;
                };
                // The `:` forms take an empty value for an unset one.
                let value = value.filter(|v| !(modifier.has_colon() && v.is_empty()));
                match modifier {
                    Modifier::DefaultIfUnsetOrEmpty | Modifier::DefaultIfUnset => match value {
                        Some(v) => out.push_str(&v),
                        None => render(word, lookup, out)?,
                    },
                    Modifier::ReplaceIfNonEmpty | Modifier::ReplaceIfSet => {
                        if value.is_some() {
                            render(word, lookup, out)?;
                        }
                    }
                    Modifier::RequiredNonEmpty | Modifier::Required => match value {
                        Some(v) => out.push_str(&v),
                        None => return Err(missing_required(name, *start, word, lookup)?),
                    },
                }
            }
        }
    }
    Ok(())
}

/// Builds the `?` error; its text is itself interpolated (compose-go does the same), and a
/// failure while doing so takes precedence.
fn missing_required(
    name: &str,
    start: usize,
    word: &[Segment<'_>],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<InterpolationError, InterpolationError> {
    let mut reason = String::new();
    render(word, lookup, &mut reason)?;
    let message = if reason.is_empty() {
        format!("required variable {name} is missing a value")
    } else {
        format!("required variable {name} is missing a value: {reason}")
    };
    Ok(InterpolationError {
        message,
        offset: start,
        kind: InterpolationErrorKind::MissingRequired {
            variable: name.to_owned(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    const VARS: &[(&str, &str)] = &[
        ("FOO", "foo"),
        ("BAR", "bar"),
        ("EMPTY", ""),
        ("lower_case", "lc"),
        ("_UNDER", "under"),
        ("V1", "one"),
    ];

    fn run(input: &str) -> Result<String, InterpolationError> {
        interpolate(input, &env(VARS))
    }

    fn ok(input: &str) -> String {
        run(input).expect("interpolation should succeed")
    }

    fn err(input: &str) -> InterpolationError {
        run(input).expect_err("interpolation should fail")
    }

    #[test]
    fn text_without_a_dollar_is_returned_unchanged() {
        assert_eq!(ok("plain text {with} braces"), "plain text {with} braces");
        assert_eq!(ok(""), "");
    }

    #[test]
    fn a_braced_variable_is_replaced() {
        assert_eq!(ok("${FOO}"), "foo");
        assert_eq!(ok("a-${FOO}-b"), "a-foo-b");
        assert_eq!(ok("${FOO}${BAR}"), "foobar");
    }

    #[test]
    fn an_unbraced_variable_is_replaced() {
        assert_eq!(ok("$FOO"), "foo");
        assert_eq!(ok("$FOO/$BAR"), "foo/bar");
        assert_eq!(ok("$lower_case $_UNDER $V1"), "lc under one");
    }

    #[test]
    fn an_unbraced_name_is_as_long_as_possible() {
        assert_eq!(ok("$FOOBAR"), "");
        assert_eq!(ok("$FOO-BAR"), "foo-BAR");
        assert_eq!(ok("$FOO.txt"), "foo.txt");
    }

    #[test]
    fn an_unset_variable_becomes_empty() {
        assert_eq!(ok("[${MISSING}]"), "[]");
        assert_eq!(ok("[$MISSING]"), "[]");
    }

    #[test]
    fn a_double_dollar_is_a_literal_dollar() {
        assert_eq!(ok("$$"), "$");
        assert_eq!(ok("$$FOO"), "$FOO");
        assert_eq!(ok("$${FOO}"), "${FOO}");
        assert_eq!(ok("$$$FOO"), "$foo");
        assert_eq!(ok("$$$$"), "$$");
        assert_eq!(ok("echo $$HOME > /tmp/x"), "echo $HOME > /tmp/x");
    }

    #[test]
    fn a_dollar_not_starting_a_reference_is_kept() {
        assert_eq!(ok("$"), "$");
        assert_eq!(ok("cost: 5$"), "cost: 5$");
        assert_eq!(ok("$1 $- $. $ $\""), "$1 $- $. $ $\"");
        assert_eq!(ok("$(date)"), "$(date)");
        assert_eq!(ok("$é"), "$é");
    }

    #[test]
    fn a_default_applies_when_the_variable_is_unset() {
        assert_eq!(ok("${MISSING:-dflt}"), "dflt");
        assert_eq!(ok("${MISSING-dflt}"), "dflt");
    }

    #[test]
    fn a_default_applies_when_the_variable_is_empty() {
        assert_eq!(ok("${EMPTY:-dflt}"), "dflt");
    }

    #[test]
    fn a_dash_default_does_not_apply_to_an_empty_variable() {
        assert_eq!(ok("[${EMPTY-dflt}]"), "[]");
    }

    #[test]
    fn a_set_variable_wins_over_its_default() {
        assert_eq!(ok("${FOO:-dflt}"), "foo");
        assert_eq!(ok("${FOO-dflt}"), "foo");
    }

    #[test]
    fn defaults_may_be_empty_or_contain_operator_characters() {
        assert_eq!(ok("[${MISSING:-}]"), "[]");
        assert_eq!(ok("${MISSING:-a:-b-c?d+e}"), "a:-b-c?d+e");
        assert_eq!(ok("${SUBNET-172.99.0.0/16}"), "172.99.0.0/16");
        assert_eq!(ok("${HOST:-127.0.0.1}:24224"), "127.0.0.1:24224");
        assert_eq!(ok("${MISSING:-with spaces and é}"), "with spaces and é");
    }

    #[test]
    fn a_replacement_applies_only_when_the_variable_is_set_and_non_empty() {
        assert_eq!(ok("${FOO:+yes}"), "yes");
        assert_eq!(ok("[${EMPTY:+yes}]"), "[]");
        assert_eq!(ok("[${MISSING:+yes}]"), "[]");
    }

    #[test]
    fn a_plus_replacement_applies_when_the_variable_is_set_even_if_empty() {
        assert_eq!(ok("${FOO+yes}"), "yes");
        assert_eq!(ok("${EMPTY+yes}"), "yes");
        assert_eq!(ok("[${MISSING+yes}]"), "[]");
    }

    #[test]
    fn defaults_nest_to_any_depth() {
        assert_eq!(ok("${MISSING:-${FOO}}"), "foo");
        assert_eq!(ok("${MISSING:-${OTHER:-x}}"), "x");
        assert_eq!(ok("${A:-${B:-${C:-${D:-deep}}}}"), "deep");
        assert_eq!(ok("${MISSING:-pre${BAR}post}"), "prebarpost");
        assert_eq!(
            ok("${MISSING:-$FOO and $$ and ${BAR}}!"),
            "foo and $ and bar!"
        );
        assert_eq!(ok("${FOO:+[${BAR:-x}]}"), "[bar]");
    }

    #[test]
    fn braces_inside_a_default_must_balance() {
        assert_eq!(ok(r#"${MISSING:-{"k":1}}"#), r#"{"k":1}"#);
        assert_eq!(ok("${MISSING:-a}b}"), "ab}");
        assert_eq!(ok("{${FOO}}"), "{foo}");
    }

    #[test]
    fn an_unused_default_is_not_evaluated() {
        assert_eq!(ok("${FOO:-${NEEDED:?never checked}}"), "foo");
        assert_eq!(ok("${MISSING:+${NEEDED:?never checked}}"), "");
    }

    #[test]
    fn a_required_variable_with_a_value_is_replaced() {
        assert_eq!(ok("${FOO:?must be set}"), "foo");
        assert_eq!(ok("${FOO?must be set}"), "foo");
        assert_eq!(ok("[${EMPTY?must be set}]"), "[]");
    }

    #[test]
    fn a_missing_required_variable_reports_its_error_text() {
        let error = err("image: ${ID:?ID variable must be set}");
        assert_eq!(
            error.message,
            "required variable ID is missing a value: ID variable must be set"
        );
        assert_eq!(error.offset, 7);
        assert_eq!(
            error.kind,
            InterpolationErrorKind::MissingRequired {
                variable: "ID".to_owned()
            }
        );
        assert_eq!(
            err("${ID?gone}").message,
            "required variable ID is missing a value: gone"
        );
    }

    #[test]
    fn an_empty_value_fails_only_the_colon_question_form() {
        assert_eq!(
            err("${EMPTY:?no empty}").message,
            "required variable EMPTY is missing a value: no empty"
        );
        assert_eq!(ok("${EMPTY?no empty}"), "");
    }

    #[test]
    fn a_required_error_without_text_has_a_short_message() {
        assert_eq!(
            err("${ID:?}").message,
            "required variable ID is missing a value"
        );
        assert_eq!(
            err("${ID?}").message,
            "required variable ID is missing a value"
        );
    }

    #[test]
    fn a_required_error_text_is_itself_interpolated() {
        assert_eq!(
            err("${ID:?set it, ${FOO}}").message,
            "required variable ID is missing a value: set it, foo"
        );
    }

    #[test]
    fn a_required_error_inside_a_default_points_at_the_inner_expression() {
        let error = err("${MISSING:-x${INNER:?inner}}");
        assert_eq!(
            error.message,
            "required variable INNER is missing a value: inner"
        );
        assert_eq!(error.offset, 12);
    }

    #[test]
    fn an_unterminated_brace_is_a_syntax_error() {
        for (input, offset) in [
            ("${FOO", 0),
            ("abc ${", 4),
            ("${FOO:-x", 0),
            ("${FOO:", 0),
            ("${FOO:-${BAR}", 0),
            ("${FOO:-{}", 0),
            ("${A:-${B:-x}", 0),
        ] {
            let error = err(input);
            assert_eq!(error.kind, InterpolationErrorKind::Syntax, "{input}");
            assert_eq!(error.offset, offset, "{input}");
            assert!(
                error.message.contains("is never closed"),
                "{}",
                error.message
            );
        }
    }

    #[test]
    fn a_syntax_error_quotes_the_whole_input() {
        assert_eq!(
            err("x ${FOO").message,
            r#"invalid interpolation format for "x ${FOO": "${" at byte 2 is never closed with "}"; a literal "$" is written "$$""#
        );
    }

    #[test]
    fn an_empty_name_is_a_syntax_error() {
        let error = err("a${}");
        assert_eq!(error.offset, 1);
        assert!(
            error.message.contains("has no variable name"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_name_starting_with_a_digit_or_symbol_is_a_syntax_error() {
        let error = err("${1FOO}");
        assert_eq!(error.offset, 2);
        assert!(
            error.message.contains(r#"starts with "1""#),
            "{}",
            error.message
        );
        assert_eq!(err("${:-x}").offset, 2);
        assert_eq!(err("${ FOO}").offset, 2);
        assert!(err("${éa}").message.contains(r#"starts with "é""#));
    }

    #[test]
    fn an_unknown_operator_is_a_syntax_error() {
        let error = err("${VAR:x}");
        assert_eq!(error.offset, 5);
        assert!(
            error.message.contains(r#"unknown operator ":x""#),
            "{}",
            error.message
        );
        assert!(err("${VAR:=x}").message.contains(r#"":=""#));
    }

    #[test]
    fn an_unexpected_character_after_a_name_is_a_syntax_error() {
        for (input, found, offset) in [
            ("${VAR/x}", "/", 5),
            ("${VA R}", " ", 4),
            ("${VAR.x}", ".", 5),
            ("${VAR=x}", "=", 5),
            ("${VARé}", "é", 5),
        ] {
            let error = err(input);
            assert_eq!(error.offset, offset, "{input}");
            assert!(
                error.message.contains(&format!(r#"unexpected "{found}""#)),
                "{}",
                error.message
            );
        }
    }

    #[test]
    fn a_syntax_error_in_an_unused_default_is_still_reported() {
        assert_eq!(err("${FOO:-${}}").kind, InterpolationErrorKind::Syntax);
    }

    #[test]
    fn the_lookup_sees_each_name_exactly_as_written() {
        let seen = std::cell::RefCell::new(Vec::new());
        let lookup = |name: &str| {
            seen.borrow_mut().push(name.to_owned());
            None
        };
        interpolate("$a ${B_1:-$c} ${d}", &lookup).expect("valid input");
        assert_eq!(seen.into_inner(), ["a", "B_1", "c", "d"]);
    }

    #[test]
    fn variables_lists_each_referenced_name_once_in_order() {
        assert_eq!(
            variables("${A} $B ${C:-${D:-$E}} ${A} $$F ${G:?${H}} $1"),
            ["A", "B", "C", "D", "E", "G", "H"]
        );
        assert!(variables("no refs {here}").is_empty());
        assert!(variables("$$ONLY_ESCAPED").is_empty());
    }

    #[test]
    fn variables_returns_what_it_found_before_a_syntax_error() {
        assert_eq!(variables("$A ${B:-x} ${C"), ["A", "B", "C"]);
        assert_eq!(variables("$A ${} $B"), ["A"]);
    }

    #[test]
    fn compose_fixture_expressions_interpolate_as_upstream() {
        let lookup = env(&[("TAG_IMAGE", "app"), ("PORT", "8080")]);
        let cases = [
            ("${TAG_IMAGE}-other:v1.0.0", "app-other:v1.0.0"),
            ("${PORT}:80", "8080:80"),
            ("${PUBLIC_PORT:-3000}:80", "3000:80"),
            ("${SOURCE:-/dev/null}:/tmp/foo:ro", "/dev/null:/tmp/foo:ro"),
            (
                "${COMPOSE_FILE:-development/compose.yaml}",
                "development/compose.yaml",
            ),
            (
                "echo $$TEST ${TAG_IMAGE} >> /shared/versions",
                "echo $TEST app >> /shared/versions",
            ),
            ("$${bar}", "${bar}"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                interpolate(input, &lookup).expect("fixture expression"),
                expected
            );
        }
    }

    #[test]
    fn every_variable_in_the_using_variables_fixture_is_found() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/corpora/compose-go/schema/using-variables.yaml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipping: {} is not available", path.display());
            return;
        };
        assert_eq!(variables(&text), ["VARIABLE"]);
        let lookup = |name: &str| (name == "VARIABLE").then(|| "v".to_owned());
        let out = interpolate(&text, &lookup).expect("the fixture interpolates");
        assert!(!out.contains('$'));
        assert!(out.contains("- v:v"));
    }
}
