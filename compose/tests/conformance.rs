//! The loader against the real-world corpora in `shared/corpora` (SOURCES.md there says where
//! each file comes from): every Compose file of compose-go, its history snapshot,
//! awesome-compose, docker/compose's fixtures and the CasaOS app store is loaded the way a caller
//! loads a stack, and must behave as `expectations.json` says. A file not listed there must load
//! without an error.
//!
//! How a file is loaded:
//! - under its own name, with other files (`include`, `extends.file`, `env_file`) read relative
//!   to its folder and never from outside the corpus;
//! - with the variables of the `.env` beside it, when there is one, through
//!   `environment_from_dotenv` (the loader reads no `.env` by itself; the server does the same
//!   for a stack), over `COMPOSE_PROJECT_NAME`, which the server sets too;
//! - with the variables an upstream test sets for that fixture ([`UPSTREAM_ENV`]), which win
//!   over the `.env` as the shell's do in Compose;
//! - with every profile active (`*`): every service is then normalized and checked, where with
//!   none active the services that have profiles would be set aside unchecked.
//!
//! The corpora live beside the workspace on the development machine; without them the test says
//! so and passes.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use common::{SOURCES, compose_files, corpora, relative};
use compose::diag::Diagnostic;
use compose::load::{Loaded, Options, environment_from_dotenv, load};
use compose::schema;
use compose::yaml::{self, Limits};
use serde_json::Value as Json;

/// Variables set for a fixture, as its upstream test (or sample) sets them.
struct Upstream {
    path: &'static str,
    vars: &'static [(&'static str, &'static str)],
    /// Where upstream sets them.
    evidence: &'static str,
}

const UPSTREAM_ENV: &[Upstream] = &[
    Upstream {
        path: "compose-go-history/9dee8f4f1a356a87744cebc7a25ac15f971c84a5/loader/full-example.yml",
        vars: &[
            ("HOME", "/home/conformance"),
            ("BAR", "this is a secret"),
            ("QUX", "qux_from_environment"),
        ],
        evidence: "compose-go loader_test.go TestFullExample (HOME is the user's home there)",
    },
    Upstream {
        path: "awesome-compose/plex/compose.yaml",
        vars: &[("PLEX_MEDIA_PATH", "/media/your/plex/path")],
        evidence: "the sample's plex/.env upstream, which the corpus did not copy",
    },
    Upstream {
        path: "docker-compose/pkg/e2e/fixtures/logs-test/cat.yaml",
        vars: &[("FILE", "/tmp/TestLocalComposeLargeLogs/001/large.txt")],
        evidence: "logs_test.go TestLocalComposeLargeLogs (a file in the test's temporary folder)",
    },
    Upstream {
        path: "docker-compose/pkg/e2e/testdata/TestBuildSecrets/compose.yaml",
        vars: &[
            ("SECRET_IMAGE", "e2e-build-secrets-secret"),
            ("SOME_SECRET", "bar"),
        ],
        evidence: "build_test.go TestBuildSecrets (project e2e-build-secrets)",
    },
    Upstream {
        path: "docker-compose/pkg/e2e/testdata/TestBuildTags/compose.yaml",
        vars: &[("TAG_IMAGE", "e2e-build-tags-tags")],
        evidence: "build_test.go TestBuildTags (project e2e-build-tags)",
    },
    Upstream {
        path: "docker-compose/pkg/e2e/testdata/TestImageVolumeRecreateOnRebuild/compose.yaml",
        vars: &[(
            "SOURCE_IMAGE",
            "e2e-image-volume-recreate-on-rebuild-source-image",
        )],
        evidence: "volumes_test.go TestImageVolumeRecreateOnRebuild",
    },
    Upstream {
        path: "docker-compose/pkg/e2e/testdata/TestImagesAfterImageRemoved/compose.yaml",
        vars: &[("REMOVED_IMAGE", "e2e-images-after-image-removed:v1")],
        evidence: "images_test.go TestImagesAfterImageRemoved",
    },
    Upstream {
        path: "docker-compose/pkg/e2e/testdata/TestUpImageID/compose.yaml",
        vars: &[(
            "ID",
            "c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
        )],
        evidence: "up_test.go TestUpImageID (the hex ID of the local alpine image)",
    },
    Upstream {
        path: "docker-compose/pkg/e2e/testdata/TestUpWithBuildDependencies/compose.yaml",
        vars: &[("BUILT_IMAGE", "e2e-up-with-build-dependencies-built")],
        evidence: "up_test.go TestUpWithBuildDependencies",
    },
];

