//! dpkg's database of installed packages: `var/lib/dpkg/status`, and the one-file-per-package
//! `var/lib/dpkg/status.d/` directory of Google distroless images.

use std::ops::ControlFlow;

use kabuto_types::{Ecosystem, Package, SourcePackage};

use super::{DatabasePackages, field_text as text};
use crate::file_analyzer::{FileAnalyzer, Prefix, Spec, Wants};
use crate::{
    AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput, MAX_PACKAGES_PER_DATABASE,
};

const STATUS: &str = "var/lib/dpkg/status";
const STATUS_DIR: &str = "var/lib/dpkg/status.d/";

pub struct DpkgAnalyzer;

impl FileAnalyzer for DpkgAnalyzer {
    const SPEC: Spec = Spec {
        name: "dpkg",
        version: 1,
        evidence: Evidence::Installed,
        wants: Wants::Matching(|path, _| {
            // status.d also holds `<pkg>.md5sums` lists next to the package stanzas.
            path == STATUS
                || path.strip_prefix(STATUS_DIR).is_some_and(|name| {
                    !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums")
                })
        }),
    };
    const PACKAGE_DATABASE: Option<Prefix> = Some(Prefix::WholeLines);
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        Ok(parse_status(
            file.content,
            file.path,
            self.name(),
            MAX_PACKAGES_PER_DATABASE,
        ))
    }
}

/// The fields of one paragraph of a status file that we read, each the first value given
/// (field names are case-insensitive). Nothing else is kept, so a paragraph costs the same
/// whatever its size.
#[derive(Default)]
struct Stanza<'a> {
    /// The line the paragraph starts on.
    line: usize,
    package: Option<&'a [u8]>,
    version: Option<&'a [u8]>,
    status: Option<&'a [u8]>,
    architecture: Option<&'a [u8]>,
    source: Option<&'a [u8]>,
    /// Whether any field was seen (a paragraph of unknown fields is still a paragraph).
    has_fields: bool,
}

impl<'a> Stanza<'a> {
    fn starting_at(line: usize) -> Self {
        Stanza {
            line,
            ..Stanza::default()
        }
    }

    fn set(&mut self, key: &[u8], value: &'a [u8]) {
        self.has_fields = true;
        let slot = if key.eq_ignore_ascii_case(b"package") {
            &mut self.package
        } else if key.eq_ignore_ascii_case(b"version") {
            &mut self.version
        } else if key.eq_ignore_ascii_case(b"status") {
            &mut self.status
        } else if key.eq_ignore_ascii_case(b"architecture") {
            &mut self.architecture
        } else if key.eq_ignore_ascii_case(b"source") {
            &mut self.source
        } else {
            return;
        };
        if slot.is_none() && !value.is_empty() {
            *slot = Some(value);
        }
    }
}

