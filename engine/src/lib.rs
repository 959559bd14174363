//! Orbitr's server-side domain services, in wings named like the README's words. Without the
//! `runtime` feature only the plain data types compile ([`model`] and the extension format), so
//! the browser build can share them.
//!
//! - [`identity`]: accounts, sign-ins and their store, API tokens, OAuth/OIDC providers.
//! - [`tenancy`]: workspaces, roles (casbin), security policies, isolation, adoptions.
//! - [`docker`]: the engine client and its live state, containers, images, networks, volumes,
//!   logs, usage, registries.
//! - [`stacks`]: Compose stacks, their revisions and deploys.
//! - [`marketplace`] and [`extensions`]: sources, catalog, installs, reviews; the extension format.
//! - [`model`]: types the browser compiles too.
//! - [`db`], [`vault`], [`audit`], [`clock`], [`private`]: what every wing uses;
//!   [`settings`] keeps the platform settings changed from the browser; [`services`] builds
//!   every service.

pub mod extensions;
pub mod model;

#[cfg(feature = "runtime")]
pub mod audit;
#[cfg(feature = "runtime")]
pub mod clock;
#[cfg(feature = "runtime")]
pub mod db;
#[cfg(feature = "runtime")]
pub mod docker;
#[cfg(feature = "runtime")]
pub mod identity;
#[cfg(feature = "runtime")]
pub mod mail;
#[cfg(feature = "runtime")]
pub mod marketplace;
#[cfg(feature = "runtime")]
pub mod private;
#[cfg(feature = "runtime")]
pub mod services;
#[cfg(feature = "runtime")]
pub mod settings;
#[cfg(feature = "runtime")]
pub mod stacks;
#[cfg(feature = "runtime")]
pub mod tenancy;
#[cfg(feature = "runtime")]
pub mod vault;
