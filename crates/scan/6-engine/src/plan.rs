//! What a scan should do, apart from what it scans: scanners, filters, suppressions,
//! policies and the findings gate. Plain data, loaded and validated before any bytes of the
//! target are read, so bad input fails fast.

use std::path::{Path, PathBuf};

use kabuto_match::suppress::{IgnoreFile, VexDocument};
use kabuto_policy::{Acknowledgements, PolicySet};
use kabuto_types::{FixStatus, Severity};
use time::OffsetDateTime;

use crate::EngineError;
use crate::target::RegistryAccess;

/// Which scanners run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scanners {
    /// Packages against the vulnerability database.
    pub vuln: bool,
    pub secret: bool,
    pub misconfig: bool,
    pub malware: bool,
}

impl Scanners {
    /// From names as the command line spells them: `vuln`, `secret`, `misconfig`, `malware`
    /// (others, such as `none`, select nothing).
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Self {
        let has = |n: &str| names.iter().any(|s| s.as_ref() == n);
        Scanners {
            vuln: has("vuln"),
            secret: has("secret"),
            misconfig: has("misconfig"),
            malware: has("malware"),
        }
    }

    /// Every scanner in `self` or `other`.
    pub fn union(self, other: Scanners) -> Scanners {
        Scanners {
            vuln: self.vuln || other.vuln,
            secret: self.secret || other.secret,
            misconfig: self.misconfig || other.misconfig,
            malware: self.malware || other.malware,
        }
    }
}

/// The user's rule files for the content scanners, compiled once by [`crate::Engine::new`].
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// A Trivy-shaped secret config (rules, allow-rules, disable-rules); built-in rules
    /// when `None`.
    pub secret_config: Option<PathBuf>,
    /// YARA rule directories added to the bundled rules.
    pub malware_rules: Vec<PathBuf>,
    /// SHA-256 blocklists added to the bundled one.
    pub malware_hashes: Vec<PathBuf>,
}

/// Which findings are reported (and count for policies and the findings gate).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Only these severities; empty keeps every severity.
    pub severities: Vec<Severity>,
    /// Drop vulnerabilities without a fixed version.
    pub ignore_unfixed: bool,
}

impl Filters {
    pub(crate) fn keeps(&self, severity: Severity) -> bool {
        self.severities.is_empty() || self.severities.contains(&severity)
    }

    pub(crate) fn keeps_vulnerability(&self, severity: Severity, status: FixStatus) -> bool {
        self.keeps(severity) && (!self.ignore_unfixed || status == FixStatus::Fixed)
    }
}

/// Everything a scan needs besides its target. Build one with `ScanPlan::default()` and
/// the `with_*` loaders; the same plan serves [`crate::Engine::scan`] and
/// [`crate::Engine::reevaluate`].
#[derive(Debug, Clone, Default)]
pub struct ScanPlan {
    pub scanners: Scanners,
    pub filters: Filters,
    /// Ignore files, applied in order before VEX documents.
    pub ignore_files: Vec<IgnoreFile>,
    /// VEX documents whose `not_affected`/`fixed` statements suppress findings.
    pub vex: Vec<VexDocument>,
    /// Image assurance policies; `None` evaluates none (no verdict).
    pub policies: Option<PolicySet>,
    /// Accepted risks: policies do not fail on them, and reports mark the findings.
    pub acknowledgements: Acknowledgements,
    /// Exit code when findings remain after filtering; 0 never fails on findings.
    pub findings_exit_code: u8,
    pub registry: RegistryAccess,
    /// Whether a scan whose package databases could not all be read whole goes on
    /// (reporting what was read) instead of failing with
    /// [`EngineError::IncompletePackageDatabase`]. Off by default: a gate must not pass on
    /// missing packages.
    pub allow_incomplete: bool,
    /// The evaluation time (ignore-entry expiry, acknowledgement expiry, advisory ages);
    /// the current time when `None`.
    pub now: Option<OffsetDateTime>,
}

impl ScanPlan {
    /// Loads policy files (YAML or JSON), refusing an invalid one; none leaves the plan
    /// without policies.
    pub fn with_policy_files(mut self, files: &[PathBuf]) -> Result<Self, EngineError> {
        let Some((first, rest)) = files.split_first() else {
            return Ok(self);
        };
        let mut policies = PolicySet::load(first)?;
        for file in rest {
            policies.merge(PolicySet::load(file)?, &file.display().to_string())?;
        }
        self.policies = Some(policies);
        Ok(self)
    }

    pub fn with_acknowledgements_file(mut self, path: &Path) -> Result<Self, EngineError> {
        self.acknowledgements =
            Acknowledgements::load(path).map_err(|source| EngineError::Acknowledgements {
                path: path.to_owned(),
                source,
            })?;
        Ok(self)
    }

    /// Adds an ignore file (`.trivyignore` lines or YAML).
    pub fn with_ignore_file(mut self, path: &Path) -> Result<Self, EngineError> {
        self.ignore_files.push(IgnoreFile::load(path)?);
        Ok(self)
    }

    /// Adds OpenVEX or CycloneDX VEX documents.
    pub fn with_vex_files(mut self, paths: &[PathBuf]) -> Result<Self, EngineError> {
        for path in paths {
            self.vex.push(VexDocument::load(path)?);
        }
        Ok(self)
    }

    /// The scanners that run: those asked for, plus those the policies need to judge.
    pub fn effective_scanners(&self) -> Scanners {
        let Some(needs) = self.policies.as_ref().map(PolicySet::needs) else {
            return self.scanners;
        };
        self.scanners.union(Scanners {
            vuln: needs.vulnerabilities,
            secret: needs.secrets,
            misconfig: needs.misconfigurations,
            malware: needs.malware,
        })
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        self.now.unwrap_or_else(OffsetDateTime::now_utc)
    }
}
