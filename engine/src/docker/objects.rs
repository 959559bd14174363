//! Images, networks and volumes: read whole from the engine into the live lists, and the
//! operations on them (remove, prune, create).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use bollard::models::{Ipam, IpamConfig, NetworkCreateRequest, VolumeCreateRequest};
use bollard::query_parameters::{
    ListImagesOptions, PruneImagesOptions, PruneVolumesOptions, RemoveImageOptions,
    RemoveVolumeOptions,
};

use crate::docker::containers::{epoch_ms, is_valid_name};
use crate::docker::live::publish;
use crate::docker::{Dirty, DockerEngine, DockerError};
use crate::model::resources::{
    HistoryStep, ImageDetail, ImageView, NetworkSpec, NetworkView, PruneReport, VolumeView,
    WORKSPACE_LABEL,
};

/// Dangling images younger than this are not pruned (a build under way may still use them).
const PRUNE_MIN_AGE: &str = "5m";

/// Why an image, network or volume operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The object is in use (the engine's reason).
    #[error("{0}")]
    InUse(String),
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error(transparent)]
    Docker(#[from] DockerError),
}

/// 404 → not found, 409 → in use, the rest as the engine said.
fn refused(kind: &'static str, e: DockerError) -> ObjectError {
    match e {
        DockerError::Api { status: 404, .. } => ObjectError::NotFound(kind),
        DockerError::Api {
            status: 409,
            message,
            ..
        } => ObjectError::InUse(message),
        other => ObjectError::Docker(other),
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ObjectError {
    ObjectError::Invalid {
        field: field.to_owned(),
        message: message.into(),
    }
}

impl DockerEngine {
    /// Images, newest first.
    async fn read_images(&self) -> Result<Vec<ImageView>, DockerError> {
        let list = self
            .call("images.list", |d| async move {
                d.list_images(Some(ListImagesOptions {
                    all: false,
                    ..Default::default()
                }))
                .await
            })
            .await?;
        let mut views: Vec<ImageView> = list
            .into_iter()
            .map(|i| ImageView {
                id: i.id,
                tags: i
                    .repo_tags
                    .into_iter()
                    .filter(|t| t != "<none>:<none>")
                    .collect(),
                size: i.size,
                created_at: i.created.saturating_mul(1000),
                used_by: Vec::new(),
            })
            .collect();
        views.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        Ok(views)
    }

    async fn read_networks(&self) -> Result<Vec<NetworkView>, DockerError> {
        let list = self
            .call("networks.list", |d| async move {
                d.list_networks(None::<bollard::query_parameters::ListNetworksOptions>)
                    .await
            })
            .await?;
        let mut views: Vec<NetworkView> = list
            .into_iter()
            .map(|n| {
                let first = n
                    .ipam
                    .as_ref()
                    .and_then(|i| i.config.as_ref())
                    .and_then(|c| c.first().cloned());
                NetworkView {
                    id: n.id.unwrap_or_default(),
                    name: n.name.unwrap_or_default(),
                    driver: n.driver.unwrap_or_default(),
                    internal: n.internal.unwrap_or(false),
                    subnet: first.as_ref().and_then(|c| c.subnet.clone()),
                    gateway: first.and_then(|c| c.gateway),
                    created_at: epoch_ms(n.created.as_deref()).unwrap_or(0),
                    workspace: n.labels.and_then(|mut l| l.remove(WORKSPACE_LABEL)),
                    used_by: Vec::new(),
                }
            })
            .map(|mut n| {
                if n.workspace.is_none() {
                    n.workspace = self.adopted_owner(&n.id);
                }
                n
            })
            .collect();
        views.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(views)
    }

    async fn read_volumes(&self) -> Result<Vec<VolumeView>, DockerError> {
        let list = self
            .call("volumes.list", |d| async move {
                d.list_volumes(None::<bollard::query_parameters::ListVolumesOptions>)
                    .await
            })
            .await?;
        let mut views: Vec<VolumeView> = list
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|mut v| VolumeView {
                workspace: v.labels.remove(WORKSPACE_LABEL),
                created_at: epoch_ms(v.created_at.as_deref()).unwrap_or(0),
                name: v.name,
                driver: v.driver,
                mountpoint: v.mountpoint,
                used_by: Vec::new(),
            })
            .map(|mut v| {
                if v.workspace.is_none() {
                    v.workspace = self.adopted_owner(&v.name);
                }
                v
            })
            .collect();
        views.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(views)
    }

    /// Reads the kinds marked dirty again and publishes them.
    pub(crate) async fn refresh_objects(&self, dirty: Dirty) -> Result<(), DockerError> {
        let live = self.objects();
        if dirty.images {
            publish(&live.images, self.read_images().await?);
        }
        if dirty.networks {
            publish(&live.networks, self.read_networks().await?);
        }
        if dirty.volumes {
            publish(&live.volumes, self.read_volumes().await?);
        }
        Ok(())
    }

    /// The images now.
    pub fn images(&self) -> Arc<Vec<ImageView>> {
        self.objects().images.borrow().clone()
    }

    /// The networks now.
    pub fn networks(&self) -> Arc<Vec<NetworkView>> {
        self.objects().networks.borrow().clone()
    }

    /// The volumes now.
    pub fn volumes(&self) -> Arc<Vec<VolumeView>> {
        self.objects().volumes.borrow().clone()
    }

    /// An image's configuration, layers and history.
    pub async fn inspect_image(&self, image: &str) -> Result<ImageDetail, ObjectError> {
        let (a, b) = (image.to_owned(), image.to_owned());
        let (inspect, history) = futures::try_join!(
            self.call(
                "images.inspect",
                |d| async move { d.inspect_image(&a).await }
            ),
            self.call(
                "images.history",
                |d| async move { d.image_history(&b).await }
            ),
        )
        .map_err(|e| refused("image", e))?;
        let config = inspect.config.clone().unwrap_or_default();
        let mut ports: Vec<String> = config.exposed_ports.clone().unwrap_or_default();
        ports.sort();
        let id = inspect.id.clone().unwrap_or_default();
        let summary = self
            .images()
            .iter()
            .find(|i| i.id == id)
            .cloned()
            .unwrap_or_else(|| ImageView {
                id: id.clone(),
                tags: inspect.repo_tags.clone().unwrap_or_default(),
                size: inspect.size.unwrap_or(0),
                created_at: epoch_ms(inspect.created.as_deref()).unwrap_or(0),
                used_by: Vec::new(),
            });
        Ok(ImageDetail {
            summary,
            architecture: inspect.architecture.unwrap_or_default(),
            os: inspect.os.unwrap_or_default(),
            cmd: config.cmd.unwrap_or_default(),
            entrypoint: config.entrypoint.unwrap_or_default(),
            env: config
                .env
                .unwrap_or_default()
                .iter()
                .map(|e| crate::model::resources::mask_env(e))
                .collect(),
            exposed_ports: ports,
            layers: inspect.root_fs.and_then(|r| r.layers).unwrap_or_default(),
            history: history
                .into_iter()
                .map(|h| HistoryStep {
                    created_by: h.created_by,
                    size: h.size,
                    created_at: h.created.saturating_mul(1000),
                })
                .collect(),
        })
    }

    /// Removes an image (by id or reference). In use, it is refused with the engine's reason
    /// unless `force`.
    pub async fn remove_image(&self, image: &str, force: bool) -> Result<Vec<String>, ObjectError> {
        let key = image.to_owned();
        let removed = self
            .call("images.remove", |d| async move {
                d.remove_image(
                    &key,
                    Some(RemoveImageOptions {
                        force,
                        noprune: false,
                        platforms: None,
                    }),
                    None,
                )
                .await
            })
            .await
            .map_err(|e| refused("image", e))?;
        self.refresh_objects(Dirty::IMAGES).await?;
        Ok(removed
            .into_iter()
            .filter_map(|r| r.deleted.or(r.untagged))
            .collect())
    }

    /// Removes dangling images (no tag, no container) older than five minutes; reports what went
    /// and the space freed.
    pub async fn prune_images(&self) -> Result<PruneReport, ObjectError> {
        let report = self
            .call("images.prune", |d| async move {
                d.prune_images(Some(PruneImagesOptions {
                    // Dangling images of builds under way are younger: leave those alone.
                    filters: Some(HashMap::from([
                        ("dangling".to_owned(), vec!["true".to_owned()]),
                        ("until".to_owned(), vec![PRUNE_MIN_AGE.to_owned()]),
                    ])),
                }))
                .await
            })
            .await?;
        self.refresh_objects(Dirty::IMAGES).await?;
        Ok(PruneReport {
            removed: report
                .images_deleted
                .unwrap_or_default()
                .into_iter()
                .filter_map(|r| r.deleted.or(r.untagged))
                .collect(),
            space_reclaimed: report.space_reclaimed.unwrap_or(0),
        })
    }

    /// Creates a network labelled for `workspace`, after checking the form's fields.
    pub async fn create_network(
        &self,
        spec: &NetworkSpec,
        workspace: &str,
    ) -> Result<NetworkView, ObjectError> {
        let name = spec.name.trim();
        if !is_valid_name(name) {
            return Err(invalid(
                "name",
                "use letters, digits, `_`, `.` and `-`, starting with a letter or digit",
            ));
        }
        let driver = match spec.driver.trim() {
            "" => "bridge",
            d @ ("bridge" | "overlay" | "macvlan" | "ipvlan") => d,
            other => {
                return Err(invalid(
                    "driver",
                    format!("{other:?}: use bridge, overlay, macvlan or ipvlan"),
                ));
            }
        };
        let subnet = spec.subnet.trim();
        let gateway = spec.gateway.trim();
        if !subnet.is_empty() && !is_cidr(subnet) {
            return Err(invalid(
                "subnet",
                format!("{subnet:?} is not a CIDR block like 172.30.0.0/24"),
            ));
        }
        if !gateway.is_empty() {
            if subnet.is_empty() {
                return Err(invalid("gateway", "a gateway needs a subnet"));
            }
            if gateway.parse::<std::net::IpAddr>().is_err() {
                return Err(invalid(
                    "gateway",
                    format!("{gateway:?} is not an IP address"),
                ));
            }
        }
        if self.networks().iter().any(|n| n.name == name) {
            return Err(invalid("name", format!("a network named {name} exists")));
        }
        let ipam = (!subnet.is_empty()).then(|| Ipam {
            config: Some(vec![IpamConfig {
                subnet: Some(subnet.to_owned()),
                gateway: (!gateway.is_empty()).then(|| gateway.to_owned()),
                ..Default::default()
            }]),
            ..Default::default()
        });
        let request = NetworkCreateRequest {
            name: name.to_owned(),
            driver: Some(driver.to_owned()),
            internal: Some(spec.internal),
            ipam,
            labels: Some(HashMap::from([(
                WORKSPACE_LABEL.to_owned(),
                workspace.to_owned(),
            )])),
            ..Default::default()
        };
        let created = self
            .call("networks.create", |d| async move {
                d.create_network(request).await
            })
            .await
            .map_err(|e| refused("network", e))?;
        self.refresh_objects(Dirty::NETWORKS).await?;
        self.networks()
            .iter()
            .find(|n| n.id == created.id)
            .cloned()
            .ok_or(ObjectError::NotFound("network"))
    }

    /// Removes a network (refused with the engine's reason while containers use it).
    pub async fn remove_network(&self, id: &str) -> Result<(), ObjectError> {
        let key = id.to_owned();
        self.call("networks.remove", |d| async move {
            d.remove_network(&key).await
        })
        .await
        .map_err(|e| refused("network", e))?;
        self.refresh_objects(Dirty::NETWORKS).await?;
        Ok(())
    }

    /// Connects (or, with `connect` false, disconnects) a container to a network, then reads
    /// the container again so its networks are current.
    pub async fn attach(
        &self,
        network: &str,
        container: &str,
        connect: bool,
    ) -> Result<(), ObjectError> {
        let (net, id) = (network.to_owned(), container.to_owned());
        let result = if connect {
            self.call("networks.connect", |d| async move {
                d.connect_network(
                    &net,
                    bollard::models::NetworkConnectRequest {
                        container: id,
                        endpoint_config: None,
                    },
                )
                .await
            })
            .await
        } else {
            self.call("networks.disconnect", |d| async move {
                d.disconnect_network(
                    &net,
                    bollard::models::NetworkDisconnectRequest {
                        container: id,
                        force: Some(false),
                    },
                )
                .await
            })
            .await
        };
        result.map_err(|e| match e {
            // The engine answers 403 for e.g. connecting to `host` or a duplicate endpoint.
            DockerError::Api {
                status: 403,
                message,
                ..
            } => ObjectError::InUse(message),
            // The engine answers a disconnect of what is not connected with a 500 of its own;
            // it is the request that does not fit the state.
            DockerError::Api {
                status: 500,
                message,
                ..
            } if !connect && message.contains("is not connected") => ObjectError::InUse(message),
            e => refused("network", e),
        })?;
        self.refresh_container(container).await?;
        Ok(())
    }

    /// Creates a named volume labelled for `workspace`.
    pub async fn create_volume(
        &self,
        name: &str,
        workspace: &str,
    ) -> Result<VolumeView, ObjectError> {
        let name = name.trim();
        if !is_valid_name(name) {
            return Err(invalid(
                "name",
                "use letters, digits, `_`, `.` and `-`, starting with a letter or digit",
            ));
        }
        if self.volumes().iter().any(|v| v.name == name) {
            return Err(invalid("name", format!("a volume named {name} exists")));
        }
        let request = VolumeCreateRequest {
            name: Some(name.to_owned()),
            driver: Some("local".to_owned()),
            labels: Some(HashMap::from([(
                WORKSPACE_LABEL.to_owned(),
                workspace.to_owned(),
            )])),
            ..Default::default()
        };
        self.call("volumes.create", |d| async move {
            d.create_volume(request).await
        })
        .await
        .map_err(|e| refused("volume", e))?;
        self.refresh_objects(Dirty::VOLUMES).await?;
        self.volumes()
            .iter()
            .find(|v| v.name == name)
            .cloned()
            .ok_or(ObjectError::NotFound("volume"))
    }

    /// Removes a volume (refused with the engine's reason while a container uses it).
    pub async fn remove_volume(&self, name: &str) -> Result<(), ObjectError> {
        let key = name.to_owned();
        self.call("volumes.remove", |d| async move {
            d.remove_volume(&key, Some(RemoveVolumeOptions { force: false }))
                .await
        })
        .await
        .map_err(|e| refused("volume", e))?;
        self.refresh_objects(Dirty::VOLUMES).await?;
        Ok(())
    }

    /// Removes the workspace's volumes no container uses.
    pub async fn prune_volumes(&self, workspace: &str) -> Result<PruneReport, ObjectError> {
        let filters = HashMap::from([(
            "label".to_owned(),
            vec![format!("{WORKSPACE_LABEL}={workspace}")],
        )]);
        let report = self
            .call("volumes.prune", |d| async move {
                d.prune_volumes(Some(PruneVolumesOptions {
                    filters: Some(filters),
                }))
                .await
            })
            .await?;
        self.refresh_objects(Dirty::VOLUMES).await?;
        Ok(PruneReport {
            removed: report.volumes_deleted.unwrap_or_default(),
            space_reclaimed: report.space_reclaimed.unwrap_or(0),
        })
    }
}

impl DockerEngine {
    /// Bytes used by each volume the caller may see (`names`), read from its folder on the
    /// engine's host; a volume whose folder Orbitr cannot read (another host, no permission) is
    /// left out.
    pub async fn volume_sizes(&self, names: Vec<String>) -> HashMap<String, i64> {
        let local = self.host().starts_with("unix://");
        let folders: Vec<(String, String)> = self
            .volumes()
            .iter()
            .filter(|v| local && names.contains(&v.name))
            .map(|v| (v.name.clone(), v.mountpoint.clone()))
            .collect();
        tokio::task::spawn_blocking(move || {
            folders
                .into_iter()
                .filter_map(|(name, folder)| Some((name, folder_size(Path::new(&folder))?)))
                .collect()
        })
        .await
        .unwrap_or_default()
    }
}

/// Bytes of the regular files under `root` (links not followed); `None` when it cannot be read.
fn folder_size(root: &Path) -> Option<i64> {
    let mut total: u64 = 0;
    let mut pending = vec![std::fs::read_dir(root).ok()?];
    while let Some(entries) = pending.pop() {
        for entry in entries.flatten() {
            let Ok(meta) = entry.path().symlink_metadata() else {
                continue;
            };
            if meta.is_dir() {
                if let Ok(inner) = std::fs::read_dir(entry.path()) {
                    pending.push(inner);
                }
            } else if meta.is_file() {
                total = total.saturating_add(meta.len());
            }
        }
    }
    i64::try_from(total).ok()
}

/// `a.b.c.d/n` (IPv4) or an IPv6 block.
fn is_cidr(raw: &str) -> bool {
    let Some((addr, bits)) = raw.split_once('/') else {
        return false;
    };
    match (addr.parse::<std::net::IpAddr>(), bits.parse::<u8>()) {
        (Ok(std::net::IpAddr::V4(_)), Ok(n)) => n <= 32,
        (Ok(std::net::IpAddr::V6(_)), Ok(n)) => n <= 128,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{folder_size, is_cidr};

    #[test]
    fn folder_sizes_add_up_files_below() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::create_dir(dir.path().join("sub")).expect("sub");
        std::fs::write(dir.path().join("a"), [0_u8; 100]).expect("a");
        std::fs::write(dir.path().join("sub/b"), [0_u8; 23]).expect("b");
        assert_eq!(folder_size(dir.path()), Some(123));
        assert_eq!(folder_size(&dir.path().join("missing")), None);
    }

    #[test]
    fn cidr_blocks_are_checked() {
        assert!(is_cidr("172.30.0.0/24"));
        assert!(is_cidr("fd00::/64"));
        assert!(!is_cidr("172.30.0.0"));
        assert!(!is_cidr("172.30.0.0/33"));
        assert!(!is_cidr("net/24"));
    }
}
