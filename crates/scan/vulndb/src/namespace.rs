//! The advisory namespace: the part of a database key that says whose advisories these are
//! (`PyPI`, `Debian:12`, `Alpine:v3.18`, `Red Hat:9`).
//!
//! The builder makes one from a feed's OSV `ecosystem` field ([`AdvisoryNamespace::from_osv`]),
//! the matcher from a package's ecosystem and the image's OS
//! ([`AdvisoryNamespace::for_package`]). Both write it with the one [`Display`](fmt::Display),
//! whose exact inverse is [`FromStr`], so the two sides cannot spell a key differently.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use kabuto_types::{Ecosystem, OsFamily, OsInfo};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An OSV ecosystem name: the text before the first `:` of an `ecosystem` field.
/// The names Kabuto looks up or normalises are variants; every other name is kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OsvEcosystem {
    PyPi,
    Npm,
    CratesIo,
    Go,
    Maven,
    RubyGems,
    Packagist,
    NuGet,
    /// Not an ecosystem Kabuto catalogs, but its names are case-insensitive.
    Hackage,
    Debian,
    Ubuntu,
    Alpine,
    AlmaLinux,
    RockyLinux,
    RedHat,
    /// Any other name (`Bitnami`, `CRAN`, `GIT`...), as the feed wrote it.
    Other(OtherEcosystem),
}

/// A name that is none of [`OsvEcosystem`]'s variants; only parsing makes one, so a known
/// name can never hide in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OtherEcosystem(String);

impl OtherEcosystem {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl OsvEcosystem {
    /// Every variant but `Other`.
    const NAMED: [OsvEcosystem; 15] = [
        OsvEcosystem::PyPi,
        OsvEcosystem::Npm,
        OsvEcosystem::CratesIo,
        OsvEcosystem::Go,
        OsvEcosystem::Maven,
        OsvEcosystem::RubyGems,
        OsvEcosystem::Packagist,
        OsvEcosystem::NuGet,
        OsvEcosystem::Hackage,
        OsvEcosystem::Debian,
        OsvEcosystem::Ubuntu,
        OsvEcosystem::Alpine,
        OsvEcosystem::AlmaLinux,
        OsvEcosystem::RockyLinux,
        OsvEcosystem::RedHat,
    ];

    /// The name as OSV spells it.
    pub fn as_str(&self) -> &str {
        match self {
            OsvEcosystem::PyPi => "PyPI",
            OsvEcosystem::Npm => "npm",
            OsvEcosystem::CratesIo => "crates.io",
            OsvEcosystem::Go => "Go",
            OsvEcosystem::Maven => "Maven",
            OsvEcosystem::RubyGems => "RubyGems",
            OsvEcosystem::Packagist => "Packagist",
            OsvEcosystem::NuGet => "NuGet",
            OsvEcosystem::Hackage => "Hackage",
            OsvEcosystem::Debian => "Debian",
            OsvEcosystem::Ubuntu => "Ubuntu",
            OsvEcosystem::Alpine => "Alpine",
            OsvEcosystem::AlmaLinux => "AlmaLinux",
            OsvEcosystem::RockyLinux => "Rocky Linux",
            OsvEcosystem::RedHat => "Red Hat",
            OsvEcosystem::Other(other) => other.as_str(),
        }
    }

    /// The variant spelled exactly `name` (OSV names are case-sensitive), else `Other`.
    fn parse(name: &str) -> OsvEcosystem {
        OsvEcosystem::NAMED
            .into_iter()
            .find(|named| named.as_str() == name)
            .unwrap_or_else(|| OsvEcosystem::Other(OtherEcosystem(name.to_owned())))
    }

    /// The registry advisories of a language package are filed under; `None` for OS
    /// packages (they need the distribution release) and for binaries (no feed keys them).
    fn registry_of(ecosystem: Ecosystem) -> Option<OsvEcosystem> {
        Some(match ecosystem {
            Ecosystem::PyPi => OsvEcosystem::PyPi,
            Ecosystem::Npm => OsvEcosystem::Npm,
            Ecosystem::Cargo => OsvEcosystem::CratesIo,
            Ecosystem::Go => OsvEcosystem::Go,
            Ecosystem::Maven => OsvEcosystem::Maven,
            Ecosystem::Gem => OsvEcosystem::RubyGems,
            Ecosystem::Composer => OsvEcosystem::Packagist,
            Ecosystem::NuGet => OsvEcosystem::NuGet,
            Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm | Ecosystem::Binary => return None,
        })
    }
}

impl fmt::Display for OsvEcosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OSV ecosystem and, for distributions, the release after the first `:`
/// (`12`, `v3.18`, `22.04:LTS`), kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AdvisoryNamespace {
    ecosystem: OsvEcosystem,
    release: Option<String>,
}

