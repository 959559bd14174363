//! The containers Orbitr knows of, kept current from the engine's event stream (see
//! `DockerEngine::spawn_monitor`): lists and pages read this, never the engine, and every
//! change is broadcast to the live websocket.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use tokio::sync::{broadcast, watch};

use crate::model::resources::{ContainerChange, ContainerView, ImageView, NetworkView, VolumeView};

/// Changes a slow subscriber may fall behind by before it is told to read the whole list again.
const CHANGE_BUFFER: usize = 4096;

/// The live container state. Cheap to clone.
#[derive(Clone)]
pub struct LiveContainers {
    inner: Arc<Inner>,
}

struct Inner {
    map: RwLock<HashMap<String, ContainerView>>,
    changes: broadcast::Sender<ContainerChange>,
    /// True until the first full read and while the engine is unreachable.
    stale: AtomicBool,
    /// Counts full reads, so callers can wait for the next one.
    syncs: watch::Sender<u64>,
}

impl Default for LiveContainers {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                map: RwLock::default(),
                changes: broadcast::channel(CHANGE_BUFFER).0,
                stale: AtomicBool::new(true),
                syncs: watch::channel(0).0,
            }),
        }
    }
}

impl LiveContainers {
    /// Every container, by name.
    pub fn all(&self) -> Vec<ContainerView> {
        let mut list: Vec<ContainerView> = self
            .inner
            .map
            .read()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }

    /// The containers `keep` accepts, by name (filtering before cloning).
    pub fn filtered(&self, mut keep: impl FnMut(&ContainerView) -> bool) -> Vec<ContainerView> {
        let mut list: Vec<ContainerView> = self
            .inner
            .map
            .read()
            .map(|m| m.values().filter(|c| keep(c)).cloned().collect())
            .unwrap_or_default();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }

    /// A container by full id, name, or unambiguous id prefix.
    pub fn find(&self, key: &str) -> Option<ContainerView> {
        let map = self.inner.map.read().ok()?;
        if let Some(found) = map.get(key) {
            return Some(found.clone());
        }
        let name = key.trim_start_matches('/');
        if let Some(found) = map.values().find(|c| c.name == name) {
            return Some(found.clone());
        }
        if key.len() < 4 {
            return None;
        }
        let mut prefixed = map.values().filter(|c| c.id.starts_with(key));
        match (prefixed.next(), prefixed.next()) {
            (Some(one), None) => Some(one.clone()),
            _ => None,
        }
    }

    /// Number of containers known.
    pub fn len(&self) -> usize {
        self.inner.map.read().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether no container is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the state may be out of date (engine unreachable, or not read yet).
    pub fn is_stale(&self) -> bool {
        self.inner.stale.load(Ordering::SeqCst)
    }

    pub(crate) fn mark_stale(&self) {
        self.inner.stale.store(true, Ordering::SeqCst);
    }

    /// Every change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ContainerChange> {
        self.inner.changes.subscribe()
    }

    /// Sees the count of full reads go up.
    pub fn subscribe_syncs(&self) -> watch::Receiver<u64> {
        self.inner.syncs.subscribe()
    }

    /// Records a container's current view; broadcasts when it differs from the known one.
    pub(crate) fn upsert(&self, view: ContainerView) {
        let changed = match self.inner.map.write() {
            Ok(mut map) => {
                if map.get(&view.id) == Some(&view) {
                    false
                } else {
                    map.insert(view.id.clone(), view.clone());
                    true
                }
            }
            Err(_) => false,
        };
        if changed {
            let _ = self.inner.changes.send(ContainerChange::Updated {
                container: Box::new(view),
            });
        }
    }

    /// Forgets a removed container; broadcasts when it was known.
    pub(crate) fn remove(&self, id: &str) {
        let removed = self.inner.map.write().ok().and_then(|mut m| m.remove(id));
        if let Some(gone) = removed {
            let _ = self.inner.changes.send(ContainerChange::Removed {
                id: gone.id,
                workspace: gone.workspace,
            });
        }
    }

