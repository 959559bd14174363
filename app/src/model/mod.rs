//! Wire types that pages, server functions and operations share: compiled for the browser too,
//! and importing nothing of the server's (so operations can use them without a circle).

pub mod accounts;
pub mod audit;
pub mod oauth;
pub mod onboarding;
pub mod palette;
pub mod workspaces;
