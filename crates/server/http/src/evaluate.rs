//! The server's judgement of a stored scan: the scan's inventory matched against the
//! server's database, then the server's policies and acknowledgements. The same code serves
//! an upload and the background re-evaluation of every stored image (after a database,
//! policy or acknowledgement change, and hourly so expired acknowledgements stop applying).

use std::sync::Arc;

use rayon::prelude::*;
use std::time::Duration;

use kabuto_api::server::{PolicyPreview, PreviewImage, Reevaluation};
use kabuto_policy::{AcknowledgementRule, Acknowledgements, DateValue, Pattern, PolicySet};
use kabuto_report::{Format, RenderOptions};
use kabuto_scan::{Engine, ScanPlan, ScanResult, Scanners, StoredScan};
use kabuto_store::{
    AckRow, Evaluation, ImageKey, ImageRow, SeverityCountsRow, Store, VulnerabilityRow,
};
use kabuto_types::{AckState, Finding, FixStatus, Severity};
use time::OffsetDateTime;
use time::macros::date;

use crate::error::{ApiError, ApiResult, chain};
use crate::state::AppState;

/// The policy kind image assurance policies are stored under.
pub const IMAGE_POLICIES: &str = "image";

/// The server's policies and acknowledgements at one moment.
pub struct Judge {
    pub policies: Option<PolicySet>,
    pub acknowledgements: Acknowledgements,
    pub now: OffsetDateTime,
}

impl Judge {
    pub async fn load(store: &Store) -> ApiResult<Judge> {
        let mut policies: Option<PolicySet> = None;
        for row in store.policies(IMAGE_POLICIES).await? {
            let origin = format!("stored policy {}", row.name);
            let set = PolicySet::parse(&row.document, &origin)
                .map_err(|e| ApiError::internal("reading a stored policy", &e))?;
            match &mut policies {
                Some(all) => all
                    .merge(set, &origin)
                    .map_err(|e| ApiError::internal("merging stored policies", &e))?,
                None => policies = Some(set),
            }
        }
        let rules = store.acks().await?.iter().filter_map(ack_rule).collect();
        Ok(Judge {
            policies,
            acknowledgements: Acknowledgements::from_list(rules),
            now: OffsetDateTime::now_utc(),
        })
    }

    fn plan(&self, stored: &StoredScan) -> ScanPlan {
        ScanPlan {
            scanners: Scanners {
                vuln: true,
                secret: stored.secrets.is_some(),
                misconfig: stored.misconfigs.is_some(),
                malware: stored.malware.is_some(),
            },
            policies: self.policies.clone(),
            acknowledgements: self.acknowledgements.clone(),
            now: Some(self.now),
            allow_incomplete: true,
            ..ScanPlan::default()
        }
    }
}

/// An acknowledgement as the policy engine applies it; `None` for one it cannot (an
/// image pattern that does not compile, which the API refuses on the way in).
fn ack_rule(row: &AckRow) -> Option<AcknowledgementRule> {
    let key = &row.ack.key;
    let image_pattern = match (key.registry_name.as_str(), key.image_name.as_str()) {
        ("", "") => None,
        ("", image) => Some(image.to_owned()),
        (registry, "") => Some(format!("{registry}/*")),
        (registry, image) => Some(format!("{registry}/{image}")),
    };
    let images = match image_pattern {
        Some(text) => vec![Pattern::new(&text).ok()?],
        None => Vec::new(),
    };
    // Without an expiry an acknowledgement holds until removed.
    let expires = row
        .ack
        .expires_at
        .map_or(date!(9999 - 12 - 31), OffsetDateTime::date);
    Some(AcknowledgementRule {
        id: key.issue_name.clone(),
        package: (!key.resource_name.is_empty()).then(|| key.resource_name.clone()),
        images,
        by: row.ack.author.clone(),
        reason: row.ack.comment.clone(),
        expires: DateValue(expires),
        state: wire_enum::<AckState>(&row.ack.state),
        justification: row.ack.justification.as_deref().and_then(wire_enum),
    })
}

/// A stored enum value (`not_affected`) back as its type; `None` for text it does not name.
pub fn wire_enum<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

/// A scan as stored (`scan_id`'s report) judged for the image `key`. Blocking.
pub fn judge_stored(
    engine: &Engine,
    judge_now: &Judge,
    report: &[u8],
    scan_id: i64,
    key: &ImageKey,
) -> ApiResult<ScanResult> {
    let stored = StoredScan::from_json(report, &format!("stored scan {scan_id}"))
        .map_err(|e| ApiError::internal("reading a stored scan", &e))?;
    judge(engine, judge_now, stored, key)
}

