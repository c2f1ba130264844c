//! The console's dashboard: the risk picture of every stored image from SQL aggregates, the
//! recorded daily trend, the worst images and vulnerabilities, blocked gates and recent
//! audit records. Each part is one bounded query, so it stays fast at 10,000 images.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use kabuto_api::server::{AuditEntry, Dashboard, Page, RiskCounts, TrendPoint, VulnerabilityGroup};
use kabuto_auth::Permission;
use kabuto_store::{
    AuditQuery, ImageOrder, ImageQuery, PageRequest, RiskCountsRow, RiskDay, Store,
};
use time::OffsetDateTime;

use super::images::summary;
use super::risks::{GroupedParams, vulnerability_group_rows};
use super::system::audit_entry;
use crate::error::{ApiResult, chain};
use crate::extract::Caller;
use crate::state::AppState;

/// Days of trend the dashboard shows.
pub const TREND_DAYS: i64 = 90;
const TOP_IMAGES: i64 = 5;
const TOP_VULNERABILITIES: i64 = 5;
const BLOCKED_RUNS: i64 = 5;
const RECENT_AUDIT: i64 = 8;

/// `GET /api/v2/dashboard`.
pub async fn dashboard(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<Dashboard>> {
    caller.require(Permission::Read)?;
    Ok(Json(dashboard_of(&state).await?))
}

/// The dashboard's figures now.
pub async fn dashboard_of(state: &AppState) -> ApiResult<Dashboard> {
    let store = &state.store;
    let summary_now = store.risk_summary().await?;
    let top_images = store
        .images(&ImageQuery {
            order: ImageOrder::Critical,
            descending: true,
            page: Some(PageRequest::new(Some(1), Some(TOP_IMAGES))),
            ..ImageQuery::default()
        })
        .await?;
    let top_vulnerabilities = top_vulnerabilities(state).await?;
    Ok(Dashboard {
        images: summary_now.images,
        scanned: summary_now.scanned,
        disallowed: summary_now.disallowed,
        images_by_risk: risk_counts(summary_now.images_by_risk),
        vulnerabilities: risk_counts(summary_now.vulnerabilities),
        trend: store
            .risk_history(TREND_DAYS)
            .await?
            .into_iter()
            .map(trend_point)
            .collect(),
        top_images: top_images
            .result
            .iter()
            .map(summary)
            .collect::<ApiResult<_>>()?,
        top_vulnerabilities,
        blocked_runs: audit_records(store, Some("verdict.block"), BLOCKED_RUNS).await?,
        recent_audit: audit_records(store, None, RECENT_AUDIT).await?,
    })
}

/// The vulnerabilities in the most images, kept with the other groupings until the verdict
/// generation moves.
async fn top_vulnerabilities(state: &AppState) -> ApiResult<Vec<VulnerabilityGroup>> {
    const KEY: &str = "the dashboard's top vulnerabilities";
    let generation = state.verdict_generation();
    if let Some(page) = state.vulnerability_groups.get(generation, KEY) {
        return Ok(page.result);
    }
    let groups = vulnerability_group_rows(
        state,
        GroupedParams {
            pagesize: Some(TOP_VULNERABILITIES),
            ..GroupedParams::default()
        },
    )
    .await?;
    let page = Page {
        count: groups.len() as i64,
        page: 1,
        pagesize: TOP_VULNERABILITIES,
        result: groups.clone(),
    };
    state
        .vulnerability_groups
        .put(generation, KEY.to_owned(), page);
    Ok(groups)
}

/// The newest `count` audit records, of actions starting with `action` when given.
async fn audit_records(
    store: &Store,
    action: Option<&str>,
    count: i64,
) -> ApiResult<Vec<AuditEntry>> {
    let page = store
        .audit(&AuditQuery {
            action: action.map(str::to_owned),
            page: Some(PageRequest::new(Some(1), Some(count))),
            ..AuditQuery::default()
        })
        .await?;
    Ok(page.result.into_iter().map(audit_entry).collect())
}

fn risk_counts(row: RiskCountsRow) -> RiskCounts {
    RiskCounts {
        critical: row.critical,
        high: row.high,
        medium: row.medium,
        low: row.low,
        other: row.other,
    }
}

fn trend_point(day: RiskDay) -> TrendPoint {
    TrendPoint {
        day: day.day,
        images: day.images,
        disallowed: day.disallowed,
        vulnerabilities: risk_counts(day.vulnerabilities),
    }
}

/// Records today's figures (UTC) as the trend's point of the day: the hourly pass and every
/// re-evaluation call it. A failure is logged; the next pass writes the day again.
pub async fn record_today(store: &Store) {
    if let Err(e) = store.record_risk_day(OffsetDateTime::now_utc()).await {
        tracing::error!(error = %chain(&e), "cannot record today's risk figures");
    }
}
