//! CycloneDX JSON (1.4-1.6) as Kabuto, Trivy and Syft write it: `metadata.component` names
//! the artifact, an `operating-system` component the OS, every other component with a purl
//! is a package (nested components included).

use kabuto_types::{Artifact, ArtifactKind};
use serde::Deserialize;

use super::purl::{Facts, os_info, package};
use super::{Skipped, StoredScan};

#[derive(Debug, Deserialize)]
pub(super) struct Bom {
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    components: Vec<Component>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    #[serde(default)]
    component: Option<Component>,
}

#[derive(Debug, Default, Deserialize)]
struct Component {
    #[serde(rename = "type", default)]
    ty: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    licenses: Vec<LicenseChoice>,
    #[serde(default)]
    properties: Vec<Property>,
    #[serde(default)]
    components: Vec<Component>,
}

#[derive(Debug, Deserialize)]
struct Property {
    name: String,
    #[serde(default)]
    value: String,
}

#[derive(Debug, Deserialize)]
struct LicenseChoice {
    #[serde(default)]
    license: Option<License>,
    #[serde(default)]
    expression: Option<String>,
}

#[derive(Debug, Deserialize)]
struct License {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

pub(super) fn read(bom: Bom) -> StoredScan {
    let root = bom.metadata.and_then(|m| m.component).unwrap_or_default();
    let artifact = Artifact {
        kind: if root.ty == "container" {
            ArtifactKind::ContainerImage
        } else {
            ArtifactKind::Filesystem
        },
        name: root.name.clone(),
    };
    // Every component, nested ones too, without recursion (nesting depth is the input's).
    let mut pending: Vec<Component> = bom.components;
    pending.extend(root.components);
    let mut os = None;
    let mut packages = Vec::new();
    let mut skipped = Skipped::default();
    while let Some(mut component) = pending.pop() {
        pending.append(&mut component.components);
        match component.ty.as_str() {
            "operating-system" => {
                os = os.or_else(|| {
                    os_info(
                        &component.name,
                        component.version.as_deref().unwrap_or_default(),
                        component.description.clone(),
                    )
                    .map(|mut os| {
                        os.codename = property(&component, "kabuto:os:codename");
                        os
                    })
                });
            }
            "container" | "file" => {}
            _ => {
                let purl = component.purl.take();
                if let Some(p) = package(purl.as_deref(), facts(component), &mut skipped) {
                    packages.push(p);
                }
            }
        }
    }
    StoredScan::from_sbom(artifact, os, packages, skipped)
}

fn property(component: &Component, name: &str) -> Option<String> {
    component
        .properties
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.value.clone())
}

fn facts(component: Component) -> Facts {
    let mut facts = Facts {
        name: component.name,
        version: component.version,
        licenses: component
            .licenses
            .into_iter()
            .filter_map(|l| {
                l.expression
                    .or_else(|| l.license.and_then(|l| l.id.or(l.name)))
            })
            .collect(),
        ..Facts::default()
    };
    for p in &component.properties {
        facts.property(&p.name, &p.value);
    }
    facts
}
