//! Notification outputs (Aqua's `/api/v2/notification/outputs`) and the outbox's dead
//! letters. An output is kept sealed; every answer and audit record shows it with its secrets
//! as `<redacted>`, and a `PUT` that sends `<redacted>` back for a secret keeps the stored one.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kabuto_api::server::{
    NotificationEntry, NotificationOutputEntry, NotificationOutputRequest, NotificationTestResult,
    Page,
};
use kabuto_auth::Permission;
use kabuto_notify::{DeliveryOptions, Event, Notifier, Output, OutputError, RawOutput, Trigger};
use kabuto_store::{NewOutput, Notification, NotificationId, OutputRow, PageRequest};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use super::{Audit, authorize, record, rfc3339};
use crate::error::{ApiError, ApiResult, chain};
use crate::evaluate::wire_enum;
use crate::extract::{Caller, JsonBody, Params};
use crate::notifications::{deliver_now, open_output, sealing_context};
use crate::state::AppState;

type OutputBody = NotificationOutputRequest<RawOutput, Trigger>;
type OutputEntry = NotificationOutputEntry<RawOutput, Trigger>;

pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<Vec<OutputEntry>>> {
    caller.require(Permission::Read)?;
    let rows = state.store.outputs().await?;
    let entries = rows
        .iter()
        .map(|row| Ok(entry(&opened(&state, row)?, row)))
        .collect::<ApiResult<_>>()?;
    Ok(Json(entries))
}

pub async fn get_one(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<OutputEntry>> {
    caller.require(Permission::Read)?;
    let row = stored(&state, &name).await?;
    Ok(Json(entry(&opened(&state, &row)?, &row)))
}

/// `POST`: a new output; 409 when the name is taken.
pub async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<OutputEntry>)> {
    let target = body.peek("name").unwrap_or_else(|| "-".to_owned());
    let action = "notification_output.create";
    authorize(
        &state,
        &caller,
        Permission::ManageIntegrations,
        action,
        &target,
    )
    .await?;
    let checked = Checked::from_request(body.parse()?, None, None)?;
    let now = OffsetDateTime::now_utc();
    state
        .store
        .create_output(&checked.sealed(&state)?, now)
        .await?;
    let row = stored(&state, checked.output.name().as_str()).await?;
    let entry = entry(&checked.output, &row);
    let audit = Audit {
        action,
        target: row.name.as_str(),
        outcome: "success",
        detail: json!({ "after": entry }),
    };
    record(&state, &caller, audit).await;
    Ok((StatusCode::CREATED, Json(entry)))
}

/// `PUT`: creates or replaces the output of that name. A secret sent as `<redacted>` keeps
/// the stored output's value.
pub async fn replace(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
    body: JsonBody,
) -> ApiResult<Json<OutputEntry>> {
    authorize(
        &state,
        &caller,
        Permission::ManageIntegrations,
        "notification_output.update",
        &name,
    )
    .await?;
    let request: OutputBody = body.parse()?;
    let previous = state.store.output(&name).await?;
    // An output that no longer opens (the secret key changed) can still be replaced whole.
    let before = previous
        .as_ref()
        .and_then(|row| open_output(&state, row).ok().map(|output| (output, row)));
    let checked = Checked::from_request(request, Some(&name), before.as_ref().map(|(o, _)| o))?;
    let now = OffsetDateTime::now_utc();
    state
        .store
        .replace_output(&checked.sealed(&state)?, now)
        .await?;
    let row = stored(&state, &name).await?;
    let entry = entry(&checked.output, &row);
    let audit = Audit {
        action: if previous.is_some() {
            "notification_output.update"
        } else {
            "notification_output.create"
        },
        target: &name,
        outcome: "success",
        detail: json!({
            "before": before.map(|(output, row)| self::entry(&output, row)),
            "after": entry,
        }),
    };
    record(&state, &caller, audit).await;
    Ok(Json(entry))
}

