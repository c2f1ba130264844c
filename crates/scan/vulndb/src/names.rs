//! Package-name normalisation per ecosystem, so that lookups find advisories whatever
//! spelling the inventory and the feed use.

/// The ecosystem without its release suffix: `Debian:12` -> `Debian`.
pub fn ecosystem_base(ecosystem: &str) -> &str {
    ecosystem.split(':').next().unwrap_or(ecosystem)
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
        "PyPI" => pep503(name),
        "NuGet" | "Packagist" | "crates.io" | "Hackage" => name.to_ascii_lowercase(),
        _ => name.to_owned(),
    }
}

fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator_run {
                out.push('-');
            }
            in_separator_run = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_separator_run = false;
        }
    }
    out
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
}
