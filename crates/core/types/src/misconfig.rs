use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Digest, Severity};

/// The stable identifier of a misconfiguration check: an uppercase prefix naming what it
/// inspects followed by digits (`KBD001` Dockerfile, `KBK001` Kubernetes, `KBI001` image config).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String")]
pub struct MisconfigCheckId(String);

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("invalid misconfiguration check id `{0}`: expected uppercase letters followed by digits")]
pub struct MisconfigCheckIdError(pub String);

impl MisconfigCheckId {
    pub fn new(id: impl Into<String>) -> Result<Self, MisconfigCheckIdError> {
        let id = id.into();
        let digits_at = id.find(|c: char| c.is_ascii_digit()).unwrap_or(id.len());
        let (prefix, digits) = id.split_at(digits_at);
        let well_formed = !prefix.is_empty()
            && !digits.is_empty()
            && prefix.chars().all(|c| c.is_ascii_uppercase())
            && digits.chars().all(|c| c.is_ascii_digit());
        if !well_formed {
            return Err(MisconfigCheckIdError(id));
        }
        Ok(MisconfigCheckId(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MisconfigCheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for MisconfigCheckId {
    type Error = MisconfigCheckIdError;
    fn try_from(id: String) -> Result<Self, Self::Error> {
        MisconfigCheckId::new(id)
    }
}

impl From<MisconfigCheckId> for String {
    fn from(id: MisconfigCheckId) -> String {
        id.0
    }
}

/// 1-based, inclusive line range in the scanned file.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct LineRange {
    pub start: usize,
    pub end: usize,
}

/// One failed misconfiguration check on a Dockerfile, a Kubernetes manifest or an image config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MisconfigFinding {
    pub check_id: MisconfigCheckId,
    pub title: String,
    pub severity: Severity,
    /// Why the setting is a risk.
    pub description: String,
    /// How to fix it.
    pub remediation: String,
    /// Benchmark and guide sections the check implements (`CIS Docker 4.1`,
    /// `CIS Kubernetes 5.2.2`, `NSA/CISA Kubernetes Hardening: Pod security`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// The file as the scanner was given it, or `image config` for image config checks.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<LineRange>,
    /// What the finding is about: `Deployment/web container app`, `stage 2 (FROM node:20)`,
    /// `ENV DB_PASSWORD`, `/usr/bin/passwd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// What exactly was found, in one sentence.
    pub message: String,
    /// The layer that added the offending file, when scanning an image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_diff_id: Option<Digest>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_need_prefix_and_digits() {
        assert!(MisconfigCheckId::new("KBK001").is_ok());
        for bad in ["", "KBK", "001", "kbk001", "KBK 001", "KBK001a"] {
            assert!(MisconfigCheckId::new(bad).is_err(), "{bad:?} accepted");
        }
    }
}
