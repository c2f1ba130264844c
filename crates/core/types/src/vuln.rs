use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::{Ecosystem, Location, Purl, Timestamp};

/// A vulnerability or advisory identifier as its database writes it (`CVE-2021-44228`,
/// `GHSA-jfh8-c2jp-5v3q`, `PYSEC-2018-28`, `ALSA-2024:8793`). Never empty, no whitespace.
/// Shared, not copied, when cloned: one id is repeated on every finding of every package it
/// affects.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String")]
pub struct VulnId(Arc<str>);

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("invalid vulnerability id `{0}`: must be non-empty and contain no whitespace")]
pub struct VulnIdError(pub String);

/// The database an identifier belongs to, read from its prefix.
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
pub enum VulnIdKind {
    Cve,
    Ghsa,
    Pysec,
    Rustsec,
    /// The Go vulnerability database (`GO-2024-1234`).
    Go,
    /// Debian security advisory.
    Dsa,
    /// Debian LTS advisory.
    Dla,
    /// AlmaLinux errata (`ALSA`, `ALBA`, `ALEA`).
    Alsa,
    /// Rocky Linux errata.
    Rlsa,
    /// Red Hat errata.
    Rhsa,
    /// Ubuntu security notice or Ubuntu CVE record.
    Ubuntu,
    Bitnami,
    /// Python Software Foundation (CPython) advisories.
    Psf,
    /// R consortium advisories.
    Rsec,
    /// Haskell security advisories.
    Hsec,
    /// Anything else (feed-local ids such as `NSWG-368` or `DEBCL-CVE-…`).
    Other,
}

impl VulnId {
    pub fn new(id: impl Into<String>) -> Result<Self, VulnIdError> {
        let id = id.into();
        if id.is_empty() || id.chars().any(char::is_whitespace) {
            return Err(VulnIdError(id));
        }
        Ok(VulnId(id.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> VulnIdKind {
        let prefix = self.0.split(['-', ':']).next().unwrap_or_default();
        match prefix.to_ascii_uppercase().as_str() {
            "CVE" => VulnIdKind::Cve,
            "GHSA" => VulnIdKind::Ghsa,
            "PYSEC" => VulnIdKind::Pysec,
            "RUSTSEC" => VulnIdKind::Rustsec,
            "GO" => VulnIdKind::Go,
            "DSA" => VulnIdKind::Dsa,
            "DLA" => VulnIdKind::Dla,
            "ALSA" | "ALBA" | "ALEA" => VulnIdKind::Alsa,
            "RLSA" | "RXSA" => VulnIdKind::Rlsa,
            "RHSA" | "RHBA" | "RHEA" => VulnIdKind::Rhsa,
            "USN" | "UBUNTU" | "LSN" => VulnIdKind::Ubuntu,
            "BIT" => VulnIdKind::Bitnami,
            "PSF" => VulnIdKind::Psf,
            "RSEC" => VulnIdKind::Rsec,
            "HSEC" => VulnIdKind::Hsec,
            _ => VulnIdKind::Other,
        }
    }
}

impl fmt::Display for VulnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for VulnId {
    type Err = VulnIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VulnId::new(s)
    }
}

impl TryFrom<String> for VulnId {
    type Error = VulnIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        VulnId::new(s)
    }
}

impl From<VulnId> for String {
    fn from(id: VulnId) -> Self {
        id.0.to_string()
    }
}

/// Qualitative severity, ordered from least to most severe.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
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
pub enum Severity {
    #[default]
    Unknown,
    /// Nothing to fix (CVSS 0.0, Debian "unimportant").
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The CVSS v3/v4 qualitative rating of a base score.
    pub fn from_cvss_score(score: f64) -> Severity {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::None,
        }
    }

