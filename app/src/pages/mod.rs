//! One module per page.

pub mod audit;
pub mod containers;
pub mod dashboard;
pub mod invite;
pub mod login;
pub mod marketplace;
pub mod not_found;
pub mod objects;
pub mod policy;
pub mod profile;
pub mod registries;
pub mod settings;
pub mod setup;
pub mod signin_refused;
pub mod stack_files;
pub mod stacks;
pub mod users;
pub mod workspaces;