/// Judges a stored scan for the image `key`. Blocking (matching is CPU work).
pub fn judge(
    engine: &Engine,
    judge: &Judge,
    mut stored: StoredScan,
    key: &ImageKey,
) -> ApiResult<ScanResult> {
    // Policies scope by image name and acknowledgements name images: judge the scan under
    // the name the server registered it by.
    stored.inventory.artifact.name = key.to_string();
    let plan = judge.plan(&stored);
    engine
        .reevaluate(stored, &plan)
        .map_err(|e| ApiError::internal("evaluating the scan", &e))
}

/// A judged scan as the store keeps it. The stored report leaves the policies out (the
/// verdict is in `checks`), so a policy change does not rewrite it: `previous` is the image's
/// stored state, and when its vulnerabilities and database are the same the report is kept.
pub fn evaluation(
    result: &ScanResult,
    db_version: &str,
    now: OffsetDateTime,
    previous: Option<&ImageRow>,
) -> ApiResult<Evaluation> {
    let verdict = result.gate_verdict();
    let counts = verdict.vulnerability_counts;
    let checks = serde_json::to_string(&verdict.assurance_checks_performed)
        .map_err(|e| ApiError::internal("encoding assurance checks", &e))?;
    let acknowledged: std::collections::HashSet<_> = result
        .acknowledgements
        .iter()
        .map(|a| (a.vulnerability.as_str().to_owned(), a.package_purl.clone()))
        .collect();
    let vulnerabilities: Vec<VulnerabilityRow> = result
        .vulnerabilities
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|f| {
            let acked =
                acknowledged.contains(&(f.id.as_str().to_owned(), Some(f.package_purl.clone())));
            vulnerability_row(f, acked)
        })
        .collect();
    let unchanged = previous.is_some_and(|image| {
        image.db_version.as_deref() == Some(db_version)
            && image.vulnerabilities_digest.as_deref()
                == Some(kabuto_store::vulnerabilities_digest(&vulnerabilities).as_str())
    });
    let rendered = if unchanged {
        None
    } else {
        let mut out = Vec::new();
        let report = result.report().with_policies(&[]);
        kabuto_report::render_report(Format::Json, &report, &RenderOptions::new(), &mut out)
            .map_err(|e| ApiError::internal("rendering the evaluated report", &e))?;
        Some(out)
    };
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    Ok(Evaluation {
        evaluated_at: now,
        db_version: Some(db_version.to_owned()),
        os: result
            .inventory
            .os
            .as_ref()
            .map(|os| format!("{} {}", os.family, os.version)),
        packages: count(result.inventory.packages.len()),
        disallowed: verdict.disallowed,
        counts: SeverityCountsRow {
            critical: count(counts.critical),
            high: count(counts.high),
            medium: count(counts.medium),
            low: count(counts.low),
            negligible: count(counts.negligible),
            unknown: count(counts.unknown),
        },
        checks,
        result: rendered,
        vulnerabilities,
    })
}

fn vulnerability_row(f: &Finding, acknowledged: bool) -> VulnerabilityRow {
    VulnerabilityRow {
        issue_name: f.id.as_str().to_owned(),
        severity: severity_name(f.severity).to_owned(),
        severity_rank: severity_rank(f.severity),
        score: f.cvss.iter().filter_map(|c| c.score).reduce(f64::max),
        resource_type: f.ecosystem.purl_type().to_owned(),
        resource_name: f.package_name.clone(),
        resource_version: f.installed_version.clone(),
        fix_version: (f.status == FixStatus::Fixed)
            .then(|| f.fixed_versions.first().cloned())
            .flatten(),
        acknowledged,
    }
}

/// Severity names as the API filters by them (Aqua's, with `negligible` for CVSS none).
pub fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::None => "negligible",
        Severity::Unknown => "unknown",
    }
}

fn severity_rank(severity: Severity) -> i64 {
    match severity {
        Severity::Critical => 5,
        Severity::High => 4,
        Severity::Medium => 3,
        Severity::Low => 2,
        Severity::None | Severity::Unknown => 1,
    }
}

/// How often stored images are evaluated again even when nothing was changed through the
/// API: acknowledgements expire and the database file may be replaced underneath.
const PERIODIC: Duration = Duration::from_secs(3600);
/// How often the database file is checked for a newer build.
const DB_CHECK: Duration = Duration::from_secs(30);

