use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::Parser;
use server::cli::{AdminCommand, AuditCommand, Cli, Command};
use server::settings;
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
                        } else {
                            value.clone()
                        };
                        println!("{} = {shown:?}  # {source}", key.name);
                    }
                    None => println!("{} = {:?}  # default", key.name, key.default),
                }
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
            run_offline(&settings, |db| {
                server::commands::create_admin(db, email, name, password)
            })
        }
        Command::Audit(AuditCommand::Verify) => {
            run_offline(&settings, server::commands::verify_audit)
        }
        Command::Serve { .. } => {
            server::telemetry::init(&settings);
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("orbitr: cannot start the async runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            runtime.block_on(async move {
                let app = match Application::build(settings).await {
                    Ok(app) => app,
                    Err(e) => {
                        eprintln!("orbitr: {e:#}");
                        return ExitCode::FAILURE;
                    }
                };
                match app
                    .run_until_stopped(server::startup::shutdown_signal())
                    .await
                {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("orbitr: {e:#}");
                        ExitCode::FAILURE
                    }
                }
            })
        }
    }
}

/// Runs a command that needs the database (not the web server or the engine).
fn run_offline<F, Fut>(settings: &server::settings::Settings, command: F) -> ExitCode
where
    F: FnOnce(engine::db::Database) -> Fut,
    Fut: std::future::Future<Output = ExitCode>,
{
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("orbitr: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let db = match server::startup::open_data(settings).await {
            Ok(db) => db,
            Err(e) => {
                eprintln!("orbitr: {e:#}");
                return ExitCode::FAILURE;
            }
        };
        let code = command(db.clone()).await;
        db.close().await;
        code
    })
}
