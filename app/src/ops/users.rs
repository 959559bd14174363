//! Account administration (platform admins) and password-reset links.

use super::Op;
use crate::access::Need;

/// Every account.
pub static LIST: Op = Op {
    name: "user.list",
    need: Need::Platform("user", "read"),
};
/// Making an account a platform admin, or not.
pub static SET_ADMIN: Op = Op {
    name: "user.set_admin",
    need: Need::Platform("user", "manage"),
};
/// Deleting an account.
pub static DELETE: Op = Op {
    name: "user.delete",
    need: Need::Platform("user", "manage"),
};
/// A password-reset link for an account.
pub static CREATE_RESET: Op = Op {
    name: "user.create_reset",
    need: Need::Platform("user", "manage"),
};
/// Whether a password-reset link is still good.
pub static CHECK_RESET: Op = Op {
    name: "user.check_reset",
    need: Need::Anyone,
};
/// Setting a new password through a reset link.
pub static COMPLETE_RESET: Op = Op {
    name: "user.complete_reset",
    need: Need::Anyone,
};
