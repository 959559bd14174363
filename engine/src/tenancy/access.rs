//! Who may do what: a casbin enforcer (RBAC with domains) whose model and role → permission
//! policy are files in the repository (`engine/access/`), and whose role links come from
//! Orbitr's own tables (workspace memberships and the platform admin flag).
//!
//! Decisions are cached; every membership or admin change goes through [`Access::reload_user`],
//! which replaces that user's links and empties the cache.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;

use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};
use serde::{Deserialize, Serialize};

use crate::db::{Database, DbError};
use crate::on_pool;

/// The casbin model (request, policy, role and matcher definitions).
pub const MODEL: &str = include_str!("../../access/model.conf");
/// The role → permission policy.
pub const POLICY: &str = include_str!("../../access/policy.csv");

/// The domain of platform-wide objects (users, creating workspaces, security policies).
pub const PLATFORM: &str = "*";

/// Actions a read-scoped API token may perform.
pub const READING_ACTIONS: &[&str] = &["read", "logs"];

/// A role within one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Operator,
    Owner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Operator, Role::Viewer];

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "owner" => Some(Self::Owner),
            "operator" => Some(Self::Operator),
            "viewer" => Some(Self::Viewer),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Operator => "operator",
            Self::Viewer => "viewer",
        }
    }
}

/// The policy file as (role, object, action) triples, comments and blank lines skipped.
pub fn policy_rules() -> Vec<[String; 3]> {
    POLICY
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let parts: Vec<&str> = l.split(',').map(str::trim).collect();
            match parts.as_slice() {
                ["p", role, obj, act] => {
                    Some([(*role).to_owned(), (*obj).to_owned(), (*act).to_owned()])
                }
                _ => None,
            }
        })
        .collect()
}

/// What a role may do in its workspace, as `object:action` strings (the UI hides the rest).
pub fn role_permissions(role: &str) -> BTreeSet<String> {
    policy_rules()
        .into_iter()
        .filter(|[r, _, _]| r == role)
        .map(|[_, obj, act]| format!("{obj}:{act}"))
        .collect()
}

/// Errors of the access layer.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("access policy: {0}")]
    Policy(#[from] casbin::Error),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::query_error_is_db!(AccessError);

fn subject(user_id: &str) -> String {
    format!("user:{user_id}")
}

/// The enforcer with its decision cache.
pub struct Access {
    db: Database,
    enforcer: tokio::sync::RwLock<Enforcer>,
    cache: Mutex<HashMap<(String, String, String, String), bool>>,
    /// Users whose links are loaded; others (e.g. an admin made by `orbitr admin create` while
    /// the server runs) are loaded from the database at their first decision.
    known: Mutex<HashSet<String>>,
}

impl Access {
    /// Builds the enforcer from the model and policy files and loads every role link.
    pub async fn load(db: Database) -> Result<Self, AccessError> {
        let model = DefaultModel::from_str(MODEL).await?;
        let mut enforcer = Enforcer::new(model, MemoryAdapter::default()).await?;
        enforcer.enable_auto_save(false);
        let rules: Vec<Vec<String>> = policy_rules().into_iter().map(Vec::from).collect();
        enforcer.add_policies(rules).await?;
        let links = Self::links(&db, None).await?;
        let known = links
            .iter()
            .filter_map(|l| l[0].strip_prefix("user:").map(str::to_owned))
            .collect();
        if !links.is_empty() {
            enforcer.add_grouping_policies(links).await?;
        }
        Ok(Self {
            db,
            enforcer: tokio::sync::RwLock::new(enforcer),
            cache: Mutex::default(),
            known: Mutex::new(known),
        })
    }

    /// Role links from the database, for one user or everyone.
    async fn links(db: &Database, user_id: Option<&str>) -> Result<Vec<Vec<String>>, AccessError> {
        let members: Vec<(String, String, String)> = on_pool!(db, |pool| {
            sqlx::query_as(
                "SELECT user_id, role, workspace_id FROM memberships WHERE $1 IS NULL OR user_id = $1",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
        let admins: Vec<(String,)> = on_pool!(db, |pool| {
            sqlx::query_as("SELECT id FROM users WHERE is_admin AND ($1 IS NULL OR id = $1)")
                .bind(user_id)
                .fetch_all(pool)
                .await?
        });
        Ok(members
            .into_iter()
            .map(|(user, role, ws)| vec![subject(&user), role, ws])
            .chain(
                admins
                    .into_iter()
                    .map(|(user,)| vec![subject(&user), "admin".to_owned(), PLATFORM.to_owned()]),
            )
            .collect())
    }

    /// Replaces a user's role links with what the database says now. Call after every change
    /// to memberships or to the admin flag.
    pub async fn reload_user(&self, user_id: &str) -> Result<(), AccessError> {
        let links = Self::links(&self.db, Some(user_id)).await?;
        let mut enforcer = self.enforcer.write().await;
        enforcer
            .remove_filtered_grouping_policy(0, vec![subject(user_id)])
            .await?;
        if !links.is_empty() {
            enforcer.add_grouping_policies(links).await?;
        }
        if let Ok(mut known) = self.known.lock() {
            known.insert(user_id.to_owned());
        }
        self.clear_cache();
        Ok(())
    }

    /// Drops every link into a workspace (it was deleted).
    pub async fn forget_workspace(&self, workspace_id: &str) -> Result<(), AccessError> {
        let mut enforcer = self.enforcer.write().await;
        enforcer
            .remove_filtered_grouping_policy(2, vec![workspace_id.to_owned()])
            .await?;
        self.clear_cache();
        Ok(())
    }

    fn clear_cache(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.clear();
        }
    }

    /// Whether `user_id` may perform `action` on `object` in `domain` (a workspace id, or
    /// [`PLATFORM`]). A policy evaluation error denies.
    pub async fn allowed(&self, user_id: &str, domain: &str, object: &str, action: &str) -> bool {
        let key = (
            user_id.to_owned(),
            domain.to_owned(),
            object.to_owned(),
            action.to_owned(),
        );
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(&key).copied()) {
            return hit;
        }
        let known = self.known.lock().is_ok_and(|k| k.contains(user_id));
        if !known && let Err(e) = self.reload_user(user_id).await {
            tracing::error!(error = %e, "loading role links failed; denying");
            return false;
        }
        let decision = {
            let enforcer = self.enforcer.read().await;
            enforcer
                .enforce((subject(user_id), domain, object, action))
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "access policy evaluation failed; denying");
                    false
                })
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, decision);
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_file_parses_and_names_known_roles() {
        let rules = policy_rules();
        assert!(rules.len() > 20, "{} rules", rules.len());
        for [role, _, _] in &rules {
            assert!(
                role == "admin" || Role::parse(role).is_some(),
                "unknown role {role} in policy.csv"
            );
        }
    }

    #[test]
    fn roles_nest() {
        // Every permission of a lower role is held by the higher ones.
        let viewer = role_permissions("viewer");
        let operator = role_permissions("operator");
        let owner = role_permissions("owner");
        assert!(
            viewer.is_subset(&operator),
            "{:?}",
            viewer.difference(&operator)
        );
        assert!(
            operator.is_subset(&owner),
            "{:?}",
            operator.difference(&owner)
        );
        assert!(!viewer.contains("container:operate"));
        assert!(operator.contains("stack:deploy"));
        assert!(!operator.contains("member:manage"));
    }
}
