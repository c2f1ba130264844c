//! On the real debian-app fixture image, Kabuto's secret scan finds what Trivy's does, including
//! the AWS credentials file that a later layer deletes (it is still in the image's bytes).
//! Skips with a note when the fixture image or `trivy-peer` is missing.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

fn run_json(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

#[test]
fn secrets_match_trivy_on_debian_app() {
    let Some(home) = std::env::var_os("HOME") else {
        return;
    };
    let image = PathBuf::from(home).join(".cache/kabuto-fixtures/out/docker/debian-app.tar");
    if !image.exists()
        || Command::new("trivy-peer")
            .arg("--version")
            .output()
            .is_err()
    {
        eprintln!("SKIP: needs {} and trivy-peer", image.display());
        return;
    }
    let ours = run_json(
        Command::new(env!("CARGO_BIN_EXE_kabuto"))
            .args([
                "scan",
                "image",
                "--quiet",
                "--scanners",
                "secret",
                "--format",
                "json",
            ])
            .arg(&image),
    );
    let ours: BTreeSet<(String, String, u64)> = ours["secrets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["rule_id"].as_str().unwrap_or_default().to_owned(),
                format!("/{}", s["path"].as_str().unwrap_or_default()),
                s["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    let theirs = run_json(
        Command::new("trivy-peer")
            .args([
                "image",
                "--quiet",
                "--cache-backend",
                "memory",
                "--scanners",
                "secret",
            ])
            .args(["--format", "json", "--input"])
            .arg(&image),
    );
    let theirs: BTreeSet<(String, String, u64)> = theirs["Results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| {
            let target = r["Target"].as_str().unwrap_or_default().to_owned();
            r["Secrets"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |s| {
                    (
                        s["RuleID"].as_str().unwrap_or_default().to_owned(),
                        target.clone(),
                        s["StartLine"].as_u64().unwrap_or_default(),
                    )
                })
        })
        .collect();
    assert!(
        !theirs.is_empty(),
        "trivy found nothing: the fixture changed?"
    );
    let missing: Vec<_> = theirs.difference(&ours).collect();
    assert!(
        missing.is_empty(),
        "Trivy finds {missing:?} that Kabuto misses; Kabuto: {ours:?}"
    );
    assert!(
        ours.iter()
            .any(|(_, path, _)| path == "/root/.aws/credentials"),
        "the credentials file deleted by layer 4 is still reported"
    );
}
