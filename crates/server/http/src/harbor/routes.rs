//! The three operations of Harbor's scanner API. Every answer carries the spec's exact mime
//! type, errors included (`{"error": {"message": ...}}`). Callers are Kabuto users whose API
//! token Harbor sends as `Authorization: Bearer` (the scanner registration's credential):
//! they need the permission to register scans, and a report goes to the user who asked for
//! the scan or to users who may read images.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kabuto_api::ScanReport;
use kabuto_api::server::{
    HarborArtifact, HarborCapability, HarborMetadata, HarborSbomMediaTypes, HarborSbomReport,
    HarborScanRequest, HarborScanResponse,
};
use kabuto_auth::Permission;
use kabuto_report::Format;
use kabuto_store::{HarborScanState, ImageRow};
use serde::Deserialize;
use time::OffsetDateTime;

use super::report::{scanner, vulnerability_report};
use super::{
    DOCKER_MANIFEST, ERROR_MIME, METADATA_MIME, OCI_MANIFEST, Order, ReportType,
    SCAN_RESPONSE_MIME, SCANNER_TYPE, SbomFormat, Sealed, queried_sbom,
};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody, Params};
use crate::routes::{Audit, authorize, record, rfc3339};
use crate::state::AppState;

/// Seconds Harbor waits before asking for a report again (it reads at most 127).
const REFRESH_AFTER: u64 = 5;

/// An error answered in the spec's shape and mime type.
pub struct HarborError(ApiError);

impl From<ApiError> for HarborError {
    fn from(error: ApiError) -> HarborError {
        HarborError(error)
    }
}

impl From<kabuto_store::StoreError> for HarborError {
    fn from(error: kabuto_store::StoreError) -> HarborError {
        HarborError(error.into())
    }
}

impl IntoResponse for HarborError {
    /// The server's error body (`{"error": {"code", "message", "field"}}`) is the spec's
    /// `ErrorResponse` with more fields; only the content type differs.
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(ERROR_MIME));
        response
    }
}

type HarborResult<T> = Result<T, HarborError>;

fn json(
    status: StatusCode,
    mime: &'static str,
    body: &impl serde::Serialize,
) -> HarborResult<Response> {
    let bytes =
        serde_json::to_vec(body).map_err(|e| ApiError::internal("encoding a Harbor answer", &e))?;
    Ok((status, [(header::CONTENT_TYPE, mime)], bytes).into_response())
}

/// `GET /harbor/api/v1/metadata`.
pub async fn metadata(
    State(state): State<Arc<AppState>>,
    caller: Result<Caller, ApiError>,
) -> HarborResult<Response> {
    caller?.require(Permission::RegisterScans)?;
    let consumes = vec![OCI_MANIFEST.to_owned(), DOCKER_MANIFEST.to_owned()];
    let capability = |kind: &str, produces: &[ReportType]| HarborCapability {
        capability_type: kind.to_owned(),
        consumes_mime_types: consumes.clone(),
        produces_mime_types: produces.iter().map(|r| r.mime().to_owned()).collect(),
        additional_attributes: None,
    };
    let sbom = HarborCapability {
        additional_attributes: Some(HarborSbomMediaTypes {
            sbom_media_types: SbomFormat::ALL.map(|f| f.media_type().to_owned()).to_vec(),
        }),
        ..capability("sbom", &[ReportType::Sbom])
    };
    let mut properties = BTreeMap::from([(
        "harbor.scanner-adapter/scanner-type".to_owned(),
        SCANNER_TYPE.to_owned(),
    )]);
    if let Some((_, built_at)) = state.vulndb.engine() {
        properties.insert(
            "harbor.scanner-adapter/vulnerability-database-updated-at".to_owned(),
            built_at,
        );
    }
    let body = HarborMetadata {
        scanner: scanner(),
        capabilities: vec![
            capability(
                "vulnerability",
                &[ReportType::Vulnerability, ReportType::HarborVulnerability],
            ),
            sbom,
        ],
        properties,
    };
    json(StatusCode::OK, METADATA_MIME, &body)
}

/// `POST /harbor/api/v1/scan`: checked, stored with its pull credential sealed, queued.
pub async fn scan(
    State(state): State<Arc<AppState>>,
    caller: Result<Caller, ApiError>,
    body: JsonBody,
) -> HarborResult<Response> {
    let caller = caller?;
    authorize(
        &state,
        &caller,
        Permission::RegisterScans,
        "harbor.scan",
        "harbor",
    )
    .await?;
    let request: HarborScanRequest = body.parse()?;
    let order = Order::try_from(&request)?;
    let id = uuid::Uuid::new_v4().to_string();
    let sealed = Sealed {
        request,
        requested_by: caller.user.to_string(),
    };
    let row = super::to_row(&state.sealing, &id, &order, &sealed)?;
    state
        .store
        .create_harbor_scan(&row, OffsetDateTime::now_utc())
        .await?;
    state.harbor_ready.notify_one();
    let audit = Audit {
        action: "harbor.scan",
        target: &order.target(),
        outcome: "accepted",
        detail: serde_json::json!({ "id": id, "image": order.key().to_string() }),
    };
    record(&state, &caller, audit).await;
    json(
        StatusCode::ACCEPTED,
        SCAN_RESPONSE_MIME,
        &HarborScanResponse { id },
    )
}

