//! OSV records (<https://ossf.github.io/osv-schema/>) as they are written, and their conversion
//! into the domain [`Advisory`].

use kabuto_types::{VulnId, VulnIdKind};
use serde::Deserialize;
use serde_json::Value;

use std::cmp::Ordering;

use kabuto_version::{Scheme, compare};

use crate::advisory::{Advisory, Affected, Bound, Interval, SeverityRating};
use crate::namespace::AdvisoryNamespace;

/// An OSV record, parsed leniently: every field the schema makes optional is optional here,
/// and unknown fields are ignored. Validation happens in [`OsvRecord::convert`].
#[derive(Debug, Clone, Deserialize)]
pub struct OsvRecord {
    pub id: Option<String>,
    #[serde(default)]
    pub aliases: Option<Vec<String>>,
    #[serde(default)]
    pub related: Option<Vec<String>>,
    pub withdrawn: Option<String>,
    pub summary: Option<String>,
    pub details: Option<String>,
    pub published: Option<String>,
    pub modified: Option<String>,
    #[serde(default)]
    pub severity: Option<Vec<OsvSeverity>>,
    #[serde(default)]
    pub affected: Option<Vec<OsvAffected>>,
    #[serde(default)]
    pub references: Option<Vec<OsvReference>>,
    pub database_specific: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OsvSeverity {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OsvAffected {
    pub package: Option<OsvPackage>,
    #[serde(default)]
    pub ranges: Option<Vec<OsvRange>>,
    #[serde(default)]
    pub versions: Option<Vec<String>>,
    #[serde(default)]
    pub severity: Option<Vec<OsvSeverity>>,
    pub ecosystem_specific: Option<Value>,
    pub database_specific: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OsvPackage {
    pub ecosystem: String,
    pub name: String,
    pub purl: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OsvRange {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub events: Vec<OsvEvent>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OsvEvent {
    pub introduced: Option<String>,
    pub fixed: Option<String>,
    pub last_affected: Option<String>,
    pub limit: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OsvReference {
    pub url: Option<String>,
}

/// Why an OSV record was not turned into an advisory.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum OsvError {
    #[error("record is withdrawn")]
    Withdrawn,
    #[error("field `id` is missing")]
    MissingId,
    #[error("field `{field}`: {reason}")]
    Invalid { field: String, reason: String },
    #[error("no affected package with a usable range or version list")]
    NothingAffected,
}

/// A converted record with what was dropped along the way.
#[derive(Debug, Clone)]
pub struct Converted {
    pub advisory: Advisory,
    /// GIT ranges (commit hashes) cannot be matched against installed versions.
    pub git_ranges_skipped: usize,
    /// Soft problems: dropped aliases, unknown range types, affected entries without a package.
    pub notes: Vec<String>,
}

impl TryFrom<OsvRecord> for Advisory {
    type Error = OsvError;
    fn try_from(record: OsvRecord) -> Result<Self, Self::Error> {
        record.convert("osv").map(|c| c.advisory)
    }
}

impl OsvRecord {
    /// Validates and converts. `feed` names the source for [`Advisory::feed`].
    pub fn convert(self, feed: &str) -> Result<Converted, OsvError> {
        if self.withdrawn.is_some() {
            return Err(OsvError::Withdrawn);
        }
        let id = self.id.ok_or(OsvError::MissingId)?;
        let id = VulnId::new(id).map_err(|e| OsvError::Invalid {
            field: "id".into(),
            reason: e.to_string(),
        })?;
        let mut notes = Vec::new();
        let aliases = parse_ids("aliases", self.aliases, &mut notes);
        let related = parse_ids("related", self.related, &mut notes);

        let mut severities: Vec<SeverityRating> = Vec::new();
        for s in self.severity.into_iter().flatten() {
            push_severity(&mut severities, s, &mut notes);
        }
        if let Some(label) = label_in(self.database_specific.as_ref(), "severity") {
            severities.push(SeverityRating::Label {
                label,
                source: format!("{feed} database_specific"),
            });
        }
        if let Some(label) = errata_severity(&id, self.summary.as_deref()) {
            severities.push(SeverityRating::Label {
                label,
                source: "errata summary".into(),
            });
        }

        let mut git_ranges_skipped = 0;
        let mut affected = Vec::new();
        for (i, a) in self.affected.into_iter().flatten().enumerate() {
            let Some(package) = a.package else {
                notes.push(format!(
                    "affected[{i}]: no package (only GIT ranges?), skipped"
                ));
                git_ranges_skipped += a
                    .ranges
                    .iter()
                    .flatten()
                    .filter(|r| r.kind == "GIT")
                    .count();
                continue;
            };
            if package.ecosystem.is_empty() || package.name.is_empty() {
                notes.push(format!("affected[{i}].package: empty ecosystem or name"));
                continue;
            }
            for s in a.severity.into_iter().flatten() {
                push_severity(&mut severities, s, &mut notes);
            }
            if let Some(label) = label_in(a.ecosystem_specific.as_ref(), "severity") {
                severities.push(SeverityRating::Label {
                    label,
                    source: format!("{feed} ecosystem_specific"),
                });
            }
            let ecosystem = AdvisoryNamespace::from_osv(&package.ecosystem);
            let mut ranges = Vec::new();
            for (j, r) in a.ranges.into_iter().flatten().enumerate() {
                let field = format!("affected[{i}].ranges[{j}]");
                let scheme = match r.kind.as_str() {
                    "SEMVER" => Some(Scheme::Semver),
                    _ => Scheme::from_osv_ecosystem(ecosystem.ecosystem().as_str()),
                };
                match r.kind.as_str() {
                    "SEMVER" | "ECOSYSTEM" => {
                        let events = sorted_events(r.events, scheme, &field, &mut notes);
                        ranges.extend(events_to_intervals(&events, &field, &mut notes));
                    }
                    "GIT" => git_ranges_skipped += 1,
                    other => notes.push(format!(
                        "affected[{i}].ranges[{j}].type: unknown range type `{other}`, skipped"
                    )),
                }
            }
            let versions: Vec<String> = a
                .versions
                .into_iter()
                .flatten()
                .filter(|v| !v.is_empty())
                .collect();
            if ranges.is_empty() && versions.is_empty() {
                continue;
            }
            affected.push(Affected {
                ecosystem,
                name: package.name,
                purl: package.purl,
                ranges,
                versions,
                unaffected: Vec::new(),
                fixed_in: Vec::new(),
                wont_fix: false,
            });
        }
        if affected.is_empty() {
            return Err(OsvError::NothingAffected);
        }
        let references = self
            .references
            .into_iter()
            .flatten()
            .filter_map(|r| r.url)
            .collect();
        Ok(Converted {
            advisory: Advisory {
                id,
                aliases,
                related,
                summary: self.summary.filter(|s| !s.is_empty()),
                details: self.details.filter(|s| !s.is_empty()),
                severities,
                references,
                published: self.published,
                modified: self.modified,
                feed: feed.to_owned(),
                affected,
                context: None,
            },
            git_ranges_skipped,
            notes,
        })
    }
}

fn parse_ids(field: &str, ids: Option<Vec<String>>, notes: &mut Vec<String>) -> Vec<VulnId> {
    ids.into_iter()
        .flatten()
        .filter_map(|a| match VulnId::new(a) {
            Ok(id) => Some(id),
            Err(e) => {
                notes.push(format!("{field}: {e}, dropped"));
                None
            }
        })
        .collect()
}

fn push_severity(out: &mut Vec<SeverityRating>, s: OsvSeverity, notes: &mut Vec<String>) {
    let rating = match s.kind.as_str() {
        "CVSS_V2" => SeverityRating::Cvss {
            version: "2.0".into(),
            vector: s.score,
        },
        "CVSS_V3" | "CVSS_V4" => match cvss_version(&s.score) {
            Some(version) => SeverityRating::Cvss {
                version,
                vector: s.score,
            },
            None => {
                notes.push(format!(
                    "severity: `{}` is not a CVSS vector, dropped",
                    s.score
                ));
                return;
            }
        },
        other => SeverityRating::Label {
            label: s.score,
            source: other.to_owned(),
        },
    };
    if !out.contains(&rating) {
        out.push(rating);
    }
}

/// `CVSS:3.1/AV:N/...` -> `3.1`.
pub(crate) fn cvss_version(vector: &str) -> Option<String> {
    let head = vector.split('/').next()?;
    head.strip_prefix("CVSS:").map(str::to_owned)
}

fn label_in(value: Option<&Value>, key: &str) -> Option<String> {
    value?
        .get(key)?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Red Hat family errata titles start with their severity: `Important: kernel security update`.
fn errata_severity(id: &VulnId, summary: Option<&str>) -> Option<String> {
    if !matches!(
        id.kind(),
        VulnIdKind::Alsa | VulnIdKind::Rlsa | VulnIdKind::Rhsa
    ) {
        return None;
    }
    let (word, _) = summary?.split_once(':')?;
    matches!(word, "Low" | "Moderate" | "Important" | "Critical").then(|| word.to_owned())
}

/// The events in version order, as the OSV evaluation algorithm requires (`introduced: 0`
/// first; equal versions keep their written order). When the ecosystem has no version order
/// or a version does not parse, the written order is kept and a note says so.
fn sorted_events(
    mut events: Vec<OsvEvent>,
    scheme: Option<Scheme>,
    field: &str,
    notes: &mut Vec<String>,
) -> Vec<OsvEvent> {
    let Some(scheme) = scheme else {
        return events;
    };
    let unreadable = events
        .iter()
        .filter_map(OsvEvent::version)
        .filter(|v| *v != "0")
        .find_map(|v| kabuto_version::validate(scheme, v).err());
    if let Some(e) = unreadable {
        notes.push(format!("{field}: events kept in written order: {e}"));
        return events;
    }
    events.sort_by(|a, b| match (a.version(), b.version()) {
        (Some("0"), Some("0")) => Ordering::Equal,
        (Some("0"), _) => Ordering::Less,
        (_, Some("0")) => Ordering::Greater,
        (Some(x), Some(y)) => compare(scheme, x, y).unwrap_or(Ordering::Equal),
        _ => Ordering::Equal,
    });
    events
}

impl OsvEvent {
    /// The version the event names, whatever its kind.
    fn version(&self) -> Option<&str> {
        self.introduced
            .as_deref()
            .or(self.fixed.as_deref())
            .or(self.last_affected.as_deref())
            .or(self.limit.as_deref())
    }
}

/// Turns a sorted OSV event list into intervals: each `introduced` pairs with the next
/// fixed/last_affected; a trailing `introduced` stays open, capped by `limit` if present.
fn events_to_intervals(events: &[OsvEvent], field: &str, notes: &mut Vec<String>) -> Vec<Interval> {
    let lower_of = |v: &str| (v != "0").then(|| v.to_owned());
    let mut intervals = Vec::new();
    let mut open: Option<Option<String>> = None;
    let mut limit = None;
    for (k, e) in events.iter().enumerate() {
        if let Some(v) = &e.introduced {
            open.get_or_insert_with(|| lower_of(v));
        } else if let Some(v) = &e.fixed {
            match open.take() {
                Some(lower) => intervals.push(Interval::fixed_at(lower, v.clone())),
                None if intervals.is_empty() => intervals.push(Interval::fixed_at(None, v.clone())),
                None => notes.push(format!("{field}.events[{k}]: `fixed` without `introduced`")),
            }
        } else if let Some(v) = &e.last_affected {
            let lower = match open.take() {
                Some(lower) => lower,
                None if intervals.is_empty() => None,
                None => {
                    notes.push(format!(
                        "{field}.events[{k}]: `last_affected` without `introduced`"
                    ));
                    continue;
                }
            };
            intervals.push(Interval {
                lower: lower.map(Bound::inclusive),
                upper: Some(Bound::inclusive(v.clone())),
                upper_is_fix: false,
            });
        } else if let Some(v) = &e.limit {
            limit = Some(v.clone());
        } else {
            notes.push(format!("{field}.events[{k}]: empty event"));
        }
    }
    if let Some(lower) = open {
        intervals.push(Interval {
            lower: lower.map(Bound::inclusive),
            upper: limit.map(Bound::exclusive),
            upper_is_fix: false,
        });
    }
    intervals
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Converted, OsvError> {
        serde_json::from_str::<OsvRecord>(json)
            .expect("valid json")
            .convert("osv")
    }

    #[test]
    fn converts_ranges_versions_and_severity() {
        let c = parse(
            r#"{"id":"GHSA-1","aliases":["CVE-2020-1","bad alias"],"summary":"s",
            "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            "database_specific":{"severity":"HIGH"},
            "affected":[{"package":{"ecosystem":"PyPI","name":"x"},
              "ranges":[{"type":"GIT","events":[{"introduced":"0"},{"fixed":"abc"}]},
                        {"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0"},{"introduced":"2.0"},{"last_affected":"2.3"},{"introduced":"3.0"},{"limit":"3.5"}]}],
              "versions":["0.9"]}]}"#,
        )
        .unwrap();
        let a = &c.advisory;
        assert_eq!(a.aliases.len(), 1);
        assert_eq!(c.git_ranges_skipped, 1);
        assert_eq!(c.notes.len(), 1, "{:?}", c.notes);
        assert_eq!(
            range_texts(&c),
            ["< 1.0", ">= 2.0, <= 2.3", ">= 3.0, < 3.5"]
        );
        assert_eq!(a.affected[0].ranges[0].fix(), Some("1.0"));
        assert_eq!(a.affected[0].ranges[1].fix(), None);
        assert_eq!(a.severities.len(), 2);
        assert_eq!(a.affected[0].versions, ["0.9"]);
    }

    fn range_texts(c: &Converted) -> Vec<String> {
        c.advisory.affected[0]
            .ranges
            .iter()
            .map(|r| r.to_string())
            .collect()
    }

    #[test]
    fn events_pair_in_version_order_not_written_order() {
        // Written newest first: pairing as written would give `>= 2.0, < 1.5`-style nonsense.
        let c = parse(
            r#"{"id":"GHSA-2","affected":[{"package":{"ecosystem":"PyPI","name":"x"},
              "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0"},{"fixed":"2.0.3"},
                {"fixed":"1.10.2"},{"introduced":"0"}]}]}]}"#,
        )
        .unwrap();
        assert_eq!(range_texts(&c), ["< 1.10.2", ">= 2.0, < 2.0.3"]);
        assert!(c.notes.is_empty(), "{:?}", c.notes);

        // `1.10` sorts after `1.9` (versions, not text).
        let c = parse(
            r#"{"id":"GHSA-3","affected":[{"package":{"ecosystem":"npm","name":"y"},
              "ranges":[{"type":"SEMVER","events":[{"introduced":"1.10.0"},{"fixed":"1.10.5"},
                {"introduced":"1.9.0"},{"fixed":"1.9.9"}]}]}]}"#,
        )
        .unwrap();
        assert_eq!(
            range_texts(&c),
            [">= 1.9.0, < 1.9.9", ">= 1.10.0, < 1.10.5"]
        );
    }

    #[test]
    fn unsortable_events_keep_written_order_with_a_note() {
        let c = parse(
            r#"{"id":"GHSA-4","affected":[{"package":{"ecosystem":"PyPI","name":"x"},
              "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"not a version!"}]}]}]}"#,
        )
        .unwrap();
        assert_eq!(
            c.advisory.affected[0].ranges[0].to_string(),
            "< not a version!"
        );
        assert!(c.notes[0].contains("written order"), "{:?}", c.notes);
    }

    #[test]
    fn red_hat_streams_are_indexed_by_major_release() {
        let c = parse(
            r#"{"id":"RHSA-2024:1","affected":[{"package":{"ecosystem":"Red Hat:enterprise_linux:9::appstream","name":"openssl"},
              "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-27.el9"}]}]}]}"#,
        )
        .unwrap();
        assert_eq!(c.advisory.affected[0].ecosystem, "Red Hat:9");
    }

    #[test]
    fn refuses_withdrawn_and_empty() {
        let w = parse(r#"{"id":"X-1","withdrawn":"2020-01-01T00:00:00Z","affected":[]}"#);
        assert_eq!(w.unwrap_err(), OsvError::Withdrawn);
        let e = parse(r#"{"id":"X-1","affected":[{"ranges":[{"type":"GIT","events":[]}]}]}"#);
        assert_eq!(e.unwrap_err(), OsvError::NothingAffected);
        assert_eq!(
            parse(r#"{"affected":[]}"#).unwrap_err(),
            OsvError::MissingId
        );
    }

    #[test]
    fn errata_summary_gives_severity() {
        let c = parse(
            r#"{"id":"ALSA-2024:1","summary":"Important: kernel update",
            "affected":[{"package":{"ecosystem":"AlmaLinux:9","name":"kernel"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.14-1"}]}]}]}"#,
        )
        .unwrap();
        assert_eq!(
            c.advisory.severities,
            [SeverityRating::Label {
                label: "Important".into(),
                source: "errata summary".into()
            }]
        );
    }
}
