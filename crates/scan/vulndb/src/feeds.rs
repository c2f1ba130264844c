//! Non-OSV feeds, each converted into [`Advisory`] records the way SOURCES.md describes:
//! rubysec YAML, FriendsOfPHP YAML, nodejs-security-wg JSON, Alpine secdb (YAML or JSON) and the
//! Debian security-tracker JSON.

use std::collections::BTreeMap;

use kabuto_types::{Severity, VulnId};
use serde::Deserialize;

use crate::advisory::{Advisory, Affected, Interval, SeverityRating};
use crate::constraint::{self, ConstraintError};
use crate::namespace::{AdvisoryNamespace, OsvEcosystem};
use crate::osv::cvss_version;

/// Why a feed record was not turned into advisories.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FeedError {
    #[error("field `{field}` is missing")]
    Missing { field: &'static str },
    #[error("field `{field}`: {reason}")]
    Invalid { field: String, reason: String },
    /// Not an error: the record is about something Kabuto does not match (Ruby interpreters,
    /// Node.js core), or every version is unaffected.
    #[error("not applicable: {0}")]
    NotApplicable(String),
}

fn invalid(field: &str, reason: impl ToString) -> FeedError {
    FeedError::Invalid {
        field: field.to_owned(),
        reason: reason.to_string(),
    }
}

fn vuln_id(field: &str, id: String) -> Result<VulnId, FeedError> {
    VulnId::new(id).map_err(|e| invalid(field, e))
}

fn empty_advisory(id: VulnId, feed: &str, affected: Affected) -> Advisory {
    Advisory {
        id,
        aliases: Vec::new(),
        related: Vec::new(),
        summary: None,
        details: None,
        severities: Vec::new(),
        references: Vec::new(),
        published: None,
        modified: None,
        feed: feed.to_owned(),
        affected: vec![affected],
        context: None,
    }
}

fn affected(
    ecosystem: impl Into<AdvisoryNamespace>,
    name: &str,
    ranges: Vec<Interval>,
) -> Affected {
    Affected {
        ecosystem: ecosystem.into(),
        name: name.to_owned(),
        purl: None,
        ranges,
        versions: Vec::new(),
        unaffected: Vec::new(),
        fixed_in: Vec::new(),
        wont_fix: false,
    }
}

/// A label derived from a bare CVSS score (feeds that give the score without the vector).
fn score_label(score: f64, what: &str) -> SeverityRating {
    SeverityRating::Label {
        label: Severity::from_cvss_score(score).as_str().to_owned(),
        source: format!("{what} score {score}"),
    }
}

fn lower_versions(intervals: &[Interval]) -> Vec<String> {
    intervals
        .iter()
        .filter_map(|i| i.lower.as_ref().map(|b| b.version.clone()))
        .collect()
}

// ---------------------------------------------------------------- rubysec

#[derive(Debug, Deserialize)]
struct RubysecRecord {
    gem: Option<String>,
    engine: Option<String>,
    cve: Option<serde_yaml::Value>,
    ghsa: Option<serde_yaml::Value>,
    osvdb: Option<serde_yaml::Value>,
    url: Option<String>,
    title: Option<String>,
    date: Option<serde_yaml::Value>,
    description: Option<String>,
    cvss_v2: Option<f64>,
    cvss_v3: Option<f64>,
    cvss_v4: Option<f64>,
    #[serde(default)]
    patched_versions: Option<Vec<String>>,
    #[serde(default)]
    unaffected_versions: Option<Vec<String>>,
    related: Option<RubysecRelated>,
}

#[derive(Debug, Deserialize)]
struct RubysecRelated {
    #[serde(default)]
    url: Option<Vec<String>>,
}

