//! The CI gate through the command line: policies decide exit code 4, invalid policies are
//! refused with exit 1 before scanning, ignore files and VEX documents suppress findings.
//! The image is built in code; the database comes from real advisory records.

mod common;

use std::path::Path;

use common::{app_image_dir, kabuto_at, scan_app};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write fixture");
}

/// Blocks the two CVEs in requests 2.19.1 and urllib3 in the app image.
const BLOCK_REQUESTS_CVE: &str = "name: no-known-requests-bug
cves_black_list_enabled: true
cves_black_list: [CVE-2018-18074]
fail_cicd: true
";

#[test]
fn a_failed_fail_cicd_policy_exits_4_and_names_the_control() {
    let dir = app_image_dir();
    write(dir.path(), "policy.yaml", BLOCK_REQUESTS_CVE);
    let run = scan_app(dir.path(), &["--policy", "policy.yaml", "--format", "json"]);
    run.expect_code(4);
    let report = run.json();
    let policies = report["policies"]
        .as_array()
        .expect("policies in the JSON report");
    assert_eq!(policies.len(), 1, "{report:#}");
    let text = policies[0].to_string();
    assert!(
        text.contains("cves_black_list") && text.contains("CVE-2018-18074"),
        "{text}"
    );
}

#[test]
fn audit_only_policies_report_the_failure_and_exit_0() {
    let dir = app_image_dir();
    write(
        dir.path(),
        "policy.yaml",
        &BLOCK_REQUESTS_CVE.replace(
            "fail_cicd: true",
            "fail_cicd: false\naudit_on_failure: true",
        ),
    );
    let run = scan_app(dir.path(), &["--policy", "policy.yaml"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("no-known-requests-bug"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_ignored_vulnerability_no_longer_fails_the_policy() {
    let dir = app_image_dir();
    write(dir.path(), "policy.yaml", BLOCK_REQUESTS_CVE);
    write(
        dir.path(),
        ".kabutoignore",
        "# accepted risk, ticket SEC-1\nCVE-2018-18074\n",
    );
    let run = scan_app(
        dir.path(),
        &["--policy", "policy.yaml", "--show-suppressed"],
    );
    run.expect_code(0);
    assert!(
        run.stderr.contains("suppressed: CVE-2018-18074"),
        "{}",
        run.stderr
    );
    // Picked up unasked from the current directory, so the scan says which file it read.
    assert!(
        run.stderr.contains(
            "note: ignoring findings listed in .kabutoignore (found in the current directory"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn an_expired_ignore_entry_suppresses_nothing() {
    let dir = app_image_dir();
    write(dir.path(), "policy.yaml", BLOCK_REQUESTS_CVE);
    write(dir.path(), "ignore", "CVE-2018-18074 exp:2020-01-01\n");
    let run = scan_app(
        dir.path(),
        &["--policy", "policy.yaml", "--ignorefile", "ignore"],
    );
    run.expect_code(4);
    assert!(run.stderr.contains("2020-01-01"), "{}", run.stderr);
}

#[test]
fn an_invalid_policy_is_refused_before_scanning_with_file_line_and_field() {
    let dir = app_image_dir();
    write(
        dir.path(),
        "policy.yaml",
        "name: x\ncvss_severity_enabled: true\ncvss_severity: catastrophic\n",
    );
    let run = scan_app(dir.path(), &["--policy", "policy.yaml"]);
    run.expect_code(1);
    assert!(run.stdout.is_empty(), "no report for a refused policy");
    assert!(
        run.stderr.contains("policy.yaml:3") && run.stderr.contains("cvss_severity"),
        "{}",
        run.stderr
    );
    let check = kabuto_at(dir.path(), &["policy", "check", "policy.yaml"]);
    check.expect_code(1);
}

#[test]
fn every_template_passes_policy_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    for template in ["default", "nist-800-190", "pci-dss"] {
        let init = kabuto_at(dir.path(), &["policy", "init", "--template", template]);
        init.expect_code(0);
        let file = format!("{template}.yaml");
        write(dir.path(), &file, &init.stdout);
        kabuto_at(dir.path(), &["policy", "check", &file]).expect_code(0);
    }
}

#[test]
fn an_openvex_not_affected_statement_suppresses_the_finding() {
    let dir = app_image_dir();
    write(
        dir.path(),
        "vex.json",
        r#"{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.invalid/vex/1",
  "author": "Security Team",
  "timestamp": "2026-11-01T00:00:00Z",
  "version": 1,
  "statements": [{
    "vulnerability": {"name": "CVE-2018-18074"},
    "products": [{"@id": "pkg:pypi/requests@2.19.1"}],
    "status": "not_affected",
    "justification": "vulnerable_code_not_in_execute_path"
  }]
}"#,
    );
    let before = scan_app(dir.path(), &["--format", "json"]);
    before.expect_code(0);
    assert!(before.stdout.contains("CVE-2018-18074"));
    let after = scan_app(dir.path(), &["--format", "json", "--vex", "vex.json"]);
    after.expect_code(0);
    assert!(
        !after.stdout.contains("\"CVE-2018-18074\""),
        "{}",
        after.stdout
    );
}
