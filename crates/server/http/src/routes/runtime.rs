//! Runtime policies (Aqua's `/api/v2/runtime_policies`, served by the policy handlers of
//! [`super::policies`] with [`Runtime`]), kept in exactly the JSON shape `kabuto enforcer
//! --policy` reads, which the enforcers fetch; and the enforcers' reports about themselves
//! (`/api/v1/enforcers`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kabuto_api::server::{EnforcerEntry, EnforcerReport, EnforcerStatus};
use kabuto_auth::Permission;
use kabuto_runtime_policy::RuntimePolicies;
use kabuto_store::{EnforcerReportRow, EnforcerRow};
use serde_json::Value;
use time::OffsetDateTime;

use super::policies::{Kind, PolicyKind, policy_text, same_name};
use super::{Audit, authorize, record, rfc3339};
use crate::error::{ApiError, ApiResult, chain};
use crate::extract::{Caller, JsonBody};
use crate::state::AppState;

/// The store's kind of runtime policies.
pub const RUNTIME_POLICIES: &str = "runtime";

/// Runtime policies (read by enforcers; no image verdict depends on them).
pub(crate) struct Runtime;

impl Kind for Runtime {
    const KIND: PolicyKind = PolicyKind {
        store_kind: RUNTIME_POLICIES,
        label: "runtime policy",
        path: "/api/v2/runtime_policies",
        audit: "runtime_policy",
        reevaluates: false,
        read: Permission::ReadRuntimePolicies,
        check: checked,
    };
}

/// Reports missed before an enforcer counts as disconnected.
const MISSED_REPORTS: i64 = 3;

/// The name and text to store of a body the runtime policy reader accepts (its errors name
/// the line and field).
fn checked(body: &Value, path_name: Option<&str>) -> ApiResult<(String, String)> {
    let text = policy_text(body, "Aqua's container runtime policy fields")?;
    let set = RuntimePolicies::parse(&text, "request body")
        .map_err(|e| ApiError::bad_request(chain(&e)))?;
    let [policy] = set.policies() else {
        return Err(ApiError::bad_request(
            "one runtime policy per request: PUT each policy of a list on its own",
        ));
    };
    same_name(&policy.name, path_name)?;
    Ok((policy.name.clone(), text))
}

/// `POST /api/v1/enforcers`: an enforcer's report about itself (stored, not audited, but
/// for the first report of a host).
pub async fn report(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<StatusCode> {
    let target = body.peek("host").unwrap_or_else(|| "-".to_owned());
    let action = "enforcer.report";
    authorize(&state, &caller, Permission::ReportEvents, action, &target).await?;
    let report: EnforcerReport = body.parse()?;
    if report.host.trim().is_empty() {
        return Err(ApiError::field("host", "the enforcer's host name is empty"));
    }
    if report.interval_seconds == 0 {
        return Err(ApiError::field("interval_seconds", "must be at least 1"));
    }
    let row = EnforcerReportRow {
        host: report.host.clone(),
        reporter: caller.user.to_string(),
        version: report.version,
        mode: report.mode,
        policies: report.policies,
        containers: count(report.containers),
        spooled: count(report.events.spooled),
        sent: count(report.events.sent),
        dropped: count(report.events.dropped),
        interval_secs: count(report.interval_seconds),
    };
    let new = state
        .store
        .report_enforcer(&row, OffsetDateTime::now_utc())
        .await?;
    if new {
        let audit = Audit {
            action: "enforcer.connect",
            target: &report.host,
            outcome: "success",
            detail: serde_json::json!({ "version": row.version, "mode": row.mode }),
        };
        record(&state, &caller, audit).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

fn count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// `GET /api/v1/enforcers`: every enforcer's last report and whether it still reports.
pub async fn enforcers(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<Vec<EnforcerEntry>>> {
    caller.require(Permission::Read)?;
    let now = OffsetDateTime::now_utc();
    let rows = state.store.enforcers().await?;
    Ok(Json(rows.into_iter().map(|row| entry(row, now)).collect()))
}

/// Connected while the last report is younger than [`MISSED_REPORTS`] intervals.
pub fn entry(row: EnforcerRow, now: OffsetDateTime) -> EnforcerEntry {
    let r = row.report;
    let silence = (now - row.last_seen).whole_seconds();
    let status = if silence < r.interval_secs.saturating_mul(MISSED_REPORTS) {
        EnforcerStatus::Connected
    } else {
        EnforcerStatus::Disconnected
    };
    let unsigned = |value: i64| u64::try_from(value).unwrap_or(0);
    EnforcerEntry {
        report: EnforcerReport {
            host: r.host,
            version: r.version,
            mode: r.mode,
            policies: r.policies,
            containers: unsigned(r.containers),
            events: kabuto_api::server::EnforcerEventCounts {
                spooled: unsigned(r.spooled),
                sent: unsigned(r.sent),
                dropped: unsigned(r.dropped),
            },
            interval_seconds: unsigned(r.interval_secs),
        },
        reporter: r.reporter,
        first_seen: rfc3339(row.first_seen),
        last_seen: rfc3339(row.last_seen),
        status,
    }
}
