//! Flags every scan subcommand accepts alike, and acknowledgements in every report: each
//! test here failed before the scan engine assembled the scans (see the commit message).

mod common;

use std::path::Path;

use common::{Run, app_image_dir, kabuto_at, scan_app};

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("fixture dir");
    }
    std::fs::write(path, text).expect("write fixture");
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

/// `kabuto config --ignorefile`: a check id in the plain format ignores it everywhere; the
/// YAML `misconfigurations` section limits a rule to files by path glob, with the statement
/// shown by `--show-suppressed`; an expired rule suppresses nothing and says so; a bad id is
/// an error naming the field. `.kabutoignore.yaml` in the current directory is used unasked.
#[test]
fn config_ignore_files_suppress_checks_by_id_and_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let privileged = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    \
                      - name: c\n      image: debian:12\n      securityContext:\n        \
                      privileged: true\n";
    write(dir.path(), "agent/pod.yaml", privileged);
    write(dir.path(), "web/pod.yaml", privileged);
    let ids = |run: &Run| -> Vec<(String, String)> {
        let mut ids: Vec<(String, String)> = run.json()["misconfigurations"]
            .as_array()
            .expect("misconfigurations")
            .iter()
            .map(|m| {
                (
                    m["check_id"].as_str().unwrap_or_default().to_owned(),
                    m["path"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        ids.sort();
        ids
    };
    let all = kabuto_at(dir.path(), &["config", ".", "-f", "json"]);
    all.expect_code(0);
    let every = ids(&all);
    assert!(
        every.contains(&("KBK001".into(), "agent/pod.yaml".into())),
        "{every:?}"
    );
    assert!(
        every.contains(&("KBK001".into(), "web/pod.yaml".into())),
        "{every:?}"
    );

    // Plain: the id everywhere.
    write(
        dir.path(),
        "plain.ignore",
        "# privileged pods are reviewed by hand\nKBK001\n",
    );
    let plain = kabuto_at(
        dir.path(),
        &["config", ".", "-f", "json", "--ignorefile", "plain.ignore"],
    );
    plain.expect_code(0);
    let left = ids(&plain);
    assert!(!left.iter().any(|(id, _)| id == "KBK001"), "{left:?}");
    assert_eq!(
        left.len(),
        every.len() - 2,
        "only the two KBK001 findings go"
    );

    // YAML: one file only, with the statement.
    write(
        dir.path(),
        ".kabutoignore.yaml",
        "misconfigurations:\n  - id: KBK001\n    paths: ['agent/*']\n    statement: the agent loads eBPF\n",
    );
    let scoped = kabuto_at(
        dir.path(),
        &["config", ".", "-f", "json", "--show-suppressed"],
    );
    scoped.expect_code(0);
    let left = ids(&scoped);
    assert!(
        left.contains(&("KBK001".into(), "web/pod.yaml".into())),
        "{left:?}"
    );
    assert!(
        !left.contains(&("KBK001".into(), "agent/pod.yaml".into())),
        "{left:?}"
    );
    assert!(
        scoped
            .stderr
            .contains("suppressed: KBK001 in agent/pod.yaml:")
            && scoped
                .stderr
                .contains("ignored by .kabutoignore.yaml: the agent loads eBPF"),
        "{}",
        scoped.stderr
    );

    // Expired: nothing suppressed, and a warning names the entry.
    write(
        dir.path(),
        ".kabutoignore.yaml",
        "misconfigurations:\n  - id: KBK001\n    expired_at: 2020-01-31\n",
    );
    let expired = kabuto_at(dir.path(), &["config", ".", "-f", "json"]);
    expired.expect_code(0);
    assert_eq!(ids(&expired), every);
    assert!(
        expired
            .stderr
            .contains("the ignore entry for KBK001 expired on 2020-01-31"),
        "{}",
        expired.stderr
    );

    // A bad glob names the field; Trivy's check ids (a shared file) are no error.
    write(
        dir.path(),
        ".kabutoignore.yaml",
        "misconfigurations:\n  - id: AVD-KSV-0017\n  - id: KBK001\n    paths: ['[']\n",
    );
    let bad = kabuto_at(dir.path(), &["config", "."]);
    bad.expect_code(1);
    assert!(
        bad.stderr
            .contains(".kabutoignore.yaml: misconfigurations[1].paths[0]:"),
        "{}",
        bad.stderr
    );
}
