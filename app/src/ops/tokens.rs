//! One's own API tokens. Tokens cannot manage tokens: these need a browser session.

use super::Op;
use crate::access::Need;

/// One's own API tokens.
pub static LIST: Op = Op {
    name: "token.list",
    need: Need::Session,
};
/// Creating an API token (its secret is shown once).
pub static CREATE: Op = Op {
    name: "token.create",
    need: Need::Session,
};
/// Revoking one of one's own API tokens.
pub static REVOKE: Op = Op {
    name: "token.revoke",
    need: Need::Session,
};
