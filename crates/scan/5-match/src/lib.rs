//! Matches an inventory against the vulnerability database and explains each finding.
//!
//! OS packages are looked up by their source package in their distribution release
//! (`Debian:12`, `Alpine:v3.18`, `AlmaLinux:9`); language packages by ecosystem. Advisory
//! records that are aliases of one another (CVE, GHSA, PYSEC...) become one [`Finding`] per
//! package, with one [`Explanation`] per record that matched.

pub mod cvss;
pub mod suppress;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use kabuto_types::{
    Cvss, Ecosystem, Epss, Explanation, Finding, FixStatus, Inventory, KnownExploited, OsInfo,
    Package, Severity, Timestamp, VulnId, VulnIdKind,
};
use kabuto_version::{Scheme, compare};
use kabuto_vulndb::{
    Advisory, AdvisoryNamespace, AdvisoryRef, Affected, Database, DbError, Interval, SeverityRating,
};
use rayon::prelude::*;

/// A package that could not be matched completely (unreadable version, damaged record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchWarning {
    /// `name@version (ecosystem)`.
    pub package: String,
    pub message: String,
}

/// Findings plus what could not be checked.
#[derive(Debug, Clone, Default)]
pub struct MatchOutcome {
    pub findings: Vec<Finding>,
    pub warnings: Vec<MatchWarning>,
}

/// Every vulnerability affecting the inventory's packages, in inventory order.
pub fn match_inventory(db: &Database, inventory: &Inventory) -> Vec<Finding> {
    match_inventory_detailed(db, inventory).findings
}

/// [`match_inventory`] with the warnings.
///
/// Packages that ask the same question (binaries of one source package, one library at
/// several paths) are matched once: each distinct [`Query`] is evaluated in parallel, then
/// its findings are copied onto every package that asked it.
pub fn match_inventory_detailed(db: &Database, inventory: &Inventory) -> MatchOutcome {
    let os = inventory.os.as_ref();
    let mut distinct: HashMap<Query, usize> = HashMap::new();
    // The first package asking each query, by query number: its findings are the template.
    let mut first_asker: Vec<usize> = Vec::new();
    let asked: Vec<Option<usize>> = inventory
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let q = query(p, os)?;
            let next = distinct.len();
            Some(*distinct.entry(q).or_insert_with(|| {
                first_asker.push(i);
                next
            }))
        })
        .collect();
    let mut queries: Vec<(Query, usize)> = distinct.into_iter().collect();
    queries.sort_unstable_by_key(|(_, n)| *n);
    let answers: Vec<Answer> = queries
        .par_iter()
        .map_init(
            || Cache::new(db),
            |cache, (q, n)| answer(cache, q, &inventory.packages[first_asker[*n]]),
        )
        .collect();
    let per_package: Vec<(Vec<Finding>, Vec<MatchWarning>)> = inventory
        .packages
        .par_iter()
        .zip(&asked)
        .map(|(package, asked)| match asked {
            Some(i) => answers[*i].for_package(package),
            None => (Vec::new(), Vec::new()),
        })
        .collect();
    let mut outcome = MatchOutcome {
        findings: Vec::with_capacity(per_package.iter().map(|(f, _)| f.len()).sum()),
        warnings: Vec::new(),
    };
    for (findings, warnings) in per_package {
        outcome.findings.extend(findings);
        outcome.warnings.extend(warnings);
    }
    outcome
}

/// Decoded records, shared by the queries one thread evaluates.
struct Cache<'db> {
    db: &'db Database,
    advisories: HashMap<AdvisoryRef, Rc<Advisory>>,
}

impl<'db> Cache<'db> {
    fn new(db: &'db Database) -> Self {
        Cache {
            db,
            advisories: HashMap::new(),
        }
    }

    fn advisory(&mut self, r: AdvisoryRef) -> Result<Rc<Advisory>, DbError> {
        if let Some(hit) = self.advisories.get(&r) {
            return Ok(Rc::clone(hit));
        }
        let advisory = Rc::new(self.db.advisory(r)?);
        self.advisories.insert(r, Rc::clone(&advisory));
        Ok(advisory)
    }
}

/// What one query found: findings written for a representative package, and warnings.
struct Answer {
    findings: Vec<Finding>,
    warnings: Vec<String>,
}

