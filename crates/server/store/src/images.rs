//! Scans, the images that point at them, and each image's evaluation and vulnerabilities.

use sqlx::{Any, FromRow, Transaction};
use time::OffsetDateTime;

use crate::Backend;
use crate::sql::Sql;
use crate::{Page, PageRequest, Result, Store, StoreError, at, contains_pattern, query, seconds};

/// zstd level for stored reports: reports are JSON and shrink about tenfold; level 3 costs
/// a few milliseconds for a 5,000-finding report.
const ZSTD_LEVEL: i32 = 3;
/// Largest stored report once decompressed (the engine's own limit on stored inventories).
const MAX_REPORT_BYTES: usize = 256 << 20;

/// An image by registry, repository and tag, as Aqua names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageKey {
    pub registry: String,
    pub repository: String,
    pub tag: String,
}

impl std::fmt::Display for ImageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}:{}", self.registry, self.repository, self.tag)
    }
}

/// A scan report to keep.
#[derive(Debug, Clone)]
pub struct NewScan<'a> {
    /// Identifies the scan: the same digest scanned with the same analyzers and database
    /// gives the same key, and is stored once.
    pub scan_key: &'a str,
    pub digest: &'a str,
    /// The report as uploaded (JSON); stored compressed.
    pub report: &'a [u8],
    pub uploaded_by: &'a str,
}

/// Counts per severity, as stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeverityCountsRow {
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
    pub negligible: i64,
    pub unknown: i64,
}

/// One vulnerability of one image, as evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct VulnerabilityRow {
    pub issue_name: String,
    pub severity: String,
    /// Orders severities: 5 critical .. 1 low, 0 negligible or unknown.
    pub severity_rank: i64,
    pub score: Option<f64>,
    pub resource_type: String,
    pub resource_name: String,
    pub resource_version: String,
    pub fix_version: Option<String>,
    pub acknowledged: bool,
}

/// The server's judgement of an image's scan.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub evaluated_at: OffsetDateTime,
    pub db_version: Option<String>,
    pub os: Option<String>,
    pub packages: i64,
    pub disallowed: bool,
    pub counts: SeverityCountsRow,
    /// `assurance_checks_performed` as JSON.
    pub checks: String,
    /// The evaluated report (JSON), stored compressed; `None` keeps the stored one (nothing
    /// it shows changed).
    pub result: Option<Vec<u8>>,
    pub vulnerabilities: Vec<VulnerabilityRow>,
}

/// A scan upload: the scan, the image (tag) it is for, and the server's evaluation.
#[derive(Debug, Clone)]
pub struct Ingest<'a> {
    pub image: &'a ImageKey,
    pub scan: NewScan<'a>,
    pub evaluation: &'a Evaluation,
}

/// What an upload changed.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestOutcome {
    pub image_id: i64,
    pub scan_id: i64,
    /// False when the same scan was stored before (only the tag may be new).
    pub new_scan: bool,
    /// False when the tag was known.
    pub new_image: bool,
    /// The image's evaluation the upload replaced.
    pub prior: PriorEvaluation,
}

/// What an image's evaluation was before an upload or a re-evaluation replaced it, read in
/// the same transaction: notifications tell what is new by comparing with it.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorEvaluation {
    pub image_id: i64,
    /// `None` when the image had not been evaluated before.
    pub disallowed: Option<bool>,
    /// The replaced vulnerability rows of severity rank [`SERIOUS_RANK`] and up
    /// (acknowledged or not); `None` when the new rows are the same as the old, so that
    /// nothing is new. A first evaluation had none: `Some` of an empty list.
    pub serious: Option<Vec<VulnerabilityRow>>,
}

/// The lowest severity rank [`PriorEvaluation::serious`] keeps: high (critical is 5).
pub const SERIOUS_RANK: i64 = 4;

/// An image as listed and shown.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRow {
    pub id: i64,
    pub key: ImageKey,
    pub digest: Option<String>,
    pub scan_id: Option<i64>,
    /// `pending` (registered, not scanned yet) or `scanned`.
    pub scan_status: String,
    pub os: Option<String>,
    pub packages: i64,
    pub registered_by: String,
    pub registered_at: OffsetDateTime,
    pub scanned_at: Option<OffsetDateTime>,
    pub evaluated_at: Option<OffsetDateTime>,
    pub db_version: Option<String>,
    pub disallowed: bool,
    pub counts: SeverityCountsRow,
    /// `assurance_checks_performed` as JSON.
    pub checks: String,
    /// [`vulnerabilities_digest`] of the stored vulnerability rows.
    pub vulnerabilities_digest: Option<String>,
}

