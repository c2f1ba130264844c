//! Kabuto's own JSON format: the inventory in a small, versioned envelope.
//!
//! ```json
//! {
//!   "schema_version": 1,
//!   "tool": { "name": "kabuto", "version": "0.1.0" },
//!   "created": "2025-01-02T03:04:05Z",
//!   "artifact": { "name": "debian:12", "kind": "container_image" },
//!   "image": { ... },        // absent for directories
//!   "os": { ... },           // absent when no OS was detected
//!   "packages": [ ... ],     // every field of kabuto_types::Package, stable order
//!   "warnings": [ ... ]      // always present, possibly empty
//! }
//! ```
//!
//! Field names are snake_case and match the serde form of `kabuto_types`. Readers should
//! check `schema_version`: it changes when a field is renamed, removed or changes meaning;
//! added optional fields do not bump it. [`JsonReport`] is both the writer's and a reader's
//! type, so `serde_json::from_reader::<JsonReport>` reads a report back.

use kabuto_types::{Artifact, ImageMetadata, Inventory, OsInfo, Package, Warning};
use serde::{Deserialize, Serialize};

use crate::{RenderOptions, Report, TOOL_NAME, TOOL_VERSION};

/// Version of the JSON layout described in the module docs.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

/// The whole JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonReport {
    pub schema_version: u32,
    pub tool: ToolInfo,
    /// Creation time, `YYYY-MM-DDThh:mm:ssZ`.
    pub created: String,
    pub artifact: Artifact,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageMetadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

impl JsonReport {
    /// The inventory the report was made from.
    pub fn into_inventory(self) -> Inventory {
        Inventory {
            artifact: self.artifact,
            image: self.image,
            os: self.os,
            packages: self.packages,
            warnings: self.warnings,
        }
    }
}

pub(crate) fn document(report: &Report<'_>, options: &RenderOptions) -> JsonReport {
    let inventory = report.inventory.clone();
    JsonReport {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo {
            name: TOOL_NAME.to_owned(),
            version: TOOL_VERSION.to_owned(),
        },
        created: options.timestamp(),
        artifact: inventory.artifact,
        image: inventory.image,
        os: inventory.os,
        packages: inventory.packages,
        warnings: inventory.warnings,
    }
}