/// Folders whose files sat beside a fixture upstream but live elsewhere in the corpus: (the
/// fixture's folder, the folder to read them from, why).
const BESIDE: &[(&str, &str, &str)] = &[(
    "compose-go-history/9dee8f4f1a356a87744cebc7a25ac15f971c84a5/loader",
    "compose-go/loader",
    "the snapshot copied only full-example.yml; the env files beside it at that commit \
     (example1.env, example2.env) are byte-identical in compose-go/loader",
)];

/// The `remote:` references of compose-go's loader tests name files under this folder, as the
/// tests' custom resource loader does.
const REMOTE: &str = "compose-go/loader/testdata/remote";

/// A file that cannot load as the expectations (or their absence) ask, with why, and the errors
/// it gives instead: each error must contain one of `errors`, and each of `errors` must be in
/// some error, so that a new problem in the file is still caught.
struct Known {
    path: &'static str,
    reason: &'static str,
    errors: &'static [&'static str],
}

const KNOWN: &[Known] = &[
    Known {
        path: "compose-go/schema/using-variables.yaml",
        reason: "a schema fixture (compose-go tests only its schema, which passes here): every \
                 field holds ${VARIABLE}, and no single value is at once a number, a duration, \
                 an image, a port and an absolute path",
        errors: &[
            "\"\" is not a whole number",
            "\"\" is not a size like 512m or 1g",
            "\"\" is not a duration like 30s, 1m30s or 500ms",
            "service \"foo\" has an empty image (an unset variable?) and no build section",
            "service \"foo\" refers to undefined network \"other-network\"",
            "service \"foo\" refers to undefined network \"some-network\"",
            "\"\": \"\" is not a port or range",
            "service \"foo\" refers to undefined secret \"\"",
            "\":\": the host path or volume name before ':' is empty",
        ],
    },
    Known {
        path: "compose-go-history/9dee8f4f1a356a87744cebc7a25ac15f971c84a5/loader/full-example.yml",
        reason: "upstream TestFullExample loads it with SkipConsistencyCheck: it depends on \
                 undefined services, uses an undefined network and volume, and sets \
                 container_name with 6 replicas, which compose-go's consistency check refuses too",
        errors: &[
            "service \"foo\" sets container_name, so it cannot run 6 replicas",
            "service \"foo\" depends on undefined service \"db\"",
            "service \"foo\" depends on undefined service \"redis\"",
            "service \"foo\" refers to undefined network \"other-other-network\"",
            "service \"foo\" refers to undefined volume \"datavolume\"",
        ],
    },
    Known {
        path: "compose-go/loader/testdata/include/dir/compose.yaml",
        reason: "only loaded through include/project-directory.yaml, whose project_directory \
                 (../subdir) holds extra.env; alone its env_file does not exist, and compose-go \
                 refuses it the same way",
        errors: &["env file \"extra.env\" cannot be read: no such file in the corpus"],
    },
    Known {
        path: "docker-compose/pkg/e2e/fixtures/env_file/compose.yaml",
        reason: "serviceB's env file /doesnotexist/.env is missing on purpose: \
                 TestUnusedMissingEnvFile starts serviceA only and expects \
                 \"env file /doesnotexist/.env not found\" for serviceB",
        errors: &[
            "env file \"/doesnotexist/.env\" cannot be read: /doesnotexist/.env is \
                   outside the corpus",
        ],
    },
    Known {
        path: "docker-compose/pkg/e2e/fixtures/publish/oci/compose-override.yaml",
        reason: "an override file: TestPublish loads it as -f compose.yaml -f \
                 compose-override.yaml; alone its service has no image, which Compose refuses too",
        errors: &["service \"app\" has neither an image nor a build section"],
    },
    Known {
        path: "docker-compose/pkg/e2e/testdata/TestEnvPriorityComposeEnvFile/compose.yaml",
        reason: "its env_file .env.override is in the upstream fixture folder but was not \
                 copied into the corpus",
        errors: &["env file \".env.override\" cannot be read: no such file in the corpus"],
    },
    Known {
        path: "docker-compose/pkg/e2e/testdata/TestRawEnvFile/compose.yaml",
        reason: "its env_file .env.raw is in the upstream fixture folder but was not copied \
                 into the corpus",
        errors: &["env file \".env.raw\" cannot be read: no such file in the corpus"],
    },
    Known {
        path: "docker-compose/pkg/e2e/testdata/TestLocalComposeConfigNoConsistency/compose.yaml",
        reason: "listed as passing the schema (it does); upstream runs it with `config \
                 --no-consistency` because its services have no image",
        errors: &[
            "service \"incomplete\" has neither an image nor a build section",
            "service \"gated\" has neither an image nor a build section",
        ],
    },
];