    /// Reads the words databases use (`HIGH`, `Moderate`, `important`, `negligible`...).
    pub fn from_label(label: &str) -> Option<Severity> {
        Some(match label.trim().to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "high" | "important" => Severity::High,
            "medium" | "moderate" => Severity::Medium,
            "low" | "negligible" => Severity::Low,
            "none" | "unimportant" => Severity::None,
            "unknown" => Severity::Unknown,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::None => "none",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One CVSS vector with the base score computed from it (None when the version is not scored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Cvss {
    /// `2.0`, `3.0`, `3.1` or `4.0`.
    pub version: String,
    pub vector: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Which record the vector came from.
    pub source: VulnId,
}

/// FIRST's Exploit Prediction Scoring System for one CVE: the probability of exploitation
/// activity in the next 30 days, and where that stands among all scored CVEs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Epss {
    /// 0.0 to 1.0.
    pub score: f64,
    /// 0.0 to 1.0: the share of scored CVEs with a lower or equal score.
    pub percentile: f64,
}

/// An entry of CISA's Known Exploited Vulnerabilities catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KnownExploited {
    /// When CISA added the CVE (`YYYY-MM-DD`).
    pub date_added: String,
    /// The remediation deadline CISA set for U.S. federal agencies (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// Whether CISA knows it to be used in ransomware campaigns.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ransomware: bool,
}

/// Whether a fixed version exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FixStatus {
    Fixed,
    NoFix,
    /// The distribution decided not to fix it in this release.
    WontFix,
}

/// Why a finding was reported: which advisory, which of its ranges, which comparison held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Explanation {
    pub advisory: VulnId,
    /// The database key the advisory was found under (`PyPI`, `Debian:12`...).
    pub ecosystem_key: String,
    /// The affected range as text, e.g. `>= 0, < 2.20.0` or `versions: [1.0, 1.1]`.
    pub affected_range: String,
    /// The comparison that matched, e.g. `2.19.1 < 2.20.0 (fixed)`.
    pub comparison: String,
}

/// One vulnerability affecting one package. Aliases of the same problem are merged into one
/// finding; `explanations` holds one entry per advisory record that matched. The advisory's
/// text, vectors and explanations are shared (`Arc`) by the findings of every package they
/// affect: an old library at 2,000 paths is one record, not 2,000 copies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    /// The preferred id (a CVE when one exists).
    pub id: VulnId,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<VulnId>,
    /// Other vulnerabilities the advisory names (errata fix lists), not the same problem.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<VulnId>,
    pub package_name: String,
    pub package_purl: Purl,
    pub ecosystem: Ecosystem,
    /// The installed version that was compared (the source version for OS packages when known).
    pub installed_version: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_versions: Vec<String>,
    pub status: FixStatus,
    pub severity: Severity,
    /// Where the severity came from, e.g. `CVSS:3.1 base score 9.8 (GHSA-...)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_source: Option<String>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub cvss: Arc<[Cvss]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub references: Arc<[String]>,
    /// RFC 3339 timestamps as the advisory states them.
    // (or bare dates; text that is not a timestamp is dropped when read)
    #[serde(
        default,
        deserialize_with = "Timestamp::lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub published: Option<Timestamp>,
    #[serde(
        default,
        deserialize_with = "Timestamp::lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub modified: Option<Timestamp>,
    pub locations: Vec<Location>,
    pub explanations: Arc<[Explanation]>,
    /// Each source's own rating (`nvd`, `ghsa`, `debian`...), as Trivy's `VendorSeverity`:
    /// `severity` is one of them, chosen as `severity_source` says.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vendor_severity: BTreeMap<String, Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<Epss>,
    /// Listed in CISA's Known Exploited Vulnerabilities catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev: Option<KnownExploited>,
}

fn is_empty<T>(items: &Arc<[T]>) -> bool {
    items.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_kinds_come_from_prefixes() {
        let cases = [
            ("CVE-2018-18074", VulnIdKind::Cve),
            ("GHSA-x84v-xcm2-53pg", VulnIdKind::Ghsa),
            ("PYSEC-2018-28", VulnIdKind::Pysec),
            ("ALSA-2024:8793", VulnIdKind::Alsa),
            ("GO-2024-3228", VulnIdKind::Go),
            ("DEBCL-CVE-2020-1", VulnIdKind::Other),
        ];
        for (id, kind) in cases {
            assert_eq!(VulnId::new(id).unwrap().kind(), kind, "{id}");
        }
        assert!(VulnId::new("").is_err());
        assert!(VulnId::new("CVE 1").is_err());
    }

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Unknown);
        assert_eq!(Severity::from_cvss_score(9.8), Severity::Critical);
        assert_eq!(Severity::from_cvss_score(4.0), Severity::Medium);
        assert_eq!(Severity::from_cvss_score(0.0), Severity::None);
        assert_eq!(Severity::from_label("Moderate"), Some(Severity::Medium));
        assert_eq!(Severity::from_label("what"), None);
    }
}
