//! CycloneDX 1.6 JSON (<https://cyclonedx.org/docs/1.6/json/>).
//!
//! Layout, and the conventions taken from Trivy and Syft output for the same image:
//!
//! - `metadata.component` is the scanned artifact: `type: container` for an image, named as the
//!   user named it, `version` = manifest digest (or image id for a `docker save` archive, as
//!   Syft does), and a `pkg:oci/<name>@<digest>?arch=..&repository_url=..&tag=..` purl when a
//!   manifest digest and repository are known (see the purl spec's `oci` type; Syft writes a
//!   malformed one from the archive path, Trivy none for archives). Directories are
//!   `type: application`, as Trivy does for `fs` and `rootfs`.
//! - Image facts are properties of that component (Trivy writes `aquasecurity:trivy:DiffID`,
//!   `ImageID`, `RepoTag`, `RepoDigest`, `Labels:*`): ours are `kabuto:image:id`,
//!   `kabuto:image:repoTag`, `kabuto:image:repoDigest`, `kabuto:image:layer:N:diffId`,
//!   `kabuto:image:label:KEY`, `kabuto:image:os`, `kabuto:image:architecture`.
//! - The detected OS is a `type: operating-system` component (both peers do this) with
//!   bom-ref `os:<family>@<version>` (Syft's form; Trivy uses a UUID).
//! - Packages are `type: library`. Their bom-ref is the purl (both peers), made unique when
//!   the same purl was found in several places by appending `|<path>` of the first location.
//!   The purl keeps the analyzer's distro qualifiers (`distro=debian-12`, `arch`); Trivy
//!   writes the full release (`debian-12.15`), Syft the major one.
//! - Maven and scoped npm packages put the group id / `@scope` in `group` (Trivy does), so
//!   `name` is the artifact id / bare package name.
//! - Package facts are properties in a `kabuto:` namespace, one value per property, with
//!   location indices like Syft's `syft:location:0:layerID`: `kabuto:package:foundBy`,
//!   `kabuto:package:ecosystem`, `kabuto:package:sourceName`, `kabuto:package:sourceVersion`,
//!   `kabuto:package:dev`, `kabuto:location:N:path`, `kabuto:location:N:layerDiffId`.
//! - Licences follow CycloneDX's rule that `licenses` is either license objects or exactly one
//!   expression: SPDX ids go to `license.id`, other text to `license.name`; if any declared
//!   licence is a compound expression, they are all joined with `AND` into one `expression`
//!   (free text then becomes `LicenseRef-<text>`). Trivy writes everything as `name`.
//! - `dependencies` follows Trivy: the artifact depends on the OS component and on every
//!   language package, the OS component on every OS package, and every other component is
//!   listed with an empty `dependsOn` (the inventory records no package-to-package edges yet).
//! - `serialNumber` is `urn:uuid:` + [`RenderOptions::document_id`].
//!
//! Checked by hand against `trivy image --format cyclonedx` and `syft -o cyclonedx-json` on the
//! `debian-app` fixture image (Kabuto scanning its unpacked rootfs): the same 137 package purls
//! as Trivy's, apart from the `distro` qualifier noted above, plus the OS component in both.
//! The purl of the image writes the digest's `:` unescaped (`@sha256:...`), as
//! `kabuto_types::Purl` renders versions; the purl spec's example escapes it (`sha256%3A`),
//! and both forms parse to the same purl.

use std::collections::{BTreeMap, HashMap};

use kabuto_types::{ArtifactKind, Ecosystem, Inventory, Package};
use serde::Serialize;

use crate::artifact::{image_digest, image_purl};
use crate::license::{LicenseTerm, classify_all, conjunction, license_ref_id};
use crate::{RenderOptions, Report, TOOL_NAME, TOOL_VERSION};

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
    licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
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
    }
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
