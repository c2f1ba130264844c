//! Platforms (`os/arch[/variant]`) and choosing one manifest out of a multi-arch index.

use std::fmt;
use std::str::FromStr;

/// An OCI platform, normalised like containerd does (`aarch64` -> `arm64`, `x86_64` ->
/// `amd64`, arm64's default variant `v8`, arm's `v7`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid platform `{0}`: expected os/arch or os/arch/variant, e.g. linux/arm64/v8")]
pub struct PlatformError(pub String);

impl Platform {
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Self {
        let os = os.to_ascii_lowercase();
        let (architecture, implied_variant) = normalize_arch(&architecture.to_ascii_lowercase());
        let variant = variant
            .map(str::to_ascii_lowercase)
            .or_else(|| implied_variant.map(str::to_owned));
        Self {
            os,
            architecture,
            variant,
        }
    }

    /// Linux on the architecture this program was built for (what docker pulls by default).
    pub fn host() -> Self {
        Self::new("linux", std::env::consts::ARCH, None)
    }

    /// How well an index entry fits this platform: `None` if it does not, a higher number
    /// for an exact variant match than for an entry whose variant was left open.
    fn fit(&self, candidate: &Platform) -> Option<u8> {
        if self.os != candidate.os || self.architecture != candidate.architecture {
            return None;
        }
        let default_variant = default_variant(&self.architecture);
        let wanted = self.variant.as_deref().or(default_variant);
        let offered = candidate.variant.as_deref().or(default_variant);
        match (wanted, offered) {
            (Some(w), Some(o)) if w == o => Some(2),
            (Some(_), Some(_)) if self.variant.is_some() => None,
            // Requested no particular variant: any variant will do, default ones first.
            _ => Some(1),
        }
    }
}

/// Index of the entry of `candidates` that fits `wanted` best (the first among equals).
pub(crate) fn choose<'a>(
    wanted: &Platform,
    candidates: impl IntoIterator<Item = Option<&'a Platform>>,
) -> Option<usize> {
    let mut best: Option<(usize, u8)> = None;
    for (index, candidate) in candidates.into_iter().enumerate() {
        let Some(fit) = candidate.and_then(|c| wanted.fit(c)) else {
            continue;
        };
        if best.is_none_or(|(_, best_fit)| fit > best_fit) {
            best = Some((index, fit));
        }
    }
    best.map(|(index, _)| index)
}

fn normalize_arch(arch: &str) -> (String, Option<&'static str>) {
    match arch {
        "x86_64" | "x86-64" => ("amd64".into(), None),
        "aarch64" => ("arm64".into(), None),
        "armhf" => ("arm".into(), Some("v7")),
        "armel" => ("arm".into(), Some("v6")),
        "i386" | "i686" | "x86" => ("386".into(), None),
        "powerpc64" if cfg!(target_endian = "little") => ("ppc64le".into(), None),
        "loongarch64" => ("loong64".into(), None),
        other => (other.into(), None),
    }
}

fn default_variant(arch: &str) -> Option<&'static str> {
    match arch {
        "arm64" => Some("v8"),
        "arm" => Some("v7"),
        _ => None,
    }
}

impl FromStr for Platform {
    type Err = PlatformError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        let valid = parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        });
        match parts.as_slice() {
            [os, arch] if valid => Ok(Self::new(os, arch, None)),
            [os, arch, variant] if valid => Ok(Self::new(os, arch, Some(variant))),
            _ => Err(PlatformError(s.to_owned())),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_normalises() {
        assert_eq!(p("linux/amd64").to_string(), "linux/amd64");
        assert_eq!(p("linux/x86_64").to_string(), "linux/amd64");
        assert_eq!(p("Linux/AArch64").to_string(), "linux/arm64");
        assert_eq!(p("linux/arm/v6").to_string(), "linux/arm/v6");
        assert_eq!(p("linux/armhf").to_string(), "linux/arm/v7");
        for bad in [
            "linux",
            "linux/",
            "/amd64",
            "linux/amd64/v1/x",
            "linux/am d64",
            "",
        ] {
            assert!(bad.parse::<Platform>().is_err(), "{bad}");
        }
        assert_eq!(Platform::host().os, "linux");
    }

    #[test]
    fn chooses_best_entry() {
        let entries = [
            Some(p("linux/amd64")),
            None,
            Some(p("unknown/unknown")),
            Some(p("linux/arm/v6")),
            Some(p("linux/arm/v7")),
            Some(p("linux/arm64/v8")),
            Some(p("windows/amd64")),
        ];
        let pick = |wanted: &str| choose(&p(wanted), entries.iter().map(Option::as_ref));
        assert_eq!(pick("linux/amd64"), Some(0));
        assert_eq!(pick("linux/arm64"), Some(5));
        assert_eq!(pick("linux/arm64/v8"), Some(5));
        assert_eq!(pick("linux/arm"), Some(4), "arm defaults to v7");
        assert_eq!(pick("linux/arm/v6"), Some(3));
        assert_eq!(pick("windows/amd64"), Some(6));
        assert_eq!(pick("linux/s390x"), None);
        assert_eq!(pick("linux/arm64/v9"), None);
        // An entry without a variant fits arm64 and arm64/v8 alike.
        let plain = [Some(Platform::new("linux", "arm64", None))];
        assert_eq!(
            choose(&p("linux/arm64/v8"), plain.iter().map(Option::as_ref)),
            Some(0)
        );
    }
}