/// One entry of `expectations.json`.
struct Expectation {
    expect: String,
    stage: String,
    reason: String,
}

/// The expectations about files of [`SOURCES`] that are Compose files; the others (dotenv,
/// Traefik, Caddy, …) belong to other tests and are only counted.
fn expectations(root: &Path) -> (BTreeMap<String, Expectation>, usize) {
    let text = fs::read_to_string(root.join("expectations.json")).expect("read expectations.json");
    let list: Vec<Json> = serde_json::from_str(&text).expect("expectations.json is a JSON list");
    let mut out = BTreeMap::new();
    let mut skipped = 0;
    for entry in list {
        let field = |name: &str| entry[name].as_str().unwrap_or_default().to_owned();
        let path = field("path");
        let compose = SOURCES.iter().any(|s| path.starts_with(&format!("{s}/")))
            && (path.ends_with(".yml") || path.ends_with(".yaml"));
        if !compose {
            skipped += 1;
            continue;
        }
        let expectation = Expectation {
            expect: field("expect"),
            stage: field("stage"),
            reason: field("reason"),
        };
        assert!(
            out.insert(path.clone(), expectation).is_none(),
            "{path} is listed twice in expectations.json"
        );
    }
    (out, skipped)
}

/// Reads `name` (as the loader asks for it) for a file in `folder`, refusing anything outside
/// the corpus; `beside` is where files that sat beside it upstream are now.
fn read_in_corpus(
    root: &Path,
    folder: &Path,
    beside: Option<&Path>,
    name: &str,
) -> Result<String, String> {
    let candidates: Vec<PathBuf> = if let Some(rest) = name.strip_prefix("remote:") {
        vec![root.join(REMOTE).join(rest)]
    } else if Path::new(name).is_absolute() {
        return Err(format!("{name} is outside the corpus"));
    } else {
        std::iter::once(folder.join(name))
            .chain(beside.map(|b| b.join(name)))
            .collect()
    };
    for candidate in candidates {
        let Ok(real) = candidate.canonicalize() else {
            continue;
        };
        if !real.starts_with(root) {
            return Err(format!("{name} is outside the corpus"));
        }
        return fs::read_to_string(&real).map_err(|e| format!("{name}: {e}"));
    }
    Err("no such file in the corpus".to_owned())
}

