//! Language-ecosystem analyzers: installed package metadata and project lockfiles.

use crate::Analyzer;

/// Every lang analyzer, in the order they are listed to users.
pub fn analyzers() -> Vec<Box<dyn Analyzer>> {
    vec![]
}
