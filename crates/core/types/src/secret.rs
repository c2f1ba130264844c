use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Digest, Severity};

/// The stable identifier of a secret rule, kebab-case like Trivy's (`aws-access-key-id`).
/// Never empty, no whitespace.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String")]
pub struct SecretRuleId(String);

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("invalid secret rule id `{0}`: must be non-empty and contain no whitespace")]
pub struct SecretRuleIdError(pub String);

impl SecretRuleId {
    pub fn new(id: impl Into<String>) -> Result<Self, SecretRuleIdError> {
        let id = id.into();
        if id.is_empty() || id.chars().any(char::is_whitespace) {
            return Err(SecretRuleIdError(id));
        }
        Ok(SecretRuleId(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SecretRuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for SecretRuleId {
    type Error = SecretRuleIdError;
    fn try_from(id: String) -> Result<Self, Self::Error> {
        SecretRuleId::new(id)
    }
}

impl From<SecretRuleId> for String {
    fn from(id: SecretRuleId) -> String {
        id.0
    }
}

/// One exposed secret found in a file (or in an image config field such as an `ENV` value).
/// The secret itself is never stored: only redacted forms of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SecretFinding {
    pub rule_id: SecretRuleId,
    /// The kind of secret, e.g. `AWS`, `GitHub`, `AsymmetricPrivateKey`, `Generic`.
    pub category: String,
    pub severity: Severity,
    pub title: String,
    /// The file the secret is in, as the scanner was given it, or the origin of a text field
    /// (`config:Env`, `history[3].created_by`).
    pub path: String,
    /// 1-based line where the secret starts (for multi-line secrets such as PEM private keys,
    /// where its block starts: the `-----BEGIN` line).
    pub line: usize,
    /// 1-based byte column of that start on its line.
    pub column: usize,
    /// The secret with all but a short, non-identifying prefix masked (`ghp_********`).
    pub redacted_match: String,
    /// The line holding the secret, the secret masked, trimmed around it when the line is long.
    pub redacted_line: String,
    /// The layer the file came from, when scanning an image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_diff_id: Option<Digest>,
}
