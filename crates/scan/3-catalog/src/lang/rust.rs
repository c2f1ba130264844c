//! `Cargo.lock`, every format version (1 through 4): each `[[package]]` is a crate in the
//! build, workspace members included (they have no `source`), as Trivy and Syft report them.
//! A Rust build leaves no per-crate metadata in what it installs, so a `Cargo.lock` in an
//! image is the record of what was compiled there; Trivy reads it in images too.

use kabuto_types::{Ecosystem, Package};
use serde::Deserialize;

use super::{toml_error, utf8};
use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::{AnalysisOutput, AnalyzeError, Evidence, FileInput};

/// The newest lockfile format this parser was written against.
const NEWEST_LOCK_VERSION: u32 = 4;

#[derive(Debug, Deserialize)]
struct CargoLock {
    /// Absent in v1 and v2 lockfiles, `3` or `4` after.
    version: Option<u32>,
    #[serde(default)]
    package: Vec<LockedPackage>,
}

#[derive(Debug, Deserialize)]
struct LockedPackage {
    name: String,
    version: String,
}

/// Reads `Cargo.lock` files.
pub struct CargoLockAnalyzer;

const NAME: &str = "cargo-lock";

impl FileAnalyzer for CargoLockAnalyzer {
    const SPEC: Spec = Spec {
        name: NAME,
        version: 1,
        evidence: Evidence::BuildRecord,
        wants: Wants::Named(&["Cargo.lock"]),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let text = utf8(file.content)?;
        let lock: CargoLock = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        let mut warnings = Vec::new();
        if let Some(v) = lock.version.filter(|&v| v > NEWEST_LOCK_VERSION) {
            warnings.push(format!(
                "lockfile format version {v} is newer than {NEWEST_LOCK_VERSION}; read as version {NEWEST_LOCK_VERSION}"
            ));
        }
        Ok(AnalysisOutput {
            packages: lock
                .package
                .into_iter()
                .map(|p| Package::new(Ecosystem::Cargo, p.name, p.version, file.path, NAME))
                .collect(),
            warnings,
            ..AnalysisOutput::default()
        })
    }
}
