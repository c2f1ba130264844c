//! CycloneDX 1.6 JSON (<https://cyclonedx.org/docs/1.6/json/>): the artifact, the OS, packages
//! with `kabuto:` properties, vulnerabilities with acknowledgements as `analysis`, malware as
//! files. The conventions, and how they compare with Trivy's and Syft's output, are in
//! `docs/formats.md`.

use std::collections::{BTreeMap, HashMap};

use kabuto_types::{
    ArtifactKind, Cvss, Digest, Ecosystem, Finding, Inventory, MalwareFinding, Package, Severity,
    Timestamp, VulnId, VulnIdKind,
};
use serde::Serialize;

use crate::artifact::{image_digest, image_purl};
use crate::findings::{covers, malware_source_label, web_url};
use crate::license::{LicenseTerm, classify_all, conjunction, license_ref_id};
use crate::{
    AckState, Acknowledgement, RenderOptions, Report, TOOL_NAME, TOOL_VERSION, utc_timestamp,
};

pub const SPEC_VERSION: &str = "1.6";
const SCHEMA_URL: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Bom {
    #[serde(rename = "$schema")]
    schema: &'static str,
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vulnerabilities: Option<Vec<Vulnerability>>,
}

#[derive(Debug, Serialize)]
struct Vulnerability {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<Reference>,
    ratings: Vec<Rating>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cwes: Vec<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recommendation: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    advisories: Vec<Advisory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    analysis: Option<Analysis>,
    affects: Vec<Affect>,
    /// EPSS and KEV, which CycloneDX has no fields for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Debug, Clone, Serialize)]
struct Source {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Debug, Serialize)]
struct Reference {
    id: String,
    source: Source,
}

#[derive(Debug, Serialize)]
struct Rating {
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    severity: &'static str,
    method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    vector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<String>,
}

#[derive(Debug, Serialize)]
struct Advisory {
    url: String,
}

#[derive(Debug, Serialize)]
struct Analysis {
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    response: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

#[derive(Debug, Serialize)]
struct Affect {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    versions: Vec<AffectedVersion>,
}

#[derive(Debug, Serialize)]
struct AffectedVersion {
    version: String,
    status: &'static str,
}

#[derive(Debug, Serialize)]
struct Metadata {
    timestamp: String,
    tools: Tools,
    component: Component,
}

#[derive(Debug, Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Debug, Default, Serialize)]
struct Component {
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    #[serde(rename = "type")]
    ty: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Debug, Serialize)]
struct Hash {
    alg: &'static str,
    content: String,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum LicenseChoice {
    License { license: License },
    Expression { expression: String },
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "lowercase")]
enum License {
    Id(String),
    Name(String),
}

#[derive(Debug, Serialize)]
struct Property {
    name: String,
    value: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    depends_on: Vec<String>,
}

fn property(name: impl Into<String>, value: impl Into<String>) -> Property {
    Property {
        name: name.into(),
        value: value.into(),
    }
}

pub(crate) fn document(report: &Report<'_>, options: &RenderOptions) -> Bom {
    let inventory = report.inventory;
    let root = artifact_component(inventory);
    let root_ref = root.bom_ref.clone().unwrap_or_default();
    let os = os_component(inventory);
    let refs = unique_refs(&inventory.packages);
    let mut vulnerabilities = report
        .vulnerabilities
        .map(|findings| vulnerabilities(report, findings, &refs));
    let malware_files = report.malware.map(malware_files).unwrap_or_default();
    if let Some(findings) = report.malware {
        vulnerabilities
            .get_or_insert_with(Vec::new)
            .extend(malware_rules(findings));
    }

    let mut components = Vec::with_capacity(inventory.packages.len() + 1);
    let mut root_deps = Vec::new();
    let mut os_deps = Vec::new();
    if let Some(os) = &os {
        root_deps.push(os.bom_ref.clone().unwrap_or_default());
    }
    for (package, bom_ref) in inventory.packages.iter().zip(&refs) {
        if package.ecosystem.is_os() && os.is_some() {
            os_deps.push(bom_ref.clone());
        } else {
            root_deps.push(bom_ref.clone());
        }
        components.push(package_component(package, bom_ref.clone()));
    }

    let mut dependencies = vec![Dependency {
        reference: root_ref,
        depends_on: root_deps,
    }];
    if let Some(os) = os {
        dependencies.push(Dependency {
            reference: os.bom_ref.clone().unwrap_or_default(),
            depends_on: os_deps,
        });
        components.insert(0, os);
    }
    dependencies.extend(refs.into_iter().map(|reference| Dependency {
        reference,
        depends_on: Vec::new(),
    }));
    for file in malware_files {
        dependencies.push(Dependency {
            reference: file.bom_ref.clone().unwrap_or_default(),
            depends_on: Vec::new(),
        });
        components.push(file);
    }

    Bom {
        schema: SCHEMA_URL,
        bom_format: "CycloneDX",
        spec_version: SPEC_VERSION,
        serial_number: format!("urn:uuid:{}", options.document_id),
        version: 1,
        metadata: Metadata {
            timestamp: options.timestamp(),
            tools: Tools {
                components: vec![Component {
                    ty: "application",
                    name: TOOL_NAME.to_owned(),
                    version: Some(TOOL_VERSION.to_owned()),
                    ..Component::default()
                }],
            },
            component: root,
        },
        components,
        dependencies,
        vulnerabilities,
    }
}

