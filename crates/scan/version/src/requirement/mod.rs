//! Version requirements of advisory feeds and package managers, turned into unions of
//! half-open [`Interval`]s that a vulnerability database can store as OSV-style ranges.
//!
//! A [`Requirement`] is an OR of intervals; each interval is the AND of the comparators of one
//! alternative. `!=` splits an interval in two. Bounds are stored as version strings of the
//! requirement's [`Scheme`] (some syntaxes synthesise bounds such as npm's `<2.0.0-0` or
//! Composer's `>=1.0.0.0-dev`, exactly as the package managers desugar them).
//!
//! [`Requirement::contains`] answers with the syntax's own semantics; the intervals alone
//! have plain ordering semantics. The two differ only for npm, whose pre-release rule
//! ([`PrereleasePolicy::NodeSemver`]) cannot be expressed as intervals.

use std::cmp::Ordering;

use crate::{Scheme, VersionError, compare};

mod composer;
mod maven;
mod npm;
mod pep440;
mod rubygems;

/// One end of an interval.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bound {
    pub version: String,
    pub inclusive: bool,
}

/// A contiguous set of versions; a missing bound is unbounded on that side.
///
/// As OSV events: an inclusive lower bound is `introduced`, no lower bound `introduced: "0"`,
/// an exclusive upper bound `fixed` and an inclusive one `last_affected`. An exclusive lower
/// bound (`>V`, rare in advisories) has no OSV event; keep it as an interval.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Interval {
    pub lower: Option<Bound>,
    pub upper: Option<Bound>,
}

impl Interval {
    /// Every version.
    pub fn all() -> Self {
        Interval::default()
    }

    pub fn exactly(version: impl Into<String>) -> Self {
        let version = version.into();
        Interval {
            lower: Some(Bound {
                version: version.clone(),
                inclusive: true,
            }),
            upper: Some(Bound {
                version,
                inclusive: true,
            }),
        }
    }

    pub fn from_lower(version: impl Into<String>, inclusive: bool) -> Self {
        Interval {
            lower: Some(Bound {
                version: version.into(),
                inclusive,
            }),
            upper: None,
        }
    }

    pub fn from_upper(version: impl Into<String>, inclusive: bool) -> Self {
        Interval {
            lower: None,
            upper: Some(Bound {
                version: version.into(),
                inclusive,
            }),
        }
    }

    /// `[lower, upper)`, the usual introduced/fixed pair.
    pub fn half_open(lower: impl Into<String>, upper: impl Into<String>) -> Self {
        Interval {
            lower: Some(Bound {
                version: lower.into(),
                inclusive: true,
            }),
            upper: Some(Bound {
                version: upper.into(),
                inclusive: false,
            }),
        }
    }

