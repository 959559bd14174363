//! Server functions, grouped by resource. Each is a thin adapter onto an engine call.

pub mod audit;
pub mod auth;
pub mod codec;
pub mod containers;
pub mod marketplace;
pub mod oauth;
pub mod objects;
pub mod registries;
pub mod sessions;
pub mod stacks;
pub mod system;
pub mod tokens;
pub mod users;
pub mod workspaces;