pub async fn remove(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let action = "notification_output.delete";
    authorize(
        &state,
        &caller,
        Permission::ManageIntegrations,
        action,
        &name,
    )
    .await?;
    let removed = state
        .store
        .delete_output(&name)
        .await?
        .ok_or_else(|| no_output(&name))?;
    let before = match open_output(&state, &removed) {
        Ok(output) => json!(entry(&output, &removed)),
        Err(_) => json!({ "name": removed.name, "type": removed.kind }),
    };
    let audit = Audit {
        action,
        target: &name,
        outcome: "success",
        detail: json!({ "before": before }),
    };
    record(&state, &caller, audit).await;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST .../{name}/test`: delivers a test event now, whatever the output's triggers and
/// `enabled`, and answers how it went.
pub async fn test(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<NotificationTestResult>> {
    let action = "notification_output.test";
    authorize(
        &state,
        &caller,
        Permission::ManageIntegrations,
        action,
        &name,
    )
    .await?;
    let row = stored(&state, &name).await?;
    let output = opened(&state, &row)?;
    let trigger = row
        .triggers
        .iter()
        .find_map(|code| wire_enum::<Trigger>(code))
        .unwrap_or(Trigger::NewCriticalVulnerability);
    let event = Event {
        trigger,
        image: "kabuto/notification-test:latest".to_owned(),
        digest: None,
        summary: format!("Test notification from Kabuto for output `{name}`"),
        details: json!({ "test": true, "by": caller.user.as_str() }),
        time: OffsetDateTime::now_utc(),
    };
    let delivered = tokio::task::spawn_blocking(move || {
        deliver_now(&Notifier::new(&DeliveryOptions::default()), &output, &event)
    })
    .await
    .map_err(|e| ApiError::internal("the delivery task", &e))?;
    let result = NotificationTestResult {
        output: name.clone(),
        delivered: delivered.is_ok(),
        retryable: delivered.as_ref().err().map(|(_, retryable)| *retryable),
        error: delivered.err().map(|(error, _)| error),
    };
    let audit = Audit {
        action,
        target: &name,
        outcome: if result.delivered {
            "success"
        } else {
            "failure"
        },
        detail: json!({ "error": result.error }),
    };
    record(&state, &caller, audit).await;
    Ok(Json(result))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    page: Option<i64>,
    pagesize: Option<i64>,
}

/// The notifications given up on, newest first.
pub async fn dead_letters(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Params(params): Params<PageParams>,
) -> ApiResult<Json<Page<NotificationEntry>>> {
    caller.require(Permission::Read)?;
    let page = state
        .store
        .dead_letters(PageRequest::new(params.page, params.pagesize))
        .await?;
    Ok(Json(Page {
        count: page.count,
        page: page.page,
        pagesize: page.pagesize,
        result: page.result.into_iter().map(notification_entry).collect(),
    }))
}

/// Queues a dead letter again, due now, with a fresh count of attempts.
pub async fn retry(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<NotificationEntry>> {
    let action = "notification.retry";
    authorize(&state, &caller, Permission::ManageIntegrations, action, &id).await?;
    let no_letter = || ApiError::not_found(format!("no dead letter {id:?}"));
    let number: i64 = id.parse().map_err(|_| no_letter())?;
    let queued = state
        .store
        .retry_dead_letter(NotificationId(number), OffsetDateTime::now_utc())
        .await?
        .ok_or_else(no_letter)?;
    let audit = Audit {
        action,
        target: &id,
        outcome: "success",
        detail: json!({ "output": queued.output, "trigger": queued.trigger }),
    };
    record(&state, &caller, audit).await;
    state.outbox.notify_one();
    Ok(Json(notification_entry(queued)))
}

/// An output from the API, checked, with its subscription.
struct Checked {
    output: Output,
    enabled: bool,
    triggers: Vec<Trigger>,
}

impl Checked {
    /// `path_name`: the name in a `PUT`'s path, which the body must repeat. `stored`: the
    /// output being replaced, whose secrets a `<redacted>` keeps.
    fn from_request(
        request: OutputBody,
        path_name: Option<&str>,
        stored: Option<&Output>,
    ) -> ApiResult<Checked> {
        let raw = match stored {
            Some(stored) => request.output.keep_redacted(stored),
            None => request.output,
        };
        let output = Output::try_from(raw).map_err(output_error)?;
        if let Some(expected) = path_name
            && expected != output.name().as_str()
        {
            return Err(ApiError::field(
                "name",
                format!(
                    "the body names output {:?} but the path names {expected:?}",
                    output.name().as_str()
                ),
            ));
        }
        let mut triggers = Vec::new();
        for trigger in request.triggers.unwrap_or_else(|| Trigger::ALL.to_vec()) {
            if !triggers.contains(&trigger) {
                triggers.push(trigger);
            }
        }
        if triggers.is_empty() {
            return Err(ApiError::field(
                "triggers",
                "give at least one trigger, or set `enabled` to false",
            ));
        }
        Ok(Checked {
            output,
            enabled: request.enabled,
            triggers,
        })
    }

    /// The row to store: the output sealed for its name.
    fn sealed(&self, state: &AppState) -> ApiResult<NewOutput> {
        let name = self.output.name().as_str();
        let text = self
            .output
            .to_json_with_secrets()
            .map_err(|e| ApiError::internal("encoding the output", &e))?;
        let document = state
            .sealing
            .seal(text.as_bytes(), &sealing_context(name))
            .map_err(|e| ApiError::internal("sealing the output", &e))?;
        Ok(NewOutput {
            name: name.to_owned(),
            kind: self.output.kind().code().to_owned(),
            enabled: self.enabled,
            triggers: self.triggers.iter().map(|t| t.code().to_owned()).collect(),
            document,
        })
    }
}

fn output_error(error: OutputError) -> ApiError {
    let message = chain(&error);
    match error {
        OutputError::Field { field, .. } => ApiError::field(field, message),
        OutputError::Name { .. } => ApiError::field("name", message),
        OutputError::Json(_) => ApiError::bad_request(message),
    }
}

async fn stored(state: &AppState, name: &str) -> ApiResult<OutputRow> {
    state
        .store
        .output(name)
        .await?
        .ok_or_else(|| no_output(name))
}

fn no_output(name: &str) -> ApiError {
    ApiError::not_found(format!("no notification output {name:?}"))
}

fn opened(state: &AppState, row: &OutputRow) -> ApiResult<Output> {
    open_output(state, row).map_err(|e| ApiError::internal("opening a notification output", &e))
}

/// The API view: secrets as `<redacted>`.
fn entry(output: &Output, row: &OutputRow) -> OutputEntry {
    NotificationOutputEntry {
        output: RawOutput::from(output),
        enabled: row.enabled,
        triggers: row.triggers.iter().filter_map(|t| wire_enum(t)).collect(),
        created: rfc3339(row.created_at),
        updated: rfc3339(row.updated_at),
    }
}

fn notification_entry(n: Notification) -> NotificationEntry {
    NotificationEntry {
        id: n.id.0,
        output: n.output,
        trigger: n.trigger,
        state: n.state.as_str().to_owned(),
        attempts: n.attempts,
        error: n.error,
        created: rfc3339(n.created_at),
        finished: n.finished_at.map(rfc3339),
        event: n.payload,
    }
}
