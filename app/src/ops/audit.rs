//! The audit log: the whole log for platform admins, a workspace's for those who may read it.

use super::Op;
use crate::access::Need;

/// The whole audit log, filtered and paged.
pub static LIST: Op = Op {
    name: "audit.list",
    need: Need::Platform("audit", "read"),
};
/// The whole audit log, exported.
pub static EXPORT: Op = Op {
    name: "audit.export",
    need: Need::Platform("audit", "read"),
};
/// A workspace's audit log, filtered and paged.
pub static LIST_WORKSPACE: Op = Op {
    name: "audit.list_workspace",
    need: Need::Workspace("audit", "read"),
};
/// A workspace's audit log, exported.
pub static EXPORT_WORKSPACE: Op = Op {
    name: "audit.export_workspace",
    need: Need::Workspace("audit", "read"),
};
