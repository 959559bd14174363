//! Reconciling a desired project with what the engine has: pure, so every decision about what
//! to create, keep, recreate or remove is tested without a daemon, by reading the plan's text.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::Project;

/// A container of the project as the engine reports it (from its Compose labels).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedContainer {
    pub id: String,
    pub name: String,
    pub service: String,
    pub number: u32,
    pub config_hash: String,
    pub running: bool,
    /// `docker compose run` containers, which a deploy leaves alone.
    pub oneoff: bool,
    /// Creation time (seconds), to keep the newest of duplicates.
    pub created: i64,
}

/// What the engine has for a project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    pub containers: Vec<ObservedContainer>,
    /// Engine names of the project's networks and volumes that exist.
    pub networks: BTreeSet<String>,
    pub volumes: BTreeSet<String>,
}

/// Knobs for a deploy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileOptions {
    /// Remove containers of services no longer in the file.
    pub remove_orphans: bool,
    /// Recreate every container even when its configuration did not change.
    pub force_recreate: bool,
}

/// Why a container is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoveReason {
    Orphan,
    ScaledDown,
    Duplicate,
}

/// One step of a deploy: each is a single engine call (or two for a recreate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    CreateNetwork {
        key: String,
        name: String,
    },
    CreateVolume {
        key: String,
        name: String,
    },
    Create {
        service: String,
        number: u32,
        name: String,
    },
    Recreate {
        service: String,
        number: u32,
        name: String,
        id: String,
    },
    Start {
        service: String,
        number: u32,
        name: String,
        id: String,
    },
    Keep {
        service: String,
        number: u32,
        name: String,
        id: String,
    },
    Remove {
        service: String,
        number: u32,
        name: String,
        id: String,
        reason: RemoveReason,
    },
}

impl Action {
    /// The service the action is about (none for networks and volumes).
    pub fn service(&self) -> Option<&str> {
        match self {
            Self::CreateNetwork { .. } | Self::CreateVolume { .. } => None,
            Self::Create { service, .. }
            | Self::Recreate { service, .. }
            | Self::Start { service, .. }
            | Self::Keep { service, .. }
            | Self::Remove { service, .. } => Some(service),
        }
    }

    /// Whether the action changes anything.
    pub fn changes(&self) -> bool {
        !matches!(self, Self::Keep { .. })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CreateNetwork { name, .. } => write!(f, "create network {name}"),
            Self::CreateVolume { name, .. } => write!(f, "create volume {name}"),
            Self::Create { name, .. } => write!(f, "create {name}"),
            Self::Recreate { name, .. } => write!(f, "recreate {name} (configuration changed)"),
            Self::Start { name, .. } => write!(f, "start {name}"),
            Self::Keep { name, .. } => write!(f, "keep {name}"),
            Self::Remove { name, reason, .. } => {
                let why = match reason {
                    RemoveReason::Orphan => "orphan",
                    RemoveReason::ScaledDown => "scaled down",
                    RemoveReason::Duplicate => "duplicate",
                };
                write!(f, "remove {name} ({why})")
            }
        }
    }
}

/// The steps from what is to what the file says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub actions: Vec<Action>,
}

impl Plan {
    /// Whether applying the plan would change nothing.
    pub fn is_noop(&self) -> bool {
        !self.actions.iter().any(Action::changes)
    }

    /// The actions for one service.
    pub fn for_service<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a Action> + 'a {
        self.actions
            .iter()
            .filter(move |a| a.service() == Some(service))
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for action in &self.actions {
            writeln!(f, "{action}")?;
        }
        Ok(())
    }
}

/// The container name the Compose CLI gives replica `number` of `service`.
pub fn container_name(project: &str, service: &crate::model::Service, number: u32) -> String {
    match &service.container_name {
        Some(name) => name.clone(),
        None => format!("{project}-{}-{number}", service.name),
    }
}

