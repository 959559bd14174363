//! Sign-in providers as pages show them, and why a provider sign-in was refused.

use serde::{Deserialize, Serialize};

/// A provider as the sign-in page offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderButton {
    pub name: String,
    pub label: String,
}

/// One provider on the profile, linked or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderLink {
    pub name: String,
    pub label: String,
    /// Whether the provider is still configured (a removed one can only be unlinked).
    pub configured: bool,
    pub linked: Option<LinkedAccount>,
}

/// The provider account linked to the user's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedAccount {
    pub email: Option<String>,
    pub linked_at: i64,
    pub last_used_at: Option<i64>,
}

/// How the signed-in user can sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInMethods {
    pub has_password: bool,
    pub providers: Vec<ProviderLink>,
}

/// Why a provider sign-in ended on the refusal page (`/signin/refused?why=<code>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    NotAllowed,
    LinkFirst,
    EmailUnverified,
    Expired,
    Denied,
    ProviderFailed,
    Taken,
    AlreadyLinked,
    Invitation,
    InvitationEmail,
    SignInFirst,
    UnknownProvider,
    Unavailable,
    Internal,
}

impl Refusal {
    const ALL: [Self; 14] = [
        Self::NotAllowed,
        Self::LinkFirst,
        Self::EmailUnverified,
        Self::Expired,
        Self::Denied,
        Self::ProviderFailed,
        Self::Taken,
        Self::AlreadyLinked,
        Self::Invitation,
        Self::InvitationEmail,
        Self::SignInFirst,
        Self::UnknownProvider,
        Self::Unavailable,
        Self::Internal,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::NotAllowed => "not_allowed",
            Self::LinkFirst => "link_first",
            Self::EmailUnverified => "email_unverified",
            Self::Expired => "expired",
            Self::Denied => "denied",
            Self::ProviderFailed => "provider_failed",
            Self::Taken => "taken",
            Self::AlreadyLinked => "already_linked",
            Self::Invitation => "invitation",
            Self::InvitationEmail => "invitation_email",
            Self::SignInFirst => "sign_in_first",
            Self::UnknownProvider => "unknown_provider",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// What the refusal page says.
    pub fn message(self) -> &'static str {
        match self {
            Self::NotAllowed => {
                "There is no Orbitr account for this sign-in, and this provider does not let new people in by themselves. Ask a workspace owner or an admin for an invitation link, then use it to join."
            }
            Self::LinkFirst => {
                "An Orbitr account with this email already exists. Sign in with its password, then link this provider on your profile page."
            }
            Self::EmailUnverified => {
                "The provider did not confirm that this email address is yours, so no account can be made from it. Verify the address with the provider and try again."
            }
            Self::Expired => {
                "This sign-in was not started here, was already used, or took longer than 10 minutes. Start again from the sign-in page."
            }
            Self::Denied => "The sign-in was cancelled at the provider. Nothing was changed.",
            Self::ProviderFailed => {
                "The provider could not complete the sign-in. Try again; if it keeps failing, an admin will find the reason in the audit log."
            }
            Self::Taken => {
                "This provider account is already linked to another Orbitr account. Unlink it there first."
            }
            Self::AlreadyLinked => {
                "Your account is already linked to another account at this provider. Unlink it on your profile first."
            }
            Self::Invitation => {
                "The invitation cannot be used: it was used already, withdrawn, expired or is unknown. Ask for a new one."
            }
            Self::InvitationEmail => {
                "The invitation was made for another email address than the one this provider gave."
            }
            Self::SignInFirst => "Sign in first, then link the provider from your profile.",
            Self::UnknownProvider => "This sign-in provider is not configured.",
            Self::Unavailable => {
                "Orbitr's database is unavailable right now; nothing was changed. Try again in a moment."
            }
            Self::Internal => {
                "Something failed on Orbitr's side; nothing was changed. The server log has the details."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Refusal;

    #[test]
    fn every_refusal_code_reads_back_and_says_something() {
        for why in Refusal::ALL {
            assert_eq!(Refusal::parse(why.code()), Some(why));
            assert!(why.message().ends_with('.'), "{why:?}");
        }
        assert_eq!(Refusal::parse("<script>"), None);
    }
}
