//! Scan workers: each claims a queued job (with a lease it renews while scanning, so a job
//! whose worker died is claimed again), scans the image straight from its registry with the
//! engine (layers are streamed, nothing is kept on disk; [`scan_pulled`], which Harbor's
//! scan requests run too), and ingests the report as an upload would be. A failed attempt is retried with backoff; a cancelled job stops at the
//! next heartbeat.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kabuto_report::{Format, RenderOptions};
use kabuto_scan::{Cancel, NoProgress, RegistryAccess, ScanPlan, Target};
use kabuto_store::{ImageKey, Job, JobOutcome, backoff};
use kabuto_types::Digest;
use time::OffsetDateTime;

use super::{access, split_platform_tag};
use crate::error::{ApiError, ApiResult, chain};
use crate::extract::Caller;
use crate::routes::images::ingest;
use crate::state::AppState;

/// A worker holds a job this long without a heartbeat before another may take it.
const LEASE: Duration = Duration::from_secs(60);
const HEARTBEAT: Duration = Duration::from_secs(15);
/// How often an idle worker looks for jobs besides being woken (retries come due).
const IDLE_POLL: Duration = Duration::from_secs(2);
/// Scans started per registry are at least this far apart (at most 40 a second), so a pull of
/// many new tags does not open every worker's connections to one registry at the same moment.
pub const REGISTRY_SPACING: Duration = Duration::from_millis(25);

/// Starts the workers; they run until the process ends.
pub fn start(state: &Arc<AppState>) {
    let spacing = Arc::new(Spacing::default());
    for n in 0..state.scan_workers {
        let worker = format!(
            "{}-{}-{n}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        );
        tokio::spawn(work(Arc::clone(state), worker, Arc::clone(&spacing)));
    }
}

async fn work(state: Arc<AppState>, worker: String, spacing: Arc<Spacing>) {
    loop {
        match state
            .store
            .take_job(&worker, LEASE, OffsetDateTime::now_utc())
            .await
        {
            Ok(Some(job)) => {
                spacing.wait(&job.image.registry).await;
                run(&state, &worker, job).await;
            }
            Ok(None) => {
                tokio::select! {
                    () = state.jobs_ready.notified() => {}
                    () = tokio::time::sleep(IDLE_POLL) => {}
                }
            }
            Err(e) => {
                tracing::error!(error = %chain(&e), "cannot take a scan job");
                tokio::time::sleep(IDLE_POLL).await;
            }
        }
    }
}

/// Scan starts per registry, spaced by [`REGISTRY_SPACING`].
#[derive(Default)]
struct Spacing(Mutex<HashMap<String, Instant>>);

impl Spacing {
    async fn wait(&self, registry: &str) {
        let delay = {
            let Ok(mut next) = self.0.lock() else { return };
            let now = Instant::now();
            let start = next
                .get(registry)
                .copied()
                .filter(|t| *t > now)
                .unwrap_or(now);
            next.insert(registry.to_owned(), start + REGISTRY_SPACING);
            start - now
        };
        tokio::time::sleep(delay).await;
    }
}

/// How an attempt ended, before it is recorded.
enum Attempt {
    Scanned(Digest),
    Cancelled,
    Failed(String),
}

async fn run(state: &Arc<AppState>, worker: &str, job: Job) {
    let cancel = Cancel::new();
    let heartbeat = tokio::spawn(keep_lease(
        Arc::clone(state),
        job.clone(),
        worker.to_owned(),
        cancel.clone(),
    ));
    let attempt = match scan(state, &job, &cancel).await {
        Ok(_) if cancel.is_cancelled() => Attempt::Cancelled,
        Ok(digest) => Attempt::Scanned(digest),
        Err(_) if cancel.is_cancelled() => Attempt::Cancelled,
        Err(e) => Attempt::Failed(e.message),
    };
    heartbeat.abort();
    let now = OffsetDateTime::now_utc();
    let outcome = match &attempt {
        Attempt::Scanned(digest) => JobOutcome::Done {
            digest: digest.clone(),
        },
        Attempt::Cancelled => JobOutcome::Cancelled,
        Attempt::Failed(error) => JobOutcome::Failed {
            error: error.clone(),
            retry_at: Some(now + backoff(job.attempts)),
        },
    };
    state.metrics.registry_scans.inc();
    match state.store.finish_job(job.id, worker, &outcome, now).await {
        Ok(Some(kabuto_store::JobState::Failed)) => {
            if let Attempt::Failed(error) = &attempt {
                tracing::warn!(job = %job.id, image = %job.image, error, "scan job failed for good");
                let digest = job.digest.as_ref().map(Digest::as_str);
                crate::notifications::scan_failed(state, &job.image, digest, error).await;
            }
        }
        Ok(_) => {}
        Err(e) => {
            tracing::error!(error = %chain(&e), job = %job.id, "cannot record a scan job's end")
        }
    }
}

/// Renews the lease while the scan runs; a job cancelled (or taken over) meanwhile stops it.
async fn keep_lease(state: Arc<AppState>, job: Job, worker: String, cancel: Cancel) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    tick.tick().await;
    loop {
        tick.tick().await;
        match state
            .store
            .heartbeat(job.id, &worker, LEASE, OffsetDateTime::now_utc())
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                cancel.cancel();
                return;
            }
            Err(e) => {
                tracing::warn!(error = %chain(&e), job = %job.id, "cannot renew a job's lease")
            }
        }
    }
}

