//! Registry credentials per workspace (sealed) and pulling images with them.

use engine::docker::registries::{PullProgress, RegistryError};
use engine::model::resources::RegistryCredential;

use super::{Grant, Op};
use crate::access::Need;
use crate::error::AppError;

impl From<RegistryError> for AppError {
    fn from(e: RegistryError) -> Self {
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

/// A workspace's registry credentials (secrets never shown).
pub static LIST: Op = Op {
    name: "registry.list",
    need: Need::Workspace("registry", "manage"),
};
/// Saving a registry credential (sealed).
pub static SAVE: Op = Op {
    name: "registry.save",
    need: Need::Workspace("registry", "manage"),
};
/// Removing a registry credential.
pub static REMOVE: Op = Op {
    name: "registry.remove",
    need: Need::Workspace("registry", "manage"),
};
/// Pulling an image with the workspace's credentials.
pub static PULL: Op = Op {
    name: "image.pull",
    need: Need::Workspace("image", "pull"),
};

/// The granted workspace's registry credentials (never their passwords).
pub async fn list(grant: &Grant) -> Result<Vec<RegistryCredential>, AppError> {
    grant.expect(&LIST)?;
    Ok(grant.state.registries.list(grant.in_workspace()?).await?)
}

/// Saves (or replaces) the granted workspace's credential for a registry (sealed).
pub async fn save(
    grant: &Grant,
    registry: &str,
    username: &str,
    password: &str,
) -> Result<RegistryCredential, AppError> {
    grant.expect(&SAVE)?;
    let result = grant
        .state
        .registries
        .save(
            grant.in_workspace()?,
            registry,
            username,
            password,
            &grant.actor(),
        )
        .await;
    grant
        .audited(
            "registry.save",
            Some(format!("registry:{}", registry.trim())),
            result,
        )
        .await
}

/// Deletes one of the granted workspace's registry credentials.
pub async fn remove(grant: &Grant, id: &str) -> Result<(), AppError> {
    grant.expect(&REMOVE)?;
    let result = grant
        .state
        .registries
        .remove(grant.in_workspace()?, id)
        .await;
    grant
        .audited("registry.remove", Some(format!("registry:{id}")), result)
        .await
}

/// Checks the reference, then pulls in the background with the granted workspace's credentials
/// for its registry, pushing progress to the workspace's viewers (the live websocket's `pull`
/// messages). Answers the pull's id at once; the outcome is audited when it ends.
pub async fn pull(grant: &Grant, reference: &str) -> Result<String, AppError> {
    grant.expect(&PULL)?;
    let workspace = grant.in_workspace()?.to_owned();
    let reference = reference.trim().to_owned();
    engine::docker::registries::split_reference(&reference)?;
    let credentials = grant
        .state
        .registries
        .credentials_for(&workspace, &reference)
        .await?;
    let id = format!("pull-{}", engine::clock::now_ms());
    let mut progress = PullProgress {
        id: id.clone(),
        reference: reference.clone(),
        workspace: workspace.into(),
        layers: Vec::new(),
        status: "Starting".into(),
        done: false,
        error: None,
    };
    let grant = grant.clone();
    tokio::spawn(async move {
        let pulls = grant.state.docker.objects().pulls.clone();
        let _ = pulls.send(progress.clone());
        let result = grant
            .state
            .docker
            .pull_image(&mut progress, credentials, |p| {
                let _ = pulls.send(p.clone());
            })
            .await;
        let _ = grant
            .audited("image.pull", Some(format!("image:{reference}")), result)
            .await;
    });
    Ok(id)
}
