-- Schema version 5 (PostgreSQL): the console's risk trend, one row per UTC day, overwritten by
-- the server's hourly pass and each re-evaluation with that day's figures over every image;
-- and the index that groups vulnerabilities by id across images without reading the table
-- (it leads with issue_name, so it also serves what the index on issue_name alone did).
-- The SQLite twin is migrations/sqlite/0005_risk_history.sql.
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

DROP INDEX image_vulnerabilities_issue;
CREATE INDEX image_vulnerabilities_by_issue
    ON image_vulnerabilities(issue_name, image_id, severity_rank, severity, acknowledged);
