//! Harbor's pluggable scanner API (goharbor/pluggable-scanner-spec v1.2), which the server
//! answers under `/harbor/api/v1`: field names and shapes are the spec's. Requests take
//! unknown fields (Harbor adds fields across versions); the fields the spec requires are
//! defaulted here so a missing one is answered 422 naming it, as the spec asks, rather
//! than as a JSON error.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The scanner's name, vendor and version.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct HarborScanner {
    pub name: String,
    pub vendor: String,
    pub version: String,
}

/// `GET /harbor/api/v1/metadata`: what the scanner consumes and produces.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct HarborMetadata {
    pub scanner: HarborScanner,
    pub capabilities: Vec<HarborCapability>,
    /// `harbor.scanner-adapter/scanner-type`,
    /// `harbor.scanner-adapter/vulnerability-database-updated-at`, ...
    pub properties: BTreeMap<String, String>,
}

/// One capability: artifact mime types in, report mime types out.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct HarborCapability {
    /// `vulnerability` or `sbom`.
    #[serde(rename = "type")]
    pub capability_type: String,
    pub consumes_mime_types: Vec<String>,
    pub produces_mime_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_attributes: Option<HarborSbomMediaTypes>,
}

/// The SBOM formats offered or asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
pub struct HarborSbomMediaTypes {
    /// `application/spdx+json`, `application/vnd.cyclonedx+json`.
    #[serde(default)]
    pub sbom_media_types: Vec<String>,
}

/// `POST /harbor/api/v1/scan`: where to pull the artifact from, and which.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
pub struct HarborScanRequest {
    #[serde(default)]
    pub registry: HarborRegistry,
    #[serde(default)]
    pub artifact: HarborArtifact,
    /// Absent: every capability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled_capabilities: Option<Vec<HarborEnabledCapability>>,
}

/// The registry to pull from. `Debug` hides the authorization.
#[derive(Clone, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
pub struct HarborRegistry {
    /// The registry's base URL (`https://core.harbor.domain`; `http://` for plain HTTP).
    #[serde(default)]
    pub url: String,
    /// The `Authorization` value to pull with: `Basic base64(user:password)` (a robot
    /// account) or `Bearer TOKEN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<String>,
}

impl fmt::Debug for HarborRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HarborRegistry")
            .field("url", &self.url)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The artifact to scan (and that a report is about).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
pub struct HarborArtifact {
    /// `library/mongo`.
    #[serde(default)]
    pub repository: String,
    /// The manifest digest, `sha256:...`.
    #[serde(default)]
    pub digest: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The manifest's media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
}

/// A capability Harbor asks for in a scan request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
pub struct HarborEnabledCapability {
    /// `vulnerability` or `sbom`.
    #[serde(rename = "type", default)]
    pub capability_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub produces_mime_types: Option<Vec<String>>,
    /// For `sbom`: the formats wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<HarborSbomMediaTypes>,
}

/// The answer to a scan request (202).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct HarborScanResponse {
    /// Polled at `GET /harbor/api/v1/scan/{id}/report`.
    pub id: String,
}

/// Harbor's severity scale.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
pub enum HarborSeverity {
    Unknown,
    Negligible,
    Low,
    Medium,
    High,
    Critical,
}

/// The vulnerability report, in both of the spec's vulnerability mime types.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct HarborVulnerabilityReport {
    /// RFC 3339.
    pub generated_at: String,
    pub artifact: HarborArtifact,
    pub scanner: HarborScanner,
    /// The highest severity found (`Unknown` when nothing was).
    pub severity: HarborSeverity,
    pub vulnerabilities: Vec<HarborVulnerability>,
}

/// One vulnerability of one package.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct HarborVulnerability {
    /// `CVE-2018-18074`, `GHSA-...`.
    pub id: String,
    pub package: String,
    pub version: String,
    /// The fixed versions, comma-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_version: Option<String>,
    pub severity: HarborSeverity,
    pub description: String,
    pub links: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_cvss: Option<HarborCvss>,
    /// Always empty: Kabuto's database keeps no CWE ids.
    pub cwe_ids: Vec<String>,
    pub vendor_attributes: HarborVendorAttributes,
    /// The layer that brought the package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<HarborLayer>,
}

/// The spec's preferred CVSS: the first v3 and v2 vectors of the advisories Kabuto rated the
/// finding by.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
pub struct HarborCvss {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_v3: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_v2: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector_v3: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector_v2: Option<String>,
}

/// What Harbor's console reads besides the spec's fields: CVSS per source (`nvd`, `ghsa`,
/// `osv`), as Harbor's Trivy adapter sends them.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
pub struct HarborVendorAttributes {
    #[serde(rename = "CVSS")]
    pub cvss: BTreeMap<String, HarborVendorCvss>,
}

/// One source's CVSS vectors and scores.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize, JsonSchema)]
pub struct HarborVendorCvss {
    #[serde(rename = "V2Score", default, skip_serializing_if = "Option::is_none")]
    pub v2_score: Option<f64>,
    #[serde(rename = "V2Vector", default, skip_serializing_if = "Option::is_none")]
    pub v2_vector: Option<String>,
    #[serde(rename = "V3Score", default, skip_serializing_if = "Option::is_none")]
    pub v3_score: Option<f64>,
    #[serde(rename = "V3Vector", default, skip_serializing_if = "Option::is_none")]
    pub v3_vector: Option<String>,
    #[serde(rename = "V40Score", default, skip_serializing_if = "Option::is_none")]
    pub v40_score: Option<f64>,
    #[serde(rename = "V40Vector", default, skip_serializing_if = "Option::is_none")]
    pub v40_vector: Option<String>,
}

/// A layer by its blob digest (when the registry named it) and its diff id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct HarborLayer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    pub diff_id: String,
}

/// The SBOM report: the SBOM document in the format `media_type` names.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct HarborSbomReport {
    /// RFC 3339.
    pub generated_at: String,
    pub artifact: HarborArtifact,
    pub scanner: HarborScanner,
    /// `application/vnd.cyclonedx+json` (CycloneDX 1.6) or `application/spdx+json` (SPDX 2.3).
    pub media_type: String,
    pub sbom: serde_json::Value,
}

/// An error answer of the Harbor API (`application/vnd.scanner.adapter.error+json;
/// version=1.0`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct HarborErrorBody {
    pub error: HarborError,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct HarborError {
    pub message: String,
}
