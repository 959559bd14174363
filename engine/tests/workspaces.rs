//! Workspaces, memberships, invitations and the access decisions they feed, on SQLite and (when
//! `TEST_POSTGRES_URL` is set) PostgreSQL.

use std::sync::Arc;

use engine::db::{Database, DatabaseUrl};
use engine::identity::accounts::{AccountError, Accounts, NewUser, PasswordHasher, User};
use engine::tenancy::access::{Access, PLATFORM, Role};
use engine::tenancy::workspaces::{InvitationProblem, WorkspaceError, Workspaces};
use testkit::postgres::TestDatabase;

struct World {
    db: Database,
    accounts: Accounts,
    workspaces: Workspaces,
    _dir: tempfile::TempDir,
    _pg: Option<TestDatabase>,
}

const PASSWORD: &str = "plum orbit kettle winter";

async fn world() -> World {
    let dir = tempfile::tempdir().expect("dir");
    let pg = testkit::postgres::for_this_run().await.expect("database");
    let url = match &pg {
        Some(pg) => DatabaseUrl::parse(pg.url()).expect("url"),
        None => DatabaseUrl::sqlite_file(&dir.path().join("o.db")),
    };
    let db = Database::open(url).await.expect("open");
    let access = Arc::new(Access::load(db.clone()).await.expect("access"));
    World {
        accounts: Accounts::new(db.clone(), PasswordHasher::with_permits(2)),
        workspaces: Workspaces::new(db.clone(), access),
        db,
        _dir: dir,
        _pg: pg,
    }
}

impl World {
    async fn user(&self, email: &str, is_admin: bool) -> User {
        let user = self
            .accounts
            .create(NewUser {
                email,
                name: "Test Person",
                password: PASSWORD,
                is_admin,
            })
            .await
            .expect("user");
        self.workspaces
            .access()
            .reload_user(&user.id)
            .await
            .expect("reload");
        user
    }

    async fn allowed(&self, user: &User, ws: &str, obj: &str, act: &str) -> bool {
        self.workspaces
            .access()
            .allowed(&user.id, ws, obj, act)
            .await
    }

    async fn users(&self) -> i64 {
        self.accounts.count().await.expect("count")
    }
}

#[tokio::test]
async fn roles_decide_what_members_may_do_and_follow_changes() {
    let w = world().await;
    let admin = w.user("admin@example.test", true).await;
    let owner = w.user("owner@example.test", false).await;
    let other = w.user("other@example.test", false).await;
    let ws = w.workspaces.create("Team A", &owner).await.expect("create");
    let theirs = w.workspaces.create("Team B", &other).await.expect("create");

    assert_eq!(
        w.workspaces.role_of(&ws.id, &owner.id).await.expect("role"),
        Some(Role::Owner)
    );
    assert!(w.allowed(&owner, &ws.id, "workspace", "delete").await);
    assert!(w.allowed(&owner, &ws.id, "member", "manage").await);
    assert!(!w.allowed(&owner, &theirs.id, "workspace", "read").await);
    assert!(!w.allowed(&owner, PLATFORM, "workspace", "create").await);
    assert!(w.allowed(&admin, &ws.id, "workspace", "delete").await);
    assert!(w.allowed(&admin, PLATFORM, "workspace", "create").await);

    // `other` joins as viewer, is promoted, then removed: every step changes decisions at once.
    let (_, code) = w
        .workspaces
        .invite(&ws.id, Role::Viewer, None, 24, &owner.id)
        .await
        .expect("invite");
    w.workspaces.accept(&code, &other).await.expect("accept");
    assert!(w.allowed(&other, &ws.id, "container", "logs").await);
    assert!(!w.allowed(&other, &ws.id, "container", "operate").await);
    w.workspaces
        .set_member(&ws.id, &other.id, Some(Role::Operator))
        .await
        .expect("promote");
    assert!(w.allowed(&other, &ws.id, "stack", "deploy").await);
    assert!(!w.allowed(&other, &ws.id, "member", "manage").await);
    w.workspaces
        .set_member(&ws.id, &other.id, None)
        .await
        .expect("remove");
    assert!(!w.allowed(&other, &ws.id, "workspace", "read").await);
    assert!(w.allowed(&other, &theirs.id, "workspace", "read").await);

    // The admin sees every workspace; members only theirs.
    let seen: Vec<String> = w
        .workspaces
        .for_user(&admin)
        .await
        .expect("list")
        .into_iter()
        .map(|m| m.workspace.name)
        .collect();
    assert_eq!(seen, ["Team A", "Team B"]);
    let seen = w.workspaces.for_user(&other).await.expect("list");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].role, Some(Role::Owner));

    // Deleting a workspace drops its links.
    w.workspaces.delete(&ws.id).await.expect("delete");
    assert!(!w.allowed(&owner, &ws.id, "workspace", "read").await);
    assert!(matches!(
        w.workspaces.delete(&ws.id).await,
        Err(WorkspaceError::NotFound)
    ));
}

