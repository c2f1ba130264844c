//! Health, readiness, metrics, the OpenAPI document, the audit log, and the server's
//! vulnerability database.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use kabuto_api::server::{AuditEntry, DatabaseStatus, Page};
use kabuto_auth::Permission;
use kabuto_store::{AuditQuery, AuditRow, PageRequest};
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Audit, authorize, record, rfc3339};
use crate::error::{ApiError, ApiResult};
use crate::evaluate;
use crate::extract::{Caller, Params};
use crate::openapi;
use crate::state::AppState;

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness: the store answers and a vulnerability database is loaded.
pub async fn readyz(State(state): State<Arc<AppState>>) -> ApiResult<&'static str> {
    state
        .store
        .ping()
        .await
        .map_err(|e| ApiError::unavailable(format!("the store does not answer: {e}")))?;
    if state.vulndb.engine().is_none() {
        return Err(crate::routes::images::no_database());
    }
    Ok("ready\n")
}

/// Prometheus text exposition. Unauthenticated like most scrape targets: counts and
/// latencies only, no names of images or users.
pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    if let Ok((images, _)) = state.store.storage_totals().await {
        state.metrics.images_stored.set(images);
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}

pub async fn openapi() -> Json<serde_json::Value> {
    Json(openapi_document())
}

/// The OpenAPI 3.1 document of this API.
pub fn openapi_document() -> serde_json::Value {
    openapi::document()
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint: GET /api/openapi.json lists them")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    user: Option<String>,
    /// Actions starting with this (`policy.`, `Runtime.container_exec.`).
    action: Option<String>,
    /// Targets starting with this (`container 3f2a`).
    target: Option<String>,
    /// Runtime events of this host.
    host: Option<String>,
    result: Option<String>,
    /// RFC 3339 time.
    since: Option<String>,
    page: Option<i64>,
    pagesize: Option<i64>,
}

pub async fn audit(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Params(p): Params<AuditParams>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    caller.require(Permission::Read)?;
    let since = p
        .since
        .map(|s| {
            OffsetDateTime::parse(&s, &Rfc3339).map_err(|e| {
                ApiError::field("since", format!("{s:?} is not an RFC 3339 time: {e}"))
            })
        })
        .transpose()?;
    let query = AuditQuery {
        actor: p.user,
        action: p.action,
        target: p.target,
        host: p.host,
        outcome: p.result,
        since,
        page: Some(PageRequest::new(p.page, p.pagesize)),
    };
    let page = state.store.audit(&query).await?;
    Ok(Json(Page {
        count: page.count,
        page: page.page,
        pagesize: page.pagesize,
        result: page.result.into_iter().map(audit_entry).collect(),
    }))
}

/// A stored audit record as the API shows it.
pub fn audit_entry(row: AuditRow) -> AuditEntry {
    AuditEntry {
        id: row.id,
        time: rfc3339(row.event.at),
        user: row.event.actor,
        credential: row.event.credential,
        source: row.event.source,
        action: row.event.action,
        target: row.event.target,
        result: row.event.outcome,
        detail: serde_json::from_str(&row.event.detail).unwrap_or(serde_json::Value::Null),
    }
}

pub async fn database(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<DatabaseStatus>> {
    caller.require(Permission::Read)?;
    let last = state.last_reevaluation.lock().ok().and_then(|l| l.clone());
    Ok(Json(state.vulndb.status(last)))
}

/// Loads the database file now (after `kabuto db update --db` wrote it) instead of within
/// the next 30 seconds.
pub async fn reload_database(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<DatabaseStatus>> {
    authorize(
        &state,
        &caller,
        Permission::ManageDatabase,
        "db.reload",
        "vulnerability database",
    )
    .await?;
    evaluate::reload_database(&state).await;
    let status = state.vulndb.status(None);
    let audit = Audit {
        action: "db.reload",
        target: "vulnerability database",
        outcome: if status.loaded { "success" } else { "failure" },
        detail: serde_json::json!({ "built_at": status.built_at }),
    };
    record(&state, &caller, audit).await;
    Ok(Json(status))
}

/// Re-evaluates every stored image now.
pub async fn reevaluate(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<StatusCode> {
    authorize(
        &state,
        &caller,
        Permission::ManageDatabase,
        "image.reevaluate",
        "images",
    )
    .await?;
    state.request_reevaluation(format!("asked by {}", caller.user));
    let audit = Audit {
        action: "image.reevaluate",
        target: "images",
        outcome: "success",
        detail: serde_json::json!({}),
    };
    record(&state, &caller, audit).await;
    Ok(StatusCode::ACCEPTED)
}
