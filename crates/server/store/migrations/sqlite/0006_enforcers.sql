-- Schema version 6 (SQLite): the runtime enforcers that report to the server, one row per
-- host, overwritten by each report (every policy refresh). Runtime policies need no table of
-- their own: they are rows of `policies` with kind 'runtime'.
-- The PostgreSQL twin is migrations/postgres/0006_enforcers.sql.
CREATE TABLE enforcers (
    host          TEXT PRIMARY KEY,
    reporter      TEXT NOT NULL,
    version       TEXT NOT NULL,
    mode          TEXT NOT NULL,
    policies      TEXT NOT NULL,
    containers    BIGINT NOT NULL,
    spooled       BIGINT NOT NULL,
    sent          BIGINT NOT NULL,
    dropped       BIGINT NOT NULL,
    interval_secs BIGINT NOT NULL,
    first_seen    BIGINT NOT NULL,
    last_seen     BIGINT NOT NULL
);
