//! Registry credentials per workspace (passwords encrypted with the [`Vault`]) and image pulls
//! with per-layer progress, using the workspace's credentials for the image's registry.

use std::collections::BTreeMap;

use bollard::auth::DockerCredentials;
use bollard::query_parameters::CreateImageOptions;
use futures::StreamExt;

use crate::clock::now_ms;
use crate::db::{Database, DbError};
use crate::docker::Dirty;
use crate::docker::{DockerEngine, DockerError};
pub use crate::model::resources::{LayerProgress, PullProgress, RegistryCredential};
use crate::on_pool;
use crate::vault::{Vault, VaultError};

/// Docker Hub, for references without a registry host.
pub const DOCKER_HUB: &str = "docker.io";

/// Errors of credentials and pulls.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("no such registry credential")]
    NotFound,
    /// The pull failed: the image and the registry's (or engine's) answer.
    #[error("pulling {image} failed: {message}")]
    Pull { image: String, message: String },
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Docker(#[from] DockerError),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::query_error_is_db!(RegistryError);

fn invalid(field: &str, message: impl Into<String>) -> RegistryError {
    RegistryError::Invalid {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The registry an image reference points at: its first path component when that looks like a
/// host (has a `.` or `:`, or is `localhost`), else Docker Hub.
pub fn registry_of(reference: &str) -> String {
    match reference.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first.to_owned(),
        _ => DOCKER_HUB.to_owned(),
    }
}

/// Splits `name[:tag][@digest]` into what the engine's pull wants: the name and the tag (or
/// digest); `latest` when neither is given.
pub fn split_reference(reference: &str) -> Result<(String, String), RegistryError> {
    let reference = reference.trim();
    if reference.is_empty()
        || reference.chars().any(char::is_whitespace)
        || reference.starts_with(['-', '/', ':', '@'])
    {
        return Err(invalid(
            "reference",
            format!(
                "{reference:?} is not an image reference like nginx:1.27 or ghcr.io/org/app:tag"
            ),
        ));
    }
    if let Some((name, digest)) = reference.split_once('@') {
        return Ok((name.to_owned(), digest.to_owned()));
    }
    // A `:` after the last `/` is a tag (one before it is a registry port).
    let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[last_slash..].rfind(':') {
        Some(i) => {
            let at = last_slash + i;
            let (name, tag) = (&reference[..at], &reference[at + 1..]);
            if tag.is_empty() {
                return Err(invalid("reference", "the tag after `:` is empty"));
            }
            Ok((name.to_owned(), tag.to_owned()))
        }
        None => Ok((reference.to_owned(), "latest".to_owned())),
    }
}

/// Stored credentials, encrypted with the vault.
#[derive(Clone)]
pub struct Registries {
    db: Database,
    vault: Vault,
}

impl Registries {
    pub fn new(db: Database, vault: Vault) -> Self {
        Self { db, vault }
    }

    fn context(workspace: &str, registry: &str) -> String {
        format!("registry:{workspace}:{registry}")
    }

    /// The workspace's credentials, by registry.
    pub async fn list(&self, workspace: &str) -> Result<Vec<RegistryCredential>, RegistryError> {
        let rows: Vec<(String, String, String, i64)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT id, registry, username, created_at FROM registry_credentials \
                 WHERE workspace_id = $1 ORDER BY registry",
            )
            .bind(workspace)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, registry, username, created_at)| RegistryCredential {
                id,
                registry,
                username,
                created_at,
            })
            .collect())
    }

    /// Saves (or replaces) the workspace's credential for a registry.
    pub async fn save(
        &self,
        workspace: &str,
        registry: &str,
        username: &str,
        password: &str,
        actor: &str,
    ) -> Result<RegistryCredential, RegistryError> {
        let registry = registry.trim().trim_end_matches('/').to_ascii_lowercase();
        let registry = registry
            .strip_prefix("https://")
            .or_else(|| registry.strip_prefix("http://"))
            .unwrap_or(&registry)
            .to_owned();
        let host_ok = !registry.is_empty()
            && !registry.contains('/')
            && registry
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        if !host_ok {
            return Err(invalid(
                "registry",
                "a registry host such as ghcr.io or registry.example.com:5000",
            ));
        }
        let username = username.trim();
        if username.is_empty() || username.len() > 200 {
            return Err(invalid("username", "a user name is required"));
        }
        if password.is_empty() || password.len() > 4096 {
            return Err(invalid(
                "password",
                "a password or access token is required",
            ));
        }
        let sealed = self
            .vault
            .seal(password, &Self::context(workspace, &registry))?;
        let id = uuid::Uuid::now_v7().to_string();
        let at = now_ms();
        on_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO registry_credentials \
                 (id, workspace_id, registry, username, secret, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (workspace_id, registry) DO UPDATE SET username = excluded.username, \
                 secret = excluded.secret, created_at = excluded.created_at, \
                 created_by = excluded.created_by",
            )
            .bind(&id)
            .bind(workspace)
            .bind(&registry)
            .bind(username)
            .bind(&sealed)
            .bind(at)
            .bind(actor)
            .execute(pool)
            .await?
            .rows_affected()
        });
        self.list(workspace)
            .await?
            .into_iter()
            .find(|c| c.registry == registry)
            .ok_or(RegistryError::NotFound)
    }

    /// Deletes one of the workspace's credentials.
    pub async fn remove(&self, workspace: &str, id: &str) -> Result<(), RegistryError> {
        let gone = on_pool!(&self.db, |pool| {
            sqlx::query("DELETE FROM registry_credentials WHERE workspace_id = $1 AND id = $2")
                .bind(workspace)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if gone == 0 {
            return Err(RegistryError::NotFound);
        }
        Ok(())
    }

    /// The workspace's credentials for the registry of `reference`, decrypted.
    pub async fn credentials_for(
        &self,
        workspace: &str,
        reference: &str,
    ) -> Result<Option<DockerCredentials>, RegistryError> {
        let registry = registry_of(reference);
        let row: Option<(String, String)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT username, secret FROM registry_credentials \
                 WHERE workspace_id = $1 AND registry = $2",
            )
            .bind(workspace)
            .bind(&registry)
            .fetch_optional(pool)
            .await?
        });
        let Some((username, sealed)) = row else {
            return Ok(None);
        };
        let password = self
            .vault
            .open_sealed(&sealed, &Self::context(workspace, &registry))?;
        Ok(Some(DockerCredentials {
            username: Some(username),
            password: Some(password),
            serveraddress: Some(registry),
            ..Default::default()
        }))
    }
}

