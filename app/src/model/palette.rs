//! The command palette's index (the things a person may jump to and act on) and how typed text
//! ranks them.

use serde::{Deserialize, Serialize};

/// What kind of thing an [`Entry`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Stack,
    Container,
    App,
    Workspace,
    Image,
}

impl Kind {
    /// The word shown beside an entry.
    pub fn label(self) -> &'static str {
        match self {
            Self::Stack => "Stack",
            Self::Container => "Container",
            Self::App => "App",
            Self::Workspace => "Workspace",
            Self::Image => "Image",
        }
    }
}

/// An action the palette offers on an entry, only when the caller may take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Deploy a stack's latest revision.
    Deploy,
    /// Restart a container.
    Restart,
    /// Open a container's logs.
    Logs,
    /// Make a workspace the one the pages work in.
    Switch,
}

/// One thing of the caller's that the palette can jump to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub kind: Kind,
    /// The id the actions take (stack id, container id, workspace id…).
    pub key: String,
    /// What a person types to find it (a name, a tag).
    pub name: String,
    /// A second line: the workspace, the image, the state.
    pub detail: String,
    /// Where it lives.
    pub href: String,
    pub actions: Vec<Action>,
}

/// How well `query` matches `text`, case-insensitively: `None` when its characters do not all
/// appear in order. Higher is better: a prefix beats a word start, a word start beats a run
/// inside a word, and scattered letters score least.
pub fn score(query: &str, text: &str) -> Option<u32> {
    let query = query.trim().to_lowercase();
    if query.is_empty() {
        return Some(0);
    }
    let text = text.to_lowercase();
    if text.starts_with(&query) {
        return Some(1000 - text.len().min(500) as u32);
    }
    if let Some(at) = text.find(&query) {
        let word_start = text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| !c.is_alphanumeric());
        let base = if word_start { 800 } else { 600 };
        return Some(base - text.len().min(500) as u32 / 2);
    }
    // Every character of the query, in order; fewer gaps score higher.
    let mut chars = text.chars().enumerate();
    let mut last = None;
    let mut gaps = 0_u32;
    for wanted in query.chars().filter(|c| !c.is_whitespace()) {
        let (at, _) = chars.find(|(_, c)| *c == wanted)?;
        if let Some(last) = last {
            gaps += (at - last - 1) as u32;
        }
        last = Some(at);
    }
    Some(400_u32.saturating_sub(gaps * 10).max(1))
}

#[cfg(test)]
mod tests {
    use super::score;

    #[test]
    fn a_prefix_ranks_above_a_word_inside_above_scattered_letters() {
        let prefix = score("web", "web-frontend").expect("matches");
        let word = score("web", "demo-web").expect("matches");
        let inside = score("web", "cobweb").expect("matches");
        let scattered = score("wbd", "web-frontend").expect("matches");
        assert!(prefix > word, "{prefix} {word}");
        assert!(word > inside, "{word} {inside}");
        assert!(inside > scattered, "{inside} {scattered}");
    }

    #[test]
    fn letters_out_of_order_do_not_match_and_case_does_not_matter() {
        assert_eq!(score("bew", "web"), None);
        assert_eq!(score("xyz", "web"), None);
        assert!(score("WEB", "my-Web-app").is_some());
        assert_eq!(score("  ", "anything"), Some(0));
    }

    #[test]
    fn a_shorter_name_with_the_same_prefix_ranks_first() {
        assert!(
            score("db", "db").expect("matches")
                > score("db", "db-backup-nightly").expect("matches")
        );
    }
}
