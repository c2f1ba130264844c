//! Golden findings for every scenario under `tests/fixtures/` (one folder per scenario).

use std::path::{Path, PathBuf};

use kabuto_types::MisconfigFinding;
use serde::Serialize;

/// The parts of a finding a reviewer checks; the documentation fields come from the registry.
#[derive(Debug, Serialize)]
struct Golden<'a> {
    check: &'a str,
    severity: String,
    path: &'a str,
    lines: Option<(usize, usize)>,
    resource: Option<&'a str>,
    message: &'a str,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Scans every file of a scenario folder, in name order, with paths relative to it.
fn scan_scenario(name: &str) -> Vec<MisconfigFinding> {
    let dir = fixtures().join(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("dir entry").path())
        .collect();
    files.sort();
    let mut findings = Vec::new();
    for file in files {
        let relative = Path::new(file.file_name().expect("file name"));
        let content = std::fs::read(&file).expect("readable fixture");
        if let Some(result) = kabuto_misconfig::scan_file(relative, &content) {
            findings.extend(result.unwrap_or_else(|e| panic!("{e}")));
        }
    }
    findings
}

fn golden(findings: &[MisconfigFinding]) -> Vec<Golden<'_>> {
    findings
        .iter()
        .map(|f| Golden {
            check: f.check_id.as_str(),
            severity: f.severity.to_string(),
            path: &f.path,
            lines: f.lines.map(|l| (l.start, l.end)),
            resource: f.resource.as_deref(),
            message: &f.message,
        })
        .collect()
}

#[test]
fn hardened_manifests_have_no_findings() {
    let findings = scan_scenario("hardened");
    assert!(findings.is_empty(), "{:#?}", golden(&findings));
}

macro_rules! scenario {
    ($test:ident, $dir:literal) => {
        #[test]
        fn $test() {
            let findings = scan_scenario($dir);
            assert!(
                !findings.is_empty(),
                "scenario {} should have findings",
                $dir
            );
            insta::assert_json_snapshot!($dir, golden(&findings));
        }
    };
}

scenario!(bad, "bad");
scenario!(helm_rendered, "helm-rendered");
scenario!(cronjob, "cronjob");
scenario!(list, "list");
scenario!(merge_keys, "merge-keys");
scenario!(multistage, "multistage");
scenario!(peer_basic, "peer-basic");

#[test]
fn findings_carry_registry_documentation() {
    for finding in scan_scenario("bad") {
        let check = kabuto_misconfig::registry::check(finding.check_id.as_str())
            .unwrap_or_else(|| panic!("{} is not in the registry", finding.check_id));
        assert_eq!(finding.title, check.title);
        assert_eq!(finding.severity, check.severity);
        assert!(finding.lines.is_some(), "{} has no lines", finding.check_id);
    }
}
