//! Zipped Python eggs, built in memory from the scenario folders under
//! `fixtures/python/eggs/`: `archive/` is zipped as the egg (an absent folder is an empty
//! zip), `expected.json` names the egg's path and either the packages or an error.

// Test helpers outside #[test] fns: a fixture that fails to build should panic.
#![allow(clippy::unwrap_used)]

#[path = "fixtures/java/jar_builder.rs"]
#[allow(dead_code)] // eggs need only the folder zipper, not the Maven helpers
mod jar_builder;

use std::path::Path;

use jar_builder::{jar, scenario_dirs, zip_tree};
use kabuto_catalog::lang::python::PythonEggAnalyzer;
use kabuto_catalog::{Analyzer, Evidence, FileInput, FileMeta};

fn analyze(
    path: &str,
    content: &[u8],
) -> Result<kabuto_catalog::AnalysisOutput, kabuto_catalog::AnalyzeError> {
    PythonEggAnalyzer.analyze(FileInput { path, content })
}

#[test]
fn wants_egg_files_only() {
    let meta = FileMeta {
        size: 1,
        mode: 0o644,
    };
    for path in ["usr/lib/python3/site-packages/foo-1.0-py3.8.egg", "x.EGG"] {
        assert!(PythonEggAnalyzer.wants(path, &meta), "{path}");
    }
    for path in ["x.egg-info", "x.egg/EGG-INFO/PKG-INFO", "egg", ".egg.zip"] {
        assert!(!PythonEggAnalyzer.wants(path, &meta), "{path}");
    }
    assert_eq!(PythonEggAnalyzer.evidence(), Evidence::Installed);
}

#[test]
fn egg_scenarios() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/python/eggs");
    for scenario in scenario_dirs(&root, 6) {
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(scenario.join("expected.json")).unwrap())
                .unwrap();
        let egg = zip_tree(&scenario.join("archive"));
        let path = expected["archive"].as_str().unwrap();
        let result = analyze(path, &egg);
        if let Some(needle) = expected["error"].as_str() {
            let error = result
                .expect_err(&scenario.display().to_string())
                .to_string();
            assert!(error.contains(needle), "{}: {error}", scenario.display());
            continue;
        }
        let out = result.unwrap_or_else(|e| panic!("{}: {e}", scenario.display()));
        let got: Vec<_> = out
            .packages
            .iter()
            .map(|p| {
                assert_eq!(p.locations[0].path, path);
                assert_eq!(p.found_by, "python-egg");
                (p.name.clone(), p.version.clone(), p.licenses.clone())
            })
            .collect();
        let want: Vec<_> = expected["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let licenses: Vec<String> = p["licenses"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_str().unwrap().to_owned())
                    .collect();
                (
                    p["name"].as_str().unwrap().to_owned(),
                    p["version"].as_str().unwrap().to_owned(),
                    licenses,
                )
            })
            .collect();
        assert_eq!(got, want, "{}", scenario.display());
    }
}

#[test]
fn purl_is_normalised_like_other_python_packages() {
    let egg = jar(&[(
        "EGG-INFO/PKG-INFO",
        b"Name: Zope.Interface\nVersion: 5.0\n".to_vec(),
    )]);
    let out = analyze("a/zope.interface-5.0-py3.8.egg", &egg).unwrap();
    assert_eq!(
        out.packages[0].purl.to_string(),
        "pkg:pypi/zope-interface@5.0"
    );
}

#[test]
fn not_a_zip_truncated_and_bombs_are_errors_not_panics() {
    assert!(analyze("a.egg", b"").is_err());
    assert!(analyze("a.egg", b"PK\x03\x04 not really").is_err());
    // PKG-INFO inflating to 4 MiB (limit 1 MiB) from a few KiB of zip.
    let mut pkg_info = b"Name: bomb\nVersion: 1\n\n".to_vec();
    pkg_info.resize(4 * 1024 * 1024, b' ');
    let bomb = jar(&[("EGG-INFO/PKG-INFO", pkg_info)]);
    assert!(bomb.len() < 64 * 1024);
    let error = analyze("bomb.egg", &bomb).unwrap_err().to_string();
    assert!(error.contains("size limit"), "{error}");
    let good = jar(&[("EGG-INFO/PKG-INFO", b"Name: x\nVersion: 1\n".to_vec())]);
    for len in (0..good.len()).step_by(7) {
        let _ = analyze("t.egg", &good[..len]);
    }
    for at in (0..good.len()).step_by(3) {
        let mut flipped = good.clone();
        flipped[at] ^= 0xff;
        let _ = analyze("t.egg", &flipped);
    }
}
