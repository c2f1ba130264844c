//! The scan-job queue and the notification outbox, on every backend (see `store.rs`).

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::collections::BTreeSet;
use std::time::Duration;

use kabuto_store::{
    Enqueued, Evaluation, ImageKey, Ingest, JobId, JobOutcome, JobQuery, JobReason, JobState,
    NewJob, NewNotification, NewScan, NotificationState, PageRequest, SeverityCountsRow, Store,
    backoff,
};
use kabuto_types::Digest;
use time::OffsetDateTime;
use time::macros::datetime;

mod common;
use common::stores;

const NOW: OffsetDateTime = datetime!(2026-12-07 10:00 UTC);
const LEASE: Duration = Duration::from_secs(60);

fn digest(n: u32) -> Digest {
    format!("sha256:{n:064x}").parse().unwrap()
}

fn job(tag: &str, digest: Option<Digest>, reason: JobReason) -> NewJob {
    NewJob {
        image: ImageKey {
            registry: "registry.example".into(),
            repository: "app".into(),
            tag: tag.into(),
        },
        digest,
        reason,
        max_attempts: 2,
    }
}

/// Queues a polled job for `tag` (no digest) at `NOW`; its id.
async fn queued(store: &Store, tag: &str) -> JobId {
    store
        .enqueue_job(&job(tag, None, JobReason::Poll), NOW)
        .await
        .unwrap()
        .id()
}

fn notification(n: u32) -> NewNotification {
    NewNotification {
        output: "ops-webhook".into(),
        trigger: "scan_failed".into(),
        payload: serde_json::json!({ "n": n }),
    }
}

/// Stores a scan of `digest` (for the digest de-duplication).
async fn store_scan(store: &Store, digest: &Digest) {
    let image = ImageKey {
        registry: "registry.example".into(),
        repository: "scanned".into(),
        tag: "1".into(),
    };
    let evaluation = Evaluation {
        evaluated_at: NOW,
        db_version: None,
        os: None,
        packages: 0,
        disallowed: false,
        counts: SeverityCountsRow::default(),
        checks: "[]".into(),
        result: None,
        vulnerabilities: Vec::new(),
    };
    let ingest = Ingest {
        image: &image,
        scan: NewScan {
            scan_key: digest.as_str(),
            digest: digest.as_str(),
            report: b"{}",
            uploaded_by: "worker",
        },
        evaluation: &evaluation,
    };
    store.ingest(&ingest, NOW).await.unwrap();
}

fn in_state(state: JobState) -> JobQuery {
    JobQuery {
        state: Some(state),
        ..JobQuery::default()
    }
}

