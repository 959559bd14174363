//! Stack operations: checking and starting one, running it in the background with live
//! events, and the records of past ones.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use compose::plan::ReconcileOptions;
use compose::policy::SecurityPolicy;
use tokio::sync::oneshot;

use super::{Operation, OperationRequest, Running, StackError, StackRow, Stacks};
use crate::clock::now_ms;
use crate::model::resources::{DeployBrief, DeployEvent, DeployPhase, DeployRecord};
use crate::on_pool;
use crate::stacks::deploy::{DeployContext, Reporter, event};

impl Stacks {
    /// Checks and starts an operation; the work goes on in the background. `policy` is `None`
    /// for platform admins. On a check failure nothing is touched and the diagnostics return.
    pub async fn start(
        &self,
        stack: &StackRow,
        operation: Operation,
        request: &OperationRequest,
        policy: Option<&SecurityPolicy>,
        actor: &str,
    ) -> Result<Running, StackError> {
        let needs_files = matches!(operation, Operation::Deploy | Operation::Pull);
        let mut revision = None;
        let mut context = None;
        if needs_files {
            let (compose, env, number) = match request.revision {
                Some(n) => {
                    let r = self.revision(&stack.id, n).await?;
                    (r.compose, r.env, n)
                }
                None => {
                    let (compose, env) = self.files(stack).await?;
                    let latest = self.latest(&stack.id).await?;
                    // Files changed on disk since the last save become a revision of their own.
                    let number = if latest.compose == compose && latest.env == env {
                        latest.number
                    } else {
                        self.save(
                            stack,
                            &compose,
                            &env,
                            &format!("{actor} (files changed on disk)"),
                        )
                        .await?
                    };
                    (compose, env, number)
                }
            };
            if policy.is_some() {
                // The check must see objects made a moment ago, by anyone.
                self.docker.refresh_for_check().await?;
            }
            let loaded = self.check_files(stack, &compose, &env, policy);
            if loaded.has_errors() {
                return Err(StackError::Diagnostics(loaded.diagnostics));
            }
            let project = loaded
                .project
                .ok_or_else(|| StackError::Diagnostics(loaded.diagnostics.clone()))?;
            if request.revision.is_some() {
                // A rollback writes the old files back, so the folder shows what runs.
                self.save(
                    stack,
                    &compose,
                    &env,
                    &format!("{actor} (rollback to revision {number})"),
                )
                .await?;
            }
            let mut credentials = HashMap::new();
            for service in project.services.values() {
                if let Some(image) = &service.image
                    && let Ok(Some(c)) = self
                        .registries
                        .credentials_for(&stack.workspace_id, image)
                        .await
                {
                    credentials.insert(image.clone(), c);
                }
            }
            revision = Some(number);
            context = Some(DeployContext {
                project_name: stack.name.clone(),
                workspace: stack.workspace_id.to_string(),
                project,
                working_dir: self.folder(stack).to_string_lossy().into_owned(),
                options: ReconcileOptions {
                    remove_orphans: request.remove_orphans,
                    force_recreate: request.force_recreate,
                },
                credentials,
                wait_timeout: self.wait_timeout,
            });
        }

        let id = uuid::Uuid::now_v7().to_string();
        {
            let mut busy = self.busy.lock().map_err(|_| StackError::Busy)?;
            if busy.contains_key(&stack.id) {
                return Err(StackError::Busy);
            }
            busy.insert(stack.id.clone(), id.clone());
        }
        let started_at = now_ms();
        let brief = DeployBrief {
            id: id.clone(),
            operation: operation.as_str().to_owned(),
            revision,
            started_at,
            finished_at: None,
            status: "running".into(),
            error: None,
        };
        let inserted = on_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO stack_deploys (id, stack_id, revision, operation, started_at, status, events, started_by) \
                 VALUES ($1, $2, $3, $4, $5, 'running', '[]', $6)",
            )
            .bind(&id)
            .bind(&stack.id)
            .bind(revision)
            .bind(operation.as_str())
            .bind(started_at)
            .bind(actor)
            .execute(pool)
            .await
            .map(|_| ())
        });
        if let Err(e) = inserted {
            self.release(&stack.id);
            return Err(e.into());
        }

        let (done_tx, done_rx) = oneshot::channel();
        let this = self.clone();
        let stack = stack.clone();
        let volumes = request.volumes;
        let brief_for_task = brief.clone();
        tokio::spawn(async move {
            let record = this
                .run(stack, operation, context, volumes, brief_for_task)
                .await;
            let _ = done_tx.send(record);
        });
        Ok(Running {
            brief,
            done: done_rx,
        })
    }

    fn release(&self, stack_id: &str) {
        if let Ok(mut busy) = self.busy.lock() {
            busy.remove(stack_id);
        }
    }

    async fn run(
        &self,
        stack: StackRow,
        operation: Operation,
        context: Option<DeployContext>,
        volumes: bool,
        mut brief: DeployBrief,
    ) -> DeployRecord {
        let log: Arc<Mutex<Vec<DeployEvent>>> = Arc::new(Mutex::new(Vec::new()));
        let reporter: Reporter = {
            let log = Arc::clone(&log);
            let events = self.events.clone();
            let (stack_id, workspace) = (stack.id.clone(), stack.workspace_id.clone());
            Arc::new(move |e: DeployEvent| {
                if let Ok(mut l) = log.lock() {
                    // Pull progress is sampled; the record keeps a bounded history.
                    if l.len() < 5000 {
                        l.push(e.clone());
                    }
                }
                let _ = events.send((stack_id.clone(), workspace.clone(), e));
            })
        };
        let result = match (operation, context) {
            (Operation::Deploy, Some(ctx)) => {
                self.docker.deploy_project(ctx, Arc::clone(&reporter)).await
            }
            (Operation::Pull, Some(ctx)) => {
                let images = ctx
                    .project
                    .services
                    .values()
                    .filter_map(|s| s.image.clone().map(|i| (i, s.name.clone())))
                    .collect();
                self.docker.pull_images(&ctx, images, &reporter).await
            }
            (op, _) => {
                self.docker
                    .project_operation(&stack.name, op.as_str(), volumes, Arc::clone(&reporter))
                    .await
            }
        };
        let (status, error) = match &result {
            Ok(()) => ("succeeded", None),
            Err(e) => ("failed", Some(e.clone())),
        };
        let message = match &error {
            None => format!("{} finished", operation.as_str()),
            Some(e) => format!("{} failed: {e}", operation.as_str()),
        };
        // The end is stored (and the stack freed) before it is announced: whoever reacts to
        // "finished" reads the finished record and may start the next operation.
        let last = event(None, None, DeployPhase::Finished, message);
        let events = log
            .lock()
            .map(|mut l| {
                l.push(last.clone());
                l.clone()
            })
            .unwrap_or_default();
        let finished = now_ms();
        let json = serde_json::to_string(&events).unwrap_or_else(|_| "[]".into());
        let saved = on_pool!(&self.db, |pool| {
            let r = sqlx::query("UPDATE stack_deploys SET status = $1, error = $2, finished_at = $3, events = $4 WHERE id = $5")
                .bind(status)
                .bind(&error)
                .bind(finished)
                .bind(&json)
                .bind(&brief.id)
                .execute(pool)
                .await;
            match (r, operation, status) {
                (Ok(_), Operation::Deploy, "succeeded") => {
                    sqlx::query("UPDATE stacks SET deployed_revision = $1 WHERE id = $2")
                        .bind(brief.revision)
                        .bind(&stack.id)
                        .execute(pool)
                        .await
                        .map(|_| ())
                }
                (Ok(_), Operation::Down, "succeeded") => {
                    sqlx::query("UPDATE stacks SET deployed_revision = NULL WHERE id = $1")
                        .bind(&stack.id)
                        .execute(pool)
                        .await
                        .map(|_| ())
                }
                (r, _, _) => r.map(|_| ()),
            }
        });
        if let Err(e) = saved {
            tracing::error!(error = %e, stack = %stack.name, "recording the end of an operation failed");
        }
        self.release(&stack.id);
        let _ = self
            .events
            .send((stack.id.clone(), stack.workspace_id.clone(), last));
        brief.status = status.into();
        brief.error = error;
        brief.finished_at = Some(finished);
        DeployRecord {
            brief,
            stack: stack.name.clone(),
            events,
        }
    }

    /// The stack's latest operations, newest first.
    pub async fn deploys(
        &self,
        stack_id: &str,
        limit: i64,
    ) -> Result<Vec<DeployBrief>, StackError> {
        let rows: Vec<BriefRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(&format!(
                "{BRIEF} WHERE stack_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2"
            ))
            .bind(stack_id)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(brief).collect())
    }

    /// One operation with its events.
    pub async fn deploy_record(
        &self,
        stack: &StackRow,
        id: &str,
    ) -> Result<DeployRecord, StackError> {
        let found: Option<BriefRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(&format!("{BRIEF} WHERE id = $1 AND stack_id = $2"))
                .bind(id)
                .bind(&stack.id)
                .fetch_optional(pool)
                .await?
        });
        let brief = found.map(brief).ok_or(StackError::NoDeploy)?;
        let (events,): (String,) = on_pool!(&self.db, |pool| {
            sqlx::query_as("SELECT events FROM stack_deploys WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await?
        });
        Ok(DeployRecord {
            brief,
            stack: stack.name.clone(),
            events: serde_json::from_str(&events).unwrap_or_default(),
        })
    }
}

const BRIEF: &str =
    "SELECT id, operation, revision, started_at, finished_at, status, error FROM stack_deploys";

/// id, operation, revision, started_at, finished_at, status, error.
type BriefRow = (
    String,
    String,
    Option<i64>,
    i64,
    Option<i64>,
    String,
    Option<String>,
);

fn brief(
    (id, operation, revision, started_at, finished_at, status, error): BriefRow,
) -> DeployBrief {
    DeployBrief {
        id,
        operation,
        revision,
        started_at,
        finished_at,
        status,
        error,
    }
}
