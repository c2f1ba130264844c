//! Go module versions (golang.org/x/mod/semver): SemVer with a `v` prefix. `+incompatible`
//! is build metadata and so ignored; pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`,
//! `v1.2.4-0.20191109021931-daa7c04131f5`) are pre-releases and order by their timestamp.
//! Like `go` itself, `v1` and `v1.2` are shorthands for `v1.0.0` and `v1.2.0`; the `v` is
//! optional here because advisory feeds often drop it.

use std::cmp::Ordering;

use crate::semver::{Flavor, compare_with};
use crate::{Scheme, VersionError};

const GO: Flavor = Flavor {
    scheme: Scheme::Go,
    max_core: 3,
    ignore_case: false,
};

pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    compare_with(GO, a, b)
}

pub fn validate(version: &str) -> Result<(), VersionError> {
    crate::semver::parse_with(GO, version).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).expect("valid go versions")
    }

    #[test]
    fn pseudo_versions_sort_before_their_base_release() {
        assert_eq!(
            cmp("v0.0.0-20191109021931-daa7c04131f5", "v0.0.1"),
            Ordering::Less
        );
        assert_eq!(
            cmp(
                "v1.2.4-0.20191109021931-daa7c04131f5",
                "v1.2.4-0.20200101000000-aaaaaaaaaaaa"
            ),
            Ordering::Less
        );
        assert_eq!(
            cmp("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.3"),
            Ordering::Greater
        );
    }

    #[test]
    fn incompatible_and_shorthands() {
        assert_eq!(cmp("v2.0.0+incompatible", "v2.0.0"), Ordering::Equal);
        assert_eq!(cmp("v2.1.0+incompatible", "v2.0.9"), Ordering::Greater);
        assert_eq!(cmp("v1", "v1.0.0"), Ordering::Equal);
        assert_eq!(cmp("1.2.3", "v1.2.3"), Ordering::Equal);
        assert!(compare("vx", "v1").is_err());
    }
}