/// The variables for a fixture: its `.env` over `COMPOSE_PROJECT_NAME`, then what its upstream
/// test sets.
fn environment(folder: &Path, rel: &str) -> Result<BTreeMap<String, String>, String> {
    let base = BTreeMap::from([("COMPOSE_PROJECT_NAME".to_owned(), "conformance".to_owned())]);
    let mut env = match fs::read_to_string(folder.join(".env")) {
        Ok(text) => environment_from_dotenv(&text, &base).map_err(|d| d.to_string())?,
        Err(_) => base,
    };
    if let Some(upstream) = UPSTREAM_ENV.iter().find(|u| u.path == rel) {
        env.extend(
            upstream
                .vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
    }
    Ok(env)
}

fn errors(loaded: &Loaded) -> Vec<&Diagnostic> {
    loaded.errors().collect()
}

fn describe(loaded: &Loaded) -> String {
    loaded
        .diagnostics
        .iter()
        .map(|d| format!("\n      {d}"))
        .collect()
}

/// Whether the schema stage (run on the raw document, as the loader's first stage does) finds
/// an error; `None` when the text is not even YAML.
fn schema_fails(text: &str) -> Option<bool> {
    let doc = yaml::load(text, &Limits::default()).ok()?;
    Some(schema::validate(&doc).iter().any(Diagnostic::is_error))
}

/// What `reason` says the error must be: `error "X"` (exactly X), `error prefix "X"`,
/// `error contains "X"`; anything else asks only for some error.
fn error_matches(reason: &str, message: &str) -> bool {
    let quoted = |prefix: &str| {
        reason
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix('"'))
            .and_then(|r| r.split_once('"'))
            .map(|(q, _)| q.to_owned())
    };
    if let Some(q) = quoted("error prefix ") {
        message.starts_with(&q)
    } else if let Some(q) = quoted("error contains ") {
        message.contains(&q)
    } else if let Some(q) = quoted("error ") {
        message == q
    } else {
        true
    }
}

#[derive(Default)]
struct Tally {
    files: usize,
    load: usize,
    fail_as_expected: usize,
    known: usize,
    mismatches: Vec<String>,
}

impl Tally {
    fn mismatch(&mut self, rel: &str, why: impl AsRef<str>, loaded: &Loaded) {
        self.mismatches
            .push(format!("{rel}: {}{}", why.as_ref(), describe(loaded)));
    }
}

