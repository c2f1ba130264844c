//! Cargo.lock analyzer on lockfiles of format v1 (no version key, `[metadata]` checksums)
//! and v4, plus broken and future-format files.

// Test helpers outside #[test] fns: a fixture that fails to build should panic.
#![allow(clippy::unwrap_used)]

use kabuto_catalog::lang::rust::CargoLockAnalyzer;
use kabuto_catalog::{AnalyzeError, Analyzer, Evidence, FileInput, FileMeta};

fn analyze(content: &str) -> Result<kabuto_catalog::AnalysisOutput, AnalyzeError> {
    CargoLockAnalyzer.analyze(FileInput {
        path: "src/app/Cargo.lock",
        content: content.as_bytes(),
    })
}

fn pairs(content: &str) -> Vec<(String, String)> {
    let out = analyze(content).unwrap();
    assert!(
        out.packages
            .iter()
            .all(|p| p.purl.ty() == "cargo" && p.found_by == "cargo-lock")
    );
    out.packages
        .into_iter()
        .map(|p| (p.name, p.version))
        .collect()
}

#[test]
fn wants_only_cargo_lock_and_counts_in_images() {
    let meta = FileMeta {
        size: 1,
        mode: 0o644,
    };
    assert!(CargoLockAnalyzer.wants("Cargo.lock", &meta));
    assert!(CargoLockAnalyzer.wants("a/b/Cargo.lock", &meta));
    assert!(!CargoLockAnalyzer.wants("a/Cargo.toml", &meta));
    assert!(!CargoLockAnalyzer.wants("a/cargo.lock.bak", &meta));
    assert_eq!(CargoLockAnalyzer.evidence(), Evidence::BuildRecord);
    assert!(CargoLockAnalyzer.evidence().counts_in_images());
}

#[test]
fn v1_and_v4_lockfiles() {
    assert_eq!(
        pairs(include_str!("fixtures/rust/Cargo-v1.lock")),
        [("app", "0.1.0"), ("libc", "0.2.54")].map(|(n, v)| (n.to_owned(), v.to_owned()))
    );
    assert_eq!(
        pairs(include_str!("fixtures/rust/Cargo-v4.lock")),
        [
            ("app", "0.1.0"),
            ("fork", "0.3.0"),
            ("memchr", "1.0.2"),
            ("memchr", "2.7.4")
        ]
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
    );
}

#[test]
fn future_version_warns_and_broken_toml_names_the_line() {
    let out = analyze("version = 9\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n").unwrap();
    assert_eq!(out.packages.len(), 1);
    assert!(out.warnings[0].contains("version 9"), "{:?}", out.warnings);
    let err = analyze("[[package]]\nname = \"a\"\nversion = \n").unwrap_err();
    assert!(
        matches!(err, AnalyzeError::Malformed { line: Some(3), .. }),
        "{err:?}"
    );
    let err = analyze("[[package]]\nname = \"a\"\n").unwrap_err();
    assert!(err.to_string().contains("version"), "{err}");
}
