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
pub async fn list<K: Kind>(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<Vec<Value>>> {
    caller.require(K::KIND.read)?;
    Ok(Json(K::KIND.documents(&state).await?))
}

fn document(row: &PolicyRow) -> ApiResult<Value> {
    serde_json::from_str(&row.document)
        .map_err(|e| ApiError::internal("reading a stored policy", &e))
}

/// What tells image assurance policies and runtime policies apart in the store, in
/// messages, in the audit log and in what a change sets off.
pub(crate) struct PolicyKind {
    /// The store's `kind` column.
    pub store_kind: &'static str,
    /// `image assurance policy`.
    pub label: &'static str,
    /// Where one policy is (`{path}/{name}`).
    pub path: &'static str,
    /// Audit actions are `{audit}.create`, `.update` and `.delete`.
    pub audit: &'static str,
    /// A change re-evaluates the stored images.
    pub reevaluates: bool,
    /// What reading needs.
    pub read: Permission,
    /// The reader of a body.
    pub check: Checker,
}

/// A kind of policy the handlers here serve (`list::<Image>`).
pub(crate) trait Kind: Send + Sync + 'static {
    const KIND: PolicyKind;
}

/// Image assurance policies, re-evaluating the stored images when they change.
pub(crate) struct Image;

impl Kind for Image {
    const KIND: PolicyKind = PolicyKind {
        store_kind: IMAGE_POLICIES,
        label: "image assurance policy",
        path: "/api/v2/assurance_policy/image",
        audit: "policy",
        reevaluates: true,
        read: Permission::Read,
        check: image_policy,
    };
}

/// The name and the text to store of a policy body its reader accepts; the name must be
/// the path's (`Some`, for a `PUT`).
pub(crate) type Checker = fn(&Value, Option<&str>) -> ApiResult<(String, String)>;

impl PolicyKind {
    /// `POST`: a new policy; 409 when the name is taken.
    pub(crate) async fn create(
        &self,
        state: &AppState,
        caller: &Caller,
        body: JsonBody,
    ) -> ApiResult<(StatusCode, Json<Value>)> {
        let target = body.peek("name").unwrap_or_else(|| "-".to_owned());
        let action = format!("{}.create", self.audit);
        authorize(state, caller, Permission::WritePolicies, &action, &target).await?;
        let body: Value = body.parse()?;
        let (name, text) = (self.check)(&body, None)?;
        self.refuse_taken(state, &name).await?;
        self.save(state, caller, &name, &text).await?;
        Ok((StatusCode::CREATED, Json(body)))
    }

    /// `PUT`: creates or replaces the policy `name`.
    pub(crate) async fn replace(
        &self,
        state: &AppState,
        caller: &Caller,
        name: &str,
        body: JsonBody,
    ) -> ApiResult<Json<Value>> {
        let action = format!("{}.update", self.audit);
        authorize(state, caller, Permission::WritePolicies, &action, name).await?;
        let body: Value = body.parse()?;
        let (name, text) = (self.check)(&body, Some(name))?;
        self.save(state, caller, &name, &text).await?;
        Ok(Json(body))
    }

    /// Every stored document of this kind, by name.
    pub(crate) async fn documents(&self, state: &AppState) -> ApiResult<Vec<Value>> {
        let rows = state.store.policies(self.store_kind).await?;
        rows.iter().map(document).collect()
    }

    /// One stored document, or 404 naming it.
    pub(crate) async fn document(&self, state: &AppState, name: &str) -> ApiResult<Value> {
        let row = state
            .store
            .policy(self.store_kind, name)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no {} {name:?}", self.label)))?;
        document(&row)
    }

    /// 409 when a policy of that name exists (for `POST`).
    pub(crate) async fn refuse_taken(&self, state: &AppState, name: &str) -> ApiResult<()> {
        if state.store.policy(self.store_kind, name).await?.is_some() {
            return Err(ApiError::conflict(format!(
                "{} {name:?} already exists: PUT {}/{name} replaces it",
                self.label, self.path
            )));
        }
        Ok(())
    }

    /// Stores a checked policy, with an audit record of before and after.
    pub(crate) async fn save(
        &self,
        state: &AppState,
        caller: &Caller,
        name: &str,
        text: &str,
    ) -> ApiResult<()> {
        let previous = state
            .store
            .put_policy(
                self.store_kind,
                name,
                text,
                caller.user.as_str(),
                OffsetDateTime::now_utc(),
            )
            .await?;
        let action = match previous {
            Some(_) => format!("{}.update", self.audit),
            None => format!("{}.create", self.audit),
        };
        let audit = Audit {
            action: &action,
            target: name,
            outcome: "success",
            detail: serde_json::json!({
                "before": previous.map(|p| p.document),
                "after": text,
            }),
        };
        record(state, caller, audit).await;
        if self.reevaluates {
            state.request_reevaluation(format!("policy {name} changed by {}", caller.user));
        }
        Ok(())
    }

    /// `DELETE`: 404 when there is no such policy; audited.
    pub(crate) async fn remove(
        &self,
        state: &AppState,
        caller: &Caller,
        name: &str,
    ) -> ApiResult<StatusCode> {
        let action = format!("{}.delete", self.audit);
        authorize(state, caller, Permission::WritePolicies, &action, name).await?;
        let removed = state
            .store
            .delete_policy(self.store_kind, name)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no {} {name:?}", self.label)))?;
        let audit = Audit {
            action: &action,
            target: name,
            outcome: "success",
            detail: serde_json::json!({ "before": removed.document }),
        };
        record(state, caller, audit).await;
        if self.reevaluates {
            state.request_reevaluation(format!("policy {name} deleted by {}", caller.user));
        }
        Ok(StatusCode::NO_CONTENT)
    }
}

pub async fn get_one<K: Kind>(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(K::KIND.read)?;
    Ok(Json(K::KIND.document(&state, &name).await?))
}

/// `POST`: a new policy; 409 when the name is taken.
pub async fn create<K: Kind>(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    K::KIND.create(&state, &caller, body).await
}

/// `PUT`: create or replace the policy of that name.
pub async fn replace<K: Kind>(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
    body: JsonBody,
) -> ApiResult<Json<Value>> {
    K::KIND.replace(&state, &caller, &name, body).await
}

fn image_policy(body: &Value, path_name: Option<&str>) -> ApiResult<(String, String)> {
    let CheckedPolicy { name, text, .. } = checked_policy(body, path_name)?;
    Ok((name, text))
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
    let text = policy_text(body, "Aqua's image assurance policy fields")?;
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
    same_name(&name, path_name)?;
    Ok(CheckedPolicy { name, text, set })
}

/// The text to store of a policy body, which must be one JSON object (of `fields`).
pub(crate) fn policy_text(body: &Value, fields: &str) -> ApiResult<String> {
    if !body.is_object() {
        return Err(ApiError::bad_request(format!(
            "a policy is one JSON object ({fields})"
        )));
    }
    serde_json::to_string_pretty(body).map_err(|e| ApiError::internal("encoding the policy", &e))
}

/// 400 when a `PUT`'s body names another policy than its path.
pub(crate) fn same_name(name: &str, path_name: Option<&str>) -> ApiResult<()> {
    match path_name {
        Some(expected) if expected != name => Err(ApiError::field(
            "name",
            format!("the body names policy {name:?} but the path names {expected:?}"),
        )),
        _ => Ok(()),
    }
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

pub async fn remove<K: Kind>(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    K::KIND.remove(&state, &caller, &name).await
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