/// One entry per (vulnerability id, acknowledgement); see the module docs.
fn vulnerabilities(
    report: &Report<'_>,
    findings: &[Finding],
    refs: &[String],
) -> Vec<Vulnerability> {
    let mut groups: BTreeMap<(&VulnId, Option<usize>), Vec<&Finding>> = BTreeMap::new();
    for finding in findings {
        // The index of the covering acknowledgement, as `Report::acknowledgement_for` picks it.
        let ack = report
            .acknowledgements
            .iter()
            .position(|a| covers(a, finding));
        groups.entry((&finding.id, ack)).or_default().push(finding);
    }
    groups
        .into_iter()
        .map(|((id, ack), findings)| {
            let ack = ack.and_then(|i| report.acknowledgements.get(i));
            vulnerability(id, &findings, ack, &report.inventory.packages, refs)
        })
        .collect()
}

fn vulnerability(
    id: &VulnId,
    findings: &[&Finding],
    ack: Option<&Acknowledgement>,
    packages: &[Package],
    refs: &[String],
) -> Vulnerability {
    // Every finding of one id comes from the same advisory records.
    let first = findings[0];
    let mut upgrades: Vec<String> = findings
        .iter()
        .filter(|f| !f.fixed_versions.is_empty())
        .map(|f| {
            format!(
                "Upgrade {} to {}.",
                f.package_name,
                f.fixed_versions.join(" or ")
            )
        })
        .collect();
    upgrades.dedup();
    Vulnerability {
        id: id.to_string(),
        source: database(id),
        references: first
            .aliases
            .iter()
            .filter_map(|alias| {
                Some(Reference {
                    id: alias.to_string(),
                    source: database(alias)?,
                })
            })
            .collect(),
        ratings: ratings(first),
        cwes: Vec::new(),
        description: first
            .description
            .as_deref()
            .or(first.title.as_deref())
            .map(str::to_owned),
        recommendation: Some(upgrades.join(" ")).filter(|r| !r.is_empty()),
        advisories: first
            .references
            .iter()
            .filter_map(|r| web_url(r))
            .map(|url| Advisory {
                url: url.to_owned(),
            })
            .collect(),
        published: first.published.as_ref().and_then(rfc3339),
        updated: first.modified.as_ref().and_then(rfc3339),
        analysis: ack.map(analysis),
        properties: exploitation(first),
        affects: findings
            .iter()
            .filter_map(|f| {
                let reference = package_ref(f, packages, refs)?;
                let mut versions = vec![AffectedVersion {
                    version: f.installed_version.clone(),
                    status: "affected",
                }];
                versions.extend(f.fixed_versions.iter().map(|v| AffectedVersion {
                    version: v.clone(),
                    status: "unaffected",
                }));
                Some(Affect {
                    reference,
                    versions,
                })
            })
            .collect(),
    }
}

/// The bom-ref of the `file` component of a malware finding's file.
fn malware_file_ref(finding: &MalwareFinding) -> String {
    format!("file:{}@{}", finding.path, finding.sha256)
}

