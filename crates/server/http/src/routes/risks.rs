//! Vulnerabilities across images, and acknowledgements (Aqua's `risks` endpoints).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use kabuto_api::server::{
    AckEntry, AckIssue, AckRemoval, AckRequest, Page, Resource, VulnerabilityEntry,
    VulnerabilityGroup,
};
use kabuto_auth::Permission;
use kabuto_policy::Pattern;
use kabuto_store::{
    AckKey, AckRow, GroupOrder, NewAck, PageRequest, VulnerabilityGroupQuery,
    VulnerabilityGroupRow, VulnerabilityQuery,
};
use kabuto_types::AckState;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::{Audit, authorize, record, rfc3339};
use crate::error::{ApiError, ApiResult};
use crate::evaluate::wire_enum;
use crate::extract::{Caller, JsonBody, Params};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VulnerabilityParams {
    /// Part of `repository:tag`.
    image_name: Option<String>,
    registry_name: Option<String>,
    /// One vulnerability id.
    name: Option<String>,
    severity: Option<String>,
    /// `true`: only vulnerabilities with a fixed version; `false`: only without.
    fix_availability: Option<bool>,
    acknowledged: Option<bool>,
    page: Option<i64>,
    pagesize: Option<i64>,
}

pub async fn vulnerabilities(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Params(p): Params<VulnerabilityParams>,
) -> ApiResult<Json<Page<VulnerabilityEntry>>> {
    caller.require(Permission::Read)?;
    let query = VulnerabilityQuery {
        image_name: p.image_name,
        registry_name: p.registry_name,
        issue_name: p.name,
        issue_search: None,
        severity: p.severity,
        fix_availability: p.fix_availability,
        acknowledged: p.acknowledged,
        page: Some(PageRequest::new(p.page, p.pagesize)),
    };
    let page = state.store.vulnerabilities(&query).await?;
    let result = page
        .result
        .into_iter()
        .map(|row| {
            let v = row.vulnerability;
            VulnerabilityEntry {
                name: v.issue_name,
                severity: v.severity,
                score: v.score,
                resource: Resource {
                    kind: v.resource_type,
                    name: v.resource_name,
                    version: v.resource_version,
                },
                fix_version: v.fix_version,
                acknowledged: v.acknowledged,
                registry: row.image.registry,
                image_name: format!("{}:{}", row.image.repository, row.image.tag),
                image_digest: row.digest,
            }
        })
        .collect();
    Ok(Json(Page {
        count: page.count,
        page: page.page,
        pagesize: page.pagesize,
        result,
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupedParams {
    /// Part of the vulnerability id, any case.
    pub search: Option<String>,
    pub severity: Option<String>,
    /// Only occurrences acknowledged (`true`) or not (`false`).
    pub acknowledged: Option<bool>,
    pub registry: Option<String>,
    /// `images` (the default, most first), `severity` (highest first) or `name`; `-` first
    /// flips the order.
    pub order_by: Option<String>,
    pub page: Option<i64>,
    pub pagesize: Option<i64>,
}

/// `GET /api/v2/risks/vulnerabilities/grouped`.
pub async fn grouped(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Params(params): Params<GroupedParams>,
) -> ApiResult<Json<Page<VulnerabilityGroup>>> {
    caller.require(Permission::Read)?;
    Ok(Json(vulnerability_groups(&state, params).await?))
}

/// The vulnerabilities across images, one group per id; an unknown severity or order is a
/// 400 naming the parameter.
/// Answers are kept until the verdict generation moves ([`AppState::vulnerability_groups`]).
pub async fn vulnerability_groups(
    state: &AppState,
    params: GroupedParams,
) -> ApiResult<Page<VulnerabilityGroup>> {
    let generation = state.verdict_generation();
    let key = format!("{params:?}");
    if let Some(page) = state.vulnerability_groups.get(generation, &key) {
        return Ok(page);
    }
    let page = state
        .store
        .vulnerability_groups(&group_query(params)?)
        .await?;
    let page = Page {
        count: page.count,
        page: page.page,
        pagesize: page.pagesize,
        result: page.result.into_iter().map(vulnerability_group).collect(),
    };
    state
        .vulnerability_groups
        .put(generation, key, page.clone());
    Ok(page)
}

/// The groups of [`vulnerability_groups`]'s page alone, without counting every group.
pub async fn vulnerability_group_rows(
    state: &AppState,
    params: GroupedParams,
) -> ApiResult<Vec<VulnerabilityGroup>> {
    let rows = state
        .store
        .vulnerability_group_rows(&group_query(params)?)
        .await?;
    Ok(rows.into_iter().map(vulnerability_group).collect())
}

fn group_query(params: GroupedParams) -> ApiResult<VulnerabilityGroupQuery> {
    let (order, descending) = group_order(params.order_by.as_deref())?;
    let severity = params.severity.map(checked_severity).transpose()?;
    Ok(VulnerabilityGroupQuery {
        filter: VulnerabilityQuery {
            registry_name: params.registry,
            issue_search: params.search,
            severity,
            acknowledged: params.acknowledged,
            page: Some(PageRequest::new(params.page, params.pagesize)),
            ..VulnerabilityQuery::default()
        },
        order,
        descending,
    })
}

fn vulnerability_group(row: VulnerabilityGroupRow) -> VulnerabilityGroup {
    VulnerabilityGroup {
        name: row.issue_name,
        severity: row.severity,
        score: row.score,
        images: row.images,
        packages: row.packages,
        fix_version: row.fix_version,
        acknowledged: row.acknowledged,
        occurrences: row.occurrences,
    }
}

/// The order `order_by` names, and whether it is flipped from its natural direction (most
/// images and highest severity first, names A to Z).
fn group_order(text: Option<&str>) -> ApiResult<(GroupOrder, bool)> {
    let text = text.unwrap_or("images");
    let (flipped, name) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (order, natural_descending) = match name {
        "images" => (GroupOrder::Images, true),
        "severity" => (GroupOrder::Severity, true),
        "name" => (GroupOrder::Name, false),
        other => {
            return Err(ApiError::field(
                "order_by",
                format!("cannot sort by {other:?}: use images, severity or name"),
            ));
        }
    };
    Ok((order, natural_descending != flipped))
}

/// A severity filter as stored (lower case), or a 400 naming `severity`.
pub fn checked_severity(text: String) -> ApiResult<String> {
    let lower = text.to_ascii_lowercase();
    if SEVERITIES.contains(&lower.as_str()) {
        Ok(lower)
    } else {
        Err(ApiError::field(
            "severity",
            format!("unknown severity {text:?}: use {}", SEVERITIES.join(", ")),
        ))
    }
}

/// Severity names as the API filters by them.
pub const SEVERITIES: [&str; 6] = ["critical", "high", "medium", "low", "negligible", "unknown"];

pub async fn acks(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<Page<AckEntry>>> {
    caller.require(Permission::Read)?;
    let now = OffsetDateTime::now_utc();
    let rows = state.store.acks().await?;
    let result: Vec<AckEntry> = rows.into_iter().map(|row| ack_entry(row, now)).collect();
    let count = i64::try_from(result.len()).unwrap_or(i64::MAX);
    Ok(Json(Page {
        count,
        page: 1,
        pagesize: count.max(1),
        result,
    }))
}

fn ack_entry(row: AckRow, now: OffsetDateTime) -> AckEntry {
    let ack = row.ack;
    let expiration_days = ack
        .expires_at
        .map(|at| u16::try_from((at - row.created_at).whole_days().clamp(1, 999)).unwrap_or(999));
    AckEntry {
        issue: AckIssue {
            issue_name: ack.key.issue_name,
            issue_type: ack.issue_type,
            resource_type: ack.resource_type,
            resource_name: ack.key.resource_name,
            resource_version: ack.key.resource_version,
            image_name: ack.key.image_name,
            registry_name: ack.key.registry_name,
            fix_version: ack.fix_version,
            expiration_days,
            state: wire_enum(&ack.state),
            justification: ack.justification.as_deref().and_then(wire_enum),
        },
        comment: ack.comment,
        author: ack.author,
        created: rfc3339(row.created_at),
        expires: ack.expires_at.map(rfc3339),
        expired: ack.expires_at.is_some_and(|at| at <= now),
    }
}

pub async fn acknowledge(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Vec<AckEntry>>)> {
    authorize(
        &state,
        &caller,
        Permission::WriteAcknowledgements,
        "ack.create",
        "acknowledgements",
    )
    .await?;
    let request: AckRequest = body.parse()?;
    if request.comment.trim().is_empty() {
        return Err(ApiError::field("comment", "say why the risk is accepted"));
    }
    if request.issues.is_empty() || request.issues.len() > 1000 {
        return Err(ApiError::field("issues", "give 1 to 1000 issues"));
    }
    let now = OffsetDateTime::now_utc();
    let acks = request
        .issues
        .iter()
        .enumerate()
        .map(|(i, issue)| {
            new_ack(issue, &request.comment, caller.user.as_str(), now)
                .map_err(|(field, m)| ApiError::field(format!("issues[{i}].{field}"), m))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let mut stored = Vec::new();
    for ack in &acks {
        let previous = state.store.put_ack(ack, now).await?;
        let audit = Audit {
            action: if previous.is_some() {
                "ack.update"
            } else {
                "ack.create"
            },
            target: &ack.key.issue_name,
            outcome: "success",
            detail: serde_json::json!({
                "before": previous.map(|p| p.ack.comment),
                "after": { "comment": ack.comment, "state": ack.state, "resource_name": ack.key.resource_name,
                           "image_name": ack.key.image_name, "expires": ack.expires_at.map(rfc3339) },
            }),
        };
        record(&state, &caller, audit).await;
        stored.push(ack_entry(
            AckRow {
                id: 0,
                ack: ack.clone(),
                created_at: now,
            },
            now,
        ));
    }
    state.request_reevaluation(format!(
        "{} acknowledgement(s) by {}",
        acks.len(),
        caller.user
    ));
    Ok((StatusCode::CREATED, Json(stored)))
}

/// An issue as stored, or the field at fault and why.
fn new_ack(
    issue: &AckIssue,
    comment: &str,
    author: &str,
    now: OffsetDateTime,
) -> Result<NewAck, (&'static str, String)> {
    if issue.issue_name.trim().is_empty() {
        return Err((
            "issue_name",
            "name the vulnerability (CVE-2024-1234)".into(),
        ));
    }
    if issue.issue_type != "vulnerability" {
        return Err((
            "issue_type",
            format!(
                "{:?} cannot be acknowledged yet: only `vulnerability`",
                issue.issue_type
            ),
        ));
    }
    if let Some(days) = issue.expiration_days
        && !(1..=999).contains(&days)
    {
        return Err((
            "expiration_days",
            format!("{days} is not between 1 and 999"),
        ));
    }
    for (field, value) in [
        ("image_name", &issue.image_name),
        ("registry_name", &issue.registry_name),
    ] {
        if !value.is_empty() {
            Pattern::new(value).map_err(|e| (field, e))?;
        }
    }
    let state = issue.state.unwrap_or(AckState::Acknowledged);
    Ok(NewAck {
        key: ack_key(issue),
        issue_type: issue.issue_type.clone(),
        resource_type: issue.resource_type.clone(),
        fix_version: issue.fix_version.clone(),
        comment: comment.to_owned(),
        state: serde_json::to_value(state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        justification: issue.justification.map(|j| j.as_str().to_owned()),
        author: author.to_owned(),
        expires_at: issue
            .expiration_days
            .map(|d| now + Duration::days(i64::from(d))),
    })
}

fn ack_key(issue: &AckIssue) -> AckKey {
    AckKey {
        issue_name: issue.issue_name.trim().to_owned(),
        resource_name: issue.resource_name.clone(),
        resource_version: issue.resource_version.clone(),
        image_name: issue.image_name.clone(),
        registry_name: issue.registry_name.clone(),
    }
}

pub async fn unacknowledge(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<StatusCode> {
    authorize(
        &state,
        &caller,
        Permission::WriteAcknowledgements,
        "ack.delete",
        "acknowledgements",
    )
    .await?;
    let request: AckRemoval = body.parse()?;
    let mut removed = 0;
    for issue in &request.issues {
        if let Some(row) = state.store.delete_ack(&ack_key(issue)).await? {
            removed += 1;
            let audit = Audit {
                action: "ack.delete",
                target: &issue.issue_name,
                outcome: "success",
                detail: serde_json::json!({ "before": { "comment": row.ack.comment, "author": row.ack.author } }),
            };
            record(&state, &caller, audit).await;
        }
    }
    if removed == 0 {
        return Err(ApiError::not_found("none of these issues is acknowledged"));
    }
    state.request_reevaluation(format!(
        "{removed} acknowledgement(s) removed by {}",
        caller.user
    ));
    Ok(StatusCode::NO_CONTENT)
}

/// Current acknowledgements as an OpenVEX v0.2.0 document: products are the packages the
/// acknowledgement covers in stored images (`pkg:TYPE/NAME@VERSION`).
pub async fn openvex(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<serde_json::Value>> {
    caller.require(Permission::Read)?;
    let now = OffsetDateTime::now_utc();
    let mut statements = Vec::new();
    for row in state.store.acks().await? {
        if row.ack.expires_at.is_some_and(|at| at <= now) {
            continue;
        }
        let products = covered_packages(&state, &row).await?;
        statements.push(vex_statement(&row, products));
    }
    Ok(Json(serde_json::json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        "author": "Kabuto server",
        "timestamp": rfc3339(now),
        "version": 1,
        "statements": statements,
    })))
}

async fn covered_packages(state: &AppState, row: &AckRow) -> ApiResult<Vec<String>> {
    let query = VulnerabilityQuery {
        issue_name: Some(row.ack.key.issue_name.clone()),
        acknowledged: Some(true),
        page: Some(PageRequest::new(Some(1), Some(PageRequest::MAX_SIZE))),
        ..VulnerabilityQuery::default()
    };
    let mut products: Vec<String> = state
        .store
        .vulnerabilities(&query)
        .await?
        .result
        .into_iter()
        .map(|r| r.vulnerability)
        .filter(|v| {
            row.ack.key.resource_name.is_empty() || v.resource_name == row.ack.key.resource_name
        })
        .map(|v| {
            format!(
                "pkg:{}/{}@{}",
                v.resource_type, v.resource_name, v.resource_version
            )
        })
        .collect();
    products.sort();
    products.dedup();
    Ok(products)
}

fn vex_statement(row: &AckRow, products: Vec<String>) -> serde_json::Value {
    let (status, justification) = match row.ack.state.as_str() {
        "not_affected" => (
            "not_affected",
            Some(vex_justification(row.ack.justification.as_deref())),
        ),
        "false_positive" => ("not_affected", Some("component_not_present")),
        "in_triage" => ("under_investigation", None),
        _ => ("affected", None),
    };
    let mut statement = serde_json::json!({
        "vulnerability": { "name": row.ack.key.issue_name },
        "products": products.into_iter().map(|p| serde_json::json!({ "@id": p })).collect::<Vec<_>>(),
        "status": status,
        "status_notes": format!("{} (acknowledged by {})", row.ack.comment, row.ack.author),
    });
    if let Some(justification) = justification {
        statement["justification"] = justification.into();
    }
    if status == "affected" {
        statement["action_statement"] = format!("Risk accepted: {}", row.ack.comment).into();
    }
    statement
}

/// CycloneDX justifications as OpenVEX names them.
fn vex_justification(cyclonedx: Option<&str>) -> &'static str {
    match cyclonedx {
        Some("code_not_present") => "vulnerable_code_not_present",
        Some("code_not_reachable") => "vulnerable_code_not_in_execute_path",
        Some("requires_configuration" | "requires_dependency" | "requires_environment") => {
            "vulnerable_code_cannot_be_controlled_by_adversary"
        }
        Some(
            "protected_by_compiler"
            | "protected_at_runtime"
            | "protected_at_perimeter"
            | "protected_by_mitigating_control",
        ) => "inline_mitigations_already_exist",
        _ => "component_not_present",
    }
}
