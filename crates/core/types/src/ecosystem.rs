use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The packaging ecosystem a package belongs to. It decides version semantics, name
/// normalisation and the purl type.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// Debian and Ubuntu binary packages (dpkg).
    Deb,
    /// Alpine and Wolfi packages (apk).
    Apk,
    /// RPM packages (RHEL family, Fedora, SUSE, Amazon Linux).
    Rpm,
    #[serde(rename = "pypi")]
    PyPi,
    Npm,
    Cargo,
    Go,
    Maven,
    /// RubyGems.
    Gem,
    /// PHP Composer / Packagist.
    Composer,
    NuGet,
    /// A program identified from its own bytes (e.g. a version banner in a static binary)
    /// rather than from package metadata. purl type `generic`, as Syft reports them.
    Binary,
}

impl Ecosystem {
    pub const ALL: [Ecosystem; 12] = [
        Ecosystem::Deb,
        Ecosystem::Apk,
        Ecosystem::Rpm,
        Ecosystem::PyPi,
        Ecosystem::Npm,
        Ecosystem::Cargo,
        Ecosystem::Go,
        Ecosystem::Maven,
        Ecosystem::Gem,
        Ecosystem::Composer,
        Ecosystem::NuGet,
        Ecosystem::Binary,
    ];

    /// The lowercase name used in Kabuto's JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::PyPi => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Go => "go",
            Ecosystem::Maven => "maven",
            Ecosystem::Gem => "gem",
            Ecosystem::Composer => "composer",
            Ecosystem::NuGet => "nuget",
            Ecosystem::Binary => "binary",
        }
    }

    /// The package-url type (<https://github.com/package-url/purl-spec>).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Go => "golang",
            Ecosystem::Binary => "generic",
            other => other.as_str(),
        }
    }

    /// True for packages managed by the operating system's package manager.
    pub fn is_os(self) -> bool {
        matches!(self, Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm)
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Ecosystem {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ecosystem::ALL
            .into_iter()
            .find(|e| e.as_str() == s || e.purl_type() == s)
            .ok_or_else(|| format!("unknown ecosystem `{s}`"))
    }
}
