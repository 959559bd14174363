//! Types the browser compiles too: Docker objects as Orbitr shows them, what the live feeds
//! carry, and what Orbitr reports about itself and the engine.

pub mod feeds;
pub mod ids;
pub mod providers;
pub mod resources;
pub mod settings;
pub mod system;
mod tagged;
