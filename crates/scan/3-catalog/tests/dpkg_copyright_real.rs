//! Real inputs. First, the copyright files of the real debootstrapped Debian 12 root
//! filesystem `debian-app`, compared with the licences Trivy 0.59.1 reported for its 128
//! packages (`tests/fixtures/os/trivy-real/debian-app.json`; `trivy image` on the same
//! image gives the same licences). Second, every `usr/share/doc/<package>/copyright` of the
//! machine running the tests (a Debian-family system has hundreds, DEP-5 and free text
//! mixed). Reading them must never fail, and most packages must get a licence. The rest
//! quote licence text without naming it (X.Org's MIT-style notices, Python's PSF text):
//! Trivy finds nothing there either unless its full-text classifier is switched on. This
//! machine: 689 of 808. Both tests skip with a note when their inputs are absent.

use std::collections::BTreeMap;
use std::path::Path;

use kabuto_catalog::os::dpkg_copyright::DpkgCopyrightAnalyzer;
use kabuto_catalog::{Analyzer, FileInput, FileMeta};
use serde_json::Value;

const DOC: &str = "/usr/share/doc";
const DEBIAN_APP: &str = "/root/.cache/kabuto-fixtures/out/rootfs/debian-app";

/// Packages whose licences we knowingly report differently from Trivy, and why.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "libpython3.11-minimal",
        "License: lines holding licence prose (`Permission to use, copy, ...`): Trivy reports \
         each line as a `text://` licence, we report no licence for them.",
    ),
    ("python3.11", "licence prose, as libpython3.11-minimal"),
    (
        "python3.11-minimal",
        "licence prose, as libpython3.11-minimal",
    ),
    (
        "libsasl2-2",
        "`License: BSD-4-clause and IBM-as-is`: Trivy takes the `as-is` of the name for prose \
         and reports the line as text; we report the names BSD-4-Clause and IBM-as-is.",
    ),
    ("libsasl2-modules-db", "IBM-as-is, as libsasl2-2"),
    (
        "perl-base",
        "`GPL-3+-with-bison-exception` stays as written (Trivy maps it to GPL-2.0 with the \
         exception, the wrong GPL version), and `Artistic-2` becomes Artistic-2.0.",
    ),
    (
        "sed",
        "`BSL-1` (the Boost licence, version 1.0 per its text) becomes BSL-1.0; Trivy keeps BSL-1.",
    ),
];

/// What the analyzer makes of the copyright files under `root`.
struct DocScan {
    /// Copyright files read.
    files: usize,
    /// Licences by package name, for the files that declare any.
    licenses: BTreeMap<String, Vec<String>>,
}

/// Runs the analyzer over every `usr/share/doc/*/copyright` under `root`, checking that it
/// wants each one, never fails, and speaks only for the package of the directory.
/// Symlinked documentation directories are skipped: an image stores them as links, which
/// the pipeline does not hand to analyzers.
fn scan_docs(root: &Path) -> Option<DocScan> {
    let analyzer = DpkgCopyrightAnalyzer;
    let entries = std::fs::read_dir(root.join("usr/share/doc")).ok()?;
    let mut scan = DocScan {
        files: 0,
        licenses: BTreeMap::new(),
    };
    for entry in entries.flatten() {
        let file = entry.path().join("copyright");
        if entry.path().is_symlink() || file.is_symlink() || !file.is_file() {
            continue;
        }
        let Ok(content) = std::fs::read(&file) else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = format!("usr/share/doc/{name}/copyright");
        let meta = FileMeta {
            size: content.len() as u64,
            mode: 0o644,
        };
        assert!(analyzer.wants(&path, &meta), "{path}");
        let out = analyzer
            .analyze(FileInput {
                path: &path,
                content: &content,
            })
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        scan.files += 1;
        match out.package_licenses.as_slice() {
            [] => {}
            [declared] => {
                assert_eq!(declared.package_name, name);
                scan.licenses.insert(name, declared.licenses.clone());
            }
            more => panic!("{}: {} entries", file.display(), more.len()),
        }
    }
    Some(scan)
}

#[test]
fn debian_app_licences_match_trivy() {
    let root = Path::new(DEBIAN_APP);
    if !root.join("usr/share/doc").is_dir() {
        println!("SKIP: {DEBIAN_APP} is absent on this machine");
        return;
    }
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/os/trivy-real/debian-app.json"),
        )
        .expect("fixture"),
    )
    .expect("valid fixture");
    let ours = scan_docs(root).expect("doc dir").licenses;
    let (mut agree, mut total, mut unexpected) = (0, 0, Vec::new());
    for package in report["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().expect("name");
        let theirs: Vec<String> = package["licenses"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l.as_str().map(str::to_owned))
            .collect();
        let got = ours.get(name).cloned().unwrap_or_default();
        let known = KNOWN_DIFFERENCES.iter().find(|(n, _)| *n == name);
        total += 1;
        match (got == theirs, known) {
            (true, None) => agree += 1,
            (false, Some(_)) => {}
            (true, Some(_)) => unexpected.push(format!("{name}: listed but now agrees")),
            (false, None) => unexpected.push(format!("{name}: ours {got:?}, Trivy {theirs:?}")),
        }
    }
    println!("debian-app: {agree}/{total} packages have exactly Trivy's licences");
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
    assert_eq!(agree + KNOWN_DIFFERENCES.len(), total);
}

#[test]
fn this_machines_copyright_files_yield_licences() {
    let Some(scan) = scan_docs(Path::new("/")).filter(|s| s.files > 0) else {
        println!("SKIP: no copyright files under {DOC} on this machine");
        return;
    };
    let with_licenses = scan.licenses.len();
    println!(
        "{with_licenses}/{} copyright files under {DOC} declare a licence",
        scan.files
    );
    for (name, licenses) in &scan.licenses {
        assert!(
            licenses.iter().all(|l| is_a_name(l)),
            "{name}: {licenses:?}"
        );
    }
    assert!(
        with_licenses * 100 >= scan.files * 75,
        "only {with_licenses}/{} have a licence",
        scan.files
    );
}

/// A licence name, not a sentence cut out of licence prose.
fn is_a_name(license: &str) -> bool {
    !license.is_empty() && license.len() <= 80 && license.split_whitespace().count() <= 8
}
