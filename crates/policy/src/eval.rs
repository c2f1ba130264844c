//! Judging one scan against a policy set. Facts about the scan (scores, ages, names,
//! acknowledgements) are worked out once and shared by every policy.

use std::cell::OnceCell;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use kabuto_types::{Finding, FixStatus, ImageReference, Inventory, Package};
use kabuto_version::{Scheme, compare};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::PolicySet;
use crate::ack::Acknowledgements;
use crate::compile::{
    BaseImageMatcher, Control, PackageMatcher, PermissionKind, Policy, VulnExceptions,
};
use crate::image_ref::ImageMatch;
use crate::input::PolicyInput;
use crate::pattern::Pattern;
use crate::scope::ScopeSubject;
use crate::verdict::{
    ControlOutcome, ControlResult, FileItem, GateOutcome, ImageItem, Item, LabelItem, LicenseItem,
    PackageItem, PolicyAction, PolicyOutcome, PolicyResult, SecretItem, Shared, Verdict,
    VulnerabilityItem,
};

/// The OCI annotation (also used as a label) naming the image's base.
pub const BASE_NAME_LABEL: &str = "org.opencontainers.image.base.name";

const SECONDS_PER_DAY: i64 = 86_400;

struct VulnFacts<'a> {
    finding: &'a Finding,
    score: Option<f64>,
    /// Whole days since publication; `None` when the advisory gives no date.
    age_days: Option<i64>,
    /// Acknowledged by a current (not expired) acknowledgement.
    acknowledged: bool,
    /// The finding as verdicts list it, built once and shared.
    item: Shared<VulnerabilityItem>,
}

struct Prepared<'a> {
    input: &'a PolicyInput<'a>,
    names: Vec<ImageReference>,
    labels: &'a BTreeMap<String, String>,
    vulns: Vec<VulnFacts<'a>>,
    /// Indices into `vulns` by upper-case id and alias.
    vulns_by_id: HashMap<String, Vec<usize>>,
    base: Option<ImageReference>,
    /// Distinct licence texts, parsed on first use (only licence controls need them).
    licenses: OnceCell<Licenses<'a>>,
    /// Package indices sorted by name, built on first use by the package controls.
    packages_by_name: OnceCell<Vec<(&'a str, usize)>>,
    /// Packages as verdict items, built on first use and shared between controls.
    package_items: OnceCell<Vec<Shared<PackageItem>>>,
}

/// The inventory's licence texts, each parsed once.
struct Licenses<'a> {
    /// Text, SPDX expression (when it parses), and the text for verdict items.
    distinct: Vec<(&'a str, Option<spdx::Expression>, Arc<str>)>,
    /// For each package, its licences: index into `distinct` and the verdict item.
    per_package: Vec<Vec<(usize, Shared<LicenseItem>)>>,
}

fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

fn days_between(earlier: OffsetDateTime, later: OffsetDateTime) -> i64 {
    (later - earlier)
        .whole_seconds()
        .div_euclid(SECONDS_PER_DAY)
}

/// The highest CVSS v3/v4 base score, else the highest v2 score.
fn best_score(finding: &Finding) -> Option<f64> {
    let max = |v2: bool| {
        finding
            .cvss
            .iter()
            .filter(|c| c.version.starts_with('2') == v2)
            .filter_map(|c| c.score)
            .reduce(f64::max)
    };
    max(false).or_else(|| max(true))
}

/// A scan target name that is an image reference rather than a file path.
fn looks_like_reference(name: &str) -> bool {
    const ARCHIVE_SUFFIXES: [&str; 4] = [".tar", ".tar.gz", ".tgz", ".tar.zst"];
    const TRANSPORTS: [&str; 5] = ["docker-archive:", "oci-archive:", "oci:", "dir:", "docker:"];
    !(name.starts_with(['/', '.'])
        || name.contains("://")
        || ARCHIVE_SUFFIXES.iter().any(|s| name.ends_with(s))
        || TRANSPORTS.iter().any(|t| name.starts_with(t)))
}