/// The background job: waits for a trigger (or the hourly tick), then evaluates every
/// stored image again. Reads are never blocked: each image is one short write.
pub async fn reevaluation_job(state: Arc<AppState>) {
    // The first hourly pass is an hour after start: startup evaluates when the database loads.
    let mut periodic = tokio::time::interval_at(tokio::time::Instant::now() + PERIODIC, PERIODIC);
    let mut db_check = tokio::time::interval(DB_CHECK);
    loop {
        tokio::select! {
            _ = state.reevaluate.notified() => {}
            _ = periodic.tick() => {
                // The trend gets its point even while no database is loaded to re-evaluate with.
                crate::routes::dashboard::record_today(&state.store).await;
                state.request_reevaluation("hourly check");
            }
            _ = db_check.tick() => {
                reload_database(&state).await;
                continue;
            }
        }
        let reason = state
            .reevaluate_reason
            .lock()
            .ok()
            .and_then(|mut r| r.take());
        if let Some(reason) = reason {
            reevaluate_all(&state, &reason).await;
        }
    }
}

/// Loads the database file when it changed; a new one re-evaluates every image.
pub async fn reload_database(state: &Arc<AppState>) {
    let shared = Arc::clone(state);
    let reloaded = tokio::task::spawn_blocking(move || shared.vulndb.reload_if_changed()).await;
    match reloaded {
        Ok(Ok(true)) => {
            let built = state.vulndb.status(None).built_at.unwrap_or_default();
            tracing::info!(built_at = %built, "vulnerability database loaded");
            state.request_reevaluation(format!("vulnerability database built {built} loaded"));
        }
        Ok(Ok(false)) => {}
        Ok(Err(e)) => tracing::error!(error = %chain(&e), "cannot load the vulnerability database"),
        Err(e) => tracing::error!(error = %e, "database load task failed"),
    }
}

/// Images judged per batch: judged in parallel, written in one transaction.
const BATCH: usize = 64;

/// Evaluates every scanned image again and records which verdicts changed.
pub async fn reevaluate_all(state: &Arc<AppState>, reason: &str) {
    let Some((engine, db_version)) = state.vulndb.engine() else {
        return;
    };
    let started = OffsetDateTime::now_utc();
    let mut run = Reevaluation {
        reason: reason.to_owned(),
        started: crate::routes::rfc3339(started),
        finished: None,
        images: 0,
        changed: Vec::new(),
        failed: 0,
    };
    let (images, judge_now) = match (
        state.store.scanned_images().await,
        Judge::load(&state.store).await,
    ) {
        (Ok(images), Ok(judge)) => (images, Arc::new(judge)),
        _ => {
            tracing::error!("re-evaluation could not read the store");
            return;
        }
    };
    for batch in images.chunks(BATCH) {
        match reevaluate_batch(state, &engine, &judge_now, &db_version, batch).await {
            Ok(changed) => {
                run.images += batch.len();
                for image in changed {
                    run.changed.push(image.key.to_string());
                    audit_change(state, image, reason).await;
                }
            }
            Err(e) => {
                run.failed += batch.len();
                tracing::error!(error = %e.message, "re-evaluation of a batch failed");
            }
        }
    }
    release_freed_memory();
    state.bump_generation();
    crate::routes::dashboard::record_today(&state.store).await;
    run.finished = Some(crate::routes::rfc3339(OffsetDateTime::now_utc()));
    tracing::info!(
        images = run.images,
        changed = run.changed.len(),
        reason,
        "re-evaluation done"
    );
    if let Ok(mut last) = state.last_reevaluation.lock() {
        *last = Some(run);
    }
}

/// Re-evaluates a batch of images; the ones whose `disallowed` changed.
async fn reevaluate_batch<'i>(
    state: &Arc<AppState>,
    engine: &Arc<Engine>,
    judge_now: &Arc<Judge>,
    db_version: &str,
    batch: &'i [ImageRow],
) -> ApiResult<Vec<&'i ImageRow>> {
    let (db_version, now) = (db_version.to_owned(), judge_now.now);
    let evaluations = judge_images(
        &state.store,
        engine,
        judge_now,
        batch,
        move |image, result| {
            Ok((
                image.id,
                evaluation(&result, &db_version, now, Some(image))?,
            ))
        },
    )
    .await?;
    let priors = state.store.set_evaluations(&evaluations).await?;
    crate::notifications::reevaluated(state, batch, &evaluations, &priors).await;
    state
        .metrics
        .images_reevaluated
        .inc_by(evaluations.len() as u64);
    Ok(batch
        .iter()
        .filter(|image| {
            evaluations
                .iter()
                .any(|(id, e)| *id == image.id && e.disallowed != image.disallowed)
        })
        .collect())
}

