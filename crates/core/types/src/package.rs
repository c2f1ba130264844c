use serde::{Deserialize, Serialize};

use crate::{Digest, Ecosystem, Purl};

/// Where a package was found: a file path inside the artifact, and for images the layer
/// (by diff ID) whose copy of that file is the one visible in the final filesystem.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Location {
    /// Path inside the image or directory, relative to its root, `/`-separated, no leading `/`.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Digest>,
}

/// The source package a binary package was built from (dpkg `Source:`, apk origin, rpm SRPM).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SourcePackage {
    pub name: String,
    pub version: String,
}

/// One installed or declared package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Package {
    pub name: String,
    /// Version exactly as the ecosystem writes it. For rpm this is `[epoch:]version-release`,
    /// for dpkg `[epoch:]upstream[-revision]`.
    pub version: String,
    pub ecosystem: Ecosystem,
    pub purl: Purl,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePackage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Declared licences (SPDX expressions where the package states one, raw text otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// Files the package was found in (the package database or lockfile entry).
    pub locations: Vec<Location>,
    /// Name of the analyzer that reported it (e.g. `dpkg`, `python-dist-info`).
    pub found_by: String,
    /// True for packages that are only development dependencies in a lockfile.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dev: bool,
}

impl Package {
    /// A package with the purl derived from ecosystem, name and version, found at `path`.
    /// Analyzers then fill in the optional fields.
    pub fn new(
        ecosystem: Ecosystem,
        name: impl Into<String>,
        version: impl Into<String>,
        path: impl Into<String>,
        found_by: impl Into<String>,
    ) -> Self {
        let name = name.into();
        let version = version.into();
        let purl = Purl::for_package(ecosystem, &name, &version);
        Package {
            name,
            version,
            ecosystem,
            purl,
            source: None,
            arch: None,
            licenses: Vec::new(),
            locations: vec![Location {
                path: path.into(),
                layer: None,
            }],
            found_by: found_by.into(),
            dev: false,
        }
    }
}
