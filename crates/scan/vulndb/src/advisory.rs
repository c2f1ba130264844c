//! The domain advisory every feed is converted into, and what the database stores.

use std::fmt;

use kabuto_types::VulnId;

use crate::enrich::CveContext;
use crate::namespace::AdvisoryNamespace;
use serde::{Deserialize, Serialize};

/// One advisory record: OSV-shaped, validated, with version ranges already turned into intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    pub id: VulnId,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<VulnId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<VulnId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severities: Vec<SeverityRating>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// The feed it came from (`osv`, `rubysec`, `friendsofphp`, `nodejs-security-wg`, `alpine-secdb`,
    /// `debian-tracker`).
    pub feed: String,
    pub affected: Vec<Affected>,
    /// NVD's vectors, EPSS and KEV for the CVE this advisory is about, attached at build time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<CveContext>,
}

/// A severity statement as the advisory makes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SeverityRating {
    /// A CVSS vector (`CVSS:3.1/AV:N/...`, or a bare v2 vector with `version: "2.0"`).
    Cvss { version: String, vector: String },
    /// A word from the database (`HIGH`, `Moderate`, Debian urgency `medium`), with who said it.
    Label { label: String, source: String },
}

/// The versions of one package the advisory covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    /// Where the advisory is filed (`PyPI`, `Debian:12`, `Alpine:v3.18`, `AlmaLinux:9`).
    pub ecosystem: AdvisoryNamespace,
    /// The package name as the advisory writes it.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Affected when inside any of these...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Interval>,
    /// ...or listed here exactly...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// ...unless inside one of these (patched/unaffected requirement lists of rubysec).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unaffected: Vec<Interval>,
    /// Fix versions stated outside `ranges` (lower ends of patched requirements).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_in: Vec<String>,
    /// A distribution's decision not to fix (`wont-fix`), when the feed states it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wont_fix: bool,
}

/// A contiguous version interval. `None` bounds are unbounded (OSV `introduced: 0`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<Bound>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<Bound>,
    /// True when the upper bound is a fix (OSV `fixed`, a patched requirement), so the upper
    /// version is a version to upgrade to; false for `last_affected`/`limit`/plain `<`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub upper_is_fix: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bound {
    pub version: String,
    pub inclusive: bool,
}

impl Interval {
    /// Every version.
    pub const ALL: Interval = Interval {
        lower: None,
        upper: None,
        upper_is_fix: false,
    };

    pub fn at_least(version: impl Into<String>) -> Interval {
        Interval {
            lower: Some(Bound::inclusive(version)),
            ..Interval::ALL
        }
    }

    /// `[introduced, fixed)`: the usual OSV pair.
    pub fn fixed_at(introduced: Option<String>, fixed: impl Into<String>) -> Interval {
        Interval {
            lower: introduced.map(Bound::inclusive),
            upper: Some(Bound::exclusive(fixed)),
            upper_is_fix: true,
        }
    }

    /// The fixed version this interval names, if its upper bound is a fix.
    pub fn fix(&self) -> Option<&str> {
        self.upper
            .as_ref()
            .filter(|_| self.upper_is_fix)
            .map(|b| b.version.as_str())
    }
}

impl Bound {
    pub fn inclusive(version: impl Into<String>) -> Bound {
        Bound {
            version: version.into(),
            inclusive: true,
        }
    }
    pub fn exclusive(version: impl Into<String>) -> Bound {
        Bound {
            version: version.into(),
            inclusive: false,
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.lower, &self.upper) {
            (None, None) => f.write_str("all versions"),
            (lower, upper) => {
                if let Some(l) = lower {
                    write!(f, "{} {}", if l.inclusive { ">=" } else { ">" }, l.version)?;
                }
                if lower.is_some() && upper.is_some() {
                    f.write_str(", ")?;
                }
                if let Some(u) = upper {
                    write!(f, "{} {}", if u.inclusive { "<=" } else { "<" }, u.version)?;
                }
                Ok(())
            }
        }
    }
}
