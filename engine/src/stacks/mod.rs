//! Stacks: a folder `<data dir>/stacks/<workspace>/<name>/` with `compose.yaml` and `.env` (so
//! the Compose CLI or any editor can work on it), and in the database who made it, every saved
//! revision and every deploy with its progress events.
//!
//! Operations (deploy, stop, start, restart, down, pull) are checked before anything happens:
//! a file with errors, or one the workspace's security policy refuses, is answered with its
//! diagnostics and nothing is touched. One operation runs at a time per stack.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use compose::ProjectName;
use compose::diag::Diagnostic;
use compose::load::{Loaded, Options, environment_from_dotenv, join_path, load};
use compose::policy::{SecurityPolicy, check_project};
use compose::yaml::Limits;
use tokio::sync::{broadcast, oneshot};

use crate::clock::now_ms;
use crate::db::{Database, DbError};
use crate::docker::DockerEngine;
use crate::docker::registries::Registries;
use crate::model::ids::{StackId, WorkspaceId};
use crate::on_pool;
pub mod deploy;
mod operations;

use crate::model::resources::{
    DeployBrief, DeployEvent, DeployRecord, Revision, RevisionBrief, StackDetail, StackSummary,
    UnmanagedProject,
};

/// Largest compose or `.env` file accepted.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Errors of stack storage and operations.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("no such stack")]
    NotFound,
    #[error("no revision {0} of this stack")]
    NoRevision(i64),
    /// The stack exists but has no operation with this id.
    #[error("no such operation on this stack")]
    NoDeploy,
    #[error("the name {0:?} is already used by a stack or a Compose project on this server")]
    NameTaken(String),
    /// The files have errors (or the policy refuses them); nothing was changed.
    #[error("{}", summarize(.0))]
    Diagnostics(Vec<Diagnostic>),
    #[error("another operation on this stack is still running")]
    Busy,
    #[error("the stack still has containers; take it down first")]
    HasContainers,
    #[error("stack files: {0}")]
    Files(String),
    #[error(transparent)]
    Docker(#[from] crate::docker::DockerError),
    #[error(transparent)]
    Db(#[from] DbError),
}

fn summarize(diags: &[Diagnostic]) -> String {
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    match errors.len() {
        0 => "the compose file has problems".into(),
        1 => errors[0].clone(),
        n => format!("{} (and {} more)", errors[0], n - 1),
    }
}

crate::query_error_is_db!(StackError);

fn invalid(field: &str, message: impl Into<String>) -> StackError {
    StackError::Invalid {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Deploy,
    Stop,
    Start,
    Restart,
    Down,
    Pull,
}

impl Operation {
    /// The name used in records and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deploy => "deploy",
            Self::Stop => "stop",
            Self::Start => "start",
            Self::Restart => "restart",
            Self::Down => "down",
            Self::Pull => "pull",
        }
    }

    /// Parses a name from a request.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Deploy,
            Self::Stop,
            Self::Start,
            Self::Restart,
            Self::Down,
            Self::Pull,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// How to run an operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OperationRequest {
    /// Deploy this saved revision (a rollback) instead of the current files.
    pub revision: Option<i64>,
    pub remove_orphans: bool,
    pub force_recreate: bool,
    /// `down`: remove the project's volumes too.
    pub volumes: bool,
}

/// A stack row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StackRow {
    pub id: StackId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub deployed_revision: Option<i64>,
}

/// A stack to create, with its first revision's files.
#[derive(Debug, Clone, Copy)]
pub struct NewStack<'a> {
    pub workspace: &'a WorkspaceId,
    pub name: &'a str,
    pub compose: &'a str,
    /// The `.env` file (may be empty).
    pub env: &'a str,
}

const ROW: &str =
    "SELECT id, workspace_id, name, created_at, updated_at, deployed_revision FROM stacks";

/// A running operation: its record, and the way to wait for its end.
pub struct Running {
    pub brief: DeployBrief,
    pub done: oneshot::Receiver<DeployRecord>,
}

