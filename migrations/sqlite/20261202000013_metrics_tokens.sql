-- Tokens may have the `metrics` scope (reading /metrics only). SQLite cannot change a CHECK
-- constraint in place: the table is made again with the same rows.
CREATE TABLE api_tokens_next (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'write', 'metrics')),
    secret_hash  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    revoked_at   BIGINT,
    workspace_id TEXT REFERENCES workspaces (id) ON DELETE CASCADE
);
INSERT INTO api_tokens_next (id, user_id, name, scope, secret_hash, created_at, expires_at, last_used_at, revoked_at, workspace_id)
    SELECT id, user_id, name, scope, secret_hash, created_at, expires_at, last_used_at, revoked_at, workspace_id FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_next RENAME TO api_tokens;
CREATE INDEX api_tokens_user ON api_tokens (user_id);
