//! Operating-system analyzers: release files and package databases (dpkg, apk, rpm).

use crate::Analyzer;

/// Every os analyzer, in the order they are listed to users.
pub fn analyzers() -> Vec<Box<dyn Analyzer>> {
    vec![]
}