#[derive(FromRow)]
struct RawImage {
    id: i64,
    registry: String,
    repository: String,
    tag: String,
    digest: Option<String>,
    scan_id: Option<i64>,
    scan_status: String,
    os: Option<String>,
    packages: i64,
    registered_by: String,
    registered_at: i64,
    scanned_at: Option<i64>,
    evaluated_at: Option<i64>,
    db_version: Option<String>,
    disallowed: i64,
    critical: i64,
    high: i64,
    medium: i64,
    low: i64,
    negligible: i64,
    unknown: i64,
    checks: String,
    vulnerabilities_digest: Option<String>,
}

impl From<RawImage> for ImageRow {
    fn from(r: RawImage) -> ImageRow {
        ImageRow {
            id: r.id,
            key: ImageKey {
                registry: r.registry,
                repository: r.repository,
                tag: r.tag,
            },
            digest: r.digest,
            scan_id: r.scan_id,
            scan_status: r.scan_status,
            os: r.os,
            packages: r.packages,
            registered_by: r.registered_by,
            registered_at: at(r.registered_at),
            scanned_at: r.scanned_at.map(at),
            evaluated_at: r.evaluated_at.map(at),
            db_version: r.db_version,
            disallowed: r.disallowed != 0,
            counts: SeverityCountsRow {
                critical: r.critical,
                high: r.high,
                medium: r.medium,
                low: r.low,
                negligible: r.negligible,
                unknown: r.unknown,
            },
            checks: r.checks,
            vulnerabilities_digest: r.vulnerabilities_digest,
        }
    }
}

const IMAGE_COLUMNS: &str = "id, registry, repository, tag, digest, scan_id, scan_status, os, \
    packages, registered_by, registered_at, scanned_at, evaluated_at, db_version, disallowed, \
    critical, high, medium, low, negligible, unknown, checks, vulnerabilities_digest";

/// How an image list is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImageOrder {
    #[default]
    Name,
    Registry,
    ScanDate,
    Critical,
    High,
    Disallowed,
}

impl ImageOrder {
    fn columns(self) -> &'static str {
        match self {
            ImageOrder::Name => "repository {dir}, tag {dir}, registry {dir}",
            ImageOrder::Registry => "registry {dir}, repository {dir}, tag {dir}",
            ImageOrder::ScanDate => "scanned_at {dir}, id {dir}",
            ImageOrder::Critical => "critical {dir}, high {dir}, id",
            ImageOrder::High => "high {dir}, critical {dir}, id",
            ImageOrder::Disallowed => "disallowed {dir}, critical {dir}, id",
        }
    }
}

/// Filters, order and page of an image list.
#[derive(Debug, Clone, Default)]
pub struct ImageQuery {
    pub registry: Option<String>,
    /// Matches anywhere in `registry/repository:tag`, ignoring case.
    pub search: Option<String>,
    /// Only images with at least one vulnerability of this severity (`critical`, `high`,
    /// `medium`, `low`, `negligible`, `unknown`).
    pub severity: Option<String>,
    /// Only non-compliant (`true`) or compliant (`false`) images.
    pub disallowed: Option<bool>,
    pub order: ImageOrder,
    pub descending: bool,
    pub page: Option<PageRequest>,
}

/// Filters and page of the vulnerabilities across images.
#[derive(Debug, Clone, Default)]
pub struct VulnerabilityQuery {
    /// Matches anywhere in `repository:tag`, ignoring case.
    pub image_name: Option<String>,
    pub registry_name: Option<String>,
    pub issue_name: Option<String>,
    /// Matches anywhere in the vulnerability id, ignoring case.
    pub issue_search: Option<String>,
    pub severity: Option<String>,
    /// Only vulnerabilities with (`true`) or without (`false`) a fixed version.
    pub fix_availability: Option<bool>,
    pub acknowledged: Option<bool>,
    pub page: Option<PageRequest>,
}