#[tokio::test]
async fn names_are_validated_and_unique_regardless_of_case() {
    let w = world().await;
    let owner = w.user("owner@example.test", false).await;
    w.workspaces.create("Media", &owner).await.expect("create");
    assert!(matches!(
        w.workspaces.create("  mEDIA ", &owner).await,
        Err(WorkspaceError::NameTaken)
    ));
    for bad in ["", "   ", &"x".repeat(61), "tab\there"] {
        let err = w.workspaces.create(bad, &owner).await.expect_err(bad);
        assert!(err.to_string().starts_with("name: "), "{err}");
    }
    let other = w.workspaces.create("Other", &owner).await.expect("create");
    assert!(matches!(
        w.workspaces.rename(&other.id, "media").await,
        Err(WorkspaceError::NameTaken)
    ));
    assert_eq!(
        w.workspaces
            .rename(&other.id, " Renamed ")
            .await
            .expect("rename")
            .name,
        "Renamed"
    );
}

#[tokio::test]
async fn a_workspace_always_keeps_an_owner() {
    let w = world().await;
    let owner = w.user("owner@example.test", false).await;
    let second = w.user("second@example.test", false).await;
    let ws = w.workspaces.create("Ops", &owner).await.expect("create");
    for change in [Some(Role::Viewer), None] {
        assert!(matches!(
            w.workspaces.set_member(&ws.id, &owner.id, change).await,
            Err(WorkspaceError::LastOwner)
        ));
    }
    let (_, code) = w
        .workspaces
        .invite(&ws.id, Role::Owner, None, 1, &owner.id)
        .await
        .expect("invite");
    w.workspaces.accept(&code, &second).await.expect("accept");
    // Two owners now: one may step down, after which the other is the last again.
    w.workspaces
        .set_member(&ws.id, &owner.id, Some(Role::Viewer))
        .await
        .expect("step down");
    assert!(matches!(
        w.workspaces.set_member(&ws.id, &second.id, None).await,
        Err(WorkspaceError::LastOwner)
    ));
    assert!(matches!(
        w.workspaces.set_member(&ws.id, "nobody", None).await,
        Err(WorkspaceError::NoSuchMember)
    ));
}

#[tokio::test]
async fn invitations_are_single_use_expiring_and_bound_to_their_email() {
    let w = world().await;
    let owner = w.user("owner@example.test", false).await;
    let joiner = w.user("joiner@example.test", false).await;
    let ws = w.workspaces.create("Lab", &owner).await.expect("create");

    let problem = |r: Result<_, WorkspaceError>| match r {
        Err(WorkspaceError::Unusable(p)) => p,
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("expected a refusal"),
    };

    // Garbage and a right id with a wrong secret are both just "unknown".
    let (_, code) = w
        .workspaces
        .invite(&ws.id, Role::Operator, None, 24, &owner.id)
        .await
        .expect("invite");
    let forged = format!("{}x", &code[..code.len() - 1]);
    assert_eq!(
        problem(w.workspaces.check_invitation("nonsense").await),
        InvitationProblem::Unknown
    );
    assert_eq!(
        problem(w.workspaces.check_invitation(&forged).await),
        InvitationProblem::Unknown
    );
    let invitation = w.workspaces.check_invitation(&code).await.expect("valid");
    assert_eq!(invitation.workspace_name, "Lab");
    assert_eq!(invitation.role, Role::Operator);

    w.workspaces.accept(&code, &joiner).await.expect("accept");
    assert_eq!(
        problem(w.workspaces.accept(&code, &joiner).await),
        InvitationProblem::Used
    );

    // Revoked.
    let (inv, code) = w
        .workspaces
        .invite(&ws.id, Role::Viewer, None, 24, &owner.id)
        .await
        .expect("invite");
    assert_eq!(
        w.workspaces
            .pending_invitations(&ws.id)
            .await
            .expect("list")
            .len(),
        1
    );
    assert!(
        w.workspaces
            .revoke_invitation(&ws.id, &inv.id)
            .await
            .expect("revoke")
    );
    assert_eq!(
        problem(w.workspaces.check_invitation(&code).await),
        InvitationProblem::Revoked
    );
    assert!(
        w.workspaces
            .pending_invitations(&ws.id)
            .await
            .expect("list")
            .is_empty()
    );

    // Expired: move its expiry into the past.
    let (inv, code) = w
        .workspaces
        .invite(&ws.id, Role::Viewer, None, 1, &owner.id)
        .await
        .expect("invite");
    engine::on_pool!(&w.db, |pool| sqlx::query(
        "UPDATE invitations SET expires_at = 1 WHERE id = $1"
    )
    .bind(&inv.id)
    .execute(pool)
    .await
    .map(drop))
    .expect("expire");
    assert_eq!(
        problem(w.workspaces.check_invitation(&code).await),
        InvitationProblem::Expired
    );

    // Bound to an email.
    let (_, code) = w
        .workspaces
        .invite(
            &ws.id,
            Role::Viewer,
            Some("Someone@Example.test"),
            24,
            &owner.id,
        )
        .await
        .expect("invite");
    let stranger = w.user("stranger@example.test", false).await;
    assert_eq!(
        problem(w.workspaces.accept(&code, &stranger).await),
        InvitationProblem::OtherEmail
    );

    // Bad input names its field.
    for (hours, email, field) in [(0, None, "expires_in_hours"), (24, Some("nope"), "email")] {
        let err = w
            .workspaces
            .invite(&ws.id, Role::Viewer, email, hours, &owner.id)
            .await
            .expect_err("refused");
        assert!(err.to_string().starts_with(field), "{err}");
    }
}

