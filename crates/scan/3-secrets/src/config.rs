//! Scanner configuration: built-in rule selection plus a user YAML file shaped like Trivy's
//! `trivy-secret.yaml` (`rules`, `allow-rules`, `enable-builtin-rules`, `disable-rules`,
//! `disable-allow-rules`).

use std::path::Path;

use serde::Deserialize;

/// Files larger than this are skipped (with a warning): 10 MiB, far beyond any config file.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;
/// Findings kept per rule per file; the rule stops searching that file at the next one (with a
/// warning). Without a cap, a line of look-alike tokens costs memory and time per match.
pub const DEFAULT_MAX_FINDINGS_PER_RULE: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read secret config {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Nested too deep or not tokenizable: refused before serde_yaml reads it.
    #[error("secret config {0}")]
    Refused(kabuto_yaml::Refused),
    #[error("secret config {origin}: invalid YAML: {source}")]
    Yaml {
        origin: String,
        #[source]
        source: serde_yaml::Error,
    },
    #[error("secret config {origin}: {what} #{index} has no `id`")]
    MissingId {
        origin: String,
        what: &'static str,
        index: usize,
    },
    #[error("secret config {origin}: rule `{rule}`: invalid `{field}` regex: {source}")]
    BadRegex {
        origin: String,
        rule: String,
        field: &'static str,
        #[source]
        source: regex::Error,
    },
    #[error("secret config {origin}: rule `{rule}`: {message}")]
    InvalidRule {
        origin: String,
        rule: String,
        message: String,
    },
    #[error("secret config {origin}: `{field}` names unknown rule `{id}`")]
    UnknownRule {
        origin: String,
        field: &'static str,
        id: String,
    },
    #[error(
        "secret config {origin}: rule `{rule}`: `{field}` regex is too complex: its counted \
         repetitions expand to {positions} character positions, over the limit of {limit} for \
         user regexes (its cost per scanned byte grows with them)"
    )]
    RegexTooManyPositions {
        origin: String,
        rule: String,
        field: &'static str,
        positions: u64,
        limit: u64,
    },
    #[error(
        "secret config {origin}: rule `{rule}`: `{field}` regex is too complex: it compiles to \
         more than the limit of {limit} bytes for user regexes (Unicode classes such as `\\w` \
         are large; `(?-u:\\w)` or `[0-9A-Za-z_]` is ASCII only)"
    )]
    RegexTooBig {
        origin: String,
        rule: String,
        field: &'static str,
        limit: usize,
    },
    #[error("cannot build keyword automaton: {0}")]
    Keywords(String),
}

/// A user rule as written in YAML. Fields are optional here so a missing one gets a clear error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct UserRule {
    pub id: Option<String>,
    pub category: Option<String>,
    pub title: Option<String>,
    pub severity: Option<String>,
    pub regex: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub path: Option<OneOrMany>,
    pub secret_group_name: Option<String>,
    /// Minimum Shannon entropy of the secret, bits per byte (a Kabuto extension).
    pub entropy: Option<f64>,
    #[serde(default)]
    pub allow_rules: Vec<UserAllowRule>,
}

/// Trivy accepts `path` both as one regex and as a list of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    /// One regex matching any of the given ones.
    pub(crate) fn joined(&self) -> String {
        match self {
            OneOrMany::One(one) => one.clone(),
            OneOrMany::Many(many) => many
                .iter()
                .map(|r| format!("(?:{r})"))
                .collect::<Vec<_>>()
                .join("|"),
        }
    }
}

/// An allow rule: a finding is dropped when its file path matches `path` and its matched text
/// matches `regex` (either may be absent; at least one must be given).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct UserAllowRule {
    pub id: Option<String>,
    pub description: Option<String>,
    pub path: Option<OneOrMany>,
    pub regex: Option<String>,
}

