//! The outcome of one image assurance policy as reports and servers show it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One assurance policy's outcome, as reports and servers show it. kabuto-policy's
/// `Verdict::summaries` makes it from the full verdict (the one conversion).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicySummary {
    pub name: String,
    pub outcome: PolicyOutcome,
    /// Controls that failed, in the policy's order.
    #[serde(default)]
    pub failed: Vec<FailedControl>,
    /// Ids of the controls that passed (JUnit lists them as passing test cases).
    #[serde(default)]
    pub passed: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolicyOutcome {
    Passed,
    /// At least one control failed and the policy enforces (CI exit code 4).
    Failed,
    /// Controls failed but the policy only audits.
    Audit,
}

impl PolicyOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyOutcome::Passed => "passed",
            PolicyOutcome::Failed => "failed",
            PolicyOutcome::Audit => "audit",
        }
    }
}

impl fmt::Display for PolicyOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A control that failed: its id, what it says, and the items that broke it (vulnerability
/// ids, package names, files).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FailedControl {
    pub id: String,
    pub message: String,
    #[serde(default)]
    pub items: Vec<String>,
}