/// A vulnerability of an image, with the image.
#[derive(Debug, Clone, PartialEq)]
pub struct VulnerabilitySummary {
    pub vulnerability: VulnerabilityRow,
    pub image: ImageKey,
    pub digest: Option<String>,
}

const SEVERITY_COLUMNS: [&str; 6] = ["critical", "high", "medium", "low", "negligible", "unknown"];

impl Store {
    /// Stores an uploaded scan and its evaluation for an image, in one transaction: the
    /// scan once per key, the tag created or moved to it, its vulnerabilities replaced.
    pub async fn ingest(&self, ingest: &Ingest<'_>, now: OffsetDateTime) -> Result<IngestOutcome> {
        let report = compress(ingest.scan.report)?;
        let result = ingest
            .evaluation
            .result
            .as_deref()
            .map(compress)
            .transpose()?;
        let mut tx = self.begin_write("begin ingest").await?;
        let (scan_id, new_scan) = put_scan(&mut tx, &ingest.scan, &report, now).await?;
        let (image_id, new_image) =
            put_image(&mut tx, ingest.image, ingest.scan.uploaded_by, now).await?;
        sqlx::query(
            "UPDATE images SET digest = $1, scan_id = $2, scan_status = 'scanned', \
             scanned_at = $3 WHERE id = $4",
        )
        .bind(ingest.scan.digest)
        .bind(scan_id)
        .bind(seconds(now))
        .bind(image_id)
        .execute(&mut *tx)
        .await
        .map_err(query("point image at scan"))?;
        let prior = write_evaluation(
            &mut tx,
            self.backend,
            image_id,
            ingest.evaluation,
            result.as_deref(),
        )
        .await?;
        tx.commit().await.map_err(query("commit ingest"))?;
        Ok(IngestOutcome {
            image_id,
            scan_id,
            new_scan,
            new_image,
            prior,
        })
    }

    /// Registers an image to be scanned later (status `pending`); false when the tag is
    /// already known.
    pub async fn register_image(
        &self,
        key: &ImageKey,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = self.begin_write("begin register").await?;
        let (_, created) = put_image(&mut tx, key, by, now).await?;
        tx.commit().await.map_err(query("commit register"))?;
        Ok(created)
    }

    /// Replaces the evaluations of several images (after a database, policy or
    /// acknowledgement change) in one transaction: one disk sync for the batch. Answers what
    /// each image's evaluation was before, in the batch's order.
    pub async fn set_evaluations(
        &self,
        batch: &[(i64, Evaluation)],
    ) -> Result<Vec<PriorEvaluation>> {
        let compressed = batch
            .iter()
            .map(|(_, e)| e.result.as_deref().map(compress).transpose())
            .collect::<Result<Vec<_>>>()?;
        let mut tx = self.begin_write("begin evaluation").await?;
        let mut priors = Vec::with_capacity(batch.len());
        for ((image_id, evaluation), result) in batch.iter().zip(&compressed) {
            priors.push(
                write_evaluation(
                    &mut tx,
                    self.backend,
                    *image_id,
                    evaluation,
                    result.as_deref(),
                )
                .await?,
            );
        }
        tx.commit().await.map_err(query("commit evaluation"))?;
        Ok(priors)
    }

    pub async fn image(&self, key: &ImageKey) -> Result<Option<ImageRow>> {
        let sql = format!(
            "SELECT {IMAGE_COLUMNS} FROM images WHERE registry = $1 AND repository = $2 AND tag = $3"
        );
        let raw: Option<RawImage> = sqlx::query_as(&sql)
            .bind(&key.registry)
            .bind(&key.repository)
            .bind(&key.tag)
            .fetch_optional(&self.pool)
            .await
            .map_err(query("read image"))?;
        Ok(raw.map(ImageRow::from))
    }

    /// Every tag of a digest, by name.
    pub async fn images_by_digest(&self, digest: &str) -> Result<Vec<ImageRow>> {
        let sql = format!(
            "SELECT {IMAGE_COLUMNS} FROM images WHERE digest = $1 ORDER BY registry, repository, tag"
        );
        let raw: Vec<RawImage> = sqlx::query_as(&sql)
            .bind(digest)
            .fetch_all(&self.pool)
            .await
            .map_err(query("read images by digest"))?;
        Ok(raw.into_iter().map(ImageRow::from).collect())
    }

