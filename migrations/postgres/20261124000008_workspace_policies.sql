-- Each workspace's security policy (what non-admin members may give containers: privileged
-- mode, host namespaces, bind mounts and their allowed roots, the Docker socket, capabilities,
-- devices), as the JSON of `compose::policy::SecurityPolicy`. No row: the default, which
-- allows none of it.
CREATE TABLE workspace_policies (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    policy       TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    updated_by   TEXT
);
