//! apk's database of installed packages, `lib/apk/db/installed` (Alpine, Wolfi, Chainguard).

use std::ops::ControlFlow;

use kabuto_types::{Ecosystem, Package, SourcePackage};

use super::{DatabasePackages, field_text as text};
use crate::file_analyzer::{FileAnalyzer, Prefix, Spec, Wants};
use crate::{
    AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput, MAX_PACKAGES_PER_DATABASE,
};

const INSTALLED: &str = "lib/apk/db/installed";
/// Where the database is after a /usr merge, when `lib` is a symlink to `usr/lib`.
const INSTALLED_USR_MERGED: &str = "usr/lib/apk/db/installed";

pub struct ApkAnalyzer;

impl FileAnalyzer for ApkAnalyzer {
    const SPEC: Spec = Spec {
        name: "apk",
        version: 1,
        evidence: Evidence::Installed,
        wants: Wants::Paths(&[INSTALLED, INSTALLED_USR_MERGED]),
    };
    const PACKAGE_DATABASE: Option<Prefix> = Some(Prefix::WholeLines);
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        Ok(parse_installed(
            file.content,
            file.path,
            self.name(),
            MAX_PACKAGES_PER_DATABASE,
        ))
    }
}

/// The fields of one package record we read; apk writes one `X:value` line per field and a
/// blank line between packages.
#[derive(Default)]
struct Record<'a> {
    line: usize,
    name: Option<&'a [u8]>,
    version: Option<&'a [u8]>,
    arch: Option<&'a [u8]>,
    origin: Option<&'a [u8]>,
    license: Option<&'a [u8]>,
}

impl Record<'_> {
    fn is_empty(&self) -> bool {
        self.name.is_none() && self.version.is_none()
    }

    /// The package this record describes; a warning when it lacks a name or version.
    fn package(&self, path: &str, found_by: &str) -> Result<Package, String> {
        let (Some(name), Some(version)) = (text(self.name), text(self.version)) else {
            return Err(format!(
                "{path}: line {}: package record without P: name or V: version",
                self.line
            ));
        };
        let mut package = Package::new(
            Ecosystem::Apk,
            name.as_ref(),
            version.as_ref(),
            path,
            found_by,
        );
        package.arch = text(self.arch).map(String::from);
        package.source = Some(SourcePackage {
            name: text(self.origin).map_or_else(|| name.clone().into_owned(), String::from),
            version: version.into_owned(),
        });
        package.licenses = text(self.license).map(String::from).into_iter().collect();
        Ok(package)
    }
}

/// Installed packages of an apk `installed` database, with a warning for each record that
/// lacks a name or version: each package once, at most `max_packages` of them (more makes
/// the output `incomplete`). The source package is the `o:` origin (the aport the package was built
/// from) at the same version; the `L:` licence is kept as written.
pub fn parse_installed(
    content: &[u8],
    path: &str,
    found_by: &str,
    max_packages: usize,
) -> AnalysisOutput {
    let mut packages = DatabasePackages::new(max_packages);
    let mut record = Record {
        line: 1,
        ..Record::default()
    };
    let mut finish = |record: &Record<'_>| match record.package(path, found_by) {
        Ok(package) => packages.push(package),
        Err(warning) => {
            packages.warn(warning);
            ControlFlow::Continue(())
        }
    };
    for (index, line) in content.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.trim_ascii().is_empty() {
            if !record.is_empty() && finish(&record).is_break() {
                break;
            }
            record = Record {
                line: index + 2,
                ..Record::default()
            };
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let value = Some(line[colon + 1..].trim_ascii()).filter(|v| !v.is_empty());
        match &line[..colon] {
            b"P" => record.name = value,
            b"V" => record.version = value,
            b"A" => record.arch = value,
            b"o" => record.origin = value,
            b"L" => record.license = value,
            _ => {}
        }
    }
    if !record.is_empty() {
        let _ = finish(&record);
    }
    packages.finish(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileMeta;

    #[test]
    fn reads_name_version_arch_origin_license() {
        let db = "C:Q1abc=\nP:libcrypto1.1\nV:1.1.1c-r0\nA:x86_64\nL:OpenSSL\no:openssl\n\n\
                  P:musl\nV:1.1.22-r2\nA:x86_64\nL:MIT\nF:lib\nR:libc.musl-x86_64.so.1\n\n";
        let AnalysisOutput {
            packages, warnings, ..
        } = parse_installed(db.as_bytes(), INSTALLED, "apk", MAX_PACKAGES_PER_DATABASE);
        assert!(warnings.is_empty(), "{warnings:?}");
        let got: Vec<(&str, &str, &str, &str, &[String])> = packages
            .iter()
            .map(|p| {
                let src = p.source.as_ref().expect("source");
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    src.name.as_str(),
                    src.version.as_str(),
                    p.licenses.as_slice(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "libcrypto1.1",
                    "1.1.1c-r0",
                    "openssl",
                    "1.1.1c-r0",
                    &["OpenSSL".to_owned()][..]
                ),
                (
                    "musl",
                    "1.1.22-r2",
                    "musl",
                    "1.1.22-r2",
                    &["MIT".to_owned()][..]
                ),
            ]
        );
        assert_eq!(packages[0].arch.as_deref(), Some("x86_64"));
    }

    #[test]
    fn wants_the_database_before_and_after_usr_merge() {
        let meta = FileMeta {
            size: 10,
            mode: 0o644,
        };
        assert!(ApkAnalyzer.wants("lib/apk/db/installed", &meta));
        assert!(ApkAnalyzer.wants("usr/lib/apk/db/installed", &meta));
        assert!(!ApkAnalyzer.wants("lib/apk/db/triggers", &meta));
    }

    #[test]
    fn record_without_version_is_a_warning_with_its_line() {
        let db = "P:a\nV:1-r0\n\nP:broken\nA:x86_64\n";
        let AnalysisOutput {
            packages, warnings, ..
        } = parse_installed(db.as_bytes(), INSTALLED, "apk", MAX_PACKAGES_PER_DATABASE);
        assert_eq!(packages.len(), 1);
        assert_eq!(
            warnings,
            vec![format!(
                "{INSTALLED}: line 4: package record without P: name or V: version"
            )]
        );
    }

    #[test]
    fn stops_at_the_package_cap_and_says_so() {
        let db: String = (0..4).map(|i| format!("P:p{i}\nV:1-r{i}\n\n")).collect();
        let out = parse_installed(db.as_bytes(), INSTALLED, "apk", 3);
        assert_eq!(out.packages.len(), 3);
        let reason = out.incomplete.expect("the cap was hit");
        assert!(reason.contains("more than 3 packages"), "{reason}");
    }

    #[test]
    fn a_prefix_drops_the_line_the_cut_went_through() {
        let db = b"P:a\nV:1.0-r0\n\nP:b\nV:2.0-r1";
        let out = ApkAnalyzer
            .analyze_prefix(FileInput {
                path: INSTALLED,
                content: &db[..db.len() - 2],
            })
            .expect("parsed");
        assert_eq!(out.packages.len(), 1);
        assert_eq!(out.packages[0].version, "1.0-r0");
    }
}