    /// Every scanned image, for re-evaluation.
    pub async fn scanned_images(&self) -> Result<Vec<ImageRow>> {
        let sql =
            format!("SELECT {IMAGE_COLUMNS} FROM images WHERE scan_id IS NOT NULL ORDER BY id");
        let raw: Vec<RawImage> = sqlx::query_as(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(query("list scanned images"))?;
        Ok(raw.into_iter().map(ImageRow::from).collect())
    }

    /// The `limit` scanned images with the newest scans, and how many scanned images
    /// there are.
    pub async fn newest_scanned_images(&self, limit: i64) -> Result<(Vec<ImageRow>, i64)> {
        let sql = format!(
            "SELECT {IMAGE_COLUMNS} FROM images WHERE scan_id IS NOT NULL \
             ORDER BY scanned_at DESC, id DESC LIMIT $1"
        );
        let raw: Vec<RawImage> = sqlx::query_as(&sql)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(query("list newest scanned images"))?;
        let (total,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM images WHERE scan_id IS NOT NULL")
                .fetch_one(&self.pool)
                .await
                .map_err(query("count scanned images"))?;
        Ok((raw.into_iter().map(ImageRow::from).collect(), total))
    }

    /// The report a scan was uploaded with.
    pub async fn scan_report(&self, scan_id: i64) -> Result<Vec<u8>> {
        let (blob,): (Vec<u8>,) = sqlx::query_as("SELECT report FROM scans WHERE id = $1")
            .bind(scan_id)
            .fetch_one(&self.pool)
            .await
            .map_err(query("read scan report"))?;
        decompress(&blob, &format!("scan {scan_id}"))
    }

    /// The evaluated report of an image, when it was scanned.
    pub async fn image_result(&self, image_id: i64) -> Result<Option<Vec<u8>>> {
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT result FROM image_results WHERE image_id = $1")
                .bind(image_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(query("read image result"))?;
        match row.map(|(blob,)| blob) {
            Some(blob) => Ok(Some(decompress(&blob, &format!("image {image_id}"))?)),
            None => Ok(None),
        }
    }

    /// Bytes stored for scans and evaluations, and the number of images (for the
    /// per-image size the benchmarks report).
    pub async fn storage_totals(&self) -> Result<(i64, i64)> {
        let (images, bytes): (i64, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM images), \
             (SELECT SUM(LENGTH(report)) FROM scans) + (SELECT COALESCE(SUM(LENGTH(result)), 0) FROM image_results)",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(query("storage totals"))?;
        Ok((images, bytes.unwrap_or(0)))
    }

    pub async fn images(&self, q: &ImageQuery) -> Result<Page<ImageRow>> {
        let page = q.page.unwrap_or(PageRequest::new(None, None));
        let mut count = Sql::new(self.backend, "SELECT COUNT(*) FROM images WHERE 1 = 1");
        image_filters(&mut count, q)?;
        let (total,): (i64,) = count
            .query_as()
            .fetch_one(&self.pool)
            .await
            .map_err(query("count images"))?;
        let mut list = Sql::new(
            self.backend,
            &format!("SELECT {IMAGE_COLUMNS} FROM images WHERE 1 = 1"),
        );
        image_filters(&mut list, q)?;
        let dir = if q.descending { "DESC" } else { "ASC" };
        list.push(" ORDER BY ")
            .push(&q.order.columns().replace("{dir}", dir))
            .push(" LIMIT ")
            .bind(page.pagesize)
            .push(" OFFSET ")
            .bind(page.offset());
        let raw: Vec<RawImage> = list
            .query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(query("list images"))?;
        Ok(page.wrap(total, raw.into_iter().map(ImageRow::from).collect()))
    }

    pub async fn vulnerabilities(
        &self,
        q: &VulnerabilityQuery,
    ) -> Result<Page<VulnerabilitySummary>> {
        let page = q.page.unwrap_or(PageRequest::new(None, None));
        let from = "FROM image_vulnerabilities v JOIN images i ON i.id = v.image_id WHERE 1 = 1";
        let mut count = Sql::new(self.backend, &format!("SELECT COUNT(*) {from}"));
        vulnerability_filters(&mut count, q);
        let (total,): (i64,) = count
            .query_as()
            .fetch_one(&self.pool)
            .await
            .map_err(query("count vulnerabilities"))?;
        let mut list = Sql::new(
            self.backend,
            &format!(
                "SELECT {VULNERABILITY_COLUMNS}, i.registry, i.repository, i.tag, i.digest {from}"
            ),
        );
        vulnerability_filters(&mut list, q);
        list.push(
            " ORDER BY v.severity_rank DESC, v.issue_name, v.image_id, v.resource_name LIMIT ",
        )
        .bind(page.pagesize)
        .push(" OFFSET ")
        .bind(page.offset());
        let rows: Vec<RawVulnerabilitySummary> = list
            .query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(query("list vulnerabilities"))?;
        Ok(page.wrap(total, rows.into_iter().map(Into::into).collect()))
    }
}

async fn put_scan(
    tx: &mut Transaction<'_, Any>,
    scan: &NewScan<'_>,
    compressed: &[u8],
    now: OffsetDateTime,
) -> Result<(i64, bool)> {
    let inserted: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO scans (scan_key, digest, report, report_bytes, uploaded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scan_key) DO NOTHING RETURNING id",
    )
    .bind(scan.scan_key)
    .bind(scan.digest)
    .bind(compressed)
    .bind(i64::try_from(scan.report.len()).unwrap_or(i64::MAX))
    .bind(scan.uploaded_by)
    .bind(seconds(now))
    .fetch_optional(&mut **tx)
    .await
    .map_err(query("store scan"))?;
    if let Some((id,)) = inserted {
        return Ok((id, true));
    }
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM scans WHERE scan_key = $1")
        .bind(scan.scan_key)
        .fetch_one(&mut **tx)
        .await
        .map_err(query("find stored scan"))?;
    Ok((id, false))
}

async fn put_image(
    tx: &mut Transaction<'_, Any>,
    key: &ImageKey,
    by: &str,
    now: OffsetDateTime,
) -> Result<(i64, bool)> {
    let inserted: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO images (registry, repository, tag, scan_status, registered_by, registered_at) \
         VALUES ($1, $2, $3, 'pending', $4, $5) \
         ON CONFLICT (registry, repository, tag) DO NOTHING RETURNING id",
    )
    .bind(&key.registry)
    .bind(&key.repository)
    .bind(&key.tag)
    .bind(by)
    .bind(seconds(now))
    .fetch_optional(&mut **tx)
    .await
    .map_err(query("register image"))?;
    if let Some((id,)) = inserted {
        return Ok((id, true));
    }
    let (id,): (i64,) = sqlx::query_as(
        "SELECT id FROM images WHERE registry = $1 AND repository = $2 AND tag = $3",
    )
    .bind(&key.registry)
    .bind(&key.repository)
    .bind(&key.tag)
    .fetch_one(&mut **tx)
    .await
    .map_err(query("find image"))?;
    Ok((id, false))
}

async fn write_evaluation(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    image_id: i64,
    e: &Evaluation,
    compressed_result: Option<&[u8]>,
) -> Result<PriorEvaluation> {
    let digest = vulnerabilities_digest(&e.vulnerabilities);
    let (previous, evaluated_at, disallowed): (Option<String>, Option<i64>, i64) = sqlx::query_as(
        "SELECT vulnerabilities_digest, evaluated_at, disallowed FROM images WHERE id = $1",
    )
    .bind(image_id)
    .fetch_one(&mut **tx)
    .await
    .map_err(query("read evaluation"))?;
    let mut prior = PriorEvaluation {
        image_id,
        disallowed: evaluated_at.map(|_| disallowed != 0),
        serious: None,
    };
    sqlx::query(
        "UPDATE images SET evaluated_at = $1, db_version = $2, os = $3, packages = $4, \
         disallowed = $5, critical = $6, high = $7, medium = $8, low = $9, negligible = $10, \
         unknown = $11, checks = $12, vulnerabilities_digest = $13 WHERE id = $14",
    )
    .bind(seconds(e.evaluated_at))
    .bind(e.db_version.as_deref())
    .bind(e.os.as_deref())
    .bind(e.packages)
    .bind(i64::from(e.disallowed))
    .bind(e.counts.critical)
    .bind(e.counts.high)
    .bind(e.counts.medium)
    .bind(e.counts.low)
    .bind(e.counts.negligible)
    .bind(e.counts.unknown)
    .bind(&e.checks)
    .bind(&digest)
    .bind(image_id)
    .execute(&mut **tx)
    .await
    .map_err(query("write evaluation"))?;
    if let Some(result) = compressed_result {
        sqlx::query(
            "INSERT INTO image_results (image_id, result) VALUES ($1, $2) \
             ON CONFLICT (image_id) DO UPDATE SET result = excluded.result",
        )
        .bind(image_id)
        .bind(result)
        .execute(&mut **tx)
        .await
        .map_err(query("write evaluated report"))?;
    }
    // A policy change leaves the vulnerabilities as they were: do not rewrite them.
    if previous.as_deref() == Some(digest.as_str()) {
        return Ok(prior);
    }
    let serious: Vec<RawVulnerability> = sqlx::query_as(&format!(
        "SELECT {VULNERABILITY_COLUMNS} FROM image_vulnerabilities v \
         WHERE v.image_id = $1 AND v.severity_rank >= $2"
    ))
    .bind(image_id)
    .bind(SERIOUS_RANK)
    .fetch_all(&mut **tx)
    .await
    .map_err(query("read serious vulnerabilities"))?;
    prior.serious = Some(serious.into_iter().map(VulnerabilityRow::from).collect());
    sqlx::query("DELETE FROM image_vulnerabilities WHERE image_id = $1")
        .bind(image_id)
        .execute(&mut **tx)
        .await
        .map_err(query("clear vulnerabilities"))?;
    insert_vulnerabilities(tx, backend, image_id, &e.vulnerabilities).await?;
    Ok(prior)
}

/// A digest of an image's vulnerability rows, every field included.
pub fn vulnerabilities_digest(rows: &[VulnerabilityRow]) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for v in rows {
        for field in [
            v.issue_name.as_str(),
            &v.severity,
            &v.resource_type,
            &v.resource_name,
            &v.resource_version,
            v.fix_version.as_deref().unwrap_or("\u{0}"),
        ] {
            hash.update(field.as_bytes());
            hash.update([0xff]);
        }
        hash.update(v.severity_rank.to_le_bytes());
        hash.update(v.score.map_or(-1.0, |s| s).to_le_bytes());
        hash.update([u8::from(v.acknowledged)]);
    }
    hex::encode(hash.finalize())
}

