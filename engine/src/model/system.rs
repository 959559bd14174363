//! What Orbitr reports about itself and the Docker engine it drives.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::tagged::tag_first_decoder;

/// Orbitr's version and the engine's figures, as shown on the dashboard and `GET /api/v1/system`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SystemInfo {
    /// Version of this Orbitr build.
    pub orbitr_version: String,
    /// The Docker engine Orbitr is connected to.
    pub engine: EngineInfo,
    /// Whose objects the container, volume and network counts cover: the whole engine (platform
    /// admins) or the workspaces the caller may read.
    #[serde(default)]
    pub scope: FigureScope,
}

/// The close code of a live socket whose right ended (a policy violation, RFC 6455).
pub const SOCKET_ENDED: u16 = 1008;
/// The close reason when the right ended with the sign-in itself: the page signs in again
/// instead of reconnecting.
pub const SOCKET_SIGNED_OUT: &str = "signed out";

/// Whose objects a [`SystemInfo`]'s counts cover.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FigureScope {
    /// Every object of the engine.
    #[default]
    Engine,
    /// Only the objects of the workspaces the caller may read (images are shared by the whole
    /// engine and are counted whole).
    Workspaces,
}

impl SystemInfo {
    /// The figures with the container, volume and network counts replaced by those of the
    /// objects a caller may see (`containers` and the two counts already narrowed to them).
    pub fn narrowed(
        mut self,
        containers: &[crate::model::resources::ContainerView],
        volumes: usize,
        networks: usize,
    ) -> Self {
        let count = |state: &str| {
            i64::try_from(containers.iter().filter(|c| c.state == state).count())
                .unwrap_or(i64::MAX)
        };
        let total = i64::try_from(containers.len()).unwrap_or(i64::MAX);
        let (running, paused) = (count("running"), count("paused"));
        self.engine.containers = ContainerCounts {
            total,
            running,
            paused,
            stopped: total - running - paused,
        };
        self.engine.volumes = i64::try_from(volumes).unwrap_or(i64::MAX);
        self.engine.networks = i64::try_from(networks).unwrap_or(i64::MAX);
        self.scope = FigureScope::Workspaces;
        self
    }
}

/// Figures of a Docker engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EngineInfo {
    /// Where Orbitr reaches the engine (`unix:///var/run/docker.sock`, `tcp://…`).
    pub host: String,
    /// Engine (daemon) version, e.g. `28.2.2`.
    pub version: String,
    /// API version negotiated with the engine, e.g. `1.41`.
    pub api_version: String,
    /// Host name of the machine the engine runs on.
    pub name: String,
    /// Operating system of the engine's host, e.g. `Debian GNU/Linux 12 (bookworm)`.
    pub os: String,
    /// Kernel version of the engine's host.
    pub kernel_version: String,
    /// CPU architecture, e.g. `x86_64`.
    pub architecture: String,
    /// Logical CPUs available to the engine.
    pub cpus: i64,
    /// Memory available to the engine, in bytes.
    pub memory_bytes: i64,
    /// Containers by state.
    pub containers: ContainerCounts,
    /// Number of images.
    pub images: i64,
    /// Number of volumes.
    pub volumes: i64,
    /// Number of networks.
    pub networks: i64,
}

/// Containers by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContainerCounts {
    pub total: i64,
    pub running: i64,
    pub paused: i64,
    pub stopped: i64,
}

/// Whether Orbitr can reach the Docker engine right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EngineStatus {
    /// The engine address Orbitr uses.
    pub host: String,
    /// `connected`, `connecting` (not tried yet) or `unreachable`.
    pub state: EngineState,
    /// Engine version once connected.
    pub version: Option<String>,
    /// Why the engine cannot be reached, when it cannot.
    pub error: Option<String>,
}

/// Connection state of the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EngineState {
    Connecting,
    Connected,
    Unreachable,
}

impl EngineStatus {
    /// True once the engine answered and has not failed since.
    pub fn is_connected(&self) -> bool {
        self.state == EngineState::Connected
    }

    /// A one-line suggestion of what to do when the engine cannot be reached.
    pub fn hint(&self) -> String {
        if let Some(path) = self.host.strip_prefix("unix://") {
            format!(
                "Check that the Docker engine is running (`systemctl status docker`) and that \
                 Orbitr's user may open {path} (member of the `docker` group), or point \
                 ORBITR_DOCKER_HOST / DOCKER_HOST at the right socket."
            )
        } else {
            format!(
                "Check that a Docker engine listens on {} and that this machine can reach it, \
                 or point ORBITR_DOCKER_HOST / DOCKER_HOST at the right address.",
                self.host
            )
        }
    }
}

