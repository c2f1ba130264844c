//! .NET analyzers: deps.json (installed), packages.lock.json and packages.config (build
//! records, read in images as Trivy reads them).

// Test helpers outside #[test] fns: a fixture that fails to build should panic.
#![allow(clippy::unwrap_used)]

use kabuto_catalog::lang::dotnet::{
    DepsJsonAnalyzer, PackagesConfigAnalyzer, PackagesLockAnalyzer,
};
use kabuto_catalog::{AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput, FileMeta};

fn run(analyzer: &dyn Analyzer, path: &str, content: &str) -> Result<AnalysisOutput, AnalyzeError> {
    let meta = FileMeta {
        size: content.len() as u64,
        mode: 0o644,
    };
    assert!(
        analyzer.wants(path, &meta),
        "{} should want {path}",
        analyzer.name()
    );
    analyzer.analyze(FileInput {
        path,
        content: content.as_bytes(),
    })
}

fn sorted(out: &AnalysisOutput) -> Vec<(String, String, bool)> {
    let mut v: Vec<_> = out
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone(), p.dev))
        .collect();
    v.sort();
    v
}

fn want(list: &[(&str, &str, bool)]) -> Vec<(String, String, bool)> {
    list.iter()
        .map(|(n, v, d)| (n.to_string(), v.to_string(), *d))
        .collect()
}

#[test]
fn deps_json_reports_shipped_packages_and_runtime_packs() {
    let out = run(
        &DepsJsonAnalyzer,
        "app/App.deps.json",
        include_str!("fixtures/dotnet/app.deps.json"),
    )
    .unwrap();
    assert_eq!(DepsJsonAnalyzer.evidence(), Evidence::Installed);
    assert_eq!(
        sorted(&out),
        want(&[
            ("Microsoft.NETCore.App.Runtime.linux-x64", "8.0.0", false),
            ("Newtonsoft.Json", "13.0.1", false),
            ("SQLitePCLRaw.lib.e_sqlite3", "2.1.6", false),
        ])
    );
    assert_eq!(out.packages[0].purl.ty(), "nuget");
}

#[test]
fn deps_json_without_the_runtime_target_keeps_every_package() {
    let text = r#"{"runtimeTarget":{"name":"missing"},"targets":{},"libraries":{
        "A/1.0.0":{"type":"package"},"B/2.0.0":{"type":"package"},"bad-key":{"type":"package"}}}"#;
    let out = run(&DepsJsonAnalyzer, "x.deps.json", text).unwrap();
    assert_eq!(
        sorted(&out),
        want(&[("A", "1.0.0", false), ("B", "2.0.0", false)])
    );
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    let err = run(&DepsJsonAnalyzer, "x.deps.json", "{\n\"libraries\": {\n").unwrap_err();
    assert!(
        matches!(err, AnalyzeError::Malformed { line: Some(3), .. }),
        "{err:?}"
    );
}

#[test]
fn packages_lock_merges_frameworks_and_skips_projects() {
    let out = run(
        &PackagesLockAnalyzer,
        "src/packages.lock.json",
        include_str!("fixtures/dotnet/packages.lock.json"),
    )
    .unwrap();
    assert_eq!(PackagesLockAnalyzer.evidence(), Evidence::BuildRecord);
    assert_eq!(
        sorted(&out),
        want(&[
            ("Newtonsoft.Json", "13.0.3", false),
            ("System.Text.Json", "6.0.0", false),
            ("System.Text.Json", "8.0.4", false),
        ])
    );
}

#[test]
fn packages_config_marks_development_dependencies() {
    let text = r#"<?xml version="1.0" encoding="utf-8"?>
<packages>
  <package id="Microsoft.Net.Compilers" version="1.0.0" targetFramework="net46" developmentDependency="true" />
  <package version='8.0.3' id='Newtonsoft.Json' allowedVersions="[8,10)"/>
  <package id="NoVersion" />
</packages>"#;
    let out = run(&PackagesConfigAnalyzer, "proj/packages.config", text).unwrap();
    assert_eq!(
        sorted(&out),
        want(&[
            ("Microsoft.Net.Compilers", "1.0.0", true),
            ("Newtonsoft.Json", "8.0.3", false)
        ])
    );
    assert_eq!(out.warnings, ["line 5: <package> without id or version"]);
    assert!(
        run(
            &PackagesConfigAnalyzer,
            "packages.config",
            "<packages>\n<package id=\"a\" version=\"1\"/>\n"
        )
        .is_err()
    );
}

#[test]
fn packages_config_reads_xml_not_text_that_looks_like_it() {
    let text = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<packages>\n  <!-- <package id=\"Commented\" version=\"1.0.0\" /> -->\n  <package id=\"Amp&amp;Co\" version=\"2.0.0\"></package>\n  <metadata><package id=\"Nested\" version=\"3.0.0\" /></metadata>\n</packages>\n";
    let out = run(&PackagesConfigAnalyzer, "packages.config", text).unwrap();
    assert_eq!(sorted(&out), want(&[("Amp&Co", "2.0.0", false)]));
    assert_eq!(PackagesConfigAnalyzer.evidence(), Evidence::BuildRecord);
}

#[test]
fn packages_config_errors_name_the_line() {
    let err = run(
        &PackagesConfigAnalyzer,
        "packages.config",
        "<packages>\n<package id=\"a\" version=\"1\"/>\n</pack>\n",
    )
    .unwrap_err();
    assert!(
        matches!(err, AnalyzeError::Malformed { line: Some(3), .. }),
        "{err:?}"
    );
    let err = run(
        &PackagesConfigAnalyzer,
        "packages.config",
        "<configuration/>",
    )
    .unwrap_err();
    assert_eq!(
        err,
        AnalyzeError::malformed("the root element is not <packages>")
    );
}

/// 300,000 entries (a 25 MB file) used to take over 90 s: each entry's line number was
/// counted from the start of the file. Lines are now counted once, as the reader advances,
/// so this completes in a debug build; every entry is read, and the warning for the
/// entry on the last line still names that line.
#[test]
fn packages_config_with_300k_entries_is_read_in_one_pass() {
    const ENTRIES: usize = 300_000;
    let mut text = String::from("<packages>\n");
    for i in 0..ENTRIES {
        text.push_str(&format!(
            "  <package id=\"Package.{i}\" version=\"1.0.{i}\" targetFramework=\"net48\" />\n"
        ));
    }
    text.push_str("  <package id=\"NoVersion\" />\n</packages>\n");
    let out = run(&PackagesConfigAnalyzer, "packages.config", &text).unwrap();
    assert_eq!(out.packages.len(), ENTRIES);
    assert_eq!(
        out.warnings,
        [format!(
            "line {}: <package> without id or version",
            ENTRIES + 2
        )]
    );
}
