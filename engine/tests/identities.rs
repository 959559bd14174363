//! Links between accounts and sign-in provider identities, on SQLite and (when
//! `TEST_POSTGRES_URL` is set) PostgreSQL.

use engine::db::{Database, DatabaseUrl};
use engine::identity::accounts::{AccountError, Accounts, NewUser, PasswordHasher};
use engine::identity::identities::{ExternalIdentity, Identities, IdentityError};
use testkit::postgres::TestDatabase;

struct World {
    accounts: Accounts,
    identities: Identities,
    _dir: tempfile::TempDir,
    _pg: Option<TestDatabase>,
}

async fn world() -> World {
    let dir = tempfile::tempdir().expect("dir");
    let pg = testkit::postgres::for_this_run().await.expect("database");
    let url = match &pg {
        Some(pg) => DatabaseUrl::parse(pg.url()).expect("url"),
        None => DatabaseUrl::sqlite_file(&dir.path().join("o.db")),
    };
    let db = Database::open(url).await.expect("open");
    World {
        accounts: Accounts::new(db.clone(), PasswordHasher::with_permits(2)),
        identities: Identities::new(db),
        _dir: dir,
        _pg: pg,
    }
}

fn identity(provider: &str, subject: &str, email: &str) -> ExternalIdentity {
    ExternalIdentity {
        provider: provider.into(),
        subject: subject.into(),
        email: Some(email.into()),
        email_verified: true,
        name: None,
    }
}

#[tokio::test]
async fn an_account_made_with_its_link_is_all_or_nothing() {
    let w = world().await;
    let existing = w
        .accounts
        .create(NewUser {
            email: "ada@example.test",
            name: "Ada",
            password: "plum orbit kettle winter",
            is_admin: false,
        })
        .await
        .expect("user");
    w.identities
        .link(&existing, &identity("sso", "ada", "ada@example.test"))
        .await
        .expect("link");

    // The email is taken: no account, no link.
    let prepared = w
        .accounts
        .prepare_external("ADA@example.test", "Ada Two")
        .expect("prepare");
    let err = w
        .identities
        .create_account(&prepared, &identity("sso", "ada-2", "ada@example.test"))
        .await
        .expect_err("email taken");
    assert!(
        matches!(err, IdentityError::Account(AccountError::EmailTaken)),
        "{err}"
    );
    assert_eq!(
        w.identities.user_of("sso", "ada-2").await.expect("query"),
        None
    );

    // The identity is taken: the new account is rolled back with it.
    let prepared = w
        .accounts
        .prepare_external("grace@example.test", "Grace")
        .expect("prepare");
    let err = w
        .identities
        .create_account(&prepared, &identity("sso", "ada", "grace@example.test"))
        .await
        .expect_err("identity taken");
    assert!(matches!(err, IdentityError::TakenByOther(_)), "{err}");
    assert_eq!(
        w.accounts
            .find_by_email("grace@example.test")
            .await
            .expect("query"),
        None
    );
    assert_eq!(w.accounts.count().await.expect("count"), 1);

    let user = w
        .identities
        .create_account(&prepared, &identity("sso", "grace", "grace@example.test"))
        .await
        .expect("create");
    assert_eq!(
        w.identities.user_of("sso", "grace").await.expect("query"),
        Some(user.id.clone().into())
    );
    assert!(!w.accounts.has_password(&user.id).await.expect("query"));
    assert!(w.accounts.has_password(&existing.id).await.expect("query"));
}

#[tokio::test]
async fn one_link_per_provider_and_never_the_last_way_in() {
    let w = world().await;
    let prepared = w
        .accounts
        .prepare_external("lin@example.test", "Lin")
        .expect("prepare");
    let user = w
        .identities
        .create_account(&prepared, &identity("sso", "lin", "lin@example.test"))
        .await
        .expect("create");
    // A second account at the same provider.
    let err = w
        .identities
        .link(&user, &identity("sso", "lin-alt", "lin@example.test"))
        .await
        .expect_err("second link");
    assert!(
        matches!(err, IdentityError::ProviderAlreadyLinked(_)),
        "{err}"
    );
    // The only way in stays.
    let err = w
        .identities
        .unlink(&user.id, "sso")
        .await
        .expect_err("last");
    assert!(matches!(err, IdentityError::LastWayIn), "{err}");
    // With a second provider linked, the first can go.
    w.identities
        .link(&user, &identity("github", "4242", "lin@example.test"))
        .await
        .expect("link");
    w.identities.unlink(&user.id, "sso").await.expect("unlink");
    let err = w
        .identities
        .unlink(&user.id, "sso")
        .await
        .expect_err("gone");
    assert!(matches!(err, IdentityError::NotLinked(_)), "{err}");
    let links = w.identities.for_user(&user.id).await.expect("list");
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].provider, "github");
}