/// Stacks on disk and in the database, and their operations.
#[derive(Clone)]
pub struct Stacks {
    db: Database,
    root: PathBuf,
    docker: DockerEngine,
    registries: Registries,
    /// Stack ids with an operation under way.
    busy: Arc<Mutex<HashMap<StackId, String>>>,
    /// Stack id and name → owning workspace, for permission checks that must not wait.
    owners: Arc<RwLock<HashMap<String, WorkspaceId>>>,
    /// Every deploy event, with the stack's id and workspace, for live views.
    events: broadcast::Sender<(StackId, WorkspaceId, DeployEvent)>,
    wait_timeout: Duration,
}

impl Stacks {
    /// Stacks kept under `<data_dir>/stacks`.
    pub fn new(
        db: Database,
        data_dir: &Path,
        docker: DockerEngine,
        registries: Registries,
    ) -> Self {
        Self {
            db,
            root: data_dir.join("stacks"),
            docker,
            registries,
            busy: Arc::new(Mutex::new(HashMap::new())),
            owners: Arc::new(RwLock::new(HashMap::new())),
            events: broadcast::channel(1024).0,
            wait_timeout: Duration::from_secs(300),
        }
    }

    /// Every deploy event as it happens: (stack id, workspace id, event).
    pub fn subscribe(&self) -> broadcast::Receiver<(StackId, WorkspaceId, DeployEvent)> {
        self.events.subscribe()
    }

    /// The folder of a stack.
    pub fn folder(&self, stack: &StackRow) -> PathBuf {
        self.root
            .join(stack.workspace_id.as_str())
            .join(&stack.name)
    }

    /// The workspace owning the stack with this id or name, if there is one.
    pub fn owner(&self, key: &str) -> Option<WorkspaceId> {
        self.owners.read().ok()?.get(key).cloned()
    }

    fn note_owner(&self, stack: &StackRow, present: bool) {
        if let Ok(mut owners) = self.owners.write() {
            for key in [stack.id.as_str(), stack.name.as_str()] {
                if present {
                    owners.insert(key.to_owned(), stack.workspace_id.clone());
                } else {
                    owners.remove(key);
                }
            }
        }
    }

    /// Loads who owns each stack (at start-up), and marks operations a previous process left
    /// running as failed. Returns how many were.
    pub async fn load(&self) -> Result<u64, StackError> {
        for stack in self.rows(None).await? {
            self.note_owner(&stack, true);
        }
        self.recover().await
    }

    /// Marks operations left `running` by a previous process (killed mid-deploy) as failed.
    pub async fn recover(&self) -> Result<u64, StackError> {
        let done = on_pool!(&self.db, |pool| {
            sqlx::query(
                "UPDATE stack_deploys SET status = 'failed', finished_at = $1, \
                 error = 'Orbitr stopped while this operation was running; deploy again to converge' \
                 WHERE status = 'running'",
            )
            .bind(now_ms())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done)
    }

    /// All stacks, or those of the given workspaces.
    pub async fn rows(&self, workspaces: Option<&[String]>) -> Result<Vec<StackRow>, StackError> {
        let rows: Vec<StackRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(&format!("{ROW} ORDER BY name"))
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .filter(|r| workspaces.is_none_or(|ws| ws.iter().any(|w| *w == r.workspace_id)))
            .collect())
    }

