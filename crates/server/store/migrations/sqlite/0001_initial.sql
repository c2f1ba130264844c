-- Kabuto server store, schema version 1 (SQLite). Times are Unix seconds (UTC).
-- The PostgreSQL twin is migrations/postgres/0001_initial.sql: same tables, columns and
-- names, so one query text serves both.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT,
    created_at    BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- One row per distinct scan: the same digest scanned with the same analyzers and
-- database (scan_key) is stored once, however many tags point at it.
CREATE TABLE scans (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_key     TEXT NOT NULL UNIQUE,
    digest       TEXT NOT NULL,
    report       BLOB NOT NULL,
    report_bytes BIGINT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

-- One row per registry/repository/tag, with the server's latest evaluation of its scan.
CREATE TABLE images (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    registry      TEXT NOT NULL,
    repository    TEXT NOT NULL,
    tag           TEXT NOT NULL,
    digest        TEXT,
    scan_id       BIGINT REFERENCES scans(id),
    scan_status   TEXT NOT NULL,
    os            TEXT,
    packages      BIGINT NOT NULL DEFAULT 0,
    registered_by TEXT NOT NULL,
    registered_at BIGINT NOT NULL,
    scanned_at    BIGINT,
    evaluated_at  BIGINT,
    db_version    TEXT,
    disallowed    BIGINT NOT NULL DEFAULT 0,
    critical      BIGINT NOT NULL DEFAULT 0,
    high          BIGINT NOT NULL DEFAULT 0,
    medium        BIGINT NOT NULL DEFAULT 0,
    low           BIGINT NOT NULL DEFAULT 0,
    negligible    BIGINT NOT NULL DEFAULT 0,
    unknown       BIGINT NOT NULL DEFAULT 0,
    checks        TEXT NOT NULL DEFAULT '[]',
    result        BLOB,
    UNIQUE (registry, repository, tag)
);
CREATE INDEX images_digest ON images(digest);
CREATE INDEX images_scan ON images(scan_id);

CREATE TABLE image_vulnerabilities (
    image_id         BIGINT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    issue_name       TEXT NOT NULL,
    severity         TEXT NOT NULL,
    severity_rank    BIGINT NOT NULL,
    score            REAL,
    resource_type    TEXT NOT NULL,
    resource_name    TEXT NOT NULL,
    resource_version TEXT NOT NULL,
    fix_version      TEXT,
    acknowledged     BIGINT NOT NULL
);
CREATE INDEX image_vulnerabilities_image ON image_vulnerabilities(image_id);
CREATE INDEX image_vulnerabilities_issue ON image_vulnerabilities(issue_name);

CREATE TABLE acknowledgements (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_name       TEXT NOT NULL,
    issue_type       TEXT NOT NULL,
    resource_type    TEXT NOT NULL,
    resource_name    TEXT NOT NULL,
    resource_version TEXT NOT NULL,
    image_name       TEXT NOT NULL,
    registry_name    TEXT NOT NULL,
    fix_version      TEXT NOT NULL,
    comment          TEXT NOT NULL,
    state            TEXT NOT NULL,
    justification    TEXT,
    author           TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT,
    UNIQUE (issue_name, resource_name, resource_version, image_name, registry_name)
);

CREATE TABLE policies (
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    document   TEXT NOT NULL,
    author     TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (kind, name)
);

CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    credential TEXT NOT NULL,
    source     TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