#[tokio::test]
async fn a_tag_is_queued_once_and_a_scanned_digest_is_skipped() {
    for (store, _dir) in stores().await {
        let first = store
            .enqueue_job(&job("1.0", None, JobReason::Poll), NOW)
            .await
            .unwrap();
        assert!(matches!(first, Enqueued::Queued(_)), "{first:?}");
        let again = store
            .enqueue_job(&job("1.0", Some(digest(1)), JobReason::Webhook), NOW)
            .await
            .unwrap();
        assert_eq!(again, Enqueued::AlreadyQueued(first.id()));

        store_scan(&store, &digest(7)).await;
        let known = job("2.0", Some(digest(7)), JobReason::Poll);
        let skipped = store.enqueue_job(&known, NOW).await.unwrap();
        assert!(matches!(skipped, Enqueued::Skipped(_)), "{skipped:?}");
        let rescan = job("2.0", Some(digest(7)), JobReason::Rescan);
        let forced = store.enqueue_job(&rescan, NOW).await.unwrap();
        assert!(matches!(forced, Enqueued::Queued(_)), "{forced:?}");
        let unknown = job("3.0", Some(digest(8)), JobReason::Request);
        let queued = store.enqueue_job(&unknown, NOW).await.unwrap();
        assert!(matches!(queued, Enqueued::Queued(_)), "{queued:?}");

        let skipped_job = store.job(skipped.id()).await.unwrap().unwrap();
        assert_eq!(skipped_job.state, JobState::Skipped);
        assert_eq!(skipped_job.digest, Some(digest(7)));
        assert_eq!(skipped_job.finished_at, Some(NOW));
        let pending = store.list_jobs(&in_state(JobState::Pending)).await.unwrap();
        assert_eq!(pending.count, 3);
        let ids: Vec<JobId> = pending.result.iter().map(|j| j.id).collect();
        assert_eq!(ids, [queued.id(), forced.id(), first.id()], "newest first");
        let other = store
            .list_jobs(&JobQuery {
                registry: Some("other.example".into()),
                ..JobQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(other.count, 0);
    }
}

#[tokio::test]
async fn a_failed_job_waits_its_backoff_and_fails_for_good_after_its_attempts() {
    for (store, _dir) in stores().await {
        let id = queued(&store, "1.0").await;
        let taken = store.take_job("w1", LEASE, NOW).await.unwrap().unwrap();
        assert_eq!((taken.id, taken.attempts), (id, 1));
        assert_eq!(taken.state, JobState::Running);
        assert!(store.heartbeat(id, "w1", LEASE, NOW).await.unwrap());
        let foreign = JobOutcome::Cancelled;
        assert_eq!(
            store.finish_job(id, "w2", &foreign, NOW).await.unwrap(),
            None
        );

        let retry_at = NOW + backoff(taken.attempts);
        let failed = JobOutcome::Failed {
            error: "registry answered 503".into(),
            retry_at: Some(retry_at),
        };
        let state = store.finish_job(id, "w1", &failed, NOW).await.unwrap();
        assert_eq!(state, Some(JobState::Pending));
        assert!(store.take_job("w1", LEASE, NOW).await.unwrap().is_none());
        let retried = store
            .take_job("w2", LEASE, retry_at)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((retried.id, retried.attempts), (id, 2));
        assert_eq!(retried.error.as_deref(), Some("registry answered 503"));

        let later = retry_at + backoff(retried.attempts);
        let again = JobOutcome::Failed {
            error: "registry answered 503 again".into(),
            retry_at: Some(later),
        };
        let state = store.finish_job(id, "w2", &again, retry_at).await.unwrap();
        assert_eq!(state, Some(JobState::Failed), "no attempts left");
        assert!(store.take_job("w1", LEASE, later).await.unwrap().is_none());
        let failed = store.job(id).await.unwrap().unwrap();
        assert_eq!(failed.finished_at, Some(retry_at));
    }
}

#[tokio::test]
async fn a_job_whose_worker_died_is_taken_again_until_its_attempts_run_out() {
    for (store, _dir) in stores().await {
        let id = queued(&store, "1.0").await;
        store.take_job("dead", LEASE, NOW).await.unwrap().unwrap();
        let within = NOW + Duration::from_secs(59);
        assert!(store.take_job("w2", LEASE, within).await.unwrap().is_none());

        let expired = NOW + LEASE;
        let taken = store.take_job("w2", LEASE, expired).await.unwrap().unwrap();
        assert_eq!((taken.id, taken.attempts), (id, 2));
        assert!(!store.heartbeat(id, "dead", LEASE, expired).await.unwrap());
        let stale = JobOutcome::Done { digest: digest(1) };
        assert_eq!(
            store.finish_job(id, "dead", &stale, expired).await.unwrap(),
            None
        );

        // w2 dies too, on the last attempt: the job fails instead of running a third time.
        let gone = expired + LEASE;
        assert!(store.take_job("w3", LEASE, gone).await.unwrap().is_none());
        let failed = store.job(id).await.unwrap().unwrap();
        assert_eq!(failed.state, JobState::Failed);
        assert_eq!(failed.attempts, 2);
    }
}

#[tokio::test]
async fn a_job_ends_done_with_its_digest_or_cancelled() {
    for (store, _dir) in stores().await {
        let done = queued(&store, "1.0").await;
        let running = queued(&store, "2.0").await;
        let pending = queued(&store, "3.0").await;
        assert_eq!(
            store.take_job("w", LEASE, NOW).await.unwrap().unwrap().id,
            done
        );
        let outcome = JobOutcome::Done { digest: digest(5) };
        let state = store.finish_job(done, "w", &outcome, NOW).await.unwrap();
        assert_eq!(state, Some(JobState::Done));
        assert_eq!(
            store.job(done).await.unwrap().unwrap().digest,
            Some(digest(5))
        );

        assert_eq!(
            store.take_job("w", LEASE, NOW).await.unwrap().unwrap().id,
            running
        );
        assert!(store.cancel_job(running, NOW).await.unwrap());
        assert!(
            !store.heartbeat(running, "w", LEASE, NOW).await.unwrap(),
            "worker told"
        );
        assert!(store.cancel_job(pending, NOW).await.unwrap());
        assert!(
            !store.cancel_job(pending, NOW).await.unwrap(),
            "cancelled once"
        );
        assert!(!store.cancel_job(done, NOW).await.unwrap(), "already done");
        assert!(store.take_job("w", LEASE, NOW).await.unwrap().is_none());
        let cancelled = store
            .list_jobs(&in_state(JobState::Cancelled))
            .await
            .unwrap();
        assert_eq!(cancelled.count, 2);
        let again = store
            .enqueue_job(&job("3.0", None, JobReason::Request), NOW)
            .await
            .unwrap();
        assert!(
            matches!(again, Enqueued::Queued(_)),
            "a cancelled tag queues anew"
        );
    }
}

/// Four workers taking from fifty jobs at once: each job is taken exactly once (the lease
/// outlasts the test, so no job comes back).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_workers_take_every_job_exactly_once() {
    for (store, _dir) in stores().await {
        let mut queued = BTreeSet::new();
        for n in 0..50 {
            let id = store
                .enqueue_job(&job(&format!("t{n}"), None, JobReason::Poll), NOW)
                .await
                .unwrap()
                .id();
            queued.insert(id);
        }
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    let worker = format!("worker-{w}");
                    let mut taken = Vec::new();
                    while let Some(job) = store.take_job(&worker, LEASE, NOW).await.unwrap() {
                        let outcome = JobOutcome::Done { digest: digest(1) };
                        let state = store.finish_job(job.id, &worker, &outcome, NOW).await;
                        assert_eq!(state.unwrap(), Some(JobState::Done));
                        taken.push(job.id);
                    }
                    taken
                })
            })
            .collect();
        let mut taken = Vec::new();
        for worker in workers {
            taken.extend(worker.await.unwrap());
        }
        assert_eq!(taken.len(), 50, "no job taken twice");
        assert_eq!(taken.into_iter().collect::<BTreeSet<_>>(), queued);
        assert_eq!(
            store
                .list_jobs(&in_state(JobState::Done))
                .await
                .unwrap()
                .count,
            50
        );
    }
}

