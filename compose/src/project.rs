//! Compose project names: the name every stack is deployed under (`com.docker.compose.project`).

use std::fmt;

/// Why a string is not a valid Compose project name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectNameError {
    #[error("a project name cannot be empty")]
    Empty,
    #[error("a project name is at most {max} characters, this one has {len}")]
    TooLong { len: usize, max: usize },
    #[error("a project name must start with a lowercase letter or digit, not {found:?}")]
    BadStart { found: char },
    #[error(
        "a project name may only contain lowercase letters, digits, '-' and '_'; {found:?} at position {position} is not allowed"
    )]
    BadChar { found: char, position: usize },
}

/// A project name as the Compose CLI accepts it: `^[a-z0-9][a-z0-9_-]*$`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ProjectName(String);

impl ProjectName {
    /// Longest name we accept: container names are built from it and Docker limits those.
    pub const MAX_LEN: usize = 63;

    /// Accepts `raw` only when it is already a valid project name.
    pub fn parse(raw: &str) -> Result<Self, ProjectNameError> {
        let mut chars = raw.chars();
        let first = chars.next().ok_or(ProjectNameError::Empty)?;
        let len = raw.chars().count();
        if len > Self::MAX_LEN {
            return Err(ProjectNameError::TooLong {
                len,
                max: Self::MAX_LEN,
            });
        }
        if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
            return Err(ProjectNameError::BadStart { found: first });
        }
        if let Some((position, found)) = raw.chars().enumerate().skip(1).find(|(_, c)| {
            !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
        }) {
            return Err(ProjectNameError::BadChar { found, position });
        }
        Ok(Self(raw.to_owned()))
    }

    /// Derives a valid name from free text (a folder or an app title), the way the Compose CLI
    /// normalizes a directory name: lowercase, drop what is not allowed, trim leading separators.
    pub fn normalize(raw: &str) -> Result<Self, ProjectNameError> {
        let cleaned: String = raw
            .chars()
            .flat_map(char::to_lowercase)
            .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_')
            .collect();
        let trimmed = cleaned.trim_start_matches(['-', '_']);
        let truncated: String = trimmed.chars().take(Self::MAX_LEN).collect();
        Self::parse(&truncated)
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ProjectName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names_are_accepted_unchanged() {
        for name in ["web", "my-app_2", "0day", "a"] {
            assert_eq!(
                ProjectName::parse(name).map(|n| n.to_string()),
                Ok(name.to_owned())
            );
        }
    }

    #[test]
    fn an_empty_name_is_refused() {
        assert_eq!(ProjectName::parse(""), Err(ProjectNameError::Empty));
    }

    #[test]
    fn uppercase_and_dots_are_refused_with_their_position() {
        assert_eq!(
            ProjectName::parse("myApp"),
            Err(ProjectNameError::BadChar {
                found: 'A',
                position: 2
            })
        );
        assert_eq!(
            ProjectName::parse("my.app"),
            Err(ProjectNameError::BadChar {
                found: '.',
                position: 2
            })
        );
    }

    #[test]
    fn a_leading_separator_is_refused() {
        assert_eq!(
            ProjectName::parse("-web"),
            Err(ProjectNameError::BadStart { found: '-' })
        );
    }

    #[test]
    fn a_name_over_the_limit_is_refused() {
        let long = "a".repeat(64);
        assert_eq!(
            ProjectName::parse(&long),
            Err(ProjectNameError::TooLong { len: 64, max: 63 })
        );
    }

    #[test]
    fn normalize_follows_the_compose_cli() {
        assert_eq!(
            ProjectName::normalize("My App.v2").map(|n| n.to_string()),
            Ok("myappv2".into())
        );
        assert_eq!(
            ProjectName::normalize("__Nextcloud").map(|n| n.to_string()),
            Ok("nextcloud".into())
        );
        assert_eq!(ProjectName::normalize("!!!"), Err(ProjectNameError::Empty));
    }
}
