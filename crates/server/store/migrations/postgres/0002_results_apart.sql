-- Schema version 2 (PostgreSQL): evaluated reports move out of `images` so that listing and
-- sorting images never reads them; a digest of each image's vulnerability rows lets a
-- re-evaluation skip rewriting rows that did not change; indexes for the cross-image
-- vulnerability list and the image order by severity.
CREATE TABLE image_results (
    image_id BIGINT PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
    result   BYTEA NOT NULL
);
INSERT INTO image_results (image_id, result) SELECT id, result FROM images WHERE result IS NOT NULL;
ALTER TABLE images DROP COLUMN result;
ALTER TABLE images ADD COLUMN vulnerabilities_digest TEXT;
CREATE INDEX images_by_severity ON images(critical DESC, high DESC, id);
CREATE INDEX image_vulnerabilities_order ON image_vulnerabilities(severity_rank DESC, issue_name, image_id);
CREATE INDEX image_vulnerabilities_severity ON image_vulnerabilities(severity, severity_rank DESC, issue_name, image_id);