#[derive(Debug, Deserialize)]
pub struct ReportParams {
    /// The SBOM format (`application/spdx+json`, `application/vnd.cyclonedx+json`); the one
    /// the scan request asked for otherwise.
    sbom_media_type: Option<String>,
}

/// `GET /harbor/api/v1/scan/{id}/report`: 302 with `Refresh-After` until the scan ends,
/// then the report `Accept` asks for, or the scan's error (500).
pub async fn report(
    State(state): State<Arc<AppState>>,
    caller: Result<Caller, ApiError>,
    Path(id): Path<String>,
    headers: HeaderMap,
    params: Result<Params<ReportParams>, ApiError>,
) -> HarborResult<Response> {
    let caller = caller?;
    caller.require(Permission::RegisterScans)?;
    let Params(params) = params?;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let wanted = ReportType::from_accept(accept)?;
    let queried = params
        .sbom_media_type
        .as_deref()
        .map(queried_sbom)
        .transpose()?;
    let unknown = || {
        ApiError::not_found(format!(
            "no scan request {id} (unknown, or finished over a week ago)"
        ))
    };
    let row = state.store.harbor_scan(&id).await?.ok_or_else(unknown)?;
    let (sealed, order) = super::open(&state.sealing, &row)?;
    if sealed.requested_by != caller.user.as_str() && !caller.role.allows(Permission::Read) {
        return Err(unknown().into());
    }
    match row.state {
        HarborScanState::Pending | HarborScanState::Running => {
            let refresh = [("refresh-after", REFRESH_AFTER.to_string())];
            Ok((StatusCode::FOUND, refresh).into_response())
        }
        HarborScanState::Failed => {
            Err(ApiError::failed(row.error.unwrap_or_else(|| "the scan failed".to_owned())).into())
        }
        HarborScanState::Done => {
            let image = state.store.image(&order.key()).await?.ok_or_else(|| {
                ApiError::failed(format!(
                    "image {} is no longer stored: scan it again",
                    order.key()
                ))
            })?;
            let artifact = sealed.request.artifact.clone();
            match wanted {
                ReportType::Sbom => {
                    let format = queried.unwrap_or(order.sbom);
                    sbom_report(&state, &image, artifact, format).await
                }
                vulnerability => vulnerabilities(&state, &image, artifact, vulnerability).await,
            }
        }
    }
}

/// When the image was last judged (the report's time).
fn generated_at(image: &ImageRow) -> String {
    rfc3339(
        image
            .evaluated_at
            .or(image.scanned_at)
            .unwrap_or_else(OffsetDateTime::now_utc),
    )
}

async fn vulnerabilities(
    state: &AppState,
    image: &ImageRow,
    artifact: HarborArtifact,
    wanted: ReportType,
) -> HarborResult<Response> {
    let stored =
        state.store.image_result(image.id).await?.ok_or_else(|| {
            ApiError::failed(format!("image {} has no evaluation stored", image.key))
        })?;
    let generated_at = generated_at(image);
    let body = tokio::task::spawn_blocking(move || {
        let evaluated: ScanReport = serde_json::from_slice(&stored)
            .map_err(|e| ApiError::internal("reading a stored evaluation", &e))?;
        let report = vulnerability_report(&evaluated, artifact, generated_at);
        serde_json::to_vec(&report).map_err(|e| ApiError::internal("encoding a Harbor report", &e))
    })
    .await
    .map_err(|e| ApiError::internal("the report task", &e))??;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, wanted.mime())],
        body,
    )
        .into_response())
}

async fn sbom_report(
    state: &AppState,
    image: &ImageRow,
    artifact: HarborArtifact,
    format: SbomFormat,
) -> HarborResult<Response> {
    let rendering = match format {
        SbomFormat::CycloneDx => Format::CycloneDx,
        SbomFormat::Spdx => Format::SpdxJson,
    };
    let document = crate::routes::images::render_document(state, image, rendering).await?;
    let sbom = serde_json::from_slice(&document)
        .map_err(|e| ApiError::internal("reading a rendered SBOM", &e))?;
    let body = HarborSbomReport {
        generated_at: generated_at(image),
        artifact,
        scanner: scanner(),
        media_type: format.media_type().to_owned(),
        sbom,
    };
    json(StatusCode::OK, ReportType::Sbom.mime(), &body)
}
