//! What the corpus tests share: where the corpora are and which of their files are Compose
//! files. The corpora live beside the workspace on the development machine only; without them
//! [`corpora`] says so and the tests pass.

use std::fs;
use std::path::{Path, PathBuf};

/// The corpora whose Compose files are tested.
pub const SOURCES: [&str; 5] = [
    "compose-go",
    "compose-go-history",
    "awesome-compose",
    "docker-compose",
    "casaos-appstore",
];

/// The corpora folder (`shared/corpora` beside the workspace), canonical so that files read
/// through it can be checked to stay inside it; `None`, said on stdout, when it is absent.
pub fn corpora() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora");
    match dir.canonicalize() {
        Ok(dir) if dir.is_dir() => Some(dir),
        _ => {
            println!("corpora not found at {}: skipping", dir.display());
            None
        }
    }
}

/// Every `.yml` and `.yaml` file of the [`SOURCES`] under `root`, in path order.
pub fn compose_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for source in SOURCES {
        yaml_files(&root.join(source), &mut files);
    }
    files
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}

/// A corpus file's name relative to `root`, with `/` separators: how tables and messages name it.
pub fn relative(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .expect("a corpus file is under the corpus")
        .to_string_lossy()
        .replace('\\', "/")
}