/// The names the scanned image is known by: the scan target when it is a reference, then
/// its repository tags and digests.
pub(crate) fn image_names(inventory: &Inventory) -> Vec<ImageReference> {
    let mut names: Vec<ImageReference> = inventory
        .image
        .as_ref()
        .map(|i| i.repo_tags.iter().chain(&i.repo_digests))
        .into_iter()
        .flatten()
        .filter_map(|name| ImageReference::parse(name.trim()).ok())
        .collect();
    let target = &inventory.artifact.name;
    if looks_like_reference(target)
        && let Ok(reference) = ImageReference::parse(target.trim())
        // The same text only: the target as written names the image in the verdict.
        && !names.iter().any(|n| n.original() == reference.original())
    {
        names.insert(0, reference);
    }
    names
}

impl<'a> Prepared<'a> {
    fn new(input: &'a PolicyInput<'a>, acks: &Acknowledgements) -> Self {
        static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();
        let image = input.inventory.image.as_ref();
        let names = image_names(input.inventory);
        let labels = image.map_or(&NO_LABELS, |i| &i.labels);
        let today = input.now.date();
        let mut vulns_by_id: HashMap<String, Vec<usize>> = HashMap::new();
        let vulns = input
            .findings
            .iter()
            .enumerate()
            .map(|(index, finding)| {
                for id in std::iter::once(&finding.id).chain(&finding.aliases) {
                    let entry = vulns_by_id
                        .entry(id.as_str().to_ascii_uppercase())
                        .or_default();
                    if entry.last() != Some(&index) {
                        entry.push(index);
                    }
                }
                let ack = acks.find(finding, &names, today);
                let score = best_score(finding);
                VulnFacts {
                    finding,
                    score,
                    age_days: finding
                        .published
                        .as_deref()
                        .and_then(parse_time)
                        .map(|published| days_between(published, input.now)),
                    acknowledged: ack.as_ref().is_some_and(|a| !a.expired),
                    item: Shared(Arc::new(VulnerabilityItem {
                        id: finding.id.to_string(),
                        package: finding.package_name.clone(),
                        version: finding.installed_version.clone(),
                        severity: finding.severity,
                        score,
                        fixed_versions: finding.fixed_versions.clone(),
                        acknowledged: ack,
                    })),
                }
            })
            .collect();
        let base = input
            .base_image
            .or_else(|| labels.get(BASE_NAME_LABEL).map(String::as_str))
            .and_then(|text| ImageReference::parse(text.trim()).ok());
        Prepared {
            input,
            names,
            labels,
            vulns,
            vulns_by_id,
            base,
            licenses: OnceCell::new(),
            package_items: OnceCell::new(),
            packages_by_name: OnceCell::new(),
        }
    }

