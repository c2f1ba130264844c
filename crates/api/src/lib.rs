//! Kabuto's wire format: every type that crosses a process boundary, versioned, with a JSON
//! Schema generated from the Rust type and checked in at `docs/schema/` (a test fails when
//! the two drift apart).
//!
//! | type | schema file | who writes it | who reads it |
//! |---|---|---|---|
//! | [`ScanReport`] (version [`SCAN_REPORT_VERSION`]) | `scan-report.v1.schema.json` | `kabuto scan/sbom --format json` | `kabuto scan sbom`, the server's ingest, pipelines |
//! | [`Verdict`] (version [`VERDICT_VERSION`]) | `verdict.v1.schema.json` | the engine ([`Verdict::of`] callers), the server | CI gates, the admission controller |
//! | [`ImageRegistration`] | `image-registration.v1.schema.json` | clients registering images | the server |
//! | [`RuntimeAuditEvent`] (version [`RUNTIME_AUDIT_EVENT_VERSION`]) | `runtime-audit-event.v1.schema.json` | `kabuto enforcer` (spool, event file) | the server's audit log, SIEMs |
//!
//! A version changes when a field is renamed, removed or changes meaning; added optional
//! fields keep it.

mod runtime;
pub mod server;

use kabuto_report::{FailedControl, PolicyOutcome, PolicySummary};
use kabuto_types::{Finding, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use runtime::{
    AuditContainer, AuditEvidence, AuditPod, AuditProcess, AuditResult,
    RUNTIME_AUDIT_EVENT_VERSION, RuntimeAuditEvent,
};

pub use kabuto_report::json::{
    JsonReport as ScanReport, SCHEMA_VERSION as SCAN_REPORT_VERSION, ToolInfo, Vulnerability,
};

/// Version of [`Verdict`]'s layout.
pub const VERDICT_VERSION: u32 = 1;

/// A scan's verdict for a gate (a CI run, an admission request), in the vocabulary of Aqua's
/// image assurance: whether the image is `disallowed`, which assurance checks ran and which
/// of them failed and block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    pub schema_version: u32,
    /// The image (or directory, SBOM) judged, as the scan named it.
    pub image: String,
    /// A policy that enforces (`fail_cicd`) failed: the image must not pass the gate.
    pub disallowed: bool,
    /// The exit code a CI gate ends with: 0, 4 when disallowed, or the `--exit-code` given
    /// for findings.
    pub exit_code: u8,
    /// One entry per control evaluated, failed ones first in each policy.
    pub assurance_checks_performed: Vec<AssuranceCheck>,
    /// Vulnerabilities reported (after suppression and filters) per severity.
    pub vulnerability_counts: SeverityCounts,
}

/// One control of one policy, as Aqua reports `assurance_checks_performed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssuranceCheck {
    pub policy_name: String,
    pub control: String,
    pub failed: bool,
    /// The control failed and its policy enforces: this check disallows the image.
    pub blocking: bool,
    /// Why it failed (empty when it passed).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// Counts per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    /// CVSS severity "none" (Aqua's negligible).
    pub negligible: usize,
    pub unknown: usize,
}

impl SeverityCounts {
    pub fn of(findings: &[Finding]) -> Self {
        let mut counts = SeverityCounts::default();
        for finding in findings {
            *match finding.severity {
                Severity::Critical => &mut counts.critical,
                Severity::High => &mut counts.high,
                Severity::Medium => &mut counts.medium,
                Severity::Low => &mut counts.low,
                Severity::None => &mut counts.negligible,
                Severity::Unknown => &mut counts.unknown,
            } += 1;
        }
        counts
    }
}

impl Verdict {
    /// The verdict of policies `policies` on `image` with its `vulnerabilities`, for a gate
    /// that exits with `exit_code`.
    pub fn of(
        image: &str,
        policies: &[PolicySummary],
        vulnerabilities: &[Finding],
        exit_code: u8,
    ) -> Self {
        Verdict {
            schema_version: VERDICT_VERSION,
            image: image.to_owned(),
            disallowed: policies.iter().any(|p| p.outcome == PolicyOutcome::Failed),
            exit_code,
            assurance_checks_performed: policies.iter().flat_map(checks).collect(),
            vulnerability_counts: SeverityCounts::of(vulnerabilities),
        }
    }
}

fn checks(policy: &PolicySummary) -> impl Iterator<Item = AssuranceCheck> + '_ {
    let blocking = policy.outcome == PolicyOutcome::Failed;
    let failed = policy
        .failed
        .iter()
        .map(move |FailedControl { id, message, .. }| AssuranceCheck {
            policy_name: policy.name.clone(),
            control: id.clone(),
            failed: true,
            blocking,
            message: message.clone(),
        });
    let passed = policy.passed.iter().map(|id| AssuranceCheck {
        policy_name: policy.name.clone(),
        control: id.clone(),
        failed: false,
        blocking: false,
        message: String::new(),
    });
    failed.chain(passed)
}

/// Images to register for scanning (`POST /api/v1/images`, Aqua's shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageRegistration {
    pub images: Vec<ImageToScan>,
}

/// One image by registry, repository and tag (Aqua's fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageToScan {
    /// The registry's name as the server knows it (`docker.io`, a registry's host).
    pub registry: String,
    pub repository: String,
    #[serde(default = "latest")]
    pub tag: String,
}

fn latest() -> String {
    "latest".to_owned()
}

/// Every wire type's JSON Schema with the file name it is published under in `docs/schema/`.
pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("scan-report.v1.schema.json", schema::<ScanReport>()),
        ("verdict.v1.schema.json", schema::<Verdict>()),
        (
            "image-registration.v1.schema.json",
            schema::<ImageRegistration>(),
        ),
        (
            "runtime-audit-event.v1.schema.json",
            schema::<RuntimeAuditEvent>(),
        ),
    ]
}

fn schema<T: JsonSchema>() -> serde_json::Value {
    sorted(schemars::schema_for!(T).to_value())
}

/// `value` with every object's keys in sorted order, so the published text does not depend on
/// whether serde_json keeps insertion order (a feature another crate of a build may turn on).
fn sorted(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sorted).collect())
        }
        other => other,
    }
}
