//! Accounts: first-run setup, signing in and out, who is signed in, changing one's password.

use super::Op;
use crate::access::Need;

/// First-run setup: the first account, a platform admin.
pub static SETUP: Op = Op {
    name: "account.setup",
    need: Need::Anyone,
};
/// Signing in with email and password.
pub static LOGIN: Op = Op {
    name: "account.login",
    need: Need::Anyone,
};
/// Signing out of this session.
pub static LOGOUT: Op = Op {
    name: "account.logout",
    need: Need::SignedIn,
};
/// Who is signed in, if anyone (pages ask before they render).
pub static WHO: Op = Op {
    name: "account.who",
    need: Need::Anyone,
};
/// The signed-in account.
pub static ME: Op = Op {
    name: "account.me",
    need: Need::SignedIn,
};
/// Changing one's own password (ends every other session).
pub static CHANGE_PASSWORD: Op = Op {
    name: "account.change_password",
    need: Need::Session,
};
