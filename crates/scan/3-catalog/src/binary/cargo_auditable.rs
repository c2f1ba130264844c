//! Rust binaries built with `cargo auditable`: the `.dep-v0` section holds zlib-compressed
//! JSON listing every crate compiled in (`{"packages":[{"name","version","source","kind",
//! "dependencies","root"}]}`).

use std::io::Read;

use kabuto_types::{Ecosystem, Package};
use serde::Deserialize;

use super::executable;
use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::{AnalysisOutput, AnalyzeError, Evidence, FileInput};

/// The same cap `auditable-info` applies by default: real dependency lists are a few KiB.
const MAX_JSON: u64 = 8 * 1024 * 1024;

#[derive(Debug, Deserialize)]
struct VersionInfo {
    packages: Vec<AuditedPackage>,
}

#[derive(Debug, Deserialize)]
struct AuditedPackage {
    name: String,
    version: String,
    #[serde(default)]
    kind: DependencyKind,
}

#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum DependencyKind {
    /// Build scripts and proc macros: ran at build time, not in the binary.
    Build,
    #[default]
    Runtime,
}

/// The crates compiled into a cargo-auditable binary: `Ok(None)` when the file is not an
/// executable or carries no `.dep-v0` section.
pub fn read_audit_data(content: &[u8]) -> Result<Option<Vec<(String, String)>>, AnalyzeError> {
    if !executable::has_executable_magic(content) {
        return Ok(None);
    }
    let file = executable::parse(content)?;
    let Some(compressed) = executable::section_data(&file, &[".dep-v0"]) else {
        return Ok(None);
    };
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| AnalyzeError::malformed(format!(".dep-v0 section is not valid zlib: {e}")))?;
    if json.len() as u64 > MAX_JSON {
        return Err(AnalyzeError::malformed(format!(
            ".dep-v0 section inflates past {MAX_JSON} bytes"
        )));
    }
    let info: VersionInfo = serde_json::from_slice(&json)
        .map_err(|e| AnalyzeError::malformed(format!(".dep-v0 JSON: {e}")))?;
    Ok(Some(
        info.packages
            .into_iter()
            .filter(|p| p.kind == DependencyKind::Runtime)
            .map(|p| (p.name, p.version))
            .collect(),
    ))
}

/// Reports the runtime crates of binaries built with `cargo auditable`.
pub struct RustAuditableAnalyzer;

const NAME: &str = "rust-binary";

impl FileAnalyzer for RustAuditableAnalyzer {
    const SPEC: Spec = Spec {
        name: NAME,
        version: 1,
        evidence: Evidence::Installed,
        wants: Wants::Executable,
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let crates = read_audit_data(file.content)?.unwrap_or_default();
        Ok(AnalysisOutput {
            packages: crates
                .into_iter()
                .map(|(name, version)| {
                    Package::new(Ecosystem::Cargo, name, version, file.path, NAME)
                })
                .collect(),
            ..AnalysisOutput::default()
        })
    }
}
