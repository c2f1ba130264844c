//! npm, pnpm and yarn lockfiles list packages resolved from git, a tarball URL or a project
//! directory, not only registry packages: an SBOM must be complete. Git and tarball sources
//! are in the purl (`vcs_url`, `download_url`); directories keep a plain purl. The purls are
//! golden.

use kabuto_catalog::lang::node::{PackageLockAnalyzer, PnpmLockAnalyzer, YarnLockAnalyzer};
use kabuto_catalog::{Analyzer, FileInput};

/// The purls one lockfile yields, one per line, sorted.
fn purls(analyzer: &dyn Analyzer, path: &str, content: &str) -> String {
    let out = analyzer
        .analyze(FileInput {
            path,
            content: content.as_bytes(),
        })
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(out.warnings.is_empty(), "{path}: {:?}", out.warnings);
    let mut lines: Vec<String> = out.packages.iter().map(|p| p.purl.to_string()).collect();
    lines.sort();
    lines.join("\n")
}

#[test]
fn package_lock_v1_lists_git_tarball_and_directory_dependencies() {
    insta::assert_snapshot!(purls(
        &PackageLockAnalyzer,
        "package-lock.json",
        include_str!("fixtures/node-sources/package-lock-v1.json")
    ));
}

#[test]
fn package_lock_v3_marks_git_and_tarball_sources() {
    insta::assert_snapshot!(purls(
        &PackageLockAnalyzer,
        "package-lock.json",
        include_str!("fixtures/node-sources/package-lock-v3.json")
    ));
}

#[test]
fn pnpm_lock_v9_lists_git_tarball_and_directory_packages() {
    insta::assert_snapshot!(purls(
        &PnpmLockAnalyzer,
        "pnpm-lock.yaml",
        include_str!("fixtures/node-sources/pnpm-lock-v9.yaml")
    ));
}

#[test]
fn yarn_classic_lists_git_tarball_and_directory_packages() {
    insta::assert_snapshot!(purls(
        &YarnLockAnalyzer,
        "yarn.lock",
        include_str!("fixtures/node-sources/yarn-classic.lock")
    ));
}

#[test]
fn yarn_berry_lists_git_tarball_and_directory_packages_not_workspaces_or_patches() {
    insta::assert_snapshot!(purls(
        &YarnLockAnalyzer,
        "yarn.lock",
        include_str!("fixtures/node-sources/yarn-berry.lock")
    ));
}
