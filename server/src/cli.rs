//! The `orbitr` command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::settings::Overrides;

/// Orbitr: a self-hosted control plane for Docker.
#[derive(Debug, Parser)]
#[command(
    name = "orbitr",
    version,
    about = "Orbitr: a self-hosted control plane for Docker.",
    long_about = None
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Settings every subcommand reads.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Settings file (default: ./orbitr.toml when present; env ORBITR_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder for the database, stacks and keys (env ORBITR_DATA_DIR; default ./data).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<String>,
    /// sqlite://PATH or postgres://… (env ORBITR_DATABASE_URL; default SQLite in the data dir).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Docker engine address (env ORBITR_DOCKER_HOST, then DOCKER_HOST).
    #[arg(long, global = true, value_name = "HOST")]
    pub docker_host: Option<String>,
    /// Log filter, e.g. info or orbitr=debug (env ORBITR_LOG).
    #[arg(long, global = true, value_name = "FILTER")]
    pub log: Option<String>,
    /// text or json (env ORBITR_LOG_FORMAT).
    #[arg(long, global = true, value_name = "FORMAT")]
    pub log_format: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web UI and the API.
    Serve {
        /// Address to listen on (env ORBITR_BIND; default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
    },
    /// Print the effective settings and where each one came from.
    Config,
    /// Manage accounts from the command line.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Inspect the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write and check extensions (marketplace apps).
    #[command(subcommand)]
    Ext(ExtCommand),
}

#[derive(Debug, Subcommand)]
pub enum ExtCommand {
    /// Write a new extension folder to start from (a manifest, a compose template, a README).
    New {
        /// The extension's id: lowercase letters, digits and dashes.
        name: String,
        /// Where to write it (default: ./NAME).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Check an extension folder: prints each problem as file:line:column and exits with 1
    /// when there is an error.
    Validate {
        /// The extension folder.
        dir: PathBuf,
    },
    /// Convert another app store's entries into extension folders, reporting per app:
    /// imported, imported with warnings, or refused and why.
    Import {
        /// The store's format (casaos).
        #[arg(long = "from", value_name = "FORMAT")]
        from: String,
        /// The store (e.g. a clone of the CasaOS app store).
        src: PathBuf,
        /// Where to write one folder per app.
        out: PathBuf,
    },
    /// Check the folder, then render its template with the inputs' defaults (and generated
    /// secrets) and print the compose file an install would deploy. With `--deploy`, install it
    /// for real into a throwaway workspace (its own temporary database), wait until its
    /// containers run (and are healthy, when they have a health check), report, and uninstall
    /// it with its volumes.
    Test {
        /// The extension folder.
        dir: PathBuf,
        /// An input value, KEY=VALUE (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Install, wait healthy, report and uninstall, against the Docker engine.
        #[arg(long)]
        deploy: bool,
        /// How long to wait for the containers to run and be healthy, in seconds.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a platform admin account (the password is read from standard input).
    Create {
        /// The admin's email address.
        #[arg(long)]
        email: String,
        /// Display name (default: the part of the email before @).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain of the audit log and report the first broken record.
    Verify,
}

impl Cli {
    /// The command-line layer of the settings.
    pub fn overrides(&self) -> Overrides {
        let g = &self.global;
        let mut o = Overrides {
            config: g.config.clone(),
            ..Overrides::default()
        };
        o.set("data_dir", "--data-dir", g.data_dir.clone());
        o.set("database_url", "--database-url", g.database_url.clone());
        o.set("docker_host", "--docker-host", g.docker_host.clone());
        o.set("log", "--log", g.log.clone());
        o.set("log_format", "--log-format", g.log_format.clone());
        if let Command::Serve { bind } = &self.command {
            o.set("bind", "--bind", bind.clone());
        }
        o
    }
}
