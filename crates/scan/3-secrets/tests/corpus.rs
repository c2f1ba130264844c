//! The fixture corpus: one fixture per built-in rule (snapshotted), negatives that must stay
//! silent, allowed paths, and realistic files.

mod common;

use std::collections::BTreeSet;

use kabuto_secrets::{SecretConfig, SecretScanner, builtin_rules};
use kabuto_types::SecretFinding;

fn scanner() -> SecretScanner {
    SecretScanner::new(SecretConfig::default()).expect("built-in rules compile")
}

fn files_under(dir: &str) -> Vec<(String, String)> {
    common::corpus_files()
        .into_iter()
        .filter(|(rel, _)| rel.starts_with(dir))
        .collect()
}

#[test]
fn every_rule_has_a_fixture_that_fires_it() {
    let scanner = scanner();
    let fixtures = files_under("rules/");
    let fixture_ids: BTreeSet<String> = fixtures
        .iter()
        .map(|(rel, _)| {
            rel["rules/".len()..]
                .split('.')
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let rule_ids: BTreeSet<String> = builtin_rules().into_iter().map(|r| r.id).collect();
    assert_eq!(
        fixture_ids, rule_ids,
        "rules/ must hold exactly one fixture per built-in rule"
    );

    for (rel, content) in &fixtures {
        let id = rel["rules/".len()..].split('.').next().unwrap_or_default();
        let findings = scanner.scan(rel, content.as_bytes());
        assert!(
            findings.iter().any(|f| f.rule_id.as_str() == id),
            "{rel}: rule {id} did not fire; findings: {findings:#?}"
        );
        insta::assert_yaml_snapshot!(format!("rule__{id}"), findings);
    }
}

#[test]
fn negatives_stay_silent() {
    let scanner = scanner();
    let negatives = files_under("negatives/");
    assert!(negatives.len() >= 8);
    for (rel, content) in negatives {
        let findings = scanner.scan(&rel, content.as_bytes());
        assert!(
            findings.is_empty(),
            "{rel}: unexpected findings {findings:#?}"
        );
    }
}

#[test]
fn allowed_paths_are_skipped_unless_allow_rules_are_disabled() {
    let scanner = scanner();
    let allowed = files_under("allowed/");
    assert_eq!(allowed.len(), 3);
    let strict = SecretScanner::new(SecretConfig {
        disable_allow_rules: vec![
            "testdata".into(),
            "go-test-files".into(),
            "usr-share-doc".into(),
        ],
        ..SecretConfig::default()
    })
    .expect("config");
    for (rel, content) in allowed {
        // Paths as an image walk gives them: relative to the root.
        let path = rel.trim_start_matches("allowed/");
        assert!(
            !scanner.wants(path, content.len() as u64),
            "{path} should be skipped"
        );
        assert!(scanner.scan(path, content.as_bytes()).is_empty(), "{path}");
        let found = strict.scan(path, content.as_bytes());
        assert_eq!(found.len(), 1, "{path}: {found:#?}");
        assert_eq!(found[0].rule_id.as_str(), "github-pat");
    }
}

#[test]
fn realistic_files() {
    let scanner = scanner();
    let findings: Vec<SecretFinding> = files_under("realistic/")
        .iter()
        .flat_map(|(rel, content)| scanner.scan(rel, content.as_bytes()))
        .collect();
    let summary: Vec<String> = findings
        .iter()
        .map(|f| format!("{}:{}:{} {}", f.path, f.line, f.column, f.rule_id))
        .collect();
    insta::assert_yaml_snapshot!("realistic_summary", summary);
    insta::assert_yaml_snapshot!("realistic_findings", findings);
}

/// Running regexes only on keyword lines must find exactly what whole-file runs find.
#[test]
fn windowed_search_agrees_with_whole_file_search() {
    let scanner = scanner();
    let mut all = String::new();
    for (rel, content) in common::corpus_files() {
        assert_eq!(
            scanner.scan(&rel, content.as_bytes()),
            scanner.scan_unwindowed(&rel, content.as_bytes()),
            "{rel}"
        );
        all.push_str(&content);
    }
    // And on everything at once, as one big config file.
    let combined = scanner.scan("all.yaml", all.as_bytes());
    assert_eq!(
        combined,
        scanner.scan_unwindowed("all.yaml", all.as_bytes())
    );
    assert!(combined.len() > 80);
}

/// No secret reaches a finding: the redacted forms never contain a planted token.
#[test]
fn findings_never_contain_the_secret() {
    let scanner = scanner();
    for (rel, content) in files_under("rules/")
        .into_iter()
        .chain(files_under("realistic/"))
    {
        for finding in scanner.scan(&rel, content.as_bytes()) {
            let line = content.lines().nth(finding.line - 1).unwrap_or_default();
            let secret_start = finding.column - 1;
            let tail = &line[secret_start.min(line.len())..];
            let visible: String = tail
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if visible.len() >= 12 {
                assert!(
                    !finding.redacted_line.contains(&visible),
                    "{rel}: {finding:#?}"
                );
                assert!(
                    !finding.redacted_match.contains(&visible[4..]),
                    "{rel}: {finding:#?}"
                );
            }
        }
    }
}
