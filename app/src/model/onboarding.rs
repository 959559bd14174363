//! The first-run checklist on the dashboard.

use serde::{Deserialize, Serialize};

/// One step of getting started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Have a workspace to work in.
    CreateWorkspace,
    /// Have someone else in a workspace, or an invitation out.
    InviteSomeone,
    /// Have a stack (an installed app is one too).
    FirstStack,
    /// Tell Orbitr the address people reach it at.
    PublicUrl,
}

impl Step {
    /// What the step asks.
    pub fn title(self) -> &'static str {
        match self {
            Self::CreateWorkspace => "Create a workspace",
            Self::InviteSomeone => "Invite someone to your workspace",
            Self::FirstStack => "Install an app or create a stack",
            Self::PublicUrl => "Set the public URL",
        }
    }

    /// Why it matters, in a line.
    pub fn why(self) -> &'static str {
        match self {
            Self::CreateWorkspace => "Stacks, containers and volumes belong to a workspace.",
            Self::InviteSomeone => "Share the work: members get a role in the workspace.",
            Self::FirstStack => "Pick an app from the marketplace, or write a Compose file.",
            Self::PublicUrl => {
                "Where people reach Orbitr: sign-in providers send people back to it, and https \
                 makes sign-in cookies Secure."
            }
        }
    }
}

/// A step with whether it is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub step: Step,
    pub done: bool,
    /// Where the step is done, with the button's words (none: done outside the browser).
    pub links: Vec<(String, String)>,
}

/// The caller's checklist: the steps they can take, hidden once all are done or it was
/// dismissed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Checklist {
    pub items: Vec<Item>,
    pub dismissed: bool,
}

impl Checklist {
    /// Whether the dashboard shows it.
    pub fn shown(&self) -> bool {
        !self.dismissed && self.items.iter().any(|i| !i.done)
    }
}
