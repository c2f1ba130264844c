//! Zipped eggs (`site-packages/foo-1.0-py3.8.egg`): a zip archive whose
//! `EGG-INFO/PKG-INFO` is the distribution's core metadata. Unzipped eggs are directories
//! and are read by [`super::PythonMetadataAnalyzer`] like `*.egg-info`.

use std::io::{Cursor, Read};

use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::lang::ends_with_ignore_case;
use crate::lang::python::metadata::core_metadata_package;
use crate::{AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput};

/// The member holding the egg's metadata; nothing else in the archive is read.
const PKG_INFO: &str = "EGG-INFO/PKG-INFO";
/// Largest `PKG-INFO` inflated; real ones are a few KiB (the description included), so
/// anything larger is a zip bomb or not an egg.
const MAX_PKG_INFO: u64 = 1024 * 1024;

/// Installed Python distributions packed as `.egg` zip archives.
pub struct PythonEggAnalyzer;

impl FileAnalyzer for PythonEggAnalyzer {
    const SPEC: Spec = Spec {
        name: "python-egg",
        version: 1,
        evidence: Evidence::Installed,
        wants: Wants::Matching(|path, _| ends_with_ignore_case(path, ".egg")),
    };
    /// An egg without `EGG-INFO/PKG-INFO` describes no distribution: no packages, no error.
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let mut archive = zip::ZipArchive::new(Cursor::new(file.content))
            .map_err(|e| AnalyzeError::malformed(format!("not a readable zip archive: {e}")))?;
        let mut entry = match archive.by_name(PKG_INFO) {
            Ok(entry) => entry,
            Err(zip::result::ZipError::FileNotFound) => return Ok(AnalysisOutput::default()),
            Err(e) => return Err(AnalyzeError::malformed(format!("{PKG_INFO}: {e}"))),
        };
        let mut content = Vec::new();
        entry
            .by_ref()
            .take(MAX_PKG_INFO + 1)
            .read_to_end(&mut content)
            .map_err(|e| AnalyzeError::malformed(format!("{PKG_INFO}: {e}")))?;
        if content.len() as u64 > MAX_PKG_INFO {
            return Err(AnalyzeError::Unsupported(format!(
                "{PKG_INFO} inflates past {MAX_PKG_INFO} bytes (size limit)"
            )));
        }
        let package = core_metadata_package(&content, file.path, self.name())
            .map_err(|e| AnalyzeError::malformed(format!("{PKG_INFO}: {e}")))?;
        Ok(AnalysisOutput {
            packages: vec![package],
            ..AnalysisOutput::default()
        })
    }
}
