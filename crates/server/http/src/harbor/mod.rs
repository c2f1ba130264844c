//! Harbor's pluggable scanner API (goharbor/pluggable-scanner-spec v1.2) under `/harbor`, so a
//! Harbor instance registers `https://SERVER/harbor` as a scanner and scans through Kabuto.
//!
//! ```text
//! POST /harbor/api/v1/scan ─> Order (checked) ─> harbor_scans (request sealed) ─> 202 {id}
//! runner: take pending ─> registries::worker::scan_pulled (engine scan streamed from the
//!     registry Harbor names, with its pull credential) ─> ingest as an upload ─> done | failed
//! GET /harbor/api/v1/scan/{id}/report ─> 302 Refresh-After while pending or running
//!     ─> the stored image's evaluation as Harbor's vulnerability report, or its SBOM
//! ```
//!
//! The image is registered under the registry host, repository and tag Harbor names (the
//! digest when it names no tag), so it shows in the server's image list with its verdict.

pub mod report;
pub mod routes;
pub mod runner;

use kabuto_api::server::{HarborScanRequest, HarborSeverity};
use kabuto_auth::SealingKey;
use kabuto_scan::RegistryAccess;
use kabuto_source::registry::{BearerToken, Credentials, RegistryOptions};
use kabuto_store::{HarborScanRow, ImageKey, NewHarborScan};
use kabuto_types::{Digest, ImageReference};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{ApiError, ApiResult};
use crate::registries::host_of_url;

pub const METADATA_MIME: &str = "application/vnd.scanner.adapter.metadata+json; version=1.1";
pub const SCAN_RESPONSE_MIME: &str =
    "application/vnd.scanner.adapter.scan.response+json; version=1.0";
pub const ERROR_MIME: &str = "application/vnd.scanner.adapter.error+json; version=1.0";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const SCANNER_TYPE: &str = "os-package-vulnerability";

/// The reports a scan answers, by the mime types Harbor asks for them with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportType {
    /// `application/vnd.security.vulnerability.report; version=1.1` (Harbor 2.x).
    Vulnerability,
    /// `application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0`, the same body.
    HarborVulnerability,
    /// `application/vnd.security.sbom.report+json; version=1.0`.
    Sbom,
}

impl ReportType {
    pub const ALL: [ReportType; 3] = [
        ReportType::Vulnerability,
        ReportType::HarborVulnerability,
        ReportType::Sbom,
    ];

    /// The exact mime type string of the spec.
    pub fn mime(self) -> &'static str {
        match self {
            ReportType::Vulnerability => {
                "application/vnd.security.vulnerability.report; version=1.1"
            }
            ReportType::HarborVulnerability => {
                "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0"
            }
            ReportType::Sbom => "application/vnd.security.sbom.report+json; version=1.0",
        }
    }

    /// The report an `Accept` header asks for: the first entry this server produces; none
    /// (or `*/*`) is the Harbor vulnerability report, as the spec says. A media type without
    /// a `version` matches the version produced.
    pub fn from_accept(accept: Option<&str>) -> ApiResult<ReportType> {
        let accept = accept.map(str::trim).unwrap_or_default();
        if accept.is_empty() {
            return Ok(ReportType::HarborVulnerability);
        }
        let chosen = accept.split(',').find_map(|entry| {
            let (media, version) = media_and_version(entry);
            if media == "*/*" {
                return Some(ReportType::HarborVulnerability);
            }
            ReportType::ALL.into_iter().find(|report| {
                let (ours, our_version) = media_and_version(report.mime());
                media == ours && (version.is_none() || version == our_version)
            })
        });
        chosen.ok_or_else(|| {
            ApiError::not_implemented(format!(
                "no report of type {accept:?} here: Kabuto produces {}",
                ReportType::ALL.map(ReportType::mime).join(", ")
            ))
        })
    }
}

/// A media type (lowercase) and its `version` parameter (quotes removed).
fn media_and_version(text: &str) -> (String, Option<String>) {
    let mut parts = text.split(';');
    let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let version = parts.find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("version")
            .then(|| value.trim().trim_matches('"').to_owned())
    });
    (media, version)
}

/// The SBOM formats offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomFormat {
    CycloneDx,
    Spdx,
}

impl SbomFormat {
    pub const ALL: [SbomFormat; 2] = [SbomFormat::CycloneDx, SbomFormat::Spdx];

    pub fn media_type(self) -> &'static str {
        match self {
            SbomFormat::CycloneDx => "application/vnd.cyclonedx+json",
            SbomFormat::Spdx => "application/spdx+json",
        }
    }

    pub fn parse(text: &str) -> Option<SbomFormat> {
        let (media, _) = media_and_version(text);
        SbomFormat::ALL
            .into_iter()
            .find(|format| format.media_type() == media)
    }

    fn unknown(field: String, text: &str) -> ApiError {
        ApiError::unprocessable(
            field,
            format!(
                "unknown SBOM media type {text:?}: use {}",
                SbomFormat::ALL.map(SbomFormat::media_type).join(" or ")
            ),
        )
    }
}

