//! The split loader (`__wasm_split.js`, written by wasm-split): one declaration per module, a
//! chunk's or a page group's, each naming its file and the loaders it waits for:
//!
//! ```js
//! /* a_pages_1, b_pages_1 */
//! const __chunk_12 = makeLoad(() => {
//!     const src = fetch(new URL("./chunk_12.wasm", import.meta.url));
//!     …
//! }
//! , []);
//! export const __wasm_split_load_a_pages_1 = wrapAsyncCb(makeLoad(() => {
//!     …
//! }
//! , [__chunk_12, __chunk_13]));
//! ```
//!
//! Everything else in the file is kept as it is.

use std::collections::{BTreeSet, HashMap, HashSet};

use anyhow::{Context, bail};

/// The prefix of a page group's loader; the rest of its name is the group's id.
pub const GROUP_PREFIX: &str = "__wasm_split_load_";

/// One module's declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The comment line before it (which groups need a chunk), if any.
    pub comment: Option<String>,
    /// Its loader's name: `__chunk_12`, `__wasm_split_load_<group>`.
    pub name: String,
    /// Its file, without `.wasm`.
    pub file: String,
    /// Its lines up to the list of what it waits for, as written.
    lines: Vec<String>,
    /// The loaders it waits for.
    pub deps: Vec<String>,
    /// What closes the list on its line: `);` or `));`.
    close: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Text(String),
    Entry(Entry),
}

/// A parsed split loader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loader {
    items: Vec<Item>,
}

fn declared_name(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("export const ")
        .or_else(|| line.strip_prefix("const "))?;
    let (name, value) = rest.split_once(" = ")?;
    value.contains("makeLoad(").then_some(name)
}

