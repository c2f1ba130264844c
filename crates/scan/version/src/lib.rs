//! Version parsing and ordering for every ecosystem Kabuto matches.
//!
//! One [`Scheme`] per ordering rule set. [`compare`] is the single entry point matching code
//! needs; each scheme lives in its own module with its own tests. [`requirement`] turns the
//! range languages of advisory feeds (npm, RubyGems, Composer, PEP 440, Maven, plain
//! comparator lists) into half-open [`Interval`]s.
//!
//! Comparison borrows from its inputs: the OS schemes, SemVer, Go, NuGet and PEP 440 compare
//! without allocating; Maven, RubyGems and Composer build a small token list. Every compare
//! stays well under a microsecond (`cargo bench -p kabuto-version --bench compare`).

use std::cmp::Ordering;

use kabuto_types::Ecosystem;

pub mod apk;
pub mod composer;
pub mod dpkg;
pub mod go;
pub mod maven;
pub mod nuget;
mod num;
pub mod pep440;
pub mod requirement;
pub mod rpm;
pub mod rubygems;
pub mod semver;

pub use requirement::{
    Bound, Interval, PrereleasePolicy, RangeSyntax, Requirement, RequirementError, contains,
    parse_requirement,
};

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
    /// Every scheme, for tests and tools that iterate over them.
    pub const ALL: [Scheme; 10] = [
        Scheme::Dpkg,
        Scheme::Rpm,
        Scheme::Apk,
        Scheme::Semver,
        Scheme::Pep440,
        Scheme::Maven,
        Scheme::Go,
        Scheme::RubyGems,
        Scheme::NuGet,
        Scheme::Composer,
    ];

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
            // Version banners of classified binaries are dotted numbers (busybox 1.35.0).
            Ecosystem::Binary => Scheme::Semver,
        }
    }

    /// The scheme for an OSV `affected[].package.ecosystem` value. Only the part before the
    /// first `:` counts (`Debian:12`, `Alpine:v3.18`, `Ubuntu:22.04:LTS`, `Red Hat:...`).
    ///
    /// | OSV ecosystems | scheme |
    /// |---|---|
    /// | Debian, Ubuntu | [`Scheme::Dpkg`] |
    /// | Alpine, Wolfi, Chainguard, MinimOS, Alpaquita, BellSoft Hardened Containers | [`Scheme::Apk`] |
    /// | AlmaLinux, Rocky Linux, Red Hat, openSUSE, SUSE, Mageia, openEuler, Photon OS, Azure Linux, Amazon Linux, Oracle Linux, Fedora, CBL-Mariner | [`Scheme::Rpm`] |
    /// | PyPI | [`Scheme::Pep440`] |
    /// | npm, crates.io, Bitnami, Hex, Pub, SwiftURL, Julia | [`Scheme::Semver`] |
    /// | Go | [`Scheme::Go`] |
    /// | Maven, and Hackage, GHC and CRAN (see below) | [`Scheme::Maven`] |
    /// | RubyGems | [`Scheme::RubyGems`] |
    /// | NuGet | [`Scheme::NuGet`] |
    /// | Packagist | [`Scheme::Composer`] |
    ///
    /// Hackage/GHC (PVP) and CRAN versions are dot/dash-separated numbers; Maven's order agrees
    /// with theirs except that Maven treats trailing zeros as insignificant (`1.0` == `1`,
    /// where PVP and R say `1.0` > `1`) and orders CRAN's `1.2-3` before `1.2.3` (R: equal).
    /// Kabuto catalogs no Haskell or R packages, so these only affect stored advisories.
    /// Ecosystems without a version order (`GIT`, `OSS-Fuzz`, `Linux`, `Android`, ...) give
    /// `None`: their ranges must be matched by other means.
    pub fn from_osv_ecosystem(ecosystem: &str) -> Option<Scheme> {
        let name = ecosystem.split(':').next().unwrap_or(ecosystem).trim();
        Some(match name {
            "Debian" | "Ubuntu" => Scheme::Dpkg,
            "Alpine"
            | "Wolfi"
            | "Chainguard"
            | "MinimOS"
            | "Alpaquita"
            | "BellSoft Hardened Containers" => Scheme::Apk,
            "AlmaLinux" | "Rocky Linux" | "Red Hat" | "openSUSE" | "SUSE" | "Mageia"
            | "openEuler" | "Photon OS" | "Azure Linux" | "Amazon Linux" | "Oracle Linux"
            | "Fedora" | "CBL-Mariner" => Scheme::Rpm,
            "PyPI" => Scheme::Pep440,
            "npm" | "crates.io" | "Bitnami" | "Hex" | "Pub" | "SwiftURL" | "Julia" => {
                Scheme::Semver
            }
            "Go" => Scheme::Go,
            "Maven" | "Hackage" | "GHC" | "CRAN" => Scheme::Maven,
            "RubyGems" => Scheme::RubyGems,
            "NuGet" => Scheme::NuGet,
            "Packagist" => Scheme::Composer,
            _ => return None,
        })
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

impl VersionError {
    pub fn new(scheme: Scheme, version: &str, reason: &str) -> Self {
        VersionError {
            scheme,
            version: version.to_owned(),
            reason: reason.to_owned(),
        }
    }
}

/// Orders two versions under `scheme`.
///
/// Errors name the version the scheme cannot read. dpkg, rpm and apk compare leniently like
/// their tools do (apk never fails); use [`validate`] for a strict syntax check.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    match scheme {
        Scheme::Dpkg => dpkg::compare(a, b),
        Scheme::Rpm => rpm::compare(a, b),
        Scheme::Apk => apk::compare(a, b),
        Scheme::Semver => semver::compare(a, b),
        Scheme::Pep440 => pep440::compare(a, b),
        Scheme::Maven => maven::compare(a, b),
        Scheme::Go => go::compare(a, b),
        Scheme::RubyGems => rubygems::compare(a, b),
        Scheme::NuGet => nuget::compare(a, b),
        Scheme::Composer => composer::compare(a, b),
    }
}

