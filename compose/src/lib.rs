//! Orbitr's Compose model: pure logic with no I/O, shared by the server and the browser.

pub mod diag;
pub mod docker_run;
pub mod dotenv;
pub mod fields;
pub mod interpolate;
pub mod load;
pub mod model;
pub mod plan;
pub mod policy;
pub mod project;
pub mod schema;
pub mod units;
pub mod yaml;

pub use project::{ProjectName, ProjectNameError};