impl AdvisoryNamespace {
    /// A distribution release (`Debian` + `12`, `Alpine` + `v3.18`).
    pub fn release(ecosystem: OsvEcosystem, release: impl Into<String>) -> Self {
        AdvisoryNamespace {
            ecosystem,
            release: Some(release.into()),
        }
    }

    pub fn ecosystem(&self) -> &OsvEcosystem {
        &self.ecosystem
    }

    /// The namespace a feed's OSV `ecosystem` field files its record under. Red Hat's
    /// ecosystems are CPE-like product streams (`Red Hat:enterprise_linux:9::appstream`,
    /// `...:9::baseos`); the main streams of one major release become `Red Hat:9`, which a
    /// RHEL 9 image looks up. Extended-support streams (`rhel_eus`, `rhel_aus`...) stay as written.
    pub fn from_osv(text: &str) -> Self {
        let mut namespace = AdvisoryNamespace::from(text);
        let major = match (&namespace.ecosystem, &namespace.release) {
            (OsvEcosystem::RedHat, Some(release)) => release
                .strip_prefix("enterprise_linux:")
                .and_then(|rest| rest.split(':').next())
                .filter(|major| !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()))
                .map(str::to_owned),
            _ => None,
        };
        if major.is_some() {
            namespace.release = major;
        }
        namespace
    }

    /// The namespaces a package is looked up in, most specific first: its registry for a
    /// language package; for an OS package, its distribution release as the feeds key it.
    /// Empty when no feed covers it (binaries, OS packages of other distributions, no OS).
    pub fn for_package(ecosystem: Ecosystem, os: Option<&OsInfo>) -> Vec<Self> {
        if let Some(registry) = OsvEcosystem::registry_of(ecosystem) {
            return vec![registry.into()];
        }
        let Some(os) = os else {
            return Vec::new();
        };
        let version = os.version.as_str();
        let release =
            |ecosystem, release: String| vec![AdvisoryNamespace::release(ecosystem, release)];
        match (ecosystem, os.family) {
            (Ecosystem::Deb, OsFamily::Debian | OsFamily::Distroless) => {
                release(OsvEcosystem::Debian, major(version).to_owned())
            }
            // Ubuntu's feed keys LTS releases `22.04:LTS` and the others `25.10`.
            (Ecosystem::Deb, OsFamily::Ubuntu) => vec![
                AdvisoryNamespace::release(OsvEcosystem::Ubuntu, format!("{version}:LTS")),
                AdvisoryNamespace::release(OsvEcosystem::Ubuntu, version),
            ],
            (Ecosystem::Apk, OsFamily::Alpine) => {
                release(OsvEcosystem::Alpine, format!("v{}", major_minor(version)))
            }
            (Ecosystem::Rpm, OsFamily::Alma) => {
                release(OsvEcosystem::AlmaLinux, major(version).to_owned())
            }
            (Ecosystem::Rpm, OsFamily::Rocky) => {
                release(OsvEcosystem::RockyLinux, major(version).to_owned())
            }
            // CentOS is a RHEL rebuild without errata of its own; Red Hat's apply to it.
            (Ecosystem::Rpm, OsFamily::Rhel | OsFamily::Centos) => {
                release(OsvEcosystem::RedHat, major(version).to_owned())
            }
            _ => Vec::new(),
        }
    }

    /// The name the database indexes a package under in this namespace.
    ///
    /// PyPI: PEP 503 (lowercase, runs of `-_.` become `-`). Case-insensitive registries
    /// (NuGet, Packagist, crates.io, Hackage; CRAN is case-sensitive and stays as is):
    /// lowercase. Everything else (npm, Go module paths, Maven `group:artifact`, RubyGems,
    /// OS packages) is compared exactly.
    pub fn normalize(&self, name: &str) -> String {
        let name = name.trim();
        match self.ecosystem {
            OsvEcosystem::PyPi => kabuto_types::pep503_normalize(name),
            OsvEcosystem::NuGet
            | OsvEcosystem::Packagist
            | OsvEcosystem::CratesIo
            | OsvEcosystem::Hackage => name.to_ascii_lowercase(),
            _ => name.to_owned(),
        }
    }
}

fn major(version: &str) -> &str {
    version.split(['.', '-']).next().unwrap_or(version)
}

fn major_minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

