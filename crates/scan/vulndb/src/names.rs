//! Package-name normalisation per ecosystem, so that lookups find advisories whatever
//! spelling the inventory and the feed use.

/// The ecosystem without its release suffix: `Debian:12` -> `Debian`.
pub fn ecosystem_base(ecosystem: &str) -> &str {
    ecosystem.split(':').next().unwrap_or(ecosystem)
}

/// The ecosystem a record is indexed under. Red Hat's OSV ecosystems are CPE-like product
/// streams (`Red Hat:enterprise_linux:9::appstream`, `Red Hat:enterprise_linux:9::baseos`);
/// the main streams of one major release become `Red Hat:9`, which a RHEL 9 image looks up.
/// Extended-support streams (`rhel_eus`, `rhel_aus`...) stay as written.
pub fn canonical_ecosystem(ecosystem: &str) -> std::borrow::Cow<'_, str> {
    let release = ecosystem
        .strip_prefix("Red Hat:enterprise_linux:")
        .map(|rest| rest.split(':').next().unwrap_or(rest))
        .filter(|major| !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()));
    match release {
        Some(major) => format!("Red Hat:{major}").into(),
        None => ecosystem.into(),
    }
}

/// The name the database indexes a package under.
///
/// PyPI: PEP 503 (lowercase, runs of `-_.` become `-`). Case-insensitive registries
/// (NuGet, Packagist, crates.io, Hackage, CRAN is case-sensitive and stays as is): lowercase.
/// Everything else (npm, Go module paths, Maven `group:artifact`, RubyGems, OS packages) is
/// compared exactly.
pub fn normalize(ecosystem: &str, name: &str) -> String {
    let name = name.trim();
    match ecosystem_base(ecosystem) {
        "PyPI" => kabuto_types::pep503_normalize(name),
        "NuGet" | "Packagist" | "crates.io" | "Hackage" => name.to_ascii_lowercase(),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_per_ecosystem() {
        assert_eq!(normalize("PyPI", "Foo__Bar.baz"), "foo-bar-baz");
        assert_eq!(normalize("NuGet", "Newtonsoft.Json"), "newtonsoft.json");
        assert_eq!(normalize("Packagist", "Symfony/Symfony"), "symfony/symfony");
        assert_eq!(
            normalize("Go", "github.com/BurntSushi/toml"),
            "github.com/BurntSushi/toml"
        );
        assert_eq!(normalize("Debian:12", "libssl3"), "libssl3");
        assert_eq!(ecosystem_base("Alpine:v3.18"), "Alpine");
    }

    #[test]
    fn red_hat_main_streams_become_the_major_release() {
        assert_eq!(
            canonical_ecosystem("Red Hat:enterprise_linux:9::appstream"),
            "Red Hat:9"
        );
        assert_eq!(
            canonical_ecosystem("Red Hat:enterprise_linux:8"),
            "Red Hat:8"
        );
        assert_eq!(
            canonical_ecosystem("Red Hat:rhel_eus:9.2::baseos"),
            "Red Hat:rhel_eus:9.2::baseos"
        );
        assert_eq!(canonical_ecosystem("AlmaLinux:9"), "AlmaLinux:9");
    }
}
