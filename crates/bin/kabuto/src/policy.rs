//! Image assurance policies at the CLI: loading them before a scan, making sure the scan
//! collects what they need, and turning the verdict into report sections and an exit code.

use std::path::PathBuf;

use anyhow::{Context, Result};
use kabuto_inventory::SpecialFile;
use kabuto_policy::{
    Acknowledgements, FilePermission, Item, MalwareHit, MisconfigHit, PolicyInput, PolicySet,
    Verdict,
};
use kabuto_report::{FailedControl, PolicyOutcome, PolicySummary};
use kabuto_types::{Finding, Inventory, MalwareFinding, MisconfigFinding, SecretFinding};

/// The policies and acknowledgements a scan was given.
pub struct Gate {
    policies: PolicySet,
    acknowledgements: Acknowledgements,
}

impl Gate {
    /// Loads every `--policy` file (refusing an invalid one before any scanning) and the
    /// acknowledgements file. `None` when no policy was given.
    pub fn load(files: &[PathBuf], acknowledgements: Option<&PathBuf>) -> Result<Option<Gate>> {
        let Some((first, rest)) = files.split_first() else {
            return Ok(None);
        };
        let mut policies = PolicySet::load(first)?;
        for file in rest {
            let more = PolicySet::load(file)?;
            policies.merge(more, &file.display().to_string())?;
        }
        let acknowledgements = match acknowledgements {
            Some(path) => Acknowledgements::load(path)
                .with_context(|| format!("acknowledgements {}", path.display()))?,
            None => Acknowledgements::default(),
        };
        Ok(Some(Gate {
            policies,
            acknowledgements,
        }))
    }

    pub fn needs(&self) -> kabuto_policy::Needs {
        self.policies.needs()
    }

    pub fn evaluate(
        &self,
        inventory: &Inventory,
        vulnerabilities: &[Finding],
        secrets: Option<&[SecretFinding]>,
        misconfigs: Option<&[MisconfigFinding]>,
        malware: Option<&[MalwareFinding]>,
        special_files: &[SpecialFile],
    ) -> Verdict {
        let malware_hits: Option<Vec<MalwareHit>> = malware.map(|m| {
            m.iter()
                .map(|f| MalwareHit {
                    rule: f.rule.to_string(),
                    path: f.path.clone(),
                    sha256: f.sha256.to_string(),
                })
                .collect()
        });
        let misconfig_hits: Option<Vec<MisconfigHit>> = misconfigs.map(|m| {
            m.iter()
                .map(|f| MisconfigHit {
                    check_id: f.check_id.to_string(),
                    severity: f.severity,
                })
                .collect()
        });
        let permissions: Vec<FilePermission> = special_files
            .iter()
            .filter(|f| !f.is_dir)
            .map(|f| FilePermission {
                path: format!("/{}", f.path),
                mode: f.mode,
                uid: u32::try_from(f.uid).unwrap_or(u32::MAX),
            })
            .collect();
        let input = PolicyInput {
            secrets,
            malware: malware_hits.as_deref(),
            misconfigurations: misconfig_hits.as_deref(),
            file_permissions: Some(&permissions),
            ..PolicyInput::new(inventory, vulnerabilities, time::OffsetDateTime::now_utc())
        };
        kabuto_policy::evaluate(&self.policies, &self.acknowledgements, &input)
    }
}

/// The report's view of a verdict: one summary per policy that applied.
pub fn summaries(verdict: &Verdict) -> Vec<PolicySummary> {
    use kabuto_policy::{PolicyAction, PolicyOutcome as Outcome};
    verdict
        .policies
        .iter()
        .filter(|p| p.outcome != Outcome::Skipped)
        .map(|p| PolicySummary {
            name: p.policy.clone(),
            outcome: match (p.outcome, p.action) {
                (Outcome::Fail, PolicyAction::Audit) => PolicyOutcome::Audit,
                (Outcome::Fail, PolicyAction::FailCicd) => PolicyOutcome::Failed,
                _ => PolicyOutcome::Passed,
            },
            failed: p
                .failed_controls()
                .map(|c| FailedControl {
                    id: c.control.to_owned(),
                    message: c.message.clone(),
                    items: c.items.iter().map(item_text).collect(),
                })
                .collect(),
            passed: p
                .controls
                .iter()
                .filter(|c| c.outcome == kabuto_policy::ControlOutcome::Pass)
                .map(|c| c.control.to_owned())
                .collect(),
        })
        .collect()
}

/// One line per offending item, as a person reads it in a table or a CI log.
fn item_text(item: &Item) -> String {
    match item {
        Item::Vulnerability(v) => {
            let ack = if item.is_acknowledged() {
                " (acknowledged)"
            } else {
                ""
            };
            format!(
                "{} in {}@{} ({}){ack}",
                v.0.id, v.0.package, v.0.version, v.0.severity
            )
        }
        Item::Package(p) => format!("{}@{} ({})", p.0.name, p.0.version, p.0.ecosystem),
        Item::License(l) => format!(
            "{}@{}: {}",
            l.0.package.0.name, l.0.package.0.version, l.0.license
        ),
        Item::Malware(m) => format!("{} in {} ({})", m.rule, m.path, m.sha256),
        Item::Secret(s) => format!("{} in {}:{}", s.rule_id, s.path, s.line),
        Item::File(f) => format!("{} (mode {}, uid {})", f.path, f.mode, f.uid),
        Item::Label(l) => match &l.value {
            Some(value) => format!("label {}={value}", l.key),
            None => format!("label {}", l.key),
        },
        Item::Image(i) => i.reference.clone(),
        Item::Misconfiguration(m) => format!("{} ({})", m.check_id, m.severity),
    }
}
