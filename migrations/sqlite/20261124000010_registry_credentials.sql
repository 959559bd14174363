-- Registry credentials of a workspace, used when its members pull images. The password is
-- encrypted with the key in the data dir (`secrets.key`); it is never sent back to anyone.
CREATE TABLE registry_credentials (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    registry     TEXT NOT NULL,
    username     TEXT NOT NULL,
    secret       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    UNIQUE (workspace_id, registry)
);
