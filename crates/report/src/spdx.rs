//! SPDX 2.3 JSON (<https://spdx.github.io/spdx-spec/v2.3/>): a root package for the artifact,
//! an OS package, one package per inventory package with its purl, sourceInfo and annotations.
//! The conventions, and how they compare with Trivy's and Syft's output, are in
//! `docs/formats.md`.

use std::collections::{BTreeMap, HashMap};

use kabuto_types::{ArtifactKind, Inventory, Package};
use serde::Serialize;

use crate::artifact::{image_digest, image_purl};
use crate::license::{classify_all, conjunction, license_ref_id, sanitize_id};
use crate::{RenderOptions, Report, TOOL_NAME, TOOL_VERSION};

pub const SPDX_VERSION: &str = "SPDX-2.3";
const NOASSERTION: &str = "NOASSERTION";
const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";
/// Base of `documentNamespace`: the project's URL, so namespaces follow it when it moves.
const NAMESPACE_BASE: &str = env!("CARGO_PKG_REPOSITORY");

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Document {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<SpdxPackage>,
    relationships: Vec<Relationship>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<ExtractedLicense>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CreationInfo {
    creators: Vec<String>,
    created: String,
    license_list_version: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    name: String,
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    supplier: &'static str,
    download_location: &'static str,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    license_concluded: &'static str,
    license_declared: String,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_package_purpose: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    annotations: Vec<Annotation>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Annotation {
    annotator: String,
    annotation_date: String,
    annotation_type: &'static str,
    comment: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExtractedLicense {
    license_id: String,
    extracted_text: String,
    name: String,
}

/// Hands out `LicenseRef-` ids for free-text licences, one per distinct text.
#[derive(Default)]
struct ExtractedLicenses {
    by_text: BTreeMap<String, String>,
    used_ids: HashMap<String, usize>,
}

impl ExtractedLicenses {
    fn id_for(&mut self, text: &str) -> String {
        if let Some(id) = self.by_text.get(text) {
            return id.clone();
        }
        let base = license_ref_id(text);
        let n = self.used_ids.entry(base.clone()).or_default();
        *n += 1;
        // Two texts that sanitise alike ("BSD style", "BSD/style") still get distinct ids.
        let id = if *n == 1 { base } else { format!("{base}-{n}") };
        self.by_text.insert(text.to_owned(), id.clone());
        id
    }

    fn into_infos(self) -> Vec<ExtractedLicense> {
        let mut infos: Vec<ExtractedLicense> = self
            .by_text
            .into_iter()
            .map(|(text, license_id)| ExtractedLicense {
                license_id,
                extracted_text: text.clone(),
                name: text,
            })
            .collect();
        infos.sort_by(|a, b| a.license_id.cmp(&b.license_id));
        infos
    }
}

/// Hands out unique SPDXIDs.
#[derive(Default)]
struct SpdxIds(HashMap<String, usize>);

impl SpdxIds {
    fn unique(&mut self, parts: &[&str]) -> String {
        let sanitized: Vec<String> = parts.iter().map(|p| sanitize_id(p)).collect();
        let base = format!("SPDXRef-{}", sanitized.join("-"));
        let n = self.0.entry(base.clone()).or_default();
        *n += 1;
        if *n == 1 { base } else { format!("{base}-{n}") }
    }
}

pub(crate) fn document(report: &Report<'_>, options: &RenderOptions) -> Document {
    let inventory = report.inventory;
    let created = options.timestamp();
    let creator = format!("Tool: {TOOL_NAME}-{TOOL_VERSION}");
    let mut ids = SpdxIds::default();
    let mut extracted = ExtractedLicenses::default();

    let root = root_package(inventory, &mut ids);
    let mut relationships = vec![Relationship {
        spdx_element_id: DOCUMENT_ID.to_owned(),
        relationship_type: "DESCRIBES",
        related_spdx_element: root.spdx_id.clone(),
    }];
    let mut packages = Vec::with_capacity(inventory.packages.len() + 2);
    if let Some(os) = &inventory.os {
        packages.push(SpdxPackage {
            primary_package_purpose: Some("OPERATING_SYSTEM"),
            description: os.pretty_name.clone(),
            ..bare_package(
                os.family.as_str(),
                ids.unique(&["OperatingSystem", os.family.as_str(), &os.version]),
                Some(os.version.clone()),
            )
        });
    }
    for package in &inventory.packages {
        let spdx_id = ids.unique(&[
            "Package",
            package.ecosystem.as_str(),
            &package.name,
            &package.version,
        ]);
        packages.push(package_entry(
            package,
            spdx_id,
            &mut extracted,
            &creator,
            &created,
        ));
    }
    relationships.extend(packages.iter().map(|p| Relationship {
        spdx_element_id: root.spdx_id.clone(),
        relationship_type: "CONTAINS",
        related_spdx_element: p.spdx_id.clone(),
    }));
    packages.insert(0, root);

    let license_version = ::spdx::license_version();
    Document {
        spdx_version: SPDX_VERSION,
        data_license: "CC0-1.0",
        spdx_id: DOCUMENT_ID,
        name: inventory.artifact.name.clone(),
        document_namespace: format!(
            "{NAMESPACE_BASE}/spdx/{}-{}",
            sanitize_id(&inventory.artifact.name),
            options.document_id
        ),
        creation_info: CreationInfo {
            creators: vec![creator],
            created,
            // The list's `major.minor`, the form the SPDX spec shows (`3.29.0` -> `3.29`).
            license_list_version: license_version
                .rsplit_once('.')
                .filter(|(major_minor, _)| major_minor.contains('.'))
                .map_or(license_version, |(major_minor, _)| major_minor)
                .to_owned(),
        },
        packages,
        relationships,
        has_extracted_licensing_infos: extracted.into_infos(),
    }
}

fn bare_package(name: &str, spdx_id: String, version_info: Option<String>) -> SpdxPackage {
    SpdxPackage {
        name: name.to_owned(),
        spdx_id,
        version_info,
        supplier: NOASSERTION,
        download_location: NOASSERTION,
        files_analyzed: false,
        source_info: None,
        license_concluded: NOASSERTION,
        license_declared: NOASSERTION.to_owned(),
        copyright_text: NOASSERTION,
        description: None,
        external_refs: Vec::new(),
        primary_package_purpose: None,
        annotations: Vec::new(),
    }
}

fn purl_ref(locator: String) -> ExternalRef {
    ExternalRef {
        reference_category: "PACKAGE-MANAGER",
        reference_type: "purl",
        reference_locator: locator,
    }
}

fn root_package(inventory: &Inventory, ids: &mut SpdxIds) -> SpdxPackage {
    let (kind, purpose) = match inventory.artifact.kind {
        ArtifactKind::ContainerImage => ("Image", "CONTAINER"),
        ArtifactKind::Rootfs | ArtifactKind::Filesystem => ("Directory", "SOURCE"),
    };
    let version = inventory
        .image
        .as_ref()
        .and_then(image_digest)
        .map(String::from);
    SpdxPackage {
        primary_package_purpose: Some(purpose),
        external_refs: image_purl(inventory)
            .map(|p| purl_ref(p.to_string()))
            .into_iter()
            .collect(),
        ..bare_package(
            &inventory.artifact.name,
            ids.unique(&[kind, &inventory.artifact.name]),
            version,
        )
    }
}

fn package_entry(
    package: &Package,
    spdx_id: String,
    extracted: &mut ExtractedLicenses,
    creator: &str,
    created: &str,
) -> SpdxPackage {
    let terms = classify_all(&package.licenses);
    let license_declared = conjunction(&terms, |text| extracted.id_for(text))
        .unwrap_or_else(|| NOASSERTION.to_owned());
    let paths: Vec<&str> = package.locations.iter().map(|l| l.path.as_str()).collect();
    let mut comments = Vec::new();
    for location in &package.locations {
        if let Some(layer) = &location.layer {
            comments.push(format!("LayerDiffID: {layer} ({})", location.path));
        }
    }
    if let Some(source) = &package.source {
        comments.push(format!("SourcePackage: {} {}", source.name, source.version));
    }
    if package.dev {
        comments.push("Dev: true".to_owned());
    }
    SpdxPackage {
        source_info: Some(format!(
            "acquired package info from {}: {}",
            package.found_by,
            paths.join(", ")
        )),
        license_declared,
        external_refs: vec![purl_ref(package.purl.to_string())],
        primary_package_purpose: Some("LIBRARY"),
        annotations: comments
            .into_iter()
            .map(|comment| Annotation {
                annotator: creator.to_owned(),
                annotation_date: created.to_owned(),
                annotation_type: "OTHER",
                comment,
            })
            .collect(),
        ..bare_package(
            &package.name,
            spdx_id,
            Some(package.version.clone()).filter(|v| !v.is_empty()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sanitised_and_unique() {
        let mut ids = SpdxIds::default();
        assert_eq!(
            ids.unique(&["Package", "npm", "@types/node", "20.1.0"]),
            "SPDXRef-Package-npm-types-node-20.1.0"
        );
        assert_eq!(
            ids.unique(&["Package", "npm", "@types/node", "20.1.0"]),
            "SPDXRef-Package-npm-types-node-20.1.0-2"
        );
    }

    #[test]
    fn extracted_licences_share_ids_per_text_and_never_collide() {
        let mut extracted = ExtractedLicenses::default();
        assert_eq!(extracted.id_for("BSD style"), "LicenseRef-BSD-style");
        assert_eq!(extracted.id_for("BSD/style"), "LicenseRef-BSD-style-2");
        assert_eq!(extracted.id_for("BSD style"), "LicenseRef-BSD-style");
        let infos = extracted.into_infos();
        assert_eq!(infos.len(), 2);
        assert_eq!(infos[1].extracted_text, "BSD/style");
    }
}