/// A message on the live websocket (`GET /api/v1/events`), one JSON text frame each, `type`
/// first (decoded by [`tag_first_decoder!`]).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// The engine connection changed (sent once on connect, then on every change).
    Engine { status: EngineStatus },
    /// New engine figures (sent once on connect when known, then after every change).
    System { info: SystemInfo },
    /// Every container the viewer may see (sent on connect, and again whenever the viewer fell
    /// behind), with whether the list may be out of date.
    Containers {
        containers: Vec<crate::model::resources::ContainerView>,
        stale: bool,
    },
    /// One container changed or went away.
    Container {
        change: crate::model::resources::ContainerChange,
    },
    /// Every image (sent on connect and after every change).
    Images {
        images: Vec<crate::model::resources::ImageView>,
    },
    /// Every network the viewer may see (sent on connect and after every change).
    Networks {
        networks: Vec<crate::model::resources::NetworkView>,
    },
    /// Every volume the viewer may see (sent on connect and after every change).
    Volumes {
        volumes: Vec<crate::model::resources::VolumeView>,
    },
    /// Progress of an image pull in one of the viewer's workspaces.
    Pull {
        pull: crate::model::resources::PullProgress,
    },
    /// One step of an operation (deploy, stop…) on a stack of one of the viewer's workspaces.
    Deploy {
        /// The stack's id.
        stack: String,
        event: crate::model::resources::DeployEvent,
    },
}

