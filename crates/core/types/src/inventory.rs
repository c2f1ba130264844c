use serde::{Deserialize, Serialize};

use crate::{ImageMetadata, OsInfo, Package};

/// What kind of thing was scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    ContainerImage,
    /// A root filesystem directory (a host's `/`, an unpacked image).
    Rootfs,
    /// A project directory (lockfiles and manifests).
    Filesystem,
}

/// The scanned target, as the user named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Artifact {
    pub name: String,
    pub kind: ArtifactKind,
}

/// What kind of problem a [`Warning`] reports, as a stable code (`W-FILE-TOO-LARGE`) that
/// scripts can test for and `docs/warnings.md` explains; the message gives the details.
/// Codes are never renamed or reused; new ones may be added.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum WarningCode {
    /// A file an analyzer or scanner wanted is over the per-file size limit and was not read.
    #[serde(rename = "W-FILE-TOO-LARGE")]
    FileTooLarge,
    /// A file or directory could not be read (permissions, I/O error).
    #[serde(rename = "W-FILE-UNREADABLE")]
    FileUnreadable,
    /// An analyzer could not read a file it wanted at all (bad syntax, unsupported format
    /// version): the packages that file lists are missing.
    #[serde(rename = "W-FILE-UNPARSABLE")]
    FileUnparsable,
    /// One entry of a file (a package record without a version, ...) was left out; the rest of
    /// the file was read.
    #[serde(rename = "W-ENTRY-SKIPPED")]
    EntrySkipped,
    /// A content scanner (secrets, malware, misconfiguration) failed on one file.
    #[serde(rename = "W-SCANNER-FAILED")]
    ScannerFailed,
    /// A hard link a package analyzer wanted points at no file of the image.
    #[serde(rename = "W-DANGLING-HARDLINK")]
    DanglingHardLink,
    /// A symbolic link was not followed: it loops, or the scan's budget for following links
    /// ran out. Package files behind it may be missing.
    #[serde(rename = "W-SYMLINK-NOT-FOLLOWED")]
    SymlinkNotFollowed,
    /// A package database (dpkg status, apk installed, rpm database) could not be read
    /// whole: over the per-file limit, cut short, or over the package cap. Packages it lists
    /// may be missing, so a scan gate fails on it unless the user accepts partial results.
    #[serde(rename = "W-INCOMPLETE-PACKAGE-DB")]
    IncompletePackageDatabase,
    /// No code: a warning read from a report written before codes existed, or with a code
    /// this version does not know.
    #[default]
    #[serde(rename = "W-UNCLASSIFIED", other)]
    Unclassified,
}

impl WarningCode {
    /// Every code, in the order `docs/warnings.md` lists them.
    pub const ALL: [WarningCode; 9] = [
        WarningCode::FileTooLarge,
        WarningCode::FileUnreadable,
        WarningCode::FileUnparsable,
        WarningCode::EntrySkipped,
        WarningCode::ScannerFailed,
        WarningCode::DanglingHardLink,
        WarningCode::SymlinkNotFollowed,
        WarningCode::IncompletePackageDatabase,
        WarningCode::Unclassified,
    ];

    /// The stable code, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningCode::FileTooLarge => "W-FILE-TOO-LARGE",
            WarningCode::FileUnreadable => "W-FILE-UNREADABLE",
            WarningCode::FileUnparsable => "W-FILE-UNPARSABLE",
            WarningCode::EntrySkipped => "W-ENTRY-SKIPPED",
            WarningCode::ScannerFailed => "W-SCANNER-FAILED",
            WarningCode::DanglingHardLink => "W-DANGLING-HARDLINK",
            WarningCode::SymlinkNotFollowed => "W-SYMLINK-NOT-FOLLOWED",
            WarningCode::IncompletePackageDatabase => "W-INCOMPLETE-PACKAGE-DB",
            WarningCode::Unclassified => "W-UNCLASSIFIED",
        }
    }
}

