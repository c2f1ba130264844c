//! Domain types shared by every Kabuto crate.
//!
//! Everything here is plain data with validation at construction ("parse, don't validate"):
//! a [`Digest`], an [`ImageReference`] or a [`Purl`] that exists is well formed. No I/O happens
//! in this crate.

mod acknowledgement;
mod digest;
mod ecosystem;
mod file;
mod image;
mod image_ref;
mod inventory;
mod malware;
mod misconfig;
mod os;
mod package;
mod policy_outcome;
mod purl;
mod secret;
pub mod text;
mod timestamp;
mod vuln;

pub use acknowledgement::{AckState, Acknowledgement, VexJustification};
pub use digest::{Digest, DigestError};
pub use ecosystem::Ecosystem;
pub use file::{FileEntry, FileKind};
pub use image::{HistoryEntry, ImageMetadata, LayerInfo};
pub use image_ref::{DOCKER_HUB, ImageReference, ImageReferenceError};
pub use inventory::{Artifact, ArtifactKind, Inventory, Warning, WarningCode};
pub use malware::{MalwareFinding, MalwareRuleId, MalwareRuleIdError, MalwareSource};
pub use misconfig::{LineRange, MisconfigCheckId, MisconfigCheckIdError, MisconfigFinding};
pub use os::{OsFamily, OsInfo};
pub use package::{Location, Package, SourcePackage};
pub use policy_outcome::{FailedControl, PolicyOutcome, PolicySummary};
pub use purl::{Purl, PurlError, QualifierIter, Qualifiers, pep503_normalize, percent_encode};
pub use secret::{SecretFinding, SecretRuleId, SecretRuleIdError};
pub use timestamp::{Timestamp, TimestampError};
pub use vuln::{
    Cvss, Epss, Explanation, Finding, FixStatus, KnownExploited, Severity, VulnId, VulnIdError,
    VulnIdKind,
};