#[tokio::test]
async fn notifications_are_retried_leased_and_dead_lettered() {
    for (store, _dir) in stores().await {
        let first = store
            .enqueue_notification(&notification(1), NOW)
            .await
            .unwrap();
        let second = store
            .enqueue_notification(&notification(2), NOW)
            .await
            .unwrap();
        let taken = store.take_notification(LEASE, NOW).await.unwrap().unwrap();
        assert_eq!((taken.id, taken.attempts), (first, 1));
        assert_eq!(taken.payload, serde_json::json!({ "n": 1 }));
        assert_eq!(taken.trigger, "scan_failed");
        let leased = store.take_notification(LEASE, NOW).await.unwrap().unwrap();
        assert_eq!(leased.id, second, "the first is leased");

        let retry_at = NOW + LEASE; // when the second's lease runs out too
        let failed = store
            .notification_failed(first, "connection refused", Some(retry_at), NOW)
            .await
            .unwrap();
        assert!(failed);
        assert!(store.take_notification(LEASE, NOW).await.unwrap().is_none());
        // The second's sender died: after its lease, both are due; the older comes first.
        let retried = store
            .take_notification(LEASE, retry_at)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((retried.id, retried.attempts), (first, 2));
        assert_eq!(retried.error.as_deref(), Some("connection refused"));
        let resent = store
            .take_notification(LEASE, retry_at)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((resent.id, resent.attempts), (second, 2));

        assert!(
            store
                .notification_delivered(second, retry_at)
                .await
                .unwrap()
        );
        assert!(
            !store
                .notification_delivered(second, retry_at)
                .await
                .unwrap()
        );
        let given_up = store
            .notification_failed(first, "HTTP 410", None, retry_at)
            .await
            .unwrap();
        assert!(given_up);
        let dead = store
            .dead_letters(PageRequest::new(None, None))
            .await
            .unwrap();
        assert_eq!(dead.count, 1);
        assert_eq!(dead.result[0].id, first);
        assert_eq!(dead.result[0].state, NotificationState::Dead);
        assert_eq!(dead.result[0].error.as_deref(), Some("HTTP 410"));
        let far = retry_at + Duration::from_secs(86_400);
        assert!(store.take_notification(LEASE, far).await.unwrap().is_none());

        // An administrator queues the dead letter again: due at once, attempts counted anew.
        assert!(
            store
                .retry_dead_letter(second, far)
                .await
                .unwrap()
                .is_none()
        );
        let again = store.retry_dead_letter(first, far).await.unwrap().unwrap();
        assert_eq!(
            (again.state, again.attempts, again.finished_at),
            (NotificationState::Pending, 0, None)
        );
        assert!(store.retry_dead_letter(first, far).await.unwrap().is_none());
        let taken = store.take_notification(LEASE, far).await.unwrap().unwrap();
        assert_eq!((taken.id, taken.attempts), (first, 1));
        let dead = store.dead_letters(PageRequest::new(None, None)).await;
        assert_eq!(dead.unwrap().count, 0);
    }
}

