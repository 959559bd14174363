//! Orbitr's Compose model: pure logic with no I/O, shared by the server and the browser.

pub mod policy;
pub mod project;

pub use project::{ProjectName, ProjectNameError};
