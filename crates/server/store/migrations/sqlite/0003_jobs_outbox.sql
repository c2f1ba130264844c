-- Schema version 3 (SQLite): the durable scan-job queue of the registry integrations and
-- the notification outbox. States are text (see src/jobs.rs and src/outbox.rs); times are
-- Unix seconds. The PostgreSQL twin is migrations/postgres/0003_jobs_outbox.sql.
CREATE TABLE scan_jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    registry     TEXT NOT NULL,
    repository   TEXT NOT NULL,
    tag          TEXT NOT NULL,
    digest       TEXT,
    reason       TEXT NOT NULL,
    state        TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    worker       TEXT,
    lease_until  BIGINT,
    not_before   BIGINT NOT NULL,
    error        TEXT,
    created_at   BIGINT NOT NULL,
    started_at   BIGINT,
    finished_at  BIGINT
);
-- At most one pending or running job per tag: enqueueing it again finds the queued one.
CREATE UNIQUE INDEX scan_jobs_active ON scan_jobs(registry, repository, tag)
    WHERE state IN ('pending', 'running');
CREATE INDEX scan_jobs_by_state ON scan_jobs(state, id);
CREATE INDEX scan_jobs_by_registry ON scan_jobs(registry, state, id);
-- enqueue_job skips a digest already scanned: find scans by digest.
CREATE INDEX scans_by_digest ON scans(digest);

CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    output       TEXT NOT NULL,
    trigger_name TEXT NOT NULL,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    not_before   BIGINT NOT NULL,
    lease_until  BIGINT,
    error        TEXT,
    created_at   BIGINT NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX notifications_by_state ON notifications(state, id);
