//! dpkg's database of installed packages: `var/lib/dpkg/status`, and the one-file-per-package
//! `var/lib/dpkg/status.d/` directory of Google distroless images.

use kabuto_types::{Ecosystem, Package, SourcePackage};

use crate::{AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput, FileMeta};

const STATUS: &str = "var/lib/dpkg/status";
const STATUS_DIR: &str = "var/lib/dpkg/status.d/";

pub struct DpkgAnalyzer;

impl Analyzer for DpkgAnalyzer {
    fn name(&self) -> &'static str {
        "dpkg"
    }
    fn version(&self) -> u32 {
        1
    }
    fn evidence(&self) -> Evidence {
        Evidence::Installed
    }
    fn wants(&self, path: &str, _meta: &FileMeta) -> bool {
        // status.d also holds `<pkg>.md5sums` lists next to the package stanzas.
        path == STATUS
            || path.strip_prefix(STATUS_DIR).is_some_and(|name| {
                !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums")
            })
    }
    fn analyze(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let (packages, warnings) = parse_status(file.content, file.path, self.name());
        Ok(AnalysisOutput {
            os: None,
            packages,
            warnings,
            ..AnalysisOutput::default()
        })
    }
}

/// One paragraph of a status file: fields in order, with the line it starts on.
struct Stanza<'a> {
    line: usize,
    fields: Vec<(&'a str, &'a str)>,
}

impl Stanza<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| *v)
            .filter(|v| !v.is_empty())
    }
}

/// Splits a Debian control file into paragraphs of single-line fields. Continuation lines
/// (leading space or tab) only continue multi-line fields (`Description`, `Conffiles`), none
/// of which we read, so they are skipped rather than copied.
fn stanzas(text: &str) -> Vec<Stanza<'_>> {
    let mut out = Vec::new();
    let mut current = Stanza {
        line: 1,
        fields: Vec::new(),
    };
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if !current.fields.is_empty() {
                out.push(std::mem::replace(
                    &mut current,
                    Stanza {
                        line: index + 2,
                        fields: Vec::new(),
                    },
                ));
            } else {
                current.line = index + 2;
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            current.fields.push((key.trim(), value.trim()));
        }
    }
    if !current.fields.is_empty() {
        out.push(current);
    }
    out
}

/// Whether a `Status:` value describes an installed package. Like Trivy, only packages
/// selected for removal (`deinstall`, `purge`) are left out; `half-installed` and other
/// in-between states still have files on disk and are reported. A stanza without `Status`
/// (distroless `status.d` files) is installed.
fn is_installed(status: Option<&str>) -> bool {
    status.is_none_or(|s| {
        !s.split_whitespace()
            .any(|word| word == "deinstall" || word == "purge")
    })
}

/// A dpkg version is `[epoch:]upstream[-revision]` with a numeric epoch and an upstream part
/// that starts with a digit (Debian Policy 5.6.12). Trivy drops packages whose version fails
/// this; so do we, with a warning.
pub fn is_valid_deb_version(version: &str) -> bool {
    let upstream_and_revision = match version.split_once(':') {
        Some((epoch, rest)) => {
            if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            rest
        }
        None => version,
    };
    upstream_and_revision.starts_with(|c: char| c.is_ascii_digit())
        && upstream_and_revision
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".+~-:".contains(&b))
}

/// `Source: name` or `Source: name (version)`; without a version the source version is the
/// binary package's.
fn source_package(source: Option<&str>, name: &str, version: &str) -> SourcePackage {
    let Some(source) = source else {
        return SourcePackage {
            name: name.to_owned(),
            version: version.to_owned(),
        };
    };
    match source.split_once('(') {
        Some((src_name, rest)) => SourcePackage {
            name: src_name.trim().to_owned(),
            version: rest.trim_end().trim_end_matches(')').trim().to_owned(),
        },
        None => SourcePackage {
            name: source.trim().to_owned(),
            version: version.to_owned(),
        },
    }
}

