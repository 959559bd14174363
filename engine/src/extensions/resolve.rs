//! Resolving `requires`: which installed apps an install reuses and which extensions it installs
//! first, in order. Pure: the catalog and the workspace's apps come in as lists.

use semver::{Version, VersionReq};

use super::manifest::Requirement;

/// Requirements nest at most this deep.
pub const MAX_DEPTH: usize = 8;

/// An installable version in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    pub version: String,
    pub source: String,
    pub requires: Vec<Requirement>,
}

/// An app installed in the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The app's id.
    pub app: String,
    pub extension: String,
    pub version: String,
}

/// One step of a resolved plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Reuse this installed app (its id) for the extension.
    Reuse { extension: String, app: String },
    /// Install this candidate.
    Install(Candidate),
}

fn range(owner: &str, req: &Requirement) -> Result<VersionReq, String> {
    VersionReq::parse(&req.version).map_err(|e| {
        format!(
            "{owner} requires {} {:?}, which is not a version range: {e}",
            req.id, req.version
        )
    })
}

fn version(v: &str) -> Option<Version> {
    Version::parse(v).ok()
}

/// The steps installing `root` takes: every requirement either reused (a compatible installed
/// app) or installed first (the highest compatible catalog version), depth first, each once;
/// `root` last. Errors say which requirement cannot be met and what there is.
pub fn resolve(
    root: &Candidate,
    catalog: &[Candidate],
    installed: &[Installed],
) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    let mut chain = vec![root.id.clone()];
    visit(root, catalog, installed, &mut chain, &mut steps)?;
    steps.push(Step::Install(root.clone()));
    Ok(steps)
}

