//! Images: register for later scanning, upload a scan (the CI gate), list, detail.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kabuto_api::server::{ImageDetail, ImageSummary, Page, ScanUploadResponse};
use kabuto_api::{AssuranceCheck, ImageRegistration, SCAN_REPORT_VERSION, ScanReport, Verdict};
use kabuto_auth::Permission;
use kabuto_report::{Format, RenderOptions};
use kabuto_scan::StoredScan;
use kabuto_store::{
    Evaluation, ImageKey, ImageOrder, ImageQuery, ImageRow, Ingest, NewScan, PageRequest,
};
use kabuto_types::ImageReference;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{Audit, authorize, record, rfc3339};
use crate::error::{ApiError, ApiResult};
use crate::evaluate::{Judge, evaluation, judge, judge_stored};
use crate::extract::{Caller, JsonBody, Params, SCAN_BODY, json_body, parse_json};
use crate::state::AppState;

/// The registry name of images scanned from files (archives, directories) rather than
/// pulled from a registry.
const LOCAL_REGISTRY: &str = "local";

/// An upload over this size leaves enough freed memory behind to hand back to the system.
const LARGE_UPLOAD: usize = 1 << 20;

pub async fn register(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<Vec<ImageSummary>>)> {
    authorize(
        &state,
        &caller,
        Permission::RegisterScans,
        "image.register",
        "images",
    )
    .await?;
    let request: ImageRegistration = body.parse()?;
    if request.images.is_empty() || request.images.len() > 1000 {
        return Err(ApiError::field("images", "give 1 to 1000 images"));
    }
    let now = OffsetDateTime::now_utc();
    let mut registered = Vec::new();
    for (i, image) in request.images.iter().enumerate() {
        let key = checked_key(&image.registry, &image.repository, &image.tag)
            .map_err(|m| ApiError::field(format!("images[{i}]"), m))?;
        state
            .store
            .register_image(&key, caller.user.as_str(), now)
            .await?;
        crate::registries::queue_registered(&state, &key).await?;
        if let Some(row) = state.store.image(&key).await? {
            registered.push(summary(&row)?);
        }
    }
    state.bump_generation();
    let audit = Audit {
        action: "image.register",
        target: "images",
        outcome: "success",
        detail: serde_json::json!({ "images": registered.iter().map(|i| format!("{}/{}", i.registry, i.name)).collect::<Vec<_>>() }),
    };
    record(&state, &caller, audit).await;
    Ok((StatusCode::CREATED, Json(registered)))
}