#[tokio::test]
async fn a_new_account_from_an_invitation_is_all_or_nothing() {
    let w = world().await;
    let owner = w.user("owner@example.test", false).await;
    let ws = w.workspaces.create("Lab", &owner).await.expect("create");
    let (_, code) = w
        .workspaces
        .invite(&ws.id, Role::Viewer, None, 24, &owner.id)
        .await
        .expect("invite");
    let before = w.users().await;

    // The email is taken: no user, the invitation stays usable.
    let err = w
        .workspaces
        .accept_new_account(
            &code,
            &w.accounts,
            NewUser {
                email: "owner@example.test",
                name: "Dup",
                password: PASSWORD,
                is_admin: false,
            },
        )
        .await
        .expect_err("email taken");
    assert!(
        matches!(err, WorkspaceError::Account(AccountError::EmailTaken)),
        "{err}"
    );
    // A weak password is refused before anything is written.
    let err = w
        .workspaces
        .accept_new_account(
            &code,
            &w.accounts,
            NewUser {
                email: "new@example.test",
                name: "New",
                password: "short",
                is_admin: false,
            },
        )
        .await
        .expect_err("weak");
    assert!(err.to_string().starts_with("password: "), "{err}");
    assert_eq!(w.users().await, before);
    w.workspaces
        .check_invitation(&code)
        .await
        .expect("still usable");

    let (user, invitation) = w
        .workspaces
        .accept_new_account(
            &code,
            &w.accounts,
            NewUser {
                email: "New@Example.test",
                name: "New Person",
                password: PASSWORD,
                is_admin: false,
            },
        )
        .await
        .expect("accept");
    assert_eq!(user.email, "new@example.test");
    assert_eq!(invitation.workspace_id, ws.id);
    assert_eq!(w.users().await, before + 1);
    assert!(w.allowed(&user, &ws.id, "workspace", "read").await);
    w.accounts
        .verify_login("new@example.test", PASSWORD)
        .await
        .expect("can sign in");
}

#[tokio::test]
async fn two_people_racing_for_one_link_cannot_both_join() {
    let w = world().await;
    let owner = w.user("owner@example.test", false).await;
    let a = w.user("a@example.test", false).await;
    let b = w.user("b@example.test", false).await;
    let ws = w.workspaces.create("Lab", &owner).await.expect("create");
    let (_, code) = w
        .workspaces
        .invite(&ws.id, Role::Viewer, None, 24, &owner.id)
        .await
        .expect("invite");
    let (ra, rb) = tokio::join!(
        w.workspaces.accept(&code, &a),
        w.workspaces.accept(&code, &b)
    );
    assert_eq!(
        usize::from(ra.is_ok()) + usize::from(rb.is_ok()),
        1,
        "{ra:?} / {rb:?}"
    );
    assert_eq!(
        w.workspaces.members(&ws.id).await.expect("members").len(),
        2
    );
}

#[tokio::test]
async fn a_flag_is_remembered_per_person_and_saying_it_twice_changes_nothing() {
    use engine::identity::accounts::Flag;
    let w = world().await;
    let one = w.user("one@example.test", false).await;
    let two = w.user("two@example.test", false).await;
    let dismissed = |u: &User| {
        let (accounts, id) = (w.accounts.clone(), u.id.clone());
        async move { accounts.has_flag(&id, Flag::ChecklistDismissed).await }
    };
    assert!(!dismissed(&one).await.expect("read"));
    w.accounts
        .set_flag(&one.id, Flag::ChecklistDismissed)
        .await
        .expect("set");
    w.accounts
        .set_flag(&one.id, Flag::ChecklistDismissed)
        .await
        .expect("set again");
    assert!(dismissed(&one).await.expect("read"));
    assert!(
        !dismissed(&two).await.expect("read"),
        "another person's flag"
    );
}
