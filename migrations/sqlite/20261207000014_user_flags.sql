-- Things a person said once and Orbitr remembers for them (a dismissed first-run checklist).
CREATE TABLE user_flags (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    flag    TEXT NOT NULL,
    set_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, flag)
);