/// Everything the scanner is built from. `SecretConfig::default()` is the built-in rule set.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SecretConfig {
    /// Where this configuration came from, for error messages.
    #[serde(skip)]
    pub origin: String,
    /// When set, only these built-in rules run (user rules always run).
    #[serde(default)]
    pub enable_builtin_rules: Option<Vec<String>>,
    #[serde(default)]
    pub disable_rules: Vec<String>,
    #[serde(default)]
    pub disable_allow_rules: Vec<String>,
    #[serde(default)]
    pub rules: Vec<UserRule>,
    #[serde(default)]
    pub allow_rules: Vec<UserAllowRule>,
    /// Files larger than this are skipped with a warning.
    #[serde(skip, default = "default_max_file_size")]
    pub max_file_size: u64,
    /// Findings kept per rule per file; more are dropped with a warning.
    #[serde(skip, default = "default_max_findings_per_rule")]
    pub max_findings_per_rule: usize,
}

fn default_max_file_size() -> u64 {
    DEFAULT_MAX_FILE_SIZE
}

fn default_max_findings_per_rule() -> usize {
    DEFAULT_MAX_FINDINGS_PER_RULE
}

impl Default for SecretConfig {
    fn default() -> Self {
        SecretConfig {
            origin: "<built-in>".to_string(),
            enable_builtin_rules: None,
            disable_rules: Vec::new(),
            disable_allow_rules: Vec::new(),
            rules: Vec::new(),
            allow_rules: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            max_findings_per_rule: DEFAULT_MAX_FINDINGS_PER_RULE,
        }
    }
}

impl SecretConfig {
    /// Reads a Trivy-shaped secret config file (at most [`kabuto_yaml::MAX_CONFIG_SIZE`]).
    /// Rules are validated by [`crate::SecretScanner::new`].
    pub fn from_yaml_file(path: &Path) -> Result<Self, SecretError> {
        let text = kabuto_yaml::read_config(path).map_err(|source| SecretError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_yaml_str(&path.display().to_string(), &text)
    }

    /// Parses config text; `origin` names it in errors (usually the file path).
    pub fn from_yaml_str(origin: &str, text: &str) -> Result<Self, SecretError> {
        let mut config: SecretConfig = if text.trim().is_empty() {
            SecretConfig::default()
        } else {
            kabuto_yaml::check(origin, text).map_err(SecretError::Refused)?;
            serde_yaml::from_str(text).map_err(|source| SecretError::Yaml {
                origin: origin.to_string(),
                source,
            })?
        };
        config.origin = origin.to_string();
        Ok(config)
    }
}

/// Built-in allow rules: (id, path regex, secret regex). See the crate README for why each exists.
pub(crate) const BUILTIN_ALLOW_RULES: &[(&str, Option<&str>, Option<&str>)] = &[
    // Go test fixtures by convention, never shipped to production.
    ("testdata", Some(r"(?:^|/)testdata/"), None),
    ("go-test-files", Some(r"_test\.go$"), None),
    // Language toolchains in images ship their own test keys (crypto/tls, Python's test suite).
    (
        "go-toolchain",
        Some(r"^(?:usr/local/go|usr/lib/go(?:-[0-9.]+)?)/"),
        None,
    ),
    (
        "python-stdlib-tests",
        Some(r"^usr/(?:local/)?lib/python[0-9.]+/test/"),
        None,
    ),
    // Package documentation and changelogs quote sample credentials.
    ("usr-share-doc", Some(r"^usr/share/doc/"), None),
    // Vendors' documented sample values (AWS's `AKIAIOSFODNN7EXAMPLE`): a real random token
    // contains the word with negligible probability.
    ("example-values", None, Some(r"(?i)example")),
];

/// Ids of the built-in allow rules, for `disable-allow-rules`.
pub fn builtin_allow_rule_ids() -> Vec<&'static str> {
    BUILTIN_ALLOW_RULES.iter().map(|(id, _, _)| *id).collect()
}
