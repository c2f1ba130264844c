//! What a scan produced, borrowed for evaluation.

use kabuto_types::{FileEntry, Finding, Inventory, SecretFinding, Severity};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One malware detection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MalwareHit {
    /// The signature or rule that matched.
    pub rule: String,
    pub path: String,
    pub sha256: String,
}

/// One failed misconfiguration check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MisconfigHit {
    pub check_id: String,
    pub severity: Severity,
}

/// Scan results to judge. Results a scan did not collect are `None`: a policy control that
/// needs them then reports `unknown` (and fails) instead of passing on missing data.
/// [`crate::PolicySet::needs`] tells which collections the loaded policies use.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInput<'a> {
    pub inventory: &'a Inventory,
    pub findings: &'a [Finding],
    pub secrets: Option<&'a [SecretFinding]>,
    pub malware: Option<&'a [MalwareHit]>,
    pub misconfigurations: Option<&'a [MisconfigHit]>,
    /// Entries with notable permissions (the inventory records setuid, setgid and
    /// world-writable ones); `blacklist_permissions` looks at the files among them.
    pub file_permissions: Option<&'a [FileEntry]>,
    /// The base image reference, when the caller knows it; otherwise the
    /// `org.opencontainers.image.base.name` label is used.
    pub base_image: Option<&'a str>,
    /// The evaluation time (ages, acknowledgement expiry). Injected so tests are stable.
    pub now: OffsetDateTime,
}

impl<'a> PolicyInput<'a> {
    /// An input with the inventory and vulnerability findings only; set the other fields
    /// for the scanners that ran.
    pub fn new(inventory: &'a Inventory, findings: &'a [Finding], now: OffsetDateTime) -> Self {
        PolicyInput {
            inventory,
            findings,
            secrets: None,
            malware: None,
            misconfigurations: None,
            file_permissions: None,
            base_image: None,
            now,
        }
    }
}