/// Registry, repository and tag as given, checked: non-empty, printable, no spaces.
fn checked_key(registry: &str, repository: &str, tag: &str) -> Result<ImageKey, String> {
    for (field, value) in [
        ("registry", registry),
        ("repository", repository),
        ("tag", tag),
    ] {
        if value.is_empty()
            || value.len() > 255
            || value.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "{field} must be 1 to 255 printable characters without spaces"
            ));
        }
    }
    Ok(ImageKey {
        registry: registry.to_owned(),
        repository: repository.to_owned(),
        tag: tag.to_owned(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadParams {
    /// Store the scan (`true`), or only answer the verdict.
    #[serde(default)]
    register: bool,
    /// The image reference the scan is registered under; taken from the report when absent.
    #[serde(default)]
    image: Option<String>,
}

pub async fn upload(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Params(params): Params<UploadParams>,
    request: Request<Body>,
) -> ApiResult<Json<ScanUploadResponse>> {
    let (permission, action) = if params.register {
        (Permission::RegisterScans, "image.scan")
    } else {
        (Permission::AskVerdict, "image.verdict")
    };
    authorize(
        &state,
        &caller,
        permission,
        action,
        params.image.as_deref().unwrap_or("-"),
    )
    .await?;
    let bytes = json_body(request, SCAN_BODY).await?;
    let key = params.image.as_deref().map(given_key).transpose()?;
    let response = ingest(&state, &caller, key, &bytes, params.register).await?;
    if bytes.len() > LARGE_UPLOAD {
        crate::evaluate::release_freed_memory();
    }
    Ok(Json(response))
}

/// A Kabuto JSON scan report judged by the server (and stored when `register`), under `key`
/// or else the image the report names: an upload's, and a registry scan's.
pub async fn ingest(
    state: &AppState,
    caller: &Caller,
    key: Option<ImageKey>,
    bytes: &[u8],
    register: bool,
) -> ApiResult<ScanUploadResponse> {
    let report: ScanReport = parse_json(bytes)?;
    if report.schema_version != SCAN_REPORT_VERSION {
        return Err(ApiError::field(
            "schema_version",
            format!(
                "this server reads scan reports of schema_version {SCAN_REPORT_VERSION}, not {}",
                report.schema_version
            ),
        ));
    }
    let key = match key {
        Some(key) => key,
        None => image_key(&report)?,
    };
    let digest = image_digest(&report, bytes);
    let scan_key = scan_key(&digest, &report)?;
    let (engine, db_version) = state.vulndb.engine().ok_or_else(no_database)?;
    let judge_now = Judge::load(&state.store).await?;
    let (kept, stored) = kept_scan(report)?;
    let judged_key = key.clone();
    let (verdict, evaluated) = tokio::task::spawn_blocking(move || {
        let result = judge(&engine, &judge_now, stored, &judged_key)?;
        let verdict = result.gate_verdict();
        Ok::<_, ApiError>((
            verdict,
            evaluation(&result, &db_version, judge_now.now, None)?,
        ))
    })
    .await
    .map_err(|e| ApiError::internal("the evaluation task", &e))??;
    let mut response = ScanUploadResponse {
        verdict,
        registered: register,
        new_scan: false,
        image: None,
    };
    if register {
        let scan = NewScan {
            scan_key: &scan_key,
            digest: &digest,
            report: &kept,
            uploaded_by: caller.user.as_str(),
        };
        store_scan(state, caller, &key, scan, &evaluated, &mut response).await?;
    }
    if response.verdict.disallowed {
        let audit = Audit {
            action: "verdict.block",
            target: &key.to_string(),
            outcome: "blocked",
            detail: serde_json::json!({ "failed": failed_checks(&response.verdict) }),
        };
        record(state, caller, audit).await;
    }
    Ok(response)
}

async fn store_scan(
    state: &AppState,
    caller: &Caller,
    key: &ImageKey,
    scan: NewScan<'_>,
    evaluated: &Evaluation,
    response: &mut ScanUploadResponse,
) -> ApiResult<()> {
    let digest = scan.digest;
    let ingest = Ingest {
        image: key,
        scan,
        evaluation: evaluated,
    };
    let outcome = state
        .store
        .ingest(&ingest, OffsetDateTime::now_utc())
        .await?;
    state.metrics.scans_ingested.inc();
    state.bump_generation();
    crate::notifications::scan_stored(state, key, digest, &outcome.prior, evaluated).await;
    response.new_scan = outcome.new_scan;
    response.image = state
        .store
        .image(key)
        .await?
        .as_ref()
        .map(summary)
        .transpose()?;
    let audit = Audit {
        action: "image.scan",
        target: &key.to_string(),
        outcome: "success",
        detail: serde_json::json!({
            "digest": digest,
            "new_scan": outcome.new_scan,
            "new_image": outcome.new_image,
            "disallowed": evaluated.disallowed,
        }),
    };
    record(state, caller, audit).await;
    Ok(())
}

fn failed_checks(verdict: &Verdict) -> Vec<String> {
    verdict
        .assurance_checks_performed
        .iter()
        .filter(|c| c.blocking)
        .map(|c| format!("{}: {}", c.policy_name, c.control))
        .collect()
}

pub fn no_database() -> ApiError {
    ApiError::unavailable(
        "the server has no vulnerability database yet: put one at the server's --db path \
         (`kabuto db update --db PATH` or `kabuto db build`); it is picked up within 30 s",
    )
}

/// The image `?image=` names.
fn given_key(text: &str) -> ApiResult<ImageKey> {
    let reference = ImageReference::parse(text)
        .map_err(|e| ApiError::bad_request(format!("image {text:?}: {e}")))?;
    Ok(key_of(&reference))
}

/// The image a scan is registered under when not given: the image's own tag, else the scan
/// target when it is a reference, else `local/<file name>:latest`.
fn image_key(report: &ScanReport) -> ApiResult<ImageKey> {
    let candidates = report
        .image
        .iter()
        .flat_map(|i| i.repo_tags.iter())
        .chain(std::iter::once(&report.artifact.name));
    for name in candidates {
        if let Ok(reference) = ImageReference::parse(name)
            && !name.starts_with(['/', '.'])
            && !name.contains(".tar")
        {
            return Ok(key_of(&reference));
        }
    }
    let file = report
        .artifact
        .name
        .rsplit('/')
        .next()
        .unwrap_or("scan")
        .to_owned();
    checked_key(LOCAL_REGISTRY, &file, "latest").map_err(|m| ApiError::field("artifact.name", m))
}

pub(crate) fn key_of(reference: &ImageReference) -> ImageKey {
    ImageKey {
        registry: reference.registry().to_owned(),
        repository: reference.repository().to_owned(),
        tag: reference.tag().unwrap_or("latest").to_owned(),
    }
}

/// The image's manifest digest, else its config digest (image id), else the upload's own
/// hash (a directory scan has no digest).
fn image_digest(report: &ScanReport, bytes: &[u8]) -> String {
    report
        .image
        .as_ref()
        .and_then(|i| i.manifest_digest.as_ref().or(i.config_digest.as_ref()))
        .map_or_else(
            || format!("sha256:{}", hex::encode(Sha256::digest(bytes))),
            ToString::to_string,
        )
}

/// Same digest, same analyzers, same findings: the same stored scan.
fn scan_key(digest: &str, report: &ScanReport) -> ApiResult<String> {
    let content = serde_json::to_vec(&(
        &report.os,
        &report.packages,
        &report.secrets,
        &report.misconfigurations,
        &report.malware,
        &report.tool.version,
    ))
    .map_err(|e| ApiError::internal("hashing the scan", &e))?;
    Ok(format!("{digest}|{}", hex::encode(Sha256::digest(content))))
}

/// What the server keeps of an upload: the report without its vulnerabilities and policy
/// results (the server computes its own, and every re-evaluation would parse them for
/// nothing), and that as the engine reads it.
fn kept_scan(mut report: ScanReport) -> ApiResult<(Vec<u8>, StoredScan)> {
    report.vulnerabilities = None;
    report.policies = None;
    let kept =
        serde_json::to_vec(&report).map_err(|e| ApiError::internal("encoding the scan", &e))?;
    Ok((kept, StoredScan::from_report(report)))
}

pub fn summary(row: &ImageRow) -> ApiResult<ImageSummary> {
    let checks: Vec<AssuranceCheck> = serde_json::from_str(&row.checks)
        .map_err(|e| ApiError::internal("reading stored assurance checks", &e))?;
    let c = row.counts;
    Ok(ImageSummary {
        registry: row.key.registry.clone(),
        repository: row.key.repository.clone(),
        tag: row.key.tag.clone(),
        name: format!("{}:{}", row.key.repository, row.key.tag),
        digest: row.digest.clone(),
        scan_status: row.scan_status.clone(),
        os: row.os.clone(),
        packages: row.packages,
        disallowed: row.disallowed,
        vulns_found: c.critical + c.high + c.medium + c.low + c.negligible + c.unknown,
        crit_vulns: c.critical,
        high_vulns: c.high,
        med_vulns: c.medium,
        low_vulns: c.low,
        neg_vulns: c.negligible,
        unknown_vulns: c.unknown,
        registered_by: row.registered_by.clone(),
        registered: rfc3339(row.registered_at),
        scan_date: row.scanned_at.map(rfc3339),
        evaluated: row.evaluated_at.map(rfc3339),
        db_version: row.db_version.clone(),
        assurance_checks_performed: checks,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    registry: Option<String>,
    /// Part of `registry/repository:tag`, any case.
    search: Option<String>,
    /// Images with at least one vulnerability of this severity.
    severity: Option<String>,
    /// `true`: non-compliant images only; `false`: compliant only.
    disallowed: Option<bool>,
    /// `name`, `registry`, `scan_date`, `critical`, `high`, `disallowed`; `-` first for
    /// descending.
    order_by: Option<String>,
    page: Option<i64>,
    pagesize: Option<i64>,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Params(params): Params<ListParams>,
) -> ApiResult<Json<Page<ImageSummary>>> {
    caller.require(Permission::Read)?;
    let (order, descending) = image_order(params.order_by.as_deref())?;
    let severity = params
        .severity
        .map(super::risks::checked_severity)
        .transpose()?;
    let query = ImageQuery {
        registry: params.registry,
        search: params.search,
        severity,
        disallowed: params.disallowed,
        order,
        descending,
        page: Some(PageRequest::new(params.page, params.pagesize)),
    };
    let page = state.store.images(&query).await?;
    Ok(Json(Page {
        count: page.count,
        page: page.page,
        pagesize: page.pagesize,
        result: page.result.iter().map(summary).collect::<ApiResult<_>>()?,
    }))
}

fn image_order(text: Option<&str>) -> ApiResult<(ImageOrder, bool)> {
    let Some(text) = text else {
        return Ok((ImageOrder::Name, false));
    };
    let (descending, name) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let order = match name {
        "name" => ImageOrder::Name,
        "registry" => ImageOrder::Registry,
        "scan_date" => ImageOrder::ScanDate,
        "critical" | "crit_vulns" => ImageOrder::Critical,
        "high" | "high_vulns" => ImageOrder::High,
        "disallowed" => ImageOrder::Disallowed,
        other => {
            return Err(ApiError::field(
                "order_by",
                format!(
                    "cannot sort by {other:?}: use name, registry, scan_date, critical, high or disallowed"
                ),
            ));
        }
    };
    Ok((order, descending))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailParams {
    /// `json` (the image with its report, default), or a report document: `cyclonedx`,
    /// `spdx-json`, `sarif`, `html`.
    format: Option<String>,
}

/// `GET /api/v2/images/{registry}/{repository}/{tag}`: the repository may hold slashes
/// (sent as they are or as `%2F`); the last segment is the tag.
pub async fn detail(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((registry, name)): Path<(String, String)>,
    Params(params): Params<DetailParams>,
) -> ApiResult<Response> {
    caller.require(Permission::Read)?;
    let row = stored_image(&state, registry, &name).await?;
    respond_with_image(&state, row, params.format.as_deref()).await
}

/// The image named `registry` and `repository/tag` (as the detail path gives them).
async fn stored_image(state: &AppState, registry: String, name: &str) -> ApiResult<ImageRow> {
    let (repository, tag) = name
        .rsplit_once('/')
        .ok_or_else(|| ApiError::not_found("give /api/v2/images/REGISTRY/REPOSITORY/TAG"))?;
    let key = ImageKey {
        registry,
        repository: repository.to_owned(),
        tag: tag.to_owned(),
    };
    state
        .store
        .image(&key)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no image {key}")))
}

/// The image without its report, and the evaluated report as stored (the console reads it;
/// the API splices it into its answer unparsed).
pub async fn detail_parts(
    state: &AppState,
    registry: &str,
    name: &str,
) -> ApiResult<(ImageDetail, Option<Vec<u8>>)> {
    let row = stored_image(state, registry.to_owned(), name).await?;
    image_parts(state, row).await
}

pub async fn by_digest(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(digest): Path<String>,
    Params(params): Params<DetailParams>,
) -> ApiResult<Response> {
    caller.require(Permission::Read)?;
    let row = state
        .store
        .images_by_digest(&digest)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found(format!("no image with digest {digest}")))?;
    respond_with_image(&state, row, params.format.as_deref()).await
}

async fn respond_with_image(
    state: &Arc<AppState>,
    row: ImageRow,
    format: Option<&str>,
) -> ApiResult<Response> {
    match format {
        None | Some("json") => Ok((
            [(header::CONTENT_TYPE, "application/json")],
            image_detail(state, row).await?,
        )
            .into_response()),
        Some(name) => {
            let format: Format = name.parse().map_err(|_| {
                ApiError::field(
                    "format",
                    format!(
                        "unknown format {name:?}: use json, cyclonedx, spdx-json, sarif or html"
                    ),
                )
            })?;
            if matches!(format, Format::Table | Format::Junit) {
                return Err(ApiError::field(
                    "format",
                    format!("{name} is not offered here"),
                ));
            }
            document(state, row, format).await
        }
    }
}

async fn image_parts(state: &AppState, row: ImageRow) -> ApiResult<(ImageDetail, Option<Vec<u8>>)> {
    let report = state.store.image_result(row.id).await?;
    let tags: Vec<String> = match &row.digest {
        Some(digest) => state
            .store
            .images_by_digest(digest)
            .await?
            .into_iter()
            .filter(|other| other.id != row.id)
            .map(|other| other.key.to_string())
            .collect(),
        None => Vec::new(),
    };
    let detail = ImageDetail {
        summary: summary(&row)?,
        tags,
        report: None,
    };
    Ok((detail, report))
}

/// The image as [`ImageDetail`]'s JSON, the stored report spliced in as stored (it is the
/// server's own rendering): no parse and re-encode of a large report per read.
async fn image_detail(state: &AppState, row: ImageRow) -> ApiResult<Vec<u8>> {
    let (detail, report) = image_parts(state, row).await?;
    let mut out =
        serde_json::to_vec(&detail).map_err(|e| ApiError::internal("encoding the image", &e))?;
    if let Some(report) = report
        && out.pop() == Some(b'}')
    {
        out.extend_from_slice(b",\"report\":");
        out.extend_from_slice(report.trim_ascii());
        out.push(b'}');
    }
    Ok(out)
}

/// The image's report as a document, judged now (so acknowledgements show as CycloneDX
/// analysis and SARIF suppressions).
async fn document(state: &Arc<AppState>, row: ImageRow, format: Format) -> ApiResult<Response> {
    let rendered = render_document(state, &row, format).await?;
    let content_type = match format {
        Format::Html => "text/html; charset=utf-8",
        Format::CycloneDx => "application/vnd.cyclonedx+json",
        Format::SpdxJson => "application/spdx+json",
        Format::Sarif => "application/sarif+json",
        _ => "application/json",
    };
    Ok(([(header::CONTENT_TYPE, content_type)], rendered).into_response())
}

/// The stored image's scan judged now and rendered as `format` (a CycloneDX or SPDX SBOM
/// too, for Harbor).
pub async fn render_document(
    state: &AppState,
    row: &ImageRow,
    format: Format,
) -> ApiResult<Vec<u8>> {
    let scan_id = row.scan_id.ok_or_else(|| {
        ApiError::not_found(format!("image {} has not been scanned yet", row.key))
    })?;
    let (engine, _) = state.vulndb.engine().ok_or_else(no_database)?;
    let bytes = state.store.scan_report(scan_id).await?;
    let judge_now = Judge::load(&state.store).await?;
    let key = row.key.clone();
    tokio::task::spawn_blocking(move || {
        let result = judge_stored(&engine, &judge_now, &bytes, scan_id, &key)?;
        let mut out = Vec::new();
        kabuto_report::render_report(format, &result.report(), &RenderOptions::new(), &mut out)
            .map_err(|e| ApiError::internal("rendering the report", &e))?;
        Ok::<_, ApiError>(out)
    })
    .await
    .map_err(|e| ApiError::internal("the report task", &e))?
}
