//! NuGet versions: up to four numeric components (`1.2.3.4`, missing ones are `0`, leading
//! zeros allowed) plus a SemVer 2.0 pre-release whose labels compare case-insensitively;
//! build metadata is ignored.

use std::cmp::Ordering;

use crate::semver::{Flavor, compare_with};
use crate::{Scheme, VersionError};

const NUGET: Flavor = Flavor {
    scheme: Scheme::NuGet,
    max_core: 4,
    ignore_case: true,
};

pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    compare_with(NUGET, a, b)
}

pub fn validate(version: &str) -> Result<(), VersionError> {
    crate::semver::parse_with(NUGET, version).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).expect("valid nuget versions")
    }

    #[test]
    fn four_part_and_padding() {
        assert_eq!(cmp("1.0", "1.0.0.0"), Ordering::Equal);
        assert_eq!(cmp("1.2.3.4", "1.2.3"), Ordering::Greater);
        assert_eq!(cmp("1.02.3", "1.2.3"), Ordering::Equal);
        assert!(compare("1.2.3.4.5", "1").is_err());
    }

    #[test]
    fn prerelease_labels_ignore_case() {
        assert_eq!(cmp("1.0.0-BETA", "1.0.0-beta"), Ordering::Equal);
        assert_eq!(cmp("1.0.0-alpha.10", "1.0.0-Alpha.9"), Ordering::Greater);
        assert_eq!(cmp("1.0.0-rc.1", "1.0.0"), Ordering::Less);
        assert_eq!(cmp("1.0.0+abc", "1.0.0"), Ordering::Equal);
    }
}
