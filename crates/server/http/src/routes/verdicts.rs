//! What admission controllers and other enforcers ask and tell: the verdict on one image
//! (`GET /api/v1/verdicts`), the generation that says when cached verdicts went stale, and
//! their events for the audit log (`POST /api/v1/audit/events`).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kabuto_api::AssuranceCheck;
use kabuto_api::server::{EnforcerEvents, FailedPolicy, ImageVerdict, VerdictGeneration};
use kabuto_auth::Permission;
use kabuto_store::{AuditEvent, ImageRow};
use kabuto_types::ImageReference;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::authorize;
use super::images::key_of;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, JsonBody, Params};
use crate::state::AppState;

/// Most events accepted in one request.
const MAX_EVENTS: usize = 1_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictParams {
    #[serde(default)]
    digest: Option<String>,
    /// `registry/repository:tag`.
    #[serde(default)]
    image: Option<String>,
}

/// The image by digest (preferring the row under the name asked for), else by name.
pub async fn verdict(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Params(params): Params<VerdictParams>,
) -> ApiResult<Json<ImageVerdict>> {
    caller.require(Permission::AskVerdict)?;
    let generation = state.verdict_generation();
    let reference = params
        .image
        .as_deref()
        .map(ImageReference::parse)
        .transpose()
        .map_err(|e| ApiError::field("image", e.to_string()))?;
    let key = reference.as_ref().map(key_of);
    let mut row = None;
    if let Some(digest) = &params.digest {
        let rows = state.store.images_by_digest(digest).await?;
        row = rows
            .iter()
            .position(|r| {
                key.as_ref()
                    .is_some_and(|k| r.key.repository == k.repository)
            })
            .or((!rows.is_empty()).then_some(0))
            .map(|i| rows[i].clone());
    }
    match (&row, &key) {
        (None, Some(key)) => row = state.store.image(key).await?,
        (None, None) => return Err(ApiError::field("image", "give `digest`, `image` or both")),
        _ => {}
    }
    let Some(row) = row else {
        return Ok(Json(ImageVerdict {
            image: key.map(|k| k.to_string()).unwrap_or_default(),
            digest: params.digest,
            scan_status: "unregistered".to_owned(),
            failed_policies: Vec::new(),
            generation,
        }));
    };
    let blocking = state.blocking_policies().await?;
    Ok(Json(ImageVerdict {
        image: row.key.to_string(),
        digest: row.digest.clone(),
        scan_status: row.scan_status.clone(),
        failed_policies: failed_policies(&row, &blocking)?,
        generation,
    }))
}

/// The failed checks of an image, one entry per policy, in the order they were evaluated.
fn failed_policies(row: &ImageRow, blocking: &BTreeSet<String>) -> ApiResult<Vec<FailedPolicy>> {
    let checks: Vec<AssuranceCheck> = serde_json::from_str(&row.checks)
        .map_err(|e| ApiError::internal("reading stored assurance checks", &e))?;
    let mut failed: Vec<FailedPolicy> = Vec::new();
    for check in checks.into_iter().filter(|c| c.failed) {
        match failed
            .iter_mut()
            .find(|p| p.policy_name == check.policy_name)
        {
            Some(policy) => policy.controls.push(check.control),
            None => failed.push(FailedPolicy {
                block_failed: blocking.contains(&check.policy_name),
                policy_name: check.policy_name,
                controls: vec![check.control],
            }),
        }
    }
    Ok(failed)
}

pub async fn generation(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<VerdictGeneration>> {
    caller.require(Permission::AskVerdict)?;
    Ok(Json(VerdictGeneration {
        generation: state.verdict_generation(),
    }))
}

/// An enforcer's events, appended to the audit log under its identity.
pub async fn events(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<StatusCode> {
    authorize(
        &state,
        &caller,
        Permission::ReportEvents,
        "audit.events",
        "-",
    )
    .await?;
    let batch: EnforcerEvents = body.parse()?;
    if batch.events.len() > MAX_EVENTS {
        return Err(ApiError::field(
            "events",
            format!(
                "{} events: send at most {MAX_EVENTS} at once",
                batch.events.len()
            ),
        ));
    }
    let mut records = Vec::with_capacity(batch.events.len());
    for (index, event) in batch.events.into_iter().enumerate() {
        let at = OffsetDateTime::parse(&event.time, &Rfc3339).map_err(|e| {
            ApiError::field(
                format!("events[{index}].time"),
                format!("not RFC 3339: {e}"),
            )
        })?;
        records.push(AuditEvent {
            at,
            actor: caller.user.to_string(),
            credential: caller.credential.audit_name(),
            source: caller.source.to_string(),
            action: event.action,
            target: event.target,
            outcome: event.result,
            detail: event.detail.to_string(),
        });
    }
    state.store.append_audit_batch(&records).await?;
    Ok(StatusCode::NO_CONTENT)
}
