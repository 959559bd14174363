//! Account administration (platform admins) and password-reset links.

use super::Op;
use crate::access::Need;

/// Every account.
pub static LIST: Op = Op {
    name: "user.list",
    need: Need::Platform("user", "read"),
};
/// Making an account a platform admin, or not.
pub static SET_ADMIN: Op = Op {
    name: "user.set_admin",
    need: Need::Platform("user", "manage"),
};
/// Deleting an account.
pub static DELETE: Op = Op {
    name: "user.delete",
    need: Need::Platform("user", "manage"),
};
/// A password-reset link for an account.
pub static CREATE_RESET: Op = Op {
    name: "user.create_reset",
    need: Need::Platform("user", "manage"),
};
/// Whether a password-reset link is still good.
pub static CHECK_RESET: Op = Op {
    name: "user.check_reset",
    need: Need::Anyone,
};
/// Setting a new password through a reset link.
pub static COMPLETE_RESET: Op = Op {
    name: "user.complete_reset",
    need: Need::Anyone,
};

/// Who the people and workspaces named by audit actors and ids are, read once each: lists show
/// a person's name and a workspace's name, never the ids the records hold.
#[derive(Default)]
pub struct Names {
    users: std::collections::HashMap<String, Option<engine::accounts::User>>,
    workspaces: std::collections::HashMap<String, Option<String>>,
}

impl Names {
    /// The user an actor (`user:<id>`, `user:<id> token:<id>`, `user:<id> (…)`) is, if it is one
    /// who still exists.
    pub async fn person(
        &mut self,
        state: &crate::state::AppState,
        actor: &str,
    ) -> Option<engine::accounts::User> {
        let id = actor
            .strip_prefix("user:")?
            .split(' ')
            .next()
            .filter(|id| !id.is_empty())?;
        if !self.users.contains_key(id) {
            let user = state.accounts.get(id).await.ok().flatten();
            self.users.insert(id.to_owned(), user);
        }
        self.users.get(id).cloned().flatten()
    }

    /// A workspace's name, if it still exists.
    pub async fn workspace(&mut self, state: &crate::state::AppState, id: &str) -> Option<String> {
        if !self.workspaces.contains_key(id) {
            let name = state
                .workspaces
                .get(id)
                .await
                .ok()
                .flatten()
                .map(|w| w.name);
            self.workspaces.insert(id.to_owned(), name);
        }
        self.workspaces.get(id).cloned().flatten()
    }
}
