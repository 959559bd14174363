//! Shell words

use super::*;

/// One shell word. `text` is ready for Compose: a `$` the shell would have kept literally (single
/// quotes, `\$`) is doubled so Compose does not interpolate it, while `$VAR` stays a variable —
/// Compose fills it from the environment or `.env`, as the shell would have. `shown` is the word
/// as the shell would pass it, for messages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Word {
    pub(super) text: String,
    pub(super) shown: String,
    pub(super) position: usize,
    pub(super) variables: bool,
    pub(super) substitution: bool,
    pub(super) pwd: bool,
}

impl Word {
    pub(super) fn push(&mut self, c: char) {
        self.text.push(c);
        self.shown.push(c);
    }

    pub(super) fn push_literal_dollar(&mut self) {
        self.text.push_str("$$");
        self.shown.push('$');
    }
}

/// Splits `input` into commands (separated by newlines, `;`, `&&`, `||`, `|`, `&`) of words.
pub(super) fn tokenize(input: &str) -> Result<Vec<Vec<Word>>, RunError> {
    let mut lexer = Lexer {
        chars: input.chars().collect(),
        ..Lexer::default()
    };
    lexer.run()?;
    Ok(lexer.commands)
}

#[derive(Default)]
pub(super) struct Lexer {
    pub(super) chars: Vec<char>,
    pub(super) i: usize,
    pub(super) commands: Vec<Vec<Word>>,
    pub(super) current: Vec<Word>,
    pub(super) word: Option<Word>,
    pub(super) word_start: usize,
    pub(super) next_position: usize,
}

impl Lexer {
    pub(super) fn peek(&self, offset: usize) -> Option<char> {
        self.chars.get(self.i + offset).copied()
    }

    pub(super) fn starts_with(&self, offset: usize, pattern: &str) -> bool {
        pattern
            .chars()
            .enumerate()
            .all(|(k, c)| self.peek(offset + k) == Some(c))
    }

    pub(super) fn word(&mut self) -> &mut Word {
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

    pub(super) fn finish_word(&mut self) {
        if let Some(word) = self.word.take() {
            self.current.push(word);
        }
    }

    pub(super) fn finish_command(&mut self) {
        self.finish_word();
        if !self.current.is_empty() {
            self.commands.push(std::mem::take(&mut self.current));
        }
    }

    /// The unterminated word as typed, shortened: enough to find it in a long paste.
    pub(super) fn unterminated(&self, quote: &'static str) -> RunError {
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

    pub(super) fn run(&mut self) -> Result<(), RunError> {
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
    pub(super) fn continuation(&self) -> Option<(usize, bool)> {
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

    pub(super) fn backslash(&mut self) {
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

    pub(super) fn single_quoted(&mut self) -> Result<(), RunError> {
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

    pub(super) fn double_quoted(&mut self) -> Result<(), RunError> {
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
    pub(super) fn dollar(&mut self) {
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

    pub(super) fn backtick(&mut self) {
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
    pub(super) fn matching_paren(&self, start: usize) -> usize {
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
    pub(super) fn push_substitution(&mut self, end: usize) {
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

    pub(super) fn replace_with_dot(&mut self, typed: &str) {
        let word = self.word();
        word.text.push('.');
        word.shown.push_str(typed);
        word.pwd = true;
        self.i += typed.chars().count();
    }
}

pub(super) fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

/// The `run` word and the arguments after it when `words` is a docker run command, tolerating a
/// `$` prompt and `sudo`.
pub(super) fn run_arguments(words: &[Word]) -> Result<(&Word, &[Word]), RunError> {
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

pub(super) fn skip_sudo_options(mut rest: &[Word]) -> &[Word] {
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

pub(super) fn is_engine(word: &Word) -> bool {
    let program = word.shown.rsplit('/').next().unwrap_or_default();
    matches!(program, "docker" | "podman")
}
