//! The result of judging one image: every applicable policy's outcome with the reasons of
//! each failed control, and the CI gate decision. All types serialize for report renderers.

use std::sync::Arc;

use kabuto_types::{Ecosystem, Severity};
use serde::Serialize;

use crate::ack::AckNote;
use crate::input::{MalwareHit, MisconfigHit};

/// Exit code of a gate that failed (distinct from 1, a scan error).
pub const EXIT_POLICY_FAILED: i32 = 4;

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The image's name as evaluated (first repository tag, or the scan target).
    pub image: String,
    /// RFC 3339 time of the evaluation.
    pub evaluated_at: String,
    pub gate: GateOutcome,
    pub policies: Vec<PolicyResult>,
}

impl Verdict {
    /// 0 when the gate passes or only audits, [`EXIT_POLICY_FAILED`] (4) when it fails.
    pub fn exit_code(&self) -> i32 {
        match self.gate {
            GateOutcome::Fail => EXIT_POLICY_FAILED,
            GateOutcome::Pass | GateOutcome::AuditOnly => 0,
        }
    }

    /// Policies that applied to the image and failed.
    pub fn failed_policies(&self) -> impl Iterator<Item = &PolicyResult> {
        self.policies
            .iter()
            .filter(|p| p.outcome == EvaluationOutcome::Fail)
    }
}

/// What the CI gate does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GateOutcome {
    /// Every applicable policy passed.
    Pass,
    /// A failed policy has the `fail_cicd` action: the pipeline must stop (exit 4).
    Fail,
    /// Policies failed, but only with `audit_on_failure`: reported, exit 0.
    AuditOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationOutcome {
    Pass,
    Fail,
    /// Disabled, or the image is outside the policy's scope.
    Skipped,
}

/// What a failure of the policy does to the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyAction {
    FailCicd,
    Audit,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyResult {
    pub policy: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub outcome: EvaluationOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_because: Option<String>,
    pub action: PolicyAction,
    /// Every control the policy evaluated, passing ones included (empty when skipped).
    pub controls: Vec<ControlResult>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_evaluated: Vec<NotEvaluated>,
}

impl PolicyResult {
    pub fn failed_controls(&self) -> impl Iterator<Item = &ControlResult> {
        self.controls
            .iter()
            .filter(|c| c.outcome != ControlOutcome::Pass)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlOutcome {
    Pass,
    Fail,
    /// The scan did not collect what the control needs; counts as a failure.
    Unknown,
}

#[derive(Debug, Clone, Serialize)]
pub struct ControlResult {
    /// The control id: the policy field that configures it (`cvss_severity`).
    pub control: &'static str,
    pub outcome: ControlOutcome,
    pub message: String,
    /// What the control objected to; acknowledged vulnerabilities are listed and marked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Item>,
}

/// One vulnerability finding as controls list it. Shared between every control that
/// objects to the same finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VulnerabilityItem {
    pub id: String,
    pub package: String,
    pub version: String,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixed_versions: Vec<String>,
    /// Set when an acknowledgement covers the finding (current or expired).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<AckNote>,
}

/// An `Arc` that serializes as its content (serde's `rc` feature is not enabled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared<T>(pub Arc<T>);

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// A package a package or licence control objected to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageItem {
    pub name: String,
    pub version: String,
    pub ecosystem: Ecosystem,
}

/// A package licence a licence control objected to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseItem {
    pub package: Shared<PackageItem>,
    pub license: Arc<str>,
}

impl Serialize for LicenseItem {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("LicenseItem", 3)?;
        s.serialize_field("package", &self.package.name)?;
        s.serialize_field("version", &self.package.version)?;
        s.serialize_field("license", &*self.license)?;
        s.end()
    }
}

/// One thing a control objected to. Each variant is one pointer wide: controls can list
/// thousands of items, many of them shared between controls.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    Vulnerability(Shared<VulnerabilityItem>),
    Package(Shared<PackageItem>),
    License(Shared<LicenseItem>),
    Malware(Box<MalwareHit>),
    Secret(Box<SecretItem>),
    File(Box<FileItem>),
    Label(Box<LabelItem>),
    Image(Box<ImageItem>),
    Misconfiguration(Box<MisconfigHit>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretItem {
    pub rule_id: String,
    pub path: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileItem {
    pub path: String,
    /// Octal mode, e.g. `4755`.
    pub mode: String,
    pub uid: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelItem {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageItem {
    pub reference: String,
}

impl Item {
    /// True for an acknowledged vulnerability whose acknowledgement has not expired.
    pub fn is_acknowledged(&self) -> bool {
        matches!(self, Item::Vulnerability(v) if v.acknowledged.as_ref().is_some_and(|a| !a.expired))
    }
}

/// A field Kabuto accepts but does not act on, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotEvaluated {
    pub field: &'static str,
    pub reason: String,
}