/// Installed packages of a dpkg status file (or one `status.d` file), with a warning for
/// each stanza that could not be read.
pub fn parse_status(content: &[u8], path: &str, found_by: &str) -> (Vec<Package>, Vec<String>) {
    let text = String::from_utf8_lossy(content);
    let mut packages = Vec::new();
    let mut warnings = Vec::new();
    for stanza in stanzas(&text) {
        if !is_installed(stanza.get("Status")) {
            continue;
        }
        let (Some(name), Some(version)) = (stanza.get("Package"), stanza.get("Version")) else {
            warnings.push(format!(
                "{path}: line {}: package entry without Package or Version",
                stanza.line
            ));
            continue;
        };
        if !is_valid_deb_version(version) {
            warnings.push(format!(
                "{path}: line {}: package {name} has an invalid version `{version}`",
                stanza.line
            ));
            continue;
        }
        let mut package = Package::new(Ecosystem::Deb, name, version, path, found_by);
        package.arch = stanza.get("Architecture").map(str::to_owned);
        package.source = Some(source_package(stanza.get("Source"), name, version));
        packages.push(package);
    }
    (packages, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS_TEXT: &str = "\
Package: libgcc1
Status: install ok installed
Architecture: amd64
Source: gcc-5 (5.1.1-12ubuntu1)
Version: 1:5.1.1-12ubuntu1
Description: GCC support library
 Shared version.

Package: libpam-runtime
Status: install ok installed
Architecture: all
Source: pam
Version: 1.1.8-3.1ubuntu3

Package: removed
Status: deinstall ok config-files
Version: 1.0-1

Package: brokenPackageWithNoVersion

Package: half
Status: install reinstreq half-installed
Version: 2.0
";

    #[test]
    fn reads_installed_packages_with_source() {
        let (packages, warnings) = parse_status(STATUS_TEXT.as_bytes(), STATUS, "dpkg");
        let got: Vec<(&str, &str, Option<&str>, &str, &str)> = packages
            .iter()
            .map(|p| {
                let src = p.source.as_ref().expect("source");
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    p.arch.as_deref(),
                    src.name.as_str(),
                    src.version.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "libgcc1",
                    "1:5.1.1-12ubuntu1",
                    Some("amd64"),
                    "gcc-5",
                    "5.1.1-12ubuntu1"
                ),
                (
                    "libpam-runtime",
                    "1.1.8-3.1ubuntu3",
                    Some("all"),
                    "pam",
                    "1.1.8-3.1ubuntu3"
                ),
                ("half", "2.0", None, "half", "2.0"),
            ]
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("line 19"), "{warnings:?}");
        assert_eq!(packages[0].locations[0].path, STATUS);
    }

    #[test]
    fn status_d_stanza_without_status_is_installed() {
        let text = "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n";
        let (packages, warnings) =
            parse_status(text.as_bytes(), "var/lib/dpkg/status.d/base", "dpkg");
        assert_eq!(packages.len(), 1);
        assert!(warnings.is_empty());
    }

    #[test]
    fn invalid_versions_are_dropped_with_a_warning() {
        assert!(is_valid_deb_version("5:20.10.7~3-0~debian-buster"));
        assert!(!is_valid_deb_version("x:1.0"));
        assert!(!is_valid_deb_version("abc"));
        let (packages, warnings) = parse_status(b"Package: a\nVersion: v1.0\n", STATUS, "dpkg");
        assert!(packages.is_empty());
        assert!(warnings[0].contains("invalid version"), "{warnings:?}");
    }

    #[test]
    fn wants_status_and_status_d_but_not_md5sums() {
        let meta = FileMeta {
            size: 10,
            mode: 0o644,
        };
        let a = DpkgAnalyzer;
        assert!(a.wants("var/lib/dpkg/status", &meta));
        assert!(a.wants("var/lib/dpkg/status.d/libc6", &meta));
        assert!(!a.wants("var/lib/dpkg/status.d/libc6.md5sums", &meta));
        assert!(!a.wants("var/lib/dpkg/status-old", &meta));
    }
}
