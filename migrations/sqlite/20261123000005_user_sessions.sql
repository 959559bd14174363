-- One row per sign-in, next to the session store: lets a user see where they are signed in,
-- end one of those sessions, or all of them. A session carries its row id (`handle`) and is
-- refused once the row is revoked.
CREATE TABLE user_sessions (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    ip         TEXT,
    user_agent TEXT,
    revoked_at BIGINT
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);
