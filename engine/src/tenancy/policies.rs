//! Each workspace's security policy, stored as JSON (the default, allowing nothing beyond the
//! ordinary, when none was saved). Platform admins edit it; container creates, stack deploys
//! and extension installs by non-admins are checked against it.

use compose::policy::{SecurityPolicy, normalize_host_path};

use crate::clock::now_ms;
use crate::db::{Database, DbError};
use crate::on_pool;

/// Errors of policy storage.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A field of the submitted policy is wrong.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("no such workspace")]
    NoWorkspace,
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::query_error_is_db!(PolicyError);

/// Checks a submitted policy and returns it in stored form: bind roots as absolute, resolved
/// paths; capabilities upper case without `CAP_`; duplicates dropped.
pub fn normalized(mut policy: SecurityPolicy) -> Result<SecurityPolicy, PolicyError> {
    let mut roots: Vec<String> = Vec::new();
    for (i, raw) in policy.bind_roots.iter().enumerate() {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let root = normalize_host_path(raw).ok_or_else(|| PolicyError::Invalid {
            field: format!("bind_roots[{i}]"),
            message: format!("{raw:?} must be an absolute host path such as /srv/apps"),
        })?;
        if !roots.contains(&root) {
            roots.push(root);
        }
    }
    policy.bind_roots = roots;
    let mut caps: Vec<String> = Vec::new();
    for (i, raw) in policy.allowed_capabilities.iter().enumerate() {
        let upper = raw.trim().to_ascii_uppercase();
        if upper.is_empty() {
            continue;
        }
        let cap = upper.strip_prefix("CAP_").unwrap_or(&upper).to_owned();
        if !cap.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            return Err(PolicyError::Invalid {
                field: format!("allowed_capabilities[{i}]"),
                message: format!("{raw:?} is not a capability name such as NET_ADMIN"),
            });
        }
        if !caps.contains(&cap) {
            caps.push(cap);
        }
    }
    policy.allowed_capabilities = caps;
    let mut settings: Vec<String> = Vec::new();
    for (i, raw) in policy.allowed_host_settings.iter().enumerate() {
        let field = raw.trim();
        if field.is_empty() {
            continue;
        }
        let known = field == "*"
            || compose::fields::FIELDS.iter().any(|(path, reach)| {
                *reach == compose::fields::Reach::Host
                    && (path.strip_prefix("services.*.") == Some(field)
                        || path.replacen(".*.", ".", 1) == field)
            });
        if !known {
            return Err(PolicyError::Invalid {
                field: format!("allowed_host_settings[{i}]"),
                message: format!(
                    "{field:?} is not a host setting of a Compose file (e.g. sysctls, security_opt, runtime, volumes.driver_opts)"
                ),
            });
        }
        if !settings.iter().any(|s| s == field) {
            settings.push(field.to_owned());
        }
    }
    policy.allowed_host_settings = settings;
    Ok(policy)
}

/// Stored policies.
#[derive(Clone)]
pub struct Policies {
    db: Database,
}

impl Policies {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The workspace's policy (the default when none was saved).
    pub async fn get(&self, workspace_id: &str) -> Result<SecurityPolicy, PolicyError> {
        let row: Option<(String,)> = on_pool!(&self.db, |pool| {
            sqlx::query_as("SELECT policy FROM workspace_policies WHERE workspace_id = $1")
                .bind(workspace_id)
                .fetch_optional(pool)
                .await?
        });
        match row {
            None => Ok(SecurityPolicy::default()),
            Some((json,)) => serde_json::from_str(&json).map_err(|e| {
                tracing::error!(error = %e, workspace_id, "stored security policy unreadable; using the default");
                PolicyError::Invalid {
                    field: "policy".into(),
                    message: "the stored policy cannot be read".into(),
                }
            }),
        }
    }

    /// Checks and saves a workspace's policy; returns it as stored.
    pub async fn set(
        &self,
        workspace_id: &str,
        policy: SecurityPolicy,
        actor: &str,
    ) -> Result<SecurityPolicy, PolicyError> {
        let policy = normalized(policy)?;
        let json = serde_json::to_string(&policy).map_err(|e| PolicyError::Invalid {
            field: "policy".into(),
            message: e.to_string(),
        })?;
        let exists: Option<(String,)> = on_pool!(&self.db, |pool| {
            sqlx::query_as("SELECT id FROM workspaces WHERE id = $1")
                .bind(workspace_id)
                .fetch_optional(pool)
                .await?
        });
        if exists.is_none() {
            return Err(PolicyError::NoWorkspace);
        }
        on_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO workspace_policies (workspace_id, policy, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (workspace_id) DO UPDATE SET policy = excluded.policy, \
                 updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            )
            .bind(workspace_id)
            .bind(&json)
            .bind(now_ms())
            .bind(actor)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submitted_policies_are_normalized_or_refused_by_field() {
        let policy = normalized(SecurityPolicy {
            bind_roots: vec!["/srv/apps/".into(), " ".into(), "/srv/./apps".into()],
            allowed_capabilities: vec!["cap_net_admin".into(), "NET_ADMIN".into()],
            ..Default::default()
        })
        .expect("valid");
        assert_eq!(policy.bind_roots, ["/srv/apps"]);
        assert_eq!(policy.allowed_capabilities, ["NET_ADMIN"]);

        let err = normalized(SecurityPolicy {
            bind_roots: vec!["/ok".into(), "relative/path".into()],
            ..Default::default()
        })
        .expect_err("refused");
        assert!(err.to_string().starts_with("bind_roots[1]:"), "{err}");
        let err = normalized(SecurityPolicy {
            allowed_capabilities: vec!["NET ADMIN".into()],
            ..Default::default()
        })
        .expect_err("refused");
        assert!(
            err.to_string().starts_with("allowed_capabilities[0]:"),
            "{err}"
        );
    }
}
