//! HTTP tests of the server, each against its own server on port 0 with its own data dir
//! (and its own PostgreSQL database when `TEST_POSTGRES_URL` is set).

mod helpers;

mod access;
mod assets;
mod audit;
mod auth;
mod containers;
mod engine_faults;
mod extensions;
mod feeds;
mod fuzz;
mod health;
mod isolation;
mod marketplace;
mod oauth;
mod objects;
mod pages;
mod palette;
mod refusals;
mod sessions;
mod settings;
mod sockets;
mod stacks;
mod system;
mod tokens;
mod users;
mod workspaces;
