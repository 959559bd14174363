//! What the marketplace shows and is asked, as it travels between the server and the browser:
//! sources, catalog cards and details, install plans, installed apps, reviews.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::manifest::{Exposed, Input, Manifest, Permissions, Requirement};

/// Kinds of extension sources.
pub const SOURCE_KINDS: [&str; 4] = ["builtin", "folder", "git", "http"];

/// Sorts of a catalog search.
pub const SORTS: [&str; 5] = ["relevance", "name", "updated", "installs", "rating"];

/// A source of extensions and how its last sync went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SourceView {
    pub id: String,
    pub name: String,
    /// `builtin` (the `extensions/` folder shipped with Orbitr), `folder`, `git` or `http`.
    pub kind: String,
    /// A folder, a repository URL or an index URL.
    pub location: String,
    /// A git branch or tag.
    pub reference: Option<String>,
    pub created_at: i64,
    pub synced_at: Option<i64>,
    /// Why the last sync failed (the entries of the sync before stay listed).
    pub sync_error: Option<String>,
    /// Extensions listed, valid or not.
    pub extensions: u32,
    /// Of those, the ones with errors.
    pub invalid: u32,
}

/// Body of adding a source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NewSource {
    pub name: String,
    /// `folder`, `git` or `http`.
    pub kind: String,
    /// A folder on the server, a git URL (https, http or git) or an index URL (https or http).
    pub location: String,
    /// A git branch or tag (default: the repository's default branch).
    #[serde(default)]
    pub reference: Option<String>,
}

/// How a sync went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SyncReport {
    pub source: String,
    pub extensions: u32,
    pub invalid: u32,
    pub millis: u64,
}

/// A catalog search (`GET /api/v1/extensions`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to look for in names, summaries, categories and descriptions (prefixes match).
    #[serde(default)]
    pub q: Option<String>,
    /// Only this category.
    #[serde(default)]
    pub category: Option<String>,
    /// `relevance` (default with words), `name` (default without), `updated`, `installs`,
    /// `rating`.
    #[serde(default)]
    pub sort: Option<String>,
    /// Only this source (id).
    #[serde(default)]
    pub source: Option<String>,
    /// List extensions with errors too.
    #[serde(default)]
    pub invalid: Option<bool>,
    /// At most this many (default 48, at most 200).
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub offset: Option<u32>,
}

/// An extension in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExtensionCard {
    pub id: String,
    /// Source id.
    pub source: String,
    pub source_name: String,
    pub name: String,
    pub version: String,
    pub summary: String,
    pub categories: Vec<String>,
    pub icon: Option<String>,
    pub installs: i64,
    /// Average of the ratings (1–5), none before the first review.
    pub rating: Option<f64>,
    pub reviews: i64,
    /// When this version was first seen.
    pub updated_at: i64,
    /// Why it cannot be installed; empty when it can.
    pub errors: Vec<String>,
}

/// A page of search results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SearchPage {
    pub total: u64,
    pub items: Vec<ExtensionCard>,
    /// Every category of installable extensions with how many have it.
    pub categories: Vec<(String, u64)>,
}

/// One extension with everything its page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExtensionDetail {
    pub card: ExtensionCard,
    /// The manifest, when it is valid.
    pub manifest: Option<Manifest>,
    /// The README rendered to HTML and sanitized (no raw HTML, no script URLs).
    pub readme_html: String,
    /// `CHANGELOG.md`, rendered the same way (empty when there is none).
    pub changelog_html: String,
}

/// Body of installing an extension into a workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InstallForm {
    /// The extension's id.
    pub extension: String,
    /// Its source (id); the first source that has it when left out.
    #[serde(default)]
    pub source: Option<String>,
    /// The stack it runs as (a Compose project name).
    pub stack: String,
    /// The form's values by input key.
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
}

/// Body of installing straight from a git repository (platform admins).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GitInstallForm {
    /// An https://, http:// or git:// URL.
    pub url: String,
    /// A branch or tag (default: the repository's default branch).
    #[serde(default)]
    pub reference: Option<String>,
    /// The install itself; `extension` may be empty when the repository holds one.
    #[serde(flatten)]
    pub install: InstallForm,
}

