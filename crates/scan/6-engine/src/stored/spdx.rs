//! SPDX 2.2/2.3 JSON as Kabuto, Trivy and Syft write it: the package the document
//! `DESCRIBES` is the artifact, an `OPERATING_SYSTEM` package the OS, and every package with
//! a `purl` external reference is a package. Where it was found comes from `sourceInfo`
//! (Kabuto's and Syft's `acquired package info from ANALYZER: PATH, PATH`, Trivy's `built
//! package from: SOURCE VERSION`) and `Key: value` annotations
//! (Kabuto's `LayerDiffID: DIGEST (PATH)` and `SourcePackage: NAME VERSION`, Trivy's
//! `LayerDiffID: DIGEST`, `SrcName: NAME`, ...).

use std::collections::HashMap;

use kabuto_types::{Artifact, ArtifactKind};
use serde::Deserialize;

use super::purl::{Facts, os_info, package};
use super::{Skipped, StoredScan};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Document {
    #[serde(default)]
    name: String,
    #[serde(default)]
    document_describes: Vec<String>,
    #[serde(default)]
    packages: Vec<SpdxPackage>,
    #[serde(default)]
    relationships: Vec<Relationship>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(default)]
    name: String,
    #[serde(rename = "SPDXID", default)]
    spdx_id: String,
    #[serde(default)]
    version_info: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    source_info: Option<String>,
    #[serde(default)]
    license_declared: Option<String>,
    #[serde(default)]
    primary_package_purpose: Option<String>,
    #[serde(default)]
    external_refs: Vec<ExternalRef>,
    #[serde(default)]
    annotations: Vec<Annotation>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    #[serde(default)]
    reference_type: String,
    #[serde(default)]
    reference_locator: String,
}

#[derive(Debug, Deserialize)]
struct Annotation {
    #[serde(default)]
    comment: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    #[serde(default)]
    spdx_element_id: String,
    #[serde(default)]
    relationship_type: String,
    #[serde(default)]
    related_spdx_element: String,
}

pub(super) fn read(document: Document) -> StoredScan {
    let root_id = document.document_describes.first().cloned().or_else(|| {
        document
            .relationships
            .iter()
            .find(|r| r.spdx_element_id == "SPDXRef-DOCUMENT" && r.relationship_type == "DESCRIBES")
            .map(|r| r.related_spdx_element.clone())
    });
    let mut artifact = Artifact {
        name: document.name,
        kind: ArtifactKind::Filesystem,
    };
    let mut os = None;
    let mut packages = Vec::new();
    let mut skipped = Skipped::default();
    for p in document.packages {
        let purpose = p.primary_package_purpose.as_deref().unwrap_or_default();
        if root_id.as_deref() == Some(p.spdx_id.as_str()) {
            artifact.name = p.name;
            if purpose == "CONTAINER" {
                artifact.kind = ArtifactKind::ContainerImage;
            }
            continue;
        }
        if matches!(purpose, "OPERATING_SYSTEM" | "OPERATING-SYSTEM") {
            os = os.or_else(|| {
                os_info(
                    &p.name,
                    p.version_info.as_deref().unwrap_or_default(),
                    p.description,
                )
            });
            continue;
        }
        let purl = p
            .external_refs
            .iter()
            .find(|r| r.reference_type == "purl")
            .map(|r| r.reference_locator.clone());
        if let Some(package) = package(purl.as_deref(), facts(p), &mut skipped) {
            packages.push(package);
        }
    }
    StoredScan::from_sbom(artifact, os, packages, skipped)
}

fn facts(p: SpdxPackage) -> Facts {
    let mut facts = Facts {
        name: p.name,
        version: p.version_info,
        licenses: p
            .license_declared
            .filter(|l| !matches!(l.as_str(), "NOASSERTION" | "NONE" | ""))
            .into_iter()
            .collect(),
        ..Facts::default()
    };
    // Kabuto's annotations name each layer's path; Trivy's name one layer.
    let mut layer_of_path: HashMap<String, String> = HashMap::new();
    for annotation in &p.annotations {
        let Some((key, value)) = annotation.comment.split_once(": ") else {
            continue;
        };
        match key {
            "LayerDiffID" => match value.split_once(" (") {
                Some((layer, path)) => {
                    layer_of_path.insert(path.trim_end_matches(')').to_owned(), layer.to_owned());
                }
                None => facts.property("aquasecurity:trivy:LayerDiffID", value),
            },
            "SourcePackage" => {
                if let Some((name, version)) = value.split_once(' ') {
                    facts.property("kabuto:package:sourceName", name);
                    facts.property("kabuto:package:sourceVersion", version);
                }
            }
            "Dev" => facts.property("kabuto:package:dev", value),
            "PkgType" | "SrcName" | "SrcVersion" | "SrcRelease" | "SrcEpoch" | "FilePath" => {
                facts.property(&format!("aquasecurity:trivy:{key}"), value);
            }
            _ => {}
        }
    }
    let source_info = p.source_info.as_deref().unwrap_or_default();
    // Trivy: `built package from: SOURCE VERSION`.
    if let Some((name, version)) = source_info
        .strip_prefix("built package from: ")
        .and_then(|s| s.split_once(' '))
    {
        facts.property("kabuto:package:sourceName", name);
        facts.property("kabuto:package:sourceVersion", version);
    }
    if let Some((found_by, paths)) = source_info
        .strip_prefix("acquired package info from ")
        .and_then(|s| s.split_once(": "))
    {
        facts.found_by = Some(found_by.to_owned());
        for (index, path) in paths.split(", ").filter(|p| !p.is_empty()).enumerate() {
            let path = path.trim_start_matches('/');
            if let Some(layer) = layer_of_path.get(path) {
                facts.layers.insert(index, layer.clone());
            }
            facts.paths.insert(index, path.to_owned());
        }
    }
    facts
}
