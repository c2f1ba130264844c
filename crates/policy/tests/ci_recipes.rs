//! The CI recipes in ci/ parse, call the policy gate, and map exit codes as documented.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml::Value;

fn ci() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ci")
}

fn yaml(name: &str) -> (String, Value) {
    let text = std::fs::read_to_string(ci().join(name)).unwrap();
    let value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    (text, value)
}

#[test]
fn github_workflow_scans_with_policy_and_uploads_sarif() {
    let (text, workflow) = yaml("github-actions.yml");
    let steps = workflow["jobs"]["scan"]["steps"].as_sequence().unwrap();
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(
        uses.iter()
            .any(|u| u.starts_with("github/codeql-action/upload-sarif")),
        "{uses:?}"
    );
    let runs: String = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(runs.contains("kabuto scan image") && runs.contains("--policy policy.yaml"));
    assert!(runs.contains("--format sarif --output kabuto.sarif"));
    assert!(text.contains("security-events: write"));
}

#[test]
fn gitlab_job_scans_with_policy() {
    let (_, pipeline) = yaml("gitlab-ci.yml");
    let job = &pipeline["kabuto-image-assurance"];
    let script: Vec<&str> = job["script"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(script.iter().any(|l| l.contains("--policy")), "{script:?}");
    assert!(
        script.iter().any(|l| l.starts_with("kabuto policy check")),
        "{script:?}"
    );
    assert_eq!(
        job["artifacts"]["reports"]["junit"].as_str(),
        Some("kabuto-junit.xml")
    );
}

fn bash_available() -> bool {
    Command::new("bash").arg("--version").output().is_ok()
}

#[test]
fn scan_script_is_valid_shell() {
    if !bash_available() {
        eprintln!("skipped: no bash on this machine");
        return;
    }
    let status = Command::new("bash")
        .arg("-n")
        .arg(ci().join("scan.sh"))
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn scan_script_maps_exit_codes() {
    if !bash_available() {
        eprintln!("skipped: no bash on this machine");
        return;
    }
    let dir = std::env::temp_dir().join(format!("kabuto-policy-ci-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A stand-in for kabuto: `policy check` passes, `scan` exits with $FAKE_SCAN_EXIT.
    let fake = dir.join("kabuto");
    std::fs::write(
        &fake,
        "#!/usr/bin/env bash\n[ \"$1\" = policy ] && exit 0\nexit \"$FAKE_SCAN_EXIT\"\n",
    )
    .unwrap();
    make_executable(&fake);
    for (scan_exit, want) in [(0, 0), (4, 4), (1, 1), (2, 1), (101, 1)] {
        let status = Command::new("bash")
            .arg(ci().join("scan.sh"))
            .arg("registry.example.invalid/app:1")
            .env("KABUTO", &fake)
            .env("FAKE_SCAN_EXIT", scan_exit.to_string())
            .current_dir(&dir)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            status.status.code(),
            Some(want),
            "scan exit {scan_exit}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(not(unix))]
fn make_executable(_: &Path) {}
