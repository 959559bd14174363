-- Sign-in providers (OAuth 2 / OpenID Connect) linked to accounts: one row per (provider,
-- subject). `provider` is the name the provider has in the settings; `subject` is its stable
-- user id (the OIDC `sub`, GitHub's numeric id), never the email. One link per provider and user.
CREATE TABLE user_identities (
    provider     TEXT NOT NULL,
    subject      TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email        TEXT,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    PRIMARY KEY (provider, subject),
    UNIQUE (user_id, provider)
);
