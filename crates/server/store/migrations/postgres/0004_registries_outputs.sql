-- Schema version 4 (PostgreSQL): registry integrations, notification outputs and Harbor scan
-- requests. Credentials are sealed by the server (XChaCha20-Poly1305 under its secret key)
-- before they reach the store; the store never sees them in the clear. Times are Unix seconds.
-- The SQLite twin is migrations/sqlite/0004_registries_outputs.sql.
CREATE TABLE registries (
    name            TEXT PRIMARY KEY,
    -- The integration as the API takes it, without credentials (JSON).
    settings        TEXT NOT NULL,
    -- username/password or token, sealed.
    credentials     TEXT,
    -- Secret that registry push webhooks present, sealed.
    webhook_token   TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    -- How the last pull went (JSON).
    last_pull       TEXT
);

CREATE TABLE notification_outputs (
    name       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    enabled    BOOLEAN NOT NULL,
    -- Trigger codes the output subscribes to (JSON list).
    triggers   TEXT NOT NULL,
    -- The whole output (URLs of chat webhooks are secrets too), sealed.
    document   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE harbor_scans (
    id          TEXT PRIMARY KEY,
    -- The scan request with Harbor's registry authorization, sealed (it is a pull credential).
    request     TEXT NOT NULL,
    registry    TEXT NOT NULL,
    repository  TEXT NOT NULL,
    digest      TEXT NOT NULL,
    state       TEXT NOT NULL,
    error       TEXT,
    created_at  BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX harbor_scans_by_state ON harbor_scans(state, created_at);
