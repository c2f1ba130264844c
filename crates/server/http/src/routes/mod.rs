//! The REST API: the router, and the helpers handlers share (audit records, time format,
//! authorisation with an audit record of every refused write).

pub(crate) mod dashboard;
pub mod images;
pub(crate) mod notifications;
pub(crate) mod policies;
pub(crate) mod registries;
pub(crate) mod risks;
pub(crate) mod runtime;
pub(crate) mod session;
pub(crate) mod setup;
pub(crate) mod system;
pub(crate) mod verdicts;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};
use kabuto_auth::Permission;
use kabuto_store::AuditEvent;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{ApiResult, chain};
use crate::extract::{Caller, SCAN_BODY};
use crate::harbor::routes as harbor;
use crate::state::AppState;
use policies::Image;
use runtime::Runtime;

pub use system::openapi_document;

/// Every route. Bodies are read by the handlers with their own limits, so axum's default
/// limit is lifted only as far as the largest (a scan report).
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(system::healthz))
        .route("/readyz", get(system::readyz))
        .route("/metrics", get(system::metrics))
        .route("/api/openapi.json", get(system::openapi))
        .route("/api/v1/setup", get(setup::status).post(setup::complete))
        .route("/api/v1/login", post(session::login))
        .route("/api/v1/logout", post(session::logout))
        .route("/api/v1/me", get(session::me))
        .route(
            "/api/v1/users",
            get(session::users).post(session::create_user),
        )
        .route("/api/v1/users/{id}", delete(session::delete_user))
        .route("/api/v1/users/{id}/password", put(session::set_password))
        .route(
            "/api/v1/tokens",
            get(session::tokens).post(session::create_token),
        )
        .route("/api/v1/tokens/{id}", delete(session::revoke_token))
        .route("/api/v1/images", post(images::register))
        .route("/api/v1/scans", post(images::upload))
        .route("/api/v2/images", get(images::list))
        .route("/api/v2/images/{registry}/{*name}", get(images::detail))
        .route("/api/v2/digests/{digest}", get(images::by_digest))
        .route("/api/v2/dashboard", get(dashboard::dashboard))
        .route("/api/v2/risks/vulnerabilities", get(risks::vulnerabilities))
        .route("/api/v2/risks/vulnerabilities/grouped", get(risks::grouped))
        .route(
            "/api/v2/risks/acknowledge",
            get(risks::acks)
                .post(risks::acknowledge)
                .delete(risks::unacknowledge),
        )
        .route(
            "/api/v2/risks/acknowledge/multiple",
            delete(risks::unacknowledge),
        )
        .route("/api/v2/risks/acknowledge/openvex", get(risks::openvex))
        .route(
            "/api/v2/assurance_policy/image",
            get(policies::list::<Image>).post(policies::create::<Image>),
        )
        .route(
            "/api/v2/assurance_policy/image/preview",
            post(policies::preview),
        )
        .route(
            "/api/v2/assurance_policy/image/{name}",
            get(policies::get_one::<Image>)
                .put(policies::replace::<Image>)
                .delete(policies::remove::<Image>),
        )
        .route(
            "/api/v2/assurance_policy/templates",
            get(policies::templates),
        )
        .route(
            "/api/v2/assurance_policy/templates/{name}",
            get(policies::template),
        )
        .route(
            "/api/v2/runtime_policies",
            get(policies::list::<Runtime>).post(policies::create::<Runtime>),
        )
        .route(
            "/api/v2/runtime_policies/{name}",
            get(policies::get_one::<Runtime>)
                .put(policies::replace::<Runtime>)
                .delete(policies::remove::<Runtime>),
        )
        .route(
            "/api/v1/enforcers",
            get(runtime::enforcers).post(runtime::report),
        )
        .route(
            "/api/v2/notification/outputs",
            get(notifications::list).post(notifications::create),
        )
        .route(
            "/api/v2/notification/outputs/{name}",
            get(notifications::get_one)
                .put(notifications::replace)
                .delete(notifications::remove),
        )
        .route(
            "/api/v2/notification/outputs/{name}/test",
            post(notifications::test),
        )
        .route(
            "/api/v2/notification/dead_letters",
            get(notifications::dead_letters),
        )
        .route(
            "/api/v2/notification/dead_letters/{id}/retry",
            post(notifications::retry),
        )
        .route("/api/v1/audit", get(system::audit))
        .route("/api/v1/audit/events", post(verdicts::events))
        .route("/api/v1/verdicts", get(verdicts::verdict))
        .route("/api/v1/verdicts/generation", get(verdicts::generation))
        .route("/api/v1/db", get(system::database))
        .route("/api/v1/db/reload", post(system::reload_database))
        .route("/api/v1/reevaluate", post(system::reevaluate))
        .route(
            "/api/v1/registries",
            get(registries::list).post(registries::create),
        )
        .route(
            "/api/v1/registries/{name}",
            get(registries::get_one)
                .put(registries::replace)
                .delete(registries::remove),
        )
        .route("/api/v1/registries/{name}/scan", post(registries::scan))
        .route(
            "/api/v1/registries/{name}/webhook",
            post(registries::push_event),
        )
        .route("/api/v1/scan_jobs", get(registries::jobs))
        .route("/api/v1/scan_jobs/{id}", delete(registries::cancel))
        .route("/harbor/api/v1/metadata", get(harbor::metadata))
        .route("/harbor/api/v1/scan", post(harbor::scan))
        .route("/harbor/api/v1/scan/{id}/report", get(harbor::report))
        .fallback(system::not_found)
        .layer(DefaultBodyLimit::max(SCAN_BODY))
        .with_state(state)
}

/// RFC 3339 text of a time (`2026-12-07T10:00:00Z`).
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// What an audit record says beyond who and from where.
pub struct Audit<'a> {
    pub action: &'a str,
    pub target: &'a str,
    pub outcome: &'a str,
    pub detail: serde_json::Value,
}

/// Appends to the audit log; a failure is logged (the action itself already happened).
pub async fn record(state: &AppState, caller: &Caller, audit: Audit<'_>) {
    let event = AuditEvent {
        at: OffsetDateTime::now_utc(),
        actor: caller.user.to_string(),
        credential: caller.credential.audit_name(),
        source: caller.source.to_string(),
        action: audit.action.to_owned(),
        target: audit.target.to_owned(),
        outcome: audit.outcome.to_owned(),
        detail: audit.detail.to_string(),
    };
    if let Err(e) = state.store.append_audit(&event).await {
        tracing::error!(error = %chain(&e), action = audit.action, "cannot write the audit log");
    }
}

/// The caller may do `permission`; a refused write is recorded as `denied`.
pub async fn authorize(
    state: &AppState,
    caller: &Caller,
    permission: Permission,
    action: &str,
    target: &str,
) -> ApiResult<()> {
    let allowed = caller.require(permission);
    if let Err(e) = &allowed {
        let audit = Audit {
            action,
            target,
            outcome: "denied",
            detail: serde_json::json!({ "reason": e.message }),
        };
        record(state, caller, audit).await;
    }
    allowed
}
