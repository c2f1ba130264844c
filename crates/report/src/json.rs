//! Kabuto's own JSON format: the inventory and the findings in a small, versioned envelope.
//!
//! ```json
//! {
//!   "schema_version": 1,
//!   "tool": { "name": "kabuto", "version": "0.1.0" },
//!   "created": "2025-01-02T03:04:05Z",
//!   "artifact": { "name": "debian:12", "kind": "container_image" },
//!   "image": { ... },            // absent for directories
//!   "os": { ... },               // absent when no OS was detected
//!   "packages": [ ... ],         // every field of kabuto_types::Package, stable order
//!   "vulnerabilities": [ ... ],  // absent when matching did not run
//!   "secrets": [ ... ],          // absent when the secret scanner did not run
//!   "misconfigurations": [ ... ],// absent when no misconfiguration checks ran
//!   "policies": [ ... ],         // absent when no policy was evaluated
//!   "warnings": [ ... ]          // always present, possibly empty
//! }
//! ```
//!
//! Vulnerabilities are a flat list rather than Trivy's `Results[]` grouped by target, so a
//! reader filters with one expression (`.vulnerabilities[] | select(.severity == "high")`);
//! each entry is a `kabuto_types::Finding` with two more fields: `target`, the group the
//! table shows it under (`debian 12.15`, `app/web`, `app/poetry.lock`, see
//! [`crate::table`]), and `acknowledgement` when one covers it. Secrets and
//! misconfigurations are `kabuto_types::SecretFinding` and `MisconfigFinding` (each carries
//! its file path); policies are [`crate::PolicySummary`]. An empty list means "scanned,
//! nothing found".
//!
//! Field names are snake_case and match the serde form of `kabuto_types`. Readers should
//! check `schema_version`: it changes when a field is renamed, removed or changes meaning;
//! added optional fields do not bump it, which is why adding the finding lists kept it at 1.
//! [`JsonReport`] is both the writer's and a reader's type, so
//! `serde_json::from_reader::<JsonReport>` reads a report back.

use kabuto_types::{
    Artifact, Finding, ImageMetadata, Inventory, MalwareFinding, MisconfigFinding, OsInfo, Package,
    SecretFinding, Timestamp, Warning,
};
use serde::{Deserialize, Serialize};

use crate::target::Target;
use crate::{Acknowledgement, PolicySummary, RenderOptions, Report, TOOL_NAME, TOOL_VERSION};

/// Version of the JSON layout described in the module docs.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

/// The whole JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct JsonReport {
    pub schema_version: u32,
    pub tool: ToolInfo,
    /// Creation time, `YYYY-MM-DDThh:mm:ssZ`.
    // None only when a stored report's text is not a timestamp (a report is still read).
    #[serde(deserialize_with = "Timestamp::lenient")]
    #[schemars(with = "Timestamp")]
    pub created: Option<Timestamp>,
    pub artifact: Artifact,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageMetadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<Vec<Vulnerability>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<SecretFinding>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub misconfigurations: Option<Vec<MisconfigFinding>>,
    /// Absent when the malware scanner did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub malware: Option<Vec<MalwareFinding>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<PolicySummary>>,
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

/// One vulnerability finding with the target it belongs to (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Vulnerability {
    pub target: String,
    #[serde(flatten)]
    pub finding: Finding,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledgement: Option<Acknowledgement>,
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
        created: Timestamp::parse(&options.timestamp()).ok(),
        artifact: inventory.artifact,
        image: inventory.image,
        os: inventory.os,
        packages: inventory.packages,
        vulnerabilities: report.vulnerabilities.map(|findings| {
            findings
                .iter()
                .map(|finding| Vulnerability {
                    target: Target::of(
                        report.inventory.os.as_ref(),
                        finding.ecosystem,
                        &finding.locations,
                    )
                    .name,
                    finding: finding.clone(),
                    acknowledgement: report.acknowledgement_for(finding).cloned(),
                })
                .collect()
        }),
        secrets: report.secrets.map(<[_]>::to_vec),
        misconfigurations: report.misconfigs.map(<[_]>::to_vec),
        malware: report.malware.map(<[_]>::to_vec),
        policies: Some(report.policies.to_vec()).filter(|p| !p.is_empty()),
        warnings: inventory.warnings,
    }
}
