//! Turns a pasted `docker run …` command into a Compose file, for the Compose editor's
//! "paste a docker run command" helper (the idea composerize made popular).
//!
//! The command is split into words the way a POSIX shell would, its options are mapped one by
//! one onto Compose keys, and the result is written as YAML by a small emitter here: the output
//! is a few dozen lines of a known shape, and quoting every risky scalar ourselves keeps the
//! result predictable on the server and in the browser alike.

mod builder;
mod emit;
mod options;
mod shell;
#[cfg(test)]
mod tests;

use builder::*;
use emit::*;
use options::*;
use shell::*;

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