impl Answer {
    /// The findings and warnings as they read for `package`.
    fn for_package(&self, package: &Package) -> (Vec<Finding>, Vec<MatchWarning>) {
        let findings = self
            .findings
            .iter()
            .map(|f| Finding {
                id: f.id.clone(),
                aliases: f.aliases.clone(),
                related: f.related.clone(),
                package_name: package.name.clone(),
                package_purl: package.purl.clone(),
                ecosystem: package.ecosystem,
                installed_version: f.installed_version.clone(),
                fixed_versions: f.fixed_versions.clone(),
                status: f.status,
                severity: f.severity,
                severity_source: f.severity_source.clone(),
                cvss: f.cvss.clone(),
                title: f.title.clone(),
                description: f.description.clone(),
                references: f.references.clone(),
                published: f.published.clone(),
                modified: f.modified.clone(),
                locations: package.locations.clone(),
                explanations: f.explanations.clone(),
                vendor_severity: f.vendor_severity.clone(),
                epss: f.epss,
                kev: f.kev.clone(),
            })
            .collect();
        let warnings = self
            .warnings
            .iter()
            .map(|message| MatchWarning {
                package: format!(
                    "{}@{} ({})",
                    package.name, package.version, package.ecosystem
                ),
                message: message.clone(),
            })
            .collect();
        (findings, warnings)
    }
}

fn answer(cache: &mut Cache<'_>, q: &Query, package: &Package) -> Answer {
    let mut warnings = Vec::new();
    let findings = match_query(cache, q, package, &mut |m| warnings.push(m));
    Answer { findings, warnings }
}

/// Where to look a package up: database namespaces, names, and the version to compare
/// under which scheme.
#[derive(PartialEq, Eq, Hash)]
struct Query {
    keys: Vec<AdvisoryNamespace>,
    names: Vec<String>,
    version: String,
    scheme: Scheme,
}

fn query(package: &Package, os: Option<&OsInfo>) -> Option<Query> {
    let keys = AdvisoryNamespace::for_package(package.ecosystem, os);
    if keys.is_empty() {
        return None;
    }
    let source = package.source.as_ref().filter(|s| !s.name.is_empty());
    let (names, version) = match package.ecosystem {
        // Debian advisories are per source package and source version.
        Ecosystem::Deb => match source {
            Some(s) if !s.version.is_empty() => (vec![s.name.clone()], s.version.clone()),
            Some(s) => (vec![s.name.clone()], package.version.clone()),
            None => (vec![package.name.clone()], package.version.clone()),
        },
        Ecosystem::Apk => (
            vec![source.map_or(&package.name, |s| &s.name).clone()],
            package.version.clone(),
        ),
        // Errata list binary package names; the source name catches the rest.
        Ecosystem::Rpm => {
            let mut names = vec![package.name.clone()];
            if let Some(s) = source.filter(|s| s.name != package.name) {
                names.push(s.name.clone());
            }
            (names, package.version.clone())
        }
        _ => (vec![package.name.clone()], package.version.clone()),
    };
    Some(Query {
        keys,
        names,
        version,
        scheme: Scheme::for_ecosystem(package.ecosystem),
    })
}

/// One advisory record that matched, before alias merging.
struct Hit {
    advisory: Rc<Advisory>,
    explanation: Explanation,
    fixed: Vec<String>,
    wont_fix: bool,
}

/// The findings of one query, written for `package` (the first package that asked it).
fn match_query(
    cache: &mut Cache<'_>,
    q: &Query,
    package: &Package,
    warn: &mut impl FnMut(String),
) -> Vec<Finding> {
    let scheme = q.scheme;
    let mut seen: BTreeSet<AdvisoryRef> = BTreeSet::new();
    let mut hits = Vec::new();
    for key in &q.keys {
        for name in &q.names {
            let entries = match cache.db.lookup(key, name) {
                Ok(e) => e,
                Err(e) => {
                    warn(format!("lookup {key}/{name}: {e}"));
                    continue;
                }
            };
            for entry in &entries {
                if seen.contains(&entry.advisory) {
                    continue;
                }
                let Some((range, comparison, fixed)) =
                    affects(&entry.affected, &q.version, scheme, warn)
                else {
                    continue;
                };
                seen.insert(entry.advisory);
                match cache.advisory(entry.advisory) {
                    Ok(advisory) => hits.push(Hit {
                        explanation: Explanation {
                            advisory: advisory.id.clone(),
                            ecosystem_key: key.to_string(),
                            affected_range: range,
                            comparison,
                        },
                        advisory,
                        fixed,
                        wont_fix: entry.affected.wont_fix,
                    }),
                    Err(e) => warn(e.to_string()),
                }
            }
        }
    }
    merge_aliases(hits)
        .into_iter()
        .map(|group| finding(package, &q.version, scheme, group))
        .collect()
}