/// Compares the desired project with the observed containers and resources.
pub fn reconcile(
    project_name: &str,
    project: &Project,
    observed: &Observed,
    options: ReconcileOptions,
) -> Plan {
    let mut actions = Vec::new();
    for key in used_networks(project) {
        let def = project.networks.get(&key);
        if def.is_some_and(|d| d.external) {
            continue;
        }
        let name = project.network_name(project_name, &key);
        if !observed.networks.contains(&name) {
            actions.push(Action::CreateNetwork { key, name });
        }
    }
    for (key, def) in &project.volumes {
        if def.external {
            continue;
        }
        let name = project.volume_name(project_name, key);
        if !observed.volumes.contains(&name) {
            actions.push(Action::CreateVolume {
                key: key.clone(),
                name,
            });
        }
    }

    let mut by_service: BTreeMap<&str, Vec<&ObservedContainer>> = BTreeMap::new();
    for c in observed.containers.iter().filter(|c| !c.oneoff) {
        by_service.entry(c.service.as_str()).or_default().push(c);
    }

    for name in project.start_order() {
        let Some(service) = project.services.get(&name) else {
            continue;
        };
        let hash = service.config_hash();
        let mut existing = by_service.remove(name.as_str()).unwrap_or_default();
        // Newest first, so that of two containers claiming one number the newest is kept.
        existing.sort_by(|a, b| {
            (a.number, std::cmp::Reverse(a.created)).cmp(&(b.number, std::cmp::Reverse(b.created)))
        });
        let mut seen: BTreeSet<u32> = BTreeSet::new();
        let mut kept: Vec<&ObservedContainer> = Vec::new();
        for c in existing {
            if seen.insert(c.number) {
                kept.push(c);
            } else {
                actions.push(remove(c, RemoveReason::Duplicate));
            }
        }
        let replicas = service.replicas;
        for c in &kept {
            if c.number > replicas || (service.container_name.is_some() && c.number != 1) {
                actions.push(remove(c, RemoveReason::ScaledDown));
            }
        }
        for number in 1..=replicas {
            let name = container_name(project_name, service, number);
            let current = kept.iter().find(|c| c.number == number);
            let action = match current {
                None => Action::Create {
                    service: service.name.clone(),
                    number,
                    name,
                },
                Some(c) if options.force_recreate || c.config_hash != hash => Action::Recreate {
                    service: service.name.clone(),
                    number,
                    name: c.name.clone(),
                    id: c.id.clone(),
                },
                Some(c) if !c.running => Action::Start {
                    service: service.name.clone(),
                    number,
                    name: c.name.clone(),
                    id: c.id.clone(),
                },
                Some(c) => Action::Keep {
                    service: service.name.clone(),
                    number,
                    name: c.name.clone(),
                    id: c.id.clone(),
                },
            };
            actions.push(action);
        }
    }
    // Whatever is left belongs to services no longer in the file (or disabled by profiles).
    for (_, containers) in by_service {
        for c in containers {
            if options.remove_orphans {
                actions.push(remove(c, RemoveReason::Orphan));
            }
        }
    }
    Plan { actions }
}

fn remove(c: &ObservedContainer, reason: RemoveReason) -> Action {
    Action::Remove {
        service: c.service.clone(),
        number: c.number,
        name: c.name.clone(),
        id: c.id.clone(),
        reason,
    }
}