/// Rows per INSERT: 10 parameters each, under SQLite's 32,766 bound parameters.
const VULNERABILITY_BATCH: usize = 500;

async fn insert_vulnerabilities(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    image_id: i64,
    rows: &[VulnerabilityRow],
) -> Result<()> {
    for batch in rows.chunks(VULNERABILITY_BATCH) {
        let mut insert = Sql::new(
            backend,
            "INSERT INTO image_vulnerabilities (image_id, issue_name, severity, severity_rank, \
             score, resource_type, resource_name, resource_version, fix_version, acknowledged) \
             VALUES ",
        );
        for (i, v) in batch.iter().enumerate() {
            insert
                .push(if i == 0 { "(" } else { ", (" })
                .bind(image_id)
                .push(", ")
                .bind(v.issue_name.clone())
                .push(", ")
                .bind(v.severity.clone())
                .push(", ")
                .bind(v.severity_rank)
                .push(", ")
                .bind(v.score)
                .push(", ")
                .bind(v.resource_type.clone())
                .push(", ")
                .bind(v.resource_name.clone())
                .push(", ")
                .bind(v.resource_version.clone())
                .push(", ")
                .bind(v.fix_version.clone())
                .push(", ")
                .bind(i64::from(v.acknowledged))
                .push(")");
        }
        insert
            .query()
            .execute(&mut **tx)
            .await
            .map_err(query("store vulnerabilities"))?;
    }
    Ok(())
}

