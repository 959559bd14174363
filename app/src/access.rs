//! What every server function needs, declared in one table, and the one check that enforces it
//! (for server functions through [`crate::auth::RequestCtx::authorize`], for REST routes
//! through the server's route layer, which uses [`check`] too).

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
    use engine::access::{PLATFORM, READING_ACTIONS};
    use engine::accounts::User;
    use engine::tokens::TokenInfo;
    use leptos::server_fn::ServerFn;

    use super::Need;
    use crate::api;
    use crate::error::AppError;
    use crate::state::AppState;

    /// Every server function with what it needs. A test fails for any registered server
    /// function missing here, and calls each as every kind of principal.
    pub const SERVER_FNS: &[(&str, Need)] = &[
        (<api::auth::SetupAdmin as ServerFn>::PATH, Need::Anyone),
        (<api::auth::Login as ServerFn>::PATH, Need::Anyone),
        (<api::auth::Logout as ServerFn>::PATH, Need::SignedIn),
        (<api::auth::GetMe as ServerFn>::PATH, Need::Anyone),
        (<api::auth::ChangePassword as ServerFn>::PATH, Need::Session),
        (
            <api::oauth::SignInProviders as ServerFn>::PATH,
            Need::Anyone,
        ),
        // Starting and finishing a provider sign-in is open to anyone; a link to an account
        // needs that account's session, which the flow checks itself.
        (<api::oauth::OauthStart as ServerFn>::PATH, Need::Anyone),
        (<api::oauth::OauthCallback as ServerFn>::PATH, Need::Anyone),
        (
            <api::oauth::MySignInMethods as ServerFn>::PATH,
            Need::Session,
        ),
        (
            <api::oauth::UnlinkProvider as ServerFn>::PATH,
            Need::Session,
        ),
        (
            <api::tokens::ListApiTokens as ServerFn>::PATH,
            Need::Session,
        ),
        (
            <api::tokens::CreateApiToken as ServerFn>::PATH,
            Need::Session,
        ),
        (
            <api::tokens::RevokeApiToken as ServerFn>::PATH,
            Need::Session,
        ),
        (
            <api::users::ListUsers as ServerFn>::PATH,
            Need::Platform("user", "read"),
        ),
        (
            <api::users::SetPlatformAdmin as ServerFn>::PATH,
            Need::Platform("user", "manage"),
        ),
        (
            <api::users::DeleteUser as ServerFn>::PATH,
            Need::Platform("user", "manage"),
        ),
        (
            <api::users::CreatePasswordReset as ServerFn>::PATH,
            Need::Platform("user", "manage"),
        ),
        (
            <api::users::CheckPasswordReset as ServerFn>::PATH,
            Need::Anyone,
        ),
        (
            <api::users::CompletePasswordReset as ServerFn>::PATH,
            Need::Anyone,
        ),
        (
            <api::audit::ListAudit as ServerFn>::PATH,
            Need::Platform("audit", "read"),
        ),
        (
            <api::audit::ListWorkspaceAudit as ServerFn>::PATH,
            Need::Workspace("audit", "read"),
        ),
        (
            <api::sessions::ListSessions as ServerFn>::PATH,
            Need::Session,
        ),
        (
            <api::sessions::RevokeSession as ServerFn>::PATH,
            Need::Session,
        ),
        (
            <api::sessions::SignOutEverywhere as ServerFn>::PATH,
            Need::Session,
        ),
        // Lists are filtered to what the caller may read; one container is checked in the
        // workspace that owns it.
        (
            <api::containers::ListContainers as ServerFn>::PATH,
            Need::SignedIn,
        ),
        (
            <api::containers::GetContainer as ServerFn>::PATH,
            Need::Owned("container", "read"),
        ),
        (
            <api::containers::ContainerAction as ServerFn>::PATH,
            Need::Owned("container", "operate"),
        ),
        (
            <api::containers::RenameContainer as ServerFn>::PATH,
            Need::Owned("container", "operate"),
        ),
        (
            <api::containers::RemoveContainer as ServerFn>::PATH,
            Need::Owned("container", "operate"),
        ),
        (
            <api::containers::CreateContainer as ServerFn>::PATH,
            Need::Workspace("container", "create"),
        ),
        (
            <api::containers::GetSecurityPolicy as ServerFn>::PATH,
            Need::Workspace("workspace", "read"),
        ),
        (
            <api::containers::SetSecurityPolicy as ServerFn>::PATH,
            Need::Platform("policy", "manage"),
        ),
        // Images are shared by every workspace: all see them, platform admins remove them.
        (<api::objects::ListImages as ServerFn>::PATH, Need::SignedIn),
        (<api::objects::GetImage as ServerFn>::PATH, Need::SignedIn),
        (
            <api::objects::VolumeSizes as ServerFn>::PATH,
            Need::SignedIn,
        ),
        (
            <api::objects::RemoveImage as ServerFn>::PATH,
            Need::Platform("image", "remove"),
        ),
        (
            <api::objects::PruneImages as ServerFn>::PATH,
            Need::Platform("image", "remove"),
        ),
        (
            <api::objects::ListNetworks as ServerFn>::PATH,
            Need::SignedIn,
        ),
        (
            <api::objects::CreateNetwork as ServerFn>::PATH,
            Need::Workspace("network", "manage"),
        ),
        (
            <api::objects::RemoveNetwork as ServerFn>::PATH,
            Need::Owned("network", "manage"),
        ),
        (
            <api::objects::ListVolumes as ServerFn>::PATH,
            Need::SignedIn,
        ),
        (
            <api::objects::AdoptObject as ServerFn>::PATH,
            Need::Platform("object", "adopt"),
        ),
        (
            <api::objects::AttachNetwork as ServerFn>::PATH,
            Need::Owned("network", "manage"),
        ),
        (
            <api::registries::ListRegistryCredentials as ServerFn>::PATH,
            Need::Workspace("registry", "manage"),
        ),
        (
            <api::registries::SaveRegistryCredential as ServerFn>::PATH,
            Need::Workspace("registry", "manage"),
        ),
        (
            <api::registries::RemoveRegistryCredential as ServerFn>::PATH,
            Need::Workspace("registry", "manage"),
        ),
        (
            <api::registries::PullImage as ServerFn>::PATH,
            Need::Workspace("image", "pull"),
        ),
        (
            <api::objects::CreateVolume as ServerFn>::PATH,
            Need::Workspace("volume", "manage"),
        ),
        (
            <api::objects::RemoveVolume as ServerFn>::PATH,
            Need::Owned("volume", "manage"),
        ),
        (
            <api::objects::PruneVolumes as ServerFn>::PATH,
            Need::Workspace("volume", "manage"),
        ),
        // Stacks are checked in the workspace that owns them; lists show what the caller sees.
        (<api::stacks::ListStacks as ServerFn>::PATH, Need::SignedIn),
        (
            <api::stacks::GetStack as ServerFn>::PATH,
            Need::Owned("stack", "read"),
        ),
        (
            <api::stacks::CreateStack as ServerFn>::PATH,
            Need::Workspace("stack", "deploy"),
        ),
        (
            <api::stacks::SaveStack as ServerFn>::PATH,
            Need::Owned("stack", "deploy"),
        ),
        (
            <api::stacks::CheckStack as ServerFn>::PATH,
            Need::Owned("stack", "read"),
        ),
        (
            <api::stacks::StackOperation as ServerFn>::PATH,
            Need::Owned("stack", "deploy"),
        ),
        (
            <api::stacks::DeleteStack as ServerFn>::PATH,
            Need::Owned("stack", "deploy"),
        ),
        (
            <api::stacks::GetRevision as ServerFn>::PATH,
            Need::Owned("stack", "read"),
        ),
        (
            <api::stacks::ListDeploys as ServerFn>::PATH,
            Need::Owned("stack", "read"),
        ),
        (
            <api::stacks::GetDeploy as ServerFn>::PATH,
            Need::Owned("stack", "read"),
        ),
        (
            <api::stacks::ListUnmanagedProjects as ServerFn>::PATH,
            Need::Platform("object", "adopt"),
        ),
        (
            <api::stacks::AdoptProject as ServerFn>::PATH,
            Need::Platform("object", "adopt"),
        ),
        (
            <api::marketplace::SearchExtensions as ServerFn>::PATH,
            Need::SignedIn,
        ),
        (
            <api::marketplace::GetExtension as ServerFn>::PATH,
            Need::SignedIn,
        ),
        (
            <api::marketplace::ListSources as ServerFn>::PATH,
            Need::Platform("extension_source", "manage"),
        ),
        (
            <api::marketplace::AddSource as ServerFn>::PATH,
            Need::Platform("extension_source", "manage"),
        ),
        (
            <api::marketplace::SyncSource as ServerFn>::PATH,
            Need::Platform("extension_source", "manage"),
        ),
        (
            <api::marketplace::RemoveSource as ServerFn>::PATH,
            Need::Platform("extension_source", "manage"),
        ),
        (
            <api::marketplace::PlanInstall as ServerFn>::PATH,
            Need::Workspace("extension", "read"),
        ),
        (
            <api::marketplace::InstallExtension as ServerFn>::PATH,
            Need::Workspace("extension", "install"),
        ),
        (
            <api::marketplace::InstallFromGit as ServerFn>::PATH,
            Need::Platform("extension_source", "manage"),
        ),
        (
            <api::marketplace::ListApps as ServerFn>::PATH,
            Need::SignedIn,
        ),
        (
            <api::marketplace::AppUpdatePreview as ServerFn>::PATH,
            Need::Workspace("extension", "read"),
        ),
        (
            <api::marketplace::UpdateApp as ServerFn>::PATH,
            Need::Workspace("extension", "install"),
        ),
        (
            <api::marketplace::UninstallApp as ServerFn>::PATH,
            Need::Workspace("extension", "install"),
        ),
        (
            <api::marketplace::ApproveApp as ServerFn>::PATH,
            Need::Platform("extension", "approve"),
        ),
        (
            <api::marketplace::ListReviews as ServerFn>::PATH,
            Need::SignedIn,
        ),
        (
            <api::marketplace::SaveReview as ServerFn>::PATH,
            Need::SignedIn,
        ),
        (
            <api::marketplace::DeleteReview as ServerFn>::PATH,
            Need::SignedIn,
        ),
        (
            <api::marketplace::VoteReview as ServerFn>::PATH,
            Need::SignedIn,
        ),
        (
            <api::system::GetSystemInfo as ServerFn>::PATH,
            Need::SignedIn,
        ),
        (
            <api::system::GetEngineStatus as ServerFn>::PATH,
            Need::SignedIn,
        ),
        (
            <api::workspaces::MyWorkspaces as ServerFn>::PATH,
            Need::SignedIn,
        ),
        (
            <api::workspaces::SwitchWorkspace as ServerFn>::PATH,
            Need::Workspace("workspace", "read"),
        ),
        (
            <api::workspaces::CreateWorkspace as ServerFn>::PATH,
            Need::Platform("workspace", "create"),
        ),
        (
            <api::workspaces::GetWorkspace as ServerFn>::PATH,
            Need::Workspace("workspace", "read"),
        ),
        (
            <api::workspaces::RenameWorkspace as ServerFn>::PATH,
            Need::Workspace("workspace", "update"),
        ),
        (
            <api::workspaces::DeleteWorkspace as ServerFn>::PATH,
            Need::Workspace("workspace", "delete"),
        ),
        (
            <api::workspaces::ListMembers as ServerFn>::PATH,
            Need::Workspace("member", "read"),
        ),
        (
            <api::workspaces::SetMemberRole as ServerFn>::PATH,
            Need::Workspace("member", "manage"),
        ),
        (
            <api::workspaces::RemoveMember as ServerFn>::PATH,
            Need::Workspace("member", "manage"),
        ),
        (
            <api::workspaces::LeaveWorkspace as ServerFn>::PATH,
            Need::Workspace("workspace", "read"),
        ),
        (
            <api::workspaces::ListInvitations as ServerFn>::PATH,
            Need::Workspace("member", "manage"),
        ),
        (
            <api::workspaces::CreateInvitation as ServerFn>::PATH,
            Need::Workspace("member", "manage"),
        ),
        (
            <api::workspaces::RevokeInvitation as ServerFn>::PATH,
            Need::Workspace("member", "manage"),
        ),
        (
            <api::workspaces::CheckInvitation as ServerFn>::PATH,
            Need::Anyone,
        ),
        (
            <api::workspaces::AcceptInvitation as ServerFn>::PATH,
            Need::Anyone,
        ),
    ];

    /// What the server function at `path` needs, if declared.
    pub fn server_fn_need(path: &str) -> Option<Need> {
        SERVER_FNS
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, need)| *need)
    }

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
            if token.scope == engine::tokens::Scope::Read && !READING_ACTIONS.contains(&action) {
                return Err(AppError::Forbidden);
            }
            // A metrics token reads `/metrics`, which the gate serves itself, and nothing else.
            if token.scope == engine::tokens::Scope::Metrics {
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
            "stack" => state.stacks.owner(key).map(Some),
            _ => None,
        }
    }

    /// Which workspaces' objects of a kind a caller may see.
    #[derive(Debug, Clone, Default)]
    pub struct Scope {
        /// Everything, unmanaged objects included (platform admins).
        pub everything: bool,
        pub workspaces: std::collections::HashSet<String>,
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
