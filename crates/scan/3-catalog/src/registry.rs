//! The explicit list of every analyzer Kabuto runs. Adding an analyzer means adding it to
//! its group's `analyzers()` function; there is no other registration.

use crate::Analyzer;

/// Every analyzer, OS first.
pub fn all() -> Vec<Box<dyn Analyzer>> {
    let mut list = crate::os::analyzers();
    list.extend(crate::lang::analyzers());
    list.extend(crate::binary::analyzers());
    list
}

/// The analyzers of a scan: those whose evidence [counts in images](Evidence::counts_in_images)
/// for images and root filesystems, every one for project directories (`include_declared`).
pub fn for_scan(include_declared: bool) -> Vec<Box<dyn Analyzer>> {
    all()
        .into_iter()
        .filter(|a| include_declared || a.evidence().counts_in_images())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use crate::Evidence;

    /// docs/evidence.md, analyzer by analyzer: a change here must change the table there.
    #[test]
    fn evidence_of_every_analyzer_is_the_documented_one() {
        let build_record = ["cargo-lock", "nuget-lock", "nuget-packages-config"];
        let declared = [
            "npm-package-lock",
            "yarn-lock",
            "pnpm-lock",
            "python-poetry-lock",
            "python-pipenv-lock",
            "python-uv-lock",
            "python-requirements",
            "php-composer-lock",
            "ruby-gemfile-lock",
            "go-mod",
        ];
        let actual: BTreeMap<&str, Evidence> = super::all()
            .iter()
            .map(|a| (a.name(), a.evidence()))
            .collect();
        for (name, evidence) in &actual {
            let documented = if build_record.contains(name) {
                Evidence::BuildRecord
            } else if declared.contains(name) {
                Evidence::Declared
            } else {
                Evidence::Installed
            };
            assert_eq!(*evidence, documented, "{name}");
        }
        let image: HashSet<&str> = super::for_scan(false).iter().map(|a| a.name()).collect();
        assert_eq!(image.len(), actual.len() - declared.len());
        assert!(build_record.iter().all(|n| image.contains(n)));
        assert_eq!(super::for_scan(true).len(), actual.len());
    }

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
