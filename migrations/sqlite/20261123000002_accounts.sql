-- People who can sign in. Emails are stored lowercased; the password hash is argon2id (PHC string).
CREATE TABLE users (
    id                  TEXT PRIMARY KEY NOT NULL,
    email               TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    password_hash       TEXT,
    is_admin            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);

-- Every state-changing action, hash-chained: each record's hash covers the previous one's.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    workspace  TEXT,
    action     TEXT NOT NULL,
    target     TEXT,
    result     TEXT NOT NULL,
    reason     TEXT,
    request_id TEXT,
    source_ip  TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