fn image_filters(q: &mut Sql, filter: &ImageQuery) -> Result<()> {
    if let Some(registry) = &filter.registry {
        q.push(" AND registry = ").bind(registry.clone());
    }
    if let Some(search) = &filter.search {
        q.push(" AND LOWER(registry || '/' || repository || ':' || tag) LIKE ")
            .bind(contains_pattern(search))
            .push(" ESCAPE '\\'");
    }
    if let Some(severity) = &filter.severity {
        let column = SEVERITY_COLUMNS
            .iter()
            .find(|c| c.eq_ignore_ascii_case(severity))
            .ok_or_else(|| StoreError::Damaged {
                what: "image filter".into(),
                message: format!("unknown severity {severity:?}"),
            })?;
        q.push(&format!(" AND {column} > 0"));
    }
    if let Some(disallowed) = filter.disallowed {
        q.push(" AND disallowed = ").bind(i64::from(disallowed));
    }
    Ok(())
}

pub(crate) fn vulnerability_filters(q: &mut Sql, filter: &VulnerabilityQuery) {
    if let Some(name) = &filter.image_name {
        q.push(" AND LOWER(i.repository || ':' || i.tag) LIKE ")
            .bind(contains_pattern(name))
            .push(" ESCAPE '\\'");
    }
    if let Some(registry) = &filter.registry_name {
        q.push(" AND i.registry = ").bind(registry.clone());
    }
    if let Some(issue) = &filter.issue_name {
        q.push(" AND v.issue_name = ").bind(issue.clone());
    }
    if let Some(search) = &filter.issue_search {
        q.push(" AND LOWER(v.issue_name) LIKE ")
            .bind(contains_pattern(search))
            .push(" ESCAPE '\\'");
    }
    if let Some(severity) = &filter.severity {
        q.push(" AND v.severity = ")
            .bind(severity.to_ascii_lowercase());
    }
    match filter.fix_availability {
        Some(true) => q.push(" AND v.fix_version IS NOT NULL"),
        Some(false) => q.push(" AND v.fix_version IS NULL"),
        None => q,
    };
    if let Some(acknowledged) = filter.acknowledged {
        q.push(" AND v.acknowledged = ")
            .bind(i64::from(acknowledged));
    }
}