impl std::fmt::Display for WarningCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem that did not stop the scan: one file could not be read or parsed, and the
/// rest of the inventory is still reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Warning {
    /// What kind of problem (reports written before codes existed read as `Unclassified`).
    #[serde(default)]
    pub code: WarningCode,
    /// Where: `layer 2 (sha256:0123456789ab) usr/lib/python3/x.dist-info/METADATA`, or a path.
    pub location: String,
    pub message: String,
}

impl Warning {
    pub fn new(code: WarningCode, location: impl Into<String>, message: impl Into<String>) -> Self {
        Warning {
            code,
            location: location.into(),
            message: message.into(),
        }
    }
}

/// Everything found in one artifact: the complete package inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Inventory {
    pub artifact: Artifact,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageMetadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    /// All packages, OS and language, sorted by (ecosystem, name, version, first location).
    pub packages: Vec<Package>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

impl Inventory {
    /// Sorts packages into the stable order reports rely on.
    pub fn sort(&mut self) {
        self.packages.sort_by(package_order);
    }

    /// Whether the packages are in the order [`Inventory::sort`] gives (a scan's are), so a
    /// report need not copy the inventory to sort it.
    pub fn is_sorted(&self) -> bool {
        self.packages
            .is_sorted_by(|a, b| package_order(a, b).is_le())
    }

    /// Warnings about package databases that could not be read whole
    /// ([`WarningCode::IncompletePackageDatabase`]): packages may be missing from this
    /// inventory, so a gate that passes on it may pass wrongly.
    pub fn incomplete_databases(&self) -> impl Iterator<Item = &Warning> {
        self.warnings
            .iter()
            .filter(|w| w.code == WarningCode::IncompletePackageDatabase)
    }
}

/// (ecosystem, name, version, locations): the order of an inventory's packages.
fn package_order(a: &Package, b: &Package) -> std::cmp::Ordering {
    (a.ecosystem, &a.name, &a.version, &a.locations).cmp(&(
        b.ecosystem,
        &b.name,
        &b.version,
        &b.locations,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_codes_are_unique_and_serialize_as_displayed() {
        let mut seen = std::collections::HashSet::new();
        for code in WarningCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {code}");
            assert!(code.as_str().starts_with("W-"), "{code}");
            let json = serde_json::to_string(&code).expect("serialize");
            assert_eq!(json, format!("\"{code}\""));
            let back: WarningCode = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back, code);
        }
    }

    #[test]
    fn warnings_without_or_with_an_unknown_code_read_as_unclassified() {
        let old: Warning =
            serde_json::from_str(r#"{"location":"a","message":"b"}"#).expect("old warning");
        assert_eq!(old.code, WarningCode::Unclassified);
        let newer: Warning =
            serde_json::from_str(r#"{"code":"W-FROM-THE-FUTURE","location":"a","message":"b"}"#)
                .expect("newer warning");
        assert_eq!(newer.code, WarningCode::Unclassified);
    }

    #[test]
    fn is_sorted_agrees_with_sort() {
        let package = |name: &str| {
            crate::Package::new(
                crate::Ecosystem::Deb,
                name,
                "1",
                "var/lib/dpkg/status",
                "dpkg",
            )
        };
        let mut inventory = Inventory {
            artifact: Artifact {
                name: "x".into(),
                kind: ArtifactKind::Rootfs,
            },
            image: None,
            os: None,
            packages: vec![package("b"), package("a")],
            warnings: Vec::new(),
        };
        assert!(!inventory.is_sorted());
        inventory.sort();
        assert!(inventory.is_sorted());
    }

    #[test]
    fn every_code_is_documented() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../docs/warnings.md");
        let docs = std::fs::read_to_string(&path).expect("docs/warnings.md");
        for code in WarningCode::ALL {
            assert!(
                docs.contains(&format!("| `{code}` |")),
                "{code} is missing from docs/warnings.md"
            );
        }
    }
}
