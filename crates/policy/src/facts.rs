//! Facts about one scan (scores, ages, names, acknowledgements, licences), worked out once
//! and shared by every policy and control that judges it.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use kabuto_types::{Finding, ImageReference};
use time::OffsetDateTime;

use crate::ack::Acknowledgements;
use crate::input::PolicyInput;
use crate::matchers::image_names;
use crate::verdict::{LicenseItem, PackageItem, Shared, VulnerabilityItem};

/// The OCI annotation (also used as a label) naming the image's base.
pub const BASE_NAME_LABEL: &str = "org.opencontainers.image.base.name";

const SECONDS_PER_DAY: i64 = 86_400;

/// One vulnerability finding with what the controls ask of it.
pub(crate) struct VulnFacts<'a> {
    pub finding: &'a Finding,
    pub score: Option<f64>,
    /// Whole days since publication; `None` when the advisory gives no date.
    pub age_days: Option<i64>,
    /// Acknowledged by a current (not expired) acknowledgement.
    pub acknowledged: bool,
    /// The finding as verdicts list it, built once and shared.
    pub item: Shared<VulnerabilityItem>,
}

/// Everything controls read about one scan.
pub(crate) struct Prepared<'a> {
    pub input: &'a PolicyInput<'a>,
    /// The names the image is known by (the scan target first when it is a reference).
    pub names: Vec<ImageReference>,
    pub labels: &'a BTreeMap<String, String>,
    pub vulns: Vec<VulnFacts<'a>>,
    /// Indices into `vulns` by upper-case id and alias.
    vulns_by_id: HashMap<String, Vec<usize>>,
    /// The base image, from the caller or the base-name label.
    pub base: Option<ImageReference>,
    /// Distinct licence texts, parsed on first use (only licence controls need them).
    licenses: OnceCell<Licenses<'a>>,
    /// Package indices sorted by name, built on first use by the package controls.
    packages_by_name: OnceCell<Vec<(&'a str, usize)>>,
    /// Packages as verdict items, built on first use and shared between controls.
    package_items: OnceCell<Vec<Shared<PackageItem>>>,
}

/// The inventory's licence texts, each parsed once.
pub(crate) struct Licenses<'a> {
    /// Text, SPDX expression (when it parses), and the text for verdict items.
    pub distinct: Vec<(&'a str, Option<spdx::Expression>, Arc<str>)>,
    /// For each package, its licences: index into `distinct` and the verdict item.
    pub per_package: Vec<Vec<(usize, Shared<LicenseItem>)>>,
}

pub(crate) fn days_between(earlier: OffsetDateTime, later: OffsetDateTime) -> i64 {
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

impl<'a> Prepared<'a> {
    pub fn new(input: &'a PolicyInput<'a>, acks: &Acknowledgements) -> Self {
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
                        .as_ref()
                        .map(|published| days_between(published.at(), input.now)),
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
    pub fn findings_with_ids<'i>(&self, ids: impl IntoIterator<Item = &'i String>) -> Vec<bool> {
        let mut marked = vec![false; self.vulns.len()];
        for id in ids {
            for &index in self.vulns_by_id.get(id).into_iter().flatten() {
                marked[index] = true;
            }
        }
        marked
    }

    pub fn image_name(&self) -> String {
        self.names.first().map_or_else(
            || self.input.inventory.artifact.name.clone(),
            |n| n.original().to_owned(),
        )
    }

    /// `(name, index)` of every package, sorted by name; built on first use.
    pub fn packages_by_name(&self) -> &[(&'a str, usize)] {
        self.packages_by_name.get_or_init(|| {
            let mut index: Vec<(&str, usize)> = self
                .input
                .inventory
                .packages
                .iter()
                .enumerate()
                .map(|(i, p)| (p.name.as_str(), i))
                .collect();
            index.sort_unstable();
            index
        })
    }

    pub fn package_item(&self, index: usize) -> Shared<PackageItem> {
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

    pub fn licenses(&self) -> &Licenses<'a> {
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
