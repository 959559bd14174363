//! Workspace isolation where Docker objects meet. A deploy or a container create can name
//! other Docker objects (a container's namespaces, a volume, a network) and host folders; the
//! pure rules are in `compose::policy` and `compose::fields`, and this module holds them
//! against what exists: a named object must belong to the caller's workspace, and a bind
//! source is resolved through symbolic links before the policy sees it.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use compose::diag::Diagnostic;
use compose::diag::Pos;
use compose::model::Project;
use compose::policy::{Join, ObjectKind, Reference, SecurityPolicy, for_each_bind_source, join_of};

use crate::docker::DockerEngine;
use crate::docker::containers::{ContainerError, CreatePlan};
use crate::model::resources::{ContainerView, NetworkView, VolumeView};

/// Whether the engine at `host` runs on this machine, so that its bind sources are this
/// machine's paths and can be resolved here.
pub fn is_local_engine(host: &str) -> bool {
    host.starts_with("unix://") || host.starts_with('/') || host.starts_with("npipe://")
}

/// `path` with every symbolic link resolved: the longest part that exists as the file system
/// says it is, the rest (which does not exist, so holds no link) appended, `..` resolved after
/// the links they follow, as the kernel does.
pub fn resolve_host_path(path: &str) -> String {
    if !path.starts_with('/') {
        return path.to_owned();
    }
    // What is left to walk, last part first.
    let mut rest: Vec<OsString> = parts_of(Path::new(path));
    let mut resolved = PathBuf::from("/");
    // Links followed, against a loop of links (the kernel's own limit).
    let mut budget = 40;
    while let Some(part) = rest.pop() {
        if part == ".." {
            resolved.pop();
            continue;
        }
        let next = resolved.join(&part);
        match std::fs::read_link(&next) {
            Ok(target) if budget > 0 => {
                budget -= 1;
                if target.is_absolute() {
                    resolved = PathBuf::from("/");
                }
                rest.extend(parts_of(&target));
            }
            _ => resolved = next,
        }
    }
    resolved.to_string_lossy().into_owned()
}

/// The names and `..` of a path, last first (`.` and the root left out).
fn parts_of(path: &Path) -> Vec<OsString> {
    let mut parts: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_owned()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect();
    parts.reverse();
    parts
}

/// Resolves every bind source of `project` through links (on a local engine) so the policy
/// checks and the engine mounts the path that is really meant. Returns each source that
/// changed, as (as written, resolved), to explain a refusal.
pub fn resolve_bind_sources(project: &mut Project) -> Vec<(String, String)> {
    let mut changed = Vec::new();
    for_each_bind_source(project, |source| {
        if !source.starts_with('/') {
            return;
        }
        let resolved = resolve_host_path(source);
        let lexical = compose::policy::normalize_host_path(source).unwrap_or_default();
        if resolved != lexical {
            changed.push((source.clone(), resolved.clone()));
        }
        *source = resolved;
    });
    changed
}

/// The policy a non-admin's bind mounts are checked against on `host`: on an engine whose files
/// Orbitr cannot see, bind mounts need the policy's explicit trust.
pub fn effective_policy(policy: &SecurityPolicy, host: &str) -> SecurityPolicy {
    if is_local_engine(host) || policy.trust_unresolved_binds {
        return policy.clone();
    }
    SecurityPolicy {
        allow_bind_mounts: false,
        allow_docker_socket: false,
        ..policy.clone()
    }
}

/// Says in each refusal that names a resolved path which source, through a link, led there.
pub fn explain_links(diagnostics: &mut [Diagnostic], changed: &[(String, String)]) {
    for d in diagnostics.iter_mut().filter(|d| d.is_error()) {
        if let Some((written, _)) = changed.iter().find(|(_, r)| d.message.contains(r)) {
            d.message = format!(
                "{} ({written} leads there through a symbolic link)",
                d.message
            );
        }
    }
}

/// The objects that exist, as the live state has them.
pub struct Existing<'a> {
    pub containers: &'a [ContainerView],
    pub volumes: &'a [VolumeView],
    pub networks: &'a [NetworkView],
}

