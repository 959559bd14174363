//! An installed app's life after install: approval of host access, update with rollback, and
//! uninstall.

use super::*;

impl Marketplace {
    /// Apps awaiting a platform admin's approval.
    pub async fn awaiting(&self) -> Result<Vec<AppView>, MarketError> {
        let mut out = Vec::new();
        for row in self.app_rows(None).await? {
            if row.status == AppStatus::AwaitingApproval && row.required_by.is_none() {
                out.push(self.view(&row).await?);
            }
        }
        Ok(out)
    }

    /// A platform admin approves an install that asks for host access: it runs now, with no
    /// policy, requirements first.
    pub async fn approve(
        &self,
        app: &str,
        actor: &str,
        policy: &SecurityPolicy,
    ) -> Result<Working<InstallStarted>, MarketError> {
        let root = self.app(app).await?;
        // Claimed once: a second approval (a double click) finds it no longer waiting.
        let claimed = on_pool!(&self.db, |pool| {
            sqlx::query(
                "UPDATE extension_installs SET status = 'installing', approved_by = $1, updated_at = $2 \
                 WHERE id = $3 AND status = 'awaiting_approval' AND required_by IS NULL",
            )
            .bind(actor)
            .bind(now_ms())
            .bind(&root.id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if claimed != 1 {
            return Err(MarketError::Conflict(format!(
                "{} is {}, not awaiting approval",
                root.stack,
                root.status.as_str().replace('_', " ")
            )));
        }
        let mut rows: Vec<AppRow> = self
            .app_rows(Some(&[root.workspace.to_string()]))
            .await?
            .into_iter()
            .filter(|r| r.required_by.as_deref() == Some(root.id.as_str()))
            .collect();
        rows.push(root);
        let mut launches = Vec::new();
        for row in rows {
            let prepared = manifest::parse(&row.manifest)
                .0
                .ok_or_else(|| {
                    MarketError::Conflict(format!("{}'s manifest no longer reads", row.ext_id))
                })
                .and_then(|m| Ok((m, self.open_values(&row)?)));
            let (manifest, values) = match prepared {
                Ok(p) => p,
                Err(e) => {
                    let _ = self
                        .set_status(app, AppStatus::AwaitingApproval, Some(&e.to_string()))
                        .await;
                    return Err(e);
                }
            };
            // What was requested and approved, even if the source changed since.
            let template = row.template.clone();
            on_pool!(&self.db, |pool| {
                sqlx::query("UPDATE extension_installs SET approved_by = $1 WHERE id = $2")
                    .bind(actor)
                    .bind(&row.id)
                    .execute(pool)
                    .await?;
            });
            launches.push(Launch {
                app: row,
                manifest,
                template,
                values,
            });
        }
        // The workspace's policy still holds, widened by exactly the access the admin approved.
        self.launch(launches, Some(policy), true, actor).await
    }

    /// What updating an app to its source's version changes.
    pub async fn update_preview(&self, app: &str) -> Result<UpdatePreview, MarketError> {
        let row = self.app(app).await?;
        let entry = self.entry(&row.ext_id, Some(&row.source)).await?;
        let manifest = entry.manifest()?;
        let old = manifest::parse(&row.manifest).0;
        let new_inputs = manifest
            .inputs
            .iter()
            .filter(|i| {
                old.as_ref()
                    .is_none_or(|o| !o.inputs.iter().any(|x| x.key == i.key))
            })
            .cloned()
            .collect();
        Ok(UpdatePreview {
            from: row.version,
            to: entry.version,
            changelog_html: to_html(&entry.changelog),
            new_inputs,
            exposes: manifest.exposes,
            requires: manifest.requires,
        })
    }

    /// Updates an app to its source's newer version: the form's values kept, new inputs take
    /// their defaults, redeployed. A failed deploy goes back to the previous revision.
    pub async fn update(
        &self,
        app: &str,
        who: Installer<'_>,
    ) -> Result<Working<AppView>, MarketError> {
        let row = self.app(app).await?;
        if row.status != AppStatus::Installed {
            return Err(MarketError::Conflict(format!(
                "{} is {}; only an installed app can be updated",
                row.stack, row.status
            )));
        }
        let entry = self.entry(&row.ext_id, Some(&row.source)).await?;
        if !newer(&entry.version, &row.version) {
            return Err(MarketError::Conflict(format!(
                "{} {} is the latest version in its source",
                row.ext_id, row.version
            )));
        }
        let manifest = entry.manifest()?;
        let old = manifest::parse(&row.manifest)
            .0
            .unwrap_or_else(|| manifest.clone());
        if !who.admin && manifest.permissions.any() && manifest.permissions != old.permissions {
            return Err(MarketError::Conflict(format!(
                "{} {} asks for different host access; a platform admin has to update it",
                row.ext_id, entry.version
            )));
        }
        let installed = self.installed_in(&row.workspace).await?;
        let steps = resolve::resolve(&entry.candidate(&manifest), &[], &installed)
            .map_err(|e| MarketError::Conflict(format!("{e}; install it first, then update")))?;
        debug_assert!(
            steps
                .iter()
                .all(|s| !matches!(s, Step::Install(c) if c.id != manifest.id))
        );
        let mut values = self.open_values(&row)?;
        values.retain(|k, _| manifest.inputs.iter().any(|i| &i.key == k));
        let generated: BTreeMap<String, String> = values
            .iter()
            .filter(|(k, _)| {
                manifest
                    .inputs
                    .iter()
                    .any(|i| &i.key == *k && i.generate.is_some())
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let (compose, mut kept) =
            render(&manifest, &entry.template, &values).map_err(MarketError::Diagnostics)?;
        kept.extend(generated);
        // An approved app keeps the access it was granted, as long as it asks for no more.
        let policy: Option<SecurityPolicy> = who.policy.map(|p| {
            if row.approved_by.is_some() && manifest.permissions == old.permissions {
                granted(p, &manifest.permissions)
            } else {
                p.clone()
            }
        });
        if let Some(policy) = &policy {
            let loaded = load(&manifest.template, &compose, &Options::default());
            if let Some(project) = &loaded.project {
                let refused: Vec<Diagnostic> = check_project(project, policy)
                    .into_iter()
                    .filter(Diagnostic::is_error)
                    .collect();
                if !refused.is_empty() {
                    return Err(MarketError::Diagnostics(refused));
                }
            }
        }
        let stack = self.stacks.get(&row.stack).await?;
        let previous = stack.deployed_revision;
        self.claim(&row, AppStatus::Installed, AppStatus::Updating)
            .await?;
        if let Err(e) = self.stacks.save(&stack, &compose, "", who.actor).await {
            let _ = self.set_status(&row.id, AppStatus::Installed, None).await;
            return Err(e.into());
        }
        let sealed = self.seal_values(&row.id, &kept)?;
        let (tx, done) = oneshot::channel();
        let this = self.clone();
        let template = entry.template.clone();
        let actor = who.actor.to_owned();
        let (to_version, to_manifest) = (entry.version.clone(), entry.manifest_text.clone());
        let row_for_task = row.clone();
        tokio::spawn(async move {
            let row = row_for_task;
            let result = match this
                .deploy_once(&stack, None, policy.as_ref(), &actor)
                .await
            {
                Ok(()) => {
                    let saved = on_pool!(&this.db, |pool| {
                        sqlx::query(
                            "UPDATE extension_installs SET version = $1, manifest = $2, inputs = $3, template = $6, status = 'installed', error = NULL, updated_at = $4 WHERE id = $5",
                        )
                        .bind(&to_version)
                        .bind(&to_manifest)
                        .bind(&sealed)
                        .bind(now_ms())
                        .bind(&row.id)
                        .bind(&template)
                        .execute(pool)
                        .await
                        .map(|_| ())
                    });
                    saved.map_err(|e| e.to_string())
                }
                Err(reason) => {
                    let mut why = format!("updating to {to_version} failed: {reason}");
                    if let Some(previous) = previous {
                        match this.deploy_once(&stack, Some(previous), None, &actor).await {
                            Ok(()) => why.push_str(&format!("; {} runs again", row.version)),
                            Err(e) => why.push_str(&format!(
                                "; going back to {} failed too: {e}",
                                row.version
                            )),
                        }
                    }
                    let _ = this
                        .set_status(&row.id, AppStatus::Installed, Some(&why))
                        .await;
                    Err(why)
                }
            };
            let _ = tx.send(result);
        });
        let value = self.app_view(&row.id).await?;
        Ok(Working { value, done })
    }

    /// Uninstalls an app: its stack taken down (volumes kept unless asked) and deleted. An app
    /// another installed app requires stays until that one goes.
    pub async fn uninstall(
        &self,
        app: &str,
        volumes: bool,
        actor: &str,
    ) -> Result<AppView, MarketError> {
        let row = self.app(app).await?;
        let view = self.view(&row).await?;
        match row.status.as_str() {
            "installing" | "updating" | "removing" => {
                return Err(MarketError::Conflict(format!(
                    "{} is {}; wait until it ends",
                    row.stack, row.status
                )));
            }
            "awaiting_approval" | "failed" => {
                // A failure whose cleanup did not finish: finish it now.
                if row.status == AppStatus::Failed
                    && let Ok(stack) = self.stacks.get(&row.stack).await
                {
                    self.take_down(&stack, volumes, actor)
                        .await
                        .map_err(MarketError::Conflict)?;
                    self.stacks.delete(&stack).await?;
                }
                for dep in self.app_rows(Some(&[row.workspace.to_string()])).await? {
                    if dep.required_by.as_deref() == Some(row.id.as_str())
                        && dep.status == AppStatus::AwaitingApproval
                    {
                        self.delete_app(&dep.id).await?;
                    }
                }
                // Only while it still waits (or failed): an approval may have just started it.
                let gone = on_pool!(&self.db, |pool| {
                    sqlx::query(
                        "DELETE FROM extension_installs WHERE id = $1 AND status IN ('awaiting_approval', 'failed')",
                    )
                    .bind(&row.id)
                    .execute(pool)
                    .await?
                    .rows_affected()
                });
                if gone != 1 {
                    return Err(MarketError::Conflict(format!(
                        "{} has just started; uninstall it once it has",
                        row.stack
                    )));
                }
                return Ok(view);
            }
            _ => {}
        }
        let others = self.app_rows(Some(&[row.workspace.to_string()])).await?;
        let needed_by: Vec<String> = others
            .iter()
            .filter(|o| o.id != row.id && o.status != AppStatus::Failed)
            .filter(|o| {
                manifest::parse(&o.manifest)
                    .0
                    .is_some_and(|m| m.requires.iter().any(|r| r.id == row.ext_id))
            })
            .map(|o| o.stack.clone())
            .collect();
        if !needed_by.is_empty() {
            return Err(MarketError::Conflict(format!(
                "{} is required by {}; uninstall {} first",
                row.stack,
                needed_by.join(", "),
                if needed_by.len() == 1 { "it" } else { "them" }
            )));
        }
        self.claim(&row, AppStatus::Installed, AppStatus::Removing)
            .await?;
        let removed = async {
            if let Ok(stack) = self.stacks.get(&row.stack).await {
                self.take_down(&stack, volumes, actor)
                    .await
                    .map_err(MarketError::Conflict)?;
                self.stacks.delete(&stack).await?;
            }
            Ok::<_, MarketError>(())
        }
        .await;
        if let Err(e) = removed {
            let _ = self
                .set_status(&row.id, AppStatus::Installed, Some(&e.to_string()))
                .await;
            return Err(e);
        }
        self.delete_app(&row.id).await?;
        Ok(view)
    }
}
