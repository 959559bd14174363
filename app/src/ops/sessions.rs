//! Where one is signed in, and ending those sign-ins.

use super::Op;
use crate::access::Need;

/// Where one is signed in.
pub static LIST: Op = Op {
    name: "session.list",
    need: Need::Session,
};
/// Ending one of one's own sign-ins.
pub static REVOKE: Op = Op {
    name: "session.revoke",
    need: Need::Session,
};
/// Ending every other sign-in of one's own.
pub static SIGN_OUT_EVERYWHERE: Op = Op {
    name: "session.sign_out_everywhere",
    need: Need::Session,
};