/// Scans the job's image and ingests it; the manifest digest scanned.
async fn scan(state: &Arc<AppState>, job: &Job, cancel: &Cancel) -> ApiResult<Digest> {
    let (row, integration) = super::for_host(state, &job.image.registry)
        .await?
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "no registry integration for {} (deleted since the job was queued?)",
                job.image.registry
            ))
        })?;
    let mut access = access(&state.sealing, &row, &integration)?;
    let (tag, platform) = split_platform_tag(&integration, &job.image.tag);
    access.options.platform = Some(platform);
    let target = match &job.digest {
        Some(digest) => format!("{}/{}@{digest}", job.image.registry, job.image.repository),
        None => format!("{}/{}:{tag}", job.image.registry, job.image.repository),
    };
    let pull = Pull {
        target,
        access,
        key: job.image.clone(),
        max_age: integration.max_age,
    };
    let digest = scan_pulled(state, pull, cancel).await?;
    digest.or_else(|| job.digest.clone()).ok_or_else(|| {
        ApiError::bad_request(format!("{}: the image has no manifest digest", job.image))
    })
}

/// An image to pull from its registry, and the name it is registered under.
pub struct Pull {
    /// `host/repository@digest` or `host/repository:tag`.
    pub target: String,
    pub access: RegistryAccess,
    pub key: ImageKey,
    /// Not registered when the image is older than this.
    pub max_age: Option<Duration>,
}

/// Scans an image straight from its registry with the server's scan engine (layers are
/// streamed, nothing is kept on disk) and ingests the report as an upload under `pull.key`:
/// what the registry workers and Harbor's scan requests do. The manifest digest scanned.
pub async fn scan_pulled(
    state: &AppState,
    pull: Pull,
    cancel: &Cancel,
) -> ApiResult<Option<Digest>> {
    let (engine, _) = state
        .vulndb
        .engine()
        .ok_or_else(crate::routes::images::no_database)?;
    let plan = ScanPlan {
        scanners: crate::state::pulled_scanners(),
        registry: pull.access,
        allow_incomplete: true,
        ..ScanPlan::default()
    };
    let cancel = cancel.clone();
    let (target, max_age) = (pull.target, pull.max_age);
    let scanned = tokio::task::spawn_blocking(move || {
        let result = engine
            .scan(&Target::Image(target.clone()), &plan, &NoProgress, &cancel)
            .map_err(|e| ApiError::bad_request(format!("{target}: {}", chain(&e))))?;
        let digest = result
            .inventory
            .image
            .as_ref()
            .and_then(|image| image.manifest_digest.clone());
        if let Some(age) = too_old(&result, max_age) {
            return Ok((digest, None, Some(age)));
        }
        let mut report = Vec::new();
        kabuto_report::render_report(
            Format::Json,
            &result.report(),
            &RenderOptions::new(),
            &mut report,
        )
        .map_err(|e| ApiError::internal("rendering a registry scan", &e))?;
        Ok::<_, ApiError>((digest, Some(report), None))
    })
    .await
    .map_err(|e| ApiError::internal("the scan task", &e))??;
    let (digest, report, age) = scanned;
    match report {
        Some(report) => {
            ingest(state, &server_caller(), Some(pull.key), &report, true).await?;
            crate::evaluate::release_freed_memory();
        }
        None => {
            tracing::info!(image = %pull.key, age = ?age, "not registered: older than the integration's pull_image_age")
        }
    }
    Ok(digest)
}

/// The image's age when it is older than `max_age`.
fn too_old(result: &kabuto_scan::ScanResult, max_age: Option<Duration>) -> Option<Duration> {
    let max_age = max_age?;
    let created = result.inventory.image.as_ref()?.created.as_ref()?.at();
    let age = OffsetDateTime::now_utc() - created;
    let age = Duration::try_from(age).ok()?;
    (age > max_age).then_some(age)
}

/// A tag that moved to a digest the server scanned before: registered with that stored scan
/// (judged now), without pulling.
pub async fn point_at_stored_scan(
    state: &Arc<AppState>,
    key: &ImageKey,
    digest: &Digest,
) -> ApiResult<()> {
    let current = state.store.image(key).await?;
    if current.as_ref().and_then(|image| image.digest.as_deref()) == Some(digest.as_str()) {
        return Ok(());
    }
    let Some(scan_id) = state
        .store
        .images_by_digest(digest.as_str())
        .await?
        .into_iter()
        .find_map(|image| image.scan_id)
    else {
        return Ok(());
    };
    let report = state.store.scan_report(scan_id).await?;
    ingest(state, &server_caller(), Some(key.clone()), &report, true).await?;
    Ok(())
}

/// The user name the server's own registrations are recorded under.
const SERVER_ACTOR: &str = "kabuto";

/// The server itself, as the actor of what its workers register.
fn server_caller() -> Caller {
    Caller {
        user: kabuto_auth::UserId::try_from(SERVER_ACTOR.to_owned())
            .unwrap_or_else(|_| kabuto_auth::UserId::administrator()),
        role: kabuto_auth::Role::Scanner,
        credential: crate::extract::Credential::Server,
        source: std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
    }
}