impl DockerEngine {
    /// Pulls an image, calling `report` with the whole progress after each engine message.
    /// A failure names the image and the registry's (or engine's) answer.
    pub async fn pull_image(
        &self,
        progress: &mut PullProgress,
        credentials: Option<DockerCredentials>,
        mut report: impl FnMut(&PullProgress),
    ) -> Result<(), RegistryError> {
        let (name, tag) = split_reference(&progress.reference)?;
        let docker = self.client()?;
        let mut stream = docker.create_image(
            Some(CreateImageOptions {
                from_image: Some(name),
                tag: Some(tag),
                ..Default::default()
            }),
            None,
            credentials,
        );
        let mut layers: BTreeMap<String, LayerProgress> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut failure: Option<String> = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(message) = info.error_detail.and_then(|d| d.message) {
                        failure = Some(message);
                        break;
                    }
                    let status = info.status.unwrap_or_default();
                    match info
                        .id
                        .filter(|id| !id.is_empty() && status != "Pulling from")
                    {
                        Some(id) if !status.starts_with("Pulling from") => {
                            let detail = info.progress_detail.unwrap_or_default();
                            let layer = layers.entry(id.clone()).or_insert_with(|| {
                                order.push(id.clone());
                                LayerProgress {
                                    id,
                                    status: String::new(),
                                    current: 0,
                                    total: 0,
                                }
                            });
                            layer.status = status;
                            if let Some(total) = detail.total.filter(|t| *t > 0) {
                                layer.total = total;
                            }
                            if let Some(current) = detail.current {
                                layer.current = current;
                            }
                            if layer.status == "Pull complete" || layer.status == "Already exists" {
                                layer.current = layer.total;
                            }
                        }
                        _ => progress.status = status,
                    }
                    progress.layers = order
                        .iter()
                        .filter_map(|id| layers.get(id).cloned())
                        .collect();
                    report(progress);
                }
                Err(bollard::errors::Error::DockerResponseServerError { message, .. }) => {
                    failure = Some(message);
                    break;
                }
                Err(e) => {
                    failure = Some(e.to_string());
                    break;
                }
            }
        }
        progress.done = true;
        progress.error = failure.clone().map(|message| {
            format!(
                "pulling {} from {} failed: {message}",
                progress.reference,
                registry_of(&progress.reference)
            )
        });
        report(progress);
        if let Err(e) = self.refresh_objects(Dirty::IMAGES).await {
            tracing::debug!(error = %e, "image list refresh after a pull failed");
        }
        match failure {
            None => Ok(()),
            Some(message) => Err(RegistryError::Pull {
                image: progress.reference.clone(),
                message,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_their_registry_and_tag() {
        assert_eq!(registry_of("nginx"), "docker.io");
        assert_eq!(registry_of("library/nginx:1.27"), "docker.io");
        assert_eq!(registry_of("ghcr.io/org/app:v1"), "ghcr.io");
        assert_eq!(registry_of("127.0.0.1:5000/app"), "127.0.0.1:5000");
        assert_eq!(registry_of("localhost/app"), "localhost");
        let split = |r: &str| split_reference(r).expect("valid");
        assert_eq!(split("nginx"), ("nginx".into(), "latest".into()));
        assert_eq!(split("nginx:1.27"), ("nginx".into(), "1.27".into()));
        assert_eq!(
            split("127.0.0.1:5000/app"),
            ("127.0.0.1:5000/app".into(), "latest".into())
        );
        assert_eq!(
            split("127.0.0.1:5000/app:v2"),
            ("127.0.0.1:5000/app".into(), "v2".into())
        );
        assert_eq!(split("app@sha256:abc"), ("app".into(), "sha256:abc".into()));
        assert!(split_reference("bad ref").is_err());
        assert!(split_reference("app:").is_err());
    }
}