/// Is `version` inside `interval`? Returns the comparison text when it is.
fn in_interval(
    interval: &Interval,
    version: &str,
    scheme: Scheme,
) -> Result<Option<String>, kabuto_version::VersionError> {
    let mut steps = Vec::new();
    if let Some(lower) = &interval.lower {
        let ord = compare(scheme, version, &lower.version)?;
        let ok = ord == Ordering::Greater || (lower.inclusive && ord == Ordering::Equal);
        if !ok {
            return Ok(None);
        }
        steps.push(format!(
            "{version} {} {}",
            if lower.inclusive { ">=" } else { ">" },
            lower.version
        ));
    }
    if let Some(upper) = &interval.upper {
        let ord = compare(scheme, version, &upper.version)?;
        let ok = ord == Ordering::Less || (upper.inclusive && ord == Ordering::Equal);
        if !ok {
            return Ok(None);
        }
        let what = if interval.upper_is_fix {
            " (fixed)"
        } else if upper.inclusive {
            " (last affected)"
        } else {
            ""
        };
        steps.push(format!(
            "{version} {} {}{what}",
            if upper.inclusive { "<=" } else { "<" },
            upper.version
        ));
    }
    if steps.is_empty() {
        steps.push(format!("{version}: every version is affected"));
    }
    Ok(Some(steps.join(" and ")))
}

/// Decides whether `version` is affected: (range text, comparison text, fixed versions).
fn affects(
    affected: &Affected,
    version: &str,
    scheme: Scheme,
    warn: &mut impl FnMut(String),
) -> Option<(String, String, Vec<String>)> {
    // Ranges first: they explain the match and name the fix; the version list is the fallback.
    let mut matched = None;
    for interval in &affected.ranges {
        match in_interval(interval, version, scheme) {
            Ok(Some(comparison)) => {
                matched = Some((
                    interval.to_string(),
                    comparison,
                    interval.fix().map(str::to_owned),
                ));
                break;
            }
            Ok(None) => {}
            Err(e) => warn(format!("range {interval}: {e}")),
        }
    }
    if matched.is_none() && affected.versions.iter().any(|v| v == version) {
        matched = Some((
            format!("versions: {} listed", affected.versions.len()),
            format!("{version} is listed as affected"),
            None,
        ));
    }
    let (range, mut comparison, fix) = matched?;
    for interval in &affected.unaffected {
        match in_interval(interval, version, scheme) {
            Ok(Some(_)) => return None,
            Ok(None) => {}
            Err(e) => warn(format!("unaffected range {interval}: {e}")),
        }
    }
    if !affected.unaffected.is_empty() {
        let list: Vec<String> = affected
            .unaffected
            .iter()
            .map(Interval::to_string)
            .collect();
        comparison.push_str(&format!(
            " and not in patched/unaffected [{}]",
            list.join("; ")
        ));
    }
    // Fixes stated outside the range count only when they are newer than the installed version.
    let newer = |v: &String| compare(scheme, v, version).is_ok_and(|o| o == Ordering::Greater);
    let fixed: Vec<String> = fix
        .into_iter()
        .chain(affected.fixed_in.iter().filter(|v| newer(v)).cloned())
        .collect();
    Some((range, comparison, fixed))
}

