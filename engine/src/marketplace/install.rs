//! Installs: the plan (requirements resolved), values checked and sealed, apps recorded and
//! launched as stack deploys in dependency order.

use super::*;

impl Marketplace {
    /// What installing would do: the requirement steps and the extension, and whether a
    /// platform admin has to approve it.
    pub async fn plan(
        &self,
        workspace: &str,
        form: &InstallForm,
        admin: bool,
    ) -> Result<InstallPlan, MarketError> {
        let (steps, _) = self.resolve(workspace, form).await?;
        let mut out = Vec::new();
        let mut needs_approval = false;
        for (step, entry, manifest, stack) in steps {
            let reuse = match step {
                Step::Reuse { app, .. } => Some(app),
                Step::Install(_) => {
                    needs_approval |= !admin && manifest.permissions.any();
                    None
                }
            };
            out.push(PlanStep {
                extension: entry.ext_id.clone(),
                name: manifest.name.clone(),
                version: entry.version.clone(),
                source: entry.source.clone(),
                stack,
                reuse,
                permissions: manifest.permissions.clone(),
            });
        }
        Ok(InstallPlan {
            steps: out,
            needs_approval,
        })
    }

    /// Resolves the install: each step with its entry, manifest and stack name, and the root's
    /// checked values.
    #[allow(clippy::type_complexity)]
    pub(super) async fn resolve(
        &self,
        workspace: &str,
        form: &InstallForm,
    ) -> Result<
        (
            Vec<(Step, Entry, Manifest, String)>,
            BTreeMap<String, String>,
        ),
        MarketError,
    > {
        let stack = ProjectName::parse(form.stack.trim())
            .map_err(|e| invalid("stack", e.to_string()))?
            .to_string();
        let entry = self.entry(&form.extension, form.source.as_deref()).await?;
        let root = entry.manifest()?;
        let values = check_values(&root.inputs, &form.inputs).map_err(|errors| {
            MarketError::Diagnostics(
                errors
                    .into_iter()
                    .map(|e| {
                        Diagnostic::error(join_key("inputs", &e.key), Pos::default(), e.message)
                    })
                    .collect(),
            )
        })?;
        let installed = self.installed_in(workspace).await?;
        let catalog = self.candidates(&root).await?;
        let steps = resolve::resolve(&entry.candidate(&root), &catalog, &installed)
            .map_err(MarketError::Conflict)?;
        let mut out = Vec::new();
        for step in steps {
            match &step {
                Step::Install(c) if c.id == root.id && c.source == entry.source => {
                    out.push((step, entry.clone(), root.clone(), stack.clone()));
                }
                Step::Install(c) => {
                    let e = self.entry(&c.id, Some(&c.source)).await?;
                    let m = e.manifest()?;
                    let name = format!("{stack}-{}", c.id);
                    out.push((step, e, m, name));
                }
                Step::Reuse { extension, app } => {
                    let row = self.app(app).await?;
                    let e = self
                        .entry(extension, Some(&row.source))
                        .await
                        .unwrap_or(Entry {
                            source: row.source.clone(),
                            ext_id: row.ext_id.clone(),
                            version: row.version.clone(),
                            manifest_text: row.manifest.clone(),
                            template: String::new(),
                            readme: String::new(),
                            changelog: String::new(),
                            errors: None,
                        });
                    let m = manifest::parse(&row.manifest).0.ok_or_else(|| {
                        MarketError::Conflict(format!("{app}'s manifest no longer reads"))
                    })?;
                    let e = Entry {
                        version: row.version.clone(),
                        ..e
                    };
                    out.push((step, e, m, row.stack));
                }
            }
        }
        Ok((out, values))
    }

