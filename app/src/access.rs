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
    use crate::ops::{self, Op};
    use crate::state::AppState;

    /// Every server function with the operation it carries (which declares what it needs). A
    /// test fails for any registered server function missing here, and calls each as every
    /// kind of principal.
    pub static SERVER_FNS: &[(&str, &Op)] = &[
        (<api::auth::SetupAdmin as ServerFn>::PATH, &ops::auth::SETUP),
        (<api::auth::Login as ServerFn>::PATH, &ops::auth::LOGIN),
        (<api::auth::Logout as ServerFn>::PATH, &ops::auth::LOGOUT),
        (<api::auth::GetMe as ServerFn>::PATH, &ops::auth::WHO),
        (
            <api::auth::ChangePassword as ServerFn>::PATH,
            &ops::auth::CHANGE_PASSWORD,
        ),
        (
            <api::oauth::SignInProviders as ServerFn>::PATH,
            &ops::oauth::PROVIDERS,
        ),
        // Starting and finishing a provider sign-in is open to anyone; a link to an account
        // needs that account's session, which the flow checks itself.
        (
            <api::oauth::OauthStart as ServerFn>::PATH,
            &ops::oauth::START,
        ),
        (
            <api::oauth::OauthCallback as ServerFn>::PATH,
            &ops::oauth::CALLBACK,
        ),
        (
            <api::oauth::MySignInMethods as ServerFn>::PATH,
            &ops::oauth::METHODS,
        ),
        (
            <api::oauth::UnlinkProvider as ServerFn>::PATH,
            &ops::oauth::UNLINK,
        ),
        (
            <api::tokens::ListApiTokens as ServerFn>::PATH,
            &ops::tokens::LIST,
        ),
        (
            <api::tokens::CreateApiToken as ServerFn>::PATH,
            &ops::tokens::CREATE,
        ),
        (
            <api::tokens::RevokeApiToken as ServerFn>::PATH,
            &ops::tokens::REVOKE,
        ),
        (<api::users::ListUsers as ServerFn>::PATH, &ops::users::LIST),
        (
            <api::users::SetPlatformAdmin as ServerFn>::PATH,
            &ops::users::SET_ADMIN,
        ),
        (
            <api::users::DeleteUser as ServerFn>::PATH,
            &ops::users::DELETE,
        ),
        (
            <api::users::CreatePasswordReset as ServerFn>::PATH,
            &ops::users::CREATE_RESET,
        ),
        (
            <api::users::CheckPasswordReset as ServerFn>::PATH,
            &ops::users::CHECK_RESET,
        ),
        (
            <api::users::CompletePasswordReset as ServerFn>::PATH,
            &ops::users::COMPLETE_RESET,
        ),
        (<api::audit::ListAudit as ServerFn>::PATH, &ops::audit::LIST),
        (
            <api::audit::ListWorkspaceAudit as ServerFn>::PATH,
            &ops::audit::LIST_WORKSPACE,
        ),
        (
            <api::sessions::ListSessions as ServerFn>::PATH,
            &ops::sessions::LIST,
        ),
        (
            <api::sessions::RevokeSession as ServerFn>::PATH,
            &ops::sessions::REVOKE,
        ),
        (
            <api::sessions::SignOutEverywhere as ServerFn>::PATH,
            &ops::sessions::SIGN_OUT_EVERYWHERE,
        ),
        // Lists are filtered to what the caller may read; one container is checked in the
        // workspace that owns it.
        (
            <api::containers::ListContainers as ServerFn>::PATH,
            &ops::containers::LIST,
        ),
        (
            <api::containers::GetContainer as ServerFn>::PATH,
            &ops::containers::GET,
        ),
        (
            <api::containers::ContainerAction as ServerFn>::PATH,
            &ops::containers::ACT,
        ),
        (
            <api::containers::RenameContainer as ServerFn>::PATH,
            &ops::containers::RENAME,
        ),
        (
            <api::containers::RemoveContainer as ServerFn>::PATH,
            &ops::containers::REMOVE,
        ),
        (
            <api::containers::CreateContainer as ServerFn>::PATH,
            &ops::containers::CREATE,
        ),
        (
            <api::containers::GetSecurityPolicy as ServerFn>::PATH,
            &ops::containers::GET_POLICY,
        ),
        (
            <api::containers::SetSecurityPolicy as ServerFn>::PATH,
            &ops::containers::SET_POLICY,
        ),
        // Images are shared by every workspace: all see them, platform admins remove them.
        (
            <api::objects::ListImages as ServerFn>::PATH,
            &ops::objects::LIST_IMAGES,
        ),
        (
            <api::objects::GetImage as ServerFn>::PATH,
            &ops::objects::GET_IMAGE,
        ),
        (
            <api::objects::VolumeSizes as ServerFn>::PATH,
            &ops::objects::VOLUME_SIZES,
        ),
        (
            <api::objects::RemoveImage as ServerFn>::PATH,
            &ops::objects::REMOVE_IMAGE,
        ),
        (
            <api::objects::PruneImages as ServerFn>::PATH,
            &ops::objects::PRUNE_IMAGES,
        ),
        (
            <api::objects::ListNetworks as ServerFn>::PATH,
            &ops::objects::LIST_NETWORKS,
        ),
        (
            <api::objects::CreateNetwork as ServerFn>::PATH,
            &ops::objects::CREATE_NETWORK,
        ),
        (
            <api::objects::RemoveNetwork as ServerFn>::PATH,
            &ops::objects::REMOVE_NETWORK,
        ),
        (
            <api::objects::ListVolumes as ServerFn>::PATH,
            &ops::objects::LIST_VOLUMES,
        ),
        (
            <api::objects::AdoptObject as ServerFn>::PATH,
            &ops::objects::ADOPT,
        ),
        (
            <api::objects::AttachNetwork as ServerFn>::PATH,
            &ops::objects::ATTACH_NETWORK,
        ),
        (
            <api::registries::ListRegistryCredentials as ServerFn>::PATH,
            &ops::registries::LIST,
        ),
        (
            <api::registries::SaveRegistryCredential as ServerFn>::PATH,
            &ops::registries::SAVE,
        ),
        (
            <api::registries::RemoveRegistryCredential as ServerFn>::PATH,
            &ops::registries::REMOVE,
        ),
        (
            <api::registries::PullImage as ServerFn>::PATH,
            &ops::registries::PULL,
        ),
        (
            <api::objects::CreateVolume as ServerFn>::PATH,
            &ops::objects::CREATE_VOLUME,
        ),
        (
            <api::objects::RemoveVolume as ServerFn>::PATH,
            &ops::objects::REMOVE_VOLUME,
        ),
        (
            <api::objects::PruneVolumes as ServerFn>::PATH,
            &ops::objects::PRUNE_VOLUMES,
        ),
        // Stacks are checked in the workspace that owns them; lists show what the caller sees.
        (
            <api::stacks::ListStacks as ServerFn>::PATH,
            &ops::stacks::LIST,
        ),
        (<api::stacks::GetStack as ServerFn>::PATH, &ops::stacks::GET),
        (
            <api::stacks::CreateStack as ServerFn>::PATH,
            &ops::stacks::CREATE,
        ),
        (
            <api::stacks::SaveStack as ServerFn>::PATH,
            &ops::stacks::SAVE,
        ),
        (
            <api::stacks::CheckStack as ServerFn>::PATH,
            &ops::stacks::CHECK,
        ),
        (
            <api::stacks::StackOperation as ServerFn>::PATH,
            &ops::stacks::OPERATE,
        ),
        (
            <api::stacks::DeleteStack as ServerFn>::PATH,
            &ops::stacks::DELETE,
        ),
        (
            <api::stacks::GetRevision as ServerFn>::PATH,
            &ops::stacks::GET_REVISION,
        ),
        (
            <api::stacks::ListDeploys as ServerFn>::PATH,
            &ops::stacks::LIST_DEPLOYS,
        ),
        (
            <api::stacks::GetDeploy as ServerFn>::PATH,
            &ops::stacks::GET_DEPLOY,
        ),
        (
            <api::stacks::ListUnmanagedProjects as ServerFn>::PATH,
            &ops::stacks::LIST_UNMANAGED,
        ),
        (
            <api::stacks::AdoptProject as ServerFn>::PATH,
            &ops::stacks::ADOPT,
        ),
        (
            <api::marketplace::SearchExtensions as ServerFn>::PATH,
            &ops::marketplace::SEARCH,
        ),
        (
            <api::marketplace::GetExtension as ServerFn>::PATH,
            &ops::marketplace::GET,
        ),
        (
            <api::marketplace::ListSources as ServerFn>::PATH,
            &ops::marketplace::LIST_SOURCES,
        ),
        (
            <api::marketplace::AddSource as ServerFn>::PATH,
            &ops::marketplace::ADD_SOURCE,
        ),
        (
            <api::marketplace::SyncSource as ServerFn>::PATH,
            &ops::marketplace::SYNC_SOURCE,
        ),
        (
            <api::marketplace::RemoveSource as ServerFn>::PATH,
            &ops::marketplace::REMOVE_SOURCE,
        ),
        (
            <api::marketplace::PlanInstall as ServerFn>::PATH,
            &ops::marketplace::PLAN,
        ),
        (
            <api::marketplace::InstallExtension as ServerFn>::PATH,
            &ops::marketplace::INSTALL,
        ),
        (
            <api::marketplace::InstallFromGit as ServerFn>::PATH,
            &ops::marketplace::INSTALL_FROM_GIT,
        ),
        (
            <api::marketplace::ListApps as ServerFn>::PATH,
            &ops::marketplace::LIST_APPS,
        ),
        (
            <api::marketplace::AppUpdatePreview as ServerFn>::PATH,
            &ops::marketplace::UPDATE_PREVIEW,
        ),
        (
            <api::marketplace::UpdateApp as ServerFn>::PATH,
            &ops::marketplace::UPDATE,
        ),
        (
            <api::marketplace::UninstallApp as ServerFn>::PATH,
            &ops::marketplace::UNINSTALL,
        ),
        (
            <api::marketplace::ApproveApp as ServerFn>::PATH,
            &ops::marketplace::APPROVE,
        ),
        (
            <api::marketplace::ListReviews as ServerFn>::PATH,
            &ops::marketplace::LIST_REVIEWS,
        ),
        (
            <api::marketplace::SaveReview as ServerFn>::PATH,
            &ops::marketplace::SAVE_REVIEW,
        ),
        (
            <api::marketplace::DeleteReview as ServerFn>::PATH,
            &ops::marketplace::DELETE_REVIEW,
        ),
        (
            <api::marketplace::VoteReview as ServerFn>::PATH,
            &ops::marketplace::VOTE_REVIEW,
        ),
        (
            <api::system::GetSystemInfo as ServerFn>::PATH,
            &ops::system::INFO,
        ),
        (
            <api::system::GetEngineStatus as ServerFn>::PATH,
            &ops::system::ENGINE_STATUS,
        ),
        (
            <api::workspaces::MyWorkspaces as ServerFn>::PATH,
            &ops::workspaces::MINE,
        ),
        (
            <api::workspaces::SwitchWorkspace as ServerFn>::PATH,
            &ops::workspaces::SWITCH,
        ),
        (
            <api::workspaces::CreateWorkspace as ServerFn>::PATH,
            &ops::workspaces::CREATE,
        ),
        (
            <api::workspaces::GetWorkspace as ServerFn>::PATH,
            &ops::workspaces::GET,
        ),
        (
            <api::workspaces::RenameWorkspace as ServerFn>::PATH,
            &ops::workspaces::RENAME,
        ),
        (
            <api::workspaces::DeleteWorkspace as ServerFn>::PATH,
            &ops::workspaces::DELETE,
        ),
        (
            <api::workspaces::ListMembers as ServerFn>::PATH,
            &ops::workspaces::LIST_MEMBERS,
        ),
        (
            <api::workspaces::SetMemberRole as ServerFn>::PATH,
            &ops::workspaces::SET_MEMBER_ROLE,
        ),
        (
            <api::workspaces::RemoveMember as ServerFn>::PATH,
            &ops::workspaces::REMOVE_MEMBER,
        ),
        (
            <api::workspaces::LeaveWorkspace as ServerFn>::PATH,
            &ops::workspaces::LEAVE,
        ),
        (
            <api::workspaces::ListInvitations as ServerFn>::PATH,
            &ops::workspaces::LIST_INVITATIONS,
        ),
        (
            <api::workspaces::CreateInvitation as ServerFn>::PATH,
            &ops::workspaces::CREATE_INVITATION,
        ),
        (
            <api::workspaces::RevokeInvitation as ServerFn>::PATH,
            &ops::workspaces::REVOKE_INVITATION,
        ),
        (
            <api::workspaces::CheckInvitation as ServerFn>::PATH,
            &ops::workspaces::CHECK_INVITATION,
        ),
        (
            <api::workspaces::AcceptInvitation as ServerFn>::PATH,
            &ops::workspaces::ACCEPT_INVITATION,
        ),
    ];

    /// The operation of the server function at `path`, if declared.
    pub fn server_fn_op(path: &str) -> Option<&'static Op> {
        SERVER_FNS
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, op)| *op)
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
