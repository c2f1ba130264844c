//! The server's REST API bodies (`kabuto server`), in Aqua's vocabulary where it has one.
//! Requests refuse unknown fields; lists come in Aqua's page shape ([`Page`]).

use std::fmt;

use kabuto_auth::Role;
use kabuto_types::{AckState, VexJustification};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{AssuranceCheck, ScanReport, Verdict};

mod console;
mod harbor;
mod registries;
pub use console::{
    Dashboard, PolicyPreview, PreviewImage, RiskCounts, SetupRequest, SetupStatus, TrendPoint,
    VulnerabilityGroup,
};
pub use harbor::{
    HarborArtifact, HarborCapability, HarborCvss, HarborEnabledCapability, HarborError,
    HarborErrorBody, HarborLayer, HarborMetadata, HarborRegistry, HarborSbomMediaTypes,
    HarborSbomReport, HarborScanRequest, HarborScanResponse, HarborScanner, HarborSeverity,
    HarborVendorAttributes, HarborVendorCvss, HarborVulnerability, HarborVulnerabilityReport,
};
pub use registries::{PullResult, PullStatus, PushesAccepted, Registry, RegistryWebhook, ScanJob};

/// `POST /api/v1/login`.
#[derive(Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The user id (`administrator` for the first user).
    pub id: String,
    pub password: String,
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("id", &self.id)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A successful login: a session token for `Authorization: Bearer` (the console gets the
/// same session as a cookie).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct LoginResponse {
    pub token: String,
    pub user: UserInfo,
    /// RFC 3339 time the session ends.
    pub expires: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct UserInfo {
    pub id: String,
    pub role: Role,
}

/// `POST /api/v1/users`.
#[derive(Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub id: String,
    pub role: Role,
    /// Absent for accounts that use API tokens only (scanners, enforcers).
    #[serde(default)]
    pub password: Option<String>,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("id", &self.id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// `PUT /api/v1/users/{id}/password`.
#[derive(Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub password: String,
}

impl fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordChange { .. }")
    }
}

/// `POST /api/v1/tokens`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    /// What the token is for (`gitlab-ci`).
    pub name: String,
    /// Whose token: the caller when absent; another user needs the administrator.
    #[serde(default)]
    pub user: Option<String>,
}

/// A token as listed: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub user: String,
    /// The first characters after `kbt_`, to recognise the token by.
    pub prefix: String,
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
}

/// A new token: the only time its secret is shown.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: TokenInfo,
    pub token: String,
}

/// An image as listed (Aqua's image fields).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ImageSummary {
    pub registry: String,
    pub repository: String,
    pub tag: String,
    /// `repository:tag`.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// `pending` (registered, not scanned yet) or `scanned`.
    pub scan_status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    pub packages: i64,
    /// A policy with `fail_cicd` failed: the image does not pass a gate.
    pub disallowed: bool,
    pub vulns_found: i64,
    pub crit_vulns: i64,
    pub high_vulns: i64,
    pub med_vulns: i64,
    pub low_vulns: i64,
    pub neg_vulns: i64,
    pub unknown_vulns: i64,
    pub registered_by: String,
    pub registered: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluated: Option<String>,
    /// Build time of the vulnerability database the image was last matched against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_version: Option<String>,
    pub assurance_checks_performed: Vec<AssuranceCheck>,
}

/// An image with its evaluated report (layers, packages, findings with acknowledgement
/// marks); the verdict is the summary's `assurance_checks_performed`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ImageDetail {
    #[serde(flatten)]
    pub summary: ImageSummary,
    /// Other tags of the same digest.
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<ScanReport>,
}

/// The answer to a scan upload (`POST /api/v1/scans`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ScanUploadResponse {
    /// The verdict of the server's policies and acknowledgements; a CI gate exits with
    /// `verdict.exit_code`.
    pub verdict: Verdict,
    /// Whether the scan was stored (`register=true`).
    pub registered: bool,
    /// False when the same scan was stored before.
    pub new_scan: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageSummary>,
}

/// One vulnerability of one image (`GET /api/v2/risks/vulnerabilities`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct VulnerabilityEntry {
    /// The vulnerability id (`CVE-2024-1234`).
    pub name: String,
    pub severity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    pub resource: Resource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_version: Option<String>,
    pub acknowledged: bool,
    pub registry: String,
    /// `repository:tag`.
    pub image_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_digest: Option<String>,
}

