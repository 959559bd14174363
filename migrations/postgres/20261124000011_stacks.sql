-- Compose stacks. The files live in `<data dir>/stacks/<workspace id>/<name>/` so the Compose CLI
-- and any editor can work on them; the database keeps who/when and every saved revision, so any
-- two can be compared and any deploy rolled back. A stack's name is its Compose project name,
-- unique on the server because the engine's project label is.
CREATE TABLE stacks (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    -- The revision the running containers come from (none before the first deploy).
    deployed_revision BIGINT
);
CREATE INDEX stacks_workspace ON stacks (workspace_id);

CREATE TABLE stack_revisions (
    stack_id   TEXT NOT NULL REFERENCES stacks (id) ON DELETE CASCADE,
    number     BIGINT NOT NULL,
    compose    TEXT NOT NULL,
    env        TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (stack_id, number)
);

-- Every deploy (and stop/down/…): what was asked, how it ended, and its progress events.
CREATE TABLE stack_deploys (
    id          TEXT PRIMARY KEY,
    stack_id    TEXT NOT NULL REFERENCES stacks (id) ON DELETE CASCADE,
    revision    BIGINT,
    operation   TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT,
    status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    error       TEXT,
    events      TEXT NOT NULL,
    started_by  TEXT NOT NULL
);
CREATE INDEX stack_deploys_stack ON stack_deploys (stack_id, started_at);
