//! Every property of the Compose specification's schema is classified in `compose::fields`:
//! a field the specification adds fails this test until someone decides what it can reach.

#[allow(dead_code)]
mod common;

use std::collections::BTreeSet;

use compose::fields::{Reach, reach_of};
use serde_json::Value;

/// Every property path of the schema, in the table's form (`services.*.volumes[].bind`).
fn schema_paths(schema: &Value) -> BTreeSet<String> {
    let defs = &schema["$defs"];
    let mut out = BTreeSet::new();
    walk(defs, schema, "", &mut Vec::new(), &mut out);
    out
}

fn walk(
    defs: &Value,
    node: &Value,
    path: &str,
    seen: &mut Vec<String>,
    out: &mut BTreeSet<String>,
) {
    let Some(obj) = node.as_object() else {
        return;
    };
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r).to_owned();
        if !seen.contains(&name) {
            seen.push(name.clone());
            walk(defs, &defs[name.as_str()], path, seen, out);
            seen.pop();
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for branch in obj.get(key).and_then(Value::as_array).into_iter().flatten() {
            walk(defs, branch, path, seen, out);
        }
    }
    let child = |name: &str| {
        if path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    for (name, value) in obj
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let p = child(name);
        out.insert(p.clone());
        walk(defs, value, &p, seen, out);
    }
    if let Some(items) = obj.get("items") {
        walk(defs, items, &format!("{path}[]"), seen, out);
    }
    if let Some(extra) = obj.get("additionalProperties").filter(|v| v.is_object()) {
        walk(defs, extra, &child("*"), seen, out);
    }
    for (pattern, value) in obj
        .get("patternProperties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        // `x-` extensions are for tools, never read by Orbitr.
        if !pattern.starts_with("^x-") {
            walk(defs, value, &child("*"), seen, out);
        }
    }
}

#[test]
fn every_field_of_the_compose_schema_is_classified() {
    let Some(root) = common::corpora() else {
        return;
    };
    let file = root.join("compose-go/schema/compose-spec.json");
    let text = std::fs::read_to_string(&file).expect("the compose-go schema");
    let schema: Value = serde_json::from_str(&text).expect("schema JSON");
    let paths = schema_paths(&schema);
    assert!(paths.len() > 300, "only {} paths found", paths.len());
    let unclassified: Vec<&String> = paths.iter().filter(|p| reach_of(p).is_none()).collect();
    assert!(
        unclassified.is_empty(),
        "fields of the Compose specification with no class in compose::fields (decide what each can reach): {unclassified:#?}"
    );
    // The fields the isolation issue names, as the schema spells them.
    for (path, reach) in [
        ("services.*.network_mode", Reach::Host),
        ("services.*.volumes_from", Reach::Workspace),
        ("services.*.security_opt", Reach::Host),
        ("volumes.*.driver_opts", Reach::Host),
        ("volumes.*.external", Reach::Workspace),
        ("networks.*.name", Reach::Workspace),
    ] {
        assert!(paths.contains(path), "{path} is not in the schema");
        assert_eq!(reach_of(path), Some(reach), "{path}");
    }
}
