use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::Parser;
use server::cli::{Cli, Command};
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
