//! Installed apps: their rows and the views pages show.

use super::*;

impl Marketplace {
    pub(super) async fn app(&self, id: &str) -> Result<AppRow, MarketError> {
        let row: Option<AppRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(&format!(
                "SELECT {APP_COLUMNS} FROM extension_installs WHERE id = $1 OR stack_name = $1"
            ))
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        row.ok_or_else(|| MarketError::NotFound("app".into()))
    }

    pub(super) async fn app_rows(
        &self,
        workspaces: Option<&[String]>,
    ) -> Result<Vec<AppRow>, MarketError> {
        let rows: Vec<AppRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(&format!(
                "SELECT {APP_COLUMNS} FROM extension_installs ORDER BY created_at"
            ))
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter(|r| workspaces.is_none_or(|ws| ws.iter().any(|w| *w == r.workspace)))
            .collect())
    }

    /// The apps installed (not waiting, failed or busy) in `workspace`, as the dependency
    /// resolver sees them.
    pub(super) async fn installed_in(
        &self,
        workspace: &str,
    ) -> Result<Vec<Installed>, MarketError> {
        Ok(self
            .app_rows(Some(&[workspace.to_owned()]))
            .await?
            .into_iter()
            .filter(|a| a.status == AppStatus::Installed)
            .map(|a| Installed {
                app: a.id.into(),
                extension: a.ext_id,
                version: a.version,
            })
            .collect())
    }

    /// The workspace an app belongs to (by app id or stack name).
    pub async fn app_workspace(&self, id: &str) -> Result<String, MarketError> {
        Ok(self.app(id).await?.workspace.into())
    }

    pub(super) async fn view(&self, row: &AppRow) -> Result<AppView, MarketError> {
        let manifest = manifest::parse(&row.manifest).0;
        let latest: Option<(String,)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT version FROM extension_entries WHERE source_id = $1 AND ext_id = $2 AND errors IS NULL",
            )
            .bind(&row.source)
            .bind(&row.ext_id)
            .fetch_optional(pool)
            .await?
        });
        let latest = latest.map(|(v,)| v).filter(|v| newer(v, &row.version));
        let stack_id = self.stacks.get(&row.stack).await.ok().map(|s| s.id);
        let containers = if stack_id.is_some() {
            self.docker
                .containers()
                .filtered(|c| c.stack.as_deref() == Some(row.stack.as_str()))
        } else {
            Vec::new()
        };
        let running = containers.iter().filter(|c| c.is_up()).count();
        let mut links = Vec::new();
        for e in manifest.iter().flat_map(|m| m.exposes.iter()) {
            let port = containers
                .iter()
                .filter(|c| c.service.as_deref() == Some(e.service.as_str()))
                .flat_map(|c| c.ports.iter())
                .find(|p| p.container_port == e.port && p.host_port != 0);
            if let Some(p) = port {
                links.push(AppLink {
                    label: if e.label.is_empty() {
                        e.service.clone()
                    } else {
                        e.label.clone()
                    },
                    host_port: p.host_port,
                    protocol: e.protocol.clone(),
                    path: e.path.clone(),
                });
            }
        }
        Ok(AppView {
            id: row.id.to_string(),
            workspace: row.workspace.to_string(),
            stack: row.stack.clone(),
            stack_id: stack_id.map(String::from),
            extension: row.ext_id.clone(),
            name: manifest
                .as_ref()
                .map_or_else(|| row.ext_id.clone(), |m| m.name.clone()),
            icon: manifest.as_ref().and_then(|m| m.icon.clone()),
            source: row.source.clone(),
            version: row.version.clone(),
            status: row.status.as_str().to_owned(),
            error: row.error.clone(),
            latest,
            required_by: row.required_by.clone(),
            running: u32::try_from(running).unwrap_or(u32::MAX),
            containers: u32::try_from(containers.len()).unwrap_or(u32::MAX),
            links,
            permissions: manifest.map(|m| m.permissions).unwrap_or_default(),
            created_at: row.created_at,
            created_by: row.created_by.clone(),
            approved_by: row.approved_by.clone(),
        })
    }

    /// Apps installed in these workspaces (all when `None`).
    pub async fn apps(&self, workspaces: Option<&[String]>) -> Result<Vec<AppView>, MarketError> {
        let mut out = Vec::new();
        for row in self.app_rows(workspaces).await? {
            out.push(self.view(&row).await?);
        }
        Ok(out)
    }

    /// One installed app.
    pub async fn app_view(&self, id: &str) -> Result<AppView, MarketError> {
        let row = self.app(id).await?;
        self.view(&row).await
    }
}