/// Judges the scanned images of `batch` in parallel on the blocking pool (their reports
/// read first), each result turned into a `T` by `map` there.
async fn judge_images<T, F>(
    store: &Store,
    engine: &Arc<Engine>,
    judge_now: &Arc<Judge>,
    batch: &[ImageRow],
    map: F,
) -> ApiResult<Vec<T>>
where
    T: Send + 'static,
    F: Fn(&ImageRow, ScanResult) -> ApiResult<T> + Send + Sync + 'static,
{
    let mut work = Vec::with_capacity(batch.len());
    for image in batch {
        if let Some(scan_id) = image.scan_id {
            work.push((image.clone(), scan_id, store.scan_report(scan_id).await?));
        }
    }
    let (engine, judge_now) = (Arc::clone(engine), Arc::clone(judge_now));
    tokio::task::spawn_blocking(move || {
        work.into_par_iter()
            .map(|(image, scan_id, report)| {
                let result = judge_stored(&engine, &judge_now, &report, scan_id, &image.key)?;
                map(&image, result)
            })
            .collect::<ApiResult<Vec<_>>>()
    })
    .await
    .map_err(|e| ApiError::internal("the evaluation task", &e))?
}

/// Scanned images a policy preview judges at most, newest scans first.
pub const PREVIEW_LIMIT: i64 = 2000;

/// What `policy` (named `name`), as the only policy, would fail among the stored images
/// (the newest [`PREVIEW_LIMIT`] scans); acknowledgements apply. One preview at a time.
pub async fn preview(state: &AppState, policy: PolicySet, name: &str) -> ApiResult<PolicyPreview> {
    let _turn = state
        .previews
        .acquire()
        .await
        .map_err(|e| ApiError::internal("waiting for a policy preview", &e))?;
    let (engine, _) = state
        .vulndb
        .engine()
        .ok_or_else(crate::routes::images::no_database)?;
    let mut judge_now = Judge::load(&state.store).await?;
    judge_now.policies = Some(policy);
    let judge_now = Arc::new(judge_now);
    let (images, scanned) = state.store.newest_scanned_images(PREVIEW_LIMIT).await?;
    let mut would_fail = Vec::new();
    for batch in images.chunks(BATCH) {
        let judged = judge_images(&state.store, &engine, &judge_now, batch, |image, result| {
            Ok(failed_image(image, &result))
        })
        .await?;
        would_fail.extend(judged.into_iter().flatten());
    }
    release_freed_memory();
    let evaluated = i64::try_from(images.len()).unwrap_or(i64::MAX);
    Ok(PolicyPreview {
        policy: name.to_owned(),
        evaluated,
        skipped: (scanned - evaluated).max(0),
        would_fail,
    })
}

/// The image with the controls its judgement failed; `None` when it failed none.
fn failed_image(image: &ImageRow, result: &ScanResult) -> Option<PreviewImage> {
    let failed_controls: Vec<_> = result
        .gate_verdict()
        .assurance_checks_performed
        .into_iter()
        .filter(|check| check.failed)
        .collect();
    (!failed_controls.is_empty()).then(|| PreviewImage {
        registry: image.key.registry.clone(),
        name: format!("{}:{}", image.key.repository, image.key.tag),
        failed_controls,
        disallowed_now: image.disallowed,
    })
}

async fn audit_change(state: &AppState, image: &ImageRow, reason: &str) {
    let now_disallowed = !image.disallowed;
    let event = kabuto_store::AuditEvent {
        at: OffsetDateTime::now_utc(),
        actor: "kabuto".into(),
        credential: "none".into(),
        source: "server".into(),
        action: "image.verdict_changed".into(),
        target: image.key.to_string(),
        outcome: if now_disallowed {
            "disallowed"
        } else {
            "allowed"
        }
        .into(),
        detail: serde_json::json!({ "reason": reason, "disallowed": now_disallowed }).to_string(),
    };
    if let Err(e) = state.store.append_audit(&event).await {
        tracing::error!(error = %chain(&e), "cannot record a verdict change");
    }
}

/// Gives memory freed by a large piece of work back to the system. glibc keeps freed memory
/// in per-thread arenas; after a parallel re-evaluation of 10,000 images that was over
/// 100 MB the process never used again.
pub fn release_freed_memory() {
    #[cfg(target_env = "gnu")]
    #[allow(unsafe_code, reason = "one call into glibc")]
    // SAFETY: malloc_trim takes no pointers and only walks glibc's own heap structures under
    // their locks; glibc documents it as callable at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