    /// One stack by id or by name.
    pub async fn get(&self, key: &str) -> Result<StackRow, StackError> {
        let found: Option<StackRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(&format!("{ROW} WHERE id = $1 OR name = $1"))
                .bind(key)
                .fetch_optional(pool)
                .await?
        });
        found.ok_or(StackError::NotFound)
    }

    /// The stack's line in lists: services of its latest revision and containers from the live
    /// state.
    pub async fn summary(&self, stack: &StackRow) -> Result<StackSummary, StackError> {
        let latest = self.latest(&stack.id).await?;
        let services = load("compose.yaml", &latest.compose, &Options::default())
            .project
            .map(|p| p.services.into_keys().collect())
            .unwrap_or_default();
        let containers = self
            .docker
            .containers()
            .filtered(|c| c.stack.as_deref() == Some(stack.name.as_str()));
        let running = containers.iter().filter(|c| c.is_up()).count();
        let last_deploy = self.deploys(&stack.id, 1).await?.into_iter().next();
        Ok(StackSummary {
            id: stack.id.to_string(),
            name: stack.name.clone(),
            workspace: stack.workspace_id.to_string(),
            services,
            running: u32::try_from(running).unwrap_or(u32::MAX),
            containers: u32::try_from(containers.len()).unwrap_or(u32::MAX),
            revision: latest.number,
            deployed_revision: stack.deployed_revision,
            updated_at: stack.updated_at,
            last_deploy,
        })
    }

    /// The stack with its current files (as on disk) and revisions.
    pub async fn detail(&self, stack: &StackRow) -> Result<StackDetail, StackError> {
        let (compose, env) = self.files(stack).await?;
        let deployed_compose = match stack.deployed_revision {
            Some(n) => Some(self.revision(&stack.id, n).await?.compose),
            None => None,
        };
        Ok(StackDetail {
            summary: self.summary(stack).await?,
            compose,
            env,
            deployed_compose,
            revisions: self.revisions(&stack.id).await?,
        })
    }

    /// Creates a stack with its first revision, by `actor` (as audit records name them).
    pub async fn create(&self, new: NewStack<'_>, actor: &str) -> Result<StackRow, StackError> {
        let NewStack {
            workspace,
            name,
            compose,
            env,
        } = new;
        let name = ProjectName::parse(name.trim()).map_err(|e| invalid("name", e.to_string()))?;
        if name.as_str() == "unmanaged" {
            // `/api/v1/stacks/unmanaged` lists the projects no stack holds.
            return Err(invalid(
                "name",
                "\"unmanaged\" is reserved; choose another name",
            ));
        }
        check_size("compose", compose)?;
        check_size("env", env)?;
        if self.get(name.as_str()).await.is_ok()
            || !self
                .docker
                .observe_project(name.as_str())
                .await?
                .containers
                .is_empty()
        {
            return Err(StackError::NameTaken(name.to_string()));
        }
        let stack = self.insert(workspace, name.as_str(), actor).await?;
        if let Err(e) = self.save(&stack, compose, env, actor).await {
            let _ = self.forget(&stack).await;
            return Err(e);
        }
        self.get(&stack.id).await
    }

    /// Inserts the stack's row (no revision yet) and notes its owner.
    async fn insert(
        &self,
        workspace: &str,
        name: &str,
        actor: &str,
    ) -> Result<StackRow, StackError> {
        let id = uuid::Uuid::now_v7().to_string();
        let now = now_ms();
        let inserted = on_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO stacks (id, workspace_id, name, created_at, created_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $4)",
            )
            .bind(&id)
            .bind(workspace)
            .bind(name)
            .bind(now)
            .bind(actor)
            .execute(pool)
            .await
            .map(|_| ())
        });
        if let Err(e) = inserted {
            return Err(match e {
                sqlx::Error::Database(d) if d.is_unique_violation() => {
                    StackError::NameTaken(name.to_owned())
                }
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                    invalid("workspace", "no such workspace")
                }
                e => e.into(),
            });
        }
        let stack = self.get(&id).await?;
        self.note_owner(&stack, true);
        Ok(stack)
    }

    async fn forget(&self, stack: &StackRow) -> Result<(), StackError> {
        self.note_owner(stack, false);
        on_pool!(&self.db, |pool| {
            sqlx::query("DELETE FROM stacks WHERE id = $1")
                .bind(&stack.id)
                .execute(pool)
                .await?;
        });
        let _ = tokio::fs::remove_dir_all(self.folder(stack)).await;
        Ok(())
    }

    /// Saves new files as the next revision and writes them to the stack's folder. Returns the
    /// revision number. The old files stay until the new ones are completely written.
    pub async fn save(
        &self,
        stack: &StackRow,
        compose: &str,
        env: &str,
        actor: &str,
    ) -> Result<i64, StackError> {
        check_size("compose", compose)?;
        check_size("env", env)?;
        if let Err(d) = environment_from_dotenv(env, &BTreeMap::new()) {
            return Err(StackError::Diagnostics(vec![d]));
        }
        let now = now_ms();
        let number: i64 = on_pool!(&self.db, |pool| {
            let (max,): (Option<i64>,) =
                sqlx::query_as("SELECT MAX(number) FROM stack_revisions WHERE stack_id = $1")
                    .bind(&stack.id)
                    .fetch_one(pool)
                    .await?;
            let number = max.unwrap_or(0) + 1;
            sqlx::query(
                "INSERT INTO stack_revisions (stack_id, number, compose, env, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&stack.id)
            .bind(number)
            .bind(compose)
            .bind(env)
            .bind(now)
            .bind(actor)
            .execute(pool)
            .await?;
            sqlx::query("UPDATE stacks SET updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(&stack.id)
                .execute(pool)
                .await?;
            number
        });
        let folder = self.folder(stack);
        let written = async {
            crate::private::private_dir(&folder)?;
            write_atomic(&folder.join("compose.yaml"), compose).await?;
            write_atomic(&folder.join(".env"), env).await
        }
        .await;
        if let Err(e) = written {
            on_pool!(&self.db, |pool| {
                sqlx::query("DELETE FROM stack_revisions WHERE stack_id = $1 AND number = $2")
                    .bind(&stack.id)
                    .bind(number)
                    .execute(pool)
                    .await?;
            });
            return Err(StackError::Files(format!("{}: {e}", folder.display())));
        }
        Ok(number)
    }

    /// The files as they are on disk (edited by Orbitr, an editor or the CLI); the latest
    /// revision's when the folder is missing.
    pub async fn files(&self, stack: &StackRow) -> Result<(String, String), StackError> {
        let folder = self.folder(stack);
        let compose = tokio::fs::read_to_string(folder.join("compose.yaml")).await;
        let env = tokio::fs::read_to_string(folder.join(".env")).await;
        match (compose, env) {
            (Ok(c), Ok(e)) => Ok((c, e)),
            (Ok(c), Err(_)) => Ok((c, String::new())),
            _ => {
                let latest = self.latest(&stack.id).await?;
                Ok((latest.compose, latest.env))
            }
        }
    }

    async fn latest(&self, stack_id: &str) -> Result<Revision, StackError> {
        let row: Option<(i64, String, String, i64, String)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT number, compose, env, created_at, created_by FROM stack_revisions \
                 WHERE stack_id = $1 ORDER BY number DESC LIMIT 1",
            )
            .bind(stack_id)
            .fetch_optional(pool)
            .await?
        });
        let (number, compose, env, created_at, created_by) = row.ok_or(StackError::NotFound)?;
        Ok(Revision {
            number,
            compose,
            env,
            created_at,
            created_by,
        })
    }

    /// Saved revisions, newest first.
    pub async fn revisions(&self, stack_id: &str) -> Result<Vec<RevisionBrief>, StackError> {
        let rows: Vec<(i64, i64, String)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT number, created_at, created_by FROM stack_revisions WHERE stack_id = $1 ORDER BY number DESC",
            )
            .bind(stack_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(number, created_at, created_by)| RevisionBrief {
                number,
                created_at,
                created_by,
                author: None,
            })
            .collect())
    }

    /// One saved revision with its files.
    pub async fn revision(&self, stack_id: &str, number: i64) -> Result<Revision, StackError> {
        let row: Option<(String, String, i64, String)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT compose, env, created_at, created_by FROM stack_revisions WHERE stack_id = $1 AND number = $2",
            )
            .bind(stack_id)
            .bind(number)
            .fetch_optional(pool)
            .await?
        });
        let (compose, env, created_at, created_by) = row.ok_or(StackError::NoRevision(number))?;
        Ok(Revision {
            number,
            compose,
            env,
            created_at,
            created_by,
        })
    }

    /// Deletes a stack that has no containers left: its rows and its folder.
    pub async fn delete(&self, stack: &StackRow) -> Result<(), StackError> {
        if !self
            .docker
            .observe_project(&stack.name)
            .await?
            .containers
            .is_empty()
        {
            return Err(StackError::HasContainers);
        }
        self.forget(stack).await
    }

    /// Loads and checks the stack's files (or a revision's) the way a deploy would.
    pub fn check_files(
        &self,
        stack: &StackRow,
        compose: &str,
        env: &str,
        policy: Option<&SecurityPolicy>,
    ) -> Loaded {
        let folder = self.folder(stack);
        let folder_text = folder.to_string_lossy().into_owned();
        let mut diagnostics = Vec::new();
        let vars = match environment_from_dotenv(
            env,
            &BTreeMap::from([("COMPOSE_PROJECT_NAME".to_owned(), stack.name.clone())]),
        ) {
            Ok(v) => v,
            Err(d) => {
                return Loaded {
                    project: None,
                    diagnostics: vec![d],
                };
            }
        };
        let read = |name: &str| read_within(&folder, name);
        let options = Options {
            limits: Limits {
                max_bytes: MAX_FILE_BYTES,
                ..Limits::default()
            },
            env: vars,
            profiles: Vec::new(),
            project_dir: Some(folder_text),
            read_file: Some(&read),
        };
        let mut loaded = load("compose.yaml", compose, &options);
        if let (Some(project), Some(policy)) = (&mut loaded.project, policy) {
            diagnostics.extend(self.isolation_check(project, policy, stack));
        }
        if loaded
            .project
            .as_ref()
            .is_some_and(|p| p.services.is_empty())
        {
            diagnostics.push(Diagnostic::error(
                "services",
                compose::diag::Pos::new(1, 1),
                "the file defines no service to run",
            ));
        }
        for service in loaded.project.iter().flat_map(|p| p.services.values()) {
            if service.image.is_none() && service.build {
                diagnostics.push(Diagnostic::error(
                    format!("services.{}.build", service.name),
                    service.pos_of("build"),
                    format!(
                        "Orbitr runs images and does not build them: give service {:?} an image built elsewhere (a registry or `docker build`)",
                        service.name
                    ),
                ));
            }
        }
        loaded.diagnostics.extend(diagnostics);
        loaded
    }

    /// What a non-admin's project may not do in its workspace: host access the policy does not
    /// allow (bind sources resolved through links first, and the project changed to mount what
    /// was resolved) and Docker objects of other workspaces.
    fn isolation_check(
        &self,
        project: &mut compose::model::Project,
        policy: &SecurityPolicy,
        stack: &StackRow,
    ) -> Vec<Diagnostic> {
        use crate::tenancy::isolation::{effective_policy, explain_links, is_local_engine};
        let host = self.docker.host();
        let changed = if is_local_engine(host) {
            crate::tenancy::isolation::resolve_bind_sources(project)
        } else {
            Vec::new()
        };
        let mut found = check_project(project, &effective_policy(policy, host));
        explain_links(&mut found, &changed);
        let (refs, wrong) = compose::policy::references(project, &stack.name);
        found.extend(wrong);
        found.extend(self.docker.check_references(&refs, &stack.workspace_id));
        found
    }

    /// Compose projects on the engine that no stack holds.
    pub async fn unmanaged(&self) -> Result<Vec<UnmanagedProject>, StackError> {
        let known: Vec<String> = self.rows(None).await?.into_iter().map(|r| r.name).collect();
        let mut out = Vec::new();
        for (name, containers) in self.docker.compose_projects().await? {
            if known.contains(&name) {
                continue;
            }
            let label = |key: &str| {
                containers
                    .iter()
                    .find_map(|c| c.labels.as_ref().and_then(|l| l.get(key)).cloned())
            };
            let mut services: Vec<String> = containers
                .iter()
                .filter_map(|c| {
                    c.labels
                        .as_ref()
                        .and_then(|l| l.get(crate::model::resources::SERVICE_LABEL))
                        .cloned()
                })
                .collect();
            services.sort();
            services.dedup();
            let running = containers
                .iter()
                .filter(|c| {
                    matches!(
                        c.state,
                        Some(bollard::models::ContainerSummaryStateEnum::RUNNING)
                    )
                })
                .count();
            out.push(UnmanagedProject {
                config_files: label("com.docker.compose.project.config_files"),
                working_dir: label("com.docker.compose.project.working_dir"),
                name,
                services,
                containers: u32::try_from(containers.len()).unwrap_or(u32::MAX),
                running: u32::try_from(running).unwrap_or(u32::MAX),
            });
        }
        Ok(out)
    }

    /// Adopts a Compose project started outside Orbitr into `workspace`: a stack of the same
    /// name with `compose` (or, when `None`, the file the CLI recorded, which must be a Compose
    /// file defining the project's services) and the `.env` beside it; its containers are
    /// adopted at once, and the next deploy recreates them with Orbitr's labels.
    pub async fn adopt(
        &self,
        adoptions: &crate::tenancy::adoptions::Adoptions,
        workspace: &str,
        name: &str,
        compose: Option<&str>,
        actor: &str,
    ) -> Result<StackRow, StackError> {
        let project = self
            .unmanaged()
            .await?
            .into_iter()
            .find(|p| p.name == name)
            .ok_or(StackError::NotFound)?;
        let (compose, env) = match compose {
            Some(text) => (text.to_owned(), String::new()),
            None => recorded_files(&project)?,
        };
        let stack = self.insert(workspace, name, actor).await?;
        if let Err(e) = self
            .save(&stack, &compose, &env, &format!("{actor} (adopted)"))
            .await
        {
            let _ = self.forget(&stack).await;
            return Err(e);
        }
        for c in self.docker.observe_project(name).await?.containers {
            // The live state may not have seen a container the CLI just made.
            self.docker.refresh_container(&c.id).await?;
            if let Err(e) = adoptions
                .adopt(&self.docker, "container", &c.id, workspace, actor)
                .await
            {
                tracing::warn!(error = %e, container = %c.name, "container of an adopted project not adopted");
            }
        }
        Ok(stack)
    }
}