impl fmt::Display for AdvisoryNamespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.release {
            Some(release) => write!(f, "{}:{release}", self.ecosystem),
            None => write!(f, "{}", self.ecosystem),
        }
    }
}

/// The exact inverse of `Display`: any text parses, and displays back as written.
impl FromStr for AdvisoryNamespace {
    type Err = Infallible;

    fn from_str(text: &str) -> Result<Self, Infallible> {
        let (name, release) = split(text);
        Ok(AdvisoryNamespace {
            ecosystem: OsvEcosystem::parse(name),
            release: release.map(str::to_owned),
        })
    }
}

/// The ecosystem name and the release: the text before and after the first `:`.
fn split(text: &str) -> (&str, Option<&str>) {
    match text.split_once(':') {
        Some((name, release)) => (name, Some(release)),
        None => (text, None),
    }
}

/// Lookups accept the text too (`"PyPI"`, `&name`).
impl<T: AsRef<str> + ?Sized> From<&T> for AdvisoryNamespace {
    fn from(text: &T) -> Self {
        let Ok(namespace) = text.as_ref().parse();
        namespace
    }
}

/// A namespace without a release (`PyPI`, `Go`).
impl From<OsvEcosystem> for AdvisoryNamespace {
    fn from(ecosystem: OsvEcosystem) -> Self {
        AdvisoryNamespace {
            ecosystem,
            release: None,
        }
    }
}

impl From<&AdvisoryNamespace> for AdvisoryNamespace {
    fn from(namespace: &AdvisoryNamespace) -> Self {
        namespace.clone()
    }
}

impl PartialEq<&str> for AdvisoryNamespace {
    fn eq(&self, text: &&str) -> bool {
        let (name, release) = split(text);
        self.ecosystem.as_str() == name && self.release.as_deref() == release
    }
}

