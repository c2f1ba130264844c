-- Schema version 5 (SQLite): the console's risk trend, one row per UTC day, overwritten by
-- the server's hourly pass and each re-evaluation with that day's figures over every image.
-- The PostgreSQL twin is migrations/postgres/0005_risk_history.sql.
CREATE TABLE risk_history (
    day        TEXT PRIMARY KEY,
    images     BIGINT NOT NULL,
    disallowed BIGINT NOT NULL,
    critical   BIGINT NOT NULL,
    high       BIGINT NOT NULL,
    medium     BIGINT NOT NULL,
    low        BIGINT NOT NULL,
    other      BIGINT NOT NULL
);
