//! The live websockets: the list is filtered, and each container is checked in its workspace once
//! subscribed.

use super::Op;
use crate::access::Need;

/// The live-updates websocket (filtered to what the caller sees).
pub static EVENTS: Op = Op {
    name: "feed.events",
    need: Need::SignedIn,
};
/// The live logs websocket (each container checked once subscribed).
pub static LOGS: Op = Op {
    name: "feed.logs",
    need: Need::SignedIn,
};
/// The live usage websocket (each container checked once subscribed).
pub static STATS: Op = Op {
    name: "feed.stats",
    need: Need::SignedIn,
};