/// The package a vulnerability is in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct Resource {
    /// The package type (`deb`, `npm`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub version: String,
}

/// `POST /api/v2/risks/acknowledge` (Aqua's shape).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AckRequest {
    /// Why the risk is accepted.
    pub comment: String,
    pub issues: Vec<AckIssue>,
}

/// One acknowledged issue. Empty or absent `resource_name`, `image_name`, `registry_name`
/// cover every package, image, registry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AckIssue {
    pub issue_name: String,
    /// `vulnerability` (the only type policies judge today).
    #[serde(default = "vulnerability")]
    pub issue_type: String,
    /// `package`.
    #[serde(default = "package")]
    pub resource_type: String,
    #[serde(default)]
    pub resource_name: String,
    #[serde(default)]
    pub resource_version: String,
    #[serde(default)]
    pub image_name: String,
    #[serde(default)]
    pub registry_name: String,
    #[serde(default)]
    pub fix_version: String,
    /// Days the acknowledgement holds (1-999); absent: until removed.
    #[serde(default)]
    pub expiration_days: Option<u16>,
    /// The triage decision; `acknowledged` when absent.
    #[serde(default)]
    pub state: Option<AckState>,
    #[serde(default)]
    pub justification: Option<VexJustification>,
}

fn vulnerability() -> String {
    "vulnerability".to_owned()
}

fn package() -> String {
    "package".to_owned()
}

/// `DELETE /api/v2/risks/acknowledge`: the issues to stop acknowledging, by their key
/// fields.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AckRemoval {
    pub issues: Vec<AckIssue>,
}

/// A stored acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct AckEntry {
    #[serde(flatten)]
    pub issue: AckIssue,
    pub comment: String,
    pub author: String,
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The expiry passed: the acknowledgement no longer applies.
    pub expired: bool,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub time: String,
    pub user: String,
    /// `password`, `token:<prefix>`, `session` or `none`.
    pub credential: String,
    pub source: String,
    pub action: String,
    pub target: String,
    /// `success`, `failure`, `denied`, `blocked`.
    pub result: String,
    pub detail: serde_json::Value,
}

/// A page of a list (Aqua's list shape).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct Page<T> {
    /// Entries matching the filters over all pages.
    pub count: i64,
    pub page: i64,
    pub pagesize: i64,
    pub result: Vec<T>,
}

/// The server's vulnerability database and re-evaluation state (`GET /api/v1/db`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct DatabaseStatus {
    pub loaded: bool,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub built_at: Option<String>,
    pub advisories: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reevaluation: Option<Reevaluation>,
}

/// One pass of re-evaluating every stored image.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct Reevaluation {
    pub reason: String,
    pub started: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
    pub images: usize,
    /// Images whose `disallowed` changed.
    pub changed: Vec<String>,
    pub failed: usize,
}

/// Every error answer: a stable code, a message for people, the JSON field at fault.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct ErrorDetail {
    /// `bad_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`,
    /// `payload_too_large`, `too_many_requests`, `unavailable`, `internal`.
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `GET /api/v1/verdicts?digest=&image=`: what an admission controller needs to know of one
/// image, as the server's last evaluation decided it. The image is looked up by digest first,
/// then by `registry/repository:tag`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageVerdict {
    /// The image found (`registry/repository:tag`), or the name asked for when none was.
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// `scanned`, `pending` (registered, not scanned yet) or `unregistered`.
    pub scan_status: String,
    /// Policies the image fails, with whether each blocks it from running (`block_failed`).
    #[serde(default)]
    pub failed_policies: Vec<FailedPolicy>,
    /// The verdict generation this answer belongs to (see [`VerdictGeneration`]).
    pub generation: u64,
}

/// One image assurance policy an image fails.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FailedPolicy {
    pub policy_name: String,
    /// Aqua's `block_failed`: an image failing the policy must not run.
    pub block_failed: bool,
    /// The failed controls' ids.
    pub controls: Vec<String>,
}

