-- Sign-in providers added on the settings page (those of the settings file and the environment
-- are not stored). The client secret is sealed with the vault key; allowed_domains is
-- comma-separated.
CREATE TABLE signin_providers (
    name            TEXT PRIMARY KEY NOT NULL,
    kind            TEXT NOT NULL,
    label           TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    client_secret   TEXT NOT NULL,
    issuer          TEXT NOT NULL,
    allowed_domains TEXT NOT NULL,
    trust_email     BOOLEAN NOT NULL,
    updated_at      BIGINT NOT NULL,
    updated_by      TEXT NOT NULL
);
