//! Harbor scan requests on every backend (see `store.rs`): stored pending, taken oldest first
//! one at a time, finished once, resumed after a restart, deleted a while after they finish.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use kabuto_store::{HarborScanState, NewHarborScan, StoreError};
use time::OffsetDateTime;
use time::macros::datetime;

mod common;
use common::stores;

const NOW: OffsetDateTime = datetime!(2026-12-07 10:00 UTC);
const WEEK_LATER: OffsetDateTime = datetime!(2026-12-14 10:00 UTC);

fn scan(id: &str) -> NewHarborScan {
    NewHarborScan {
        id: id.into(),
        request: format!("v1:sealed-{id}"),
        registry: "harbor.example:8443".into(),
        repository: "library/app".into(),
        digest: format!("sha256:{}", "ab".repeat(32)).parse().unwrap(),
    }
}

#[tokio::test]
async fn harbor_scans_are_queued_taken_finished_and_forgotten() {
    for (store, _dir) in stores().await {
        store.create_harbor_scan(&scan("first"), NOW).await.unwrap();
        let later = NOW + time::Duration::seconds(1);
        store
            .create_harbor_scan(&scan("second"), later)
            .await
            .unwrap();
        let taken = store.create_harbor_scan(&scan("first"), NOW).await;
        assert!(
            matches!(&taken, Err(StoreError::Conflict { what }) if what == "Harbor scan \"first\""),
            "{taken:?}"
        );
        let read = store.harbor_scan("first").await.unwrap().unwrap();
        assert_eq!(
            (read.state, read.request.as_str(), read.registry.as_str()),
            (
                HarborScanState::Pending,
                "v1:sealed-first",
                "harbor.example:8443"
            )
        );
        assert_eq!((read.created_at, read.finished_at), (NOW, None));
        assert_eq!(read.digest, scan("first").digest);
        assert!(store.harbor_scan("none").await.unwrap().is_none());

        // Oldest first, each once.
        let one = store.take_harbor_scan().await.unwrap().unwrap();
        assert_eq!(
            (one.id.as_str(), one.state),
            ("first", HarborScanState::Running)
        );
        let two = store.take_harbor_scan().await.unwrap().unwrap();
        assert_eq!(two.id, "second");
        assert!(store.take_harbor_scan().await.unwrap().is_none());

        // A restart resumes what was running.
        assert_eq!(store.resume_harbor_scans().await.unwrap(), 2);
        assert_eq!(store.take_harbor_scan().await.unwrap().unwrap().id, "first");
        assert_eq!(
            store.take_harbor_scan().await.unwrap().unwrap().id,
            "second"
        );

        assert!(store.finish_harbor_scan("first", None, NOW).await.unwrap());
        assert!(
            !store
                .finish_harbor_scan("first", Some("again"), NOW)
                .await
                .unwrap()
        );
        let error = "127.0.0.1:1/library/app@sha256:ab..: connection refused";
        assert!(
            store
                .finish_harbor_scan("second", Some(error), later)
                .await
                .unwrap()
        );
        let done = store.harbor_scan("first").await.unwrap().unwrap();
        assert_eq!(
            (done.state, done.error, done.finished_at),
            (HarborScanState::Done, None, Some(NOW))
        );
        let failed = store.harbor_scan("second").await.unwrap().unwrap();
        assert_eq!(failed.state, HarborScanState::Failed);
        assert_eq!(failed.error.as_deref(), Some(error));
        assert_eq!(store.resume_harbor_scans().await.unwrap(), 0);

        // Finished a week before: deleted; a pending one stays whatever its age.
        store.create_harbor_scan(&scan("third"), NOW).await.unwrap();
        assert_eq!(store.delete_finished_harbor_scans(later).await.unwrap(), 1);
        assert!(store.harbor_scan("first").await.unwrap().is_none());
        assert_eq!(
            store
                .delete_finished_harbor_scans(WEEK_LATER)
                .await
                .unwrap(),
            1
        );
        assert!(store.harbor_scan("second").await.unwrap().is_none());
        assert!(store.harbor_scan("third").await.unwrap().is_some());
    }
}
