//! The pull schedule: every integration with `auto_pull` is pulled when its interval has
//! passed since its last pull (at once when it was never pulled). One pull per integration
//! at a time.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kabuto_api::server::PullStatus;
use kabuto_store::{JobReason, RegistryRow};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Integration, from_row};
use crate::error::chain;
use crate::state::AppState;

/// How often the schedule looks for integrations that are due.
const TICK: Duration = Duration::from_secs(1);
/// Ended scan jobs and Harbor requests are kept this long (for `/api/v1/scan_jobs`, and for
/// Harbor to fetch reports), then deleted hourly.
pub const KEEP_FINISHED: Duration = Duration::from_secs(7 * 86_400);
const CLEANUP_EVERY: Duration = Duration::from_secs(3600);

pub async fn run(state: Arc<AppState>) {
    let jobs = Arc::clone(&state);
    tokio::spawn(forget_hourly("scan jobs", KEEP_FINISHED, move |before| {
        let jobs = Arc::clone(&jobs);
        async move { jobs.store.delete_finished_jobs(before).await }
    }));
    let running: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let rows = match state.store.registries().await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::error!(error = %chain(&e), "cannot read the registry integrations");
                continue;
            }
        };
        let now = OffsetDateTime::now_utc();
        for row in rows {
            let Ok(integration) = from_row(&row) else {
                continue;
            };
            if !integration.wire.auto_pull || !due(&row, &integration, now) {
                continue;
            }
            if let Ok(mut running) = running.lock()
                && !running.insert(row.name.clone())
            {
                continue;
            }
            let (state, running) = (Arc::clone(&state), Arc::clone(&running));
            tokio::spawn(async move {
                if let Err(e) = super::pull::pull(&state, &row, JobReason::Poll, None).await {
                    tracing::error!(registry = %row.name, error = %e.message, "scheduled pull failed");
                }
                if let Ok(mut running) = running.lock() {
                    running.remove(&row.name);
                }
            });
        }
    }
}

/// The interval has passed since the last pull (or there was none).
fn due(row: &RegistryRow, integration: &Integration, now: OffsetDateTime) -> bool {
    let last = row
        .last_pull
        .as_deref()
        .and_then(|text| serde_json::from_str::<PullStatus>(text).ok())
        .and_then(|status| OffsetDateTime::parse(&status.at, &Rfc3339).ok());
    last.is_none_or(|at| now - at >= integration.interval)
}

/// Deletes, hourly, the `what` that ended over `keep` ago: `delete(before)` deletes those
/// ended before that time and answers how many. Scan jobs and Harbor requests use it.
pub async fn forget_hourly<F, Fut>(what: &'static str, keep: Duration, delete: F)
where
    F: Fn(OffsetDateTime) -> Fut,
    Fut: std::future::Future<Output = kabuto_store::Result<u64>>,
{
    let mut tick = tokio::time::interval(CLEANUP_EVERY);
    loop {
        tick.tick().await;
        match delete(OffsetDateTime::now_utc() - keep).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, what, "deleted records that ended long ago"),
            Err(e) => {
                tracing::error!(error = %chain(&e), what, "cannot delete records that ended long ago")
            }
        }
    }
}
