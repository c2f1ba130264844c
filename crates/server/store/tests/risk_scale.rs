//! The dashboard's queries at the bench's scale (10,030 images with 160 vulnerability rows
//! each, 1.6 M rows) on SQLite, timed. Ignored by default (filling the store takes a while):
//! `cargo test -p kabuto-store --test risk_scale -- --ignored --nocapture`.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::time::{Duration, Instant};

use kabuto_store::{
    GroupOrder, ImageOrder, ImageQuery, PageRequest, Store, StoreUrl, VulnerabilityGroupQuery,
    VulnerabilityQuery,
};
use sqlx::Executor;

const IMAGES: i64 = 10_030;
const ROWS_PER_IMAGE: i64 = 160;

/// Fills the store in SQL: images with counts, and their rows over 400 distinct ids.
async fn fill(url: &str) {
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    pool.execute(
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {IMAGES}) \
             INSERT INTO images (registry, repository, tag, digest, scan_id, scan_status, registered_by, \
             registered_at, scanned_at, evaluated_at, disallowed, critical, high, medium, low, negligible, unknown) \
             SELECT 'registry.example', 'team' || (i % 50) || '/app', '' || i, 'sha256:' || i, NULL, 'scanned', \
             'bench', 0, i, i, i % 2, i % 3, 20, 60, 70, 5, 5 FROM n"
        )
        .as_str(),
    )
    .await
    .unwrap();
    pool.execute(
        format!(
            "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < {ROWS_PER_IMAGE}) \
             INSERT INTO image_vulnerabilities (image_id, issue_name, severity, severity_rank, score, \
             resource_type, resource_name, resource_version, fix_version, acknowledged) \
             SELECT images.id, 'CVE-2024-' || ((images.id + k * 7) % 400), 'high', 4, 7.5, 'deb', \
             'pkg' || (k % 90), '1.' || k, NULL, 0 FROM images, n"
        )
        .as_str(),
    )
    .await
    .unwrap();
    pool.execute("ANALYZE").await.unwrap();
    pool.close().await;
}

async fn timed<T>(what: &str, run: impl std::future::Future<Output = T>) -> Duration {
    let start = Instant::now();
    let _ = run.await;
    let took = start.elapsed();
    eprintln!("{what}: {} ms", took.as_millis());
    took
}

#[tokio::test]
#[ignore = "fills a 1.6 M-row store; run by hand to time the dashboard's queries"]
async fn the_dashboard_queries_at_ten_thousand_images() {
    let dir = tempfile::tempdir().unwrap();
    let url = StoreUrl::in_data_dir(dir.path());
    let store = Store::open(&url).await.unwrap();
    fill(&format!(
        "sqlite://{}",
        dir.path().join("kabuto.sqlite").display()
    ))
    .await;
    let top = VulnerabilityGroupQuery {
        filter: VulnerabilityQuery {
            page: Some(PageRequest::new(Some(1), Some(5))),
            ..VulnerabilityQuery::default()
        },
        order: GroupOrder::Images,
        descending: true,
    };
    let mut total = Duration::ZERO;
    for _ in 0..2 {
        total = Duration::ZERO;
        total += timed("risk summary", store.risk_summary()).await;
        total += timed(
            "top images",
            store.images(&ImageQuery {
                order: ImageOrder::Critical,
                descending: true,
                page: Some(PageRequest::new(Some(1), Some(5))),
                ..ImageQuery::default()
            }),
        )
        .await;
        total += timed("top vulnerabilities", store.vulnerability_group_rows(&top)).await;
        total += timed("risk history", store.risk_history(90)).await;
    }
    eprintln!("dashboard's queries: {} ms", total.as_millis());
    timed(
        "record the day",
        store.record_risk_day(time::OffsetDateTime::now_utc()),
    )
    .await;
    timed(
        "grouped by severity, page of 50",
        store.vulnerability_groups(&VulnerabilityGroupQuery {
            order: GroupOrder::Severity,
            ..VulnerabilityGroupQuery::default()
        }),
    )
    .await;
    timed(
        "grouped, severity=high, search",
        store.vulnerability_groups(&VulnerabilityGroupQuery {
            filter: VulnerabilityQuery {
                severity: Some("high".into()),
                issue_search: Some("cve-2024-1".into()),
                ..VulnerabilityQuery::default()
            },
            ..VulnerabilityGroupQuery::default()
        }),
    )
    .await;
    let groups = store.vulnerability_groups(&top).await.unwrap();
    assert_eq!(groups.count, 400);
    assert!(groups.result[0].images > 0);
}
