//! The background task that runs Harbor's scan requests: at most `scan_workers` at once,
//! oldest first, each pulled and scanned like a registry job ([`scan_pulled`]) and recorded
//! done or failed. Requests a stopped server left running run again after a start; finished
//! ones are deleted after a week.

use std::sync::Arc;
use std::time::Duration;

use kabuto_scan::Cancel;
use kabuto_store::HarborScanRow;
use time::OffsetDateTime;
use tokio::sync::Semaphore;

use crate::error::{ApiResult, chain};
use crate::registries::schedule::{KEEP_FINISHED, forget_hourly};
use crate::registries::worker::{Pull, scan_pulled};
use crate::state::AppState;

/// How often the runner looks for requests besides being woken (another server's, resumed).
const IDLE_POLL: Duration = Duration::from_secs(2);

/// Runs until the process ends.
pub async fn run(state: Arc<AppState>) {
    match state.store.resume_harbor_scans().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(requests = n, "resuming Harbor scans left running"),
        Err(e) => tracing::error!(error = %chain(&e), "cannot resume Harbor scans"),
    }
    let requests = Arc::clone(&state);
    tokio::spawn(forget_hourly(
        "Harbor scan requests",
        KEEP_FINISHED,
        move |before| {
            let requests = Arc::clone(&requests);
            async move { requests.store.delete_finished_harbor_scans(before).await }
        },
    ));
    let running = Arc::new(Semaphore::new(state.scan_workers));
    loop {
        let Ok(permit) = Arc::clone(&running).acquire_owned().await else {
            return;
        };
        match state.store.take_harbor_scan().await {
            Ok(Some(row)) => {
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    run_one(&state, row).await;
                    drop(permit);
                });
            }
            Ok(None) => {
                drop(permit);
                tokio::select! {
                    () = state.harbor_ready.notified() => {}
                    () = tokio::time::sleep(IDLE_POLL) => {}
                }
            }
            Err(e) => {
                drop(permit);
                tracing::error!(error = %chain(&e), "cannot take a Harbor scan");
                tokio::time::sleep(IDLE_POLL).await;
            }
        }
    }
}

async fn run_one(state: &AppState, row: HarborScanRow) {
    let error = scan(state, &row).await.err().map(|e| e.message);
    if let Some(error) = &error {
        tracing::warn!(id = %row.id, registry = %row.registry, repository = %row.repository, error, "Harbor scan failed");
    }
    let finished = state
        .store
        .finish_harbor_scan(&row.id, error.as_deref(), OffsetDateTime::now_utc())
        .await;
    if let Err(e) = finished {
        tracing::error!(error = %chain(&e), id = %row.id, "cannot record a Harbor scan's end");
    }
}

/// Pulls and scans the request's artifact, registered under the image Harbor names.
async fn scan(state: &AppState, row: &HarborScanRow) -> ApiResult<()> {
    let (_, order) = super::open(&state.sealing, row)?;
    let pull = Pull {
        target: order.target(),
        access: order.access(),
        key: order.key(),
        max_age: None,
    };
    scan_pulled(state, pull, &Cancel::new()).await?;
    Ok(())
}
