//! Commands that work on the data directly, without the web server.

use std::process::ExitCode;

use engine::audit::{Audit, Entry, Outcome, Verification};
use engine::db::Database;
use engine::identity::accounts::{AccountError, Accounts, NewUser, PasswordHasher};

/// `orbitr admin create`: a platform admin account, audited as done by the command line.
pub async fn create_admin(db: Database, email: String, name: String, password: String) -> ExitCode {
    let accounts = Accounts::new(db.clone(), PasswordHasher::new());
    let audit = Audit::new(db);
    let created = accounts
        .create(NewUser {
            email: &email,
            name: &name,
            password: &password,
            is_admin: true,
        })
        .await;
    match created {
        Ok(user) => {
            let entry = Entry {
                actor: "system:cli".into(),
                action: "user.create_admin".into(),
                target: Some(format!("user:{}", user.email)),
                ..Entry::default()
            };
            if let Err(e) = audit.record(&entry, Outcome::Ok).await {
                eprintln!("orbitr: the account was created but the audit record failed: {e:#}");
                return ExitCode::FAILURE;
            }
            println!("created platform admin {} ({})", user.email, user.id);
            ExitCode::SUCCESS
        }
        Err(
            e @ (AccountError::BadEmail(_)
            | AccountError::BadName(_)
            | AccountError::WeakPassword(_)
            | AccountError::EmailTaken),
        ) => {
            eprintln!("orbitr: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("orbitr: creating the account failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `orbitr audit verify`: exit 0 when the chain is intact, 1 naming the first broken record.
pub async fn verify_audit(db: Database) -> ExitCode {
    match Audit::new(db).verify().await {
        Ok(Verification::Intact { records }) => {
            println!("audit log intact: {records} records");
            ExitCode::SUCCESS
        }
        Ok(Verification::Broken { seq, why }) => {
            println!("audit log broken at record {seq}: {why}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("orbitr: reading the audit log failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `orbitr ext …`: scaffold, validate and test-render extensions. Problems are printed as
/// `file:line:column: severity: field: message`; exit code 1 when there is an error.
pub fn extension(command: crate::cli::ExtCommand, docker_host: Option<&str>) -> ExitCode {
    use crate::cli::ExtCommand;
    use engine::extensions::package;
    let print = |dir: &std::path::Path, diags: &[compose::diag::Diagnostic]| {
        for d in diags {
            let severity = if d.is_error() { "error" } else { "warning" };
            let field = if d.path.is_empty() {
                String::new()
            } else {
                format!("{}: ", d.path)
            };
            eprintln!(
                "{}:{}:{}: {severity}: {field}{}",
                dir.join(&d.file).display(),
                d.line,
                d.column,
                d.message
            );
        }
    };
    match command {
        ExtCommand::New { name, dir } => {
            let dir = dir.unwrap_or_else(|| std::path::PathBuf::from(&name));
            match package::scaffold(&dir, &name) {
                Ok(()) => {
                    println!(
                        "wrote {} (orbitr.yaml, compose.yaml, README.md); check it with `orbitr ext validate {}`",
                        dir.display(),
                        dir.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("orbitr: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        ExtCommand::Validate { dir } => {
            let checked = package::check_dir(&dir);
            print(&dir, &checked.diagnostics);
            match (&checked.manifest, checked.has_errors()) {
                (Some(m), false) => {
                    println!(
                        "ok: {} {} ({} input{})",
                        m.id,
                        m.version,
                        m.inputs.len(),
                        if m.inputs.len() == 1 { "" } else { "s" }
                    );
                    ExitCode::SUCCESS
                }
                _ => {
                    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
                    eprintln!(
                        "{} is not a valid extension: {errors} error(s)",
                        dir.display()
                    );
                    ExitCode::FAILURE
                }
            }
        }
        ExtCommand::Import { from, src, out } => {
            use engine::extensions::import::{FORMATS, Outcome, import_all, importer};
            let Some(importer) = importer(&from) else {
                eprintln!(
                    "orbitr: --from {from}: unknown format (known: {})",
                    FORMATS.join(", ")
                );
                return ExitCode::from(2);
            };
            match import_all(importer.as_ref(), &src, &out) {
                Ok(report) => {
                    for (label, id, outcome) in &report.apps {
                        let id = id.as_deref().unwrap_or("-");
                        match outcome {
                            Outcome::Imported => println!("imported  {label} -> {id}"),
                            Outcome::ImportedWithWarnings(w) => {
                                println!("warnings  {label} -> {id}: {}", w.join("; "));
                            }
                            Outcome::Refused(why) => println!("refused   {label}: {why}"),
                        }
                    }
                    let (clean, warned, refused) = report.counts();
                    println!(
                        "{} apps: {clean} imported, {warned} imported with warnings, {refused} refused",
                        clean + warned + refused
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("orbitr: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        ExtCommand::Test {
            dir,
            set,
            deploy,
            timeout,
        } => {
            let checked = package::check_dir(&dir);
            print(&dir, &checked.diagnostics);
            let (Some(manifest), Some(template), false) =
                (&checked.manifest, &checked.template, checked.has_errors())
            else {
                eprintln!("{} is not a valid extension", dir.display());
                return ExitCode::FAILURE;
            };
            let mut values = std::collections::BTreeMap::new();
            for pair in set {
                let Some((key, value)) = pair.split_once('=') else {
                    eprintln!("orbitr: --set {pair}: expected KEY=VALUE");
                    return ExitCode::from(2);
                };
                values.insert(key.to_owned(), value.to_owned());
            }
            match package::render(manifest, template, &values) {
                Ok(_) if deploy => {
                    let runtime = match tokio::runtime::Runtime::new() {
                        Ok(r) => r,
                        Err(e) => {
                            eprintln!("orbitr: {e}");
                            return ExitCode::FAILURE;
                        }
                    };
                    let timeout = std::time::Duration::from_secs(timeout);
                    match runtime.block_on(crate::ext_deploy::deploy_test(
                        &dir,
                        manifest,
                        values,
                        docker_host,
                        timeout,
                    )) {
                        Ok(report) => {
                            print!("{report}");
                            ExitCode::SUCCESS
                        }
                        Err(e) => {
                            eprintln!("orbitr: {e:#}");
                            ExitCode::FAILURE
                        }
                    }
                }
                Ok((rendered, _)) => {
                    print!("{rendered}");
                    ExitCode::SUCCESS
                }
                Err(diags) => {
                    print(&dir, &diags);
                    ExitCode::FAILURE
                }
            }
        }
    }
}
