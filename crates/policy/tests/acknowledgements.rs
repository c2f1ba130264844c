//! Acknowledged vulnerabilities stay visible, marked, and stop failing until they expire.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

mod common;

use common::Scan;
use kabuto_policy::{Acknowledgements, ControlOutcome, GateOutcome, Item};

const CRITICAL: &str = "name: t\ncvss_severity_enabled: true\ncvss_severity: critical\n";

fn ack(body: &str) -> Acknowledgements {
    Acknowledgements::parse(&format!("acknowledgements:\n{body}"), "acks.yaml")
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn acknowledgements_by_scope_and_expiry() {
    // (acknowledgement entry, control outcome, acknowledged-and-current)
    let cases = [
        (
            "  - {id: CVE-2026-0002, by: alice, reason: not reachable, expires: 2026-12-31}\n",
            ControlOutcome::Pass,
            Some(false),
        ),
        (
            "  - {id: cve-2026-0002, package: lodash, by: alice, reason: r, expires: 2026-06-01}\n",
            ControlOutcome::Pass,
            Some(false),
        ),
        (
            "  - {id: CVE-2026-0002, by: alice, reason: r, expires: 2026-05-31}\n",
            ControlOutcome::Fail,
            Some(true),
        ),
        (
            "  - {id: CVE-2026-0002, package: underscore, by: alice, reason: r, expires: 2026-12-31}\n",
            ControlOutcome::Fail,
            None,
        ),
        (
            "  - {id: CVE-2026-0002, images: ['registry.example.invalid/other/*'], by: a, reason: r, expires: 2026-12-31}\n",
            ControlOutcome::Fail,
            None,
        ),
        (
            "  - {id: CVE-2026-0002, images: ['registry.example.invalid/team/*'], by: a, reason: r, expires: 2026-12-31}\n",
            ControlOutcome::Pass,
            Some(false),
        ),
        // An expired and a current acknowledgement: the current one holds.
        (
            "  - {id: CVE-2026-0002, by: a, reason: old, expires: 2025-01-01}\n  - {id: CVE-2026-0002, by: b, reason: new, expires: 2027-01-01}\n",
            ControlOutcome::Pass,
            Some(false),
        ),
    ];
    for (entry, outcome, expired) in cases {
        let verdict = Scan::base().judge_with(CRITICAL, &ack(entry));
        let control = &verdict.policies[0].controls[0];
        assert_eq!(control.outcome, outcome, "{entry}");
        assert_eq!(
            control.items.len(),
            1,
            "acknowledged findings are still listed: {entry}"
        );
        let Item::Vulnerability(vuln) = &control.items[0] else {
            panic!("{entry}")
        };
        let ack = vuln.acknowledged.as_ref();
        assert_eq!(ack.map(|a| a.expired), expired, "{entry}");
    }
}

#[test]
fn acknowledged_findings_do_not_fail_the_gate() {
    let acks =
        ack("  - {id: CVE-2026-0002, by: alice, reason: not reachable, expires: 2026-12-31}\n");
    let verdict = Scan::base().judge_with(CRITICAL, &acks);
    assert_eq!(verdict.gate, GateOutcome::Pass);
    let control = &verdict.policies[0].controls[0];
    assert!(
        control.message.contains("1 more acknowledged"),
        "{}",
        control.message
    );
    assert!(control.items[0].is_acknowledged());
}

#[test]
fn acknowledgement_files_are_checked() {
    let cases = [
        (
            "acknowledgements:\n  - {id: CVE-1, by: a, reason: r, expires: 2026-13-01}\n",
            "acks.yaml:2:",
        ),
        (
            "acknowledgements:\n  - id: CVE-1\n    by: a\n    reason: r\n",
            "field `acknowledgements[0].expires`: is required",
        ),
        (
            "acknowledgements:\n  - {id: CVE-1, by: a, reason: r, expires: 2026-01-01, until: x}\n",
            "unknown field `until`",
        ),
        (
            "acknowledgements:\n  - {id: CVE-1, by: a, reason: r, expires: 2026-01-01, images: ['[']}\n",
            "invalid glob",
        ),
    ];
    for (text, want) in cases {
        let error = Acknowledgements::parse(text, "acks.yaml")
            .unwrap_err()
            .to_string();
        assert!(error.contains(want), "{error} should contain {want}");
    }
    let list = Acknowledgements::parse(
        "- {id: CVE-1, by: a, reason: r, expires: 2026-01-01}\n",
        "acks.yaml",
    )
    .unwrap();
    assert!(!list.is_empty());
    let json = Acknowledgements::parse(r#"{"acknowledgements": [{"id": "CVE-1", "by": "a", "reason": "r", "expires": "2026-01-01"}]}"#, "acks.json").unwrap();
    assert!(!json.is_empty());
}

#[test]
fn covered_lists_the_findings_current_acknowledgements_mark() {
    let scan = Scan::base();
    let acks = ack(concat!(
        "  - {id: CVE-2018-18074, by: alice, reason: behind a proxy, expires: 2026-12-31}\n",
        "  - {id: CVE-2024-0001, by: bob, reason: lapsed, expires: 2025-01-01}\n",
        "  - {id: CVE-2026-0002, images: ['registry.example.invalid/other/*'], by: c, reason: r, expires: 2026-12-31}\n",
    ));
    let covered = acks.covered(&scan.inventory, &scan.findings, common::NOW.date());
    let ids: Vec<(&str, &str)> = covered
        .iter()
        .map(|(finding, note)| (finding.id.as_str(), note.by.as_str()))
        .collect();
    // By alias; the expired one and the one for another image mark nothing.
    assert_eq!(ids, [("GHSA-x84v-xcm2-53pg", "alice")]);
}

/// The marks reports show: one `kabuto_types::Acknowledgement` per covered finding, with its
/// purl and who decided until when; expired acknowledgements mark nothing.
#[test]
fn current_acknowledgements_become_report_marks() {
    let scan = Scan::base();
    let acks = ack(concat!(
        "  - {id: CVE-2026-0002, by: alice, reason: not reachable, expires: 2026-12-31}\n",
        "  - {id: CVE-2018-18074, by: bob, reason: old, expires: 2025-01-01}\n",
    ));
    let marks = acks.marks(&scan.inventory, &scan.findings, common::NOW.date());
    assert_eq!(marks.len(), 1, "{marks:?}");
    let mark = &marks[0];
    assert_eq!(mark.vulnerability.as_str(), "CVE-2026-0002");
    assert_eq!(mark.state, kabuto_types::AckState::Acknowledged);
    assert_eq!(
        mark.package_purl.as_ref(),
        Some(&scan.findings[1].package_purl)
    );
    assert_eq!(
        mark.reason.as_deref(),
        Some("not reachable (acknowledged by alice until 2026-12-31)")
    );
}

/// A triage state and justification given with an acknowledgement reach the mark (and so
/// CycloneDX `analysis`); an unknown state is refused naming the field.
#[test]
fn acknowledgements_carry_their_triage_state() {
    let scan = Scan::base();
    let acks = ack(
        "  - {id: CVE-2026-0002, by: alice, reason: not reachable, expires: 2026-12-31, state: not_affected, justification: code_not_reachable}\n",
    );
    let marks = acks.marks(&scan.inventory, &scan.findings, common::NOW.date());
    assert_eq!(marks[0].state, kabuto_types::AckState::NotAffected);
    assert_eq!(
        marks[0].justification,
        Some(kabuto_types::VexJustification::CodeNotReachable)
    );
    let error = Acknowledgements::parse(
        "acknowledgements:\n  - {id: CVE-1, by: a, reason: r, expires: 2026-01-01, state: ignored}\n",
        "acks.yaml",
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("state"), "{error}");
}

/// The report's view of a verdict: skipped policies left out, an audit-only failure is
/// `audit`, failed controls carry their items as text.
#[test]
fn verdicts_summarise_for_reports() {
    use kabuto_types::PolicyOutcome;
    let verdict = Scan::base().judge(concat!(
        "- {name: enforced, cvss_severity_enabled: true, cvss_severity: critical}\n",
        "- {name: audited, fail_cicd: false, cvss_severity_enabled: true, cvss_severity: critical}\n",
        "- {name: clean, disallow_malware: true}\n",
        "- {name: elsewhere, images: ['other/*'], disallow_malware: true}\n",
    ));
    let summaries = verdict.summaries();
    let outcomes: Vec<(&str, PolicyOutcome)> = summaries
        .iter()
        .map(|s| (s.name.as_str(), s.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("enforced", PolicyOutcome::Failed),
            ("audited", PolicyOutcome::Audit),
            ("clean", PolicyOutcome::Passed)
        ]
    );
    assert_eq!(summaries[0].failed[0].id, "cvss_severity");
    assert_eq!(
        summaries[0].failed[0].items,
        ["CVE-2026-0002 in lodash@1 (critical)"]
    );
    assert_eq!(summaries[2].passed, ["disallow_malware"]);
}