/// Stored as its text, so the database file holds the OSV ecosystem string.
impl Serialize for AdvisoryNamespace {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AdvisoryNamespace {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(AdvisoryNamespace::from(text.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(family: OsFamily, version: &str) -> OsInfo {
        OsInfo {
            family,
            version: version.to_owned(),
            pretty_name: None,
            codename: None,
        }
    }

    /// A release of every OS family, in the shape its os-release writes it.
    fn every_os() -> Vec<OsInfo> {
        OsFamily::ALL
            .into_iter()
            .map(|family| os(family, "12.5.1"))
            .collect()
    }

    #[test]
    fn text_round_trips_exactly() {
        for text in [
            "PyPI",
            "crates.io",
            "Debian:12",
            "Alpine:v3.18",
            "Ubuntu:Pro:22.04:LTS",
            "Red Hat:rhel_eus:9.2::baseos",
            "Bitnami",
            "PyPI ",
            "pypi",
            "Debian:",
            ":x",
            "",
        ] {
            let namespace: AdvisoryNamespace = text.parse().unwrap();
            assert_eq!(namespace.to_string(), text);
            assert_eq!(namespace, text);
        }
        assert_ne!(AdvisoryNamespace::from("Debian:12"), "Debian:12:");
        assert_eq!(
            AdvisoryNamespace::from("pypi").ecosystem().as_str(),
            "pypi",
            "names are case-sensitive, as in OSV"
        );
    }

    /// Whatever the matcher looks up, a feed writing that text is filed under the same key.
    #[test]
    fn every_namespace_the_matcher_asks_for_is_one_the_builder_files() {
        let mut asked = 0;
        for ecosystem in Ecosystem::ALL {
            for os in every_os() {
                for namespace in AdvisoryNamespace::for_package(ecosystem, Some(&os)) {
                    let text = namespace.to_string();
                    assert_eq!(AdvisoryNamespace::from_osv(&text), namespace, "{text}");
                    asked += 1;
                }
            }
        }
        // 8 registries for each of the 28 families, plus Debian, distroless, Ubuntu (two
        // keys), Alpine, AlmaLinux, Rocky, RHEL and CentOS.
        assert_eq!(asked, 8 * OsFamily::ALL.len() + 9);
    }

    /// Every namespace a feed of a supported ecosystem is filed under, some package asks for.
    #[test]
    fn every_namespace_the_builder_files_is_one_the_matcher_asks_for() {
        let cases = [
            ("PyPI", Ecosystem::PyPi, None),
            ("npm", Ecosystem::Npm, None),
            ("crates.io", Ecosystem::Cargo, None),
            ("Go", Ecosystem::Go, None),
            ("Maven", Ecosystem::Maven, None),
            ("RubyGems", Ecosystem::Gem, None),
            ("Packagist", Ecosystem::Composer, None),
            ("NuGet", Ecosystem::NuGet, None),
            (
                "Debian:12",
                Ecosystem::Deb,
                Some(os(OsFamily::Debian, "12.5")),
            ),
            (
                "Debian:12",
                Ecosystem::Deb,
                Some(os(OsFamily::Distroless, "12")),
            ),
            (
                "Ubuntu:22.04:LTS",
                Ecosystem::Deb,
                Some(os(OsFamily::Ubuntu, "22.04")),
            ),
            (
                "Ubuntu:25.10",
                Ecosystem::Deb,
                Some(os(OsFamily::Ubuntu, "25.10")),
            ),
            (
                "Alpine:v3.18",
                Ecosystem::Apk,
                Some(os(OsFamily::Alpine, "3.18.4")),
            ),
            (
                "AlmaLinux:9",
                Ecosystem::Rpm,
                Some(os(OsFamily::Alma, "9.4")),
            ),
            (
                "Rocky Linux:8",
                Ecosystem::Rpm,
                Some(os(OsFamily::Rocky, "8.10")),
            ),
            (
                "Red Hat:enterprise_linux:9::appstream",
                Ecosystem::Rpm,
                Some(os(OsFamily::Rhel, "9.3")),
            ),
            (
                "Red Hat:enterprise_linux:7",
                Ecosystem::Rpm,
                Some(os(OsFamily::Centos, "7.9.2009")),
            ),
        ];
        for (text, ecosystem, os) in cases {
            let filed = AdvisoryNamespace::from_osv(text);
            let asked = AdvisoryNamespace::for_package(ecosystem, os.as_ref());
            assert!(asked.contains(&filed), "{text}: asked {asked:?}");
        }
        // The feeds that are not OSV build theirs from parts.
        let tracker = AdvisoryNamespace::release(OsvEcosystem::Debian, "12");
        let debian =
            AdvisoryNamespace::for_package(Ecosystem::Deb, Some(&os(OsFamily::Debian, "12.5")));
        assert_eq!(debian, [tracker]);
        let secdb = AdvisoryNamespace::release(OsvEcosystem::Alpine, "v3.10");
        let alpine =
            AdvisoryNamespace::for_package(Ecosystem::Apk, Some(&os(OsFamily::Alpine, "3.10.9")));
        assert_eq!(alpine, [secdb]);
    }

    #[test]
    fn no_lookup_without_a_feed() {
        assert!(AdvisoryNamespace::for_package(Ecosystem::Binary, None).is_empty());
        assert!(AdvisoryNamespace::for_package(Ecosystem::Deb, None).is_empty());
        let wolfi = os(OsFamily::Wolfi, "20230201");
        assert!(AdvisoryNamespace::for_package(Ecosystem::Apk, Some(&wolfi)).is_empty());
        let fedora = os(OsFamily::Fedora, "40");
        assert!(AdvisoryNamespace::for_package(Ecosystem::Rpm, Some(&fedora)).is_empty());
    }

    #[test]
    fn normalises_per_ecosystem() {
        let normalize =
            |ecosystem: &str, name: &str| AdvisoryNamespace::from(ecosystem).normalize(name);
        assert_eq!(normalize("PyPI", "Foo__Bar.baz"), "foo-bar-baz");
        assert_eq!(normalize("NuGet", "Newtonsoft.Json"), "newtonsoft.json");
        assert_eq!(normalize("Packagist", "Symfony/Symfony"), "symfony/symfony");
        assert_eq!(
            normalize("Go", "github.com/BurntSushi/toml"),
            "github.com/BurntSushi/toml"
        );
        assert_eq!(normalize("Debian:12", "libssl3"), "libssl3");
        assert_eq!(
            AdvisoryNamespace::from("Alpine:v3.18").ecosystem(),
            &OsvEcosystem::Alpine
        );
    }

    #[test]
    fn red_hat_main_streams_become_the_major_release() {
        let canonical = |text: &str| AdvisoryNamespace::from_osv(text).to_string();
        assert_eq!(
            canonical("Red Hat:enterprise_linux:9::appstream"),
            "Red Hat:9"
        );
        assert_eq!(canonical("Red Hat:enterprise_linux:8"), "Red Hat:8");
        assert_eq!(
            canonical("Red Hat:rhel_eus:9.2::baseos"),
            "Red Hat:rhel_eus:9.2::baseos"
        );
        assert_eq!(
            canonical("Red Hat:enterprise_linux:"),
            "Red Hat:enterprise_linux:"
        );
        assert_eq!(canonical("AlmaLinux:9"), "AlmaLinux:9");
    }
}
