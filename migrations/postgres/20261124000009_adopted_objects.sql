-- Docker objects without a `dev.orbitr.workspace` label that a platform admin adopted into a
-- workspace (labels cannot be changed on existing objects). `kind` is container, network or
-- volume; `object_id` the container or network id, or the volume name.
CREATE TABLE adopted_objects (
    kind         TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    adopted_at   BIGINT NOT NULL,
    adopted_by   TEXT NOT NULL,
    PRIMARY KEY (kind, object_id)
);
