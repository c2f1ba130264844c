//! Notifications: the events a stored scan, a re-evaluation or a failed scan causes, the
//! outbox rows they become (one per enabled output subscribed to the event's trigger), and the
//! background delivery of those rows.
//!
//! ```text
//! store_scan / reevaluate_batch ─> scan_stored / reevaluated ─┐
//! registry scan worker ─> scan_failed ────────────────────────┴> events ─> outbox (one row per output)
//! delivery_loop: take (lease) ─> open the sealed output ─> Notifier::deliver (blocking thread)
//!                ─> delivered | retry at now + backoff(attempts) | dead letter
//! ```
//!
//! What is new is decided against the image's evaluation the store replaced, read in the same
//! transaction ([`PriorEvaluation`]): a vulnerability is new when the image did not have it
//! (the same id in the same package) at that severity or worse before, acknowledged or not; an
//! image becomes non-compliant when `disallowed` turns true (a first evaluation counts).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use kabuto_api::AssuranceCheck;
use kabuto_notify::{DeliveryOptions, Event, Notifier, Output, Trigger};
use kabuto_store::{
    Evaluation, ImageKey, ImageRow, NewNotification, Notification, OutputRow, PriorEvaluation,
    VulnerabilityRow, backoff,
};
use kabuto_types::Severity;
use serde_json::json;
use time::OffsetDateTime;

use crate::error::chain;
use crate::evaluate::severity_name;
use crate::state::AppState;

/// Deliveries of one notification before it becomes a dead letter: with the store's backoff
/// (30 s doubling, at most an hour) the last is about three hours after the first.
pub const MAX_ATTEMPTS: i64 = 10;
/// How long a taken notification is ours: above the notifier's connect, write and read
/// timeouts together (15 s each). A delivery cut short by a stop is retried when the lease
/// runs out, so it is kept no longer than needed (at 120 s a restart during a delivery
/// delayed it past the restart test's two minutes).
const LEASE: Duration = Duration::from_secs(60);
/// How often the outbox is looked at without a wake-up (retries come due, other servers
/// sharing the store enqueue).
const POLL: Duration = Duration::from_secs(5);
/// Vulnerabilities listed in an event's `details`; the rest are counted in `more`.
const LISTED: usize = 20;
/// Names in an event's one-line summary.
const SUMMARIZED: usize = 5;

/// The sealing context of an output's document: a document copied onto another output's row
/// does not open there.
pub fn sealing_context(name: &str) -> String {
    format!("output:{name}")
}

/// After an upload stored a scan of `image`: new critical and high vulnerabilities, and the
/// image turning non-compliant. Failures are logged; the upload has succeeded.
pub async fn scan_stored(
    state: &AppState,
    image: &ImageKey,
    digest: &str,
    prior: &PriorEvaluation,
    now: &Evaluation,
) {
    let events = events(image, Some(digest), prior, now, OffsetDateTime::now_utc());
    enqueue(state, events).await;
}

/// After a batch of the re-evaluation was stored: `evaluations` and `priors` in the batch's
/// order, `images` as they were before.
pub async fn reevaluated(
    state: &AppState,
    images: &[ImageRow],
    evaluations: &[(i64, Evaluation)],
    priors: &[PriorEvaluation],
) {
    let at = OffsetDateTime::now_utc();
    let events = evaluations
        .iter()
        .zip(priors)
        .filter_map(|((id, evaluation), prior)| {
            let image = images.iter().find(|image| image.id == *id)?;
            Some(events(
                &image.key,
                image.digest.as_deref(),
                prior,
                evaluation,
                at,
            ))
        })
        .flatten()
        .collect();
    enqueue(state, events).await;
}

/// A scan of `image` failed (a pull, an unreadable image): one `scan_failed` event with the
/// error. The registry scan workers send it when a job fails for good.
pub async fn scan_failed(state: &AppState, image: &ImageKey, digest: Option<&str>, error: &str) {
    let event = Event {
        trigger: Trigger::ScanFailed,
        image: image.to_string(),
        digest: digest.map(str::to_owned),
        summary: format!("Scan failed: {}", one_line(error)),
        details: json!({ "error": error }),
        time: OffsetDateTime::now_utc(),
    };
    enqueue(state, vec![event]).await;
}

