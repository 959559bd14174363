//! Merging and rebasing documents (`extends`, `include`, override files), and the checks on
//! references between them (cycles, image references, port ranges).

use super::*;

/// The entries of the top-level mapping `name` (none when it is absent or not a mapping).
pub(super) fn entries_of<'n>(doc: &'n Node, name: &str) -> &'n [(Key, Node)] {
    doc.get(name).and_then(Node::entries).unwrap_or_default()
}

/// The top-level mapping `name`, each entry read by `read` with its path.
pub(super) fn section<T>(
    doc: &Node,
    name: &str,
    mut read: impl FnMut(&str, &Node) -> T,
) -> BTreeMap<String, T> {
    entries_of(doc, name)
        .iter()
        .map(|(key, node)| (key.name.clone(), read(&join_key(name, &key.name), node)))
        .collect()
}

pub(super) fn find_cycle(project: &Project, path: &mut Vec<String>) -> Option<Vec<String>> {
    let current = path.last()?.clone();
    let service = project.services.get(&current)?;
    for dep in service.dependencies() {
        if let Some(i) = path.iter().position(|p| p == dep) {
            if i == 0 {
                let mut cycle = path.clone();
                cycle.push(dep.to_owned());
                return Some(cycle);
            }
            continue;
        }
        path.push(dep.to_owned());
        if let Some(c) = find_cycle(project, path) {
            return Some(c);
        }
        path.pop();
    }
    None
}

