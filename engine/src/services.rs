//! Every engine service, built in one place from one configuration: the server's `serve`, the
//! CLI's `ext test --deploy`, benchmarks and tests open them the same way. Building starts
//! nothing (no engine monitor, sync or sweep): the caller does that, in the order it needs.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::audit::Audit;
use crate::db::Database;
use crate::docker::DockerEngine;
use crate::docker::logs::{LogHub, LogSettings};
use crate::docker::registries::Registries;
use crate::docker::stats::StatsHub;
use crate::identity::accounts::{Accounts, PasswordHasher};
use crate::identity::admin::Admin;
use crate::identity::identities::Identities;
use crate::identity::signins::SignIns;
use crate::identity::tokens::Tokens;
use crate::marketplace::{FetchLimits, Marketplace};
use crate::stacks::Stacks;
use crate::tenancy::adoptions::Adoptions;
use crate::tenancy::policies::Policies;
use crate::tenancy::workspaces::Workspaces;
use crate::vault::Vault;

/// What the services are built from.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Holds `secrets.key`, `stacks/` and the marketplace's cache.
    pub data_dir: PathBuf,
    /// The Docker engine's address; `None`: the environment's (`DOCKER_HOST`) or the local socket.
    pub docker_host: Option<String>,
    /// The official extension catalog's folder, if any.
    pub extensions_dir: Option<PathBuf>,
    pub logs: LogSettings,
    /// How long a stats stream stays open after its last viewer left.
    pub stats_linger: Duration,
    pub fetch: FetchLimits,
}

impl ServiceConfig {
    /// Defaults for everything but the data dir.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            docker_host: None,
            extensions_dir: None,
            logs: LogSettings::default(),
            stats_linger: Duration::from_secs(30),
            fetch: FetchLimits::default(),
        }
    }
}

/// The engine's services. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub db: Database,
    pub docker: DockerEngine,
    pub audit: Audit,
    pub accounts: Accounts,
    pub tokens: Tokens,
    /// Workspaces and memberships; owns the access layer (`workspaces.access()`).
    pub workspaces: Workspaces,
    pub admin: Admin,
    pub signins: SignIns,
    pub identities: Identities,
    pub policies: Policies,
    pub adoptions: Adoptions,
    pub registries: Registries,
    pub stacks: Stacks,
    pub logs: LogHub,
    pub stats: StatsHub,
    pub marketplace: Marketplace,
    /// Sign-in providers added on the settings page (secrets sealed).
    pub signin_providers: crate::settings::StoredProviders,
    /// Settings changed on the settings page (secrets sealed).
    pub stored_settings: crate::settings::StoredSettings,
}

impl Services {
    /// Builds every service over `db` (migrated), reading the access policy and memberships
    /// and opening the secrets key.
    pub async fn open(db: Database, config: &ServiceConfig) -> anyhow::Result<Self> {
        let docker = DockerEngine::new(config.docker_host.as_deref());
        let accounts = Accounts::new(db.clone(), PasswordHasher::new());
        let access = crate::tenancy::access::Access::load(db.clone())
            .await
            .context("loading the access policy and memberships")?;
        let vault = Vault::open(&config.data_dir).context("opening the secrets key")?;
        let registries = Registries::new(db.clone(), vault.clone());
        let signin_providers = crate::settings::StoredProviders::new(db.clone(), vault.clone());
        let stored_settings = crate::settings::StoredSettings::new(db.clone(), vault.clone());
        let stacks = Stacks::new(
            db.clone(),
            &config.data_dir,
            docker.clone(),
            registries.clone(),
        );
        let marketplace = Marketplace::new(
            db.clone(),
            vault,
            stacks.clone(),
            docker.clone(),
            &config.data_dir,
            config.extensions_dir.clone(),
            config.fetch,
        );
        Ok(Self {
            audit: Audit::new(db.clone()),
            tokens: Tokens::new(db.clone(), accounts.clone()),
            admin: Admin::new(db.clone(), accounts.clone()),
            workspaces: Workspaces::new(db.clone(), Arc::new(access)),
            signins: SignIns::new(db.clone()),
            identities: Identities::new(db.clone()),
            policies: Policies::new(db.clone()),
            adoptions: Adoptions::new(db.clone()),
            logs: LogHub::new(docker.clone(), config.logs),
            stats: StatsHub::new(docker.clone(), config.stats_linger),
            accounts,
            registries,
            stacks,
            marketplace,
            signin_providers,
            stored_settings,
            docker,
            db,
        })
    }
}
