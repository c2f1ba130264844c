//! The webhook's HTTP side: `POST /validate`, `POST /mutate`, probes and metrics. Serving
//! (TLS, the listener) is the caller's: this is a plain axum router.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::decide::Enforcer;
use crate::review::{Request, Response as ReviewResponse};

/// Largest review read: an object may be 3 MiB (etcd's default request limit) and an UPDATE
/// carries the old object too.
pub const MAX_REVIEW_BYTES: usize = 8 << 20;

pub fn router(enforcer: Arc<Enforcer>) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/mutate", post(mutate))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_REVIEW_BYTES))
        .with_state(enforcer)
}

fn malformed(
    enforcer: &Enforcer,
    endpoint: &'static str,
    started: Instant,
    error: &str,
) -> Response {
    enforcer
        .metrics
        .review(endpoint, "malformed", started.elapsed().as_secs_f64());
    tracing::warn!(endpoint, "malformed AdmissionReview: {error}");
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"error": {"code": "bad_request", "message": error}})),
    )
        .into_response()
}

fn answer(review: ReviewResponse) -> Response {
    axum::Json(review.into_review()).into_response()
}

async fn validate(State(enforcer): State<Arc<Enforcer>>, body: Bytes) -> Response {
    let started = Instant::now();
    let request = match Request::from_body(&body) {
        Ok(request) => request,
        Err(error) => return malformed(&enforcer, "validate", started, &error.to_string()),
    };
    let decision = enforcer.validate(&request).await;
    let outcome = match (decision.skipped, decision.allowed()) {
        (Some(_), _) => "skipped",
        (None, true) => "allowed",
        (None, false) => "denied",
    };
    enforcer
        .metrics
        .review("validate", outcome, started.elapsed().as_secs_f64());
    answer(decision.response(&request))
}

async fn mutate(State(enforcer): State<Arc<Enforcer>>, body: Bytes) -> Response {
    let started = Instant::now();
    let request = match Request::from_body(&body) {
        Ok(request) => request,
        Err(error) => return malformed(&enforcer, "mutate", started, &error.to_string()),
    };
    let mut response = ReviewResponse::allow(&request.uid, Vec::new());
    if let Some(patch) = enforcer.pins(&request).await {
        response = response.with_patch(&patch);
    }
    enforcer
        .metrics
        .review("mutate", "allowed", started.elapsed().as_secs_f64());
    answer(response)
}

async fn metrics(State(enforcer): State<Arc<Enforcer>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        enforcer.metrics.encode(),
    )
        .into_response()
}