impl Loader {
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut items = Vec::new();
        let mut lines = text.lines().enumerate().peekable();
        while let Some((number, line)) = lines.next() {
            let Some(name) = declared_name(line) else {
                items.push(Item::Text(line.to_owned()));
                continue;
            };
            let comment = match items.last() {
                Some(Item::Text(t)) if t.starts_with("/*") && t.ends_with("*/") => {
                    let Some(Item::Text(t)) = items.pop() else {
                        unreachable!("just matched")
                    };
                    Some(t)
                }
                _ => None,
            };
            let mut body = vec![line.to_owned()];
            let deps_line = loop {
                let (_, next) = lines.next().with_context(|| {
                    format!(
                        "line {}: `{name}` has no list of what it waits for",
                        number + 1
                    )
                })?;
                if next.starts_with(", [") {
                    break next;
                }
                body.push(next.to_owned());
            };
            let (list, close) = deps_line[3..].split_once(']').with_context(|| {
                format!("line {}: `{name}`: unclosed list `{deps_line}`", number + 1)
            })?;
            let file = body
                .iter()
                .find_map(|l| l.split_once("new URL(\"./").map(|(_, r)| r))
                .and_then(|r| r.split_once(".wasm\""))
                .map(|(f, _)| f.to_owned())
                .with_context(|| format!("line {}: `{name}` fetches no .wasm file", number + 1))?;
            items.push(Item::Entry(Entry {
                comment,
                name: name.to_owned(),
                file,
                lines: body,
                deps: list
                    .split(',')
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(str::to_owned)
                    .collect(),
                close: close.to_owned(),
            }));
        }
        let loader = Self { items };
        let names: HashSet<&str> = loader.entries().map(|e| e.name.as_str()).collect();
        for entry in loader.entries() {
            if let Some(missing) = entry.deps.iter().find(|d| !names.contains(d.as_str())) {
                bail!(
                    "`{}` waits for `{missing}`, which is not declared",
                    entry.name
                );
            }
        }
        Ok(loader)
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.items.iter().filter_map(|i| match i {
            Item::Entry(e) => Some(e),
            Item::Text(_) => None,
        })
    }

    /// Each page group's id and every loader its module waits for, directly or not.
    pub fn groups(&self) -> Vec<(String, BTreeSet<String>)> {
        let by_name: HashMap<&str, &Entry> = self.entries().map(|e| (e.name.as_str(), e)).collect();
        self.entries()
            .filter_map(|e| {
                let group = e.name.strip_prefix(GROUP_PREFIX)?;
                let mut needs = BTreeSet::new();
                let mut todo: Vec<&str> = e.deps.iter().map(String::as_str).collect();
                while let Some(name) = todo.pop() {
                    if needs.insert(name.to_owned())
                        && let Some(dep) = by_name.get(name)
                    {
                        todo.extend(dep.deps.iter().map(String::as_str));
                    }
                }
                Some((group.to_owned(), needs))
            })
            .collect()
    }

    /// Merges modules: each key of `into` (a loader's name) is dropped, and every list that
    /// waited for it waits for the loader it maps to instead (once). A kept loader waits for
    /// what its merged ones waited for, and its comment names `comments[name]` when given.
    pub fn merge(&mut self, into: &HashMap<String, String>, comments: &HashMap<String, String>) {
        let mut inherited: HashMap<String, Vec<String>> = HashMap::new();
        for entry in self.entries() {
            if let Some(target) = into.get(&entry.name) {
                inherited
                    .entry(target.clone())
                    .or_default()
                    .extend(entry.deps.iter().cloned());
            }
        }
        self.items.retain(|item| match item {
            Item::Entry(e) => !into.contains_key(&e.name),
            Item::Text(_) => true,
        });
        for item in &mut self.items {
            let Item::Entry(entry) = item else { continue };
            let mut deps = std::mem::take(&mut entry.deps);
            deps.extend(inherited.remove(&entry.name).unwrap_or_default());
            let mut seen = HashSet::new();
            entry.deps = deps
                .into_iter()
                .map(|d| into.get(&d).cloned().unwrap_or(d))
                .filter(|d| *d != entry.name && seen.insert(d.clone()))
                .collect();
            if let Some(comment) = comments.get(&entry.name) {
                entry.comment = Some(format!("/* {comment} */"));
            }
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for item in &self.items {
            match item {
                Item::Text(t) => {
                    out.push_str(t);
                    out.push('\n');
                }
                Item::Entry(e) => {
                    if let Some(c) = &e.comment {
                        out.push_str(c);
                        out.push('\n');
                    }
                    for l in &e.lines {
                        out.push_str(l);
                        out.push('\n');
                    }
                    out.push_str(&format!(", [{}]{}\n", e.deps.join(", "), e.close));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOADER: &str = r#"import { initSync } from "./orbitr.js";
function makeLoad(fetcher, deps) {
    return fetcher;
}
/* a_pages_1, b_pages_1 */
const __chunk_1 = makeLoad(() => {
    const src = fetch(new URL("./chunk_1.wasm", import.meta.url));
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, []);
/* a_pages_1, b_pages_1 */
const __chunk_2 = makeLoad(() => {
    const src = fetch(new URL("./chunk_2.wasm", import.meta.url));
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, [__chunk_3]);
/* b_pages_1, c_pages_1 */
const __chunk_3 = makeLoad(() => {
    const src = fetch(new URL("./chunk_3.wasm", import.meta.url));
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, []);
export const __wasm_split_load_a_pages_1 = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./split_a_pages_1.wasm", import.meta.url));
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, [__chunk_1, __chunk_2]));
export const __wasm_split_load_b_pages_1 = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./split_b_pages_1.wasm", import.meta.url));
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, [__chunk_1, __chunk_2, __chunk_3]));
export const __wasm_split_load_c_pages_1 = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./split_c_pages_1.wasm", import.meta.url));
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, [__chunk_3]));
"#;

    #[test]
    fn an_unchanged_loader_renders_as_it_was_written() {
        let loader = Loader::parse(LOADER).expect("parses");
        assert_eq!(loader.render(), LOADER);
        let files: Vec<&str> = loader.entries().map(|e| e.file.as_str()).collect();
        assert_eq!(
            files,
            [
                "chunk_1",
                "chunk_2",
                "chunk_3",
                "split_a_pages_1",
                "split_b_pages_1",
                "split_c_pages_1"
            ]
        );
    }

    #[test]
    fn a_group_needs_what_its_chunks_wait_for_too() {
        let loader = Loader::parse(LOADER).expect("parses");
        let groups = loader.groups();
        let a = &groups.iter().find(|(g, _)| g == "a_pages_1").expect("a").1;
        assert_eq!(
            a.iter().map(String::as_str).collect::<Vec<_>>(),
            ["__chunk_1", "__chunk_2", "__chunk_3"]
        );
    }

    #[test]
    fn merged_chunks_are_one_declaration_that_everyone_waits_for_once() {
        let mut loader = Loader::parse(LOADER).expect("parses");
        let into = HashMap::from([("__chunk_2".to_owned(), "__chunk_1".to_owned())]);
        let comments = HashMap::from([("__chunk_1".to_owned(), "a_pages_1, b_pages_1".to_owned())]);
        loader.merge(&into, &comments);
        let text = loader.render();
        assert!(!text.contains("__chunk_2"), "{text}");
        assert!(!text.contains("chunk_2.wasm"), "{text}");
        // The kept chunk waits for what the merged one waited for.
        assert!(text.contains("const __chunk_1 = makeLoad(() => {\n    const src = fetch(new URL(\"./chunk_1.wasm\", import.meta.url));\n    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n}\n, [__chunk_3]);"), "{text}");
        assert!(
            text.contains(", [__chunk_1]));\nexport const __wasm_split_load_b_pages_1"),
            "{text}"
        );
        assert!(text.contains(", [__chunk_1, __chunk_3]));"), "{text}");
        // What the server reads from it agrees.
        let again = Loader::parse(&text).expect("parses again");
        assert_eq!(again.entries().count(), 5);
    }

    #[test]
    fn a_declaration_without_its_list_is_an_error_naming_the_line() {
        let cut = LOADER.split(", [__chunk_3]);").next().expect("part");
        let err = Loader::parse(cut).expect_err("refused");
        assert!(
            err.to_string().contains("line 12: `__chunk_2` has no list"),
            "{err}"
        );
    }

    #[test]
    fn waiting_for_an_undeclared_loader_is_an_error() {
        let broken = LOADER.replace(", [__chunk_3]));", ", [__chunk_9]));");
        let err = Loader::parse(&broken).expect_err("refused");
        assert!(
            err.to_string()
                .contains("`__chunk_9`, which is not declared"),
            "{err}"
        );
    }
}
