//! Decisions about findings (acknowledgements, VEX statements) as every consumer sees them:
//! the policy engine produces them, reports and servers show them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Purl, VulnId};

/// A decision someone made about a vulnerability: an accepted risk ("acknowledge" in the
/// console or a policy's acknowledgement file) or a VEX statement. It marks findings; it never
/// hides them. The mark is simple (id or alias, optional purl): kabuto-policy resolves its
/// richer acknowledgement rules (package names, image patterns, expiry dates) into one mark
/// per covered finding, with that finding's purl; reports render the marks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Acknowledgement {
    /// The vulnerability, by its id or any alias.
    pub vulnerability: VulnId,
    /// Limits the decision to one package; qualifiers (`arch`, `distro`) are ignored when
    /// comparing. `None` covers every package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_purl: Option<Purl>,
    pub state: AckState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<VexJustification>,
    /// Free text: why, and who decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What was decided about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AckState {
    /// The risk is known and accepted; no fix planned.
    Acknowledged,
    /// The vulnerable code cannot be reached or is not present (VEX `not_affected`).
    NotAffected,
    /// The match is wrong.
    FalsePositive,
    /// Being investigated.
    InTriage,
}

impl AckState {
    pub fn as_str(self) -> &'static str {
        match self {
            AckState::Acknowledged => "acknowledged",
            AckState::NotAffected => "not affected",
            AckState::FalsePositive => "false positive",
            AckState::InTriage => "in triage",
        }
    }
}

impl fmt::Display for AckState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a package is not affected, in CycloneDX's `analysis.justification` terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VexJustification {
    CodeNotPresent,
    CodeNotReachable,
    RequiresConfiguration,
    RequiresDependency,
    RequiresEnvironment,
    ProtectedByCompiler,
    ProtectedAtRuntime,
    ProtectedAtPerimeter,
    ProtectedByMitigatingControl,
}

impl VexJustification {
    /// The CycloneDX 1.6 `analysis.justification` value.
    pub fn as_str(self) -> &'static str {
        match self {
            VexJustification::CodeNotPresent => "code_not_present",
            VexJustification::CodeNotReachable => "code_not_reachable",
            VexJustification::RequiresConfiguration => "requires_configuration",
            VexJustification::RequiresDependency => "requires_dependency",
            VexJustification::RequiresEnvironment => "requires_environment",
            VexJustification::ProtectedByCompiler => "protected_by_compiler",
            VexJustification::ProtectedAtRuntime => "protected_at_runtime",
            VexJustification::ProtectedAtPerimeter => "protected_at_perimeter",
            VexJustification::ProtectedByMitigatingControl => "protected_by_mitigating_control",
        }
    }
}
