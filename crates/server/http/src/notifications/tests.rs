//! What is new against the replaced evaluation, which outputs get a row, and delivery's
//! outcomes that need no receiver (a deleted output, a failed scan's event).

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use kabuto_auth::SealingKey;
use kabuto_store::{NewOutput, NotificationState, PageRequest, SeverityCountsRow, Store, StoreUrl};
use time::macros::datetime;

use super::*;
use crate::state::Vulndb;

const AT: OffsetDateTime = datetime!(2026-12-07 10:00 UTC);

fn image() -> ImageKey {
    ImageKey {
        registry: "registry.example".into(),
        repository: "shop/api".into(),
        tag: "1.0".into(),
    }
}

fn vulnerability(id: &str, package: &str, severity: &str) -> VulnerabilityRow {
    let rank = match severity {
        "critical" => 5,
        "high" => 4,
        _ => 3,
    };
    VulnerabilityRow {
        issue_name: id.into(),
        severity: severity.into(),
        severity_rank: rank,
        score: Some(9.8),
        resource_type: "pypi".into(),
        resource_name: package.into(),
        resource_version: "1.0".into(),
        fix_version: Some("1.1".into()),
        acknowledged: false,
    }
}

fn evaluation(disallowed: bool, vulnerabilities: Vec<VulnerabilityRow>) -> Evaluation {
    let checks = if disallowed {
        r#"[{"policy_name":"no-criticals","control":"cvss_severity","failed":true,"blocking":true,"message":"2 critical"},
            {"policy_name":"audit-only","control":"max_score","failed":true,"blocking":false}]"#
    } else {
        "[]"
    };
    Evaluation {
        evaluated_at: AT,
        db_version: None,
        os: None,
        packages: 2,
        disallowed,
        counts: SeverityCountsRow::default(),
        checks: checks.into(),
        result: None,
        vulnerabilities,
    }
}

fn prior(disallowed: Option<bool>, serious: Option<Vec<VulnerabilityRow>>) -> PriorEvaluation {
    PriorEvaluation {
        image_id: 1,
        disallowed,
        serious,
    }
}

fn triggered(prior: &PriorEvaluation, now: &Evaluation) -> Vec<(Trigger, String)> {
    events(&image(), Some("sha256:ab"), prior, now, AT)
        .into_iter()
        .map(|e| (e.trigger, e.summary))
        .collect()
}

#[test]
fn a_first_scan_counts_every_critical_and_high_and_a_failing_verdict() {
    let now = evaluation(
        true,
        vec![
            vulnerability("CVE-1", "openssl", "critical"),
            vulnerability("CVE-2", "zlib", "high"),
            vulnerability("CVE-3", "zlib", "medium"),
        ],
    );
    assert_eq!(
        triggered(&prior(None, Some(Vec::new())), &now),
        [
            (
                Trigger::NewCriticalVulnerability,
                "1 new critical vulnerability: CVE-1 in openssl".to_owned()
            ),
            (
                Trigger::NewHighVulnerability,
                "1 new high vulnerability: CVE-2 in zlib".to_owned()
            ),
            (
                Trigger::ImageNonCompliant,
                "Non-compliant: failed no-criticals: cvss_severity".to_owned()
            ),
        ]
    );
}

#[test]
fn nothing_is_new_when_the_rows_and_the_verdict_stay() {
    let rows = vec![vulnerability("CVE-1", "openssl", "critical")];
    let now = evaluation(true, rows.clone());
    assert!(triggered(&prior(Some(true), None), &now).is_empty());
    assert!(triggered(&prior(Some(true), Some(rows)), &now).is_empty());
}

#[test]
fn new_means_not_there_before_at_that_severity_or_worse_and_not_acknowledged() {
    let before = vec![
        vulnerability("CVE-1", "openssl", "critical"),
        vulnerability("CVE-2", "zlib", "high"),
    ];
    let mut acked = vulnerability("CVE-9", "curl", "critical");
    acked.acknowledged = true;
    let now = evaluation(
        false,
        vec![
            // Was critical: now high is a downgrade, not a new high.
            vulnerability("CVE-1", "openssl", "high"),
            // Was high: now critical is new as a critical.
            vulnerability("CVE-2", "zlib", "critical"),
            // Same id in another package: new.
            vulnerability("CVE-1", "libssl", "critical"),
            acked,
        ],
    );
    let summaries = triggered(&prior(Some(false), Some(before.clone())), &now);
    assert_eq!(
        summaries,
        [(
            Trigger::NewCriticalVulnerability,
            "2 new critical vulnerabilities: CVE-2 in zlib, CVE-1 in libssl".to_owned()
        )]
    );
    // A verdict that was failing already is not news; one that starts failing is.
    let failing = evaluation(true, Vec::new());
    assert!(triggered(&prior(Some(true), Some(before.clone())), &failing).is_empty());
    assert_eq!(
        triggered(&prior(Some(false), Some(before)), &failing)[0].0,
        Trigger::ImageNonCompliant
    );
}