    /// Marks the findings carrying any of `ids` (upper case).
    fn findings_with_ids<'i>(&self, ids: impl IntoIterator<Item = &'i String>) -> Vec<bool> {
        let mut marked = vec![false; self.vulns.len()];
        for id in ids {
            for &index in self.vulns_by_id.get(id).into_iter().flatten() {
                marked[index] = true;
            }
        }
        marked
    }

    fn image_name(&self) -> String {
        self.names.first().map_or_else(
            || self.input.inventory.artifact.name.clone(),
            |n| n.original().to_owned(),
        )
    }

    /// Indices of the packages whose name `pattern` may match: a range of the sorted name
    /// index for plain names and `prefix*`, every package otherwise.
    fn package_candidates(&self, pattern: &Pattern) -> Vec<usize> {
        let packages = &self.input.inventory.packages;
        let Some((prefix, exact)) = pattern.fixed_prefix() else {
            return (0..packages.len()).collect();
        };
        let by_name = self.packages_by_name.get_or_init(|| {
            let mut index: Vec<(&str, usize)> = packages
                .iter()
                .enumerate()
                .map(|(i, p)| (p.name.as_str(), i))
                .collect();
            index.sort_unstable();
            index
        });
        let start = by_name.partition_point(|(name, _)| *name < prefix);
        by_name[start..]
            .iter()
            .take_while(|(name, _)| {
                if exact {
                    *name == prefix
                } else {
                    name.starts_with(prefix)
                }
            })
            .map(|(_, i)| *i)
            .collect()
    }

    /// One flag per package: whether any entry matches it.
    fn packages_matching(&self, entries: &[PackageMatcher]) -> Vec<bool> {
        let packages = &self.input.inventory.packages;
        let mut matched = vec![false; packages.len()];
        for entry in entries {
            for index in self.package_candidates(&entry.name) {
                if !matched[index] && package_matches(entry, &packages[index]) {
                    matched[index] = true;
                }
            }
        }
        matched
    }

    fn package_item(&self, index: usize) -> Shared<PackageItem> {
        let items = self.package_items.get_or_init(|| {
            let packages = &self.input.inventory.packages;
            packages
                .iter()
                .map(|p| {
                    Shared(Arc::new(PackageItem {
                        name: p.name.clone(),
                        version: p.version.clone(),
                        ecosystem: p.ecosystem,
                    }))
                })
                .collect()
        });
        items[index].clone()
    }

    fn licenses(&self) -> &Licenses<'a> {
        self.licenses.get_or_init(|| {
            let mut index: HashMap<&str, usize> = HashMap::new();
            let mut distinct: Vec<(&str, Option<spdx::Expression>, Arc<str>)> = Vec::new();
            let per_package = self
                .input
                .inventory
                .packages
                .iter()
                .enumerate()
                .map(|(package_index, package)| {
                    package
                        .licenses
                        .iter()
                        .map(|license| {
                            let distinct_index =
                                *index.entry(license.as_str()).or_insert_with(|| {
                                    let parsed =
                                        spdx::Expression::parse_mode(license, spdx::ParseMode::LAX)
                                            .ok();
                                    distinct.push((
                                        license.as_str(),
                                        parsed,
                                        Arc::from(license.as_str()),
                                    ));
                                    distinct.len() - 1
                                });
                            let item = Shared(Arc::new(LicenseItem {
                                package: self.package_item(package_index),
                                license: distinct[distinct_index].2.clone(),
                            }));
                            (distinct_index, item)
                        })
                        .collect()
                })
                .collect();
            Licenses {
                distinct,
                per_package,
            }
        })
    }
}

/// Judges the scan in `input` against every policy in `policies`.
pub fn evaluate(policies: &PolicySet, acks: &Acknowledgements, input: &PolicyInput<'_>) -> Verdict {
    let prepared = Prepared::new(input, acks);
    let subject = ScopeSubject {
        names: &prepared.names,
        labels: prepared.labels,
    };
    let results: Vec<PolicyResult> = policies
        .policies()
        .iter()
        .map(|policy| evaluate_policy(policy, &prepared, &subject))
        .collect();
    let failed = |fail_cicd: bool| {
        results.iter().any(|r| {
            r.outcome == PolicyOutcome::Fail && (!fail_cicd || r.action == PolicyAction::FailCicd)
        })
    };
    let gate = if failed(true) {
        GateOutcome::Fail
    } else if failed(false) {
        GateOutcome::AuditOnly
    } else {
        GateOutcome::Pass
    };
    Verdict {
        image: prepared.image_name(),
        evaluated_at: input.now.format(&Rfc3339).unwrap_or_default(),
        gate,
        policies: results,
    }
}

fn evaluate_policy(
    policy: &Policy,
    prepared: &Prepared<'_>,
    subject: &ScopeSubject<'_>,
) -> PolicyResult {
    let action = if policy.fail_cicd {
        PolicyAction::FailCicd
    } else {
        PolicyAction::Audit
    };
    let skipped = if !policy.enabled {
        Some("the policy is disabled".to_owned())
    } else if !policy.scope.matches(subject) {
        Some("the image is outside the policy's scope".to_owned())
    } else {
        None
    };
    let controls: Vec<ControlResult> = if skipped.is_some() {
        Vec::new()
    } else {
        policy
            .controls
            .iter()
            .map(|control| evaluate_control(control, &policy.exceptions, prepared))
            .collect()
    };
    let outcome = if skipped.is_some() {
        PolicyOutcome::Skipped
    } else if controls.iter().all(|c| c.outcome == ControlOutcome::Pass) {
        PolicyOutcome::Pass
    } else {
        PolicyOutcome::Fail
    };
    PolicyResult {
        policy: policy.name.clone(),
        description: policy.description.clone(),
        outcome,
        skipped_because: skipped,
        action,
        controls,
        not_evaluated: policy.notes.clone(),
    }
}