/// The events of one image's new evaluation against the one it replaced.
fn events(
    image: &ImageKey,
    digest: Option<&str>,
    prior: &PriorEvaluation,
    now: &Evaluation,
    at: OffsetDateTime,
) -> Vec<Event> {
    let event = |trigger, summary, details| Event {
        trigger,
        image: image.to_string(),
        digest: digest.map(str::to_owned),
        summary,
        details,
        time: at,
    };
    let mut events = Vec::new();
    if let Some(before) = &prior.serious {
        for (trigger, severity, worse_or_same) in [
            (
                Trigger::NewCriticalVulnerability,
                Severity::Critical,
                &[Severity::Critical][..],
            ),
            (
                Trigger::NewHighVulnerability,
                Severity::High,
                &[Severity::Critical, Severity::High][..],
            ),
        ] {
            let known: HashSet<(&str, &str)> = before
                .iter()
                .filter(|v| {
                    worse_or_same
                        .iter()
                        .any(|s| severity_name(*s) == v.severity)
                })
                .map(identity)
                .collect();
            let new = new_vulnerabilities(&now.vulnerabilities, severity, &known);
            if !new.is_empty() {
                let (summary, details) = vulnerability_summary(severity, &new);
                events.push(event(trigger, summary, details));
            }
        }
    }
    if now.disallowed && prior.disallowed != Some(true) {
        let (summary, details) = non_compliance_summary(&now.checks);
        events.push(event(Trigger::ImageNonCompliant, summary, details));
    }
    events
}

/// A vulnerability of an image: its id and package.
fn identity(v: &VulnerabilityRow) -> (&str, &str) {
    (v.issue_name.as_str(), v.resource_name.as_str())
}

/// The unacknowledged vulnerabilities of `severity` not in `known`, each identity once.
fn new_vulnerabilities<'v>(
    rows: &'v [VulnerabilityRow],
    severity: Severity,
    known: &HashSet<(&str, &str)>,
) -> Vec<&'v VulnerabilityRow> {
    let mut seen = HashSet::new();
    rows.iter()
        .filter(|v| v.severity == severity_name(severity) && !v.acknowledged)
        .filter(|v| !known.contains(&identity(v)) && seen.insert(identity(v)))
        .collect()
}

fn vulnerability_summary(
    severity: Severity,
    new: &[&VulnerabilityRow],
) -> (String, serde_json::Value) {
    let noun = if new.len() == 1 {
        "vulnerability"
    } else {
        "vulnerabilities"
    };
    let names: Vec<String> = new
        .iter()
        .take(SUMMARIZED)
        .map(|v| format!("{} in {}", v.issue_name, v.resource_name))
        .collect();
    let summary = format!(
        "{} new {} {noun}: {}{}",
        new.len(),
        severity_name(severity),
        names.join(", "),
        more(new.len(), SUMMARIZED)
    );
    let listed: Vec<serde_json::Value> = new
        .iter()
        .take(LISTED)
        .map(|v| {
            json!({
                "id": v.issue_name,
                "package": v.resource_name,
                "version": v.resource_version,
                "fix_version": v.fix_version,
                "score": v.score,
            })
        })
        .collect();
    let details = json!({
        "count": new.len(),
        "vulnerabilities": listed,
        "more": new.len().saturating_sub(LISTED),
    });
    (summary, details)
}

fn non_compliance_summary(checks: &str) -> (String, serde_json::Value) {
    let checks: Vec<AssuranceCheck> = serde_json::from_str(checks).unwrap_or_default();
    let blocking: Vec<&AssuranceCheck> = checks.iter().filter(|c| c.blocking).collect();
    let names: Vec<String> = blocking
        .iter()
        .take(SUMMARIZED)
        .map(|c| format!("{}: {}", c.policy_name, c.control))
        .collect();
    let summary = format!(
        "Non-compliant: failed {}{}",
        names.join(", "),
        more(blocking.len(), SUMMARIZED)
    );
    let failed: Vec<serde_json::Value> = blocking
        .iter()
        .map(
            |c| json!({ "policy_name": c.policy_name, "control": c.control, "message": c.message }),
        )
        .collect();
    (summary, json!({ "failed_checks": failed }))
}

/// `, and N more` when `total` is over `shown`.
fn more(total: usize, shown: usize) -> String {
    match total.saturating_sub(shown) {
        0 => String::new(),
        rest => format!(", and {rest} more"),
    }
}

/// The first line of `text`, at most 300 characters: a summary is one line.
fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    match line.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

/// One outbox row per event and enabled output subscribed to its trigger, then a wake-up
/// of the delivery loop.
async fn enqueue(state: &AppState, events: Vec<Event>) {
    if events.is_empty() {
        return;
    }
    let outputs = match state.store.outputs().await {
        Ok(outputs) => outputs,
        Err(e) => {
            tracing::error!(error = %chain(&e), "cannot read the notification outputs: events dropped");
            return;
        }
    };
    let now = OffsetDateTime::now_utc();
    for event in events {
        let payload = match serde_json::to_value(&event) {
            Ok(payload) => payload,
            Err(e) => {
                tracing::error!(error = %e, "cannot encode a notification event");
                continue;
            }
        };
        let code = event.trigger.code();
        for output in outputs.iter().filter(|o| subscribed(o, event.trigger)) {
            let notification = NewNotification {
                output: output.name.clone(),
                trigger: code.to_owned(),
                payload: payload.clone(),
            };
            if let Err(e) = state.store.enqueue_notification(&notification, now).await {
                tracing::error!(error = %chain(&e), output = %output.name, trigger = code, "cannot queue a notification");
            }
        }
    }
    state.outbox.notify_one();
}

