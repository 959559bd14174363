//! Who is asking: accounts and their passwords, platform admins, sign-ins (and the session
//! store behind them), API tokens, OAuth/OIDC providers and the links to them, the limits on
//! failed sign-ins, and the one-time secrets handed to people.

pub mod accounts;
pub mod admin;
pub mod identities;
pub mod limiter;
pub mod oauth;
pub mod secrets;
pub mod session_store;
pub mod signins;
pub mod tokens;
