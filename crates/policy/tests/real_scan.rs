//! Verdicts on real Kabuto scan output (tests/fixtures/debian-app), as golden files.
//! Regenerate with `INSTA_UPDATE=always cargo test -p kabuto-policy --test real_scan` and
//! review the diff.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::path::Path;

use kabuto_policy::{
    Acknowledgements, ControlOutcome, GateOutcome, PolicyInput, PolicySet, evaluate, templates,
};
use kabuto_types::{Finding, Inventory};
use time::macros::datetime;

fn fixture() -> (Inventory, Vec<Finding>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/debian-app");
    let inventory =
        serde_json::from_str(&std::fs::read_to_string(dir.join("inventory.json")).unwrap())
            .unwrap();
    let findings =
        serde_json::from_str(&std::fs::read_to_string(dir.join("findings.json")).unwrap()).unwrap();
    (inventory, findings)
}

fn examples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies")
}

fn judge(policies: &PolicySet, acks: &Acknowledgements) -> kabuto_policy::Verdict {
    let (inventory, findings) = fixture();
    // Only the vulnerability scanner ran: secrets, malware, misconfigurations and file
    // permissions are unknown.
    let input = PolicyInput::new(&inventory, &findings, datetime!(2026-06-01 00:00 UTC));
    evaluate(policies, acks, &input)
}

#[test]
fn templates_on_debian_app() {
    for name in templates::NAMES {
        let set = PolicySet::parse(templates::get(name).unwrap(), name).unwrap();
        let verdict = judge(&set, &Acknowledgements::default());
        insta::assert_json_snapshot!(format!("template_{name}"), verdict);
    }
}

#[test]
fn root_user_and_python_vulnerabilities_fail_the_gate() {
    let set = PolicySet::parse(
        "name: strict\nonly_none_root_users: true\ncvss_severity_enabled: true\ncvss_severity: high\n",
        "strict.yaml",
    )
    .unwrap();
    let verdict = judge(&set, &Acknowledgements::default());
    assert_eq!(verdict.gate, GateOutcome::Fail);
    assert_eq!(verdict.exit_code(), 4);
    let control = |id: &str| {
        verdict.policies[0]
            .controls
            .iter()
            .find(|c| c.control == id)
            .unwrap()
    };
    // The image's config says `User: 0:0`.
    let root = control("only_none_root_users");
    assert_eq!(root.outcome, ControlOutcome::Fail);
    assert!(root.message.contains("0:0"), "{}", root.message);
    let severity = control("cvss_severity");
    assert_eq!(severity.outcome, ControlOutcome::Fail);
    assert_eq!(severity.items.len(), 2, "{:?}", severity.items);
    assert_eq!(verdict.image, "docker.io/fixture/debian-app:latest");
}

#[test]
fn example_policies_with_acknowledgements() {
    let mut set = PolicySet::load(&examples().join("ci-gate.yaml")).unwrap();
    set.merge(
        PolicySet::load(&examples().join("aqua-export.json")).unwrap(),
        "aqua-export.json",
    )
    .unwrap();
    let acks = Acknowledgements::load(&examples().join("acknowledgements.yaml")).unwrap();
    let verdict = judge(&set, &acks);
    insta::assert_json_snapshot!("examples_debian_app", verdict);
}

#[test]
fn acknowledging_every_high_finding_passes_the_severity_control() {
    let (_, findings) = fixture();
    let high: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity >= kabuto_types::Severity::High)
        .collect();
    assert!(!high.is_empty(), "the fixture has high findings");
    let entries: String = high
        .iter()
        .map(|f| {
            format!(
                "  - {{id: {}, package: {}, by: ci, reason: test, expires: 2026-06-30}}\n",
                f.id, f.package_name
            )
        })
        .collect();
    let acks =
        Acknowledgements::parse(&format!("acknowledgements:\n{entries}"), "acks.yaml").unwrap();
    let set = PolicySet::parse(
        "name: high\ncvss_severity_enabled: true\ncvss_severity: high\n",
        "p.yaml",
    )
    .unwrap();
    let verdict = judge(&set, &acks);
    let control = &verdict.policies[0].controls[0];
    assert_eq!(control.outcome, ControlOutcome::Pass, "{}", control.message);
    assert_eq!(control.items.len(), high.len());
    assert!(control.items.iter().all(|i| i.is_acknowledged()));
}