/// Groups hits whose ids or aliases overlap (connected components).
fn merge_aliases(hits: Vec<Hit>) -> Vec<Vec<Hit>> {
    let mut groups: Vec<(BTreeSet<VulnId>, Vec<Hit>)> = Vec::new();
    for hit in hits {
        let mut ids: BTreeSet<VulnId> = hit.advisory.aliases.iter().cloned().collect();
        ids.insert(hit.advisory.id.clone());
        let mut members = vec![hit];
        // Absorb every existing group sharing an id.
        let mut i = 0;
        while i < groups.len() {
            if groups[i].0.is_disjoint(&ids) {
                i += 1;
            } else {
                let (other_ids, other_hits) = groups.swap_remove(i);
                ids.extend(other_ids);
                members.extend(other_hits);
            }
        }
        groups.push((ids, members));
    }
    groups.into_iter().map(|(_, hits)| hits).collect()
}

/// How much a record tells: used to pick the one whose title and text are reported.
fn richness(a: &Advisory) -> (usize, usize, usize) {
    (
        a.severities.len(),
        a.details.as_ref().map_or(0, String::len) + a.summary.as_ref().map_or(0, String::len),
        a.references.len(),
    )
}

fn finding(package: &Package, version: &str, scheme: Scheme, mut hits: Vec<Hit>) -> Finding {
    hits.sort_by_key(|h| std::cmp::Reverse(richness(&h.advisory)));
    let mut all_ids: BTreeSet<VulnId> = BTreeSet::new();
    let mut related: BTreeSet<VulnId> = BTreeSet::new();
    let mut references: Vec<String> = Vec::new();
    let mut fixed: Vec<String> = Vec::new();
    for h in &hits {
        all_ids.insert(h.advisory.id.clone());
        all_ids.extend(h.advisory.aliases.iter().cloned());
        related.extend(h.advisory.related.iter().cloned());
        for r in &h.advisory.references {
            if !references.contains(r) {
                references.push(r.clone());
            }
        }
        for f in &h.fixed {
            if !fixed.contains(f) {
                fixed.push(f.clone());
            }
        }
    }
    // The lowest fixed version first: the smallest upgrade that fixes it.
    fixed.sort_by(|a, b| compare(scheme, a, b).unwrap_or_else(|_| a.cmp(b)));
    let id = all_ids
        .iter()
        .find(|i| i.kind() == VulnIdKind::Cve)
        .or_else(|| hits.first().map(|h| &h.advisory.id))
        .or_else(|| all_ids.first())
        .cloned()
        .unwrap_or_else(|| hits[0].advisory.id.clone());
    let related: Vec<VulnId> = related
        .into_iter()
        .filter(|r| !all_ids.contains(r))
        .collect();
    let aliases: Vec<VulnId> = all_ids.into_iter().filter(|a| *a != id).collect();
    let rated = severity(&hits);
    let (epss, kev) = exploitation(&hits, &id);
    let status = if !fixed.is_empty() {
        FixStatus::Fixed
    } else if hits.iter().any(|h| h.wont_fix) {
        FixStatus::WontFix
    } else {
        FixStatus::NoFix
    };
    let best = &hits[0].advisory;
    // The database keeps each feed's text; what does not read as a time is left out.
    let timestamps = |text: fn(&Advisory) -> &Option<String>| {
        hits.iter()
            .filter_map(move |h| text(&h.advisory).as_deref())
            .filter_map(|t| Timestamp::parse(t).ok())
    };
    let published = timestamps(|a| &a.published).min();
    let modified = timestamps(|a| &a.modified).max();
    Finding {
        id,
        aliases,
        related,
        package_name: package.name.clone(),
        package_purl: package.purl.clone(),
        ecosystem: package.ecosystem,
        installed_version: version.to_owned(),
        fixed_versions: fixed,
        status,
        severity: rated.severity,
        severity_source: rated.source,
        cvss: rated.cvss.into(),
        title: best.summary.as_deref().map(Into::into),
        description: best.details.as_deref().map(Into::into),
        references: references.into(),
        published,
        modified,
        locations: package.locations.clone(),
        explanations: hits.into_iter().map(|h| h.explanation).collect(),
        vendor_severity: rated.vendors,
        epss,
        kev,
    }
}

/// What the records of one finding say about its severity.
struct Rated {
    severity: Severity,
    source: Option<String>,
    cvss: Vec<Cvss>,
    /// Each source's own rating, Trivy's `VendorSeverity`.
    vendors: BTreeMap<String, Severity>,
}