fn result(
    control: &Control,
    outcome: ControlOutcome,
    message: String,
    items: Vec<Item>,
) -> ControlResult {
    ControlResult {
        control: control.id(),
        outcome,
        message,
        items,
    }
}

/// A control whose input the scan did not provide: it cannot pass.
fn unknown(control: &Control, why: String) -> ControlResult {
    result(control, ControlOutcome::Unknown, why, Vec::new())
}

fn not_scanned(control: &Control, what: &str) -> ControlResult {
    unknown(
        control,
        format!("the scan did not collect {what}; run it with that scanner enabled"),
    )
}

fn base_unknown(control: &Control) -> ControlResult {
    unknown(
        control,
        format!(
            "the base image is unknown: set the `{BASE_NAME_LABEL}` label or pass the base image"
        ),
    )
}

/// Pass when `items` is empty, else fail with `message`.
fn judged(
    control: &Control,
    items: Vec<Item>,
    pass: &str,
    fail: impl FnOnce(usize) -> String,
) -> ControlResult {
    if items.is_empty() {
        result(control, ControlOutcome::Pass, pass.to_owned(), items)
    } else {
        let message = fail(items.len());
        result(control, ControlOutcome::Fail, message, items)
    }
}

fn evaluate_control(
    control: &Control,
    exceptions: &VulnExceptions,
    prepared: &Prepared<'_>,
) -> ControlResult {
    let input = prepared.input;
    let image = input.inventory.image.as_ref();
    match control {
        Control::Severity {
            at_least,
            exclude_no_fix,
        } => vulnerability_control(
            control,
            prepared,
            Selection::Counted {
                exceptions,
                exclude_no_fix: *exclude_no_fix,
            },
            |v| v.finding.severity >= *at_least,
            &format!("of severity {at_least} or higher"),
        ),
        Control::MaximumScore {
            above,
            exclude_no_fix,
        } => vulnerability_control(
            control,
            prepared,
            Selection::Counted {
                exceptions,
                exclude_no_fix: *exclude_no_fix,
            },
            |v| v.score.is_some_and(|s| s > *above),
            &format!("with a CVSS score above {above:.1}"),
        ),
        Control::CvesBlackList(blocked) => vulnerability_control(
            control,
            prepared,
            Selection::Ids(blocked),
            |_| true,
            "on the blocked list",
        ),
        Control::PackagesBlackList(entries) => {
            let items = package_items(prepared, prepared.packages_matching(entries), true);
            judged(control, items, "no blocked package", |n| {
                format!("{n} blocked packages")
            })
        }
        Control::PackagesWhiteList(entries) => {
            let items = package_items(prepared, prepared.packages_matching(entries), false);
            judged(
                control,
                items,
                "every package is on the allowed list",
                |n| format!("{n} packages are not on the allowed list"),
            )
        }
        Control::BlacklistedLicenses(blocked) => {
            license_control(control, prepared, LicenseRule::Blocked(blocked))
        }
        Control::WhitelistedLicenses(allowed) => {
            license_control(control, prepared, LicenseRule::Allowed(allowed))
        }
        Control::Malware => match input.malware {
            None => not_scanned(control, "malware scan results"),
            Some(hits) => {
                let items = hits
                    .iter()
                    .map(|h| Item::Malware(Box::new(h.clone())))
                    .collect();
                judged(control, items, "no malware found", |n| {
                    format!("{n} malware detections")
                })
            }
        },
        Control::SensitiveData { ignored_paths } => match input.secrets {
            None => not_scanned(control, "secret scan results"),
            Some(secrets) => {
                let items = secrets
                    .iter()
                    .filter(|s| !ignored_paths.iter().any(|p| p.is_match(&s.path)))
                    .map(|s| {
                        Item::Secret(Box::new(SecretItem {
                            rule_id: s.rule_id.to_string(),
                            path: s.path.clone(),
                            line: s.line,
                        }))
                    })
                    .collect();
                judged(control, items, "no secrets found", |n| {
                    format!("{n} secrets found")
                })
            }
        },
        Control::NonRootUser => match image {
            None => unknown(control, "the scan has no image configuration".to_owned()),
            Some(image) => {
                let user = image.user.as_deref().unwrap_or("").trim();
                let account = user.split(':').next().unwrap_or(user);
                if account.is_empty() || account == "root" || account == "0" {
                    let shown = if user.is_empty() {
                        "no USER (root)".to_owned()
                    } else {
                        format!("USER {user}")
                    };
                    result(
                        control,
                        ControlOutcome::Fail,
                        format!("the image runs as root: {shown}"),
                        Vec::new(),
                    )
                } else {
                    result(
                        control,
                        ControlOutcome::Pass,
                        format!("the image runs as `{user}`"),
                        Vec::new(),
                    )
                }
            }
        },
        Control::BlacklistPermissions(kinds) => match input.file_permissions {
            None => not_scanned(control, "file permissions"),
            Some(files) => {
                let items = files
                    .iter()
                    .filter(|f| kinds.iter().any(|k| has_permission(*k, f.mode, f.uid)))
                    .map(|f| {
                        Item::File(Box::new(FileItem {
                            path: f.path.clone(),
                            mode: format!("{:o}", f.mode & 0o7777),
                            uid: f.uid,
                        }))
                    })
                    .collect();
                judged(control, items, "no file has a blocked permission", |n| {
                    format!("{n} files have blocked permissions")
                })
            }
        },
        Control::RequiredLabels(required) => {
            let items = required
                .iter()
                .filter(|l| !l.matches(prepared.labels))
                .map(|l| {
                    Item::Label(Box::new(LabelItem {
                        key: l.key.clone(),
                        value: l.value.as_ref().map(|v| v.as_str().to_owned()),
                    }))
                })
                .collect();
            judged(control, items, "every required label is set", |n| {
                format!("{n} required labels are missing")
            })
        }
        Control::ForbiddenLabels(forbidden) => {
            let items = forbidden
                .iter()
                .filter(|l| l.matches(prepared.labels))
                .map(|l| {
                    Item::Label(Box::new(LabelItem {
                        key: l.key.clone(),
                        value: prepared.labels.get(&l.key).cloned(),
                    }))
                })
                .collect();
            judged(control, items, "no forbidden label is set", |n| {
                format!("{n} forbidden labels are set")
            })
        }
        Control::TrustedBaseImages(trusted) => match &prepared.base {
            None => base_unknown(control),
            Some(base) if trusted.iter().any(|t| base_matches(t, base)) => result(
                control,
                ControlOutcome::Pass,
                format!("base image {} is trusted", base.original()),
                Vec::new(),
            ),
            Some(base) => result(
                control,
                ControlOutcome::Fail,
                format!("base image {} is not trusted", base.original()),
                vec![Item::Image(Box::new(ImageItem {
                    reference: base.original().to_owned(),
                }))],
            ),
        },
        Control::ForbiddenBaseImages(forbidden) => match &prepared.base {
            None => base_unknown(control),
            Some(base) if forbidden.iter().any(|f| base_matches(f, base)) => result(
                control,
                ControlOutcome::Fail,
                format!("base image {} is forbidden", base.original()),
                vec![Item::Image(Box::new(ImageItem {
                    reference: base.original().to_owned(),
                }))],
            ),
            Some(base) => result(
                control,
                ControlOutcome::Pass,
                format!("base image {} is not forbidden", base.original()),
                Vec::new(),
            ),
        },
        Control::AllowedRegistries(allowed) => {
            if prepared.names.is_empty() {
                return unknown(
                    control,
                    "the image has no name: scan a reference or a tagged archive".to_owned(),
                );
            }
            let items = prepared
                .names
                .iter()
                .filter(|n| !allowed.iter().any(|p| n.registry_matches(p)))
                .map(|n| {
                    Item::Image(Box::new(ImageItem {
                        reference: n.original().to_owned(),
                    }))
                })
                .collect();
            judged(
                control,
                items,
                "the image comes from an allowed registry",
                |n| format!("{n} image names are outside the allowed registries"),
            )
        }
        Control::ImageMaxAge { days } => {
            let Some(created) = image
                .and_then(|i| i.created.as_deref())
                .and_then(parse_time)
            else {
                return unknown(control, "the image config has no creation time".to_owned());
            };
            let age = days_between(created, input.now);
            let outcome = if age > i64::from(*days) {
                ControlOutcome::Fail
            } else {
                ControlOutcome::Pass
            };
            result(
                control,
                outcome,
                format!("the image is {age} days old (limit {days})"),
                Vec::new(),
            )
        }
        Control::MaxImageSize { megabytes } => {
            let Some(bytes) = image.and_then(|i| i.total_layer_size()) else {
                return unknown(control, "the layer sizes are unknown".to_owned());
            };
            let limit = megabytes.saturating_mul(1_000_000);
            let outcome = if bytes > limit {
                ControlOutcome::Fail
            } else {
                ControlOutcome::Pass
            };
            let size = bytes as f64 / 1_000_000.0;
            result(
                control,
                outcome,
                format!("the image is {size:.1} MB (limit {megabytes} MB)"),
                Vec::new(),
            )
        }
        Control::MisconfigurationChecks(checks) => match input.misconfigurations {
            None => not_scanned(control, "misconfiguration results"),
            Some(hits) => {
                let items = hits
                    .iter()
                    .filter(|h| checks.iter().any(|p| p.is_match(&h.check_id)))
                    .map(|h| Item::Misconfiguration(Box::new(h.clone())))
                    .collect();
                judged(control, items, "no listed check failed", |n| {
                    format!("{n} listed checks failed")
                })
            }
        },
    }
}

