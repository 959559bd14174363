//! Orbitr's and the engine's status.

use super::Op;
use crate::access::Need;

/// Orbitr's and the engine's facts, scoped to what the caller sees.
pub static INFO: Op = Op {
    name: "system.info",
    need: Need::SignedIn,
};
/// Whether the engine is reachable.
pub static ENGINE_STATUS: Op = Op {
    name: "system.engine_status",
    need: Need::SignedIn,
};