#[test]
fn every_corpus_compose_file_behaves_as_expected() {
    let Some(root) = corpora() else {
        return;
    };
    let (expected, skipped) = expectations(&root);
    let files = compose_files(&root);
    let mut tally = Tally::default();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for file in &files {
        let rel = relative(&root, file);
        seen.insert(rel.clone());
        tally.files += 1;
        let folder = file.parent().expect("a file has a folder");
        let beside = BESIDE
            .iter()
            .find(|(dir, _, _)| folder.ends_with(dir))
            .map(|(_, other, _)| root.join(other));
        let text = fs::read_to_string(file).expect("read a corpus file");
        let read = |name: &str| read_in_corpus(&root, folder, beside.as_deref(), name);
        let env = match environment(folder, &rel) {
            Ok(env) => env,
            Err(why) => {
                tally
                    .mismatches
                    .push(format!("{rel}: its .env does not parse: {why}"));
                continue;
            }
        };
        let options = Options {
            env,
            profiles: vec!["*".into()],
            read_file: Some(&read),
            ..Options::default()
        };
        let name = file
            .file_name()
            .expect("a file has a name")
            .to_string_lossy()
            .into_owned();
        let loaded = load(&name, &text, &options);
        let expectation = expected.get(&rel);

        // A stage an expectation says passes must pass, known or not.
        if let Some(e) = expectation.filter(|e| e.expect == "pass") {
            let stage_ok = match e.stage.as_str() {
                "schema" => schema_fails(&text) == Some(false),
                "yaml" => yaml::load(&text, &Limits::default()).is_ok(),
                _ => true,
            };
            if !stage_ok {
                tally.mismatch(
                    &rel,
                    format!("does not pass the {} stage", e.stage),
                    &loaded,
                );
                continue;
            }
        }

        if let Some(known) = KNOWN.iter().find(|k| k.path == rel) {
            let errs = errors(&loaded);
            let unexplained: Vec<&&Diagnostic> = errs
                .iter()
                .filter(|d| !known.errors.iter().any(|k| d.message.contains(k)))
                .collect();
            let absent: Vec<&&str> = known
                .errors
                .iter()
                .filter(|k| !errs.iter().any(|d| d.message.contains(*k)))
                .collect();
            if unexplained.is_empty() && absent.is_empty() {
                tally.known += 1;
            } else {
                tally.mismatch(
                    &rel,
                    format!(
                        "known ({}) but errors differ; absent: {absent:?}",
                        known.reason
                    ),
                    &loaded,
                );
            }
            continue;
        }

        let failed = loaded.has_errors();
        let Some(e) = expectation else {
            if failed {
                tally.mismatch(&rel, "not listed in expectations.json, yet fails", &loaded);
            } else {
                tally.load += 1;
            }
            continue;
        };
        match (e.expect.as_str(), e.stage.as_str()) {
            ("fail", "load") => {
                if errors(&loaded)
                    .iter()
                    .any(|d| error_matches(&e.reason, &d.message))
                {
                    tally.fail_as_expected += 1;
                } else {
                    tally.mismatch(&rel, format!("should fail with {}", e.reason), &loaded);
                }
            }
            ("fail" | "fail-standalone", "schema") => {
                if failed && schema_fails(&text) == Some(true) {
                    tally.fail_as_expected += 1;
                } else {
                    tally.mismatch(
                        &rel,
                        format!("should fail the schema: {}", e.reason),
                        &loaded,
                    );
                }
            }
            // The runtime failure (a missing build context, an image that does not exist) is
            // the engine's to meet; loading must succeed.
            ("pass" | "pass-schema/fail-runtime", _) | ("lenient", "import") => {
                if failed {
                    tally.mismatch(&rel, format!("should load: {}", e.reason), &loaded);
                } else {
                    tally.load += 1;
                }
            }
            ("pass-with-warning", _) => {
                let warned = loaded.diagnostics.iter().any(|d| !d.is_error());
                if failed || !warned {
                    tally.mismatch(
                        &rel,
                        format!("should load with a warning: {}", e.reason),
                        &loaded,
                    );
                } else {
                    tally.load += 1;
                }
            }
            (expect, stage) => tally.mismatches.push(format!(
                "{rel}: expectation {expect:?} at stage {stage:?} is not understood by this test"
            )),
        }
    }

    // Every table entry must name a corpus file, so that none outlives its reason.
    let listed = expected.keys().map(String::as_str);
    let tables = KNOWN
        .iter()
        .map(|k| k.path)
        .chain(UPSTREAM_ENV.iter().map(|u| u.path));
    for path in listed.chain(tables) {
        if !seen.contains(path) {
            tally.mismatches.push(format!(
                "{path}: listed, but not a Compose file of the corpus"
            ));
        }
    }

    for u in UPSTREAM_ENV {
        let names: Vec<&str> = u.vars.iter().map(|(k, _)| *k).collect();
        println!(
            "upstream variables: {}: {} ({})",
            u.path,
            names.join(", "),
            u.evidence
        );
    }
    for k in KNOWN {
        println!("known: {}: {}", k.path, k.reason);
    }
    println!(
        "conformance: {} files, {} load, {} expected failures fail as expected, {} known \
         (listed), {} expectations for other tests skipped",
        tally.files, tally.load, tally.fail_as_expected, tally.known, skipped
    );
    assert!(
        tally.mismatches.is_empty(),
        "{} mismatches:\n{}",
        tally.mismatches.len(),
        tally.mismatches.join("\n")
    );
}
