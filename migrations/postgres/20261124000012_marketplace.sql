-- The marketplace: where extensions come from (sources), what each source holds (entries,
-- valid or listed with their errors) with a full-text column over them, the apps installed into
-- workspaces, and reviews with helpful votes.
CREATE TABLE extension_sources (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('builtin', 'folder', 'git', 'http')),
    location   TEXT NOT NULL,
    -- A git branch or tag.
    reference  TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    synced_at  BIGINT,
    -- Why the last sync failed as a whole (the entries it had before stay listed).
    sync_error TEXT
);

CREATE TABLE extension_entries (
    source_id   TEXT NOT NULL REFERENCES extension_sources (id) ON DELETE CASCADE,
    -- The manifest's id; the folder's name when the manifest has none that is valid.
    ext_id      TEXT NOT NULL,
    version     TEXT NOT NULL,
    name        TEXT NOT NULL,
    summary     TEXT NOT NULL,
    description TEXT NOT NULL,
    -- Lowercase, each between commas: ",database,web,".
    categories  TEXT NOT NULL,
    icon        TEXT,
    manifest    TEXT NOT NULL,
    template    TEXT NOT NULL,
    readme      TEXT NOT NULL,
    changelog   TEXT NOT NULL,
    -- JSON list of the findings that make it invalid; NULL when it can be installed.
    errors      TEXT,
    -- When this version was first seen.
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (source_id, ext_id),
    search      tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', name), 'A')
        || setweight(to_tsvector('simple', summary || ' ' || replace(categories, ',', ' ')), 'B')
        || setweight(to_tsvector('simple', description), 'C')
    ) STORED
);
CREATE INDEX extension_entries_search ON extension_entries USING GIN (search);

CREATE TABLE extension_installs (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- The stack it runs as (created when the install starts; none while awaiting approval).
    stack_name   TEXT NOT NULL UNIQUE,
    ext_id       TEXT NOT NULL,
    -- Not a foreign key: removing a source leaves what was installed from it alone.
    source_id    TEXT NOT NULL,
    version      TEXT NOT NULL,
    -- The form's values as JSON, sealed with the secrets key.
    inputs       TEXT NOT NULL,
    -- The installed version's orbitr.yaml.
    manifest     TEXT NOT NULL,
    -- And its compose template: an approval deploys what was approved.
    template     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('awaiting_approval', 'installing', 'installed', 'updating', 'removing', 'failed')),
    error        TEXT,
    -- The app this one was installed for (a requirement).
    required_by  TEXT,
    created_at   BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    approved_by  TEXT
);
CREATE INDEX extension_installs_workspace ON extension_installs (workspace_id);

CREATE TABLE extension_counts (
    ext_id   TEXT PRIMARY KEY,
    installs BIGINT NOT NULL
);

CREATE TABLE extension_reviews (
    ext_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rating     BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (ext_id, user_id)
);

CREATE TABLE extension_review_votes (
    ext_id    TEXT NOT NULL,
    author_id TEXT NOT NULL,
    voter_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (ext_id, author_id, voter_id),
    FOREIGN KEY (ext_id, author_id) REFERENCES extension_reviews (ext_id, user_id) ON DELETE CASCADE
);