/// How to pull from Harbor's registry.
#[derive(Debug, Clone)]
pub enum PullAuth {
    Anonymous,
    /// `Basic base64(user:password)`: a robot account.
    Basic(Credentials),
    /// `Bearer TOKEN`: sent as it is.
    Bearer(BearerToken),
}

impl PullAuth {
    fn parse(authorization: Option<&str>) -> ApiResult<PullAuth> {
        let field = "registry.authorization";
        let Some(value) = authorization.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(PullAuth::Anonymous);
        };
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return Credentials::from_basic_header(value)
                .map(PullAuth::Basic)
                .map_err(|e| ApiError::unprocessable(field, e.to_string()));
        }
        if scheme.eq_ignore_ascii_case("bearer") && !rest.trim().is_empty() {
            return Ok(PullAuth::Bearer(BearerToken::new(rest.trim())));
        }
        Err(ApiError::unprocessable(
            field,
            "use `Basic base64(user:password)` or `Bearer TOKEN`",
        ))
    }
}

/// A checked scan request.
#[derive(Debug, Clone)]
pub struct Order {
    /// `host[:port]` of the registry.
    pub host: String,
    /// Plain HTTP.
    pub insecure: bool,
    pub repository: String,
    pub digest: Digest,
    pub tag: Option<String>,
    pub auth: PullAuth,
    /// The SBOM format asked for in the request (CycloneDX unless it asks for SPDX only).
    pub sbom: SbomFormat,
}

impl TryFrom<&HarborScanRequest> for Order {
    type Error = ApiError;

    fn try_from(request: &HarborScanRequest) -> ApiResult<Order> {
        let artifact = &request.artifact;
        if request.registry.url.trim().is_empty() {
            return Err(ApiError::unprocessable("registry.url", "missing"));
        }
        let (host, insecure) = host_of_url(request.registry.url.trim())
            .map_err(|m| ApiError::unprocessable("registry.url", m))?;
        if artifact.repository.is_empty() {
            return Err(ApiError::unprocessable("artifact.repository", "missing"));
        }
        if artifact.digest.is_empty() {
            return Err(ApiError::unprocessable("artifact.digest", "missing"));
        }
        let digest: Digest = artifact
            .digest
            .parse()
            .map_err(|e| ApiError::unprocessable("artifact.digest", format!("{e}")))?;
        let reference = ImageReference::parse(&format!("{host}/{}@{digest}", artifact.repository));
        if reference.is_err() || reference.is_ok_and(|r| r.repository() != artifact.repository) {
            return Err(ApiError::unprocessable(
                "artifact.repository",
                format!("{:?} is not a repository name", artifact.repository),
            ));
        }
        let tag = artifact.tag.clone().filter(|t| !t.is_empty());
        if let Some(tag) = &tag
            && ImageReference::parse(&format!("{host}/{}:{tag}", artifact.repository)).is_err()
        {
            return Err(ApiError::unprocessable(
                "artifact.tag",
                format!("{tag:?} is not a tag"),
            ));
        }
        if let Some(mime) = artifact.mime_type.as_deref().filter(|m| !m.is_empty())
            && ![OCI_MANIFEST, DOCKER_MANIFEST].contains(&mime)
        {
            return Err(ApiError::not_implemented(format!(
                "artifact.mime_type: Kabuto scans {OCI_MANIFEST} and {DOCKER_MANIFEST}, not {mime}"
            )));
        }
        Ok(Order {
            auth: PullAuth::parse(request.registry.authorization.as_deref())?,
            sbom: requested_sbom(request)?,
            host,
            insecure,
            repository: artifact.repository.clone(),
            digest,
            tag,
        })
    }
}

