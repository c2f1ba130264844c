//! Hostile input for the secret scanner through the command line: a rule matching everywhere
//! is capped per file with a warning, and a user regex too costly to run is rejected at load
//! with a message naming the rule and the limit.

mod common;

use common::{kabuto, path_arg};

/// A directory holding `content` as `a.txt`, and a secret config with one user rule.
fn setup(content: &str, rule_regex: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("scan")).expect("mkdir");
    std::fs::write(dir.path().join("scan/a.txt"), content).expect("write");
    std::fs::write(
        dir.path().join("secret.yaml"),
        format!("rules:\n  - id: user-rule\n    regex: '{rule_regex}'\n"),
    )
    .expect("write");
    dir
}

fn scan(dir: &tempfile::TempDir) -> common::Run {
    let config = dir.path().join("secret.yaml");
    let target = dir.path().join("scan");
    kabuto(&[
        "scan",
        "fs",
        path_arg(&target),
        "--scanners",
        "secret",
        "--secret-config",
        path_arg(&config),
        "--format",
        "json",
    ])
}

#[test]
fn a_rule_matching_everywhere_is_capped_with_a_warning() {
    let dir = setup(&"a".repeat(40_100), "aaaa");
    let run = scan(&dir);
    run.expect_code(0);
    let secrets = run.json()["secrets"].as_array().map_or(0, Vec::len);
    assert_eq!(secrets, 10_000);
    for expected in [
        "secret rule has more findings in this file than the limit",
        "rule=\"user-rule\"",
        "limit=10000",
    ] {
        assert!(run.stderr.contains(expected), "{expected}: {}", run.stderr);
    }
}

#[test]
fn a_costly_user_regex_is_rejected_at_load() {
    let dir = setup("abc", "(?:[a-z]{100}){100}");
    let run = scan(&dir);
    run.expect_code(1);
    assert!(
        run.stderr.contains(
            "rule `user-rule`: `regex` regex is too complex: its counted repetitions expand to \
             10000 character positions, over the limit of 2000"
        ),
        "{}",
        run.stderr
    );
}
