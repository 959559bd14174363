//! The `orbitr` server: command line, settings, telemetry, HTTP surface.

pub mod access;
pub mod api_error;
pub mod cli;
pub mod commands;
pub mod ext_deploy;
pub mod gate;
pub mod http;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod telemetry;
