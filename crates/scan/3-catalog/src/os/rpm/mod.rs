//! The rpm database of installed packages, in all three formats rpm has used: SQLite
//! (`rpmdb.sqlite`, rpm 4.16+), Berkeley DB hash (`Packages`) and NDB (`Packages.db`, SUSE).
//! The format is recognised by content, not by file name.

pub mod bdb;
pub mod header;
pub mod manifest;
pub mod ndb;
pub mod sqlite;

use kabuto_types::{Ecosystem, Package, SourcePackage};

pub use header::{RpmHeader, parse_header};

use super::DatabasePackages;
use crate::file_analyzer::{FileAnalyzer, Prefix, Spec, Wants};
use crate::{
    AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput, MAX_PACKAGES_PER_DATABASE,
};

/// Why an rpm database or one of its header blobs could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RpmError {
    #[error("rpm header: {0}")]
    Header(String),
    #[error("Berkeley DB: {0}")]
    Bdb(String),
    #[error("NDB: {0}")]
    Ndb(String),
    #[error("SQLite: {0}")]
    Sqlite(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
}

impl From<RpmError> for AnalyzeError {
    fn from(e: RpmError) -> Self {
        match e {
            RpmError::Unsupported(what) => AnalyzeError::Unsupported(what),
            other => AnalyzeError::malformed(other.to_string()),
        }
    }
}

const DB_PATHS: [&str; 6] = [
    "var/lib/rpm/rpmdb.sqlite",
    "var/lib/rpm/Packages",
    "var/lib/rpm/Packages.db",
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/Packages",
    "usr/lib/sysimage/rpm/Packages.db",
];

pub struct RpmAnalyzer;

impl FileAnalyzer for RpmAnalyzer {
    const SPEC: Spec = Spec {
        name: "rpm",
        version: 1,
        evidence: Evidence::Installed,
        wants: Wants::Paths(&DB_PATHS),
    };
    /// A cut database is read as far as its format allows (the header blobs of a Berkeley
    /// DB or NDB file are found from its first pages); a cut SQLite file is usually refused.
    const PACKAGE_DATABASE: Option<Prefix> = Some(Prefix::AsIs);
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        Ok(parse_rpmdb(
            file.content,
            file.path,
            self.name(),
            MAX_PACKAGES_PER_DATABASE,
        )?)
    }
}

/// Every header blob of an rpm database of any format.
pub fn header_blobs(content: &[u8]) -> Result<Vec<Result<Vec<u8>, RpmError>>, RpmError> {
    if sqlite::is_sqlite(content) {
        sqlite::header_blobs(content)
    } else if ndb::is_ndb(content) {
        ndb::header_blobs(content)
    } else if bdb::is_bdb_hash(content) {
        bdb::header_blobs(content)
    } else {
        Err(RpmError::Unsupported(
            "not an SQLite, NDB or Berkeley DB hash rpm database".into(),
        ))
    }
}

/// Installed packages of an rpm database, with a warning per unreadable header, at most
/// `max_packages` of them, each once (more makes the output `incomplete`). The `gpg-pubkey`
/// pseudo-packages (imported signing keys) are left out, as Trivy does.
pub fn parse_rpmdb(
    content: &[u8],
    path: &str,
    found_by: &str,
    max_packages: usize,
) -> Result<AnalysisOutput, RpmError> {
    let mut packages = DatabasePackages::new(max_packages);
    for (index, blob) in header_blobs(content)?.into_iter().enumerate() {
        match blob.and_then(|b| parse_header(&b)) {
            Ok(h) if h.name == "gpg-pubkey" => {}
            Ok(h) => {
                if packages.push(package(&h, path, found_by)).is_break() {
                    break;
                }
            }
            Err(e) => packages.warn(format!("{path}: package {index}: {e}")),
        }
    }
    Ok(packages.finish(path))
}

fn package(h: &RpmHeader, path: &str, found_by: &str) -> Package {
    let mut package = Package::new(Ecosystem::Rpm, &h.name, h.evr(), path, found_by);
    package.arch = h.arch.clone().filter(|a| !a.is_empty());
    package.licenses = h
        .license
        .clone()
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect();
    package.source = source_package(h);
    package
}

