//! Sign-in through OAuth 2 / OpenID Connect providers, and one's links to them. Starting and
//! finishing a provider sign-in is open to anyone; a link to an account needs that account's
//! session, which the flow checks itself.

use super::Op;
use crate::access::Need;

/// The sign-in providers offered on the sign-in page.
pub static PROVIDERS: Op = Op {
    name: "oauth.providers",
    need: Need::Anyone,
};
/// Starting a provider sign-in (or a link to the signed-in account).
pub static START: Op = Op {
    name: "oauth.start",
    need: Need::Anyone,
};
/// Finishing a provider sign-in.
pub static CALLBACK: Op = Op {
    name: "oauth.callback",
    need: Need::Anyone,
};
/// One's own sign-in methods.
pub static METHODS: Op = Op {
    name: "oauth.methods",
    need: Need::Session,
};
/// Unlinking a provider from one's own account.
pub static UNLINK: Op = Op {
    name: "oauth.unlink",
    need: Need::Session,
};
