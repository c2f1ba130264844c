//! The explicit list of every analyzer Kabuto runs. Adding an analyzer means adding it to
//! its group's `analyzers()` function; there is no other registration.

use crate::{Analyzer, Evidence};

/// Every analyzer, OS first.
pub fn all() -> Vec<Box<dyn Analyzer>> {
    let mut list = crate::os::analyzers();
    list.extend(crate::lang::analyzers());
    list.extend(crate::binary::analyzers());
    list
}

/// The analyzers that apply when the evidence wanted is `installed only` (images, root
/// filesystems) or everything (project directories).
pub fn for_scan(include_declared: bool) -> Vec<Box<dyn Analyzer>> {
    all()
        .into_iter()
        .filter(|a| include_declared || a.evidence() == Evidence::Installed)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    #[test]
    fn analyzer_names_are_unique_and_kebab_case() {
        let mut seen = HashSet::new();
        for a in super::all() {
            assert!(
                seen.insert(a.name()),
                "duplicate analyzer name {}",
                a.name()
            );
            assert!(
                a.name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "analyzer name {} is not kebab-case",
                a.name()
            );
        }
    }
}