    /// Replaces the whole state after a full read, broadcasting what changed meanwhile
    /// (created, changed, removed), and marks it current.
    pub(crate) fn replace_all(&self, views: Vec<ContainerView>) {
        let fresh: HashMap<String, ContainerView> =
            views.into_iter().map(|v| (v.id.clone(), v)).collect();
        let gone: Vec<String> = self
            .inner
            .map
            .read()
            .map(|m| {
                m.keys()
                    .filter(|id| !fresh.contains_key(*id))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        for id in gone {
            self.remove(&id);
        }
        for view in fresh.into_values() {
            self.upsert(view);
        }
        self.inner.stale.store(false, Ordering::SeqCst);
        self.inner.syncs.send_modify(|n| *n += 1);
    }
}

/// Images, networks and volumes: each list read whole again (debounced) after an event about
/// its kind, and published to every watcher. Cheap to clone.
#[derive(Clone)]
pub struct LiveObjects {
    pub images: watch::Sender<Arc<Vec<ImageView>>>,
    pub networks: watch::Sender<Arc<Vec<NetworkView>>>,
    pub volumes: watch::Sender<Arc<Vec<VolumeView>>>,
    /// Progress of image pulls under way.
    pub pulls: broadcast::Sender<crate::model::resources::PullProgress>,
}

impl Default for LiveObjects {
    fn default() -> Self {
        Self {
            images: watch::channel(Arc::default()).0,
            networks: watch::channel(Arc::default()).0,
            volumes: watch::channel(Arc::default()).0,
            pulls: broadcast::channel(256).0,
        }
    }
}

/// Publishes `next` unless it equals what watchers have.
pub(crate) fn publish<T: PartialEq>(sender: &watch::Sender<Arc<Vec<T>>>, next: Vec<T>) {
    sender.send_if_modified(|current| {
        if **current == next {
            false
        } else {
            *current = Arc::new(next);
            true
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(id: &str, name: &str, state: &str) -> ContainerView {
        ContainerView {
            id: id.into(),
            name: name.into(),
            image: "img".into(),
            state: state.into(),
            health: None,
            exit_code: None,
            created_at: 0,
            started_at: None,
            ports: vec![],
            workspace: Some("ws".into()),
            stack: None,
            service: None,
            image_id: String::new(),
            networks: vec![],
            volumes: vec![],
        }
    }

    #[test]
    fn upserts_broadcast_only_real_changes() {
        let live = LiveContainers::default();
        let mut rx = live.subscribe();
        live.upsert(view("aaaa1", "web", "running"));
        live.upsert(view("aaaa1", "web", "running"));
        live.upsert(view("aaaa1", "web", "exited"));
        let first = rx.try_recv().expect("first");
        assert!(
            matches!(first, ContainerChange::Updated { container } if container.state == "running")
        );
        let second = rx.try_recv().expect("second");
        assert!(
            matches!(second, ContainerChange::Updated { container } if container.state == "exited")
        );
        assert!(rx.try_recv().is_err(), "the identical view was not sent");
    }

    #[test]
    fn a_full_read_reports_what_changed_while_away() {
        let live = LiveContainers::default();
        assert!(live.is_stale());
        live.replace_all(vec![
            view("a1", "one", "running"),
            view("b2", "two", "running"),
        ]);
        assert!(!live.is_stale());
        let mut rx = live.subscribe();
        live.mark_stale();
        live.replace_all(vec![
            view("a1", "one", "exited"),
            view("c3", "three", "created"),
        ]);
        let mut seen = Vec::new();
        while let Ok(change) = rx.try_recv() {
            seen.push(match change {
                ContainerChange::Updated { container } => {
                    format!("updated {} {}", container.name, container.state)
                }
                ContainerChange::Removed { id, .. } => format!("removed {id}"),
            });
        }
        seen.sort();
        assert_eq!(
            seen,
            ["removed b2", "updated one exited", "updated three created"]
        );
        assert_eq!(live.len(), 2);
    }

    #[test]
    fn find_by_id_name_or_unambiguous_prefix() {
        let live = LiveContainers::default();
        live.replace_all(vec![
            view("abcdef01", "web", "running"),
            view("abcdff02", "db", "running"),
        ]);
        assert_eq!(live.find("abcdef01").map(|c| c.name), Some("web".into()));
        assert_eq!(live.find("/db").map(|c| c.name), Some("db".into()));
        assert_eq!(live.find("abcde").map(|c| c.name), Some("web".into()));
        assert_eq!(live.find("abcd"), None, "ambiguous");
        assert_eq!(live.find("ab"), None, "too short");
    }
}
