//! Registry integrations (`/api/v1/registries`), their pulls and push webhooks, and the scan
//! jobs they queue (`/api/v1/scan_jobs`).

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use kabuto_api::server::{Page, PullResult, PushesAccepted, Registry, ScanJob};
use kabuto_auth::Permission;
use kabuto_store::{Job, JobId, JobQuery, JobReason, JobState, PageRequest, RegistryRow};
use serde::Deserialize;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::{Audit, authorize, record, rfc3339};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Caller, JsonBody, Params, json_body};
use crate::registries::{Integration, from_row, pull, to_row, to_wire, webhook, webhook_token};
use crate::state::AppState;

/// A push event body is small; anything larger is not one.
const WEBHOOK_BODY: usize = 1 << 20;

pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<Vec<Registry>>> {
    caller.require(Permission::Read)?;
    let mut answered = Vec::new();
    for row in state.store.registries().await? {
        answered.push(to_wire(&row, &from_row(&row)?));
    }
    Ok(Json(answered))
}

pub async fn get_one(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Registry>> {
    caller.require(Permission::Read)?;
    let row = stored(&state, &name).await?;
    Ok(Json(to_wire(&row, &from_row(&row)?)))
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Registry>)> {
    authorize(
        &state,
        &caller,
        Permission::ManageIntegrations,
        "registry.create",
        "registries",
    )
    .await?;
    let wire: Registry = body.parse()?;
    let (password, token) = (wire.password.clone(), wire.webhook.auth_token.clone());
    let integration = Integration::try_from(wire)?;
    check_host_free(&state, &integration).await?;
    let token = new_token(&integration, token);
    let row = to_row(
        &state.sealing,
        &integration,
        password.as_deref(),
        token.as_deref().map(|t| t.as_str()),
        None,
        OffsetDateTime::now_utc(),
    )?;
    if !state.store.create_registry(&row).await? {
        return Err(ApiError::conflict(format!(
            "registry {:?} exists; PUT /api/v1/registries/{} changes it",
            integration.name, integration.name
        )));
    }
    audit(
        &state,
        &caller,
        "registry.create",
        &integration,
        token.is_some(),
    )
    .await;
    let mut answer = to_wire(&row, &integration);
    // The generated webhook token is shown once, at creation, like an API token.
    answer.webhook.auth_token = token.map(|t| t.to_string());
    Ok((StatusCode::CREATED, Json(answer)))
}

pub async fn replace(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
    body: JsonBody,
) -> ApiResult<Json<Registry>> {
    authorize(
        &state,
        &caller,
        Permission::ManageIntegrations,
        "registry.update",
        &name,
    )
    .await?;
    let wire: Registry = body.parse()?;
    if wire.name != name {
        return Err(ApiError::field(
            "name",
            format!("the body names {:?}, the path {name:?}", wire.name),
        ));
    }
    let previous = stored(&state, &name).await?;
    let (password, token) = (wire.password.clone(), wire.webhook.auth_token.clone());
    let integration = Integration::try_from(wire)?;
    check_host_free(&state, &integration).await?;
    let token = match token {
        Some(token) => Some(zeroize::Zeroizing::new(token)),
        None if previous.webhook_token.is_none() => new_token(&integration, None),
        None => None,
    };
    let row = to_row(
        &state.sealing,
        &integration,
        password.as_deref(),
        token.as_deref().map(|t| t.as_str()),
        Some(&previous),
        OffsetDateTime::now_utc(),
    )?;
    if !state.store.replace_registry(&row).await? {
        return Err(not_found(&name));
    }
    audit(
        &state,
        &caller,
        "registry.update",
        &integration,
        token.is_some(),
    )
    .await;
    Ok(Json(to_wire(&row, &integration)))
}

pub async fn remove(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    authorize(
        &state,
        &caller,
        Permission::ManageIntegrations,
        "registry.delete",
        &name,
    )
    .await?;
    let row = state
        .store
        .delete_registry(&name)
        .await?
        .ok_or_else(|| not_found(&name))?;
    let integration = from_row(&row)?;
    let cancelled = cancel_queued(&state, &integration.host).await?;
    let audit = Audit {
        action: "registry.delete",
        target: &name,
        outcome: "success",
        detail: serde_json::json!({ "cancelled_jobs": cancelled }),
    };
    record(&state, &caller, audit).await;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/registries/{name}/scan`: pull now.
pub async fn scan(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<PullResult>> {
    authorize(
        &state,
        &caller,
        Permission::ManageIntegrations,
        "registry.scan",
        &name,
    )
    .await?;
    let row = stored(&state, &name).await?;
    let result = pull::pull(&state, &row, JobReason::Request, None).await?;
    let audit = Audit {
        action: "registry.scan",
        target: &name,
        outcome: if result.status.error.is_some() {
            "failure"
        } else {
            "success"
        },
        detail: serde_json::to_value(&result.status).unwrap_or_default(),
    };
    record(&state, &caller, audit).await;
    Ok(Json(result))
}

/// `POST /api/v1/registries/{name}/webhook`: a registry's push events, authenticated by the
/// integration's webhook token (not a user's). Answered at once (202): registries give a
/// notification a few seconds and drop the connection after, which would cancel a pull
/// still running in the request; the pulls run in the background instead.
pub async fn push_event(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    request: Request<Body>,
) -> ApiResult<(StatusCode, Json<PushesAccepted>)> {
    let row = state.store.registry(&name).await?;
    let expected = match &row {
        Some(row) => webhook_token(&state.sealing, row)?,
        None => None,
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim());
    let authentic = match (&expected, presented) {
        (Some(expected), Some(presented)) => {
            bool::from(expected.as_slice().ct_eq(presented.as_bytes()))
        }
        _ => false,
    };
    // One answer for an unknown integration, a disabled webhook and a wrong token.
    let (Some(row), true) = (row, authentic) else {
        return Err(ApiError::unauthorized(
            "no webhook of that registry takes this token",
        ));
    };
    let body = json_body(request, WEBHOOK_BODY).await?;
    let pushes = webhook::pushes(&body).map_err(ApiError::bad_request)?;
    let accepted = pushes
        .iter()
        .map(|p| format!("{}:{}", p.repository, p.tag))
        .collect();
    tokio::spawn(async move {
        for push in pushes {
            pull_pushed(&state, &row, push).await;
        }
    });
    Ok((StatusCode::ACCEPTED, Json(PushesAccepted { accepted })))
}

/// Registries send a push event while the push is being committed (docker-registry's comes
/// a millisecond before the tag can be read), so a pushed tag that cannot be read yet is
/// looked up again, a second apart.
const PUSH_LOOKUPS: u32 = 5;
const PUSH_LOOKUP_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

async fn pull_pushed(state: &Arc<AppState>, row: &RegistryRow, push: webhook::Push) {
    for lookup in 1..=PUSH_LOOKUPS {
        let only = Some((push.repository.clone(), push.tag.clone()));
        match pull::pull(state, row, JobReason::Webhook, only).await {
            Ok(result) if result.status.error.is_none() => return,
            Ok(result) if lookup == PUSH_LOOKUPS => {
                let error = result.status.error.unwrap_or_default();
                tracing::warn!(registry = %row.name, error, "a pushed tag could not be read");
            }
            Ok(_) => tokio::time::sleep(PUSH_LOOKUP_DELAY).await,
            Err(e) => {
                tracing::error!(registry = %row.name, error = %e.message, "pull after a push event failed");
                return;
            }
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobParams {
    /// The registry host (`host[:port]`) as images name it.
    registry: Option<String>,
    state: Option<String>,
    page: Option<i64>,
    pagesize: Option<i64>,
}

/// `GET /api/v1/scan_jobs`: queued, running and finished jobs, newest first.
pub async fn jobs(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Params(p): Params<JobParams>,
) -> ApiResult<Json<Page<ScanJob>>> {
    caller.require(Permission::Read)?;
    let job_state = p
        .state
        .map(|s| {
            s.parse::<JobState>()
                .map_err(|_| ApiError::field("state", format!("unknown job state {s:?}")))
        })
        .transpose()?;
    let page = state
        .store
        .list_jobs(&JobQuery {
            state: job_state,
            registry: p.registry,
            page: Some(PageRequest::new(p.page, p.pagesize)),
        })
        .await?;
    Ok(Json(Page {
        count: page.count,
        page: page.page,
        pagesize: page.pagesize,
        result: page.result.iter().map(job_view).collect(),
    }))
}

/// `DELETE /api/v1/scan_jobs/{id}`: cancels a pending or running job.
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    authorize(
        &state,
        &caller,
        Permission::ManageIntegrations,
        "scan_job.cancel",
        &id,
    )
    .await?;
    let job = id
        .parse()
        .map_err(|_| ApiError::not_found(format!("no scan job {id:?}")))?;
    if !state
        .store
        .cancel_job(JobId(job), OffsetDateTime::now_utc())
        .await?
    {
        return Err(ApiError::conflict(format!(
            "scan job {id} is not pending or running"
        )));
    }
    let audit = Audit {
        action: "scan_job.cancel",
        target: &id,
        outcome: "success",
        detail: serde_json::Value::Null,
    };
    record(&state, &caller, audit).await;
    Ok(StatusCode::NO_CONTENT)
}

fn job_view(job: &Job) -> ScanJob {
    ScanJob {
        id: job.id.0,
        registry: job.image.registry.clone(),
        repository: job.image.repository.clone(),
        tag: job.image.tag.clone(),
        digest: job.digest.as_ref().map(ToString::to_string),
        reason: job.reason.as_str().to_owned(),
        state: job.state.as_str().to_owned(),
        attempts: job.attempts,
        max_attempts: job.max_attempts,
        error: job.error.clone(),
        created: rfc3339(job.created_at),
        started: job.started_at.map(rfc3339),
        finished: job.finished_at.map(rfc3339),
    }
}

async fn stored(state: &AppState, name: &str) -> ApiResult<RegistryRow> {
    state
        .store
        .registry(name)
        .await?
        .ok_or_else(|| not_found(name))
}

fn not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("no registry integration {name:?}"))
}

/// Jobs find their integration by registry host: two integrations of one host are refused.
async fn check_host_free(state: &AppState, integration: &Integration) -> ApiResult<()> {
    match crate::registries::for_host(state, &integration.host).await? {
        Some((row, _)) if row.name != integration.name => Err(ApiError::conflict(format!(
            "registry {:?} already integrates {}",
            row.name, integration.host
        ))),
        _ => Ok(()),
    }
}

/// A webhook token to generate: when the webhook is on and none was given.
fn new_token(
    integration: &Integration,
    given: Option<String>,
) -> Option<zeroize::Zeroizing<String>> {
    if !integration.wire.webhook.enabled {
        return None;
    }
    Some(given.map_or_else(kabuto_auth::random_secret, zeroize::Zeroizing::new))
}

/// Cancels the pending and running jobs of a registry host; how many.
async fn cancel_queued(state: &AppState, host: &str) -> ApiResult<usize> {
    let mut cancelled = 0;
    for job_state in [JobState::Pending, JobState::Running] {
        let page = state
            .store
            .list_jobs(&JobQuery {
                state: Some(job_state),
                registry: Some(host.to_owned()),
                page: Some(PageRequest::new(Some(1), Some(PageRequest::MAX_SIZE))),
            })
            .await?;
        for job in page.result {
            if state
                .store
                .cancel_job(job.id, OffsetDateTime::now_utc())
                .await?
            {
                cancelled += 1;
            }
        }
    }
    Ok(cancelled)
}

async fn audit(
    state: &AppState,
    caller: &Caller,
    action: &str,
    integration: &Integration,
    token_set: bool,
) {
    let audit = Audit {
        action,
        target: &integration.name,
        outcome: "success",
        detail: serde_json::json!({
            "type": integration.wire.registry_type,
            "host": integration.host,
            "auto_pull": integration.wire.auto_pull,
            "webhook_token_set": token_set,
        }),
    };
    record(state, caller, audit).await;
}
