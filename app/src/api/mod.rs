//! Server functions, grouped by resource: each transports an operation of [`crate::ops`]. The
//! table here says which operation each one carries; the request gate refuses a function
//! missing from it and tells the operation layer which operation to expect.

pub mod audit;
pub mod auth;
pub mod codec;
pub mod containers;
pub mod marketplace;
pub mod oauth;
pub mod objects;
pub mod palette;
pub mod registries;
pub mod sessions;
pub mod settings;
pub mod stacks;
pub mod system;
pub mod tokens;
pub mod users;
pub mod workspaces;

#[cfg(feature = "ssr")]
use crate::ops::{self, Op};
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;

#[cfg(feature = "ssr")]
/// Every server function with the operation it carries (which declares what it needs). A
/// test fails for any registered server function missing here, and calls each as every
/// kind of principal.
pub static SERVER_FNS: &[(&str, &Op)] = &[
    (<auth::SetupAdmin as ServerFn>::PATH, &ops::auth::SETUP),
    (<auth::Login as ServerFn>::PATH, &ops::auth::LOGIN),
    (<auth::Logout as ServerFn>::PATH, &ops::auth::LOGOUT),
    (<auth::GetMe as ServerFn>::PATH, &ops::auth::WHO),
    (
        <palette::PaletteIndex as ServerFn>::PATH,
        &ops::palette::INDEX,
    ),
    (
        <settings::GetSettings as ServerFn>::PATH,
        &ops::settings::GET,
    ),
    (
        <settings::UpdateSettings as ServerFn>::PATH,
        &ops::settings::UPDATE,
    ),
    (
        <settings::SaveSignInProvider as ServerFn>::PATH,
        &ops::settings::SAVE_PROVIDER,
    ),
    (
        <settings::RemoveSignInProvider as ServerFn>::PATH,
        &ops::settings::REMOVE_PROVIDER,
    ),
    (
        <settings::SendTestMail as ServerFn>::PATH,
        &ops::settings::TEST_MAIL,
    ),
    (
        <palette::GetChecklist as ServerFn>::PATH,
        &ops::onboarding::CHECKLIST,
    ),
    (
        <palette::DismissChecklist as ServerFn>::PATH,
        &ops::onboarding::DISMISS,
    ),
    (
        <auth::ChangePassword as ServerFn>::PATH,
        &ops::auth::CHANGE_PASSWORD,
    ),
    (
        <oauth::SignInProviders as ServerFn>::PATH,
        &ops::oauth::PROVIDERS,
    ),
    // Starting and finishing a provider sign-in is open to anyone; a link to an account
    // needs that account's session, which the flow checks itself.
    (<oauth::OauthStart as ServerFn>::PATH, &ops::oauth::START),
    (
        <oauth::OauthCallback as ServerFn>::PATH,
        &ops::oauth::CALLBACK,
    ),
    (
        <oauth::MySignInMethods as ServerFn>::PATH,
        &ops::oauth::METHODS,
    ),
    (
        <oauth::UnlinkProvider as ServerFn>::PATH,
        &ops::oauth::UNLINK,
    ),
    (
        <tokens::ListApiTokens as ServerFn>::PATH,
        &ops::tokens::LIST,
    ),
    (
        <tokens::CreateApiToken as ServerFn>::PATH,
        &ops::tokens::CREATE,
    ),
    (
        <tokens::RevokeApiToken as ServerFn>::PATH,
        &ops::tokens::REVOKE,
    ),
    (<users::ListUsers as ServerFn>::PATH, &ops::users::LIST),
    (
        <users::SetPlatformAdmin as ServerFn>::PATH,
        &ops::users::SET_ADMIN,
    ),
    (<users::DeleteUser as ServerFn>::PATH, &ops::users::DELETE),
    (
        <users::CreatePasswordReset as ServerFn>::PATH,
        &ops::users::CREATE_RESET,
    ),
    (
        <users::CheckPasswordReset as ServerFn>::PATH,
        &ops::users::CHECK_RESET,
    ),
    (
        <users::CompletePasswordReset as ServerFn>::PATH,
        &ops::users::COMPLETE_RESET,
    ),
    (<audit::ListAudit as ServerFn>::PATH, &ops::audit::LIST),
    (
        <audit::ListWorkspaceAudit as ServerFn>::PATH,
        &ops::audit::LIST_WORKSPACE,
    ),
    (
        <sessions::ListSessions as ServerFn>::PATH,
        &ops::sessions::LIST,
    ),
    (
        <sessions::RevokeSession as ServerFn>::PATH,
        &ops::sessions::REVOKE,
    ),
    (
        <sessions::SignOutEverywhere as ServerFn>::PATH,
        &ops::sessions::SIGN_OUT_EVERYWHERE,
    ),
    // Lists are filtered to what the caller may read; one container is checked in the
    // workspace that owns it.
    (
        <containers::ListContainers as ServerFn>::PATH,
        &ops::containers::LIST,
    ),
    (
        <containers::GetContainer as ServerFn>::PATH,
        &ops::containers::GET,
    ),
    (
        <containers::ContainerAction as ServerFn>::PATH,
        &ops::containers::ACT,
    ),
    (
        <containers::RenameContainer as ServerFn>::PATH,
        &ops::containers::RENAME,
    ),
    (
        <containers::RemoveContainer as ServerFn>::PATH,
        &ops::containers::REMOVE,
    ),
    (
        <containers::CreateContainer as ServerFn>::PATH,
        &ops::containers::CREATE,
    ),
    (
        <containers::GetSecurityPolicy as ServerFn>::PATH,
        &ops::containers::GET_POLICY,
    ),
    (
        <containers::SetSecurityPolicy as ServerFn>::PATH,
        &ops::containers::SET_POLICY,
    ),
    // Images are shared by every workspace: all see them, platform admins remove them.
    (
        <objects::ListImages as ServerFn>::PATH,
        &ops::objects::LIST_IMAGES,
    ),
    (
        <objects::GetImage as ServerFn>::PATH,
        &ops::objects::GET_IMAGE,
    ),
    (
        <objects::VolumeSizes as ServerFn>::PATH,
        &ops::objects::VOLUME_SIZES,
    ),
    (
        <objects::RemoveImage as ServerFn>::PATH,
        &ops::objects::REMOVE_IMAGE,
    ),
    (
        <objects::PruneImages as ServerFn>::PATH,
        &ops::objects::PRUNE_IMAGES,
    ),
    (
        <objects::ListNetworks as ServerFn>::PATH,
        &ops::objects::LIST_NETWORKS,
    ),
    (
        <objects::CreateNetwork as ServerFn>::PATH,
        &ops::objects::CREATE_NETWORK,
    ),
    (
        <objects::RemoveNetwork as ServerFn>::PATH,
        &ops::objects::REMOVE_NETWORK,
    ),
    (
        <objects::ListVolumes as ServerFn>::PATH,
        &ops::objects::LIST_VOLUMES,
    ),
    (
        <objects::AdoptObject as ServerFn>::PATH,
        &ops::objects::ADOPT,
    ),
    (
        <objects::AttachNetwork as ServerFn>::PATH,
        &ops::objects::ATTACH_NETWORK,
    ),
    (
        <registries::ListRegistryCredentials as ServerFn>::PATH,
        &ops::registries::LIST,
    ),
    (
        <registries::SaveRegistryCredential as ServerFn>::PATH,
        &ops::registries::SAVE,
    ),
    (
        <registries::RemoveRegistryCredential as ServerFn>::PATH,
        &ops::registries::REMOVE,
    ),
    (
        <registries::PullImage as ServerFn>::PATH,
        &ops::registries::PULL,
    ),
    (
        <objects::CreateVolume as ServerFn>::PATH,
        &ops::objects::CREATE_VOLUME,
    ),
    (
        <objects::RemoveVolume as ServerFn>::PATH,
        &ops::objects::REMOVE_VOLUME,
    ),
    (
        <objects::PruneVolumes as ServerFn>::PATH,
        &ops::objects::PRUNE_VOLUMES,
    ),
    // Stacks are checked in the workspace that owns them; lists show what the caller sees.
    (<stacks::ListStacks as ServerFn>::PATH, &ops::stacks::LIST),
    (<stacks::GetStack as ServerFn>::PATH, &ops::stacks::GET),
    (
        <stacks::CreateStack as ServerFn>::PATH,
        &ops::stacks::CREATE,
    ),
    (<stacks::SaveStack as ServerFn>::PATH, &ops::stacks::SAVE),
    (<stacks::CheckStack as ServerFn>::PATH, &ops::stacks::CHECK),
    (
        <stacks::StackOperation as ServerFn>::PATH,
        &ops::stacks::OPERATE,
    ),
    (
        <stacks::DeleteStack as ServerFn>::PATH,
        &ops::stacks::DELETE,
    ),
    (
        <stacks::GetRevision as ServerFn>::PATH,
        &ops::stacks::GET_REVISION,
    ),
    (
        <stacks::ListDeploys as ServerFn>::PATH,
        &ops::stacks::LIST_DEPLOYS,
    ),
    (
        <stacks::GetDeploy as ServerFn>::PATH,
        &ops::stacks::GET_DEPLOY,
    ),
    (
        <stacks::ListUnmanagedProjects as ServerFn>::PATH,
        &ops::stacks::LIST_UNMANAGED,
    ),
    (
        <stacks::AdoptProject as ServerFn>::PATH,
        &ops::stacks::ADOPT,
    ),
    (
        <marketplace::SearchExtensions as ServerFn>::PATH,
        &ops::marketplace::SEARCH,
    ),
    (
        <marketplace::GetExtension as ServerFn>::PATH,
        &ops::marketplace::GET,
    ),
    (
        <marketplace::ListSources as ServerFn>::PATH,
        &ops::marketplace::LIST_SOURCES,
    ),
    (
        <marketplace::AddSource as ServerFn>::PATH,
        &ops::marketplace::ADD_SOURCE,
    ),
    (
        <marketplace::SyncSource as ServerFn>::PATH,
        &ops::marketplace::SYNC_SOURCE,
    ),
    (
        <marketplace::RemoveSource as ServerFn>::PATH,
        &ops::marketplace::REMOVE_SOURCE,
    ),
    (
        <marketplace::PlanInstall as ServerFn>::PATH,
        &ops::marketplace::PLAN,
    ),
    (
        <marketplace::InstallExtension as ServerFn>::PATH,
        &ops::marketplace::INSTALL,
    ),
    (
        <marketplace::InstallFromGit as ServerFn>::PATH,
        &ops::marketplace::INSTALL_FROM_GIT,
    ),
    (
        <marketplace::ListApps as ServerFn>::PATH,
        &ops::marketplace::LIST_APPS,
    ),
    (
        <marketplace::AppUpdatePreview as ServerFn>::PATH,
        &ops::marketplace::UPDATE_PREVIEW,
    ),
    (
        <marketplace::UpdateApp as ServerFn>::PATH,
        &ops::marketplace::UPDATE,
    ),
    (
        <marketplace::UninstallApp as ServerFn>::PATH,
        &ops::marketplace::UNINSTALL,
    ),
    (
        <marketplace::ApproveApp as ServerFn>::PATH,
        &ops::marketplace::APPROVE,
    ),
    (
        <marketplace::ListReviews as ServerFn>::PATH,
        &ops::marketplace::LIST_REVIEWS,
    ),
    (
        <marketplace::SaveReview as ServerFn>::PATH,
        &ops::marketplace::SAVE_REVIEW,
    ),
    (
        <marketplace::DeleteReview as ServerFn>::PATH,
        &ops::marketplace::DELETE_REVIEW,
    ),
    (
        <marketplace::VoteReview as ServerFn>::PATH,
        &ops::marketplace::VOTE_REVIEW,
    ),
    (
        <system::GetSystemInfo as ServerFn>::PATH,
        &ops::system::INFO,
    ),
    (
        <system::GetEngineStatus as ServerFn>::PATH,
        &ops::system::ENGINE_STATUS,
    ),
    (
        <workspaces::MyWorkspaces as ServerFn>::PATH,
        &ops::workspaces::MINE,
    ),
    (
        <workspaces::SwitchWorkspace as ServerFn>::PATH,
        &ops::workspaces::SWITCH,
    ),
    (
        <workspaces::CreateWorkspace as ServerFn>::PATH,
        &ops::workspaces::CREATE,
    ),
    (
        <workspaces::GetWorkspace as ServerFn>::PATH,
        &ops::workspaces::GET,
    ),
    (
        <workspaces::RenameWorkspace as ServerFn>::PATH,
        &ops::workspaces::RENAME,
    ),
    (
        <workspaces::DeleteWorkspace as ServerFn>::PATH,
        &ops::workspaces::DELETE,
    ),
    (
        <workspaces::ListMembers as ServerFn>::PATH,
        &ops::workspaces::LIST_MEMBERS,
    ),
    (
        <workspaces::SetMemberRole as ServerFn>::PATH,
        &ops::workspaces::SET_MEMBER_ROLE,
    ),
    (
        <workspaces::RemoveMember as ServerFn>::PATH,
        &ops::workspaces::REMOVE_MEMBER,
    ),
    (
        <workspaces::LeaveWorkspace as ServerFn>::PATH,
        &ops::workspaces::LEAVE,
    ),
    (
        <workspaces::ListInvitations as ServerFn>::PATH,
        &ops::workspaces::LIST_INVITATIONS,
    ),
    (
        <workspaces::CreateInvitation as ServerFn>::PATH,
        &ops::workspaces::CREATE_INVITATION,
    ),
    (
        <workspaces::RevokeInvitation as ServerFn>::PATH,
        &ops::workspaces::REVOKE_INVITATION,
    ),
    (
        <workspaces::CheckInvitation as ServerFn>::PATH,
        &ops::workspaces::CHECK_INVITATION,
    ),
    (
        <workspaces::AcceptInvitation as ServerFn>::PATH,
        &ops::workspaces::ACCEPT_INVITATION,
    ),
];

#[cfg(feature = "ssr")]
/// The operation of the server function at `path`, if declared.
pub fn server_fn_op(path: &str) -> Option<&'static Op> {
    SERVER_FNS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, op)| *op)
}