/// One step of an install plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlanStep {
    pub extension: String,
    pub name: String,
    pub version: String,
    pub source: String,
    /// The stack it will run as, or runs as when reused.
    pub stack: String,
    /// An installed app this step reuses instead of installing.
    pub reuse: Option<String>,
    /// What it asks of the host (a platform admin approves).
    pub permissions: Permissions,
}

/// What installing an extension will do, in order: requirements first, the extension last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InstallPlan {
    pub steps: Vec<PlanStep>,
    /// A step asks for host access and the installer is not a platform admin.
    pub needs_approval: bool,
}

/// A link to an app's exposed web port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AppLink {
    pub label: String,
    /// The port on the Docker host (the page links to it on the host it was opened from).
    pub host_port: u16,
    /// `http` or `https`.
    pub protocol: String,
    pub path: String,
}

/// An installed app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AppView {
    pub id: String,
    pub workspace: String,
    pub stack: String,
    /// The stack's id (none while awaiting approval or after a failure).
    pub stack_id: Option<String>,
    pub extension: String,
    pub name: String,
    pub icon: Option<String>,
    pub source: String,
    pub version: String,
    /// `awaiting_approval`, `installing`, `installed`, `updating` or `failed`.
    pub status: String,
    /// Why the install failed (nothing of it is left).
    pub error: Option<String>,
    /// A newer version in its source.
    pub latest: Option<String>,
    /// The app this one was installed for.
    pub required_by: Option<String>,
    pub running: u32,
    pub containers: u32,
    pub links: Vec<AppLink>,
    pub permissions: Permissions,
    pub created_at: i64,
    pub created_by: String,
    pub approved_by: Option<String>,
}

/// An install under way: the apps it makes, requirements first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InstallStarted {
    pub apps: Vec<AppView>,
}

/// What updating an app will change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UpdatePreview {
    pub from: String,
    pub to: String,
    pub changelog_html: String,
    /// Inputs the new version adds (they take their defaults).
    pub new_inputs: Vec<Input>,
    pub exposes: Vec<Exposed>,
    pub requires: Vec<Requirement>,
}

/// Body of uninstalling.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UninstallForm {
    /// Delete the app's volumes too (its data).
    #[serde(default)]
    pub volumes: bool,
}

/// A review as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReviewView {
    pub author_id: String,
    pub author: String,
    pub rating: u8,
    pub body: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub helpful: i64,
    /// The caller marked it helpful.
    pub voted: bool,
    /// The caller wrote it.
    pub mine: bool,
}

/// An extension's reviews, most helpful first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Reviews {
    pub average: Option<f64>,
    pub count: i64,
    pub items: Vec<ReviewView>,
}

/// Body of writing (or rewriting) one's review.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReviewForm {
    /// 1 to 5.
    pub rating: u8,
    #[serde(default)]
    pub body: String,
}

/// Longest review text accepted.
pub const MAX_REVIEW_CHARS: usize = 4000;

/// A review form's problem, naming its field.
pub fn check_review(form: &ReviewForm) -> Result<(), (&'static str, String)> {
    if !(1..=5).contains(&form.rating) {
        return Err(("rating", format!("{} is not between 1 and 5", form.rating)));
    }
    let chars = form.body.chars().count();
    if chars > MAX_REVIEW_CHARS {
        return Err((
            "body",
            format!("{chars} characters; at most {MAX_REVIEW_CHARS}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_needs_a_rating_from_one_to_five_and_a_bounded_text() {
        let ok = ReviewForm {
            rating: 5,
            body: "works".into(),
        };
        assert_eq!(check_review(&ok), Ok(()));
        let zero = ReviewForm {
            rating: 0,
            ..ok.clone()
        };
        assert_eq!(check_review(&zero).expect_err("an error").0, "rating");
        let long = ReviewForm {
            rating: 3,
            body: "x".repeat(MAX_REVIEW_CHARS + 1),
        };
        assert_eq!(check_review(&long).expect_err("an error").0, "body");
    }
}