    /// Whether `version` lies inside, by plain `scheme` ordering.
    pub fn contains(&self, scheme: Scheme, version: &str) -> Result<bool, VersionError> {
        if let Some(lower) = &self.lower {
            let ord = compare_to_bound(scheme, version, &lower.version)?;
            if ord == Ordering::Less || (ord == Ordering::Equal && !lower.inclusive) {
                return Ok(false);
            }
        }
        if let Some(upper) = &self.upper {
            let ord = compare_to_bound(scheme, version, &upper.version)?;
            if ord == Ordering::Greater || (ord == Ordering::Equal && !upper.inclusive) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// Orders a candidate against a bound. PEP 440 ignores the candidate's local label when the
/// bound has none (`1.0+ubuntu1` matches `==1.0` and `<=1.0`, not `>1.0`).
fn compare_to_bound(scheme: Scheme, version: &str, bound: &str) -> Result<Ordering, VersionError> {
    if scheme == Scheme::Pep440 {
        let (v, b) = (crate::pep440::parse(version)?, crate::pep440::parse(bound)?);
        return Ok(if b.local.is_none() {
            crate::pep440::cmp_public(&v, &b)
        } else {
            crate::pep440::cmp_versions(&v, &b)
        });
    }
    compare(scheme, version, bound)
}

/// Which pre-release versions a requirement admits beyond plain ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PrereleasePolicy {
    /// Plain ordering: `1.0.0-rc.1` is inside `<1.0.0`.
    #[default]
    Ordered,
    /// node-semver without `includePrerelease`: a pre-release matches only an interval with
    /// a bound on the same `major.minor.patch` that is itself a pre-release.
    NodeSemver,
}

/// The range languages understood by [`parse_requirement`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RangeSyntax {
    /// node-semver ranges: `>=1.2.3 <2.0.0 || ^3.0.0`, `~1.2`, `1.x`, `1.2 - 2.3`, `*`.
    Npm,
    /// RubyGems requirements: `~> 1.2.3`, `>= 2.0, < 2.5`, `!= 2.1`.
    RubyGems,
    /// Composer constraints: `>=1.0,<1.5.2|>=2.0`, `^1.2`, `~1.2`, `1.0.*`, `1.0 - 2.0`.
    Composer,
    /// PEP 440 specifiers: `>=1.0,!=1.3.*,<2`, `~=1.4.5`, `==2.*` (and `||` alternatives).
    Pep440,
    /// Maven version ranges: `[1.0,2.0)`, `(,1.0],[1.2,)`, `[1.0]`; a bare version is a soft
    /// requirement and matches every version; comparator lists are also accepted.
    Maven,
    /// NuGet version ranges: Maven's bracket notation, but a bare version means `>=`.
    NuGet,
    /// Comparator lists as GitHub advisories and Trivy write them for every ecosystem:
    /// `>= 1.0, < 2.0 || = 3.0`; a bare version means `=`.
    Comparators,
}

impl RangeSyntax {
    /// The package manager's own requirement language for `scheme`.
    pub fn for_scheme(scheme: Scheme) -> RangeSyntax {
        match scheme {
            Scheme::Semver => RangeSyntax::Npm,
            Scheme::Pep440 => RangeSyntax::Pep440,
            Scheme::Maven => RangeSyntax::Maven,
            Scheme::RubyGems => RangeSyntax::RubyGems,
            Scheme::NuGet => RangeSyntax::NuGet,
            Scheme::Composer => RangeSyntax::Composer,
            Scheme::Dpkg | Scheme::Rpm | Scheme::Apk | Scheme::Go => RangeSyntax::Comparators,
        }
    }
}

/// A requirement that cannot be read.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RequirementError {
    #[error("invalid {syntax:?} requirement `{text}`: {reason}")]
    Syntax {
        syntax: RangeSyntax,
        text: String,
        reason: String,
    },
    #[error("invalid version in requirement `{text}`: {source}")]
    Version {
        text: String,
        #[source]
        source: VersionError,
    },
}

/// A parsed requirement: a union of intervals under one scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub scheme: Scheme,
    /// Matching versions are those in any interval; empty matches nothing.
    pub intervals: Vec<Interval>,
    pub prerelease_policy: PrereleasePolicy,
}

