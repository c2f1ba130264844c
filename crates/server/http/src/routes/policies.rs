//! Image assurance policies, kept in exactly the JSON shape `kabuto policy` reads (Aqua's
//! field names). A change re-evaluates every stored image.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use kabuto_api::server::PolicyPreview;
use kabuto_auth::Permission;
use kabuto_policy::{PolicySet, templates};
use kabuto_store::PolicyRow;
use serde_json::Value;
use time::OffsetDateTime;

use super::{Audit, authorize, record};
use crate::error::{ApiError, ApiResult};
use crate::evaluate::IMAGE_POLICIES;
use crate::extract::{Caller, JsonBody};
use crate::state::AppState;

/// Every policy document (the export: `PUT` each back, or keep the list as a policy file).
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<Vec<Value>>> {
    caller.require(Permission::Read)?;
    let rows = state.store.policies(IMAGE_POLICIES).await?;
    Ok(Json(rows.iter().map(document).collect::<ApiResult<_>>()?))
}

fn document(row: &PolicyRow) -> ApiResult<Value> {
    serde_json::from_str(&row.document)
        .map_err(|e| ApiError::internal("reading a stored policy", &e))
}

pub async fn get_one(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Permission::Read)?;
    let row = state
        .store
        .policy(IMAGE_POLICIES, &name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no image assurance policy {name:?}")))?;
    Ok(Json(document(&row)?))
}

/// `POST`: a new policy; 409 when the name is taken.
pub async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let target = body.peek("name").unwrap_or_else(|| "-".to_owned());
    authorize(
        &state,
        &caller,
        Permission::WritePolicies,
        "policy.create",
        &target,
    )
    .await?;
    let body: Value = body.parse()?;
    let CheckedPolicy { name, text, .. } = checked_policy(&body, None)?;
    if state.store.policy(IMAGE_POLICIES, &name).await?.is_some() {
        return Err(ApiError::conflict(format!(
            "image assurance policy {name:?} already exists: PUT /api/v2/assurance_policy/image/{name} replaces it"
        )));
    }
    save(&state, &caller, &name, &text).await?;
    Ok((StatusCode::CREATED, Json(body)))
}

/// `PUT`: create or replace the policy of that name.
pub async fn replace(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
    body: JsonBody,
) -> ApiResult<Json<Value>> {
    authorize(
        &state,
        &caller,
        Permission::WritePolicies,
        "policy.update",
        &name,
    )
    .await?;
    let body: Value = body.parse()?;
    let CheckedPolicy { name, text, .. } = checked_policy(&body, Some(&name))?;
    save(&state, &caller, &name, &text).await?;
    Ok(Json(body))
}

/// The path segment of the preview under `/api/v2/assurance_policy/image/`: no policy may
/// have it as its name, or the policy's own path would reach the preview.
const PREVIEW_PATH: &str = "preview";

/// A policy body the policy reader accepted.
struct CheckedPolicy {
    name: String,
    /// The JSON text to store.
    text: String,
    set: PolicySet,
}

/// The policy of a body, once the policy reader accepts it; its errors name the field and
/// line.
fn checked_policy(body: &Value, path_name: Option<&str>) -> ApiResult<CheckedPolicy> {
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "a policy is one JSON object (Aqua's image assurance policy fields)",
        ));
    }
    let text = serde_json::to_string_pretty(body)
        .map_err(|e| ApiError::internal("encoding the policy", &e))?;
    let set = PolicySet::parse(&text, "request body")
        .map_err(|e| ApiError::bad_request(crate::error::chain(&e)))?;
    let name = set
        .policies()
        .first()
        .map(|p| p.name.clone())
        .ok_or_else(|| ApiError::field("name", "the policy needs a name"))?;
    if name == PREVIEW_PATH {
        return Err(ApiError::field(
            "name",
            "`preview` is taken by POST /api/v2/assurance_policy/image/preview: choose another name",
        ));
    }
    if let Some(expected) = path_name
        && expected != name
    {
        return Err(ApiError::field(
            "name",
            format!("the body names policy {name:?} but the path names {expected:?}"),
        ));
    }
    Ok(CheckedPolicy { name, text, set })
}

/// `POST /api/v2/assurance_policy/image/preview`: what the body's policy (as `PUT` takes
/// it) would fail among the stored images. Changes nothing, so reading is enough.
pub async fn preview(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<Json<PolicyPreview>> {
    caller.require(Permission::Read)?;
    let document: Value = body.parse()?;
    Ok(Json(preview_policy(&state, &document).await?))
}

/// The stored scanned images (newest scans first, at most
/// [`crate::evaluate::PREVIEW_LIMIT`]) judged with `document` as the only policy,
/// acknowledgements applied; 400 naming the field when the policy reader refuses it.
pub async fn preview_policy(state: &AppState, document: &Value) -> ApiResult<PolicyPreview> {
    let policy = checked_policy(document, None)?;
    crate::evaluate::preview(state, policy.set, &policy.name).await
}

async fn save(state: &AppState, caller: &Caller, name: &str, text: &str) -> ApiResult<()> {
    let previous = state
        .store
        .put_policy(
            IMAGE_POLICIES,
            name,
            text,
            caller.user.as_str(),
            OffsetDateTime::now_utc(),
        )
        .await?;
    let audit = Audit {
        action: if previous.is_some() {
            "policy.update"
        } else {
            "policy.create"
        },
        target: name,
        outcome: "success",
        detail: serde_json::json!({
            "before": previous.map(|p| p.document),
            "after": text,
        }),
    };
    record(state, caller, audit).await;
    state.request_reevaluation(format!("policy {name} changed by {}", caller.user));
    Ok(())
}

pub async fn remove(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    authorize(
        &state,
        &caller,
        Permission::WritePolicies,
        "policy.delete",
        &name,
    )
    .await?;
    let removed = state
        .store
        .delete_policy(IMAGE_POLICIES, &name)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no image assurance policy {name:?}")))?;
    let audit = Audit {
        action: "policy.delete",
        target: &name,
        outcome: "success",
        detail: serde_json::json!({ "before": removed.document }),
    };
    record(&state, &caller, audit).await;
    state.request_reevaluation(format!("policy {name} deleted by {}", caller.user));
    Ok(StatusCode::NO_CONTENT)
}

pub async fn templates(caller: Caller) -> ApiResult<Json<Vec<&'static str>>> {
    caller.require(Permission::Read)?;
    Ok(Json(templates::NAMES.to_vec()))
}

/// A template as a policy document, to edit and `POST`.
pub async fn template(caller: Caller, Path(name): Path<String>) -> ApiResult<Json<Value>> {
    caller.require(Permission::Read)?;
    let text = templates::get(&name).ok_or_else(|| {
        ApiError::not_found(format!(
            "no template {name:?}: the templates are {}",
            templates::NAMES.join(", ")
        ))
    })?;
    let value: Value = serde_yaml::from_str(text)
        .map_err(|e| ApiError::internal("reading a built-in template", &e))?;
    Ok(Json(value))
}
