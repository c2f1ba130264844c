//! Python: installed distributions (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, zipped
//! `*.egg`) and
//! project lockfiles (`requirements*.txt`, `poetry.lock`, `Pipfile.lock`, `uv.lock`).

pub mod egg;
pub mod lockfiles;
pub mod metadata;
pub mod requirements;

use crate::Analyzer;

pub use egg::PythonEggAnalyzer;
pub use lockfiles::{PipenvLockAnalyzer, PoetryLockAnalyzer, UvLockAnalyzer};
pub use metadata::PythonMetadataAnalyzer;
pub use requirements::RequirementsAnalyzer;

pub fn analyzers() -> Vec<Box<dyn Analyzer>> {
    vec![
        Box::new(PythonMetadataAnalyzer),
        Box::new(PythonEggAnalyzer),
        Box::new(RequirementsAnalyzer),
        Box::new(PoetryLockAnalyzer),
        Box::new(PipenvLockAnalyzer),
        Box::new(UvLockAnalyzer),
    ]
}