fn yaml_scalar(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn requirement_intervals(field: &str, reqs: &[String]) -> Result<Vec<Interval>, FeedError> {
    reqs.iter()
        .map(|r| constraint::conjunction(&[r]).map_err(|e: ConstraintError| invalid(field, e)))
        .collect()
}

/// One rubysec advisory (`gems/<gem>/<id>.yml`).
pub fn rubysec(text: &str) -> Result<Advisory, FeedError> {
    let r: RubysecRecord = serde_yaml::from_str(text).map_err(|e| invalid("(document)", e))?;
    let Some(gem) = r.gem.filter(|g| !g.is_empty()) else {
        return Err(match r.engine {
            Some(engine) => FeedError::NotApplicable(format!("interpreter `{engine}` advisory")),
            None => FeedError::Missing { field: "gem" },
        });
    };
    let mut ids = Vec::new();
    if let Some(cve) = r.cve.as_ref().and_then(yaml_scalar) {
        ids.push(vuln_id("cve", format!("CVE-{cve}"))?);
    }
    if let Some(ghsa) = r.ghsa.as_ref().and_then(yaml_scalar) {
        ids.push(vuln_id("ghsa", format!("GHSA-{ghsa}"))?);
    }
    if let Some(osvdb) = r.osvdb.as_ref().and_then(yaml_scalar) {
        ids.push(vuln_id("osvdb", format!("OSVDB-{osvdb}"))?);
    }
    if ids.is_empty() {
        return Err(FeedError::Missing {
            field: "cve/ghsa/osvdb",
        });
    }
    let patched =
        requirement_intervals("patched_versions", &r.patched_versions.unwrap_or_default())?;
    let unaffected = requirement_intervals(
        "unaffected_versions",
        &r.unaffected_versions.unwrap_or_default(),
    )?;
    let mut a = affected(OsvEcosystem::RubyGems, &gem, vec![Interval::ALL]);
    a.fixed_in = lower_versions(&patched);
    a.unaffected = patched.into_iter().chain(unaffected).collect();
    let id = ids.remove(0);
    let mut adv = empty_advisory(id, "rubysec", a);
    adv.aliases = ids;
    adv.summary = r.title;
    adv.details = r.description;
    adv.published = r.date.as_ref().and_then(yaml_scalar);
    adv.references = r
        .url
        .into_iter()
        .chain(r.related.and_then(|x| x.url).into_iter().flatten())
        .collect();
    adv.references.dedup();
    for (score, what) in [
        (r.cvss_v4, "rubysec cvss_v4"),
        (r.cvss_v3, "rubysec cvss_v3"),
        (r.cvss_v2, "rubysec cvss_v2"),
    ] {
        if let Some(score) = score {
            adv.severities.push(score_label(score, what));
        }
    }
    Ok(adv)
}

// ---------------------------------------------------------------- FriendsOfPHP

#[derive(Debug, Deserialize)]
struct FriendsOfPhpRecord {
    title: Option<String>,
    link: Option<String>,
    cve: Option<String>,
    reference: Option<String>,
    #[serde(default)]
    branches: BTreeMap<String, FriendsOfPhpBranch>,
}

#[derive(Debug, Deserialize)]
struct FriendsOfPhpBranch {
    #[serde(default)]
    versions: Option<Vec<String>>,
}

/// One FriendsOfPHP advisory. Without a CVE its id is `FOP-<vendor>/<package>/<file stem>`,
/// the path the advisory has in its repository.
pub fn friends_of_php(text: &str, file_stem: &str) -> Result<Advisory, FeedError> {
    let r: FriendsOfPhpRecord = serde_yaml::from_str(text).map_err(|e| invalid("(document)", e))?;
    let reference = r
        .reference
        .ok_or(FeedError::Missing { field: "reference" })?;
    let package = reference
        .strip_prefix("composer://")
        .filter(|p| p.contains('/'))
        .ok_or_else(|| {
            invalid(
                "reference",
                format!("`{reference}` is not composer://vendor/name"),
            )
        })?;
    let mut ranges = Vec::new();
    for (name, branch) in &r.branches {
        let versions = branch.versions.clone().unwrap_or_default();
        if versions.is_empty() {
            continue;
        }
        let mut interval = constraint::conjunction(&versions)
            .map_err(|e| invalid(&format!("branches.{name}.versions"), e))?;
        interval.upper_is_fix = interval.upper.as_ref().is_some_and(|b| !b.inclusive);
        ranges.push(interval);
    }
    if ranges.is_empty() {
        return Err(FeedError::Missing { field: "branches" });
    }
    let cve = r.cve.filter(|c| c.starts_with("CVE-"));
    let id = match &cve {
        Some(c) => vuln_id("cve", c.clone())?,
        None => vuln_id("(path)", format!("FOP-{package}/{file_stem}"))?,
    };
    let mut adv = empty_advisory(
        id,
        "friendsofphp",
        affected(OsvEcosystem::Packagist, package, ranges),
    );
    adv.summary = r.title;
    adv.references = r.link.into_iter().collect();
    Ok(adv)
}

// ---------------------------------------------------------------- nodejs-security-wg

#[derive(Debug, Deserialize)]
struct NodeRecord {
    id: Option<u64>,
    title: Option<String>,
    overview: Option<String>,
    module_name: Option<String>,
    #[serde(default)]
    cves: Option<Vec<String>>,
    vulnerable_versions: Option<String>,
    patched_versions: Option<String>,
    #[serde(default)]
    references: Option<serde_json::Value>,
    cvss_vector: Option<String>,
    cvss_score: Option<f64>,
    publish_date: Option<String>,
    updated_at: Option<String>,
}

/// One nodejs-security-wg `vuln/npm/<n>.json` record. Ids become `NSWG-ECO-<n>`, the working
/// group's own naming; CVEs become aliases.
pub fn nodejs_security_wg(text: &str) -> Result<Advisory, FeedError> {
    let r: NodeRecord = serde_json::from_str(text).map_err(|e| invalid("(document)", e))?;
    let number = r.id.ok_or(FeedError::Missing { field: "id" })?;
    let module = r
        .module_name
        .filter(|m| !m.is_empty())
        .ok_or(FeedError::Missing {
            field: "module_name",
        })?;
    // Patched ranges only add fix versions when the vulnerable range is given, so a broken
    // one (`>=5.0.3 >=4.2.1` exists) is dropped rather than losing the advisory.
    let patched = match r.patched_versions.as_deref().map(str::trim) {
        Some(p) if !p.is_empty() => match constraint::npm_range(p) {
            Ok(ranges) => ranges,
            Err(_) if r.vulnerable_versions.is_some() => Vec::new(),
            Err(e) => return Err(invalid("patched_versions", e)),
        },
        _ => Vec::new(),
    };
    let mut a = match r.vulnerable_versions.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => {
            let mut ranges =
                constraint::npm_range(v).map_err(|e| invalid("vulnerable_versions", e))?;
            // An exclusive upper bound that a patched range starts at is the fix.
            for range in &mut ranges {
                range.upper_is_fix = range.upper.as_ref().is_some_and(|u| {
                    !u.inclusive
                        && patched
                            .iter()
                            .any(|p| p.lower.as_ref().is_some_and(|l| l.version == u.version))
                });
            }
            affected(OsvEcosystem::Npm, &module, ranges)
        }
        _ if !patched.is_empty() => {
            let mut a = affected(OsvEcosystem::Npm, &module, vec![Interval::ALL]);
            a.unaffected = patched.clone();
            a
        }
        _ => {
            return Err(FeedError::Missing {
                field: "vulnerable_versions",
            });
        }
    };
    a.fixed_in = lower_versions(&patched);
    let mut adv = empty_advisory(
        vuln_id("id", format!("NSWG-ECO-{number}"))?,
        "nodejs-security-wg",
        a,
    );
    adv.aliases = r
        .cves
        .into_iter()
        .flatten()
        .filter_map(|c| VulnId::new(c).ok())
        .collect();
    adv.summary = r.title;
    adv.details = r.overview;
    adv.published = r.publish_date;
    adv.modified = r.updated_at;
    adv.references = match r.references {
        Some(serde_json::Value::Array(refs)) => refs
            .iter()
            .filter_map(|u| u.as_str().map(str::to_owned))
            .collect(),
        Some(serde_json::Value::String(one)) => vec![one],
        _ => Vec::new(),
    };
    match (
        r.cvss_vector
            .and_then(|v| cvss_version(&v).map(|ver| (ver, v))),
        r.cvss_score,
    ) {
        (Some((version, vector)), _) => adv
            .severities
            .push(SeverityRating::Cvss { version, vector }),
        (None, Some(score)) => adv
            .severities
            .push(score_label(score, "nodejs-security-wg cvss")),
        (None, None) => {}
    }
    Ok(adv)
}

