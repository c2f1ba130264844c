//! The store test suite, run against every backend: an SQLite file always, and PostgreSQL
//! when `KABUTO_TEST_POSTGRES_URL` names a server (scripts/test.sh starts a throwaway one
//! with scripts/test-postgres.sh); each test gets its own fresh database.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use kabuto_store::{
    AckKey, AuditEvent, AuditQuery, Enqueued, Evaluation, GroupOrder, ImageKey, ImageOrder,
    ImageQuery, Ingest, JobReason, NewAck, NewJob, NewNotification, NewScan, NewToken, PageRequest,
    RiskCountsRow, RiskSummary, SeverityCountsRow, Store, StoreError, StoreUrl,
    VulnerabilityGroupQuery, VulnerabilityQuery, VulnerabilityRow,
};
use sqlx::Executor;
use time::OffsetDateTime;
use time::macros::datetime;

mod common;
use common::stores;

const NOW: OffsetDateTime = datetime!(2026-12-07 10:00 UTC);
const LEASE: std::time::Duration = std::time::Duration::from_secs(60);

fn key(repository: &str, tag: &str) -> ImageKey {
    ImageKey {
        registry: "registry.example".into(),
        repository: repository.into(),
        tag: tag.into(),
    }
}

fn vulnerability(id: &str, severity: &str, rank: i64, fixed: bool) -> VulnerabilityRow {
    VulnerabilityRow {
        issue_name: id.into(),
        severity: severity.into(),
        severity_rank: rank,
        score: Some(7.5),
        resource_type: "deb".into(),
        resource_name: "openssl".into(),
        resource_version: "3.0.11-1~deb12u2".into(),
        fix_version: fixed.then(|| "3.0.15-1~deb12u1".into()),
        acknowledged: false,
    }
}

