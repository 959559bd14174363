//! Registry credentials of a workspace (owners manage them; passwords are encrypted at rest and
//! never sent back) and image pulls, whose progress is pushed on the live websocket to the
//! workspace's members. What each function needs is declared in [`crate::access::SERVER_FNS`].

use engine::resources::RegistryCredential;
use leptos::prelude::*;

use crate::error::AppError;

#[cfg(feature = "ssr")]
impl From<engine::registries::RegistryError> for AppError {
    fn from(e: engine::registries::RegistryError) -> Self {
        use engine::registries::RegistryError;
        match e {
            RegistryError::Invalid { field, message } => Self::Invalid { field, message },
            RegistryError::NotFound => Self::NotFound("registry credential".into()),
            e @ RegistryError::Pull { .. } => Self::Docker {
                message: e.to_string(),
                status: 502,
            },
            RegistryError::Docker(e) => e.into(),
            RegistryError::Db(e) => e.into(),
            other => {
                tracing::error!(error = ?other, "registry credentials failed");
                Self::Internal
            }
        }
    }
}

/// The workspace's registry credentials (never their passwords).
#[server(endpoint = "list_registry_credentials", output = crate::api::codec::Json)]
pub async fn list_registry_credentials(
    workspace: String,
) -> Result<Vec<RegistryCredential>, AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::auth::RequestCtx::authorize::<ListRegistryCredentials>(Some(&workspace))
                    .await?;
            Ok(ctx.state.registries.list(&workspace).await?)
        }
        .await,
    )
}

/// Saves (or replaces) the workspace's credential for a registry.
#[server(endpoint = "save_registry_credential", output = crate::api::codec::Json)]
pub async fn save_registry_credential(
    workspace: String,
    registry: String,
    username: String,
    password: String,
) -> Result<RegistryCredential, AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::auth::RequestCtx::authorize::<SaveRegistryCredential>(Some(&workspace))
                    .await?;
            let result = ctx
                .state
                .registries
                .save(&workspace, &registry, &username, &password, &ctx.actor())
                .await;
            ctx.audited(
                "registry.save",
                Some(format!("registry:{}", registry.trim())),
                result,
            )
            .await
        }
        .await,
    )
}

/// Deletes one of the workspace's registry credentials.
#[server(endpoint = "remove_registry_credential", output = crate::api::codec::Json)]
pub async fn remove_registry_credential(workspace: String, id: String) -> Result<(), AppError> {
    crate::auth::reply(
        async {
            let ctx =
                crate::auth::RequestCtx::authorize::<RemoveRegistryCredential>(Some(&workspace))
                    .await?;
            let result = ctx.state.registries.remove(&workspace, &id).await;
            ctx.audited("registry.remove", Some(format!("registry:{id}")), result)
                .await
        }
        .await,
    )
}

/// Starts pulling an image for a workspace (with its credentials for the image's registry).
/// Answers the pull's id at once; progress arrives on the live websocket, and the outcome is
/// audited when it ends.
#[server(endpoint = "pull_image", output = crate::api::codec::Json)]
pub async fn pull_image(workspace: String, reference: String) -> Result<String, AppError> {
    crate::auth::reply(
        async {
            let ctx = crate::auth::RequestCtx::authorize::<PullImage>(Some(&workspace)).await?;
            let audit = engine::audit::Entry {
                actor: ctx.actor(),
                workspace: Some(workspace.clone()),
                action: "image.pull".into(),
                target: Some(format!("image:{}", reference.trim())),
                reason: None,
                request_id: ctx.request_id.clone(),
                source_ip: Some(ctx.address.clone()),
            };
            start_pull(&ctx.state, &workspace, &reference, audit).await
        }
        .await,
    )
}

/// Checks the reference, then pulls in the background, pushing progress to the workspace's
/// viewers and auditing the outcome (`audit` is the record to write, without its reason).
/// Shared with the REST route.
#[cfg(feature = "ssr")]
pub async fn start_pull(
    state: &crate::state::AppState,
    workspace: &str,
    reference: &str,
    audit: engine::audit::Entry,
) -> Result<String, AppError> {
    use engine::audit::Outcome;
    use engine::registries::PullProgress;
    let reference = reference.trim().to_owned();
    engine::registries::split_reference(&reference)?;
    let credentials = state
        .registries
        .credentials_for(workspace, &reference)
        .await?;
    let id = format!("pull-{}", engine::db::now_ms());
    let mut progress = PullProgress {
        id: id.clone(),
        reference,
        workspace: workspace.to_owned(),
        layers: Vec::new(),
        status: "Starting".into(),
        done: false,
        error: None,
    };
    let state = state.clone();
    tokio::spawn(async move {
        let pulls = state.docker.objects().pulls.clone();
        let _ = pulls.send(progress.clone());
        let result = state
            .docker
            .pull_image(&mut progress, credentials, |p| {
                let _ = pulls.send(p.clone());
            })
            .await;
        let (outcome, reason) = match &result {
            Ok(()) => (Outcome::Ok, None),
            Err(e) => (Outcome::Failed, Some(e.to_string())),
        };
        let entry = engine::audit::Entry { reason, ..audit };
        if let Err(e) = state.audit.record(&entry, outcome).await {
            tracing::error!(error = %e, "could not write the audit record of a pull");
        }
    });
    Ok(id)
}