/// Which findings a vulnerability control looks at.
enum Selection<'e> {
    /// Every finding, narrowed by the policy's exceptions and the control's no-fix switch.
    Counted {
        exceptions: &'e VulnExceptions,
        exclude_no_fix: bool,
    },
    /// Only findings with one of these ids (or aliases).
    Ids(&'e HashSet<String>),
}

impl Selection<'_> {
    /// One flag per finding: whether the control looks at it.
    fn mask(&self, prepared: &Prepared<'_>) -> Vec<bool> {
        match self {
            Selection::Ids(ids) => prepared.findings_with_ids(ids.iter()),
            Selection::Counted {
                exceptions,
                exclude_no_fix,
            } => {
                let excepted = prepared.findings_with_ids(exceptions.ignored_ids.iter());
                let fixed_only = *exclude_no_fix || exceptions.exclude_no_fix;
                prepared
                    .vulns
                    .iter()
                    .zip(excepted)
                    .map(|(vuln, excepted)| {
                        let fix_ok = !fixed_only || vuln.finding.status == FixStatus::Fixed;
                        let old_enough =
                            match (exceptions.ignore_published_within_days, vuln.age_days) {
                                (Some(grace), Some(age)) => age >= i64::from(grace),
                                _ => true,
                            };
                        !excepted && fix_ok && old_enough
                    })
                    .collect()
            }
        }
    }
}

