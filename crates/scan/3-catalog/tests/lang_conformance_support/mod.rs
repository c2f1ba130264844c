//! Shared runner for the per-ecosystem peer conformance tests (`lang_conformance_*.rs`).
//!
//! Runs the lang analyzers over the peer cases in `/work/shared/conformance/peer-fixtures`
//! (or `$KABUTO_PEER_FIXTURES`) and compares with the peer's expected packages as sets keyed
//! on (name, version); licences (Trivy cases) and the dev flag are compared where the peer
//! asserted them. Every disagreement must be listed as a known difference with its reason,
//! and a listed difference that starts agreeing fails the test so the table stays true.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kabuto_catalog::{Analyzer, FileInput, FileMeta};
use serde_json::Value;

/// Which analyzer reads a case's inputs.
pub struct Route {
    /// Case directory prefix, e.g. `trivy/python-pip/`.
    pub prefix: &'static str,
    /// A parser-level peer test feeds files under arbitrary names: force this analyzer.
    /// `None`: every lang analyzer whose `wants()` accepts the file's path reads it.
    pub analyzer: Option<&'static str>,
}

/// A case we do not run or do not agree with, and why.
pub struct Exception {
    pub dir: &'static str,
    pub reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Found {
    name: String,
    version: String,
    /// `None` when the peer did not assert licences.
    licenses: Option<BTreeSet<String>>,
    dev: Option<bool>,
}

fn corpus_root() -> Option<PathBuf> {
    let root = std::env::var_os("KABUTO_PEER_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/conformance/peer-fixtures"));
    root.join("INDEX.json").is_file().then_some(root)
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

fn normalize(name: &str, pypi: bool) -> String {
    if pypi {
        // PEP 503: runs of `-`, `_`, `.` are one `-`, case-insensitive.
        let mut out = String::new();
        for part in name.split(['-', '_', '.']).filter(|p| !p.is_empty()) {
            if !out.is_empty() {
                out.push('-');
            }
            out.push_str(&part.to_ascii_lowercase());
        }
        out
    } else {
        name.to_owned()
    }
}

/// The peer's expected packages: a plain list (parser tests, Syft) or a Trivy analyzer
/// result with `applications` / `packageInfos`.
fn expected_packages(expected: &Value) -> Vec<&Value> {
    match expected {
        Value::Array(list) => list.iter().collect(),
        Value::Object(map) => ["applications", "packageInfos"]
            .iter()
            .filter_map(|k| map.get(*k)?.as_array())
            .flatten()
            .filter_map(|app| app.get("packages")?.as_array())
            .flatten()
            .collect(),
        _ => Vec::new(),
    }
}

fn expected_set(expected: &Value, trivy: bool, pypi: bool) -> BTreeSet<Found> {
    expected_packages(expected)
        .into_iter()
        .filter_map(|p| {
            let name = p.get("name")?.as_str()?;
            let version = p.get("version").and_then(Value::as_str).unwrap_or_default();
            let licenses = p
                .get("licenses")
                .and_then(Value::as_array)
                .filter(|l| trivy && !l.is_empty())
                .map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                });
            Some(Found {
                name: normalize(name, pypi),
                version: version.to_owned(),
                licenses,
                dev: p.get("dev").and_then(Value::as_bool),
            })
        })
        .collect()
}

enum Outcome {
    Agree,
    Disagree(String),
}