// ---------------------------------------------------------------- Alpine secdb

#[derive(Debug, Deserialize)]
struct SecDb {
    distroversion: Option<String>,
    #[serde(default)]
    packages: Vec<SecDbPackage>,
}

#[derive(Debug, Deserialize)]
struct SecDbPackage {
    pkg: SecDbPkg,
}

#[derive(Debug, Deserialize)]
struct SecDbPkg {
    name: String,
    /// fixed version -> ids; some entries are `{}` or null (a version with nothing listed).
    #[serde(default)]
    secfixes: BTreeMap<String, serde_json::Value>,
}

/// An Alpine secdb file (`v3.x/main.yaml` or the JSON form). Each (package, id) becomes an
/// advisory `introduced 0, fixed <ver>` in ecosystem `Alpine:v3.x`; fixed version `0` means
/// "never affected" and is skipped.
pub fn alpine_secdb(doc: SecDbDocument<'_>) -> Result<Vec<Advisory>, FeedError> {
    let db: SecDb = match doc {
        SecDbDocument::Yaml(t) => serde_yaml::from_str(t).map_err(|e| invalid("(document)", e))?,
        SecDbDocument::Json(t) => serde_json::from_str(t).map_err(|e| invalid("(document)", e))?,
    };
    let release = db.distroversion.ok_or(FeedError::Missing {
        field: "distroversion",
    })?;
    let ecosystem = AdvisoryNamespace::release(OsvEcosystem::Alpine, release);
    let mut out = Vec::new();
    for (i, p) in db.packages.into_iter().enumerate() {
        for (fixed, ids) in p.pkg.secfixes {
            if fixed == "0" {
                continue;
            }
            let ids: Vec<String> = match ids {
                serde_json::Value::Array(list) => list
                    .iter()
                    .filter_map(|v| v.as_str())
                    .flat_map(|s| s.split_whitespace().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            for id in ids {
                let id = vuln_id(&format!("packages[{i}].pkg.secfixes.{fixed}"), id)?;
                let range = Interval::fixed_at(None, fixed.clone());
                out.push(empty_advisory(
                    id,
                    "alpine-secdb",
                    affected(ecosystem.clone(), &p.pkg.name, vec![range]),
                ));
            }
        }
    }
    Ok(out)
}

/// The two encodings of a secdb file.
#[derive(Debug, Clone, Copy)]
pub enum SecDbDocument<'a> {
    Yaml(&'a str),
    Json(&'a str),
}

// ---------------------------------------------------------------- Debian security tracker

#[derive(Debug, Deserialize)]
struct TrackerEntry {
    description: Option<String>,
    #[serde(default)]
    releases: BTreeMap<String, TrackerRelease>,
}

#[derive(Debug, Deserialize)]
struct TrackerRelease {
    status: Option<String>,
    fixed_version: Option<String>,
    urgency: Option<String>,
    nodsa_reason: Option<String>,
}

/// Debian release code names and their OSV ecosystem numbers; `sid` has none.
fn debian_release_number(codename: &str) -> Option<&'static str> {
    Some(match codename {
        "jessie" => "8",
        "stretch" => "9",
        "buster" => "10",
        "bullseye" => "11",
        "bookworm" => "12",
        "trixie" => "13",
        "forky" => "14",
        _ => return None,
    })
}

/// The Debian tracker's `data/json` document: `{source: {CVE: {releases: {codename: ...}}}}`.
/// Entries with an unreadable shape are skipped with a note; the rest are returned.
pub fn debian_tracker(text: &str) -> Result<(Vec<Advisory>, Vec<String>), FeedError> {
    let doc: BTreeMap<String, BTreeMap<String, serde_json::Value>> =
        serde_json::from_str(text).map_err(|e| invalid("(document)", e))?;
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for (source, cves) in doc {
        for (cve, value) in cves {
            let entry: TrackerEntry = match serde_json::from_value(value) {
                Ok(e) => e,
                Err(e) => {
                    notes.push(format!("{source}.{cve}: {e}"));
                    continue;
                }
            };
            let Ok(id) = VulnId::new(cve.clone()) else {
                notes.push(format!("{source}.{cve}: invalid id"));
                continue;
            };
            let mut affected_list = Vec::new();
            let mut severities = Vec::new();
            for (codename, rel) in entry.releases {
                let Some(number) = debian_release_number(&codename) else {
                    continue;
                };
                let range = match (rel.status.as_deref(), rel.fixed_version.as_deref()) {
                    (_, Some("0")) | (Some("not-affected"), _) => continue,
                    (Some("resolved"), Some(fixed)) => Interval::fixed_at(None, fixed),
                    (Some("open" | "undetermined"), _) => Interval::ALL,
                    _ => continue,
                };
                let debian = AdvisoryNamespace::release(OsvEcosystem::Debian, number);
                let mut a = affected(debian, &source, vec![range]);
                a.wont_fix = rel.nodsa_reason.as_deref() == Some("ignored");
                affected_list.push(a);
                let urgency = rel.urgency.as_deref().map(|u| u.trim_end_matches('*'));
                if let Some(label) = urgency.filter(|u| Severity::from_label(u).is_some()) {
                    let rating = SeverityRating::Label {
                        label: label.to_owned(),
                        source: "Debian urgency".into(),
                    };
                    if !severities.contains(&rating) {
                        severities.push(rating);
                    }
                }
            }
            if affected_list.is_empty() {
                continue;
            }
            let mut adv = empty_advisory(id, "debian-tracker", affected_list.remove(0));
            adv.affected.extend(affected_list);
            adv.details = entry.description;
            adv.severities = severities;
            out.push(adv);
        }
    }
    Ok((out, notes))
}
