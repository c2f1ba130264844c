//! Real inputs: every `usr/share/doc/<package>/copyright` of the machine running the tests
//! (a Debian-family system has hundreds, DEP-5 and free text mixed). Reading them must never
//! fail, and most packages must get a licence. The rest quote licence text without naming
//! it (X.Org's MIT-style notices, Python's PSF text): Trivy finds nothing there either unless
//! its full-text classifier is switched on. This machine: 689 of 808. Skips with a note on
//! systems without Debian documentation.

use kabuto_catalog::os::dpkg_copyright::DpkgCopyrightAnalyzer;
use kabuto_catalog::{Analyzer, FileInput, FileMeta};

const DOC: &str = "/usr/share/doc";

#[test]
fn this_machines_copyright_files_yield_licences() {
    let Ok(entries) = std::fs::read_dir(DOC) else {
        println!("SKIP: {DOC} is absent on this machine");
        return;
    };
    let analyzer = DpkgCopyrightAnalyzer;
    let (mut files, mut with_licenses) = (0, 0);
    let mut without = Vec::new();
    for entry in entries.flatten() {
        let file = entry.path().join("copyright");
        // Symlinked doc directories point at another package's files: images store them as
        // links, which the pipeline does not hand to analyzers either.
        if entry.path().is_symlink() || !file.is_file() || file.is_symlink() {
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
        files += 1;
        match out.package_licenses.as_slice() {
            [] => without.push(name),
            [declared] => {
                assert_eq!(declared.package_name, name);
                assert!(
                    declared.licenses.iter().all(|l| is_a_name(l)),
                    "{}: {:?}",
                    file.display(),
                    declared.licenses
                );
                with_licenses += 1;
            }
            more => panic!("{}: {} entries", file.display(), more.len()),
        }
    }
    println!(
        "{with_licenses}/{files} copyright files under {DOC} declare a licence; none found in: {without:?}"
    );
    if files == 0 {
        println!("SKIP: no copyright files under {DOC}");
        return;
    }
    assert!(
        with_licenses * 100 >= files * 75,
        "only {with_licenses}/{files} have a licence"
    );
}

/// A licence name, not a sentence cut out of licence prose.
fn is_a_name(license: &str) -> bool {
    !license.is_empty() && license.len() <= 80 && license.split_whitespace().count() <= 8
}
