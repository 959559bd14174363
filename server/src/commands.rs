//! Commands that work on the data directly, without the web server.

use std::process::ExitCode;

use engine::accounts::{AccountError, Accounts, NewUser, PasswordHasher};
use engine::audit::{Audit, Entry, Outcome, Verification};
use engine::db::Database;

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
