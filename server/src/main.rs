use std::collections::BTreeMap;
use std::future::Future;
use std::process::ExitCode;

use clap::Parser;
use engine::db::Database;
use server::cli::{AdminCommand, AuditCommand, Cli, Command};
use server::settings::{self, Settings};
use server::startup::Application;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let cwd = match std::env::current_dir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("orbitr: cannot read the working directory: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (settings, sources) = match settings::load(&cli.overrides(), &env, &cwd) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("orbitr: {e}");
            return ExitCode::from(2);
        }
    };

    match cli.command {
        Command::Config => {
            for key in settings::KEYS {
                match sources.get(key.name) {
                    Some((value, source)) => {
                        let shown = if key.name == "database_url" {
                            engine::db::redact(value)
                        } else if key.name == "smtp_password" {
                            "(hidden)".to_owned()
                        } else {
                            value.clone()
                        };
                        println!("{} = {shown:?}  # {source}", key.name);
                    }
                    None => println!("{} = {:?}  # default", key.name, key.default),
                }
            }
            for p in &settings.oauth {
                println!(
                    "oauth.{} = {{ kind = {:?}, label = {:?}, issuer = {:?}, client_id = {:?}, client_secret = \"(hidden)\", allowed_domains = {:?}, trust_email = {} }}",
                    p.name,
                    p.kind.key(),
                    p.label,
                    p.issuer,
                    p.client_id,
                    p.allowed_domains,
                    p.trust_email
                );
            }
            ExitCode::SUCCESS
        }
        Command::Admin(AdminCommand::Create { email, name, .. }) => {
            let mut password = String::new();
            if let Err(e) = std::io::stdin().read_line(&mut password) {
                eprintln!("orbitr: cannot read the password from standard input: {e}");
                return ExitCode::from(2);
            }
            let password = password.trim_end_matches(['\n', '\r']).to_owned();
            let name =
                name.unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
            with_database(&settings, |db| {
                server::commands::create_admin(db, email, name, password)
            })
        }
        Command::Ext(command) => {
            server::commands::extension(command, settings.docker_host.as_deref())
        }
        Command::Audit(AuditCommand::Verify) => {
            with_database(&settings, server::commands::verify_audit)
        }
        Command::Serve { .. } => {
            server::telemetry::init(&settings);
            block_on(true, async move {
                let app = Application::build(settings).await?;
                app.run_until_stopped(server::startup::shutdown_signal())
                    .await?;
                Ok(ExitCode::SUCCESS)
            })
        }
    }
}

/// Runs `work` on a Tokio runtime; an error becomes one line on stderr and exit code 1.
fn block_on(multi_thread: bool, work: impl Future<Output = anyhow::Result<ExitCode>>) -> ExitCode {
    let runtime = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    }
    .enable_all()
    .build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(work),
        Err(e) => Err(anyhow::Error::new(e).context("cannot start the async runtime")),
    };
    result.unwrap_or_else(|e| {
        eprintln!("orbitr: {e:#}");
        ExitCode::FAILURE
    })
}

/// Runs a command that needs the database (not the web server or the engine).
fn with_database<F, Fut>(settings: &Settings, command: F) -> ExitCode
where
    F: FnOnce(Database) -> Fut,
    Fut: Future<Output = ExitCode>,
{
    block_on(false, async move {
        let db = server::startup::open_data(settings).await?;
        let code = command(db.clone()).await;
        db.close().await;
        Ok(code)
    })
}
