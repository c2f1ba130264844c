//! The verdict as reports and servers show it: kabuto-types' `PolicySummary` per policy.
//! This is the one conversion from the policy engine's result to the domain outcome.

use kabuto_types::{FailedControl, PolicyOutcome, PolicySummary};

use crate::verdict::{ControlOutcome, EvaluationOutcome, Item, PolicyAction, Verdict};

impl Verdict {
    /// One summary per policy that applied (skipped policies are left out): passed,
    /// failed (the policy enforces) or audit (it only reports), with the failed controls
    /// and their items as text and the ids of the passed controls.
    pub fn summaries(&self) -> Vec<PolicySummary> {
        self.policies
            .iter()
            .filter(|p| p.outcome != EvaluationOutcome::Skipped)
            .map(|p| PolicySummary {
                name: p.policy.clone(),
                outcome: match (p.outcome, p.action) {
                    (EvaluationOutcome::Fail, PolicyAction::Audit) => PolicyOutcome::Audit,
                    (EvaluationOutcome::Fail, PolicyAction::FailCicd) => PolicyOutcome::Failed,
                    _ => PolicyOutcome::Passed,
                },
                failed: p
                    .failed_controls()
                    .map(|c| FailedControl {
                        id: c.control.to_owned(),
                        message: c.message.clone(),
                        items: c.items.iter().map(Item::text).collect(),
                    })
                    .collect(),
                passed: p
                    .controls
                    .iter()
                    .filter(|c| c.outcome == ControlOutcome::Pass)
                    .map(|c| c.control.to_owned())
                    .collect(),
            })
            .collect()
    }
}

impl Item {
    /// One line, as a person reads it in a table or a CI log.
    pub fn text(&self) -> String {
        match self {
            Item::Vulnerability(v) => {
                let ack = if self.is_acknowledged() {
                    " (acknowledged)"
                } else {
                    ""
                };
                format!(
                    "{} in {}@{} ({}){ack}",
                    v.id, v.package, v.version, v.severity
                )
            }
            Item::Package(p) => format!("{}@{} ({})", p.name, p.version, p.ecosystem),
            Item::License(l) => format!("{}@{}: {}", l.package.name, l.package.version, l.license),
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
}
