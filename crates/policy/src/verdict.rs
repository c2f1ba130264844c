//! The result of judging one image: every applicable policy's outcome with the reasons of
//! each failed control, and the CI gate decision. All types serialize for report renderers.

use kabuto_types::{Ecosystem, Severity};
use serde::Serialize;

use crate::ack::AckNote;
use crate::compile::NotEvaluated;

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
            .filter(|p| p.outcome == PolicyOutcome::Fail)
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
pub enum PolicyOutcome {
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
    pub outcome: PolicyOutcome,
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

/// One thing a control objected to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    Vulnerability {
        id: String,
        package: String,
        version: String,
        severity: Severity,
        #[serde(skip_serializing_if = "Option::is_none")]
        score: Option<f64>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        fixed_versions: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        acknowledged: Option<AckNote>,
    },
    Package {
        name: String,
        version: String,
        ecosystem: Ecosystem,
    },
    License {
        package: String,
        version: String,
        license: String,
    },
    Malware {
        rule: String,
        path: String,
        sha256: String,
    },
    Secret {
        rule_id: String,
        path: String,
        line: usize,
    },
    File {
        path: String,
        /// Octal mode, e.g. `4755`.
        mode: String,
        uid: u32,
    },
    Label {
        key: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        value: Option<String>,
    },
    Image {
        reference: String,
    },
    Misconfiguration {
        check_id: String,
        severity: Severity,
    },
}

impl Item {
    /// True for an acknowledged vulnerability whose acknowledgement has not expired.
    pub fn is_acknowledged(&self) -> bool {
        matches!(self, Item::Vulnerability { acknowledged: Some(ack), .. } if !ack.expired)
    }
}