/// Networks the services attach to (`default` only when some service uses it).
pub fn used_networks(project: &Project) -> Vec<String> {
    let mut used: BTreeSet<String> = BTreeSet::new();
    for service in project.services.values() {
        if service.network_mode.is_none() {
            used.extend(service.networks.keys().cloned());
        }
    }
    used.extend(project.networks.keys().filter(|k| *k != "default").cloned());
    used.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Options, load};

    fn project(text: &str) -> Project {
        let loaded = load("compose.yaml", text, &Options::default());
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        loaded.project.expect("project")
    }

    const TWO: &str = "services:\n  db:\n    image: postgres:16\n  web:\n    image: nginx\n    depends_on: [db]\n    ports: ['8080:80']\nvolumes:\n  data: {}\n";

    fn running(p: &Project, service: &str, number: u32) -> ObservedContainer {
        ObservedContainer {
            id: format!("id-{service}-{number}"),
            name: format!("app-{service}-{number}"),
            service: service.into(),
            number,
            config_hash: p.services[service].config_hash(),
            running: true,
            oneoff: false,
            created: 1,
        }
    }

    const REMOVE_ORPHANS: ReconcileOptions = ReconcileOptions {
        remove_orphans: true,
        force_recreate: false,
    };

    fn observed_all(p: &Project) -> Observed {
        Observed {
            containers: vec![running(p, "db", 1), running(p, "web", 1)],
            networks: ["app_default".to_owned()].into(),
            volumes: ["app_data".to_owned()].into(),
        }
    }

    #[test]
    fn a_first_deploy_creates_everything_in_dependency_order() {
        let p = project(TWO);
        let plan = reconcile("app", &p, &Observed::default(), ReconcileOptions::default());
        assert_eq!(
            plan.to_string(),
            "create network app_default\ncreate volume app_data\ncreate app-db-1\ncreate app-web-1\n"
        );
    }

    #[test]
    fn an_unchanged_project_is_a_noop() {
        let p = project(TWO);
        let plan = reconcile("app", &p, &observed_all(&p), ReconcileOptions::default());
        assert!(plan.is_noop(), "{plan}");
        assert_eq!(plan.to_string(), "keep app-db-1\nkeep app-web-1\n");
    }

    #[test]
    fn only_the_changed_service_is_recreated() {
        let before = project(TWO);
        let after = project(&TWO.replace("image: nginx", "image: nginx:1.27"));
        let plan = reconcile(
            "app",
            &after,
            &observed_all(&before),
            ReconcileOptions::default(),
        );
        assert_eq!(
            plan.to_string(),
            "keep app-db-1\nrecreate app-web-1 (configuration changed)\n"
        );
    }

    #[test]
    fn scaling_does_not_recreate_and_scaling_down_removes_the_highest_numbers() {
        let p = project(
            &TWO.replace(
                "depends_on: [db]",
                "depends_on: [db]\n    deploy: {replicas: 3}",
            )
            .replace("ports: ['8080:80']", "ports: ['80']"),
        );
        let mut observed = observed_all(&p);
        let plan = reconcile("app", &p, &observed, ReconcileOptions::default());
        assert_eq!(
            plan.to_string(),
            "keep app-db-1\nkeep app-web-1\ncreate app-web-2\ncreate app-web-3\n"
        );

        observed.containers.push(running(&p, "web", 2));
        observed.containers.push(running(&p, "web", 3));
        let one = project(&TWO.replace("ports: ['8080:80']", "ports: ['80']"));
        let plan = reconcile("app", &one, &observed, ReconcileOptions::default());
        assert_eq!(
            plan.to_string(),
            "keep app-db-1\nremove app-web-2 (scaled down)\nremove app-web-3 (scaled down)\nkeep app-web-1\n"
        );
    }

    #[test]
    fn stopped_containers_are_started_and_orphans_removed_only_when_asked() {
        let p = project(TWO);
        let mut observed = observed_all(&p);
        observed.containers[0].running = false;
        let mut old = running(&p, "web", 1);
        old.service = "cache".into();
        old.name = "app-cache-1".into();
        observed.containers.push(old);
        let plan = reconcile("app", &p, &observed, ReconcileOptions::default());
        assert_eq!(plan.to_string(), "start app-db-1\nkeep app-web-1\n");
        let plan = reconcile("app", &p, &observed, REMOVE_ORPHANS);
        assert_eq!(
            plan.to_string(),
            "start app-db-1\nkeep app-web-1\nremove app-cache-1 (orphan)\n"
        );
    }

    #[test]
    fn duplicates_left_by_a_crash_are_removed_keeping_the_newest() {
        let p = project(TWO);
        let mut observed = observed_all(&p);
        let mut dup = running(&p, "web", 1);
        dup.id = "older".into();
        dup.name = "app-web-1-old".into();
        dup.created = 0;
        observed.containers.push(dup);
        let plan = reconcile("app", &p, &observed, ReconcileOptions::default());
        assert_eq!(
            plan.to_string(),
            "keep app-db-1\nremove app-web-1-old (duplicate)\nkeep app-web-1\n"
        );
    }

    #[test]
    fn one_off_containers_are_left_alone() {
        let p = project(TWO);
        let mut observed = observed_all(&p);
        let mut run = running(&p, "web", 7);
        run.oneoff = true;
        observed.containers.push(run);
        let plan = reconcile("app", &p, &observed, REMOVE_ORPHANS);
        assert!(plan.is_noop(), "{plan}");
    }

    #[test]
    fn external_resources_are_never_created() {
        let p = project(
            "services:\n  web:\n    image: nginx\n    networks: [proxy]\nnetworks:\n  proxy:\n    external: true\nvolumes:\n  shared:\n    external: true\n",
        );
        let plan = reconcile("app", &p, &Observed::default(), ReconcileOptions::default());
        assert_eq!(plan.to_string(), "create app-web-1\n");
    }
}