/// Calls `each` with every paragraph of a Debian control file in turn, until it breaks.
/// Continuation lines (leading space or tab) only continue multi-line fields
/// (`Description`, `Conffiles`), none of which we read, so they are skipped.
fn for_each_stanza<'a>(text: &'a [u8], mut each: impl FnMut(&Stanza<'a>) -> ControlFlow<()>) {
    let mut current = Stanza::starting_at(1);
    for (index, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.trim_ascii().is_empty() {
            if current.has_fields && each(&current).is_break() {
                return;
            }
            current = Stanza::starting_at(index + 2);
            continue;
        }
        if line.starts_with(b" ") || line.starts_with(b"\t") {
            continue;
        }
        if let Some(colon) = line.iter().position(|&b| b == b':') {
            current.set(line[..colon].trim_ascii(), line[colon + 1..].trim_ascii());
        }
    }
    if current.has_fields {
        let _ = each(&current);
    }
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
/// each stanza that could not be read. Reads one stanza at a time and keeps only the
/// packages: each once, at most `max_packages` of them (more makes the output `incomplete`).
pub fn parse_status(
    content: &[u8],
    path: &str,
    found_by: &str,
    max_packages: usize,
) -> AnalysisOutput {
    let mut packages = DatabasePackages::new(max_packages);
    for_each_stanza(content, |stanza| {
        match stanza_package(stanza, path, found_by) {
            Ok(Some(package)) => packages.push(package),
            Ok(None) => ControlFlow::Continue(()),
            Err(warning) => {
                packages.warn(warning);
                ControlFlow::Continue(())
            }
        }
    });
    packages.finish(path)
}

/// The installed package a stanza describes; `None` for a package that is not installed,
/// a warning for one without a name or a valid version.
fn stanza_package(
    stanza: &Stanza<'_>,
    path: &str,
    found_by: &str,
) -> Result<Option<Package>, String> {
    if !is_installed(text(stanza.status).as_deref()) {
        return Ok(None);
    }
    let (Some(name), Some(version)) = (text(stanza.package), text(stanza.version)) else {
        return Err(format!(
            "{path}: line {}: package entry without Package or Version",
            stanza.line
        ));
    };
    if !is_valid_deb_version(&version) {
        return Err(format!(
            "{path}: line {}: package {name} has an invalid version `{version}`",
            stanza.line
        ));
    }
    let mut package = Package::new(
        Ecosystem::Deb,
        name.as_ref(),
        version.as_ref(),
        path,
        found_by,
    );
    package.arch = text(stanza.architecture).map(String::from);
    package.source = Some(source_package(
        text(stanza.source).as_deref(),
        &name,
        &version,
    ));
    Ok(Some(package))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileMeta;

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

    fn parse(text: &str, path: &str) -> (Vec<Package>, Vec<String>) {
        let out = parse_status(text.as_bytes(), path, "dpkg", MAX_PACKAGES_PER_DATABASE);
        assert_eq!(out.incomplete, None);
        (out.packages, out.warnings)
    }

    #[test]
    fn reads_installed_packages_with_source() {
        let (packages, warnings) = parse(STATUS_TEXT, STATUS);
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
        let (packages, warnings) = parse(text, "var/lib/dpkg/status.d/base");
        assert_eq!(packages.len(), 1);
        assert!(warnings.is_empty());
    }

    #[test]
    fn invalid_versions_are_dropped_with_a_warning() {
        assert!(is_valid_deb_version("5:20.10.7~3-0~debian-buster"));
        assert!(!is_valid_deb_version("x:1.0"));
        assert!(!is_valid_deb_version("abc"));
        let (packages, warnings) = parse("Package: a\nVersion: v1.0\n", STATUS);
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

    /// `count` stanzas of distinct packages.
    fn many_packages(count: usize) -> String {
        (0..count)
            .map(|i| format!("Package: p{i}\nStatus: install ok installed\nVersion: 1.{i}\n\n"))
            .collect()
    }

    #[test]
    fn stops_at_the_package_cap_and_says_so() {
        let text = many_packages(11);
        let out = parse_status(text.as_bytes(), STATUS, "dpkg", 10);
        assert_eq!(out.packages.len(), 10);
        assert_eq!(out.packages[9].name, "p9");
        let reason = out.incomplete.expect("the cap was hit");
        assert!(reason.contains("more than 10 packages"), "{reason}");
        // Exactly the cap is a whole database.
        let text = many_packages(10);
        let out = parse_status(text.as_bytes(), STATUS, "dpkg", 10);
        assert_eq!((out.packages.len(), out.incomplete), (10, None));
    }

    /// 50 MB of one repeated stanza used to become as many packages (and findings).
    #[test]
    fn a_repeated_stanza_is_one_package() {
        let text = "Package: a\nStatus: install ok installed\nVersion: 1.0\n\n".repeat(10_000);
        let out = parse_status(text.as_bytes(), STATUS, "dpkg", 10);
        assert_eq!(out.packages.len(), 1);
        assert_eq!(out.incomplete, None);
        assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
        assert!(
            out.warnings[0].contains("9999 entries repeat"),
            "{:?}",
            out.warnings
        );
    }

    #[test]
    fn uninstalled_and_broken_stanzas_do_not_count_towards_the_cap() {
        let text = "Package: gone\nStatus: purge ok not-installed\nVersion: 1\n\n\
                    Package: broken\n\nPackage: kept\nVersion: 2\n";
        let out = parse_status(text.as_bytes(), STATUS, "dpkg", 1);
        assert_eq!(out.packages.len(), 1);
        assert_eq!(out.incomplete, None);
    }

    /// Only the fields we read are kept, so a stanza of a million continuation lines or
    /// unknown fields costs no more than a short one, and is still read.
    #[test]
    fn a_padded_stanza_keeps_the_fields_before_the_padding() {
        let mut text =
            String::from("Package: openssl\nVersion: 3.0.11-1~deb12u2\nDescription: x\n");
        text.push_str(&" padding\n".repeat(100_000));
        text.push_str(&"X-Field: y\n".repeat(100_000));
        text.push_str("Version: 9.9\nSource: other\n");
        let (packages, warnings) = parse(&text, STATUS);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(packages.len(), 1);
        assert_eq!(packages[0].version, "3.0.11-1~deb12u2");
        assert_eq!(packages[0].source.as_ref().expect("source").name, "other");
    }

    #[test]
    fn field_names_are_case_insensitive_and_crlf_is_accepted() {
        let (packages, _) = parse(
            "package: a\r\nVERSION: 1.0\r\n\r\nPackage: b\r\nVersion: 2\r\n",
            STATUS,
        );
        let got: Vec<(&str, &str)> = packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(got, vec![("a", "1.0"), ("b", "2")]);
    }

    #[test]
    fn a_prefix_drops_the_line_the_cut_went_through() {
        let text = b"Package: a\nVersion: 1.0-1\n\nPackage: b\nVersion: 2.0-1";
        // Cut inside b's version: b is not reported with a shortened version.
        let cut = &text[..text.len() - 3];
        let out = DpkgAnalyzer
            .analyze_prefix(FileInput {
                path: STATUS,
                content: cut,
            })
            .expect("parsed");
        let got: Vec<(&str, &str)> = out
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(got, vec![("a", "1.0-1")]);
        assert_eq!(
            out.warnings.len(),
            1,
            "b has no version line: {:?}",
            out.warnings
        );
    }
}