/// Severity from, in order: a scored CVSS v3, v4 or v2 vector of the advisories themselves,
/// then NVD's vector for the CVE (distribution feeds carry none), then a database's own
/// label, then nothing. v3 comes first because most feeds and peers rate by it; the richest
/// record's vector wins.
fn severity(hits: &[Hit]) -> Rated {
    let mut own = Vec::new();
    let mut nvd = Vec::new();
    let mut labels = Vec::new();
    let mut vendors = BTreeMap::new();
    for h in hits {
        let vendor = vendor_name(&h.advisory.id);
        for s in &h.advisory.severities {
            match s {
                SeverityRating::Cvss { version, vector } => {
                    let cvss = scored(version, vector, &h.advisory.id);
                    rate(&mut vendors, vendor.clone(), &cvss);
                    own.push(cvss);
                }
                SeverityRating::Label { label, source } => {
                    if let Some(level) = Severity::from_label(label) {
                        vendors.entry(source.clone()).or_insert(level);
                        labels.push((level, format!("{source} `{label}` ({})", h.advisory.id)));
                    }
                }
            }
        }
        let Some(context) = &h.advisory.context else {
            continue;
        };
        for rating in &context.nvd_cvss {
            if let SeverityRating::Cvss { version, vector } = rating {
                let cvss = scored(version, vector, &context.cve);
                if !nvd.contains(&cvss) {
                    rate(&mut vendors, "nvd".to_owned(), &cvss);
                    nvd.push(cvss);
                }
            }
        }
    }
    let best = |vectors: &[Cvss]| {
        let major = |m: &str| {
            vectors
                .iter()
                .find(|c| c.version.starts_with(m) && c.score.is_some())
                .cloned()
        };
        major("3").or_else(|| major("4")).or_else(|| major("2"))
    };
    let chosen = best(&own)
        .map(|c| (c, ""))
        .or_else(|| best(&nvd).map(|c| (c, "NVD ")));
    let (severity, source) = match chosen {
        Some((c, from)) => {
            let score = c.score.unwrap_or_default();
            let source = format!(
                "CVSS:{} base score {score:.1} ({from}{})",
                c.version, c.source
            );
            (Severity::from_cvss_score(score), Some(source))
        }
        None => match labels.into_iter().next() {
            Some((level, source)) => (level, Some(source)),
            None => (Severity::Unknown, None),
        },
    };
    own.extend(nvd);
    Rated {
        severity,
        source,
        cvss: own,
        vendors,
    }
}

fn scored(version: &str, vector: &str, source: &VulnId) -> Cvss {
    Cvss {
        version: version.to_owned(),
        vector: vector.to_owned(),
        score: cvss::parse(vector, Some(version)).ok().map(|p| p.score),
        source: source.clone(),
    }
}

/// A source's rating: its v3 score over its others, the first one seen otherwise.
fn rate(vendors: &mut BTreeMap<String, Severity>, vendor: String, cvss: &Cvss) {
    let Some(score) = cvss.score else {
        return;
    };
    let level = Severity::from_cvss_score(score);
    if cvss.version.starts_with('3') {
        vendors.insert(vendor, level);
    } else {
        vendors.entry(vendor).or_insert(level);
    }
}

/// Who rated: an advisory id's prefix (`GHSA-...` -> `ghsa`, `DEBIAN-CVE-...` -> `debian`);
/// a CVE record's own vectors are the CNA's, as OSV's CVE records carry them.
fn vendor_name(id: &VulnId) -> String {
    match id.kind() {
        VulnIdKind::Cve => "cve".to_owned(),
        _ => id
            .as_str()
            .split(['-', ':'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase(),
    }
}

/// EPSS and KEV of the finding's CVE: from the record about `id`, else from any record.
fn exploitation(hits: &[Hit], id: &VulnId) -> (Option<Epss>, Option<KnownExploited>) {
    let contexts = || hits.iter().filter_map(|h| h.advisory.context.as_ref());
    let context = contexts()
        .find(|c| &c.cve == id)
        .or_else(|| contexts().next());
    (
        context.and_then(|c| c.epss),
        context.and_then(|c| c.kev.clone()),
    )
}