/// The source package named by the header's source rpm file; its file name has no epoch,
/// and the binary's epoch is the source's.
fn source_package(h: &RpmHeader) -> Option<SourcePackage> {
    let (name, version, release) = split_source_rpm(h.source_rpm.as_deref()?)?;
    let evr = RpmHeader {
        epoch: h.epoch,
        version: version.to_owned(),
        release: release.to_owned(),
        ..RpmHeader::default()
    }
    .evr();
    Some(SourcePackage {
        name: name.to_owned(),
        version: evr,
    })
}

/// `name-version-release.arch.rpm` -> (name, version, release); `None` for `(none)` and
/// names that do not have that shape.
pub fn split_source_rpm(file_name: &str) -> Option<(&str, &str, &str)> {
    let stem = file_name.strip_suffix(".rpm")?;
    let (nvr, _arch) = stem.rsplit_once('.')?;
    let (nv, release) = nvr.rsplit_once('-')?;
    let (name, version) = nv.rsplit_once('-')?;
    (!name.is_empty() && !version.is_empty() && !release.is_empty())
        .then_some((name, version, release))
}

#[cfg(test)]
mod tests {
    use super::header::sample_blob;
    use super::*;

    #[test]
    fn splits_source_rpm_names() {
        assert_eq!(
            split_source_rpm("util-linux-2.32.1-42.el8_8.src.rpm"),
            Some(("util-linux", "2.32.1", "42.el8_8"))
        );
        assert_eq!(split_source_rpm("(none)"), None);
        assert_eq!(split_source_rpm("a-1.src.rpm"), None);
    }

    #[test]
    fn same_packages_from_every_format() {
        let blobs = vec![
            sample_blob("openssl-libs", Some(1), "3.0.7", "1.el9"),
            sample_blob("gpg-pubkey", None, "fd431d51", "4ae0493b"),
            sample_blob("bash", None, "5.1.8", "4.el9"),
        ];
        for db in [
            sqlite::build_db(&blobs),
            bdb::build_db(&blobs, 4096),
            ndb::build_db(&blobs),
        ] {
            let AnalysisOutput {
                packages, warnings, ..
            } = parse_rpmdb(&db, "var/lib/rpm/x", "rpm", MAX_PACKAGES_PER_DATABASE).expect("db");
            assert!(warnings.is_empty(), "{warnings:?}");
            let got: Vec<(&str, &str, &str, &str)> = packages
                .iter()
                .map(|p| {
                    let src = p.source.as_ref().expect("source");
                    (
                        p.name.as_str(),
                        p.version.as_str(),
                        src.name.as_str(),
                        src.version.as_str(),
                    )
                })
                .collect();
            assert_eq!(
                got,
                vec![
                    (
                        "openssl-libs",
                        "1:3.0.7-1.el9",
                        "openssl-libs",
                        "1:3.0.7-1.el9"
                    ),
                    ("bash", "5.1.8-4.el9", "bash", "5.1.8-4.el9"),
                ]
            );
            assert_eq!(packages[0].licenses, vec!["MIT".to_owned()]);
        }
    }

    #[test]
    fn unknown_format_is_unsupported() {
        assert!(matches!(
            parse_rpmdb(b"hello", "var/lib/rpm/Packages", "rpm", 10),
            Err(RpmError::Unsupported(_))
        ));
    }

    #[test]
    fn stops_at_the_package_cap_and_says_so() {
        let blobs: Vec<Vec<u8>> = (0..3)
            .map(|i| sample_blob(&format!("p{i}"), None, "1.0", "1"))
            .collect();
        let out = parse_rpmdb(&sqlite::build_db(&blobs), "var/lib/rpm/x", "rpm", 2).expect("db");
        assert_eq!(out.packages.len(), 2);
        assert!(
            out.incomplete
                .is_some_and(|r| r.contains("more than 2 packages"))
        );
    }
}
