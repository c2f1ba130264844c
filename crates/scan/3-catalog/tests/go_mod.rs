//! go.mod analyzer: blocks, quoted paths, `// indirect`, replace/exclude rules, toolchain.

// Test helpers outside #[test] fns: a fixture that fails to build should panic.
#![allow(clippy::unwrap_used)]

use kabuto_catalog::lang::golang::GoModAnalyzer;
use kabuto_catalog::{AnalyzeError, Analyzer, Evidence, FileInput, FileMeta};

fn analyze(content: &str) -> Result<kabuto_catalog::AnalysisOutput, AnalyzeError> {
    GoModAnalyzer.analyze(FileInput {
        path: "src/go.mod",
        content: content.as_bytes(),
    })
}

#[test]
fn wants_go_mod_and_is_declared() {
    let meta = FileMeta {
        size: 1,
        mode: 0o644,
    };
    assert!(GoModAnalyzer.wants("src/go.mod", &meta));
    assert!(!GoModAnalyzer.wants("src/go.sum", &meta));
    assert_eq!(GoModAnalyzer.evidence(), Evidence::Declared);
}

#[test]
fn requires_after_replace_and_exclude() {
    let out = analyze(include_str!("fixtures/go/go.mod")).unwrap();
    let mut found: Vec<(String, String, String)> = out
        .packages
        .into_iter()
        .map(|p| (p.name, p.version, p.purl.to_string()))
        .collect();
    found.sort();
    let want = [
        ("example.com/app", "", "pkg:golang/example.com/app"),
        (
            "github.com/a/direct",
            "v1.2.3",
            "pkg:golang/github.com/a/direct@v1.2.3",
        ),
        (
            "github.com/b/quoted",
            "v0.1.0",
            "pkg:golang/github.com/b/quoted@v0.1.0",
        ),
        (
            "github.com/e/pinned",
            "v1.0.0",
            "pkg:golang/github.com/e/pinned@v1.0.0",
        ),
        (
            "github.com/f/single",
            "v2.0.0+incompatible",
            "pkg:golang/github.com/f/single@v2.0.0%2Bincompatible",
        ),
        (
            "golang.org/x/net",
            "v0.17.0",
            "pkg:golang/golang.org/x/net@v0.17.0",
        ),
        ("stdlib", "v1.22.5", "pkg:golang/stdlib@v1.22.5"),
    ];
    assert_eq!(
        found,
        want.map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
    );
}

#[test]
fn no_toolchain_no_stdlib() {
    let out = analyze("module m\n\ngo 1.23\n\nrequire a.example/x v1.0.0\n").unwrap();
    let names: Vec<_> = out.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["m", "a.example/x"]);
}

#[test]
fn malformed_lines_name_the_line() {
    let err = analyze("module m\nrequire (\n\ta.example/x\n)\n").unwrap_err();
    assert!(
        matches!(err, AnalyzeError::Malformed { line: Some(3), .. }),
        "{err:?}"
    );
    let err = analyze("module m\nreplace a.example/x v1 b.example/y\n").unwrap_err();
    assert!(
        matches!(err, AnalyzeError::Malformed { line: Some(2), .. }),
        "{err:?}"
    );
    assert!(analyze("module m\nrequire (\n\ta.example/x v1.0.0\n").is_err());
}
