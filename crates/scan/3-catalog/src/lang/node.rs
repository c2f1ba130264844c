//! placeholder

use crate::Analyzer;

pub fn analyzers() -> Vec<Box<dyn Analyzer>> {
    vec![]
}