fn run_case(
    root: &Path,
    dir: &str,
    forced: Option<&dyn Analyzer>,
    all: &[Box<dyn Analyzer>],
    row: &Value,
) -> Outcome {
    let case = root.join(dir);
    let expected: Value = match std::fs::read(case.join("expected.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
    {
        Some(v) => v,
        None => return Outcome::Disagree("expected.json unreadable".into()),
    };
    let trivy = dir.starts_with("trivy/");
    let pypi = dir.contains("python");
    let want = expected_set(&expected, trivy, pypi);
    let mut inputs = Vec::new();
    files_under(&case.join("input"), &mut inputs);
    inputs.sort();
    let mut got = Vec::new();
    let mut errors = Vec::new();
    for path in &inputs {
        let rel = path
            .strip_prefix(case.join("input"))
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let Ok(content) = std::fs::read(path) else {
            continue;
        };
        let meta = FileMeta {
            size: content.len() as u64,
            mode: 0o644,
        };
        let chosen: Vec<&dyn Analyzer> = match forced {
            Some(a) => vec![a],
            None => all
                .iter()
                .map(|a| a.as_ref())
                .filter(|a| a.wants(&rel, &meta))
                .collect(),
        };
        for analyzer in chosen {
            match analyzer.analyze(FileInput {
                path: &rel,
                content: &content,
            }) {
                Ok(out) => got.extend(out.packages),
                Err(e) => errors.push(format!("{rel}: {e}")),
            }
        }
    }
    if row.get("expect_error").and_then(Value::as_bool) == Some(true) {
        return if !errors.is_empty() || got.is_empty() {
            Outcome::Agree
        } else {
            Outcome::Disagree(format!("peer fails, we found {} packages", got.len()))
        };
    }
    // The pipeline turns an analyzer error into a warning and carries on: that agrees
    // with a peer that logs a broken file and reports nothing.
    let peer_and_we_found_nothing = want.is_empty() && got.is_empty();
    if !errors.is_empty() && !peer_and_we_found_nothing {
        return Outcome::Disagree(format!("errors: {errors:?}"));
    }
    // Assert only what the peer asserted for each expected package.
    let got: BTreeSet<Found> = got
        .into_iter()
        .map(|p| {
            let key = (normalize(&p.name, pypi), p.version.clone());
            let peer = want
                .iter()
                .find(|w| (w.name.clone(), w.version.clone()) == key);
            Found {
                name: key.0,
                version: key.1,
                licenses: peer
                    .and_then(|w| w.licenses.as_ref())
                    .map(|_| p.licenses.iter().cloned().collect()),
                dev: peer.and_then(|w| w.dev).map(|_| p.dev),
            }
        })
        .collect();
    if got == want {
        Outcome::Agree
    } else {
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        Outcome::Disagree(format!("missing {missing:?}; extra {extra:?}"))
    }
}

/// Runs every case under `routes`, prints the pass rate and asserts it is at least
/// `floor`, that every disagreement is a listed known difference and vice versa.
pub fn run(
    ecosystem: &str,
    routes: &[Route],
    skipped: &[Exception],
    known: &[Exception],
    floor: f64,
) {
    let Some(root) = corpus_root() else {
        println!(
            "{ecosystem}: peer fixtures not found (/work/shared absent); skipping conformance"
        );
        return;
    };
    let index: Value =
        serde_json::from_slice(&std::fs::read(root.join("INDEX.json")).expect("read INDEX.json"))
            .expect("parse INDEX.json");
    let all = kabuto_catalog::lang::analyzers();
    let (mut agreed, mut total) = (0usize, 0usize);
    let mut unexpected = Vec::new();
    for row in index.as_array().expect("INDEX.json is a list") {
        let Some(dir) = row.get("dir").and_then(Value::as_str) else {
            continue;
        };
        let Some(route) = routes.iter().find(|r| dir.starts_with(r.prefix)) else {
            continue;
        };
        if let Some(skip) = skipped.iter().find(|s| s.dir == dir) {
            println!("skip {dir}: {}", skip.reason);
            continue;
        }
        let forced = route.analyzer.map(|name| {
            all.iter()
                .find(|a| a.name() == name)
                .unwrap_or_else(|| panic!("no analyzer named {name}"))
                .as_ref()
        });
        total += 1;
        let known_diff = known.iter().find(|k| k.dir == dir);
        match (run_case(&root, dir, forced, &all, row), known_diff) {
            (Outcome::Agree, None) => agreed += 1,
            (Outcome::Agree, Some(_)) => {
                agreed += 1;
                unexpected.push(format!(
                    "{dir}: listed as a known difference but now agrees"
                ));
            }
            (Outcome::Disagree(why), Some(k)) => {
                println!("known difference {dir}: {} ({why})", k.reason);
            }
            (Outcome::Disagree(why), None) => unexpected.push(format!("{dir}: {why}")),
        }
    }
    for k in known.iter().chain(skipped) {
        assert!(
            index.as_array().is_some_and(|rows| rows
                .iter()
                .any(|r| r.get("dir").and_then(Value::as_str) == Some(k.dir))),
            "table names a case that does not exist: {}",
            k.dir
        );
    }
    let rate = if total == 0 {
        0.0
    } else {
        agreed as f64 / total as f64
    };
    println!(
        "{ecosystem}: {agreed}/{total} peer cases agree ({:.1}%)",
        rate * 100.0
    );
    assert!(
        unexpected.is_empty(),
        "unexplained results:\n{}",
        unexpected.join("\n")
    );
    assert!(
        rate >= floor,
        "{ecosystem} pass rate {rate:.3} below floor {floor}"
    );
}
