//! Who may do what, where: workspaces and memberships, the casbin roles, each workspace's
//! security policy, isolation where Docker objects meet, and adopting unmanaged objects.

pub mod access;
pub mod adoptions;
pub mod isolation;
pub mod policies;
pub mod workspaces;
