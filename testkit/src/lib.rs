//! Test harness shared by Orbitr's tests and benchmarks.
//!
//! - [`docker`]: a per-test run label, a fixture image built from scratch with Debian's
//!   busybox-static, and removal of everything carrying the label, even when the test panics.
//! - [`extensions`]: a fixture catalog of test extensions on the fixture image.
//! - [`postgres`]: a fresh PostgreSQL database per test when `TEST_POSTGRES_URL` is set.
//! - [`oidc`]: a real OpenID Connect provider (PyPI `oidc-provider-mock`) on a free port.
//! - [`proxy`]: a socket proxy in front of the engine that tests cut and restore.
//! - [`registry`]: a real local image registry with basic-auth users.
//! - [`smtp`]: a real SMTP server (PyPI `aiosmtpd`) writing each message to a Maildir.
//! - [`tool`]: what starting such a test server takes (its executable, a port, its process).

pub mod docker;
pub mod extensions;
pub mod oidc;
pub mod postgres;
pub mod proxy;
pub mod registry;
pub mod smtp;
pub mod tool;
