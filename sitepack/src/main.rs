//! `sitepack <dir> [--keep-names]`: packs the modules wasm-split wrote to `dir` (see
//! `tools/build-site.sh`). wasm-split gives each set of page groups sharing code its own chunk:
//! over two hundred, half of them under 1.5 KB, and a page waited for a hundred of them. This
//! merges chunks where that makes the bytes all page groups download smaller ([`plan`]), keeps
//! only the function types each module uses ([`wasm`]), and rewrites the loader to match
//! ([`loader`]). The main module is not touched. `--keep-names` keeps function names (dev
//! builds); otherwise custom sections are dropped.

mod loader;
mod plan;
mod wasm;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use loader::Loader;
use plan::Chunk;

/// The fixed price of one chunk besides its own bytes, in bytes of module: its file's header and
/// imports (about 150 bytes), its response's headers (about 150) and its loader entry (about
/// 250), the latter two counted at the 0.45 that brotli leaves of a module's bytes.
const CHUNK_OVERHEAD: u64 = 150 + (150 + 250) * 100 / 45;

/// The loader's file name in the split directory.
const LOADER: &str = "__wasm_split.js";

fn main() -> anyhow::Result<()> {
    let mut dir = None;
    let mut keep_names = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--keep-names" => keep_names = true,
            _ if dir.is_none() => dir = Some(PathBuf::from(arg)),
            _ => bail!("usage: sitepack <split dir> [--keep-names]"),
        }
    }
    let dir = dir.context("usage: sitepack <split dir> [--keep-names]")?;
    pack(&dir, keep_names)
}

fn wasm_path(dir: &Path, file: &str) -> PathBuf {
    dir.join(format!("{file}.wasm"))
}

/// A module as it will be written alone: only the types it uses.
fn read_slim(path: &Path, keep_names: bool) -> anyhow::Result<Vec<u8>> {
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    wasm::merge(&[&data], keep_names).with_context(|| format!("rewriting {}", path.display()))
}

fn pack(dir: &Path, keep_names: bool) -> anyhow::Result<()> {
    let loader_path = dir.join(LOADER);
    let text = std::fs::read_to_string(&loader_path)
        .with_context(|| format!("reading {}", loader_path.display()))?;
    let mut loader =
        Loader::parse(&text).with_context(|| format!("reading {}", loader_path.display()))?;
    let groups = loader.groups();
    if groups.len() > 64 {
        bail!("{} page groups: at most 64 are supported", groups.len());
    }

    // Chunks are the modules no page group is named after.
    let entries: Vec<loader::Entry> = loader.entries().cloned().collect();
    let chunks: Vec<&loader::Entry> = entries
        .iter()
        .filter(|e| !e.name.starts_with(loader::GROUP_PREFIX))
        .collect();
    let mut sizes = Vec::with_capacity(chunks.len());
    let mut bytes = Vec::with_capacity(chunks.len());
    for chunk in &chunks {
        // Sized as it will be written: with only the types it uses.
        let data = read_slim(&wasm_path(dir, &chunk.file), keep_names)?;
        let needed_by = groups
            .iter()
            .enumerate()
            .filter(|(_, (_, needs))| needs.contains(&chunk.name))
            .fold(0u64, |acc, (g, _)| acc | 1 << g);
        sizes.push(Chunk {
            size: data.len() as u64,
            needed_by,
        });
        bytes.push(data);
    }
    let plan = plan::plan(&sizes, CHUNK_OVERHEAD);

    // Everything is computed before anything is written: a refused merge leaves the folder as
    // wasm-split wrote it.
    let mut writes: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut removals = Vec::new();
    let mut into = HashMap::new();
    let mut comments = HashMap::new();
    for members in &plan {
        let keep = chunks[members[0]];
        let merged = if let [alone] = members.as_slice() {
            std::mem::take(&mut bytes[*alone])
        } else {
            let parts: Vec<&[u8]> = members.iter().map(|&i| bytes[i].as_slice()).collect();
            wasm::merge(&parts, keep_names)
                .with_context(|| format!("merging into {}.wasm", keep.file))?
        };
        writes.push((wasm_path(dir, &keep.file), merged));
        for &i in &members[1..] {
            into.insert(chunks[i].name.clone(), keep.name.clone());
            removals.push(wasm_path(dir, &chunks[i].file));
        }
        let needed_by = members.iter().fold(0, |acc, &i| acc | sizes[i].needed_by);
        let names: Vec<&str> = groups
            .iter()
            .enumerate()
            .filter(|(g, _)| needed_by & 1 << g != 0)
            .map(|(_, (name, _))| name.as_str())
            .collect();
        comments.insert(keep.name.clone(), names.join(", "));
    }
    for entry in entries
        .iter()
        .filter(|e| e.name.starts_with(loader::GROUP_PREFIX))
    {
        let path = wasm_path(dir, &entry.file);
        let slim = read_slim(&path, keep_names)?;
        writes.push((path, slim));
    }
    loader.merge(&into, &comments);
    writes.push((loader_path.clone(), loader.render().into_bytes()));
    for (path, data) in writes {
        std::fs::write(&path, data).with_context(|| format!("writing {}", path.display()))?;
    }
    for path in removals {
        std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
    }

    let per_group: Vec<String> = loader
        .groups()
        .into_iter()
        .map(|(g, needs)| {
            let short = g.rsplit_once('_').map_or(g.as_str(), |(s, _)| s).to_owned();
            format!("{short} {}", needs.len())
        })
        .collect();
    eprintln!(
        "sitepack: {} chunks merged into {} (bytes all groups download, as the plan counts them: {} apart, {} merged); chunks per page group: {}",
        chunks.len(),
        plan.len(),
        plan::total(
            &sizes,
            &(0..sizes.len()).map(|i| vec![i]).collect::<Vec<_>>(),
            CHUNK_OVERHEAD
        ),
        plan::total(&sizes, &plan, CHUNK_OVERHEAD),
        per_group.join(", ")
    );
    Ok(())
}
