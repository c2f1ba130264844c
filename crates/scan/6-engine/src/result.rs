//! What a scan produced, as data: the front end prints, renders and exits from it.

use std::fmt;

use crate::EngineError;
use kabuto_match::MatchWarning;
use kabuto_match::suppress::{ExpiredIgnore, Suppressed};
use kabuto_policy::{EXIT_POLICY_FAILED, Verdict};
use kabuto_report::Report;
use kabuto_types::{
    Acknowledgement, FileEntry, Finding, Inventory, MalwareFinding, MisconfigFinding,
    PolicySummary, SecretFinding,
};

/// Everything one scan or re-evaluation found. A finding section is `None` when its
/// scanner did not run (reports leave it out), `Some(empty)` when it ran and found nothing.
#[derive(Debug, Clone)]
pub struct ScanResult {
    /// The artifact and its packages; `inventory.warnings` are the files that could not
    /// be read or parsed.
    pub inventory: Inventory,
    /// After suppression and filters.
    pub vulnerabilities: Option<Vec<Finding>>,
    pub secrets: Option<Vec<SecretFinding>>,
    pub misconfigs: Option<Vec<MisconfigFinding>>,
    pub malware: Option<Vec<MalwareFinding>>,
    /// Setuid, setgid and world-writable entries of the final filesystem (empty for a
    /// re-evaluation: stored inventories do not record them).
    pub special_files: Vec<FileEntry>,
    /// Findings an ignore file or VEX document removed, each with the rule that did.
    pub suppressed: Vec<Suppressed>,
    /// Misconfigurations an ignore file removed, each with the rule that did.
    pub suppressed_misconfigs: Vec<Suppressed<MisconfigFinding>>,
    /// Marks for the findings current acknowledgements cover (attached to reports).
    pub acknowledgements: Vec<Acknowledgement>,
    /// The policies' judgement, when the plan had policies.
    pub verdict: Option<Verdict>,
    /// The verdict as reports show it.
    pub policies: Vec<PolicySummary>,
    /// What did not stop the scan but should be told, beyond the inventory's warnings.
    pub warnings: Vec<ScanWarning>,
    pub exit: ExitDecision,
}

/// Something the user should hear about that did not stop the scan.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanWarning {
    /// A package could not be matched completely.
    Match(MatchWarning),
    /// An ignore entry past its expiry date, which no longer suppresses anything.
    ExpiredIgnore(ExpiredIgnore),
    /// Parts of a stored inventory or SBOM that could not be used.
    Stored(String),
}

impl fmt::Display for ScanWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanWarning::Match(w) => write!(f, "{}: {}", w.package, w.message),
            ScanWarning::ExpiredIgnore(e) => fmt::Display::fmt(e, f),
            ScanWarning::Stored(text) => f.write_str(text),
        }
    }
}

/// [`EXIT_POLICY_FAILED`] as a process exit code.
const POLICY_FAILED: u8 = 4;

/// How the scan ends for a CI pipeline; [`ExitDecision::code`] is the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitDecision {
    Success,
    /// A policy with `fail_cicd` failed (exit 4).
    PolicyFailed,
    /// Findings remained after filtering and the plan's `findings_exit_code` is this.
    FindingsOverGate(u8),
    /// A package database could not be read whole and the plan does not accept partial
    /// results ([`crate::ScanPlan::allow_incomplete`]): the scan fails (exit 1) whatever
    /// was found, since packages may be missing. [`ScanResult::incomplete_error`] says why.
    IncompleteInventory,
}

impl ExitDecision {
    pub fn code(self) -> u8 {
        match self {
            ExitDecision::Success => 0,
            ExitDecision::PolicyFailed => POLICY_FAILED,
            ExitDecision::FindingsOverGate(code) => code,
            ExitDecision::IncompleteInventory => 1,
        }
    }

    /// A failed policy decides before the findings gate.
    pub(crate) fn decide(verdict: Option<&Verdict>, found: usize, findings_exit_code: u8) -> Self {
        if verdict.is_some_and(|v| v.exit_code() == EXIT_POLICY_FAILED) {
            ExitDecision::PolicyFailed
        } else if findings_exit_code != 0 && found > 0 {
            ExitDecision::FindingsOverGate(findings_exit_code)
        } else {
            ExitDecision::Success
        }
    }
}

impl ScanResult {
    /// The error to fail with when the exit decision is
    /// [`ExitDecision::IncompleteInventory`], naming the package databases.
    pub fn incomplete_error(&self) -> Option<EngineError> {
        (self.exit == ExitDecision::IncompleteInventory).then(|| {
            EngineError::IncompletePackageDatabase(
                self.inventory
                    .incomplete_databases()
                    .map(|w| w.location.clone())
                    .collect(),
            )
        })
    }

    /// The verdict a gate (a CI run through the server, an admission request) receives, in
    /// the wire format.
    pub fn gate_verdict(&self) -> kabuto_api::Verdict {
        kabuto_api::Verdict::of(
            &self.inventory.artifact.name,
            &self.policies,
            self.vulnerabilities.as_deref().unwrap_or_default(),
            self.exit.code(),
        )
    }

    /// Every finding that counts for the findings gate.
    pub fn finding_count(&self) -> usize {
        self.vulnerabilities.as_ref().map_or(0, Vec::len)
            + self.secrets.as_ref().map_or(0, Vec::len)
            + self.misconfigs.as_ref().map_or(0, Vec::len)
            + self.malware.as_ref().map_or(0, Vec::len)
    }

    /// A report of everything found, with policies and acknowledgement marks. It lists
    /// packages in the table only when no finding section exists (an inventory-only scan);
    /// call [`Report::list_packages`] to decide otherwise.
    pub fn report(&self) -> Report<'_> {
        let mut report = Report::new(&self.inventory);
        let mut sections = false;
        if let Some(v) = &self.vulnerabilities {
            report = report.with_vulnerabilities(v);
            sections = true;
        }
        if let Some(s) = &self.secrets {
            report = report.with_secrets(s);
            sections = true;
        }
        if let Some(m) = &self.misconfigs {
            report = report.with_misconfigs(m);
            sections = true;
        }
        if let Some(m) = &self.malware {
            report = report.with_malware(m);
            sections = true;
        }
        report
            .list_packages(!sections)
            .with_policies(&self.policies)
            .with_acknowledgements(&self.acknowledgements)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(i32::from(POLICY_FAILED), EXIT_POLICY_FAILED);
        assert_eq!(ExitDecision::decide(None, 3, 0), ExitDecision::Success);
        assert_eq!(
            ExitDecision::decide(None, 3, 5),
            ExitDecision::FindingsOverGate(5)
        );
        assert_eq!(ExitDecision::decide(None, 0, 5).code(), 0);
        assert_eq!(ExitDecision::FindingsOverGate(5).code(), 5);
    }
}