fn vulnerability_control(
    control: &Control,
    prepared: &Prepared<'_>,
    selection: Selection<'_>,
    offends: impl Fn(&VulnFacts<'_>) -> bool,
    what: &str,
) -> ControlResult {
    let mut items = Vec::new();
    let mut open = 0usize;
    let mask = selection.mask(prepared);
    for (vuln, _) in prepared
        .vulns
        .iter()
        .zip(mask)
        .filter(|(v, looked_at)| *looked_at && offends(v))
    {
        if !vuln.acknowledged {
            open += 1;
        }
        items.push(Item::Vulnerability(vuln.item.clone()));
    }
    let acknowledged = items.len() - open;
    let mut message = format!("{open} vulnerabilities {what}");
    if acknowledged > 0 {
        message.push_str(&format!(" ({acknowledged} more acknowledged)"));
    }
    let outcome = if open > 0 {
        ControlOutcome::Fail
    } else {
        ControlOutcome::Pass
    };
    result(control, outcome, message, items)
}

/// Items for the packages whose match flag equals `offending_when`.
fn package_items(prepared: &Prepared<'_>, matched: Vec<bool>, offending_when: bool) -> Vec<Item> {
    matched
        .into_iter()
        .enumerate()
        .filter(|(_, m)| *m == offending_when)
        .map(|(index, _)| Item::Package(prepared.package_item(index)))
        .collect()
}

fn package_matches(entry: &PackageMatcher, package: &Package) -> bool {
    if entry.ecosystem.is_some_and(|e| e != package.ecosystem)
        || !entry.name.is_match(&package.name)
    {
        return false;
    }
    if let Some(arch) = &entry.arch
        && package.arch.as_deref() != Some(arch.as_str())
    {
        return false;
    }
    if let Some(license) = &entry.license
        && !package
            .licenses
            .iter()
            .any(|l| l.eq_ignore_ascii_case(license))
    {
        return false;
    }
    if let Some(version) = &entry.version {
        let scheme = Scheme::for_ecosystem(package.ecosystem);
        let equal = version == &package.version
            || compare(scheme, version, &package.version).is_ok_and(|o| o == Ordering::Equal);
        if !equal {
            return false;
        }
    }
    // An installed version the scheme cannot read is outside every range.
    entry
        .range
        .as_ref()
        .is_none_or(|range| range.contains(&package.version).unwrap_or(false))
}

/// A licence list and how it is used.
#[derive(Clone, Copy)]
enum LicenseRule<'l> {
    Blocked(&'l [String]),
    Allowed(&'l [String]),
}

impl LicenseRule<'_> {
    /// Whether one licence, known by any of `names` (lower case), is acceptable.
    fn accepts(self, names: &[String]) -> bool {
        match self {
            LicenseRule::Blocked(list) => !names.iter().any(|n| list.contains(n)),
            LicenseRule::Allowed(list) => names.iter().any(|n| list.contains(n)),
        }
    }

    /// Whether a licence expression can be satisfied with acceptable licences only
    /// (`MIT OR GPL-3.0-only` is fine under a GPL block).
    fn accepts_expression(self, text: &str, parsed: Option<&spdx::Expression>) -> bool {
        let Some(expression) = parsed else {
            return self.accepts(&[text.trim().to_ascii_lowercase()]);
        };
        expression.evaluate(|req| {
            let names = match &req.license {
                spdx::LicenseItem::Spdx { id, or_later } => {
                    let name = id.name.to_ascii_lowercase();
                    if *or_later {
                        vec![format!("{name}+"), format!("{name}-or-later"), name]
                    } else {
                        vec![name]
                    }
                }
                spdx::LicenseItem::Other(other) => {
                    let name = other.lic_ref.to_ascii_lowercase();
                    vec![format!("licenseref-{name}"), name]
                }
            };
            self.accepts(&names)
        })
    }
}

fn license_control(
    control: &Control,
    prepared: &Prepared<'_>,
    rule: LicenseRule<'_>,
) -> ControlResult {
    let licenses = prepared.licenses();
    let acceptable: Vec<bool> = licenses
        .distinct
        .iter()
        .map(|(text, parsed, _)| rule.accepts_expression(text, parsed.as_ref()))
        .collect();
    let mut items = Vec::new();
    for indices in &licenses.per_package {
        for (_, item) in indices.iter().filter(|(i, _)| !acceptable[*i]) {
            items.push(Item::License(item.clone()));
        }
    }
    let what = match rule {
        LicenseRule::Blocked(_) => "blocked licences",
        LicenseRule::Allowed(_) => "licences outside the allowed list",
    };
    judged(control, items, &format!("no {what}"), |n| {
        format!("{n} packages with {what}")
    })
}

fn has_permission(kind: PermissionKind, mode: u32, uid: u32) -> bool {
    match kind {
        PermissionKind::Setuid => mode & 0o4000 != 0,
        PermissionKind::Setgid => mode & 0o2000 != 0,
        PermissionKind::SuperuserOnly => uid == 0 && mode & 0o100 != 0 && mode & 0o011 == 0,
    }
}

fn base_matches(entry: &BaseImageMatcher, base: &ImageReference) -> bool {
    entry
        .registry
        .as_ref()
        .is_none_or(|r| base.registry_matches(r))
        && base.repository_matches(&entry.imagename)
}
