//! Flags every scan subcommand accepts alike, and acknowledgements in every report: each
//! test here failed before the scan engine assembled the scans (see the commit message).

mod common;

use std::path::Path;

use common::{app_image_dir, kabuto_at, scan_app};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write fixture");
}

const ACKS: &str = "acknowledgements:
  - {id: CVE-2018-18074, by: alice, reason: behind an egress proxy, expires: 2999-12-31}
";

/// The CycloneDX `vulnerabilities` entry of `id`.
fn cyclonedx_entry(report: &serde_json::Value, id: &str) -> serde_json::Value {
    report["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities")
        .iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {report:#}"))
        .clone()
}

#[test]
fn acknowledgements_reach_the_cyclonedx_analysis() {
    let dir = app_image_dir();
    write(dir.path(), "acks.yaml", ACKS);
    write(
        dir.path(),
        "policy.yaml",
        "name: no-criticals\ncvss_severity_enabled: true\ncvss_severity: critical\n\
         fail_cicd: false\naudit_on_failure: true\n",
    );
    let run = scan_app(
        dir.path(),
        &[
            "--policy",
            "policy.yaml",
            "--acknowledgements",
            "acks.yaml",
            "--format",
            "cyclonedx",
        ],
    );
    run.expect_code(0);
    let entry = cyclonedx_entry(&run.json(), "CVE-2018-18074");
    assert_eq!(
        entry["analysis"]["response"][0], "will_not_fix",
        "{entry:#}"
    );
    let detail = entry["analysis"]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("behind an egress proxy") && detail.contains("alice"),
        "{entry:#}"
    );
    // Findings no acknowledgement covers carry no analysis.
    assert!(cyclonedx_entry(&run.json(), "CVE-2018-3721")["analysis"].is_null());
}

#[test]
fn acknowledgements_mark_findings_without_a_policy() {
    let dir = app_image_dir();
    write(dir.path(), "acks.yaml", ACKS);
    let run = scan_app(
        dir.path(),
        &["--acknowledgements", "acks.yaml", "--format", "json"],
    );
    run.expect_code(0);
    let report = run.json();
    let marked: Vec<&str> = report["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities")
        .iter()
        .filter(|v| !v["acknowledgement"].is_null())
        .map(|v| v["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(marked, ["CVE-2018-18074"], "{report:#}");
}

#[test]
fn config_filters_by_severity_and_gates_on_what_remains() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Dockerfile",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n",
    );
    let all = kabuto_at(dir.path(), &["config", "Dockerfile", "-f", "json"]);
    all.expect_code(0);
    let severities: Vec<String> = all.json()["misconfigurations"]
        .as_array()
        .expect("misconfigurations")
        .iter()
        .map(|m| {
            m["severity"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_uppercase()
        })
        .collect();
    assert!(!severities.is_empty(), "{}", all.stdout);
    let present = &severities[0];
    kabuto_at(
        dir.path(),
        &[
            "config",
            "Dockerfile",
            "--severity",
            present,
            "--exit-code",
            "3",
        ],
    )
    .expect_code(3);
    let absent = ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
        .into_iter()
        .find(|s| !severities.iter().any(|p| p == s))
        .expect("a severity no check reported");
    kabuto_at(
        dir.path(),
        &[
            "config",
            "Dockerfile",
            "--severity",
            absent,
            "--exit-code",
            "3",
        ],
    )
    .expect_code(0);
}