/// The SBOM format the request's capabilities ask for, each capability checked.
fn requested_sbom(request: &HarborScanRequest) -> ApiResult<SbomFormat> {
    let mut wanted = Vec::new();
    for (i, capability) in request.enabled_capabilities.iter().flatten().enumerate() {
        let field = |name: &str| format!("enabled_capabilities[{i}].{name}");
        let produced: &[ReportType] = match capability.capability_type.as_str() {
            "vulnerability" => &[ReportType::Vulnerability, ReportType::HarborVulnerability],
            "sbom" => &[ReportType::Sbom],
            other => {
                return Err(ApiError::unprocessable(
                    field("type"),
                    format!("unknown capability {other:?}: use vulnerability or sbom"),
                ));
            }
        };
        for mime in capability.produces_mime_types.iter().flatten() {
            if !produced
                .iter()
                .any(|r| media_and_version(r.mime()) == media_and_version(mime))
            {
                return Err(ApiError::not_implemented(format!(
                    "{}: Kabuto does not produce {mime:?} for {}",
                    field("produces_mime_types"),
                    capability.capability_type
                )));
            }
        }
        for text in capability
            .parameters
            .iter()
            .flat_map(|p| &p.sbom_media_types)
        {
            wanted.push(
                SbomFormat::parse(text).ok_or_else(|| {
                    SbomFormat::unknown(field("parameters.sbom_media_types"), text)
                })?,
            );
        }
    }
    Ok(wanted.first().copied().unwrap_or(SbomFormat::CycloneDx))
}

/// The SBOM format a report request's `sbom_media_type` names.
pub fn queried_sbom(text: &str) -> ApiResult<SbomFormat> {
    SbomFormat::parse(text).ok_or_else(|| {
        let mut error = SbomFormat::unknown("sbom_media_type".into(), text);
        error.status = axum::http::StatusCode::BAD_REQUEST;
        error
    })
}

impl Order {
    /// The image the scan is registered under: Harbor's registry, repository and tag (the
    /// digest when Harbor names no tag).
    pub fn key(&self) -> ImageKey {
        ImageKey {
            registry: self.host.clone(),
            repository: self.repository.clone(),
            tag: self
                .tag
                .clone()
                .unwrap_or_else(|| self.digest.as_str().to_owned()),
        }
    }

    /// `host/repository@digest`: what is pulled.
    pub fn target(&self) -> String {
        format!("{}/{}@{}", self.host, self.repository, self.digest)
    }

    pub fn access(&self) -> RegistryAccess {
        let (credentials, bearer_token) = match &self.auth {
            PullAuth::Anonymous => (None, None),
            PullAuth::Basic(credentials) => (Some(credentials.clone()), None),
            PullAuth::Bearer(token) => (None, Some(token.clone())),
        };
        RegistryAccess {
            options: RegistryOptions {
                credentials,
                bearer_token,
                insecure: self.insecure,
                ..RegistryOptions::default()
            },
            offline: false,
        }
    }
}

/// What the store keeps of a request, sealed: the request as Harbor sent it (with its pull
/// credential) and who sent it (the only user besides readers who gets its report).
#[derive(Serialize, Deserialize)]
pub struct Sealed {
    pub request: HarborScanRequest,
    pub requested_by: String,
}

impl zeroize::Zeroize for Sealed {
    fn zeroize(&mut self) {
        if let Some(authorization) = &mut self.request.registry.authorization {
            authorization.zeroize();
        }
    }
}

/// The sealing context: a sealed request opens only on its own row.
fn context(id: &str) -> String {
    format!("harbor:{id}")
}

/// The row to store for a checked request, its request sealed.
pub fn to_row(
    sealing: &SealingKey,
    id: &str,
    order: &Order,
    sealed: &Sealed,
) -> ApiResult<NewHarborScan> {
    let text = Zeroizing::new(
        serde_json::to_vec(sealed)
            .map_err(|e| ApiError::internal("encoding a Harbor scan request", &e))?,
    );
    let request = sealing
        .seal(&text, &context(id))
        .map_err(|e| ApiError::internal("sealing a Harbor scan request", &e))?;
    Ok(NewHarborScan {
        id: id.to_owned(),
        request,
        registry: order.host.clone(),
        repository: order.repository.clone(),
        digest: order.digest.clone(),
    })
}

/// A stored request opened, and checked again.
pub fn open(sealing: &SealingKey, row: &HarborScanRow) -> ApiResult<(Zeroizing<Sealed>, Order)> {
    let opened = sealing
        .open(&row.request, &context(&row.id))
        .map_err(|e| ApiError::internal("opening a Harbor scan request", &e))?;
    let sealed: Zeroizing<Sealed> = Zeroizing::new(
        serde_json::from_slice(&opened)
            .map_err(|e| ApiError::internal("reading a Harbor scan request", &e))?,
    );
    let order = Order::try_from(&sealed.request)?;
    Ok((sealed, order))
}

/// Kabuto's severity on Harbor's scale.
pub fn severity(severity: kabuto_types::Severity) -> HarborSeverity {
    use kabuto_types::Severity;
    match severity {
        Severity::Critical => HarborSeverity::Critical,
        Severity::High => HarborSeverity::High,
        Severity::Medium => HarborSeverity::Medium,
        Severity::Low => HarborSeverity::Low,
        Severity::None => HarborSeverity::Negligible,
        Severity::Unknown => HarborSeverity::Unknown,
    }
}

#[cfg(test)]
mod tests;
