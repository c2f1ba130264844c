//! Golden end-to-end reports: a two-layer image built in code (Debian dpkg status and
//! os-release, Python dist-info, npm node_modules; a whiteout removes one package) scanned
//! with a database that `kabuto db build` makes from real advisory records.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{APP_ARCHIVE, Run, app_image_dir, kabuto_at, redact, scan_app};

/// Golden stdout of a successful run, with the temp dir redacted.
#[track_caller]
fn assert_golden(name: &str, run: &Run, dir: &Path) {
    run.expect_code(0);
    assert_eq!(run.stderr, "", "no warnings expected");
    insta::assert_snapshot!(name, redact(&run.stdout, &[dir]));
}

/// Vulnerability ids in a JSON report.
fn finding_ids(run: &Run) -> BTreeSet<String> {
    let report = run.json();
    report["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities array")
        .iter()
        .map(|v| v["id"].as_str().expect("finding id").to_owned())
        .collect()
}

fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Every advisory in the fixture feeds that affects the image's packages.
const ALL_FINDINGS: &[&str] = &[
    "CVE-2018-18074", // requests 2.19.1 < 2.20.0
    "CVE-2018-25091", // urllib3 1.24.1 < 1.24.2
    "CVE-2019-11324", // urllib3 1.24.1 < 1.24.2
    "CVE-2018-3721",  // lodash 4.17.4 < 4.17.5
    "CVE-2018-16487", // lodash 4.17.4 < 4.17.11
    "NSWG-ECO-223",   // apk-parser2: no fix
];

#[test]
fn table_report() {
    let dir = app_image_dir();
    assert_golden("table", &scan_app(dir.path(), &[]), dir.path());
}

#[test]
fn table_report_with_packages_and_explanations() {
    let dir = app_image_dir();
    let run = scan_app(dir.path(), &["--list-packages", "--explain"]);
    assert_golden("table_list_packages_explain", &run, dir.path());
}

#[test]
fn json_report() {
    let dir = app_image_dir();
    let run = scan_app(dir.path(), &["--format", "json"]);
    assert_eq!(finding_ids(&run), ids(ALL_FINDINGS));
    assert_golden("json", &run, dir.path());
}

#[test]
fn sarif_report() {
    let dir = app_image_dir();
    let run = scan_app(dir.path(), &["--format", "sarif"]);
    let sarif = run.json();
    assert_eq!(sarif["version"], "2.1.0");
    let rules: BTreeSet<String> = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["id"].as_str().expect("rule id").to_owned())
        .collect();
    assert_eq!(rules, ids(ALL_FINDINGS));
    assert_golden("sarif", &run, dir.path());
}

#[test]
fn cyclonedx_report() {
    let dir = app_image_dir();
    let run = scan_app(dir.path(), &["--format", "cyclonedx"]);
    let bom = run.json();
    assert_eq!(bom["bomFormat"], "CycloneDX");
    let vulnerabilities: BTreeSet<String> = bom["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities")
        .iter()
        .map(|v| v["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(vulnerabilities, ids(ALL_FINDINGS));
    assert_golden("cyclonedx", &run, dir.path());
}

#[test]
fn junit_report() {
    let dir = app_image_dir();
    let run = scan_app(dir.path(), &["--format", "junit"]);
    assert!(run.stdout.starts_with("<?xml"), "{}", run.stdout);
    for id in ALL_FINDINGS {
        assert!(run.stdout.contains(id), "{id} missing from JUnit");
    }
    assert_golden("junit", &run, dir.path());
}

#[test]
fn html_report() {
    let dir = app_image_dir();
    let run = scan_app(dir.path(), &["--format", "html"]);
    run.expect_code(0);
    let html = &run.stdout;
    assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"));
    assert!(html.trim_end().ends_with("</html>"));
    for expected in ALL_FINDINGS.iter().chain(&[
        "requests",
        "urllib3",
        "lodash",
        "apk-parser2",
        "2.20.0",
        "4.17.11",
    ]) {
        assert!(html.contains(expected), "{expected} missing from HTML");
    }
    // Self-contained: nothing fetched from elsewhere.
    assert!(!html.contains("<script src=") && !html.contains("<link rel=\"stylesheet\" href="));
    let _ = dir;
}

#[test]
fn sbom_formats() {
    let dir = app_image_dir();
    for format in ["cyclonedx", "spdx-json", "json", "table"] {
        let run = kabuto_at(dir.path(), &["sbom", APP_ARCHIVE, "--format", format]);
        assert_golden(&format!("sbom_{format}"), &run, dir.path());
    }
}

#[test]
fn exit_code_gate() {
    let dir = app_image_dir();
    scan_app(dir.path(), &["--exit-code", "5"]).expect_code(5);
    // No finding is CRITICAL: the filter leaves nothing, the gate passes.
    let run = scan_app(
        dir.path(),
        &["--exit-code", "5", "--severity", "CRITICAL", "-f", "json"],
    );
    run.expect_code(0);
    assert_eq!(finding_ids(&run), BTreeSet::new());
    let run = scan_app(
        dir.path(),
        &["--exit-code", "5", "--severity", "HIGH,LOW", "-f", "json"],
    );
    run.expect_code(5);
    assert_eq!(finding_ids(&run), ids(&["NSWG-ECO-223", "CVE-2018-3721"]));
    // Without the vulnerability scanner there is nothing to gate on.
    kabuto_at(
        dir.path(),
        &[
            "scan",
            "image",
            APP_ARCHIVE,
            "--scanners",
            "none",
            "--exit-code",
            "5",
        ],
    )
    .expect_code(0);
}

#[test]
fn ignore_unfixed_hides_only_advisories_without_a_fix() {
    let dir = app_image_dir();
    let run = scan_app(dir.path(), &["--ignore-unfixed", "-f", "json"]);
    run.expect_code(0);
    let fixed: BTreeSet<String> = ids(ALL_FINDINGS)
        .into_iter()
        .filter(|id| id != "NSWG-ECO-223")
        .collect();
    assert_eq!(finding_ids(&run), fixed);
    // The only HIGH finding has no fix: with --ignore-unfixed the gate passes.
    scan_app(dir.path(), &["--severity", "HIGH", "--exit-code", "5"]).expect_code(5);
    scan_app(
        dir.path(),
        &["--severity", "HIGH", "--ignore-unfixed", "--exit-code", "5"],
    )
    .expect_code(0);
}

#[test]
fn report_written_to_output_file() {
    let dir = app_image_dir();
    let run = scan_app(dir.path(), &["-f", "json", "-o", "report.json"]);
    run.expect_code(0);
    assert_eq!(run.stdout, "");
    let written = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    let stdout_run = scan_app(dir.path(), &["-f", "json"]);
    assert_eq!(
        redact(&written, &[dir.path()]),
        redact(&stdout_run.stdout, &[dir.path()])
    );
}