/// `GET /api/v1/verdicts/generation`: a number that changes whenever stored verdicts may
/// have changed (a policy, acknowledgement or database change, a finished re-evaluation, a
/// new scan), so admission controllers know when to drop cached verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerdictGeneration {
    pub generation: u64,
}

/// `POST /api/v1/audit/events`: events an enforcer reports (admission decisions, runtime
/// detections), kept in the audit log under the enforcer's identity.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnforcerEvents {
    pub events: Vec<EnforcerEvent>,
}

/// One enforcer event, in the audit log's shape.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnforcerEvent {
    /// When it happened (RFC 3339).
    pub time: String,
    /// `Admission.Control.Allowed`, `Admission.Control.Denied`, `Admission.Control.Violation`...
    pub action: String,
    /// What it is about: `Deployment shop/web`.
    pub target: String,
    /// `allowed`, `denied` or `blocked`.
    pub result: String,
    /// The event's own fields (namespace, user, images, reasons...).
    pub detail: serde_json::Value,
}

/// `POST /api/v1/enforcers`: a runtime enforcer's report about itself, sent at each policy
/// refresh; the server lists the last one of each host (`GET /api/v1/enforcers`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnforcerReport {
    /// The node's name (the enforcer's `--host`).
    pub host: String,
    /// The enforcer's Kabuto version.
    pub version: String,
    /// The one-line enforcement mode it printed at start (what this kernel allows).
    pub mode: String,
    /// Names of the runtime policies it applies (from its files and from the server).
    pub policies: Vec<String>,
    /// Containers it watches.
    pub containers: u64,
    /// Audit events it spooled, sent to the server, and dropped (spool full) since it started.
    pub events: EnforcerEventCounts,
    /// Seconds between two reports (its `--policy-refresh`).
    pub interval_seconds: u64,
}

/// An enforcer's audit event counters since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnforcerEventCounts {
    pub spooled: u64,
    pub sent: u64,
    pub dropped: u64,
}

/// One entry of `GET /api/v1/enforcers`: the last report of a host and its connection state.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct EnforcerEntry {
    #[serde(flatten)]
    pub report: EnforcerReport,
    /// The user whose token sent the reports.
    pub reporter: String,
    /// RFC 3339.
    pub first_seen: String,
    /// RFC 3339.
    pub last_seen: String,
    /// `connected`, or `disconnected` when no report came for three intervals.
    pub status: EnforcerStatus,
}

/// Whether an enforcer reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnforcerStatus {
    Connected,
    Disconnected,
}

/// `POST /api/v2/notification/outputs`, `PUT /api/v2/notification/outputs/{name}`: an output
/// (its `type` and that type's fields, `O`: kabuto-notify's outputs) and the triggers (`T`)
/// it is sent for. A secret sent back as `<redacted>` in a `PUT` keeps the stored value.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(bound(deserialize = "O: Deserialize<'de>, T: Deserialize<'de>"))]
pub struct NotificationOutputRequest<O, T> {
    #[serde(flatten)]
    pub output: O,
    /// A disabled output is kept but sent nothing. Default: true.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// The triggers it is sent for. Default: every trigger.
    #[serde(default)]
    pub triggers: Option<Vec<T>>,
}

fn enabled_by_default() -> bool {
    true
}

/// A notification output as the API shows it: every secret as `<redacted>`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct NotificationOutputEntry<O, T> {
    #[serde(flatten)]
    pub output: O,
    pub enabled: bool,
    pub triggers: Vec<T>,
    pub created: String,
    pub updated: String,
}

/// `POST /api/v2/notification/outputs/{name}/test`: the result of one delivery of a test
/// event, made at once.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct NotificationTestResult {
    pub output: String,
    pub delivered: bool,
    /// Why it was not delivered (secrets of the output removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When not delivered: whether the outbox would try again (a 5xx, 429, timeout,
    /// connection refused) or give up at once (4xx, a refused address, bad TLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retryable: Option<bool>,
}

/// A notification of the outbox (`GET /api/v2/notification/dead_letters` lists those given
/// up on).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NotificationEntry {
    pub id: i64,
    /// The output's name.
    pub output: String,
    /// The trigger code.
    pub trigger: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    /// Deliveries tried.
    pub attempts: i64,
    /// The last failed delivery's error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
    /// The event, as the webhook output sends it.
    pub event: serde_json::Value,
}