/// One `file` component per matched file (path and content), with every layer it was in.
fn malware_files(findings: &[MalwareFinding]) -> Vec<Component> {
    let mut files: BTreeMap<String, (&MalwareFinding, Vec<&Digest>)> = BTreeMap::new();
    for finding in findings {
        let (_, layers) = files
            .entry(malware_file_ref(finding))
            .or_insert_with(|| (finding, Vec::new()));
        if let Some(layer) = &finding.layer_diff_id
            && !layers.contains(&layer)
        {
            layers.push(layer);
        }
    }
    files
        .into_iter()
        .map(|(bom_ref, (finding, layers))| Component {
            bom_ref: Some(bom_ref),
            ty: "file",
            name: finding.path.clone(),
            hashes: vec![Hash {
                alg: "SHA-256",
                content: finding.sha256.hex().to_owned(),
            }],
            properties: layers
                .iter()
                .enumerate()
                .map(|(i, layer)| {
                    property(format!("kabuto:location:{i}:layerDiffId"), layer.as_str())
                })
                .collect(),
            ..Component::default()
        })
        .collect()
}

/// One `vulnerabilities` entry per malware rule; see the module docs.
fn malware_rules(findings: &[MalwareFinding]) -> Vec<Vulnerability> {
    /// CWE-506, Embedded Malicious Code.
    const EMBEDDED_MALICIOUS_CODE: u32 = 506;
    let mut rules: BTreeMap<&str, Vec<&MalwareFinding>> = BTreeMap::new();
    for finding in findings {
        rules
            .entry(finding.rule.as_str())
            .or_default()
            .push(finding);
    }
    rules
        .into_iter()
        .map(|(id, findings)| {
            let first = findings[0];
            let mut affects: Vec<String> = findings.iter().map(|f| malware_file_ref(f)).collect();
            affects.sort();
            affects.dedup();
            Vulnerability {
                id: id.to_owned(),
                source: Some(Source {
                    name: malware_source_label(&first.source),
                    url: None,
                }),
                references: Vec::new(),
                ratings: vec![Rating {
                    source: None,
                    score: None,
                    severity: first.severity.as_str(),
                    method: "other",
                    vector: None,
                    justification: None,
                }],
                cwes: vec![EMBEDDED_MALICIOUS_CODE],
                description: Some(first.description.clone()),
                recommendation: Some(
                    "Remove the file, find out how it got into the image, and rebuild from \
                     trusted sources."
                        .to_owned(),
                ),
                advisories: Vec::new(),
                published: None,
                updated: None,
                analysis: None,
                properties: Vec::new(),
                affects: affects
                    .into_iter()
                    .map(|reference| Affect {
                        reference,
                        versions: Vec::new(),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The bom-ref of the package a finding is about: same purl, and the same file when several
/// packages share the purl.
fn package_ref(finding: &Finding, packages: &[Package], refs: &[String]) -> Option<String> {
    let purl = finding.package_purl.to_string();
    let path = finding.locations.first().map(|l| l.path.as_str());
    let same_purl = |p: &&Package| p.purl.to_string() == purl;
    let index = packages
        .iter()
        .position(|p| same_purl(&p) && p.locations.first().map(|l| l.path.as_str()) == path)
        .or_else(|| packages.iter().position(|p| same_purl(&p)))?;
    refs.get(index).cloned()
}

/// The database an id belongs to, with the id's page there.
fn database(id: &VulnId) -> Option<Source> {
    let (name, url) = match id.kind() {
        VulnIdKind::Cve => ("NVD", format!("https://nvd.nist.gov/vuln/detail/{id}")),
        VulnIdKind::Ghsa => (
            "GitHub Advisory Database",
            format!("https://github.com/advisories/{id}"),
        ),
        VulnIdKind::Other => return None,
        _ => ("OSV", format!("https://osv.dev/vulnerability/{id}")),
    };
    Some(Source {
        name: name.to_owned(),
        url: web_url(&url).map(str::to_owned),
    })
}

/// `kabuto:epss:*` and `kabuto:kev:*` properties of a finding.
fn exploitation(finding: &Finding) -> Vec<Property> {
    let mut properties = Vec::new();
    if let Some(epss) = finding.epss {
        properties.push(property("kabuto:epss:score", epss.score.to_string()));
        properties.push(property(
            "kabuto:epss:percentile",
            epss.percentile.to_string(),
        ));
    }
    if let Some(kev) = &finding.kev {
        properties.push(property("kabuto:kev:dateAdded", kev.date_added.clone()));
        if kev.ransomware {
            properties.push(property("kabuto:kev:knownRansomwareCampaignUse", "Known"));
        }
    }
    properties
}

fn ratings(finding: &Finding) -> Vec<Rating> {
    let mut ratings: Vec<Rating> = finding.cvss.iter().map(cvss_rating).collect();
    let reported = Severity::as_str(finding.severity);
    if !ratings.iter().any(|r| r.severity == reported) {
        ratings.push(Rating {
            source: None,
            score: None,
            severity: reported,
            method: "other",
            vector: None,
            justification: finding.severity_source.clone(),
        });
    }
    ratings
}

fn cvss_rating(cvss: &Cvss) -> Rating {
    let method = match cvss.version.as_str() {
        "2.0" | "2" => "CVSSv2",
        "3.0" => "CVSSv3",
        "3.1" => "CVSSv31",
        "4.0" => "CVSSv4",
        _ => "other",
    };
    let severity = match (method, cvss.score) {
        (_, None) => Severity::Unknown,
        // CVSS v2 has three bands (NVD's): low < 4.0 <= medium < 7.0 <= high.
        ("CVSSv2", Some(s)) if s >= 7.0 => Severity::High,
        ("CVSSv2", Some(s)) if s >= 4.0 => Severity::Medium,
        ("CVSSv2", Some(_)) => Severity::Low,
        (_, Some(s)) => Severity::from_cvss_score(s),
    };
    Rating {
        source: database(&cvss.source),
        score: cvss.score,
        severity: Severity::as_str(severity),
        method,
        vector: Some(cvss.vector.clone()),
        justification: None,
    }
}

fn analysis(ack: &Acknowledgement) -> Analysis {
    let (state, response) = match ack.state {
        AckState::Acknowledged => (None, vec!["will_not_fix"]),
        AckState::NotAffected => (Some("not_affected"), vec![]),
        AckState::FalsePositive => (Some("false_positive"), vec![]),
        AckState::InTriage => (Some("in_triage"), vec![]),
    };
    Analysis {
        state,
        justification: ack.justification.map(|j| j.as_str()),
        response,
        detail: ack.reason.clone(),
    }
}

/// An advisory timestamp in the `date-time` form CycloneDX requires, if it is RFC 3339.
/// CycloneDX wants a date-time: a bare advisory date is left out.
fn rfc3339(timestamp: &Timestamp) -> Option<String> {
    (!timestamp.is_date_only()).then(|| utc_timestamp(timestamp.at()))
}

fn artifact_component(inventory: &Inventory) -> Component {
    let purl = image_purl(inventory).map(|p| p.to_string());
    let bom_ref = purl
        .clone()
        .unwrap_or_else(|| format!("artifact:{}", inventory.artifact.name));
    let ty = match inventory.artifact.kind {
        ArtifactKind::ContainerImage => "container",
        ArtifactKind::Rootfs | ArtifactKind::Filesystem => "application",
    };
    let mut properties = Vec::new();
    if let Some(image) = &inventory.image {
        if let Some(id) = &image.config_digest {
            properties.push(property("kabuto:image:id", id.as_str()));
        }
        properties.extend(
            image
                .repo_tags
                .iter()
                .map(|t| property("kabuto:image:repoTag", t)),
        );
        properties.extend(
            image
                .repo_digests
                .iter()
                .map(|d| property("kabuto:image:repoDigest", d)),
        );
        for (key, value) in [("os", &image.os), ("architecture", &image.architecture)] {
            if let Some(value) = value {
                properties.push(property(format!("kabuto:image:{key}"), value));
            }
        }
        properties.extend(image.layers.iter().enumerate().map(|(i, layer)| {
            property(
                format!("kabuto:image:layer:{i}:diffId"),
                layer.diff_id.as_str(),
            )
        }));
        properties.extend(
            image
                .labels
                .iter()
                .map(|(k, v)| property(format!("kabuto:image:label:{k}"), v)),
        );
    }
    Component {
        bom_ref: Some(bom_ref),
        ty,
        name: inventory.artifact.name.clone(),
        version: inventory
            .image
            .as_ref()
            .and_then(image_digest)
            .map(String::from),
        purl,
        properties,
        ..Component::default()
    }
}

fn os_component(inventory: &Inventory) -> Option<Component> {
    let os = inventory.os.as_ref()?;
    let mut properties = vec![property("kabuto:os:family", os.family.as_str())];
    if let Some(codename) = &os.codename {
        properties.push(property("kabuto:os:codename", codename));
    }
    Some(Component {
        bom_ref: Some(format!("os:{}@{}", os.family, os.version)),
        ty: "operating-system",
        name: os.family.as_str().to_owned(),
        version: Some(os.version.clone()),
        description: os.pretty_name.clone(),
        properties,
        ..Component::default()
    })
}

fn package_component(package: &Package, bom_ref: String) -> Component {
    let (group, name) = match package.ecosystem {
        Ecosystem::Maven | Ecosystem::Npm => (
            package.purl.namespace().map(str::to_owned),
            package.purl.name().to_owned(),
        ),
        _ => (None, package.name.clone()),
    };
    let mut properties = vec![
        property("kabuto:package:ecosystem", package.ecosystem.as_str()),
        property("kabuto:package:foundBy", &package.found_by),
    ];
    if let Some(source) = &package.source {
        properties.push(property("kabuto:package:sourceName", &source.name));
        properties.push(property("kabuto:package:sourceVersion", &source.version));
    }
    if package.dev {
        properties.push(property("kabuto:package:dev", "true"));
    }
    for (i, location) in package.locations.iter().enumerate() {
        properties.push(property(
            format!("kabuto:location:{i}:path"),
            &location.path,
        ));
        if let Some(layer) = &location.layer {
            properties.push(property(
                format!("kabuto:location:{i}:layerDiffId"),
                layer.as_str(),
            ));
        }
    }
    Component {
        bom_ref: Some(bom_ref),
        ty: "library",
        group,
        name,
        version: Some(package.version.clone()).filter(|v| !v.is_empty()),
        licenses: licenses(&package.licenses),
        purl: Some(package.purl.to_string()),
        properties,
        ..Component::default()
    }
}

fn licenses(declared: &[String]) -> Vec<LicenseChoice> {
    let terms = classify_all(declared);
    if terms
        .iter()
        .any(|t| matches!(t, LicenseTerm::Expression(_)))
    {
        return conjunction(&terms, license_ref_id)
            .map(|expression| LicenseChoice::Expression { expression })
            .into_iter()
            .collect();
    }
    terms
        .into_iter()
        .map(|term| LicenseChoice::License {
            license: match term {
                LicenseTerm::Id(id) => License::Id(id),
                LicenseTerm::Expression(text) | LicenseTerm::Name(text) => License::Name(text),
            },
        })
        .collect()
}

/// One bom-ref per package, in order: the purl, or `purl|path` (then `purl|path|N`) when
/// several packages share a purl.
fn unique_refs(packages: &[Package]) -> Vec<String> {
    let purls: Vec<String> = packages.iter().map(|p| p.purl.to_string()).collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for purl in &purls {
        *counts.entry(purl).or_default() += 1;
    }
    let mut taken: BTreeMap<String, usize> = BTreeMap::new();
    packages
        .iter()
        .zip(&purls)
        .map(|(package, purl)| {
            let base = if counts.get(purl.as_str()).copied().unwrap_or(0) > 1 {
                let path = package.locations.first().map_or("", |l| l.path.as_str());
                format!("{purl}|{path}")
            } else {
                purl.clone()
            };
            let seen = taken.entry(base.clone()).or_default();
            *seen += 1;
            if *seen == 1 {
                base
            } else {
                format!("{base}|{seen}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_purls_get_distinct_refs() {
        let a = Package::new(
            Ecosystem::Npm,
            "ms",
            "2.0.0",
            "a/node_modules/ms/package.json",
            "npm",
        );
        let b = Package::new(
            Ecosystem::Npm,
            "ms",
            "2.0.0",
            "b/node_modules/ms/package.json",
            "npm",
        );
        let c = Package::new(Ecosystem::Npm, "debug", "4.0.0", "a/package.json", "npm");
        let refs = unique_refs(&[a.clone(), b, a, c]);
        assert_eq!(
            refs,
            [
                "pkg:npm/ms@2.0.0|a/node_modules/ms/package.json",
                "pkg:npm/ms@2.0.0|b/node_modules/ms/package.json",
                "pkg:npm/ms@2.0.0|a/node_modules/ms/package.json|2",
                "pkg:npm/debug@4.0.0",
            ]
        );
    }

    #[test]
    fn licenses_use_id_name_or_a_single_expression() {
        let json = |declared: &[&str]| {
            let declared: Vec<String> = declared.iter().map(|s| s.to_string()).collect();
            serde_json::to_string(&licenses(&declared)).unwrap()
        };
        assert_eq!(
            json(&["MIT", "Custom licence"]),
            r#"[{"license":{"id":"MIT"}},{"license":{"name":"Custom licence"}}]"#
        );
        assert_eq!(
            json(&["MIT OR Apache-2.0", "Custom"]),
            r#"[{"expression":"(MIT OR Apache-2.0) AND LicenseRef-Custom"}]"#
        );
        assert_eq!(json(&[]), "[]");
    }
}