    /// Installs an extension into a workspace: requirements first, each as a stack deployed in
    /// turn. Everything is checked before anything is created; when a deploy fails, every stack
    /// this install made is taken down with its volumes and deleted, and the app is left as
    /// `failed` with the reason. Host access asked by a non-admin waits for approval.
    pub async fn install(
        &self,
        workspace: &str,
        form: &InstallForm,
        who: Installer<'_>,
    ) -> Result<Working<InstallStarted>, MarketError> {
        let (steps, values) = self.resolve(workspace, form).await?;
        let root_manifest = steps
            .last()
            .map(|s| s.2.clone())
            .ok_or_else(|| MarketError::Conflict("nothing to install".into()))?;
        let needs_approval = !who.admin
            && steps
                .iter()
                .any(|(s, _, m, _)| matches!(s, Step::Install(_)) && m.permissions.any());
        let status = if needs_approval {
            AppStatus::AwaitingApproval
        } else {
            AppStatus::Installing
        };
        let root_id = uuid::Uuid::now_v7().to_string();
        let mut launches = Vec::new();
        for (step, entry, manifest, stack) in steps {
            if !matches!(step, Step::Install(_)) {
                continue;
            }
            let is_root = stack == form.stack.trim();
            let values = if is_root {
                values.clone()
            } else {
                check_values(&manifest.inputs, &BTreeMap::new()).map_err(|errors| {
                    MarketError::Conflict(format!(
                        "{} requires {}, which needs a value for {}; install {} first",
                        root_manifest.id,
                        manifest.id,
                        errors
                            .iter()
                            .map(|e| e.key.clone())
                            .collect::<Vec<_>>()
                            .join(", "),
                        manifest.id
                    ))
                })?
            };
            self.check_stack_free(workspace, &stack).await?;
            launches.push(Launch {
                app: AppRow {
                    id: if is_root {
                        root_id.clone()
                    } else {
                        uuid::Uuid::now_v7().to_string()
                    }
                    .into(),
                    workspace: workspace.into(),
                    stack,
                    ext_id: entry.ext_id.clone(),
                    source: entry.source.clone(),
                    version: entry.version.clone(),
                    inputs: String::new(),
                    manifest: entry.manifest_text.clone(),
                    status,
                    error: None,
                    required_by: (!is_root).then(|| root_id.clone()),
                    created_at: now_ms(),
                    created_by: who.actor.to_owned(),
                    approved_by: None,
                    template: entry.template.clone(),
                },
                manifest,
                template: entry.template.clone(),
                values,
            });
        }
        check_ports(&root_manifest, &values)?;
        if needs_approval {
            let mut apps = Vec::new();
            let mut inserted: Vec<String> = Vec::new();
            for l in &mut launches {
                let step = async {
                    l.app.inputs = self.seal_values(&l.app.id, &l.values)?;
                    self.insert_app(&l.app).await
                }
                .await;
                if let Err(e) = step {
                    for id in &inserted {
                        let _ = self.delete_app(id).await;
                    }
                    return Err(e);
                }
                inserted.push(l.app.id.to_string());
                apps.push(self.view(&l.app).await?);
            }
            let (tx, done) = oneshot::channel();
            let _ = tx.send(Ok(()));
            return Ok(Working {
                value: InstallStarted { apps },
                done,
            });
        }
        self.launch(launches, who.policy, false, who.actor).await
    }

    /// Installs straight from a git repository (platform admins): the repository becomes a
    /// source (or its existing source is synced again) and the extension is installed from it;
    /// `form.extension` may be left empty when the repository holds one extension.
    pub async fn install_from_git(
        &self,
        workspace: &str,
        url: &str,
        reference: Option<&str>,
        form: &InstallForm,
        who: Installer<'_>,
    ) -> Result<Working<InstallStarted>, MarketError> {
        if !who.admin {
            return Err(MarketError::Conflict(
                "only platform admins install from a git URL".into(),
            ));
        }
        let url = url.trim();
        let reference = reference.map(str::trim).filter(|r| !r.is_empty());
        let existing =
            self.sources().await?.into_iter().find(|s| {
                s.kind == "git" && s.location == url && s.reference.as_deref() == reference
            });
        let source = match existing {
            Some(s) => {
                self.sync(&s.id).await?;
                s.id
            }
            None => {
                let name = match reference {
                    Some(r) => format!("{url} @ {r}"),
                    None => url.to_owned(),
                };
                let source = NewSource {
                    name: name.chars().take(64).collect(),
                    kind: "git".into(),
                    location: url.to_owned(),
                    reference: reference.map(str::to_owned),
                };
                self.add_source(&source, who.actor).await?.0.id
            }
        };
        let extension = if form.extension.trim().is_empty() {
            let page = self
                .search(&SearchQuery {
                    source: Some(source.clone()),
                    limit: Some(2),
                    ..SearchQuery::default()
                })
                .await?;
            match page.items.as_slice() {
                [one] => one.id.clone(),
                [] => {
                    return Err(invalid(
                        "url",
                        format!("{url} holds no extension that can be installed"),
                    ));
                }
                _ => {
                    return Err(invalid(
                        "extension",
                        format!(
                            "{url} holds {} extensions; name the one to install",
                            page.total
                        ),
                    ));
                }
            }
        } else {
            form.extension.clone()
        };
        let form = InstallForm {
            extension,
            source: Some(source),
            ..form.clone()
        };
        self.install(workspace, &form, who).await
    }

