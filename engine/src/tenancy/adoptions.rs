//! Adopting unmanaged Docker objects into a workspace. An object's labels cannot change after
//! it is created, so the adoption is a row in the database, and the engine's live state counts
//! it as the object's owner wherever the label is missing.

use crate::clock::now_ms;
use crate::db::{Database, DbError};
use crate::docker::DockerEngine;
use crate::on_pool;

/// Kinds of object that can be adopted.
pub const KINDS: [&str; 3] = ["container", "network", "volume"];

/// Errors of adoption.
#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
    #[error("kind: {0:?} is not one of container, network, volume")]
    BadKind(String),
    #[error("no such {0}")]
    NotFound(String),
    /// It already belongs to a workspace (by label or an earlier adoption).
    #[error("this {kind} already belongs to workspace {workspace}")]
    Owned { kind: String, workspace: String },
    #[error("no such workspace")]
    NoWorkspace,
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::query_error_is_db!(AdoptError);

/// Stored adoptions.
#[derive(Clone)]
pub struct Adoptions {
    db: Database,
}

impl Adoptions {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Hands every stored adoption to the engine's live state (at start-up).
    pub async fn load_into(&self, docker: &DockerEngine) -> Result<(), AdoptError> {
        let rows: Vec<(String, String)> = on_pool!(&self.db, |pool| {
            sqlx::query_as("SELECT object_id, workspace_id FROM adopted_objects")
                .fetch_all(pool)
                .await?
        });
        docker.set_adopted(rows);
        Ok(())
    }

    /// Adopts an unmanaged object (found in the live state by id or name) into `workspace`,
    /// records it, and updates the live state. Returns the object's id (name for volumes).
    pub async fn adopt(
        &self,
        docker: &DockerEngine,
        kind: &str,
        key: &str,
        workspace: &str,
        actor: &str,
    ) -> Result<String, AdoptError> {
        let (id, owner) = match kind {
            "container" => docker.containers().find(key).map(|c| (c.id, c.workspace)),
            "network" => docker
                .networks()
                .iter()
                .find(|n| n.id == key || n.name == key)
                .map(|n| (n.id.clone(), n.workspace.clone())),
            "volume" => docker
                .volumes()
                .iter()
                .find(|v| v.name == key)
                .map(|v| (v.name.clone(), v.workspace.clone())),
            other => return Err(AdoptError::BadKind(other.to_owned())),
        }
        .ok_or_else(|| AdoptError::NotFound(kind.to_owned()))?;
        if let Some(workspace) = owner {
            return Err(AdoptError::Owned {
                kind: kind.to_owned(),
                workspace,
            });
        }
        let exists: Option<(String,)> = on_pool!(&self.db, |pool| {
            sqlx::query_as("SELECT id FROM workspaces WHERE id = $1")
                .bind(workspace)
                .fetch_optional(pool)
                .await?
        });
        if exists.is_none() {
            return Err(AdoptError::NoWorkspace);
        }
        on_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO adopted_objects (kind, object_id, workspace_id, adopted_at, adopted_by) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(kind)
            .bind(&id)
            .bind(workspace)
            .bind(now_ms())
            .bind(actor)
            .execute(pool)
            .await?
            .rows_affected()
        });
        docker.adopt(kind, &id, workspace).await;
        Ok(id)
    }
}
