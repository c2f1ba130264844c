use serde::{Deserialize, Serialize};

use crate::{ImageMetadata, OsInfo, Package};

/// What kind of thing was scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    ContainerImage,
    /// A root filesystem directory (a host's `/`, an unpacked image).
    Rootfs,
    /// A project directory (lockfiles and manifests).
    Filesystem,
}

/// The scanned target, as the user named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    pub name: String,
    pub kind: ArtifactKind,
}

/// A problem that did not stop the scan: one file could not be read or parsed, and the
/// rest of the inventory is still complete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Where: `layer sha256:... file usr/lib/python3/x.dist-info/METADATA`, or a path.
    pub location: String,
    pub message: String,
}

/// Everything found in one artifact: the complete package inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub artifact: Artifact,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageMetadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    /// All packages, OS and language, sorted by (ecosystem, name, version, first location).
    pub packages: Vec<Package>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

impl Inventory {
    /// Sorts packages into the stable order reports rely on.
    pub fn sort(&mut self) {
        self.packages.sort_by(|a, b| {
            (a.ecosystem, &a.name, &a.version, &a.locations).cmp(&(
                b.ecosystem,
                &b.name,
                &b.version,
                &b.locations,
            ))
        });
    }
}