pub(super) fn bare_reference(s: &str, name: &str) -> bool {
    let needle = format!("${name}");
    s.match_indices(&needle).any(|(i, _)| {
        let before_escaped = i > 0 && s[..i].ends_with('$');
        let after = s[i + needle.len()..].chars().next();
        !before_escaped && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

pub(super) fn port_range(text: &str) -> Option<(u32, u32)> {
    let (a, b) = text.split_once('-').unwrap_or((text, text));
    let low: u32 = a.trim().parse().ok()?;
    let high: u32 = b.trim().parse().ok()?;
    (low <= high && high <= 65535).then_some((low, high))
}

/// Checks `[registry[:port]/]name[/name…][:tag][@algo:hex]` the way the engine parses references.
pub fn check_image_reference(image: &str) -> Result<(), String> {
    if image.is_empty() {
        return Err("it is empty".into());
    }
    if image.chars().any(char::is_whitespace) {
        return Err("it contains whitespace".into());
    }
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    if let Some(d) = digest {
        let ok = d.split_once(':').is_some_and(|(algo, hex)| {
            !algo.is_empty()
                && algo
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+._-".contains(c))
                && hex.len() >= 32
                && hex.chars().all(|c| c.is_ascii_hexdigit())
        });
        if !ok {
            return Err(format!(
                "the digest {d:?} is not like sha256:<64 hex digits>"
            ));
        }
    }
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(tag) = tag {
        let ok = !tag.is_empty()
            && tag.len() <= 128
            && tag
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !ok {
            return Err(format!(
                "the tag {tag:?} may only hold letters, digits, '_', '.' and '-' (at most 128)"
            ));
        }
    }
    let mut components: Vec<&str> = name.split('/').collect();
    if components.len() > 1 {
        let first = components[0];
        if first.contains(['.', ':'])
            || first == "localhost"
            || first.chars().any(|c| c.is_ascii_uppercase())
        {
            components.remove(0);
        }
    }
    for component in components {
        if component.is_empty() {
            return Err("a path component is empty".into());
        }
        if component.chars().any(|c| c.is_ascii_uppercase()) {
            return Err("the repository name must be lowercase".into());
        }
        let valid_chars = component
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        let edges = component
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && component
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_alphanumeric());
        if !valid_chars || !edges {
            return Err(format!(
                "{component:?} is not a valid repository name component"
            ));
        }
    }
    Ok(())
}

pub(super) fn without_key(node: &Node, key: &str) -> Node {
    let mut copy = node.clone();
    if let Value::Map(entries) = &mut copy.value {
        entries.retain(|(k, _)| k.name != key);
    }
    copy
}

/// Whether `path` is a local path relative to a folder (not absolute, home-based or remote).
pub(super) fn is_relative_path(path: &str) -> bool {
    !path.is_empty() && !path.starts_with(['/', '~']) && !is_remote(path)
}

/// A copy of `service` whose relative paths (bind mounts, env files), written relative to the
/// folder `from`, are rewritten relative to the folder `to`, so that they still name the same
/// files once the service sits in a file of another folder.
pub(super) fn rebase_paths(service: &Node, from: &str, to: &str) -> Node {
    let mut copy = service.clone();
    if from != to {
        rebase_service(&mut copy, from, to);
    }
    copy
}

pub(super) fn rebase_service(service: &mut Node, from: &str, to: &str) {
    let rebase = |s: &mut String| {
        if is_relative_path(s) {
            *s = relative_to(from, s, to);
        }
    };
    let Value::Map(entries) = &mut service.value else {
        return;
    };
    for (k, v) in entries.iter_mut() {
        match (k.name.as_str(), &mut v.value) {
            ("volumes", Value::Seq(items)) => {
                for item in items {
                    let bind = item.get("type").and_then(Node::as_str) == Some("bind");
                    match &mut item.value {
                        // Short syntax: only a source that starts with `.` is a relative path;
                        // a bare name is a named volume.
                        Value::Str(s) => {
                            if let Some((src, rest)) = s.split_once(':')
                                && src.starts_with('.')
                            {
                                *s = format!("{}:{rest}", relative_to(from, src, to));
                            }
                        }
                        Value::Map(fields) if bind => {
                            for (fk, fv) in fields.iter_mut() {
                                if let ("source", Value::Str(src)) =
                                    (fk.name.as_str(), &mut fv.value)
                                {
                                    rebase(src);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            ("env_file", Value::Str(s)) => rebase(s),
            ("env_file", Value::Seq(items)) => {
                for item in items {
                    match &mut item.value {
                        Value::Str(s) => rebase(s),
                        Value::Map(fields) => {
                            for (fk, fv) in fields.iter_mut() {
                                if let ("path", Value::Str(p)) = (fk.name.as_str(), &mut fv.value) {
                                    rebase(p);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// Rewrites the relative paths of an included document (its services' and its secrets' and
/// configs' `file`) from the folder `from` to the folder `to`.
pub(super) fn rebase_document(doc: &mut Node, from: &str, to: &str) {
    if from == to {
        return;
    }
    let Value::Map(top) = &mut doc.value else {
        return;
    };
    for (section, node) in top.iter_mut() {
        let Value::Map(entries) = &mut node.value else {
            continue;
        };
        for (_, entry) in entries.iter_mut() {
            match section.name.as_str() {
                "services" => rebase_service(entry, from, to),
                "secrets" | "configs" => {
                    if let Value::Map(fields) = &mut entry.value {
                        for (fk, fv) in fields.iter_mut() {
                            if let ("file", Value::Str(f)) = (fk.name.as_str(), &mut fv.value)
                                && is_relative_path(f)
                            {
                                *f = relative_to(from, f, to);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Keys whose list form `K=V` is a mapping in disguise; merged per key.
pub(super) const DICT_KEYS: &[&str] = &[
    "environment",
    "labels",
    "annotations",
    "sysctls",
    "args",
    "extra_hosts",
    "driver_opts",
];
/// Sequences that an override replaces instead of extending.
pub(super) const REPLACED_SEQS: &[&str] = &["command", "entrypoint", "test"];

/// Merges `over` onto `base` with the Compose rules: mappings per key, command-like sequences
/// replaced, other sequences appended without duplicates, `!override` replaces, `!reset` removes.
pub fn merge_nodes(base: &Node, over: &Node, key: &str) -> Node {
    if over.tag == Some(Tag::Override) {
        let mut o = over.clone();
        o.tag = None;
        return o;
    }
    if over.tag == Some(Tag::Reset) {
        return over.clone();
    }
    if DICT_KEYS.contains(&key)
        && let (Some(b), Some(o)) = (as_dict(base), as_dict(over))
    {
        return merge_maps(&b, &o, over.pos);
    }
    match (&base.value, &over.value) {
        (Value::Map(b), Value::Map(o)) => merge_maps(b, o, over.pos),
        (Value::Seq(b), Value::Seq(o)) if !REPLACED_SEQS.contains(&key) => {
            let mut items = b.clone();
            for item in o {
                let identity = mount_target(item);
                if let Some(target) = identity {
                    items.retain(|x| mount_target(x).as_deref() != Some(target.as_str()));
                } else if items.iter().any(|x| x.to_json() == item.to_json()) {
                    continue;
                }
                items.push(item.clone());
            }
            Node::new(Value::Seq(items), over.pos)
        }
        _ => over.clone(),
    }
}

pub(super) fn merge_maps(base: &[(Key, Node)], over: &[(Key, Node)], pos: Pos) -> Node {
    let mut entries: Vec<(Key, Node)> = Vec::with_capacity(base.len() + over.len());
    for (k, b) in base {
        match over.iter().find(|(ok, _)| ok.name == k.name) {
            Some((ok, o)) => entries.push((ok.clone(), merge_nodes(b, o, &k.name))),
            None => entries.push((k.clone(), b.clone())),
        }
    }
    for (k, o) in over {
        if !base.iter().any(|(bk, _)| bk.name == k.name) {
            entries.push((k.clone(), o.clone()));
        }
    }
    Node::new(Value::Map(entries), pos)
}

/// The container path of a volume-like entry, which identifies it in a merge.
pub(super) fn mount_target(item: &Node) -> Option<String> {
    match &item.value {
        Value::Str(s) => {
            let parts: Vec<&str> = s.split(':').collect();
            (parts.len() >= 2).then(|| parts[1].to_owned())
        }
        Value::Map(_) => item.get("target").and_then(Node::scalar_text),
        _ => None,
    }
}

/// A `K=V` list or a mapping, as mapping entries.
pub(super) fn as_dict(node: &Node) -> Option<Vec<(Key, Node)>> {
    match &node.value {
        Value::Map(entries) => Some(entries.clone()),
        Value::Seq(items) => Some(
            items
                .iter()
                .filter_map(|item| {
                    let text = item.scalar_text()?;
                    let (k, v) = match text.split_once('=') {
                        Some((k, v)) => (k.to_owned(), Value::Str(v.to_owned())),
                        None => (text, Value::Null),
                    };
                    Some((
                        Key {
                            name: k,
                            pos: item.pos,
                        },
                        Node::new(v, item.pos),
                    ))
                })
                .collect(),
        ),
        Value::Null => Some(Vec::new()),
        _ => None,
    }
}

/// Removes every `!reset` entry left after merging.
pub(super) fn strip_resets(node: &mut Node) {
    match &mut node.value {
        Value::Map(entries) => {
            entries.retain(|(_, v)| v.tag != Some(Tag::Reset));
            for (_, v) in entries.iter_mut() {
                strip_resets(v);
            }
        }
        Value::Seq(items) => {
            items.retain(|v| v.tag != Some(Tag::Reset));
            for v in items.iter_mut() {
                strip_resets(v);
            }
        }
        _ => {}
    }
}

pub(super) fn merge_included(
    doc: &mut Node,
    included: Node,
    name: &str,
    diags: &mut Vec<Diagnostic>,
    file: &str,
) {
    let Value::Map(top) = &mut doc.value else {
        return;
    };
    for section in ["services", "networks", "volumes", "secrets", "configs"] {
        let Some(theirs) = included.get(section).and_then(Node::entries) else {
            continue;
        };
        if !top.iter().any(|(k, _)| k.name == section) {
            top.push((
                Key {
                    name: section.to_owned(),
                    pos: doc.pos,
                },
                Node::new(Value::Map(Vec::new()), doc.pos),
            ));
        }
        let Some((_, ours)) = top.iter_mut().find(|(k, _)| k.name == section) else {
            continue;
        };
        if ours.is_null() {
            ours.value = Value::Map(Vec::new());
        }
        let Value::Map(ours) = &mut ours.value else {
            continue;
        };
        for (k, v) in theirs {
            if let Some((existing, node)) = ours.iter().find(|(e, _)| e.name == k.name) {
                if node.to_json() != v.to_json() {
                    diags.push(
                        Diagnostic::error(
                            join_key(section, &k.name),
                            existing.pos,
                            format!(
                                "{section}.{} is defined here and also in the included file {name}",
                                k.name
                            ),
                        )
                        .in_file(file),
                    );
                }
                continue;
            }
            ours.push((k.clone(), v.clone()));
        }
    }
}