/// The compose file (and `.env`) the CLI recorded for a project, when it is a Compose file that
/// defines the project's services: a label alone must not make Orbitr import any host file.
fn recorded_files(project: &UnmanagedProject) -> Result<(String, String), StackError> {
    let path = project
        .config_files
        .as_deref()
        .and_then(|f| f.split(',').next())
        .filter(|p| p.ends_with(".yml") || p.ends_with(".yaml"))
        .ok_or_else(|| invalid("compose", "the project recorded no compose file; paste it"))?;
    let text = std::fs::read_to_string(path).map_err(|e| {
        invalid(
            "compose",
            format!("{path} cannot be read ({e}); paste the file"),
        )
    })?;
    check_size("compose", &text)?;
    let loaded = load(path, &text, &Options::default());
    let defines_all = loaded.project.as_ref().is_some_and(|p| {
        project
            .services
            .iter()
            .all(|s| p.services.contains_key(s) || p.disabled.contains(s))
    });
    if !defines_all {
        return Err(invalid(
            "compose",
            format!("{path} is not a Compose file defining the project's services; paste the file"),
        ));
    }
    let env = project
        .working_dir
        .as_deref()
        .and_then(|dir| std::fs::read_to_string(Path::new(dir).join(".env")).ok())
        .filter(|e| e.len() <= MAX_FILE_BYTES)
        .unwrap_or_default();
    Ok((text, env))
}

