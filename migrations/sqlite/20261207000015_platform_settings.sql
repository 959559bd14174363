-- Platform settings changed from the browser's settings page (the file and the environment win).
CREATE TABLE platform_settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
