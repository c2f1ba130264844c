//! Bodies the console reads that no other front end needed before: the dashboard's
//! aggregates, vulnerabilities grouped by id across images, a policy's preview over the
//! stored images, and first-run setup.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AuditEntry, ImageSummary};

/// `GET /api/v2/dashboard`: the risk picture of every stored image.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct Dashboard {
    /// Registered images (scanned or not).
    pub images: i64,
    pub scanned: i64,
    /// Images a `fail_cicd` policy fails.
    pub disallowed: i64,
    /// Scanned images by their worst vulnerability (`none`: no vulnerability at all).
    pub images_by_risk: RiskCounts,
    /// Vulnerabilities over every image (one per image, package and id), by severity.
    pub vulnerabilities: RiskCounts,
    /// One point per day the server recorded, oldest first (at most 90).
    pub trend: Vec<TrendPoint>,
    /// The images with the most critical, then high, vulnerabilities (at most 5).
    pub top_images: Vec<ImageSummary>,
    /// The vulnerabilities in the most images (at most 5).
    pub top_vulnerabilities: Vec<VulnerabilityGroup>,
    /// Recent gates the server's policies failed (`verdict.block` audit records, at most 5).
    pub blocked_runs: Vec<AuditEntry>,
    /// The newest audit records (at most 8).
    pub recent_audit: Vec<AuditEntry>,
}

/// Counts by severity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct RiskCounts {
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
    /// Negligible, unknown, or none.
    pub other: i64,
}

/// The risk picture on one day.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct TrendPoint {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub images: i64,
    pub disallowed: i64,
    /// Vulnerabilities by severity over every image that day.
    pub vulnerabilities: RiskCounts,
}

/// `GET /api/v2/risks/vulnerabilities/grouped`: one vulnerability id across every image.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct VulnerabilityGroup {
    /// The vulnerability id (`CVE-2024-1234`).
    pub name: String,
    pub severity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Images it is in.
    pub images: i64,
    /// Distinct packages it is in (`name version`, at most 10).
    pub packages: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_version: Option<String>,
    /// Of its image-and-package occurrences, how many are acknowledged.
    pub acknowledged: i64,
    pub occurrences: i64,
}

/// `POST /api/v2/assurance_policy/image/preview`: what a policy (the body, as
/// `PUT /api/v2/assurance_policy/image/{name}` takes it) would do to the stored images.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct PolicyPreview {
    pub policy: String,
    /// Scanned images judged.
    pub evaluated: i64,
    /// Scanned images not judged because the preview stops at its limit.
    pub skipped: i64,
    /// Images the policy would fail, with the failed controls.
    pub would_fail: Vec<PreviewImage>,
}

/// One image a previewed policy fails.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct PreviewImage {
    pub registry: String,
    /// `repository:tag`.
    pub name: String,
    /// The previewed policy's failed controls, with their messages.
    pub failed_controls: Vec<crate::AssuranceCheck>,
    /// The image is disallowed today by the stored policies.
    pub disallowed_now: bool,
}

/// `GET /api/v1/setup`: whether the server still waits for its administrator.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct SetupStatus {
    pub needed: bool,
}

/// `POST /api/v1/setup`: creates the administrator on a server started without one. The
/// setup code is the one the server wrote to its data directory (`setup-code`) and log, so
/// only who can read the server's files can claim it.
#[derive(Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    pub setup_code: String,
    /// At least 12 characters.
    pub password: String,
}

impl std::fmt::Debug for SetupRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetupRequest").finish_non_exhaustive()
    }
}
