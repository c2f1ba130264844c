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
/// Ended scan jobs are kept this long (for `/api/v1/scan_jobs`), then deleted hourly.
const KEEP_JOBS: Duration = Duration::from_secs(7 * 86_400);
const CLEANUP_EVERY: Duration = Duration::from_secs(3600);

pub async fn run(state: Arc<AppState>) {
    tokio::spawn(forget_finished_jobs(Arc::clone(&state)));
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

/// Deletes scan jobs that ended over [`KEEP_JOBS`] ago, hourly.
async fn forget_finished_jobs(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(CLEANUP_EVERY);
    loop {
        tick.tick().await;
        let before = OffsetDateTime::now_utc() - KEEP_JOBS;
        match state.store.delete_finished_jobs(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "deleted scan jobs that ended a week ago"),
            Err(e) => tracing::error!(error = %chain(&e), "cannot delete old scan jobs"),
        }
    }
}
