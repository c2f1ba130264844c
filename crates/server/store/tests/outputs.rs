//! Notification outputs on every backend (see `store.rs`).

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use kabuto_store::{NewOutput, StoreError};
use time::OffsetDateTime;
use time::macros::datetime;

mod common;
use common::stores;

const NOW: OffsetDateTime = datetime!(2026-12-07 10:00 UTC);
const LATER: OffsetDateTime = datetime!(2026-12-08 10:00 UTC);

fn output(name: &str, enabled: bool, triggers: &[&str]) -> NewOutput {
    NewOutput {
        name: name.into(),
        kind: "webhook".into(),
        enabled,
        triggers: triggers.iter().map(|t| (*t).to_owned()).collect(),
        document: format!("v1:sealed-{name}"),
    }
}

#[tokio::test]
async fn outputs_are_created_replaced_listed_and_deleted() {
    for (store, _dir) in stores().await {
        let ops = output("ops", true, &["scan_failed", "new_critical_vulnerability"]);
        store.create_output(&ops, NOW).await.unwrap();
        let taken = store.create_output(&ops, NOW).await.unwrap_err();
        assert!(
            matches!(&taken, StoreError::Conflict { what } if what == "notification output \"ops\""),
            "{taken:?}"
        );
        store
            .create_output(&output("audit", false, &[]), NOW)
            .await
            .unwrap();

        let read = store.output("ops").await.unwrap().unwrap();
        assert_eq!(
            (read.kind.as_str(), read.enabled, read.document.as_str()),
            ("webhook", true, "v1:sealed-ops")
        );
        assert_eq!(read.triggers, ["scan_failed", "new_critical_vulnerability"]);
        assert_eq!((read.created_at, read.updated_at), (NOW, NOW));

        let mut changed = output("ops", false, &["image_non_compliant"]);
        changed.kind = "slack".into();
        let previous = store.replace_output(&changed, LATER).await.unwrap();
        assert_eq!(previous, Some(read));
        let read = store.output("ops").await.unwrap().unwrap();
        assert_eq!((read.kind.as_str(), read.enabled), ("slack", false));
        assert_eq!(read.triggers, ["image_non_compliant"]);
        assert_eq!((read.created_at, read.updated_at), (NOW, LATER));
        let created = store
            .replace_output(&output("new", true, &["scan_failed"]), LATER)
            .await
            .unwrap();
        assert_eq!(created, None);

        let names: Vec<String> = store
            .outputs()
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.name)
            .collect();
        assert_eq!(names, ["audit", "new", "ops"]);

        let deleted = store.delete_output("ops").await.unwrap().unwrap();
        assert_eq!(deleted.name, "ops");
        assert_eq!(store.delete_output("ops").await.unwrap(), None);
        assert_eq!(store.output("ops").await.unwrap(), None);
    }
}