fn check_size(field: &str, text: &str) -> Result<(), StackError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(invalid(
            field,
            format!(
                "{} bytes is more than the limit of {MAX_FILE_BYTES}",
                text.len()
            ),
        ));
    }
    Ok(())
}

/// Reads `name` (relative, already joined by the loader) inside `folder` only: a stack cannot
/// read the server's other files through `include`, `extends` or `env_file`.
fn read_within(folder: &Path, name: &str) -> Result<String, String> {
    let relative = join_path("", name);
    if relative.starts_with('/') || relative.starts_with("..") {
        return Err("only files inside the stack's folder can be used".into());
    }
    let path = folder.join(&relative);
    let meta = std::fs::metadata(&path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(format!(
            "{} bytes is more than the limit of {MAX_FILE_BYTES}",
            meta.len()
        ));
    }
    // A link could point outside the folder.
    let real = std::fs::canonicalize(&path).map_err(|e| e.to_string())?;
    let base = std::fs::canonicalize(folder).map_err(|e| e.to_string())?;
    if !real.starts_with(&base) {
        return Err("only files inside the stack's folder can be used".into());
    }
    std::fs::read_to_string(&real).map_err(|e| e.to_string())
}

/// Writes `text` to `path` through a temporary file, readable by Orbitr's user only (the
/// files hold the stack's values, generated passwords included).
async fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("orbitr-tmp");
    tokio::fs::write(&tmp, text).await?;
    crate::private::tighten(&tmp)?;
    tokio::fs::rename(&tmp, path).await
}
