//! Inventories stored outside an image: Kabuto's JSON report, CycloneDX JSON and SPDX JSON
//! (Kabuto's own, Trivy's, Syft's). Re-evaluation and `kabuto scan sbom` read them instead of
//! walking an image. Untrusted input: the file size is bounded, every field is typed, and an
//! error names the file and the JSON field that is wrong.

mod cyclonedx;
mod purl;
mod spdx;

use std::path::Path;

use kabuto_types::{Inventory, MalwareFinding, MisconfigFinding, SecretFinding};
use serde::de::DeserializeOwned;

/// Largest stored inventory read: a 100,000-package SBOM is about 100 MB.
pub const MAX_STORED_BYTES: u64 = 256 << 20;

/// What a stored scan holds: the inventory, the content findings a Kabuto report kept (an
/// SBOM has none), and what could not be used.
#[derive(Debug, Clone)]
pub struct StoredScan {
    pub inventory: Inventory,
    pub secrets: Option<Vec<SecretFinding>>,
    pub misconfigs: Option<Vec<MisconfigFinding>>,
    pub malware: Option<Vec<MalwareFinding>>,
    /// Components left out, summarised (`3 components without a purl`), for the user.
    pub skipped: Vec<String>,
}

/// Why a stored inventory could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StoredError {
    #[error("cannot read {origin}")]
    Read {
        origin: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{origin}: {size} bytes is over the {MAX_STORED_BYTES}-byte limit for a stored inventory"
    )]
    TooLarge { origin: String, size: u64 },
    #[error("{origin}: not valid JSON: {source}")]
    Json {
        origin: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{origin}: {field}: {source}")]
    Field {
        origin: String,
        field: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "{origin}: not a CycloneDX document (`bomFormat`), an SPDX document (`spdxVersion`) \
         or a Kabuto JSON report (`schema_version`)"
    )]
    UnknownFormat { origin: String },
    #[error(
        "{origin}: Kabuto JSON report schema_version {found}; this Kabuto reads schema_version \
         {}",
        kabuto_report::json::SCHEMA_VERSION
    )]
    SchemaVersion { origin: String, found: String },
}

impl StoredScan {
    /// Reads a stored inventory from `path` (see [`StoredScan::from_json`]).
    pub fn load(path: &Path) -> Result<StoredScan, StoredError> {
        let origin = path.display().to_string();
        let read = |source| StoredError::Read {
            origin: origin.clone(),
            source,
        };
        let size = std::fs::metadata(path).map_err(read)?.len();
        if size > MAX_STORED_BYTES {
            return Err(StoredError::TooLarge { origin, size });
        }
        let bytes = std::fs::read(path).map_err(read)?;
        StoredScan::from_json(&bytes, &origin)
    }

    /// Reads a Kabuto JSON report, a CycloneDX JSON or an SPDX JSON document, told apart by
    /// their top-level keys; `origin` names the input in errors.
    pub fn from_json(bytes: &[u8], origin: &str) -> Result<StoredScan, StoredError> {
        if bytes.len() as u64 > MAX_STORED_BYTES {
            return Err(StoredError::TooLarge {
                origin: origin.to_owned(),
                size: bytes.len() as u64,
            });
        }
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|source| StoredError::Json {
                origin: origin.to_owned(),
                source,
            })?;
        let has = |key: &str| value.get(key).is_some();
        if has("bomFormat") {
            Ok(cyclonedx::read(typed(value, origin)?))
        } else if has("spdxVersion") {
            Ok(spdx::read(typed(value, origin)?))
        } else if has("schema_version") {
            kabuto_report(value, origin)
        } else {
            Err(StoredError::UnknownFormat {
                origin: origin.to_owned(),
            })
        }
    }
}

/// `value` as `T`, an error naming the field (`components[3].purl`) when it does not fit.
fn typed<T: DeserializeOwned>(value: serde_json::Value, origin: &str) -> Result<T, StoredError> {
    serde_path_to_error::deserialize(value).map_err(|e| StoredError::Field {
        origin: origin.to_owned(),
        field: e.path().to_string(),
        source: e.into_inner(),
    })
}

impl StoredScan {
    /// A Kabuto JSON report already parsed (a server's upload): its inventory and the
    /// content findings it kept.
    pub fn from_report(mut report: kabuto_report::json::JsonReport) -> StoredScan {
        let secrets = report.secrets.take();
        let misconfigs = report.misconfigurations.take();
        let malware = report.malware.take();
        StoredScan {
            inventory: report.into_inventory(),
            secrets,
            misconfigs,
            malware,
            skipped: Vec::new(),
        }
    }

    /// What an SBOM reader found: the OS it named, else the one its packages' purls name.
    fn from_sbom(
        artifact: kabuto_types::Artifact,
        os: Option<kabuto_types::OsInfo>,
        packages: Vec<kabuto_types::Package>,
        skipped: Skipped,
    ) -> StoredScan {
        let os = os.or_else(|| purl::os_from_purls(&packages));
        let mut inventory = Inventory {
            artifact,
            image: None,
            os,
            packages,
            warnings: Vec::new(),
        };
        inventory.sort();
        StoredScan {
            inventory,
            secrets: None,
            misconfigs: None,
            malware: None,
            skipped: skipped.messages(),
        }
    }
}

fn kabuto_report(value: serde_json::Value, origin: &str) -> Result<StoredScan, StoredError> {
    let version = &value["schema_version"];
    if version.as_u64() != Some(u64::from(kabuto_report::json::SCHEMA_VERSION)) {
        return Err(StoredError::SchemaVersion {
            origin: origin.to_owned(),
            found: version.to_string(),
        });
    }
    Ok(StoredScan::from_report(typed(value, origin)?))
}

/// Counts of what an SBOM reader left out, turned into messages for [`StoredScan::skipped`].
#[derive(Debug, Default)]
struct Skipped {
    without_purl: usize,
    bad_purls: Vec<String>,
    unknown_types: std::collections::BTreeSet<String>,
}

impl Skipped {
    fn messages(self) -> Vec<String> {
        let mut out = Vec::new();
        if self.without_purl > 0 {
            out.push(format!(
                "{} components without a purl were skipped (nothing to match them by)",
                self.without_purl
            ));
        }
        if !self.unknown_types.is_empty() {
            out.push(format!(
                "components of a purl type no advisory feed covers: {} (skipped)",
                self.unknown_types
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for bad in self.bad_purls.iter().take(10) {
            out.push(format!("skipped a component with an invalid purl: {bad}"));
        }
        if self.bad_purls.len() > 10 {
            out.push(format!(
                "... and {} more components with an invalid purl",
                self.bad_purls.len() - 10
            ));
        }
        out
    }
}
