//! Version parsing and ordering for every ecosystem Kabuto matches.
//!
//! One [`Scheme`] per ordering rule set. [`compare`] is the single entry point matching code
//! needs; each scheme lives in its own module with its own tests.

use std::cmp::Ordering;

use kabuto_types::Ecosystem;

/// A version ordering rule set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Debian/Ubuntu `[epoch:]upstream[-revision]` (deb-version(7)).
    Dpkg,
    /// RPM `[epoch:]version-release` with rpmvercmp, tilde and caret.
    Rpm,
    /// Alpine apk-tools versions (`1.2.3_rc1-r0`).
    Apk,
    /// SemVer 2.0 (also npm and Cargo versions).
    Semver,
    /// PEP 440 (PyPI).
    Pep440,
    /// Maven ComparableVersion.
    Maven,
    /// Go module versions, `v` prefix and pseudo-versions.
    Go,
    /// RubyGems `Gem::Version`.
    RubyGems,
    /// NuGet (SemVer with 4-part legacy versions).
    NuGet,
    /// Composer / Packagist.
    Composer,
}

impl Scheme {
    pub fn for_ecosystem(ecosystem: Ecosystem) -> Scheme {
        match ecosystem {
            Ecosystem::Deb => Scheme::Dpkg,
            Ecosystem::Rpm => Scheme::Rpm,
            Ecosystem::Apk => Scheme::Apk,
            Ecosystem::PyPi => Scheme::Pep440,
            Ecosystem::Npm | Ecosystem::Cargo => Scheme::Semver,
            Ecosystem::Go => Scheme::Go,
            Ecosystem::Maven => Scheme::Maven,
            Ecosystem::Gem => Scheme::RubyGems,
            Ecosystem::Composer => Scheme::Composer,
            Ecosystem::NuGet => Scheme::NuGet,
        }
    }
}

/// A version string that the scheme cannot read.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("invalid {scheme:?} version `{version}`: {reason}")]
pub struct VersionError {
    pub scheme: Scheme,
    pub version: String,
    pub reason: String,
}

/// Orders two versions under `scheme`.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    let _ = (scheme, a, b);
    Err(VersionError {
        scheme,
        version: a.to_owned(),
        reason: "not implemented yet".to_owned(),
    })
}