impl Requirement {
    /// Whether `version` satisfies the requirement (with the syntax's pre-release rule).
    pub fn contains(&self, version: &str) -> Result<bool, VersionError> {
        let node_prerelease = match self.prerelease_policy {
            PrereleasePolicy::NodeSemver => {
                Some(crate::semver::parse(version)?).filter(|p| !p.pre.is_empty())
            }
            PrereleasePolicy::Ordered => None,
        };
        for interval in &self.intervals {
            if !interval.contains(self.scheme, version)? {
                continue;
            }
            let Some(candidate) = node_prerelease else {
                return Ok(true);
            };
            let same_tuple_prerelease = |bound: &Option<Bound>| {
                bound.as_ref().is_some_and(|b| {
                    crate::semver::parse(&b.version)
                        .is_ok_and(|p| !p.pre.is_empty() && same_core(&p, &candidate))
                })
            };
            if same_tuple_prerelease(&interval.lower) || same_tuple_prerelease(&interval.upper) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

fn same_core(a: &crate::semver::SemverParts<'_>, b: &crate::semver::SemverParts<'_>) -> bool {
    a.core
        .iter()
        .zip(b.core.iter())
        .all(|(x, y)| crate::num::cmp_digits(x.as_bytes(), y.as_bytes()) == Ordering::Equal)
}

/// Whether `version` lies in any of `intervals` under plain `scheme` ordering, the way OSV
/// ranges are evaluated (for a requirement's own semantics use [`Requirement::contains`]).
pub fn contains(
    scheme: Scheme,
    intervals: &[Interval],
    version: &str,
) -> Result<bool, VersionError> {
    for interval in intervals {
        if interval.contains(scheme, version)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Parses `text` written in `syntax`, ordering bounds with `scheme`.
pub fn parse_requirement(
    scheme: Scheme,
    syntax: RangeSyntax,
    text: &str,
) -> Result<Requirement, RequirementError> {
    let mut builder = Builder {
        scheme,
        syntax,
        text,
    };
    let intervals = match syntax {
        RangeSyntax::Npm => npm::parse(&mut builder)?,
        RangeSyntax::RubyGems => rubygems::parse(&mut builder)?,
        RangeSyntax::Composer => composer::parse(&mut builder)?,
        RangeSyntax::Pep440 => pep440::parse(&mut builder)?,
        RangeSyntax::Maven | RangeSyntax::NuGet => maven::parse(&mut builder)?,
        RangeSyntax::Comparators => builder
            .comparator_alternatives(text, |b, op, version| b.simple_comparator(op, version))?,
    };
    let prerelease_policy = if syntax == RangeSyntax::Npm {
        PrereleasePolicy::NodeSemver
    } else {
        PrereleasePolicy::Ordered
    };
    Ok(Requirement {
        scheme,
        intervals,
        prerelease_policy,
    })
}

/// Shared parsing state and helpers for the syntax modules.
pub(crate) struct Builder<'t> {
    pub scheme: Scheme,
    pub syntax: RangeSyntax,
    pub text: &'t str,
}

impl Builder<'_> {
    pub fn syntax_error(&self, reason: impl Into<String>) -> RequirementError {
        RequirementError::Syntax {
            syntax: self.syntax,
            text: self.text.to_owned(),
            reason: reason.into(),
        }
    }

    pub fn version_error(&self, source: VersionError) -> RequirementError {
        RequirementError::Version {
            text: self.text.to_owned(),
            source,
        }
    }

    /// Checks that a bound version is readable by the scheme.
    pub fn checked(&self, version: &str) -> Result<String, RequirementError> {
        compare(self.scheme, version, version).map_err(|e| self.version_error(e))?;
        Ok(version.to_owned())
    }

    fn cmp(&self, a: &str, b: &str) -> Result<Ordering, RequirementError> {
        compare(self.scheme, a, b).map_err(|e| self.version_error(e))
    }

    /// Intersection of two intervals, `None` when empty.
    pub fn intersect(
        &self,
        a: &Interval,
        b: &Interval,
    ) -> Result<Option<Interval>, RequirementError> {
        let lower = match (&a.lower, &b.lower) {
            (None, x) | (x, None) => x.clone(),
            (Some(x), Some(y)) => Some(match self.cmp(&x.version, &y.version)? {
                Ordering::Greater => x.clone(),
                Ordering::Less => y.clone(),
                Ordering::Equal => Bound {
                    version: x.version.clone(),
                    inclusive: x.inclusive && y.inclusive,
                },
            }),
        };
        let upper = match (&a.upper, &b.upper) {
            (None, x) | (x, None) => x.clone(),
            (Some(x), Some(y)) => Some(match self.cmp(&x.version, &y.version)? {
                Ordering::Less => x.clone(),
                Ordering::Greater => y.clone(),
                Ordering::Equal => Bound {
                    version: x.version.clone(),
                    inclusive: x.inclusive && y.inclusive,
                },
            }),
        };
        if let (Some(l), Some(u)) = (&lower, &upper) {
            match self.cmp(&l.version, &u.version)? {
                Ordering::Greater => return Ok(None),
                Ordering::Equal if !(l.inclusive && u.inclusive) => return Ok(None),
                _ => {}
            }
        }
        Ok(Some(Interval { lower, upper }))
    }

    /// ANDs a list of interval unions (each comparator gives one union).
    pub fn conjunction(
        &self,
        unions: Vec<Vec<Interval>>,
    ) -> Result<Vec<Interval>, RequirementError> {
        let mut acc = vec![Interval::all()];
        for union in unions {
            let mut next = Vec::with_capacity(acc.len() * union.len());
            for a in &acc {
                for b in &union {
                    if let Some(i) = self.intersect(a, b)? {
                        next.push(i);
                    }
                }
            }
            acc = next;
        }
        Ok(acc)
    }

    /// Splits `text` on `||`, then each alternative into `(operator, version)` clauses
    /// separated by commas or whitespace, and ORs the conjunctions that `clause` builds.
    pub fn comparator_alternatives<F>(
        &mut self,
        text: &str,
        mut clause: F,
    ) -> Result<Vec<Interval>, RequirementError>
    where
        F: FnMut(&mut Self, &str, &str) -> Result<Vec<Interval>, RequirementError>,
    {
        let mut out = Vec::new();
        for alternative in text.split("||") {
            let mut unions = Vec::new();
            for (op, version) in split_clauses(alternative).map_err(|r| self.syntax_error(r))? {
                unions.push(clause(self, op, version)?);
            }
            out.extend(self.conjunction(unions)?);
        }
        Ok(out)
    }

    /// `=`, `==`, `!=`, `<`, `<=`, `>`, `>=` or a bare version (exact); `*` is any version.
    pub fn simple_comparator(
        &self,
        op: &str,
        version: &str,
    ) -> Result<Vec<Interval>, RequirementError> {
        if version == "*" && op.is_empty() {
            return Ok(vec![Interval::all()]);
        }
        let v = self.checked(version)?;
        Ok(match op {
            "" | "=" | "==" => vec![Interval::exactly(v)],
            "!=" | "<>" => vec![
                Interval::from_upper(v.clone(), false),
                Interval::from_lower(v, false),
            ],
            "<" => vec![Interval::from_upper(v, false)],
            "<=" => vec![Interval::from_upper(v, true)],
            ">" => vec![Interval::from_lower(v, false)],
            ">=" => vec![Interval::from_lower(v, true)],
            other => return Err(self.syntax_error(format!("unknown operator `{other}`"))),
        })
    }
}

const OPERATOR_CHARS: &[u8] = b"<>=!~^";

/// Splits one alternative into `(operator, version)` pairs; whitespace between an operator
/// and its version is allowed (`>= 1.0`), commas and whitespace separate clauses.
pub(crate) fn split_clauses(text: &str) -> Result<Vec<(&str, &str)>, String> {
    let bytes = text.as_bytes();
    let is_sep = |b: u8| b == b',' || b.is_ascii_whitespace();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && is_sep(bytes[i]) {
            i += 1;
        }
        if i >= bytes.len() {
            return Ok(out);
        }
        let op_start = i;
        while i < bytes.len() && OPERATOR_CHARS.contains(&bytes[i]) {
            i += 1;
        }
        let op = &text[op_start..i];
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let version_start = i;
        while i < bytes.len() && !is_sep(bytes[i]) {
            i += 1;
        }
        let version = &text[version_start..i];
        if version.is_empty() {
            return Err(format!("operator `{op}` without a version"));
        }
        out.push((op, version));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(scheme: Scheme, text: &str) -> Requirement {
        parse_requirement(scheme, RangeSyntax::Comparators, text).expect("valid requirement")
    }

    #[test]
    fn comparator_lists_intersect_and_union() {
        let r = req(Scheme::Semver, ">= 1.0.0, < 2.0.0 || = 3.0.0");
        assert_eq!(
            r.intervals,
            vec![
                Interval::half_open("1.0.0", "2.0.0"),
                Interval::exactly("3.0.0")
            ]
        );
        for (v, expected) in [
            ("0.9.0", false),
            ("1.0.0", true),
            ("1.9.9", true),
            ("2.0.0", false),
            ("3.0.0", true),
        ] {
            assert_eq!(r.contains(v), Ok(expected), "{v}");
        }
    }

    #[test]
    fn not_equal_splits_and_empty_intersections_vanish() {
        let r = req(Scheme::Dpkg, ">= 1.0, != 1.5, < 2.0");
        assert_eq!(r.intervals.len(), 2);
        assert_eq!(r.contains("1.5"), Ok(false));
        assert_eq!(r.contains("1.6"), Ok(true));
        assert!(req(Scheme::Rpm, "> 2.0, < 1.0").intervals.is_empty());
        assert!(req(Scheme::Rpm, "> 1.0, <= 1.0").intervals.is_empty());
        assert_eq!(
            req(Scheme::Rpm, ">= 1.0, <= 1.0").intervals,
            vec![Interval::exactly("1.0")]
        );
    }

    #[test]
    fn free_contains_uses_plain_ordering() {
        let r = parse_requirement(Scheme::Semver, RangeSyntax::Npm, "<1.0.0").expect("valid");
        // node-semver excludes pre-releases here, OSV-style interval matching does not.
        assert_eq!(r.contains("1.0.0-rc.1"), Ok(false));
        assert_eq!(
            contains(Scheme::Semver, &r.intervals, "1.0.0-rc.1"),
            Ok(true)
        );
        assert_eq!(contains(Scheme::Semver, &r.intervals, "1.0.0"), Ok(false));
        assert_eq!(contains(Scheme::Semver, &[], "1.0.0"), Ok(false));
    }

    #[test]
    fn errors_name_the_requirement() {
        let err = parse_requirement(Scheme::Pep440, RangeSyntax::Comparators, ">= french")
            .expect_err("bad");
        assert!(err.to_string().contains(">= french"), "{err}");
        let err = parse_requirement(Scheme::Semver, RangeSyntax::Comparators, "1.0.0 >=")
            .expect_err("bad");
        assert!(matches!(err, RequirementError::Syntax { .. }), "{err}");
        let err = parse_requirement(Scheme::Semver, RangeSyntax::Comparators, "=> 1.0.0")
            .expect_err("bad");
        assert!(err.to_string().contains("=>"), "{err}");
    }
}