fn subscribed(output: &OutputRow, trigger: Trigger) -> bool {
    output.enabled && output.triggers.iter().any(|t| t == trigger.code())
}

/// Why an output could not be used.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "notification output `{name}` cannot be opened with this server's secret key \
         (KABUTO_SECRET_KEY or secret.key in the data directory changed?)"
    )]
    Unseal {
        name: String,
        #[source]
        source: kabuto_auth::AuthError,
    },
    #[error("stored notification output `{name}` is not a valid output")]
    Invalid {
        name: String,
        #[source]
        source: kabuto_notify::OutputError,
    },
}

/// The stored output, unsealed and checked.
pub fn open_output(state: &AppState, row: &OutputRow) -> Result<Output, OpenError> {
    let text = state
        .sealing
        .open(&row.document, &sealing_context(&row.name))
        .map_err(|source| OpenError::Unseal {
            name: row.name.clone(),
            source,
        })?;
    let invalid = |source| OpenError::Invalid {
        name: row.name.clone(),
        source,
    };
    let text = String::from_utf8_lossy(&text);
    Output::from_json(&text).map_err(invalid)
}

/// One delivery attempt, blocking: `Ok`, or the error (the output's secrets removed) and
/// whether trying again may help.
pub fn deliver_now(
    notifier: &Notifier,
    output: &Output,
    event: &Event,
) -> Result<(), (String, bool)> {
    // A delivery error's message already says what each of its sources says.
    notifier
        .deliver(output, event)
        .map_err(|e| (output.redact(&e.to_string()), e.is_retryable()))
}

/// The background delivery: drains what is due, then waits for a wake-up or the poll.
pub async fn delivery_loop(state: Arc<AppState>) {
    let notifier = Arc::new(Notifier::new(&DeliveryOptions::default()));
    loop {
        deliver_due(&state, &notifier).await;
        tokio::select! {
            _ = state.outbox.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Delivers every notification due now, one at a time.
async fn deliver_due(state: &Arc<AppState>, notifier: &Arc<Notifier>) {
    loop {
        match state
            .store
            .take_notification(LEASE, OffsetDateTime::now_utc())
            .await
        {
            Ok(Some(notification)) => deliver(state, notifier, notification).await,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(error = %chain(&e), "cannot read the notification outbox");
                return;
            }
        }
    }
}

/// One delivery of a taken notification, and its outcome recorded.
async fn deliver(state: &Arc<AppState>, notifier: &Arc<Notifier>, notification: Notification) {
    let outcome = attempt(state, notifier, &notification).await;
    let now = OffsetDateTime::now_utc();
    let recorded = match &outcome {
        Ok(()) => {
            state
                .store
                .notification_delivered(notification.id, now)
                .await
        }
        Err((error, retryable)) => {
            let retry_at = (*retryable && notification.attempts < MAX_ATTEMPTS)
                .then(|| now + backoff(notification.attempts));
            tracing::warn!(id = %notification.id, output = %notification.output, error, retry = retry_at.is_some(), "notification not delivered");
            state
                .store
                .notification_failed(notification.id, error, retry_at, now)
                .await
        }
    };
    if let Err(e) = recorded {
        tracing::error!(error = %chain(&e), id = %notification.id, "cannot record a notification's delivery");
    }
}

async fn attempt(
    state: &AppState,
    notifier: &Arc<Notifier>,
    notification: &Notification,
) -> Result<(), (String, bool)> {
    let event: Event = serde_json::from_value(notification.payload.clone())
        .map_err(|e| (format!("the stored event is not valid: {e}"), false))?;
    let row = state
        .store
        .output(&notification.output)
        .await
        .map_err(|e| (chain(&e), true))?
        .ok_or_else(|| {
            let reason = format!("output `{}` was deleted", notification.output);
            (reason, false)
        })?;
    if !row.enabled {
        return Err((format!("output `{}` was disabled", row.name), false));
    }
    let output = open_output(state, &row).map_err(|e| (chain(&e), false))?;
    let notifier = Arc::clone(notifier);
    tokio::task::spawn_blocking(move || deliver_now(&notifier, &output, &event))
        .await
        .map_err(|e| (format!("the delivery task failed: {e}"), true))?
}

#[cfg(test)]
mod tests;
