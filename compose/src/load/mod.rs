//! Loading a Compose project: YAML → schema check (before interpolation, as the spec says) →
//! `include` → interpolation → `extends` → `!reset`/`!override` → profiles → the normalized
//! model → semantic checks. Every problem becomes a [`Diagnostic`] with its path and position;
//! loading goes on after an error so that an editor sees all of them at once.
//!
//! The crate does no I/O: other files (`include`, `extends.file`, `env_file`) are read through a
//! callback, and left unchecked when there is none (the browser).

mod merge;
mod pipeline;
mod read;
mod syntax;

use merge::*;
pub use merge::{check_image_reference, merge_nodes};
use read::*;
pub use syntax::{environment_from_dotenv, parse_port, parse_volume};

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use crate::diag::{Diagnostic, Pos, join_index, join_key};
use crate::interpolate::{interpolate, variables};
use crate::model::{
    Condition, Dependency, FileMount, FileObject, Healthcheck, Logging, Mount, MountKind,
    NetworkDef, Port, Project, Service, ServiceNetwork, VolumeDef,
};
use crate::units::{parse_bytes, parse_duration, split_command};
use crate::yaml::{self, Key, Limits, Node, Tag, Value};
use crate::{dotenv, schema};

/// Reads a file named relative to the project folder (already joined with the including file's
/// folder); the error is the reason it could not be read.
pub type ReadFile<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// How to load a project.
#[derive(Default)]
pub struct Options<'a> {
    pub limits: Limits,
    /// Variables for interpolation and for `environment` entries without a value.
    pub env: BTreeMap<String, String>,
    /// Active profiles (`*` enables all).
    pub profiles: Vec<String>,
    /// The project folder, to make relative bind mounts absolute; left relative when `None`.
    pub project_dir: Option<String>,
    pub read_file: Option<ReadFile<'a>>,
}

/// The result of loading: the project when it could be built, and every diagnostic.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub project: Option<Project>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The errors, in file order.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

/// Loads the Compose file `file` whose text is `text`.
pub fn load(file: &str, text: &str, options: &Options) -> Loaded {
    let mut loader = Loader {
        options,
        env: Rc::new(options.env.clone()),
        diags: Vec::new(),
        files: vec![file.to_owned()],
        tainted: BTreeSet::new(),
        incomplete: BTreeSet::new(),
    };
    let project = loader.run(file, text);
    // A value that could not be interpolated is reported once, not again by later checks; and
    // a place the schema found wrong is not reported a second time by the reading of its value
    // (the first error at a place, in the order the stages ran, is the one kept).
    let mut reported: BTreeSet<(String, String)> = BTreeSet::new();
    let mut places: BTreeSet<(String, String, u32, u32)> = BTreeSet::new();
    let tainted = loader.tainted;
    let mut diagnostics: Vec<Diagnostic> = loader
        .diags
        .into_iter()
        .filter(|d| {
            if !d.is_error() {
                return true;
            }
            let key = (d.file.clone(), d.path.clone());
            let place = (d.file.clone(), d.path.clone(), d.line, d.column);
            (!tainted.contains(&key) || reported.insert(key)) && places.insert(place)
        })
        .collect();
    for d in &mut diagnostics {
        if d.file == file {
            d.file.clear();
        }
    }
    diagnostics.sort_by(|a, b| {
        (a.file.as_str(), a.line, a.column).cmp(&(b.file.as_str(), b.line, b.column))
    });
    diagnostics.dedup();
    Loaded {
        project,
        diagnostics,
    }
}

/// How deeply `include` and `extends` may nest. Cycles are caught by name; this bounds chains
/// whose names never repeat (a reader that makes every remote reference unique).
pub(super) const MAX_NESTING: usize = 32;