/// Checks that `version` is well-formed under `scheme`'s own syntax rules.
pub fn validate(scheme: Scheme, version: &str) -> Result<(), VersionError> {
    match scheme {
        Scheme::Dpkg => dpkg::validate(version),
        Scheme::Rpm => rpm::parse(version).map(|_| ()),
        Scheme::Apk => apk::validate(version),
        Scheme::Semver => semver::parse(version).map(|_| ()),
        Scheme::Pep440 => pep440::parse(version).map(|_| ()),
        Scheme::Maven => maven::parse(version).map(|_| ()),
        Scheme::Go => go::validate(version),
        Scheme::RubyGems => rubygems::validate(version),
        Scheme::NuGet => nuget::validate(version),
        Scheme::Composer => composer::normalize(version).map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osv_ecosystems_map_by_prefix() {
        for (name, scheme) in [
            ("Debian:12", Scheme::Dpkg),
            ("Ubuntu:22.04:LTS", Scheme::Dpkg),
            ("Alpine:v3.18", Scheme::Apk),
            ("Wolfi", Scheme::Apk),
            ("Chainguard", Scheme::Apk),
            ("AlmaLinux:9", Scheme::Rpm),
            ("Rocky Linux:9", Scheme::Rpm),
            ("Red Hat:enterprise_linux:9::appstream", Scheme::Rpm),
            ("PyPI", Scheme::Pep440),
            ("npm", Scheme::Semver),
            ("crates.io", Scheme::Semver),
            ("Bitnami", Scheme::Semver),
            ("Go", Scheme::Go),
            ("Maven", Scheme::Maven),
            ("Hackage", Scheme::Maven),
            ("CRAN", Scheme::Maven),
            ("RubyGems", Scheme::RubyGems),
            ("NuGet", Scheme::NuGet),
            ("Packagist", Scheme::Composer),
        ] {
            assert_eq!(Scheme::from_osv_ecosystem(name), Some(scheme), "{name}");
        }
        assert_eq!(Scheme::from_osv_ecosystem("GIT"), None);
        assert_eq!(Scheme::from_osv_ecosystem("debian"), None);
    }

    #[test]
    fn every_ecosystem_has_a_scheme_that_orders_its_versions() {
        for ecosystem in Ecosystem::ALL {
            let scheme = Scheme::for_ecosystem(ecosystem);
            assert_eq!(
                compare(scheme, "1.0", "1.1"),
                Ok(Ordering::Less),
                "{scheme:?}"
            );
        }
    }

    #[test]
    fn errors_name_scheme_and_version() {
        let err = compare(Scheme::Pep440, "french toast", "1.0").expect_err("invalid");
        assert_eq!(err.scheme, Scheme::Pep440);
        assert_eq!(err.version, "french toast");
        assert!(err.to_string().contains("french toast"));
    }
}
