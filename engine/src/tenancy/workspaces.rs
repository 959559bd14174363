//! Workspaces (the tenancy unit), their members and roles, and invitation links.
//!
//! Every change to who belongs where goes through this type, which tells the access layer
//! ([`Access::reload_user`]) so decisions never run on stale role links. Changes that could
//! leave a workspace without an owner lock the workspace row first, so two concurrent demotions
//! cannot both pass the "another owner remains" check.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::now_ms;
use crate::db::{Database, DbError};
use crate::identity::accounts::{AccountError, Accounts, Email, NewUser, PreparedUser, User};
use crate::identity::identities::ExternalIdentity;
use crate::identity::secrets;
use crate::model::ids::{UserId, WorkspaceId};
use crate::on_pool;
use crate::tenancy::access::{Access, AccessError, Role};

/// Longest invitation lifetime.
pub const MAX_INVITATION_HOURS: u32 = 24 * 30;
/// Prefix of invitation codes (the part of the link after `/invite/`).
const INVITE_PREFIX: &str = "inv_";

/// Why a workspace operation was refused. Messages name the field and say why.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: &'static str,
    },
    #[error("name: a workspace with this name already exists")]
    NameTaken,
    #[error("no such workspace")]
    NotFound,
    #[error("no such member")]
    NoSuchMember,
    #[error("a workspace needs at least one owner: make someone else owner first")]
    LastOwner,
    #[error("already a member of this workspace")]
    AlreadyMember,
    #[error("this sign-in provider account is already linked to another Orbitr account")]
    IdentityTaken,
    #[error("this invitation {0}")]
    Unusable(InvitationProblem),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::query_error_is_db!(WorkspaceError);

/// Why an invitation link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationProblem {
    Unknown,
    Expired,
    Used,
    Revoked,
    /// It was made for another email address.
    OtherEmail,
}

impl std::fmt::Display for InvitationProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Unknown => "link is not valid (check that it was copied whole)",
            Self::Expired => "has expired: ask for a new one",
            Self::Used => "has already been used: ask for a new one",
            Self::Revoked => "was withdrawn",
            Self::OtherEmail => "was made for another email address",
        })
    }
}

/// A workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub created_at: i64,
}

/// A workspace as one user sees it: with their role (none for a platform admin who is not a
/// member).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub workspace: Workspace,
    pub role: Option<Role>,
}

/// A member as listed on the workspace page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub joined_at: i64,
}

/// An invitation as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: String,
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    pub role: Role,
    pub email: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct InvitationRow {
    id: String,
    workspace_id: String,
    workspace_name: String,
    role: String,
    email: Option<String>,
    secret_hash: String,
    created_by: String,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl InvitationRow {
    fn invitation(&self) -> Invitation {
        Invitation {
            id: self.id.clone(),
            workspace_id: self.workspace_id.clone().into(),
            workspace_name: self.workspace_name.clone(),
            role: Role::parse(&self.role).unwrap_or(Role::Viewer),
            email: self.email.clone(),
            created_by: self.created_by.clone(),
            created_at: self.created_at,
            expires_at: self.expires_at,
            used_at: self.used_at,
        }
    }

    fn problem(&self, now: i64) -> Option<InvitationProblem> {
        if self.revoked_at.is_some() {
            Some(InvitationProblem::Revoked)
        } else if self.used_at.is_some() {
            Some(InvitationProblem::Used)
        } else if self.expires_at <= now {
            Some(InvitationProblem::Expired)
        } else {
            None
        }
    }
}

const INVITATION_SELECT: &str = "SELECT i.id, i.workspace_id, w.name AS workspace_name, i.role, i.email, \
     i.secret_hash, i.created_by, i.created_at, i.expires_at, i.used_at, i.revoked_at \
     FROM invitations i JOIN workspaces w ON w.id = i.workspace_id";

/// A workspace name: 1 to 60 characters, no control characters, trimmed.
pub fn parse_workspace_name(raw: &str) -> Result<String, WorkspaceError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(WorkspaceError::Invalid {
            field: "name",
            message: "needs 1 to 60 characters",
        });
    }
    if name.chars().any(char::is_control) {
        return Err(WorkspaceError::Invalid {
            field: "name",
            message: "must not contain control characters",
        });
    }
    Ok(name.to_owned())
}