fn visit(
    node: &Candidate,
    catalog: &[Candidate],
    installed: &[Installed],
    chain: &mut Vec<String>,
    steps: &mut Vec<Step>,
) -> Result<(), String> {
    if chain.len() > MAX_DEPTH {
        return Err(format!(
            "requirements nest deeper than {MAX_DEPTH}: {}",
            chain.join(" → ")
        ));
    }
    for req in &node.requires {
        let wanted = range(&node.id, req)?;
        if chain.contains(&req.id) {
            return Err(format!(
                "requirements form a cycle: {} → {}",
                chain.join(" → "),
                req.id
            ));
        }
        let reuse = installed.iter().find(|a| {
            a.extension == req.id && version(&a.version).is_some_and(|v| wanted.matches(&v))
        });
        if let Some(app) = reuse {
            let step = Step::Reuse {
                extension: req.id.clone(),
                app: app.app.clone(),
            };
            if !steps.contains(&step) {
                steps.push(step);
            }
            continue;
        }
        // Already planned by another requirement of this install.
        let planned = steps.iter().find_map(|s| match s {
            Step::Install(c) if c.id == req.id => Some(c),
            _ => None,
        });
        if let Some(c) = planned {
            if version(&c.version).is_some_and(|v| wanted.matches(&v)) {
                continue;
            }
            return Err(format!(
                "{} requires {} {}, but this install already takes {} {} for another requirement",
                node.id, req.id, req.version, c.id, c.version
            ));
        }
        let best = catalog
            .iter()
            .filter(|c| c.id == req.id)
            .filter_map(|c| version(&c.version).map(|v| (v, c)))
            .filter(|(v, _)| wanted.matches(v))
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, c)| c.clone());
        let Some(best) = best else {
            let mut available: Vec<String> = catalog
                .iter()
                .filter(|c| c.id == req.id)
                .map(|c| c.version.clone())
                .collect();
            let installed_versions: Vec<String> = installed
                .iter()
                .filter(|a| a.extension == req.id)
                .map(|a| a.version.clone())
                .collect();
            available.sort();
            let mut what = Vec::new();
            if !installed_versions.is_empty() {
                what.push(format!("installed: {}", installed_versions.join(", ")));
            }
            if !available.is_empty() {
                what.push(format!("in the catalog: {}", available.join(", ")));
            }
            let what = if what.is_empty() {
                "it is neither installed nor in any source".to_owned()
            } else {
                what.join("; ")
            };
            return Err(format!(
                "{} requires {} {}, and no version matches ({what})",
                node.id, req.id, req.version
            ));
        };
        chain.push(best.id.clone());
        visit(&best, catalog, installed, chain, steps)?;
        chain.pop();
        steps.push(Step::Install(best));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: &str, version: &str, requires: &[(&str, &str)]) -> Candidate {
        Candidate {
            id: id.into(),
            version: version.into(),
            source: "builtin".into(),
            requires: requires
                .iter()
                .map(|(id, v)| Requirement {
                    id: (*id).into(),
                    version: (*v).into(),
                })
                .collect(),
        }
    }

    fn installs(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .map(|s| match s {
                Step::Install(c) => format!("{}@{}", c.id, c.version),
                Step::Reuse { extension, app } => format!("reuse {extension} ({app})"),
            })
            .collect()
    }

    #[test]
    fn requirements_install_first_with_the_highest_matching_version() {
        let catalog = vec![
            candidate("postgres", "15.4.0", &[]),
            candidate("postgres", "16.2.0", &[]),
            candidate("postgres", "17.0.0", &[]),
            candidate("redis", "7.2.0", &[]),
        ];
        let app = candidate("gitea", "1.0.0", &[("postgres", "^16"), ("redis", ">=7")]);
        let steps = resolve(&app, &catalog, &[]).expect("present");
        assert_eq!(
            installs(&steps),
            ["postgres@16.2.0", "redis@7.2.0", "gitea@1.0.0"]
        );
    }

    #[test]
    fn a_compatible_installed_app_is_reused_and_an_incompatible_one_is_not() {
        let catalog = vec![candidate("postgres", "16.2.0", &[])];
        let installed = vec![Installed {
            app: "a1".into(),
            extension: "postgres".into(),
            version: "16.0.1".into(),
        }];
        let app = candidate("gitea", "1.0.0", &[("postgres", "^16")]);
        assert_eq!(
            installs(&resolve(&app, &catalog, &installed).expect("present")),
            ["reuse postgres (a1)", "gitea@1.0.0"]
        );
        let old = vec![Installed {
            version: "15.0.0".into(),
            ..installed[0].clone()
        }];
        assert_eq!(
            installs(&resolve(&app, &catalog, &old).expect("present")),
            ["postgres@16.2.0", "gitea@1.0.0"]
        );
    }

    #[test]
    fn nested_requirements_come_depth_first_and_once() {
        let catalog = vec![
            candidate("db", "1.0.0", &[]),
            candidate("cache", "2.0.0", &[("db", "1")]),
        ];
        let app = candidate("web", "0.1.0", &[("cache", "2"), ("db", "^1.0")]);
        assert_eq!(
            installs(&resolve(&app, &catalog, &[]).expect("present")),
            ["db@1.0.0", "cache@2.0.0", "web@0.1.0"]
        );
    }

    #[test]
    fn unmet_requirements_say_what_there_is() {
        let catalog = vec![candidate("postgres", "15.4.0", &[])];
        let app = candidate("gitea", "1.0.0", &[("postgres", "^16")]);
        let err = resolve(&app, &catalog, &[]).expect_err("an error");
        assert!(err.contains("gitea requires postgres ^16"), "{err}");
        assert!(err.contains("in the catalog: 15.4.0"), "{err}");
        let missing = candidate("x", "1.0.0", &[("nothing", "*")]);
        let err = resolve(&missing, &catalog, &[]).expect_err("an error");
        assert!(err.contains("neither installed nor in any source"), "{err}");
        let bad = candidate("x", "1.0.0", &[("postgres", "sixteen")]);
        assert!(
            resolve(&bad, &catalog, &[])
                .expect_err("an error")
                .contains("not a version range")
        );
    }

    #[test]
    fn cycles_and_conflicts_are_refused() {
        let catalog = vec![
            candidate("a", "1.0.0", &[("b", "1")]),
            candidate("b", "1.0.0", &[("a", "1")]),
        ];
        let root = candidate("a", "1.0.0", &[("b", "1")]);
        let err = resolve(&root, &catalog, &[]).expect_err("an error");
        assert!(err.contains("cycle: a → b → a"), "{err}");

        let catalog = vec![
            candidate("db", "1.0.0", &[]),
            candidate("db", "2.0.0", &[]),
            candidate("x", "1.0.0", &[("db", "2")]),
        ];
        let root = candidate("app", "1.0.0", &[("x", "1"), ("db", "1")]);
        let err = resolve(&root, &catalog, &[]).expect_err("an error");
        assert!(err.contains("already takes db 2.0.0"), "{err}");
    }
}
