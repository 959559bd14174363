//! What a caller may need ([`Need`]) and the one check that decides it ([`check`]), which the
//! operation layer ([`crate::ops::authorize`]) runs for server functions and REST routes alike.

/// What a caller must hold to use an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone, signed in or not (first-run setup, sign-in, invitation links).
    Anyone,
    /// Any signed-in user, by session or token (their own account, their workspace list).
    SignedIn,
    /// A signed-in user with a browser session; API tokens cannot manage accounts or tokens.
    Session,
    /// (object, action) in the workspace the call names.
    Workspace(&'static str, &'static str),
    /// (object, action) platform-wide (users, creating workspaces).
    Platform(&'static str, &'static str),
    /// (object, action) in the workspace that owns the Docker object the call names (its
    /// `dev.orbitr.workspace` label); on unmanaged objects, platform-wide (admins only).
    Owned(&'static str, &'static str),
}

impl Need {
    /// `object.action`, the audit action of a denial.
    pub fn label(self) -> String {
        match self {
            Self::Anyone => "anyone".into(),
            Self::SignedIn => "signed_in".into(),
            Self::Session => "session".into(),
            Self::Workspace(obj, act) | Self::Platform(obj, act) | Self::Owned(obj, act) => {
                format!("{obj}.{act}")
            }
        }
    }
}

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use engine::identity::accounts::User;
    use engine::identity::tokens::TokenInfo;
    use engine::tenancy::access::{PLATFORM, READING_ACTIONS};

    use super::Need;
    use crate::error::AppError;
    use crate::state::AppState;

    /// Decides whether a caller (a user, perhaps through a token) holds `need`, in
    /// `workspace` for workspace needs. `Unauthorized` when nobody is signed in, `Forbidden`
    /// otherwise; callers audit the refusals ([`audits_denial`]).
    pub async fn check(
        state: &AppState,
        user: Option<&User>,
        token: Option<&TokenInfo>,
        need: Need,
        workspace: Option<&str>,
    ) -> Result<(), AppError> {
        let (domain, object, action) = match need {
            Need::Anyone => return Ok(()),
            Need::SignedIn => return user.map(drop).ok_or(AppError::Unauthorized),
            Need::Session => {
                user.ok_or(AppError::Unauthorized)?;
                return if token.is_some() {
                    Err(AppError::Forbidden)
                } else {
                    Ok(())
                };
            }
            Need::Workspace(obj, act) => (workspace.ok_or(AppError::Forbidden)?, obj, act),
            Need::Platform(obj, act) => (PLATFORM, obj, act),
            Need::Owned(obj, act) => (workspace.unwrap_or(PLATFORM), obj, act),
        };
        let user = user.ok_or(AppError::Unauthorized)?;
        if let Some(token) = token {
            if token.scope == engine::identity::tokens::Scope::Read
                && !READING_ACTIONS.contains(&action)
            {
                return Err(AppError::Forbidden);
            }
            // A metrics token reads `/metrics`, which the gate serves itself, and nothing else.
            if token.scope == engine::identity::tokens::Scope::Metrics {
                return Err(AppError::Forbidden);
            }
            if token
                .workspace_id
                .as_deref()
                .is_some_and(|only| only != domain)
            {
                return Err(AppError::Forbidden);
            }
        }
        if state
            .workspaces
            .access()
            .allowed(&user.id, domain, object, action)
            .await
        {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Whether a refusal of `need` is worth an audit record: a signed-in caller tried something
    /// their role or token does not allow (anonymous 401s are not recorded).
    pub fn audits_denial(need: Need, error: &AppError) -> bool {
        matches!(error, AppError::Forbidden)
            && matches!(
                need,
                Need::Workspace(..) | Need::Platform(..) | Need::Owned(..) | Need::Session
            )
    }

    /// The owner of the Docker object `key` names: `None` when there is no such object,
    /// `Some(None)` when it is unmanaged.
    pub fn owner_of(state: &AppState, object: &str, key: &str) -> Option<Option<String>> {
        match object {
            "container" => state.docker.containers().find(key).map(|c| c.workspace),
            "network" => state
                .docker
                .networks()
                .iter()
                .find(|n| n.id == key || n.name == key)
                .map(|n| n.workspace.clone()),
            "volume" => state
                .docker
                .volumes()
                .iter()
                .find(|v| v.name == key)
                .map(|v| v.workspace.clone()),
            "stack" => state.stacks.owner(key).map(|w| Some(w.into())),
            _ => None,
        }
    }

    /// Which workspaces' objects of a kind a caller may see.
    #[derive(Debug, Clone, Default)]
    pub struct Scope {
        /// Everything, unmanaged objects included (platform admins).
        pub everything: bool,
        pub workspaces: std::collections::HashSet<engine::model::ids::WorkspaceId>,
    }

    impl Scope {
        /// Whether an object owned by `owner` (`None`: unmanaged) is in scope.
        pub fn sees(&self, owner: Option<&str>) -> bool {
            self.everything || owner.is_some_and(|w| self.workspaces.contains(w))
        }
    }

    /// The workspaces in which the caller may `read` objects of `object` kind.
    pub async fn readable(
        state: &AppState,
        user: &User,
        token: Option<&TokenInfo>,
        object: &'static str,
    ) -> Result<Scope, AppError> {
        let need = Need::Owned(object, "read");
        if check(state, Some(user), token, need, None).await.is_ok() {
            return Ok(Scope {
                everything: true,
                workspaces: Default::default(),
            });
        }
        let mut scope = Scope::default();
        for membership in state.workspaces.for_user(user).await? {
            let id = membership.workspace.id;
            if check(state, Some(user), token, need, Some(&id))
                .await
                .is_ok()
            {
                scope.workspaces.insert(id);
            }
        }
        Ok(scope)
    }
}