/// A role from a form field.
pub fn parse_role(raw: &str) -> Result<Role, WorkspaceError> {
    Role::parse(raw).ok_or(WorkspaceError::Invalid {
        field: "role",
        message: "must be owner, operator or viewer",
    })
}

fn new_workspace_id() -> String {
    // 12 hex characters: short enough for labels and paths, random enough never to collide.
    let (id, _) = secrets::new_credential();
    id[..12].to_owned()
}

fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Inside a transaction `$tx` (either backend): marks the invitation used if nobody did first
/// and it is still valid; evaluates to whether it did.
macro_rules! claim {
    ($tx:ident, $invitation:expr, $user_id:expr) => {{
        let now = now_ms();
        sqlx::query(
            "UPDATE invitations SET used_at = $1, used_by = $2 WHERE id = $3 \
             AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind($user_id)
        .bind(&$invitation.id)
        .execute(&mut *$tx)
        .await?
        .rows_affected()
            > 0
    }};
}

/// Inside a transaction `$tx`: adds the invitation's membership.
macro_rules! add_member {
    ($tx:ident, $invitation:expr, $user_id:expr) => {
        sqlx::query(
            "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&$invitation.workspace_id)
        .bind($user_id)
        .bind($invitation.role.as_str())
        .bind(now_ms())
        .execute(&mut *$tx)
        .await?
    };
}

/// The workspace, membership and invitation tables.
#[derive(Clone)]
pub struct Workspaces {
    db: Database,
    access: Arc<Access>,
}

impl Workspaces {
    pub fn new(db: Database, access: Arc<Access>) -> Self {
        Self { db, access }
    }

    /// The access layer this type keeps current.
    pub fn access(&self) -> &Arc<Access> {
        &self.access
    }

    /// Creates a workspace with `creator` as its owner.
    pub async fn create(&self, name: &str, creator: &User) -> Result<Workspace, WorkspaceError> {
        let name = parse_workspace_name(name)?;
        let ws = Workspace {
            id: new_workspace_id().into(),
            name,
            created_at: now_ms(),
        };
        let result: Result<(), sqlx::Error> = on_pool!(&self.db, |pool| {
            async {
                let mut tx = pool.begin().await?;
                sqlx::query(
                    "INSERT INTO workspaces (id, name, name_key, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&ws.id)
                .bind(&ws.name)
                .bind(ws.name.to_lowercase())
                .bind(ws.created_at)
                .bind(&creator.id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
                )
                .bind(&ws.id)
                .bind(&creator.id)
                .bind(ws.created_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await
            }
            .await
        });
        match result {
            Err(e) if unique_violation(&e) => return Err(WorkspaceError::NameTaken),
            other => other?,
        }
        self.access.reload_user(&creator.id).await?;
        Ok(ws)
    }

    /// The workspace with this id.
    pub async fn get(&self, id: &str) -> Result<Option<Workspace>, WorkspaceError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_as::<_, Workspace>(
            "SELECT id, name, created_at FROM workspaces WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await?))
    }

    /// Renames a workspace.
    pub async fn rename(&self, id: &str, name: &str) -> Result<Workspace, WorkspaceError> {
        let name = parse_workspace_name(name)?;
        let result = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE workspaces SET name = $1, name_key = $2 WHERE id = $3"
        )
        .bind(&name)
        .bind(name.to_lowercase())
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()));
        match result {
            Err(e) if unique_violation(&e) => Err(WorkspaceError::NameTaken),
            Err(e) => Err(e.into()),
            Ok(0) => Err(WorkspaceError::NotFound),
            Ok(_) => self.get(id).await?.ok_or(WorkspaceError::NotFound),
        }
    }

    /// Deletes a workspace with its memberships and invitations. The caller checks first that
    /// nothing (stacks, containers) still belongs to it.
    pub async fn delete(&self, id: &str) -> Result<(), WorkspaceError> {
        let deleted = on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM workspaces WHERE id = $1"
        )
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected());
        if deleted == 0 {
            return Err(WorkspaceError::NotFound);
        }
        self.access.forget_workspace(id).await?;
        Ok(())
    }

    /// The workspaces a user sees, by name: their memberships, or every workspace for a
    /// platform admin (with their role where they are also a member).
    pub async fn for_user(&self, user: &User) -> Result<Vec<Membership>, WorkspaceError> {
        let rows: Vec<(String, String, i64, Option<String>)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT w.id, w.name, w.created_at, m.role FROM workspaces w \
                 LEFT JOIN memberships m ON m.workspace_id = w.id AND m.user_id = $1 \
                 WHERE m.user_id IS NOT NULL OR $2 \
                 ORDER BY w.name_key",
            )
            .bind(&user.id)
            .bind(user.is_admin)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, name, created_at, role)| Membership {
                workspace: Workspace {
                    id: id.into(),
                    name,
                    created_at,
                },
                role: role.as_deref().and_then(Role::parse),
            })
            .collect())
    }

    /// A user's role in a workspace, if a member.
    pub async fn role_of(
        &self,
        workspace_id: &str,
        user_id: &str,
    ) -> Result<Option<Role>, WorkspaceError> {
        let role: Option<(String,)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2"
        )
        .bind(workspace_id)
        .bind(user_id)
        .fetch_optional(pool)
        .await?);
        Ok(role.and_then(|(r,)| Role::parse(&r)))
    }

    /// The members of a workspace: owners first, then by name.
    pub async fn members(&self, workspace_id: &str) -> Result<Vec<Member>, WorkspaceError> {
        let rows: Vec<(String, String, String, String, i64)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT u.id, u.email, u.name, m.role, m.created_at FROM memberships m \
                 JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1",
            )
            .bind(workspace_id)
            .fetch_all(pool)
            .await?
        });
        let mut members: Vec<Member> = rows
            .into_iter()
            .map(|(user_id, email, name, role, joined_at)| Member {
                user_id: user_id.into(),
                email,
                name,
                role: Role::parse(&role).unwrap_or(Role::Viewer),
                joined_at,
            })
            .collect();
        members.sort_by(|a, b| {
            b.role
                .cmp(&a.role)
                .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
        });
        Ok(members)
    }

    /// Changes a member's role (`Some`) or removes them (`None`), refusing to leave the
    /// workspace without an owner.
    pub async fn set_member(
        &self,
        workspace_id: &str,
        user_id: &str,
        role: Option<Role>,
    ) -> Result<(), WorkspaceError> {
        let outcome: Result<Result<(), WorkspaceError>, sqlx::Error> = on_pool!(&self.db, |pool| {
            async {
                let mut tx = pool.begin().await?;
                // Lock the workspace row: concurrent changes to its members queue here.
                let found = sqlx::query("UPDATE workspaces SET name = name WHERE id = $1")
                    .bind(workspace_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if found == 0 {
                    return Ok(Err(WorkspaceError::NotFound));
                }
                let current: Option<(String,)> = sqlx::query_as(
                    "SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2",
                )
                .bind(workspace_id)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((current,)) = current else {
                    return Ok(Err(WorkspaceError::NoSuchMember));
                };
                if current == "owner" && role != Some(Role::Owner) {
                    let (owners,): (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'owner'",
                    )
                    .bind(workspace_id)
                    .fetch_one(&mut *tx)
                    .await?;
                    if owners <= 1 {
                        return Ok(Err(WorkspaceError::LastOwner));
                    }
                }
                match role {
                    Some(role) => sqlx::query(
                        "UPDATE memberships SET role = $1 WHERE workspace_id = $2 AND user_id = $3",
                    )
                    .bind(role.as_str())
                    .bind(workspace_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?,
                    None => sqlx::query(
                        "DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2",
                    )
                    .bind(workspace_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?,
                };
                tx.commit().await?;
                Ok(Ok(()))
            }
            .await
        });
        outcome??;
        self.access.reload_user(user_id).await?;
        Ok(())
    }

    /// Creates an invitation link code for `role` in a workspace, valid for `hours`; with an
    /// email, only that address may use it. Returns the invitation and its code (shown once).
    pub async fn invite(
        &self,
        workspace_id: &str,
        role: Role,
        email: Option<&str>,
        hours: u32,
        created_by: &str,
    ) -> Result<(Invitation, String), WorkspaceError> {
        if hours == 0 || hours > MAX_INVITATION_HOURS {
            return Err(WorkspaceError::Invalid {
                field: "expires_in_hours",
                message: "must be 1 to 720 hours (30 days)",
            });
        }
        let email = match email.map(str::trim).filter(|e| !e.is_empty()) {
            Some(raw) => Some(Email::parse(raw)?.as_str().to_owned()),
            None => None,
        };
        let workspace = self
            .get(workspace_id)
            .await?
            .ok_or(WorkspaceError::NotFound)?;
        let (id, secret) = secrets::new_credential();
        let now = now_ms();
        let expires_at = now + i64::from(hours) * 3_600_000;
        on_pool!(&self.db, |pool| {
            sqlx::query(
            "INSERT INTO invitations (id, workspace_id, role, email, secret_hash, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(&id)
        .bind(workspace_id)
        .bind(role.as_str())
        .bind(&email)
        .bind(secrets::digest(&secret))
        .bind(created_by)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(drop)?
        });
        let invitation = Invitation {
            id: id.clone(),
            workspace_id: workspace.id,
            workspace_name: workspace.name,
            role,
            email,
            created_by: created_by.to_owned(),
            created_at: now,
            expires_at,
            used_at: None,
        };
        Ok((invitation, format!("{INVITE_PREFIX}{id}_{secret}")))
    }

    /// A workspace's invitations that can still be used, newest first.
    pub async fn pending_invitations(
        &self,
        workspace_id: &str,
    ) -> Result<Vec<Invitation>, WorkspaceError> {
        let sql = format!(
            "{INVITATION_SELECT} WHERE i.workspace_id = $1 AND i.used_at IS NULL AND i.revoked_at IS NULL \
             AND i.expires_at > $2 ORDER BY i.created_at DESC"
        );
        let rows: Vec<InvitationRow> = on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(workspace_id)
            .bind(now_ms())
            .fetch_all(pool)
            .await?);
        Ok(rows.iter().map(InvitationRow::invitation).collect())
    }

    /// Withdraws a pending invitation; false when there is no such pending one.
    pub async fn revoke_invitation(
        &self,
        workspace_id: &str,
        id: &str,
    ) -> Result<bool, WorkspaceError> {
        let changed = on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3 \
             AND used_at IS NULL AND revoked_at IS NULL"
        )
        .bind(now_ms())
        .bind(id)
        .bind(workspace_id)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(changed > 0)
    }

    /// The invitation behind a code, if it can be used now.
    pub async fn check_invitation(&self, code: &str) -> Result<Invitation, WorkspaceError> {
        let unknown = WorkspaceError::Unusable(InvitationProblem::Unknown);
        let Some((id, secret)) = secrets::split(code.trim(), INVITE_PREFIX) else {
            return Err(unknown);
        };
        let sql = format!("{INVITATION_SELECT} WHERE i.id = $1");
        let row: Option<InvitationRow> = on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await?);
        let Some(row) = row.filter(|r| secrets::matches(&r.secret_hash, secret)) else {
            return Err(unknown);
        };
        match row.problem(now_ms()) {
            Some(problem) => Err(WorkspaceError::Unusable(problem)),
            None => Ok(row.invitation()),
        }
    }

    /// Uses an invitation for an existing account: marks it used and adds the membership, in
    /// one transaction (two people racing for one link: one wins, the other is told it is used).
    pub async fn accept(&self, code: &str, user: &User) -> Result<Invitation, WorkspaceError> {
        let invitation = self.check_invitation(code).await?;
        if invitation.email.as_ref().is_some_and(|e| e != &user.email) {
            return Err(WorkspaceError::Unusable(InvitationProblem::OtherEmail));
        }
        let outcome: Result<Result<(), WorkspaceError>, sqlx::Error> = on_pool!(&self.db, |pool| {
            async {
                let mut tx = pool.begin().await?;
                if !claim!(tx, invitation, &user.id) {
                    return Ok(Err(WorkspaceError::Unusable(InvitationProblem::Used)));
                }
                let (existing,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND user_id = $2",
                )
                .bind(&invitation.workspace_id)
                .bind(&user.id)
                .fetch_one(&mut *tx)
                .await?;
                if existing > 0 {
                    return Ok(Err(WorkspaceError::AlreadyMember));
                }
                add_member!(tx, invitation, &user.id);
                tx.commit().await?;
                Ok(Ok(()))
            }
            .await
        });
        outcome??;
        self.access.reload_user(&user.id).await?;
        Ok(invitation)
    }

    /// Uses an invitation to create an account: the user, the membership and the used mark are
    /// written in one transaction, so a failure leaves no partial account behind.
    pub async fn accept_new_account(
        &self,
        code: &str,
        accounts: &Accounts,
        new: NewUser<'_>,
    ) -> Result<(User, Invitation), WorkspaceError> {
        self.check_invitation(code).await?;
        let prepared = accounts.prepare(new).await?;
        self.accept_prepared(code, &prepared, None).await
    }

    /// [`Self::accept_new_account`] for an account prepared by the caller, optionally linked to
    /// a sign-in provider in the same transaction (an invitee who joins through OAuth).
    pub async fn accept_prepared(
        &self,
        code: &str,
        prepared: &PreparedUser,
        identity: Option<&ExternalIdentity>,
    ) -> Result<(User, Invitation), WorkspaceError> {
        let invitation = self.check_invitation(code).await?;
        if invitation
            .email
            .as_ref()
            .is_some_and(|e| e != prepared.email.as_str())
        {
            return Err(WorkspaceError::Invalid {
                field: "email",
                message: "this invitation was made for another email address",
            });
        }
        let user = prepared.user();
        let outcome: Result<Result<(), WorkspaceError>, sqlx::Error> = on_pool!(&self.db, |pool| {
            async {
                let mut tx = pool.begin().await?;
                if !claim!(tx, invitation, &user.id) {
                    return Ok(Err(WorkspaceError::Unusable(InvitationProblem::Used)));
                }
                match crate::insert_prepared_user!(tx, prepared) {
                    Err(e) if unique_violation(&e) => {
                        return Ok(Err(AccountError::EmailTaken.into()));
                    }
                    other => other?,
                };
                if let Some(identity) = identity {
                    match crate::insert_identity!(tx, identity, &user.id) {
                        Err(e) if unique_violation(&e) => {
                            return Ok(Err(WorkspaceError::IdentityTaken));
                        }
                        other => other?,
                    };
                }
                add_member!(tx, invitation, &user.id);
                tx.commit().await?;
                Ok(Ok(()))
            }
            .await
        });
        outcome??;
        self.access.reload_user(&user.id).await?;
        Ok((user, invitation))
    }
}