tag_first_decoder!(LiveEvent, "type", {
    Engine { status: EngineStatus },
    System { info: SystemInfo },
    Containers { containers: Vec<crate::model::resources::ContainerView>, stale: bool },
    Container { change: crate::model::resources::ContainerChange },
    Images { images: Vec<crate::model::resources::ImageView> },
    Networks { networks: Vec<crate::model::resources::NetworkView> },
    Volumes { volumes: Vec<crate::model::resources::VolumeView> },
    Pull { pull: crate::model::resources::PullProgress },
    Deploy { stack: String, event: crate::model::resources::DeployEvent },
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::resources::ContainerView;

    fn container(state: &str) -> ContainerView {
        ContainerView {
            id: format!("{state}-id"),
            name: state.to_owned(),
            image: "app:1".into(),
            image_id: "sha256:1".into(),
            state: state.to_owned(),
            health: None,
            exit_code: None,
            created_at: 0,
            started_at: None,
            ports: vec![],
            workspace: Some("w1".into()),
            stack: None,
            service: None,
            networks: vec![],
            volumes: vec![],
        }
    }

    fn engine_info() -> EngineInfo {
        EngineInfo {
            host: "unix:///var/run/docker.sock".into(),
            version: "28".into(),
            api_version: "1.41".into(),
            name: "host".into(),
            os: "Debian".into(),
            kernel_version: "6".into(),
            architecture: "x86_64".into(),
            cpus: 2,
            memory_bytes: 1 << 30,
            containers: ContainerCounts {
                total: 40,
                running: 30,
                paused: 2,
                stopped: 8,
            },
            images: 12,
            volumes: 9,
            networks: 7,
        }
    }

    #[test]
    fn narrowed_figures_count_only_what_is_given_and_say_so() {
        let info = SystemInfo {
            orbitr_version: "0".into(),
            engine: engine_info(),
            scope: FigureScope::Engine,
        };
        let mine = [
            container("running"),
            container("running"),
            container("paused"),
            container("exited"),
            container("created"),
        ];
        let narrowed = info.clone().narrowed(&mine, 1, 2);
        assert_eq!(
            narrowed.engine.containers,
            ContainerCounts {
                total: 5,
                running: 2,
                paused: 1,
                stopped: 2,
            }
        );
        assert_eq!((narrowed.engine.volumes, narrowed.engine.networks), (1, 2));
        assert_eq!(narrowed.engine.images, 12, "images are the engine's");
        assert_eq!(narrowed.scope, FigureScope::Workspaces);
        assert_eq!(info.scope, FigureScope::Engine);
    }

    /// One message of every kind, as the server sends them.
    fn every_live_event() -> Vec<LiveEvent> {
        use crate::model::resources::{
            ContainerChange, DeployEvent, DeployPhase, ImageView, LayerProgress, NetworkView,
            PullProgress, VolumeView,
        };
        vec![
            LiveEvent::Engine {
                status: EngineStatus {
                    host: "unix:///var/run/docker.sock".into(),
                    state: EngineState::Unreachable,
                    version: None,
                    error: Some("connection refused".into()),
                },
            },
            LiveEvent::System {
                info: SystemInfo {
                    orbitr_version: "1".into(),
                    engine: engine_info(),
                    scope: FigureScope::Workspaces,
                },
            },
            LiveEvent::Containers {
                containers: vec![container("running"), container("exited")],
                stale: true,
            },
            LiveEvent::Container {
                change: ContainerChange::Updated {
                    container: Box::new(container("paused")),
                },
            },
            LiveEvent::Container {
                change: ContainerChange::Removed {
                    id: "gone".into(),
                    workspace: None,
                },
            },
            LiveEvent::Images {
                images: vec![ImageView {
                    id: "sha256:1".into(),
                    tags: vec!["app:1".into()],
                    size: 5,
                    created_at: 1,
                    used_by: vec!["web".into()],
                }],
            },
            LiveEvent::Networks {
                networks: vec![NetworkView {
                    id: "n1".into(),
                    name: "web".into(),
                    driver: "bridge".into(),
                    internal: false,
                    subnet: Some("10.0.0.0/24".into()),
                    gateway: None,
                    created_at: 2,
                    workspace: Some("w1".into()),
                    used_by: vec![],
                }],
            },
            LiveEvent::Volumes {
                volumes: vec![VolumeView {
                    name: "data".into(),
                    driver: "local".into(),
                    mountpoint: "/var/lib/docker/volumes/data".into(),
                    created_at: 2,
                    workspace: None,
                    used_by: vec!["web".into()],
                }],
            },
            LiveEvent::Pull {
                pull: PullProgress {
                    id: "p1".into(),
                    reference: "app:1".into(),
                    workspace: "w1".into(),
                    layers: vec![LayerProgress {
                        id: "l1".into(),
                        status: "Downloading".into(),
                        current: 1,
                        total: 2,
                    }],
                    status: String::new(),
                    done: false,
                    error: None,
                },
            },
            LiveEvent::Deploy {
                stack: "s1".into(),
                event: DeployEvent {
                    at: 3,
                    service: Some("web".into()),
                    container: None,
                    phase: DeployPhase::Completed,
                    message: "done".into(),
                    current: None,
                    total: Some(9),
                },
            },
        ]
    }

    #[test]
    fn every_live_event_reads_back_as_it_was_written() {
        for event in every_live_event() {
            let text = serde_json::to_string(&event).expect("a live event encodes");
            let read: LiveEvent = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{text} does not read back: {e}"));
            assert_eq!(read, event, "{text}");
            assert!(text.starts_with(r#"{"type":"#), "{text}");
        }
    }

    #[test]
    fn a_live_event_is_refused_with_what_is_wrong_and_where() {
        let refused = |text: &str| {
            serde_json::from_str::<LiveEvent>(text)
                .expect_err(text)
                .to_string()
        };
        let late = refused(r#"{"stale":false,"type":"containers","containers":[]}"#);
        assert!(
            late.contains("`type` must be the first field, found `stale`"),
            "{late}"
        );
        let unknown = refused(r#"{"type":"weather","sky":"blue"}"#);
        assert!(unknown.contains("unknown variant `weather`"), "{unknown}");
        let missing = refused(r#"{"type":"containers","stale":false}"#);
        assert!(missing.contains("missing field `containers`"), "{missing}");
        let nested = refused(r#"{"type":"container","change":{"id":"x","change":"removed"}}"#);
        assert!(
            nested.contains("`change` must be the first field"),
            "{nested}"
        );
        assert!(refused("{}").contains("missing field `type`"));
        assert!(refused("[1]").contains("a map whose first field is `type`"));
        let bad_field = refused(r#"{"type":"containers","containers":[],"stale":"no"}"#);
        assert!(bad_field.contains("line 1 column"), "{bad_field}");
    }

    #[test]
    fn fields_a_newer_server_adds_are_ignored() {
        let read: LiveEvent =
            serde_json::from_str(r#"{"type":"containers","containers":[],"stale":false,"new":1}"#)
                .expect("an unknown field is ignored");
        assert_eq!(
            read,
            LiveEvent::Containers {
                containers: vec![],
                stale: false
            }
        );
    }
}
