//! Analyzers of compiled artifacts: Go build info, cargo-auditable, Java archives.

use crate::Analyzer;

/// Every binary analyzer, in the order they are listed to users.
pub fn analyzers() -> Vec<Box<dyn Analyzer>> {
    vec![]
}