pub(super) struct Loader<'o, 'a> {
    pub(super) options: &'o Options<'a>,
    /// The variables of the file being interpolated: the caller's, plus an included file's own
    /// env files. Shared so that interpolation can report while it reads them.
    pub(super) env: Rc<BTreeMap<String, String>>,
    pub(super) diags: Vec<Diagnostic>,
    /// Files being loaded, outermost first, to name include and extends cycles.
    pub(super) files: Vec<String>,
    /// (file, path) of values whose interpolation failed.
    pub(super) tainted: BTreeSet<(String, String)>,
    /// Services whose `extends` could not be resolved: what they lack is a consequence of the
    /// error already reported, not a second mistake.
    pub(super) incomplete: BTreeSet<String>,
}

pub(super) fn folder_of(file: &str) -> &str {
    file.rfind('/').map_or("", |i| &file[..i])
}

/// Whether a reference names a remote resource (`https://…`, `git@host:…`, `oci://…`, or a
/// reader-defined `scheme:path`) rather than a path: it is passed to the reader as written,
/// since joining it with a folder would change what it names. One-letter schemes are Windows
/// drive letters, so they are paths.
pub(super) fn is_remote(reference: &str) -> bool {
    if reference.contains("://") || reference.starts_with("git@") {
        return true;
    }
    let Some((scheme, rest)) = reference.split_once(':') else {
        return false;
    };
    scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
        && !rest.is_empty()
}

/// The name the reader is asked for: `reference` joined onto `folder`, unless it is remote.
pub(super) fn resolve_reference(folder: &str, reference: &str) -> String {
    if is_remote(reference) {
        reference.to_owned()
    } else {
        join_path(folder, reference)
    }
}

/// `path`, written relative to the folder `from`, as a path relative to the folder `to` (both
/// named the way the loader names files). The result starts with `./` or `../` so that a short
/// volume syntax still reads it as a bind mount.
pub(super) fn relative_to(from: &str, path: &str, to: &str) -> String {
    let full = resolve_reference(from, path);
    if full.starts_with('/') != to.starts_with('/') || is_remote(&full) {
        return full;
    }
    let full_parts: Vec<&str> = full.split('/').filter(|p| !p.is_empty()).collect();
    let to_parts: Vec<&str> = to
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let common = full_parts
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if to_parts[common..].contains(&"..") {
        // Climbing out of `to` through a parent whose name is unknown: keep the joined path.
        return full;
    }
    let mut parts: Vec<&str> = vec![".."; to_parts.len() - common];
    parts.extend(&full_parts[common..]);
    match parts.first() {
        None => ".".to_owned(),
        Some(&"..") => parts.join("/"),
        Some(_) => format!("./{}", parts.join("/")),
    }
}

/// Joins `relative` onto `folder` and removes `.` and `..` components lexically.
pub fn join_path(folder: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let absolute =
        relative.starts_with('/') || (folder.starts_with('/') && !relative.starts_with('/'));
    let full = if relative.starts_with('/') || folder.is_empty() {
        relative.to_owned()
    } else {
        format!("{folder}/{relative}")
    };
    for part in full.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_references_are_told_from_paths() {
        for remote in [
            "https://example.com/compose.yaml",
            "oci://registry/app:1",
            "git@github.com:org/repo.git",
            "remote:cycle/compose.yaml",
        ] {
            assert!(is_remote(remote), "{remote}");
        }
        for path in [
            "./a:b.yaml",
            "sub/compose.yaml",
            "C:/stack/compose.yaml",
            "a:",
            "/x:y",
        ] {
            assert!(!is_remote(path), "{path}");
        }
    }

    #[test]
    fn paths_move_between_folders() {
        assert_eq!(relative_to("sub", "./data", ""), "./sub/data");
        assert_eq!(relative_to("sub", "app.env", ""), "./sub/app.env");
        assert_eq!(relative_to("a/b", "../c/x", "a"), "./c/x");
        assert_eq!(relative_to("lib", "x", "stack"), "../lib/x");
        assert_eq!(relative_to("sub", ".", "sub"), ".");
        assert_eq!(relative_to("/srv/lib", "x", "/srv/app"), "../lib/x");
        // Out of a folder whose parent is unknown, the path stays as joined.
        assert_eq!(relative_to("x", "y", "../z"), "x/y");
        assert_eq!(relative_to("remote:lib", "./env", ""), "remote:lib/env");
    }
}