#[test]
fn details_list_at_most_twenty_and_count_the_rest() {
    let rows: Vec<VulnerabilityRow> = (0..25)
        .map(|n| vulnerability(&format!("CVE-{n}"), "openssl", "critical"))
        .collect();
    let mut doubled = rows.clone();
    doubled.extend(rows.iter().cloned());
    let event = events(
        &image(),
        None,
        &prior(None, Some(Vec::new())),
        &evaluation(false, doubled),
        AT,
    )
    .remove(0);
    assert_eq!(event.details["count"], 25, "each id and package once");
    assert_eq!(
        event.details["vulnerabilities"].as_array().unwrap().len(),
        20
    );
    assert_eq!(event.details["more"], 5);
    assert!(
        event.summary.ends_with("CVE-4 in openssl, and 20 more"),
        "{}",
        event.summary
    );
    assert_eq!(event.details["vulnerabilities"][0]["fix_version"], "1.1");
}

/// A server state over a fresh SQLite store; the temp dir keeps it alive.
async fn state() -> (Arc<AppState>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&StoreUrl::in_data_dir(dir.path()))
        .await
        .unwrap();
    let state = AppState::new(
        store,
        Vulndb::new(dir.path().join("kabuto.db")),
        SealingKey::generate().unwrap(),
        1,
        false,
        0,
    );
    (Arc::new(state), dir)
}

async fn add_output(state: &AppState, name: &str, enabled: bool, triggers: &[Trigger]) {
    let output = Output::from_json(&format!(
        r#"{{"name":"{name}","type":"webhook","url":"http://127.0.0.1:9/{name}"}}"#
    ))
    .unwrap();
    let text = output.to_json_with_secrets().unwrap();
    let new = NewOutput {
        name: name.into(),
        kind: "webhook".into(),
        enabled,
        triggers: triggers.iter().map(|t| t.code().to_owned()).collect(),
        document: state
            .sealing
            .seal(text.as_bytes(), &sealing_context(name))
            .unwrap(),
    };
    state.store.create_output(&new, AT).await.unwrap();
}

#[tokio::test]
async fn a_failed_scan_queues_one_row_per_enabled_subscribed_output() {
    let (state, _dir) = state().await;
    add_output(&state, "ops", true, &[Trigger::ScanFailed]).await;
    add_output(&state, "sec", true, &[Trigger::NewCriticalVulnerability]).await;
    add_output(&state, "off", false, &Trigger::ALL).await;
    scan_failed(
        &state,
        &image(),
        Some("sha256:ab"),
        "pull failed: 401 Unauthorized\nthe rest",
    )
    .await;
    let later = OffsetDateTime::now_utc() + Duration::from_secs(1);
    let taken = state.store.take_notification(LEASE, later).await.unwrap();
    let taken = taken.unwrap();
    assert_eq!(
        (taken.output.as_str(), taken.trigger.as_str()),
        ("ops", "scan_failed")
    );
    let event: Event = serde_json::from_value(taken.payload).unwrap();
    assert_eq!(event.image, "registry.example/shop/api:1.0");
    assert_eq!(event.digest.as_deref(), Some("sha256:ab"));
    assert_eq!(event.summary, "Scan failed: pull failed: 401 Unauthorized");
    assert_eq!(
        event.details["error"],
        "pull failed: 401 Unauthorized\nthe rest"
    );
    assert!(
        state
            .store
            .take_notification(LEASE, later)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_notification_for_a_deleted_output_becomes_a_dead_letter_saying_so() {
    let (state, _dir) = state().await;
    add_output(&state, "gone", true, &[Trigger::ScanFailed]).await;
    scan_failed(&state, &image(), None, "registry unreachable").await;
    state.store.delete_output("gone").await.unwrap();
    deliver_due(
        &state,
        &Arc::new(Notifier::new(&DeliveryOptions::default())),
    )
    .await;
    let dead = state
        .store
        .dead_letters(PageRequest::new(None, None))
        .await
        .unwrap();
    assert_eq!(dead.count, 1);
    assert_eq!(dead.result[0].state, NotificationState::Dead);
    assert_eq!(dead.result[0].attempts, 1);
    assert_eq!(
        dead.result[0].error.as_deref(),
        Some("output `gone` was deleted")
    );
}
