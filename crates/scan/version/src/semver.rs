//! SemVer 2.0.0 (npm, Cargo, and the base of [`crate::go`] and [`crate::nuget`]).
//!
//! Precedence: numeric core, then a pre-release sorts before the release; pre-release
//! identifiers compare numerically when both are numeric, numeric before alphanumeric,
//! otherwise in ASCII order, and a shorter identifier list first. Build metadata (`+...`) is
//! ignored. Parsing is lenient the way npm's loose mode and Go are: a leading `v` or `=` is
//! accepted and missing minor/patch components count as `0`.

use std::cmp::Ordering;

use crate::num::cmp_digits;
use crate::{Scheme, VersionError};

/// Parsing and ordering options for the SemVer family.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Flavor {
    pub scheme: Scheme,
    /// Numeric core components allowed (3 for SemVer, 4 for NuGet).
    pub max_core: usize,
    /// NuGet compares pre-release labels case-insensitively.
    pub ignore_case: bool,
}

pub(crate) const SEMVER: Flavor = Flavor {
    scheme: Scheme::Semver,
    max_core: 3,
    ignore_case: false,
};

/// A parsed version borrowing digit runs and the pre-release from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SemverParts<'a> {
    /// Core components as digit strings; absent ones are `"0"`.
    pub core: [&'a str; 4],
    /// Dot-separated pre-release identifiers without the leading `-`; empty for a release.
    pub pre: &'a str,
    /// Build metadata without the leading `+`; empty when absent.
    pub build: &'a str,
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

pub(crate) fn parse_with(flavor: Flavor, version: &str) -> Result<SemverParts<'_>, VersionError> {
    let err = |reason: &str| VersionError::new(flavor.scheme, version, reason);
    let mut s = version.trim();
    s = s.strip_prefix('=').unwrap_or(s).trim_start();
    s = s
        .strip_prefix('v')
        .or_else(|| s.strip_prefix('V'))
        .unwrap_or(s);
    let (rest, build) = s.split_once('+').unwrap_or((s, ""));
    if !build.is_empty() && !build.split('.').all(is_identifier) || s.ends_with('+') {
        return Err(err("invalid build metadata"));
    }
    let (core_text, pre) = rest.split_once('-').unwrap_or((rest, ""));
    if rest.contains('-') && !pre.split('.').all(is_identifier) {
        return Err(err("invalid pre-release identifier"));
    }
    let mut core = ["0"; 4];
    for (index, part) in core_text.split('.').enumerate() {
        if index == flavor.max_core {
            return Err(err("too many numeric components"));
        }
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("numeric component expected"));
        }
        core[index] = part;
    }
    Ok(SemverParts { core, pre, build })
}

/// Parses a SemVer version (leniently, see the module docs).
pub fn parse(version: &str) -> Result<SemverParts<'_>, VersionError> {
    parse_with(SEMVER, version)
}

fn cmp_identifier(a: &str, b: &str, ignore_case: bool) -> Ordering {
    let numeric = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    match (numeric(a), numeric(b)) {
        (true, true) => cmp_digits(a.as_bytes(), b.as_bytes()),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) if ignore_case => a
            .bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase())),
        (false, false) => a.cmp(b),
    }
}

/// Orders two pre-release strings (empty = release, which sorts last).
pub(crate) fn cmp_pre(a: &str, b: &str, ignore_case: bool) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    let (mut ia, mut ib) = (a.split('.'), b.split('.'));
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ord = cmp_identifier(x, y, ignore_case);
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

pub(crate) fn cmp_parts(a: &SemverParts<'_>, b: &SemverParts<'_>, ignore_case: bool) -> Ordering {
    a.core
        .iter()
        .zip(b.core.iter())
        .map(|(x, y)| cmp_digits(x.as_bytes(), y.as_bytes()))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
        .then_with(|| cmp_pre(a.pre, b.pre, ignore_case))
}

pub(crate) fn compare_with(flavor: Flavor, a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (pa, pb) = (parse_with(flavor, a)?, parse_with(flavor, b)?);
    Ok(cmp_parts(&pa, &pb, flavor.ignore_case))
}

pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    compare_with(SEMVER, a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).expect("valid semver")
    }

    #[test]
    fn spec_precedence_example() {
        let ascending = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
        ];
        for pair in ascending.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
        }
    }

    #[test]
    fn build_metadata_and_prefixes_are_ignored() {
        assert_eq!(cmp("1.0.0+build.5", "1.0.0+other"), Ordering::Equal);
        assert_eq!(cmp("v1.2.3", "1.2.3"), Ordering::Equal);
        assert_eq!(cmp("=1.2.3", "1.2.3"), Ordering::Equal);
        assert_eq!(cmp("1.2", "1.2.0"), Ordering::Equal);
        assert_eq!(cmp("1.0.0-Alpha", "1.0.0-alpha"), Ordering::Less);
    }

    #[test]
    fn malformed_versions_are_errors() {
        for bad in [
            "",
            "1.2.3.4",
            "1.x",
            "1.2.3-",
            "1.2.3+",
            "1..2",
            "1.2.3-a..b",
        ] {
            assert!(compare(bad, "1.0.0").is_err(), "{bad}");
        }
    }
}
