//! From findings to a policy verdict, and from the verdict and acknowledgements to what
//! reports show.

use std::collections::HashSet;

use kabuto_policy::{
    Acknowledgements, Item, MalwareHit, MisconfigHit, PolicyInput, PolicySet, Verdict,
};
use kabuto_report::{AckState, Acknowledgement, FailedControl, PolicyOutcome, PolicySummary};
use kabuto_types::{
    FileEntry, Finding, Inventory, MalwareFinding, MisconfigFinding, SecretFinding,
};
use time::OffsetDateTime;

/// What the policies judge: the sections are `None` when their scanner did not run.
pub(crate) struct Judged<'a> {
    pub inventory: &'a Inventory,
    pub vulnerabilities: &'a [Finding],
    pub secrets: Option<&'a [SecretFinding]>,
    pub misconfigs: Option<&'a [MisconfigFinding]>,
    pub malware: Option<&'a [MalwareFinding]>,
    /// `None` when the permissions are not known (a re-evaluated SBOM does not record them).
    pub special_files: Option<&'a [FileEntry]>,
}

pub(crate) fn evaluate(
    policies: &PolicySet,
    acknowledgements: &Acknowledgements,
    judged: &Judged<'_>,
    now: OffsetDateTime,
) -> Verdict {
    let malware: Option<Vec<MalwareHit>> = judged.malware.map(|m| {
        m.iter()
            .map(|f| MalwareHit {
                rule: f.rule.to_string(),
                path: f.path.clone(),
                sha256: f.sha256.to_string(),
            })
            .collect()
    });
    let misconfigs: Option<Vec<MisconfigHit>> = judged.misconfigs.map(|m| {
        m.iter()
            .map(|f| MisconfigHit {
                check_id: f.check_id.to_string(),
                severity: f.severity,
            })
            .collect()
    });
    let input = PolicyInput {
        secrets: judged.secrets,
        malware: malware.as_deref(),
        misconfigurations: misconfigs.as_deref(),
        file_permissions: judged.special_files,
        ..PolicyInput::new(judged.inventory, judged.vulnerabilities, now)
    };
    kabuto_policy::evaluate(policies, acknowledgements, &input)
}

/// The report's marks for acknowledged findings: one per (finding id, package) a current
/// acknowledgement covers, so every report format shows the decision (CycloneDX
/// `analysis`, SARIF suppressions, the table's status), with or without policies.
pub(crate) fn report_acknowledgements(
    acknowledgements: &Acknowledgements,
    inventory: &Inventory,
    findings: &[Finding],
    now: OffsetDateTime,
) -> Vec<Acknowledgement> {
    let mut seen = HashSet::new();
    acknowledgements
        .covered(inventory, findings, now.date())
        .into_iter()
        .filter(|(finding, _)| seen.insert((finding.id.clone(), finding.package_purl.clone())))
        .map(|(finding, note)| Acknowledgement {
            vulnerability: finding.id.clone(),
            package_purl: Some(finding.package_purl.clone()),
            state: AckState::Acknowledged,
            justification: None,
            reason: Some(format!(
                "{} (acknowledged by {} until {})",
                note.reason, note.by, note.expires
            )),
        })
        .collect()
}

/// The report's view of a verdict: one summary per policy that applied.
pub(crate) fn summaries(verdict: &Verdict) -> Vec<PolicySummary> {
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
