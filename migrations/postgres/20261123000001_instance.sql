-- Facts about this installation (its id, first start), one row per key.
CREATE TABLE instance_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
