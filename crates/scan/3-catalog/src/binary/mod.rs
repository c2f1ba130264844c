//! Analyzers of compiled artifacts: Java archives, Go build info, cargo-auditable, and
//! programs recognised by their version banners.

pub mod cargo_auditable;
pub mod classifier;
mod executable;
pub mod go_buildinfo;
pub mod java_archive;
pub mod java_licenses;

use crate::Analyzer;

pub use cargo_auditable::RustAuditableAnalyzer;
pub use classifier::BinaryClassifierAnalyzer;
pub use go_buildinfo::GoBinaryAnalyzer;
pub use java_archive::JavaArchiveAnalyzer;

/// Every binary analyzer, in the order they are listed to users.
pub fn analyzers() -> Vec<Box<dyn Analyzer>> {
    vec![
        Box::new(JavaArchiveAnalyzer),
        Box::new(GoBinaryAnalyzer),
        Box::new(RustAuditableAnalyzer),
        Box::new(BinaryClassifierAnalyzer),
    ]
}
