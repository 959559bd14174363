//! The operations on a whole project besides deploying it: stop, start, restart and down (with
//! its networks and, when asked, its volumes), in dependency order.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::query_parameters::{ListNetworksOptions, ListVolumesOptions, StopContainerOptions};
use compose::plan::ObservedContainer;
use futures::future::join_all;

use super::{Reporter, event, joined, project_filter};
use crate::docker::Dirty;
use crate::docker::{DockerEngine, DockerError};
use crate::model::resources::DeployPhase;

impl DockerEngine {
    /// Stops, starts, restarts or removes every container of the project (`down` also removes
    /// its networks, and its volumes when asked). Order follows dependencies.
    pub async fn project_operation(
        &self,
        name: &str,
        operation: &str,
        volumes: bool,
        report: Reporter,
    ) -> Result<(), String> {
        let observed = self
            .observe_project(name)
            .await
            .map_err(|e| e.to_string())?;
        let mut containers: Vec<ObservedContainer> = observed
            .containers
            .into_iter()
            .filter(|c| !c.oneoff)
            .collect();
        containers
            .sort_by(|a, b| (a.service.as_str(), a.number).cmp(&(b.service.as_str(), b.number)));
        let mut errors = Vec::new();
        let results = join_all(containers.iter().map(|c| {
            let report = Arc::clone(&report);
            async move {
                let r = match operation {
                    "stop" => {
                        report(event(
                            Some(&c.service),
                            Some(&c.name),
                            DeployPhase::Stopping,
                            format!("stopping {}", c.name),
                        ));
                        let key = c.id.clone();
                        let _teardown = self.teardown_guard().await;
                        match self
                            .call("containers.stop", |d| async move {
                                d.stop_container(
                                    &key,
                                    Some(StopContainerOptions {
                                        t: Some(10),
                                        signal: None,
                                    }),
                                )
                                .await
                            })
                            .await
                        {
                            Ok(()) | Err(DockerError::Api { status: 304, .. }) => Ok(()),
                            Err(e) => Err(e),
                        }
                    }
                    "start" => {
                        report(event(
                            Some(&c.service),
                            Some(&c.name),
                            DeployPhase::Starting,
                            format!("starting {}", c.name),
                        ));
                        self.start(&c.id).await
                    }
                    "restart" => {
                        report(event(
                            Some(&c.service),
                            Some(&c.name),
                            DeployPhase::Starting,
                            format!("restarting {}", c.name),
                        ));
                        let key = c.id.clone();
                        let _teardown = self.teardown_guard().await;
                        self.call("containers.restart", |d| async move {
                            d.restart_container(
                                &key,
                                None::<bollard::query_parameters::RestartContainerOptions>,
                            )
                            .await
                        })
                        .await
                    }
                    _ => {
                        report(event(
                            Some(&c.service),
                            Some(&c.name),
                            DeployPhase::Stopping,
                            format!("removing {}", c.name),
                        ));
                        self.stop_and_remove(&c.id, 10).await
                    }
                };
                let _ = self.refresh_container(&c.id).await;
                if r.is_ok() {
                    // Each container's row ends with what became of it, not with "stopping".
                    let (phase, done) = match operation {
                        "stop" => (DeployPhase::Stopped, "stopped"),
                        "start" | "restart" => (DeployPhase::Running, "running"),
                        _ => (DeployPhase::Removed, "removed"),
                    };
                    report(event(
                        Some(&c.service),
                        Some(&c.name),
                        phase,
                        format!("{} {done}", c.name),
                    ));
                }
                r.map_err(|e| format!("{}: {e}", c.name))
            }
        }))
        .await;
        errors.extend(results.into_iter().filter_map(Result::err));
        if operation == "down" && errors.is_empty() {
            self.remove_project_resources(name, volumes, &report)
                .await
                .unwrap_or_else(|e| errors.push(e));
        }
        let _ = self.refresh_objects(Dirty::ALL).await;
        joined(errors)
    }

    /// Removes a network, waiting up to 3 s for the engine to release the endpoints of
    /// containers that were just removed (it answers "active endpoints" meanwhile).
    async fn remove_network_settled(&self, net: &str) -> Result<(), DockerError> {
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let key = net.to_owned();
            match self
                .call("networks.remove", |d| async move {
                    d.remove_network(&key).await
                })
                .await
            {
                Ok(()) | Err(DockerError::Api { status: 404, .. }) => return Ok(()),
                Err(DockerError::Api { message, .. })
                    if message.contains("active endpoints") && Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn remove_project_resources(
        &self,
        name: &str,
        volumes: bool,
        report: &Reporter,
    ) -> Result<(), String> {
        let filters = Some(project_filter(name));
        let networks = self
            .call("networks.list", |d| async move {
                d.list_networks(Some(ListNetworksOptions { filters })).await
            })
            .await
            .map_err(|e| e.to_string())?;
        for n in networks {
            let Some(net) = n.name else { continue };
            match self.remove_network_settled(&net).await {
                Ok(()) => {
                    report(event(
                        None,
                        None,
                        DeployPhase::Removed,
                        format!("network {net} removed"),
                    ));
                }
                Err(e) => return Err(format!("removing network {net}: {e}")),
            }
        }
        if volumes {
            let filters = Some(project_filter(name));
            let list = self
                .call("volumes.list", |d| async move {
                    d.list_volumes(Some(ListVolumesOptions { filters })).await
                })
                .await
                .map_err(|e| e.to_string())?;
            for v in list.volumes.unwrap_or_default() {
                let key = v.name.clone();
                match self
                    .call("volumes.remove", |d| async move {
                        d.remove_volume(
                            &key,
                            None::<bollard::query_parameters::RemoveVolumeOptions>,
                        )
                        .await
                    })
                    .await
                {
                    Ok(()) | Err(DockerError::Api { status: 404, .. }) => {
                        report(event(
                            None,
                            None,
                            DeployPhase::Removed,
                            format!("volume {} removed", v.name),
                        ));
                    }
                    Err(e) => return Err(format!("removing volume {}: {e}", v.name)),
                }
            }
        }
        Ok(())
    }
}