fn evaluation(disallowed: bool, vulnerabilities: Vec<VulnerabilityRow>) -> Evaluation {
    let count = |severity: &str| {
        vulnerabilities
            .iter()
            .filter(|v| v.severity == severity)
            .count() as i64
    };
    Evaluation {
        evaluated_at: NOW,
        db_version: Some("2026-12-07T00:00:00Z".into()),
        os: Some("debian 12".into()),
        packages: 120,
        disallowed,
        counts: SeverityCountsRow {
            critical: count("critical"),
            high: count("high"),
            medium: count("medium"),
            low: count("low"),
            negligible: count("negligible"),
            unknown: count("unknown"),
        },
        checks: "[]".into(),
        result: Some(br#"{"evaluated":true}"#.to_vec()),
        vulnerabilities,
    }
}

#[tokio::test]
async fn users_tokens_and_sessions() {
    for (store, _dir) in stores().await {
        assert_eq!(store.user_count().await.unwrap(), 0);
        store
            .create_user("administrator", "administrator", Some("$argon2id$x"), NOW)
            .await
            .unwrap();
        let again = store
            .create_user("administrator", "auditor", None, NOW)
            .await;
        assert!(
            matches!(again, Err(StoreError::Conflict { .. })),
            "{again:?}"
        );
        store.create_user("ci", "scanner", None, NOW).await.unwrap();
        assert_eq!(store.users().await.unwrap().len(), 2);

        let token = NewToken {
            id: "t1",
            user_id: "ci",
            name: "pipeline",
            token_hash: "hash-1",
            prefix: "abcd1234",
            created_at: NOW,
        };
        store.create_token(&token).await.unwrap();
        let (user, found) = store.user_by_token("hash-1").await.unwrap().unwrap();
        assert_eq!((user.id.as_str(), user.role.as_str()), ("ci", "scanner"));
        assert_eq!(found.name, "pipeline");
        assert!(store.user_by_token("hash-2").await.unwrap().is_none());
        assert!(store.revoke_token("t1", NOW).await.unwrap());
        assert!(
            !store.revoke_token("t1", NOW).await.unwrap(),
            "revoked once"
        );
        assert!(store.user_by_token("hash-1").await.unwrap().is_none());
        assert!(
            store.tokens(Some("ci")).await.unwrap()[0]
                .revoked_at
                .is_some()
        );
        assert_eq!(store.tokens(None).await.unwrap().len(), 1);
        assert!(
            store
                .tokens(Some("administrator"))
                .await
                .unwrap()
                .is_empty()
        );

        let later = datetime!(2026-12-07 22:00 UTC);
        store
            .create_session("s1", "administrator", "csrf", NOW, later)
            .await
            .unwrap();
        assert_eq!(
            store.session("s1", NOW).await.unwrap().unwrap().csrf_token,
            "csrf"
        );
        assert!(
            store.session("s1", later).await.unwrap().is_none(),
            "expired"
        );
        store.delete_session("s1", NOW).await.unwrap();
        assert!(store.session("s1", NOW).await.unwrap().is_none());

        assert!(store.delete_user("ci").await.unwrap());
        assert!(
            store.tokens(Some("ci")).await.unwrap().is_empty(),
            "cascade"
        );
    }
}

#[tokio::test]
async fn a_scan_is_stored_once_and_tags_point_at_it() {
    for (store, _dir) in stores().await {
        let report = br#"{"schema_version":"1"}"#;
        let scan = NewScan {
            scan_key: "sha256:aaa|vuln|db1",
            digest: "sha256:aaa",
            report,
            uploaded_by: "ci",
        };
        let eval = evaluation(
            true,
            vec![
                vulnerability("CVE-2024-0001", "critical", 5, true),
                vulnerability("CVE-2024-0002", "high", 4, false),
            ],
        );
        let first_key = key("app", "1.0");
        let ingest = Ingest {
            image: &first_key,
            scan: scan.clone(),
            evaluation: &eval,
        };
        let first = store.ingest(&ingest, NOW).await.unwrap();
        assert!(first.new_scan && first.new_image);
        let again = store.ingest(&ingest, NOW).await.unwrap();
        assert_eq!(
            (
                again.image_id,
                again.scan_id,
                again.new_scan,
                again.new_image
            ),
            (first.image_id, first.scan_id, false, false)
        );
        let latest = key("app", "latest");
        let tagged = store
            .ingest(
                &Ingest {
                    image: &latest,
                    ..ingest.clone()
                },
                NOW,
            )
            .await
            .unwrap();
        assert_eq!((tagged.new_scan, tagged.new_image), (false, true));
        assert_eq!(tagged.scan_id, first.scan_id);
        assert_eq!(store.images_by_digest("sha256:aaa").await.unwrap().len(), 2);
        assert_eq!(store.scan_report(first.scan_id).await.unwrap(), report);
        assert_eq!(
            store.image_result(first.image_id).await.unwrap(),
            eval.result
        );

        let image = store.image(&first_key).await.unwrap().unwrap();
        assert!(image.disallowed);
        assert_eq!(image.scan_status, "scanned");
        assert_eq!(image.counts.critical, 1);
        assert_eq!(image.digest.as_deref(), Some("sha256:aaa"));

        let all = store
            .vulnerabilities(&VulnerabilityQuery::default())
            .await
            .unwrap();
        assert_eq!(all.count, 4, "two vulnerabilities on two tags");
        assert_eq!(all.result[0].vulnerability.severity, "critical");
        let unfixed = store
            .vulnerabilities(&VulnerabilityQuery {
                fix_availability: Some(false),
                image_name: Some("APP:LATEST".into()),
                ..VulnerabilityQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(unfixed.count, 1);
        assert_eq!(unfixed.result[0].vulnerability.issue_name, "CVE-2024-0002");
        assert_eq!(unfixed.result[0].image, latest);

        // Re-evaluation replaces the verdict and the vulnerability rows.
        let mut acked = vulnerability("CVE-2024-0001", "critical", 5, true);
        acked.acknowledged = true;
        let priors = store
            .set_evaluations(&[(first.image_id, evaluation(false, vec![acked]))])
            .await
            .unwrap();
        assert_eq!(priors.len(), 1);
        assert_eq!(priors[0].disallowed, Some(true));
        let image = store.image(&first_key).await.unwrap().unwrap();
        assert!(!image.disallowed);
        let acknowledged = store
            .vulnerabilities(&VulnerabilityQuery {
                acknowledged: Some(true),
                ..VulnerabilityQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(acknowledged.count, 1);
    }
}

#[tokio::test]
async fn image_lists_filter_sort_and_page() {
    for (store, _dir) in stores().await {
        for (i, tag) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            let image = key("svc", tag);
            let digest = format!("sha256:{i}");
            let scan_key = digest.clone();
            let vulns = (0..i)
                .map(|n| vulnerability(&format!("CVE-2024-{n}"), "critical", 5, true))
                .collect();
            let ingest = Ingest {
                image: &image,
                scan: NewScan {
                    scan_key: &scan_key,
                    digest: &digest,
                    report: b"{}",
                    uploaded_by: "ci",
                },
                evaluation: &evaluation(i % 2 == 0, vulns),
            };
            store.ingest(&ingest, NOW).await.unwrap();
        }
        assert!(
            store
                .register_image(&key("pending", "1"), "admin", NOW)
                .await
                .unwrap()
        );
        assert!(
            !store
                .register_image(&key("pending", "1"), "admin", NOW)
                .await
                .unwrap()
        );

        let page = store
            .images(&ImageQuery {
                order: ImageOrder::Critical,
                descending: true,
                page: Some(PageRequest::new(Some(1), Some(2))),
                ..ImageQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(page.count, 6);
        let tags: Vec<_> = page.result.iter().map(|i| i.key.tag.as_str()).collect();
        assert_eq!(tags, ["e", "d"]);
        let second = store
            .images(&ImageQuery {
                order: ImageOrder::Critical,
                descending: true,
                page: Some(PageRequest::new(Some(2), Some(2))),
                ..ImageQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(second.result[0].key.tag, "c");

        let compliant = store
            .images(&ImageQuery {
                disallowed: Some(true),
                severity: Some("critical".into()),
                ..ImageQuery::default()
            })
            .await
            .unwrap();
        let tags: Vec<_> = compliant
            .result
            .iter()
            .map(|i| i.key.tag.as_str())
            .collect();
        assert_eq!(tags, ["c", "e"], "disallowed with a critical, by name");

        let searched = store
            .images(&ImageQuery {
                search: Some("PENDING".into()),
                ..ImageQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(searched.count, 1);
        assert_eq!(searched.result[0].scan_status, "pending");
        let percent = store
            .images(&ImageQuery {
                search: Some("%".into()),
                ..ImageQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(percent.count, 0, "% is a character, not a wildcard");
    }
}

#[tokio::test]
async fn acknowledgements_replace_by_key() {
    for (store, _dir) in stores().await {
        let ack = NewAck {
            key: AckKey {
                issue_name: "CVE-2024-0001".into(),
                resource_name: "openssl".into(),
                resource_version: String::new(),
                image_name: String::new(),
                registry_name: String::new(),
            },
            issue_type: "vulnerability".into(),
            resource_type: "package".into(),
            fix_version: String::new(),
            comment: "not reachable".into(),
            state: "not_affected".into(),
            justification: Some("code_not_reachable".into()),
            author: "administrator".into(),
            expires_at: Some(datetime!(2027-01-01 0:00 UTC)),
        };
        assert!(store.put_ack(&ack, NOW).await.unwrap().is_none());
        let changed = NewAck {
            comment: "still not reachable".into(),
            ..ack.clone()
        };
        let previous = store.put_ack(&changed, NOW).await.unwrap().unwrap();
        assert_eq!(previous.ack, ack);
        let all = store.acks().await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].ack, changed);
        assert_eq!(
            store.delete_ack(&ack.key).await.unwrap().unwrap().ack,
            changed
        );
        assert!(store.delete_ack(&ack.key).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn policies_are_kept_as_written() {
    for (store, _dir) in stores().await {
        let doc = r#"{"name":"no-critical","cvss_severity_enabled":true}"#;
        assert!(
            store
                .put_policy("image", "no-critical", doc, "administrator", NOW)
                .await
                .unwrap()
                .is_none()
        );
        let replaced = store
            .put_policy("image", "no-critical", "{}", "author", NOW)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(replaced.document, doc);
        assert_eq!(store.policies("image").await.unwrap().len(), 1);
        assert!(store.policies("kubernetes").await.unwrap().is_empty());
        assert_eq!(
            store
                .policy("image", "no-critical")
                .await
                .unwrap()
                .unwrap()
                .author,
            "author"
        );
        assert!(
            store
                .delete_policy("image", "no-critical")
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            store
                .policy("image", "no-critical")
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn the_audit_log_only_grows() {
    for (store, dir) in stores().await {
        for (i, action) in ["login", "policy.update", "policy.delete"]
            .iter()
            .enumerate()
        {
            store
                .append_audit(&AuditEvent {
                    at: NOW + time::Duration::seconds(i as i64),
                    actor: "administrator".into(),
                    credential: "password".into(),
                    source: "127.0.0.1".into(),
                    action: (*action).into(),
                    target: "x".into(),
                    outcome: "success".into(),
                    detail: "{}".into(),
                })
                .await
                .unwrap();
        }
        let policy = store
            .audit(&AuditQuery {
                action: Some("policy.".into()),
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(policy.count, 2);
        assert_eq!(
            policy.result[0].event.action, "policy.delete",
            "newest first"
        );

        // Not even SQL written by hand changes it.
        let url = match &dir {
            Some(dir) => format!("sqlite://{}", dir.path().join("kabuto.sqlite").display()),
            None => continue_with_postgres(&store).await,
        };
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        for sql in [
            "UPDATE audit_events SET actor = 'x'",
            "DELETE FROM audit_events",
        ] {
            let refused = pool.execute(sql).await.unwrap_err();
            assert!(
                refused.to_string().contains("append-only"),
                "{sql}: {refused}"
            );
        }
        assert_eq!(store.audit(&AuditQuery::default()).await.unwrap().count, 3);
    }
}

/// The URL of the PostgreSQL database a store runs on (the tests' own server).
async fn continue_with_postgres(store: &Store) -> String {
    let admin = std::env::var("KABUTO_TEST_POSTGRES_URL").unwrap();
    let name = store.database_name().await.unwrap().unwrap();
    format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
}

#[tokio::test]
async fn migrations_run_once_and_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = StoreUrl::in_data_dir(dir.path());
    let store = Store::open(&url).await.unwrap();
    let latest = store.latest_schema_version();
    assert_eq!(store.schema_version().await.unwrap(), Some(latest));
    store.set_setting("db_version", "v1").await.unwrap();
    store.close().await;
    let reopened = Store::open(&url).await.unwrap();
    assert_eq!(
        reopened.setting("db_version").await.unwrap().as_deref(),
        Some("v1")
    );
    let pool = sqlx::AnyPool::connect(&format!(
        "sqlite://{}",
        dir.path().join("kabuto.sqlite").display()
    ))
    .await
    .unwrap();
    pool.execute("UPDATE _sqlx_migrations SET version = 9999 WHERE version = 1")
        .await
        .unwrap();
    reopened.close().await;
    let refused = Store::open(&url).await.unwrap_err();
    assert!(
        matches!(refused, StoreError::NewerSchema { found: 9999, .. }),
        "{refused}"
    );
}

/// A store file loaded from an SQL dump in `tests/fixtures`, opened with this build.
async fn open_dump(dir: &tempfile::TempDir, fixture: &str) -> Store {
    let path = dir.path().join("kabuto.sqlite");
    let dump = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(fixture),
    )
    .unwrap();
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    sqlx::raw_sql(&dump).execute(&pool).await.unwrap();
    pool.close().await;
    let store = Store::open(&StoreUrl::Sqlite(path)).await.unwrap();
    assert_eq!(
        store.schema_version().await.unwrap(),
        Some(store.latest_schema_version())
    );
    store
}

/// Forward-only migrations: a store written by schema version 1 (a dump of a real server's
/// store, `tests/fixtures/schema-v1.sql`) opens with this build, its data intact. An edited
/// migration fails here too (sqlx checks each applied migration's checksum).
#[tokio::test]
async fn a_store_written_by_schema_version_1_opens_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_dump(&dir, "schema-v1.sql").await;
    let admin = store.user("administrator").await.unwrap().unwrap();
    assert!(admin.password_hash.unwrap().starts_with("$argon2id$"));
    let images = store.scanned_images().await.unwrap();
    assert_eq!(images.len(), 1);
    assert!(
        images[0].disallowed,
        "the fixture's policy blocked its image"
    );
    let moved = store.image_result(images[0].id).await.unwrap().unwrap();
    assert!(
        moved.starts_with(b"{"),
        "version 2 moved the evaluated report out of images"
    );
    let report = store.scan_report(images[0].scan_id.unwrap()).await.unwrap();
    assert!(report.starts_with(b"{"), "the stored report decompresses");
    assert_eq!(
        store.acks().await.unwrap()[0].ack.key.issue_name,
        "CVE-2019-11236"
    );
    assert_eq!(store.policies("image").await.unwrap()[0].name, "blocked");
    assert!(store.audit(&AuditQuery::default()).await.unwrap().count >= 4);
}

/// A store written by schema version 2 (`tests/fixtures/schema-v2.sql`: the version-1 dump
/// as the version-2 server left it) gets the job queue and the outbox, and a job for its
/// scanned digest is skipped.
#[tokio::test]
async fn a_store_written_by_schema_version_2_gets_the_queue_and_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_dump(&dir, "schema-v2.sql").await;
    let image = &store.scanned_images().await.unwrap()[0];
    let job = NewJob {
        image: image.key.clone(),
        digest: Some(image.digest.clone().unwrap().parse().unwrap()),
        reason: JobReason::Poll,
        max_attempts: 3,
    };
    let skipped = store.enqueue_job(&job, NOW).await.unwrap();
    assert!(matches!(skipped, Enqueued::Skipped(_)), "{skipped:?}");
    let notification = NewNotification {
        output: "ops".into(),
        trigger: "scan_failed".into(),
        payload: serde_json::json!({}),
    };
    store
        .enqueue_notification(&notification, NOW)
        .await
        .unwrap();
    assert!(store.take_notification(LEASE, NOW).await.unwrap().is_some());
}

/// A store written by schema version 3 (`tests/fixtures/schema-v3.sql`) keeps its queued
/// job and notification across the upgrade to version 4.
#[tokio::test]
async fn a_store_written_by_schema_version_3_keeps_its_queue_and_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_dump(&dir, "schema-v3.sql").await;
    let later = NOW.max(time::OffsetDateTime::from_unix_timestamp(1_796_000_000).unwrap());
    let job = store.take_job("w1", LEASE, later).await.unwrap().unwrap();
    assert_eq!(job.image.to_string(), "registry.example/library/app:2.0");
    let notification = store
        .take_notification(LEASE, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notification.output, "ops");
    assert_eq!(store.scanned_images().await.unwrap().len(), 1);
}

/// Writers at the same time all succeed: a write transaction that read first used to fail
/// at once with "database is locked" (SQLITE_BUSY_SNAPSHOT) when another writer committed in
/// between, instead of waiting for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_wait_for_each_other() {
    for (store, _dir) in stores().await {
        let writers: Vec<_> = (0..8)
            .map(|writer| {
                let store = store.clone();
                tokio::spawn(async move {
                    for round in 0..25 {
                        let name = format!("policy-{}", round % 3);
                        let doc = format!(r#"{{"name":"{name}","writer":{writer}}}"#);
                        store
                            .put_policy("image", &name, &doc, "administrator", NOW)
                            .await
                            .map_err(|e| format!("writer {writer} round {round}: {e}"))?;
                    }
                    Ok::<(), String>(())
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap().unwrap();
        }
        assert_eq!(store.policies("image").await.unwrap().len(), 3);
    }
}

/// What an evaluation replaced, read in its transaction: nothing before the first one, the
/// high and critical rows when the rows change, no rows when they stay the same.
#[tokio::test]
async fn ingest_and_reevaluation_answer_the_evaluation_they_replaced() {
    for (store, _dir) in stores().await {
        let image = key("web", "1");
        let upload = |digest: &'static str, eval: Evaluation| {
            let store = store.clone();
            let image = image.clone();
            async move {
                let ingest = Ingest {
                    image: &image,
                    scan: NewScan {
                        scan_key: digest,
                        digest,
                        report: b"{}",
                        uploaded_by: "ci",
                    },
                    evaluation: &eval,
                };
                store.ingest(&ingest, NOW).await.unwrap()
            }
        };
        let rows = vec![
            vulnerability("CVE-2024-0001", "critical", 5, true),
            vulnerability("CVE-2024-0002", "high", 4, false),
            vulnerability("CVE-2024-0003", "medium", 3, false),
        ];
        let first = upload("sha256:1", evaluation(false, rows.clone())).await;
        assert_eq!(first.prior.disallowed, None, "never evaluated");
        assert_eq!(first.prior.serious, Some(Vec::new()));
        let same = upload("sha256:1", evaluation(true, rows.clone())).await;
        assert_eq!(same.prior.disallowed, Some(false));
        assert_eq!(same.prior.serious, None, "the same rows: nothing new");
        let moved = upload("sha256:2", evaluation(true, rows[1..].to_vec())).await;
        let serious: Vec<&str> = moved
            .prior
            .serious
            .iter()
            .flatten()
            .map(|v| v.issue_name.as_str())
            .collect();
        assert_eq!(serious, ["CVE-2024-0001", "CVE-2024-0002"]);
        assert_eq!(moved.prior.disallowed, Some(true));
        let priors = store
            .set_evaluations(&[(first.image_id, evaluation(false, rows[1..].to_vec()))])
            .await
            .unwrap();
        assert_eq!(priors[0].serious, None);
        assert_eq!(priors[0].image_id, first.image_id);
    }
}

/// Stores a scan of its own for `tag` with `vulnerabilities`.
async fn ingest_image(
    store: &Store,
    tag: &str,
    disallowed: bool,
    vulnerabilities: Vec<VulnerabilityRow>,
) {
    let digest = format!("sha256:{tag}");
    let scan_key = format!("{digest}|vuln");
    let eval = evaluation(disallowed, vulnerabilities);
    let image = key("app", tag);
    let ingest = Ingest {
        image: &image,
        scan: NewScan {
            scan_key: &scan_key,
            digest: &digest,
            report: b"{}",
            uploaded_by: "ci",
        },
        evaluation: &eval,
    };
    store.ingest(&ingest, NOW).await.unwrap();
}

#[tokio::test]
async fn the_risk_summary_trend_and_groups_count_in_sql() {
    for (store, _dir) in stores().await {
        let empty = store.risk_summary().await.unwrap();
        assert_eq!(empty, RiskSummary::default());
        let on = |package: &str, mut v: VulnerabilityRow| {
            v.resource_name = package.into();
            v
        };
        let mut acked = vulnerability("CVE-2024-0001", "critical", 5, true);
        acked.acknowledged = true;
        ingest_image(
            &store,
            "worst-critical",
            true,
            vec![
                acked,
                on("curl", vulnerability("CVE-2024-0001", "critical", 5, true)),
                vulnerability("CVE-2024-0002", "high", 4, false),
            ],
        )
        .await;
        ingest_image(
            &store,
            "worst-medium",
            false,
            vec![
                vulnerability("CVE-2024-0001", "critical", 5, true),
                vulnerability("CVE-2024-0003", "medium", 3, false),
                vulnerability("CVE-2024-0004", "negligible", 1, false),
            ],
        )
        .await;
        ingest_image(
            &store,
            "worst-unknown",
            false,
            vec![vulnerability("CVE-2024-0005", "unknown", 1, false)],
        )
        .await;
        ingest_image(&store, "clean", false, Vec::new()).await;
        store
            .register_image(&key("app", "pending"), "ci", NOW)
            .await
            .unwrap();

        let summary = store.risk_summary().await.unwrap();
        assert_eq!(
            (summary.images, summary.scanned, summary.disallowed),
            (5, 4, 1)
        );
        // worst-medium holds a critical too: it counts as critical.
        assert_eq!(
            summary.images_by_risk,
            RiskCountsRow {
                critical: 2,
                high: 0,
                medium: 0,
                low: 0,
                other: 2
            }
        );
        assert_eq!(
            summary.vulnerabilities,
            RiskCountsRow {
                critical: 3,
                high: 1,
                medium: 1,
                low: 0,
                other: 2
            }
        );

        store
            .record_risk_day(datetime!(2026-12-06 23:00 UTC))
            .await
            .unwrap();
        store.record_risk_day(NOW).await.unwrap();
        ingest_image(
            &store,
            "later",
            true,
            vec![vulnerability("CVE-2024-0006", "low", 2, false)],
        )
        .await;
        store.record_risk_day(NOW).await.unwrap();
        let history = store.risk_history(90).await.unwrap();
        let days: Vec<(&str, i64, i64)> = history
            .iter()
            .map(|d| (d.day.as_str(), d.images, d.disallowed))
            .collect();
        assert_eq!(
            days,
            [("2026-12-06", 5, 1), ("2026-12-07", 6, 2)],
            "today overwritten"
        );
        assert_eq!(history[1].vulnerabilities.low, 1);
        assert_eq!(store.risk_history(1).await.unwrap()[0].day, "2026-12-07");

        let groups = store
            .vulnerability_groups(&VulnerabilityGroupQuery {
                descending: true,
                ..VulnerabilityGroupQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(groups.count, 6);
        let top = &groups.result[0];
        assert_eq!(
            (
                top.issue_name.as_str(),
                top.severity.as_str(),
                top.images,
                top.occurrences,
                top.acknowledged
            ),
            ("CVE-2024-0001", "critical", 2, 3, 1)
        );
        assert_eq!(
            top.packages,
            ["curl 3.0.11-1~deb12u2", "openssl 3.0.11-1~deb12u2"]
        );
        assert_eq!(top.fix_version.as_deref(), Some("3.0.15-1~deb12u1"));
        let by_severity = store
            .vulnerability_groups(&VulnerabilityGroupQuery {
                order: GroupOrder::Severity,
                descending: false,
                ..VulnerabilityGroupQuery::default()
            })
            .await
            .unwrap();
        let names: Vec<(&str, &str)> = by_severity
            .result
            .iter()
            .map(|g| (g.issue_name.as_str(), g.severity.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("CVE-2024-0004", "negligible"),
                ("CVE-2024-0005", "unknown"),
                ("CVE-2024-0006", "low"),
                ("CVE-2024-0003", "medium"),
                ("CVE-2024-0002", "high"),
                ("CVE-2024-0001", "critical"),
            ]
        );
        let filtered = store
            .vulnerability_groups(&VulnerabilityGroupQuery {
                filter: VulnerabilityQuery {
                    issue_search: Some("cve-2024-000".into()),
                    acknowledged: Some(false),
                    severity: Some("critical".into()),
                    page: Some(PageRequest::new(Some(1), Some(1))),
                    ..VulnerabilityQuery::default()
                },
                order: GroupOrder::Name,
                descending: true,
            })
            .await
            .unwrap();
        assert_eq!(filtered.count, 1);
        assert_eq!(
            (
                filtered.result[0].images,
                filtered.result[0].occurrences,
                filtered.result[0].acknowledged
            ),
            (2, 2, 0)
        );
    }
}
