-- Workspaces are the tenancy unit: Docker objects, stacks and members belong to one.
-- `name_key` is the lowercased name, so two workspaces cannot differ by case only.
CREATE TABLE workspaces (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

-- Who belongs to a workspace, with which role (owner, operator, viewer).
CREATE TABLE memberships (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'operator', 'viewer')),
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- Single-use, expiring invitation links: `/invite/<id>_<secret>`; only the SHA-256 of the
-- secret is kept.
CREATE TABLE invitations (
    id           TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'operator', 'viewer')),
    email        TEXT,
    secret_hash  TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT,
    used_by      TEXT,
    revoked_at   BIGINT
);
CREATE INDEX invitations_workspace ON invitations (workspace_id);

-- A token may be limited to one workspace.
ALTER TABLE api_tokens ADD COLUMN workspace_id TEXT REFERENCES workspaces (id) ON DELETE CASCADE;
