//! apk's database of installed packages, `lib/apk/db/installed` (Alpine, Wolfi, Chainguard).

use kabuto_types::{Ecosystem, Package, SourcePackage};

use crate::{AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput, FileMeta};

const INSTALLED: &str = "lib/apk/db/installed";
/// Where the database is after a /usr merge, when `lib` is a symlink to `usr/lib`.
const INSTALLED_USR_MERGED: &str = "usr/lib/apk/db/installed";

pub struct ApkAnalyzer;

impl Analyzer for ApkAnalyzer {
    fn name(&self) -> &'static str {
        "apk"
    }
    fn version(&self) -> u32 {
        1
    }
    fn evidence(&self) -> Evidence {
        Evidence::Installed
    }
    fn wants(&self, path: &str, _meta: &FileMeta) -> bool {
        path == INSTALLED || path == INSTALLED_USR_MERGED
    }
    fn analyze(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let (packages, warnings) = parse_installed(file.content, file.path, self.name());
        Ok(AnalysisOutput {
            os: None,
            packages,
            warnings,
            ..AnalysisOutput::default()
        })
    }
}

/// The fields of one package record we read; apk writes one `X:value` line per field and a
/// blank line between packages.
#[derive(Default)]
struct Record<'a> {
    line: usize,
    name: Option<&'a str>,
    version: Option<&'a str>,
    arch: Option<&'a str>,
    origin: Option<&'a str>,
    license: Option<&'a str>,
}

impl Record<'_> {
    fn is_empty(&self) -> bool {
        self.name.is_none() && self.version.is_none()
    }
}

/// Installed packages of an apk `installed` database, with a warning for each record that
/// lacks a name or version. The source package is the `o:` origin (the aport the package was
/// built from) at the same version; the `L:` licence is kept as written.
pub fn parse_installed(content: &[u8], path: &str, found_by: &str) -> (Vec<Package>, Vec<String>) {
    let text = String::from_utf8_lossy(content);
    let mut packages = Vec::new();
    let mut warnings = Vec::new();
    let mut record = Record {
        line: 1,
        ..Record::default()
    };
    let mut finish = |record: &Record<'_>| match (record.name, record.version) {
        (Some(name), Some(version)) => {
            let mut package = Package::new(Ecosystem::Apk, name, version, path, found_by);
            package.arch = record.arch.map(str::to_owned);
            package.source = Some(SourcePackage {
                name: record.origin.unwrap_or(name).to_owned(),
                version: version.to_owned(),
            });
            package.licenses = record.license.map(str::to_owned).into_iter().collect();
            packages.push(package);
        }
        _ => warnings.push(format!(
            "{path}: line {}: package record without P: name or V: version",
            record.line
        )),
    };
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if !record.is_empty() {
                finish(&record);
            }
            record = Record {
                line: index + 2,
                ..Record::default()
            };
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = Some(value.trim()).filter(|v| !v.is_empty());
        match key {
            "P" => record.name = value,
            "V" => record.version = value,
            "A" => record.arch = value,
            "o" => record.origin = value,
            "L" => record.license = value,
            _ => {}
        }
    }
    if !record.is_empty() {
        finish(&record);
    }
    (packages, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_version_arch_origin_license() {
        let db = "C:Q1abc=\nP:libcrypto1.1\nV:1.1.1c-r0\nA:x86_64\nL:OpenSSL\no:openssl\n\n\
                  P:musl\nV:1.1.22-r2\nA:x86_64\nL:MIT\nF:lib\nR:libc.musl-x86_64.so.1\n\n";
        let (packages, warnings) = parse_installed(db.as_bytes(), INSTALLED, "apk");
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
        let (packages, warnings) = parse_installed(db.as_bytes(), INSTALLED, "apk");
        assert_eq!(packages.len(), 1);
        assert_eq!(
            warnings,
            vec![format!(
                "{INSTALLED}: line 4: package record without P: name or V: version"
            )]
        );
    }
}
