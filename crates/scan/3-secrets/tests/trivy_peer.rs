//! Recall against Trivy's secret scanner on the same corpus. Every file/line that one scanner
//! reports and the other does not is listed, with the reason, in `tests/corpus/TRIVY-DIFF.tsv`;
//! the test fails when that table and reality disagree. Skips when `trivy-peer` is not installed.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use kabuto_secrets::{SecretConfig, SecretScanner};

/// (file, line, kabuto rule or `-`, trivy rule or `-`)
type Row = (String, usize, String, String);

struct TrivyFinding {
    file: String,
    lines: std::ops::RangeInclusive<usize>,
    rule: String,
}

fn run_trivy(dir: &std::path::Path) -> Option<Vec<TrivyFinding>> {
    let cache = tempfile::tempdir().expect("cache dir");
    let output = Command::new("trivy-peer")
        .args([
            "fs",
            "--quiet",
            "--scanners",
            "secret",
            "--format",
            "json",
            "--cache-dir",
        ])
        .arg(cache.path())
        .arg(dir)
        .output()
        .ok()?;
    assert!(
        output.status.success(),
        "trivy-peer failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("trivy json");
    let mut findings = Vec::new();
    for result in report["Results"].as_array().into_iter().flatten() {
        let file = result["Target"].as_str().unwrap_or_default().to_string();
        for secret in result["Secrets"].as_array().into_iter().flatten() {
            let start = secret["StartLine"].as_u64().unwrap_or(0) as usize;
            let end = secret["EndLine"].as_u64().unwrap_or(start as u64) as usize;
            let rule = secret["RuleID"].as_str().unwrap_or_default().to_string();
            findings.push(TrivyFinding {
                file: file.clone(),
                lines: start..=end,
                rule,
            });
        }
    }
    Some(findings)
}

#[test]
fn differences_with_trivy_are_all_explained() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_corpus(dir.path());
    let Some(trivy) = run_trivy(dir.path()) else {
        println!("skipped: trivy-peer is not installed");
        return;
    };
    let scanner = SecretScanner::new(SecretConfig::default()).expect("built-in");
    let ours: Vec<_> = common::corpus_files()
        .into_iter()
        .flat_map(|(rel, content)| scanner.scan(&rel, content.as_bytes()))
        .collect();

    let mut rows: BTreeSet<Row> = BTreeSet::new();
    let mut agreed = 0;
    for finding in &ours {
        let same = trivy
            .iter()
            .any(|t| t.file == finding.path && t.lines.contains(&finding.line));
        if same {
            agreed += 1;
        } else {
            rows.insert((
                finding.path.clone(),
                finding.line,
                finding.rule_id.to_string(),
                "-".into(),
            ));
        }
    }
    for t in &trivy {
        if !ours
            .iter()
            .any(|f| f.path == t.file && t.lines.contains(&f.line))
        {
            rows.insert((t.file.clone(), *t.lines.start(), "-".into(), t.rule.clone()));
        }
    }
    println!(
        "kabuto findings: {}, trivy findings: {}, kabuto findings trivy also reports: {agreed}",
        ours.len(),
        trivy.len()
    );

    let table = std::fs::read_to_string(common::corpus_dir().join("TRIVY-DIFF.tsv"))
        .expect("TRIVY-DIFF.tsv");
    let mut expected: BTreeSet<Row> = BTreeSet::new();
    for (n, line) in table
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(
            cols.len() == 5 && !cols[4].trim().is_empty(),
            "TRIVY-DIFF.tsv line {}: need 5 columns and a reason",
            n + 1
        );
        expected.insert((
            cols[0].into(),
            cols[1].parse().expect("line number"),
            cols[2].into(),
            cols[3].into(),
        ));
    }
    let actual_text: Vec<String> = rows
        .iter()
        .map(|(f, l, k, t)| format!("{f}\t{l}\t{k}\t{t}"))
        .collect();
    assert_eq!(
        expected,
        rows,
        "actual differences:\n{}",
        actual_text.join("\n")
    );
}