/// The refusals for `refs` made from `workspace`: every object named must belong to it. An
/// object of another workspace and one that does not exist get the same answer, so nothing
/// about other workspaces can be learned from it. Names are matched as the engine matches
/// them (containers and networks also by id or id prefix), never by a name's prefix.
pub fn foreign_references(
    refs: &[Reference],
    workspace: &str,
    existing: &Existing<'_>,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let ours = |owner: &Option<String>| owner.as_deref() == Some(workspace);
    for r in refs {
        let name = r.name.trim().trim_start_matches('/');
        let kind = r.kind.as_str();
        // (any object matches, every match is ours)
        let (any, all_ours) = match r.kind {
            ObjectKind::Container => {
                let matching: Vec<&ContainerView> = existing
                    .containers
                    .iter()
                    .filter(|c| c.id == name || c.name == name || id_prefix(&c.id, name))
                    .collect();
                (
                    !matching.is_empty(),
                    matching.iter().all(|c| ours(&c.workspace)),
                )
            }
            ObjectKind::Network => {
                let matching: Vec<&NetworkView> = existing
                    .networks
                    .iter()
                    .filter(|n| n.name == name || n.id == name || id_prefix(&n.id, name))
                    .collect();
                (
                    !matching.is_empty(),
                    matching.iter().all(|n| ours(&n.workspace)),
                )
            }
            ObjectKind::Volume => {
                let matching: Vec<&VolumeView> =
                    existing.volumes.iter().filter(|v| v.name == name).collect();
                (
                    !matching.is_empty(),
                    matching.iter().all(|v| ours(&v.workspace)),
                )
            }
        };
        let message = if any && !all_ours {
            if r.existing {
                format!("there is no {kind} {name:?} in this workspace")
            } else {
                format!(
                    "the {kind} name {name:?} is taken outside this workspace; choose another name"
                )
            }
        } else if !any && r.existing {
            format!("there is no {kind} {name:?} in this workspace")
        } else {
            continue;
        };
        found.push(Diagnostic::error(r.path.clone(), r.pos, message));
    }
    found
}

/// Whether `key` is a prefix of the hex id `id` the way the engine accepts one.
fn id_prefix(id: &str, key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_hexdigit()) && id.starts_with(key)
}

impl CreatePlan {
    /// The Docker objects the container would use that must belong to its workspace: the
    /// network (or the container whose network it joins) and named volumes, which the create
    /// makes for the workspace when they do not exist yet.
    pub fn references(&self) -> Vec<Reference> {
        let mut refs = Vec::new();
        let network = self
            .body
            .host_config
            .as_ref()
            .and_then(|h| h.network_mode.clone())
            .unwrap_or_default();
        let (kind, name) = match join_of("network_mode", &network) {
            Join::Container(c) => (Some(ObjectKind::Container), c),
            Join::Network(n) if n != "host" => (Some(ObjectKind::Network), n),
            Join::Service(_) => (Some(ObjectKind::Container), network.clone()),
            _ => (None, String::new()),
        };
        if let Some(kind) = kind {
            refs.push(Reference {
                kind,
                name,
                existing: true,
                path: "network".into(),
                pos: Pos::default(),
            });
        }
        for (i, name) in &self.volume_names {
            refs.push(Reference {
                kind: ObjectKind::Volume,
                name: name.clone(),
                existing: false,
                path: format!("volumes[{i}]"),
                pos: Pos::default(),
            });
        }
        refs
    }

    /// Resolves the bind sources through symbolic links, so the policy checks, and the engine
    /// mounts, the folder that is really meant. Returns each that changed (as written, resolved).
    pub fn resolve_binds(&mut self) -> Vec<(String, String)> {
        let mut changed = Vec::new();
        let Some(binds) = self
            .body
            .host_config
            .as_mut()
            .and_then(|h| h.binds.as_mut())
        else {
            return changed;
        };
        for (k, source) in self.privileges.binds.iter_mut().enumerate() {
            let Some(entry) = self.bind_positions.get(k).and_then(|_| {
                binds
                    .iter_mut()
                    .find(|b| b.split(':').next() == Some(source.as_str()))
            }) else {
                continue;
            };
            let resolved = resolve_host_path(source);
            if compose::policy::normalize_host_path(source).as_deref() != Some(resolved.as_str()) {
                changed.push((source.clone(), resolved.clone()));
            }
            let rest = entry
                .split_once(':')
                .map(|(_, r)| r.to_owned())
                .unwrap_or_default();
            *entry = format!("{resolved}:{rest}");
            *source = resolved;
        }
        changed
    }
}

impl DockerEngine {
    /// Checks a plan for `workspace` and creates it: under `policy` (`None` for platform
    /// admins) bind sources are resolved through links and checked, and every object it names
    /// must belong to the workspace. Named volumes that do not exist yet are made for the
    /// workspace first (the engine would make them belonging to nobody).
    pub async fn create_in_workspace(
        &self,
        mut plan: CreatePlan,
        policy: Option<&SecurityPolicy>,
        workspace: &str,
        start: bool,
    ) -> Result<ContainerView, ContainerError> {
        if let Some(policy) = policy {
            let changed = if is_local_engine(self.host()) {
                plan.resolve_binds()
            } else {
                Vec::new()
            };
            if let Some(mut first) = plan
                .violations(&effective_policy(policy, self.host()))
                .into_iter()
                .next()
            {
                if let Some((written, _)) = changed.iter().find(|(_, r)| first.message.contains(r))
                {
                    first.message = format!(
                        "{} ({written} leads there through a symbolic link)",
                        first.message
                    );
                }
                return Err(ContainerError::Policy(first));
            }
            self.refresh_for_check().await?;
            if let Some(d) = self
                .check_references(&plan.references(), workspace)
                .into_iter()
                .next()
            {
                return Err(ContainerError::Invalid {
                    field: d.path,
                    message: d.message,
                });
            }
        }
        let missing: Vec<String> = {
            let volumes = self.volumes();
            plan.volume_names
                .iter()
                .filter(|(_, n)| !volumes.iter().any(|v| &v.name == n))
                .map(|(_, n)| n.clone())
                .collect()
        };
        for name in missing {
            match self.create_volume(&name, workspace).await {
                Ok(_) => {}
                Err(crate::docker::objects::ObjectError::Docker(e)) => return Err(e.into()),
                // Made meanwhile: the reference check above saw it as free, so it is ours or
                // the engine's answer below says why not.
                Err(_) => {}
            }
        }
        self.create_container(plan, start).await
    }