    pub(super) async fn check_stack_free(
        &self,
        workspace: &str,
        stack: &str,
    ) -> Result<(), MarketError> {
        // A failed install's record (in this workspace, its cleanup finished) gives its name back.
        if self.stacks.get(stack).await.is_err() {
            on_pool!(&self.db, |pool| {
                sqlx::query(
                    "DELETE FROM extension_installs WHERE stack_name = $1 AND status = 'failed' AND workspace_id = $2",
                )
                .bind(stack)
                .bind(workspace)
                .execute(pool)
                .await?;
            });
        }
        if self.app(stack).await.is_ok() || self.stacks.get(stack).await.is_ok() {
            return Err(MarketError::Stack(StackError::NameTaken(stack.to_owned())));
        }
        Ok(())
    }

    pub(super) fn seal_values(
        &self,
        app: &str,
        values: &BTreeMap<String, String>,
    ) -> Result<String, MarketError> {
        let json = serde_json::to_string(values).unwrap_or_else(|_| "{}".into());
        Ok(self
            .vault
            .seal(&json, &format!("extension-install:{app}"))?)
    }

    /// The values of the secret inputs (typed or generated) of the app installed as `stack`;
    /// none when no app is. Pages mask them for members who may not change the stack.
    pub async fn stack_secrets(&self, stack: &str) -> Result<Vec<String>, MarketError> {
        let row = match self.app(stack).await {
            Ok(row) if row.stack == stack => row,
            Ok(_) | Err(MarketError::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let Some(manifest) = manifest::parse(&row.manifest).0 else {
            return Ok(Vec::new());
        };
        let values = self.open_values(&row)?;
        Ok(manifest
            .inputs
            .iter()
            .filter(|i| i.kind == manifest::InputKind::Secret)
            .filter_map(|i| values.get(&i.key).cloned())
            .filter(|v| !v.is_empty())
            .collect())
    }

    pub(super) fn open_values(
        &self,
        app: &AppRow,
    ) -> Result<BTreeMap<String, String>, MarketError> {
        let json = self
            .vault
            .open_sealed(&app.inputs, &format!("extension-install:{}", app.id))?;
        Ok(serde_json::from_str(&json).unwrap_or_default())
    }

    pub(super) async fn insert_app(&self, a: &AppRow) -> Result<(), MarketError> {
        on_pool!(&self.db, |pool| {
            sqlx::query(&format!(
                "INSERT INTO extension_installs ({APP_COLUMNS}, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $12)"
            ))
            .bind(&a.id)
            .bind(&a.workspace)
            .bind(&a.stack)
            .bind(&a.ext_id)
            .bind(&a.source)
            .bind(&a.version)
            .bind(&a.inputs)
            .bind(&a.manifest)
            .bind(a.status.as_str())
            .bind(&a.error)
            .bind(&a.required_by)
            .bind(a.created_at)
            .bind(&a.created_by)
            .bind(&a.approved_by)
            .bind(&a.template)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub(super) async fn set_status(
        &self,
        app: &str,
        status: AppStatus,
        error: Option<&str>,
    ) -> Result<(), MarketError> {
        on_pool!(&self.db, |pool| {
            sqlx::query(
                "UPDATE extension_installs SET status = $1, error = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(status.as_str())
            .bind(error)
            .bind(now_ms())
            .bind(app)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Moves an app from status `from` to `to`, or says it is busy: two operations on one app
    /// never both go ahead.
    pub(super) async fn claim(
        &self,
        row: &AppRow,
        from: AppStatus,
        to: AppStatus,
    ) -> Result<(), MarketError> {
        let done = on_pool!(&self.db, |pool| {
            sqlx::query(
                "UPDATE extension_installs SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
            )
            .bind(to.as_str())
            .bind(now_ms())
            .bind(&row.id)
            .bind(from.as_str())
            .execute(pool)
            .await?
            .rows_affected()
        });
        if done == 1 {
            Ok(())
        } else {
            Err(MarketError::Conflict(format!(
                "{} is busy with another operation; try again when it ends",
                row.stack
            )))
        }
    }

    pub(super) async fn delete_app(&self, app: &str) -> Result<(), MarketError> {
        on_pool!(&self.db, |pool| {
            sqlx::query("DELETE FROM extension_installs WHERE id = $1")
                .bind(app)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Renders and checks every app, creates their stacks (undoing all of it on any error),
    /// then deploys them in turn in the background.
    pub(super) async fn launch(
        &self,
        mut launches: Vec<Launch>,
        policy: Option<&SecurityPolicy>,
        grant: bool,
        actor: &str,
    ) -> Result<Working<InstallStarted>, MarketError> {
        let mut rendered = Vec::new();
        // Each app's rules: the workspace's policy, widened by what an approval granted.
        let mut policies = Vec::new();
        for l in &mut launches {
            let policy = policy.map(|p| {
                if grant {
                    granted(p, &l.manifest.permissions)
                } else {
                    p.clone()
                }
            });
            let (compose, values) =
                render(&l.manifest, &l.template, &l.values).map_err(MarketError::Diagnostics)?;
            if let Some(policy) = &policy {
                let loaded = load(&l.manifest.template, &compose, &Options::default());
                if let Some(project) = &loaded.project {
                    let refused: Vec<Diagnostic> = check_project(project, policy)
                        .into_iter()
                        .filter(Diagnostic::is_error)
                        .map(|d| d.in_file(&l.manifest.template))
                        .collect();
                    if !refused.is_empty() {
                        return Err(MarketError::Diagnostics(refused));
                    }
                }
            }
            l.app.inputs = self.seal_values(&l.app.id, &values)?;
            l.values = values;
            rendered.push(compose);
            policies.push(policy);
        }
        // Volumes a stack name already has (kept by an uninstall): a failed install leaves them.
        let volumes = self.docker.volumes();
        let kept: Vec<bool> = launches
            .iter()
            .map(|l| {
                let prefix = format!("{}_", l.app.stack);
                volumes.iter().any(|v| v.name.starts_with(&prefix))
            })
            .collect();
        // (app id, whether its row was there before — an approved install —, its stack)
        let mut created: Vec<(AppId, bool, crate::stacks::StackRow)> = Vec::new();
        let mut failure = None;
        for (l, compose) in launches.iter().zip(&rendered) {
            let existed = self.app(&l.app.id).await.is_ok();
            let step = async {
                if existed {
                    on_pool!(&self.db, |pool| {
                        sqlx::query(
                            "UPDATE extension_installs SET status = 'installing', inputs = $1, error = NULL, updated_at = $2 WHERE id = $3",
                        )
                        .bind(&l.app.inputs)
                        .bind(now_ms())
                        .bind(&l.app.id)
                        .execute(pool)
                        .await?;
                    });
                } else {
                    self.insert_app(&l.app).await?;
                }
                self.stacks
                    .create(
                        NewStack {
                            workspace: &l.app.workspace,
                            name: &l.app.stack,
                            compose,
                            env: "",
                        },
                        actor,
                    )
                    .await
                    .map_err(MarketError::from)
            }
            .await;
            match step {
                Ok(stack) => created.push((l.app.id.clone(), existed, stack)),
                Err(e) => {
                    failure = Some((l.app.id.clone(), existed, e));
                    break;
                }
            }
        }
        if let Some((failed_app, failed_existed, e)) = failure {
            // Undo: stacks deleted; an approved install waits for approval again, with why.
            let reason = e.to_string();
            let undo = created
                .iter()
                .rev()
                .map(|(app, existed, stack)| (app.clone(), *existed, Some(stack)))
                .chain(std::iter::once((failed_app, failed_existed, None)));
            for (app, existed, stack) in undo {
                if let Some(stack) = stack {
                    let _ = self.stacks.delete(stack).await;
                }
                if existed {
                    let _ = self
                        .set_status(&app, AppStatus::AwaitingApproval, Some(&reason))
                        .await;
                } else {
                    let _ = self.delete_app(&app).await;
                }
            }
            return Err(e);
        }
        let mut apps = Vec::new();
        for l in &launches {
            apps.push(self.view(&l.app).await?);
        }
        let (tx, done) = oneshot::channel();
        let this = self.clone();
        let actor = actor.to_owned();
        let order: Vec<Deploying> = launches
            .into_iter()
            .zip(created)
            .zip(policies.into_iter().zip(kept))
            .map(|((l, (_, _, stack)), (policy, kept_volumes))| Deploying {
                app: l.app,
                stack,
                policy,
                kept_volumes,
            })
            .collect();
        tokio::spawn(async move {
            let result = this.deploy_in_turn(&order, &actor).await;
            let _ = tx.send(result);
        });
        Ok(Working {
            value: InstallStarted { apps },
            done,
        })
    }

    pub(super) async fn deploy_in_turn(
        &self,
        order: &[Deploying],
        actor: &str,
    ) -> Result<(), String> {
        for d in order {
            let app = &d.app;
            if let Err(reason) = self
                .deploy_once(&d.stack, None, d.policy.as_ref(), actor)
                .await
            {
                let why = format!("installing {} {} failed: {reason}", app.ext_id, app.version);
                // Leave nothing: every stack of this install goes, with the volumes it made.
                for other in order.iter().rev() {
                    let _ = self
                        .take_down(&other.stack, !other.kept_volumes, actor)
                        .await;
                    let _ = self.stacks.delete(&other.stack).await;
                    if other.app.required_by.is_some() {
                        let _ = self.delete_app(&other.app.id).await;
                    }
                }
                let root = order.last().map(|d| d.app.id.clone()).unwrap_or_default();
                let _ = self.set_status(&root, AppStatus::Failed, Some(&why)).await;
                return Err(why);
            }
            let _ = self.set_status(&app.id, AppStatus::Installed, None).await;
            let _ = on_pool!(&self.db, |pool| {
                sqlx::query(
                    "INSERT INTO extension_counts (ext_id, installs) VALUES ($1, 1) \
                     ON CONFLICT (ext_id) DO UPDATE SET installs = extension_counts.installs + 1",
                )
                .bind(&app.ext_id)
                .execute(pool)
                .await
                .map(|_| ())
            });
        }
        let _ = self.refresh_stats().await;
        Ok(())
    }

    /// Deploys the stack (a saved revision when given) and waits for the end.
    pub(super) async fn deploy_once(
        &self,
        stack: &crate::stacks::StackRow,
        revision: Option<i64>,
        policy: Option<&SecurityPolicy>,
        actor: &str,
    ) -> Result<(), String> {
        let request = OperationRequest {
            revision,
            remove_orphans: true,
            ..OperationRequest::default()
        };
        let stack = self
            .stacks
            .get(&stack.id)
            .await
            .map_err(|e| e.to_string())?;
        let running = self
            .stacks
            .start(&stack, Operation::Deploy, &request, policy, actor)
            .await
            .map_err(|e| e.to_string())?;
        let record = running
            .done
            .await
            .map_err(|_| "the deploy ended without a result".to_owned())?;
        match record.brief.error {
            None if record.brief.status == "succeeded" => Ok(()),
            error => Err(error.unwrap_or_else(|| "the deploy failed".into())),
        }
    }

    pub(super) async fn take_down(
        &self,
        stack: &crate::stacks::StackRow,
        volumes: bool,
        actor: &str,
    ) -> Result<(), String> {
        let request = OperationRequest {
            volumes,
            ..OperationRequest::default()
        };
        let running = self
            .stacks
            .start(stack, Operation::Down, &request, None, actor)
            .await
            .map_err(|e| e.to_string())?;
        let record = running
            .done
            .await
            .map_err(|_| "taking the stack down ended without a result".to_owned())?;
        match record.brief.error {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }
}