/// Four senders at once (servers sharing one store): each notification is taken once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_senders_take_every_notification_exactly_once() {
    for (store, _dir) in stores().await {
        let mut queued = BTreeSet::new();
        for n in 0..50 {
            queued.insert(
                store
                    .enqueue_notification(&notification(n), NOW)
                    .await
                    .unwrap(),
            );
        }
        let senders: Vec<_> = (0..4)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut taken = Vec::new();
                    while let Some(n) = store.take_notification(LEASE, NOW).await.unwrap() {
                        assert!(store.notification_delivered(n.id, NOW).await.unwrap());
                        taken.push(n.id);
                    }
                    taken
                })
            })
            .collect();
        let mut taken = Vec::new();
        for sender in senders {
            taken.extend(sender.await.unwrap());
        }
        assert_eq!(taken.len(), 50, "no notification taken twice");
        assert_eq!(taken.into_iter().collect::<BTreeSet<_>>(), queued);
    }
}

/// Registry integrations: created once by name, replaced keeping their creation time and
/// last pull, listed by name, deleted; the store keeps the sealed texts as given.
#[tokio::test]
async fn registry_integrations_round_trip() {
    for (store, _dir) in stores().await {
        let row = kabuto_store::RegistryRow {
            name: "local".into(),
            settings: r#"{"name":"local","type":"V2"}"#.into(),
            credentials: Some("v1:sealed".into()),
            webhook_token: None,
            created_at: NOW,
            updated_at: NOW,
            last_pull: None,
        };
        assert!(store.create_registry(&row).await.unwrap());
        assert!(!store.create_registry(&row).await.unwrap(), "same name");
        store
            .set_registry_pull("local", r#"{"queued":3}"#)
            .await
            .unwrap();
        let later = NOW + Duration::from_secs(60);
        let replaced = kabuto_store::RegistryRow {
            credentials: None,
            webhook_token: Some("v1:token".into()),
            created_at: later,
            updated_at: later,
            ..row.clone()
        };
        assert!(store.replace_registry(&replaced).await.unwrap());
        let stored = store.registry("local").await.unwrap().unwrap();
        assert_eq!(stored.created_at, NOW);
        assert_eq!(stored.updated_at, later);
        assert_eq!(stored.credentials, None);
        assert_eq!(stored.webhook_token.as_deref(), Some("v1:token"));
        assert_eq!(stored.last_pull.as_deref(), Some(r#"{"queued":3}"#));
        let other = kabuto_store::RegistryRow {
            name: "hub".into(),
            ..row.clone()
        };
        assert!(store.create_registry(&other).await.unwrap());
        let names: Vec<String> = store
            .registries()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["hub", "local"]);
        assert_eq!(
            store.delete_registry("hub").await.unwrap().unwrap().name,
            "hub"
        );
        assert!(store.delete_registry("hub").await.unwrap().is_none());
        assert!(!store.replace_registry(&other).await.unwrap());
    }
}

/// Ended jobs are deleted once old enough; pending and running ones never.
#[tokio::test]
async fn finished_jobs_are_forgotten_after_a_while() {
    for (store, _dir) in stores().await {
        let done = queued(&store, "done").await;
        let taken = store.take_job("w1", LEASE, NOW).await.unwrap().unwrap();
        assert_eq!(taken.id, done);
        let outcome = JobOutcome::Done { digest: digest(1) };
        store.finish_job(done, "w1", &outcome, NOW).await.unwrap();
        let pending = queued(&store, "pending").await;
        let later = NOW + Duration::from_secs(3600);
        assert_eq!(
            store.delete_finished_jobs(NOW).await.unwrap(),
            0,
            "not older yet"
        );
        assert_eq!(store.delete_finished_jobs(later).await.unwrap(), 1);
        assert!(store.job(done).await.unwrap().is_none());
        assert!(store.job(pending).await.unwrap().is_some());
    }
}