/// The columns of [`RawVulnerability`], of `image_vulnerabilities` as `v`.
const VULNERABILITY_COLUMNS: &str = "v.issue_name, v.severity, v.severity_rank, v.score, \
    v.resource_type, v.resource_name, v.resource_version, v.fix_version, v.acknowledged";

#[derive(FromRow)]
struct RawVulnerability {
    issue_name: String,
    severity: String,
    severity_rank: i64,
    score: Option<f64>,
    resource_type: String,
    resource_name: String,
    resource_version: String,
    fix_version: Option<String>,
    acknowledged: i64,
}

impl From<RawVulnerability> for VulnerabilityRow {
    fn from(r: RawVulnerability) -> VulnerabilityRow {
        VulnerabilityRow {
            issue_name: r.issue_name,
            severity: r.severity,
            severity_rank: r.severity_rank,
            score: r.score,
            resource_type: r.resource_type,
            resource_name: r.resource_name,
            resource_version: r.resource_version,
            fix_version: r.fix_version,
            acknowledged: r.acknowledged != 0,
        }
    }
}

#[derive(FromRow)]
struct RawVulnerabilitySummary {
    #[sqlx(flatten)]
    vulnerability: RawVulnerability,
    registry: String,
    repository: String,
    tag: String,
    digest: Option<String>,
}

impl From<RawVulnerabilitySummary> for VulnerabilitySummary {
    fn from(r: RawVulnerabilitySummary) -> VulnerabilitySummary {
        VulnerabilitySummary {
            vulnerability: r.vulnerability.into(),
            image: ImageKey {
                registry: r.registry,
                repository: r.repository,
                tag: r.tag,
            },
            digest: r.digest,
        }
    }
}

fn compress(bytes: &[u8]) -> Result<Vec<u8>> {
    zstd::bulk::compress(bytes, ZSTD_LEVEL).map_err(|e| StoreError::Damaged {
        what: "report".into(),
        message: format!("cannot compress: {e}"),
    })
}

/// Decompresses a stored report, streaming (no up-front buffer of the limit's size) and
/// refusing more than [`MAX_REPORT_BYTES`].
fn decompress(bytes: &[u8], what: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let damaged = |message: String| StoreError::Damaged {
        what: what.to_owned(),
        message,
    };
    let decoder = zstd::stream::read::Decoder::new(bytes)
        .map_err(|e| damaged(format!("cannot decompress: {e}")))?;
    let mut out = Vec::new();
    decoder
        .take(MAX_REPORT_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| damaged(format!("cannot decompress: {e}")))?;
    if out.len() > MAX_REPORT_BYTES {
        return Err(damaged(format!("over {MAX_REPORT_BYTES} bytes")));
    }
    Ok(out)
}
