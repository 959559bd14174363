//! Orbitr's server-side domain services. Without the `runtime` feature only the plain data types
//! compile, so the browser build can share them.

pub mod resources;
pub mod system;

#[cfg(feature = "runtime")]
pub mod access;
#[cfg(feature = "runtime")]
pub mod accounts;
#[cfg(feature = "runtime")]
pub mod admin;
#[cfg(feature = "runtime")]
pub mod adoptions;
#[cfg(feature = "runtime")]
pub mod audit;
#[cfg(feature = "runtime")]
pub mod containers;
#[cfg(feature = "runtime")]
pub mod db;
#[cfg(feature = "runtime")]
pub mod docker;
#[cfg(feature = "runtime")]
pub mod identities;
#[cfg(feature = "runtime")]
pub mod limiter;
#[cfg(feature = "runtime")]
pub mod live;
#[cfg(feature = "runtime")]
pub mod oauth;
#[cfg(feature = "runtime")]
pub mod objects;
#[cfg(feature = "runtime")]
pub mod policies;
#[cfg(feature = "runtime")]
pub mod registries;
#[cfg(feature = "runtime")]
pub mod secrets;
#[cfg(feature = "runtime")]
pub mod sessions;
#[cfg(feature = "runtime")]
pub mod signins;
#[cfg(feature = "runtime")]
pub mod tokens;
#[cfg(feature = "runtime")]
pub mod vault;
#[cfg(feature = "runtime")]
pub mod workspaces;