    /// [`foreign_references`] against the live state.
    pub fn check_references(&self, refs: &[Reference], workspace: &str) -> Vec<Diagnostic> {
        let containers = self.containers().all();
        let volumes = self.volumes();
        let networks = self.networks();
        foreign_references(
            refs,
            workspace,
            &Existing {
                containers: &containers,
                volumes: &volumes,
                networks: &networks,
            },
        )
    }

    /// Reads volumes and networks again, so a check right after sees objects made a moment ago.
    pub async fn refresh_for_check(&self) -> Result<(), crate::docker::DockerError> {
        self.refresh_objects(crate::docker::Dirty::ALL).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose::diag::Pos;

    fn reference(kind: ObjectKind, name: &str, existing: bool) -> Reference {
        Reference {
            kind,
            name: name.into(),
            existing,
            path: "here".into(),
            pos: Pos::default(),
        }
    }

    fn container(id: &str, name: &str, ws: Option<&str>) -> ContainerView {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": name, "image": "x", "image_id": "x", "state": "running",
            "health": null, "exit_code": null, "created_at": 0, "started_at": null,
            "ports": [], "workspace": ws, "stack": null, "service": null,
            "networks": [], "volumes": []
        }))
        .expect("a container view")
    }

    fn volume(name: &str, ws: Option<&str>) -> VolumeView {
        VolumeView {
            name: name.into(),
            driver: "local".into(),
            mountpoint: String::new(),
            created_at: 0,
            workspace: ws.map(str::to_owned),
            used_by: Vec::new(),
        }
    }

    #[test]
    fn objects_of_other_workspaces_are_refused_like_missing_ones() {
        let containers = vec![
            container("abc123", "theirs", Some("B")),
            container("abd456", "mine", Some("A")),
        ];
        let volumes = vec![
            volume("their-data", Some("B")),
            volume("my-data", Some("A")),
        ];
        let existing = Existing {
            containers: &containers,
            volumes: &volumes,
            networks: &[],
        };
        let refs = [
            reference(ObjectKind::Container, "theirs", true),
            reference(ObjectKind::Container, "abc1", true),
            // A prefix matching both: one is not ours.
            reference(ObjectKind::Container, "ab", true),
            reference(ObjectKind::Container, "mine", true),
            reference(ObjectKind::Container, "nobody", true),
            reference(ObjectKind::Volume, "their-data", false),
            reference(ObjectKind::Volume, "their-data", true),
            reference(ObjectKind::Volume, "my-data", true),
            reference(ObjectKind::Volume, "new-data", false),
            reference(ObjectKind::Network, "their-net", true),
        ];
        let messages: Vec<String> = foreign_references(&refs, "A", &existing)
            .into_iter()
            .map(|d| d.message)
            .collect();
        assert_eq!(
            messages,
            [
                "there is no container \"theirs\" in this workspace",
                "there is no container \"abc1\" in this workspace",
                "there is no container \"ab\" in this workspace",
                "there is no container \"nobody\" in this workspace",
                "the volume name \"their-data\" is taken outside this workspace; choose another name",
                "there is no volume \"their-data\" in this workspace",
                "there is no network \"their-net\" in this workspace",
            ]
        );
    }

    #[test]
    fn links_are_resolved_before_the_check() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = dir.path().canonicalize().expect("canonical");
        std::fs::create_dir_all(root.join("apps/a")).expect("folders");
        std::os::unix::fs::symlink("/etc", root.join("apps/a/out")).expect("a link");
        std::os::unix::fs::symlink("a", root.join("apps/b")).expect("a relative link");
        std::os::unix::fs::symlink("../apps/a", root.join("apps/c")).expect("a relative link up");
        let r = root.to_string_lossy();
        assert_eq!(
            resolve_host_path(&format!("{r}/apps/a/out/passwd")),
            "/etc/passwd"
        );
        assert_eq!(
            resolve_host_path(&format!("{r}/apps/b/x/y")),
            format!("{r}/apps/a/x/y")
        );
        assert_eq!(
            resolve_host_path(&format!("{r}/apps/c/x")),
            format!("{r}/apps/a/x"),
            "a relative link is read from its own folder"
        );
        assert_eq!(
            resolve_host_path(&format!("{r}/apps/a/out/../hosts")),
            "/hosts",
            "`..` after a link goes up from where the link leads"
        );
        std::os::unix::fs::symlink(root.join("loop"), root.join("loop")).expect("a loop");
        // A loop ends (the engine would refuse the path).
        let _ = resolve_host_path(&format!("{r}/loop/x"));
    }
}
