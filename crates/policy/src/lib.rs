//! Assurance policies for Kabuto: files kept in git that say what an image must not
//! contain or be, judged against a scan to decide a CI gate; and Kubernetes assurance
//! policies, judged against a workload object at admission ([`evaluate_workload`]).
//!
//! The file format uses the vocabulary of Aqua's image assurance policy (the field names of
//! its public Terraform provider and API), so an exported Aqua policy loads as it is; Kabuto
//! adds its own fields only for controls Aqua has no field for. See `docs/policies.md`.
//!
//! ```no_run
//! # fn demo(inventory: &kabuto_types::Inventory, findings: &[kabuto_types::Finding]) -> Result<(), kabuto_policy::PolicyError> {
//! use kabuto_policy::{Acknowledgements, PolicyInput, PolicySet, evaluate};
//! let policies = PolicySet::load(std::path::Path::new("policy.yaml"))?;
//! let input = PolicyInput::new(inventory, findings, time::OffsetDateTime::now_utc());
//! let verdict = evaluate(&policies, &Acknowledgements::default(), &input);
//! std::process::exit(verdict.exit_code());
//! # }
//! ```

mod ack;
mod compile;
mod controls;
mod eval;
mod facts;
mod files;
mod input;
mod kubernetes;
mod load;
mod matchers;
mod raw;
mod scope;
mod summary;
pub mod templates;
mod values;
mod verdict;

use std::path::Path;

pub use ack::{AckNote, AcknowledgementRule, Acknowledgements};
pub use compile::Policy;
pub use eval::evaluate;
pub use facts::BASE_NAME_LABEL;
pub use files::PolicyFiles;
pub use input::{MalwareHit, MisconfigHit, PolicyInput};
pub use kubernetes::{
    ALLOWED_REGISTRIES_CONTROL, FailedControl, KubernetesPolicy, KubernetesPolicySet,
    WorkloadError, WorkloadSubject, WorkloadViolation, evaluate_workload,
};
pub use load::Diagnostic;
pub use matchers::{Pattern, PermissionKind};
pub use values::DateValue;
pub use verdict::{
    ControlOutcome, ControlResult, EXIT_POLICY_FAILED, EvaluationOutcome, FileItem, GateOutcome,
    ImageItem, Item, LabelItem, LicenseItem, NotEvaluated, PackageItem, PolicyAction, PolicyResult,
    SecretItem, Shared, Verdict, VulnerabilityItem,
};

use compile::CheckedPolicy;

/// How policy files are read, for the other policy kinds kept in their own crates (runtime
/// policies: `kabuto-runtime-policy`), so every policy file has the same reader and the same
/// `file:line:column: field` diagnostics: [`parse_policies`](document::parse_policies) reads
/// one policy, a list or `policies: [...]` from YAML or JSON; a `TryFrom` conversion that
/// returns a [`FieldError`](document::FieldError) names its field; [`Expr`](document::Expr)
/// is Aqua's scope expression grammar (`v1 && (v2 || !v3)`); [`Timestamp`](document::Timestamp)
/// reads Aqua's `lastupdate`.
pub mod document {
    pub use crate::load::parse_policies;
    pub use crate::matchers::FieldError;
    pub use crate::scope::Expr;
    pub use crate::values::Timestamp;
}

/// Why a policy or acknowledgement file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid policy: see the diagnostic for file, line and field.
    #[error("{0}")]
    Invalid(Box<Diagnostic>),
    #[error("{file}: two policies are named `{name}`")]
    DuplicateName { file: String, name: String },
    #[error("{file}: no policies in the file")]
    Empty { file: String },
}

impl From<Diagnostic> for PolicyError {
    fn from(diagnostic: Diagnostic) -> Self {
        PolicyError::Invalid(Box::new(diagnostic))
    }
}

/// Which scan results the loaded policies look at, so the caller runs those scanners.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    pub vulnerabilities: bool,
    pub secrets: bool,
    pub malware: bool,
    pub misconfigurations: bool,
    pub file_permissions: bool,
}

/// The policies of one or more files, checked and ready to evaluate.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    policies: Vec<Policy>,
}

impl PolicySet {
    /// Reads a policy file (YAML or JSON): one policy, a list of policies, or
    /// `policies: [...]`.
    pub fn load(path: &Path) -> Result<PolicySet, PolicyError> {
        PolicySet::parse(&load::read(path)?, &path.display().to_string())
    }

    /// Parses policy text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<PolicySet, PolicyError> {
        let checked: Vec<CheckedPolicy> = load::parse_policies(text, file)?;
        let mut set = PolicySet::default();
        set.extend(checked.into_iter().map(|c| c.0), file)?;
        if set.is_empty() {
            return Err(PolicyError::Empty {
                file: file.to_owned(),
            });
        }
        Ok(set)
    }

    /// Adds policies from another file; names must stay unique.
    pub fn merge(&mut self, other: PolicySet, file: &str) -> Result<(), PolicyError> {
        self.extend(other.policies, file)
    }

    pub(crate) fn extend(
        &mut self,
        policies: impl IntoIterator<Item = Policy>,
        file: &str,
    ) -> Result<(), PolicyError> {
        push_unique(&mut self.policies, policies, |p| &p.name, file)
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// Every field name a policy may use (Aqua's vocabulary and Kabuto's own fields).
    pub fn known_fields() -> &'static [&'static str] {
        raw::policy_field_names()
    }

    /// A human summary for `kabuto policy check`: each policy, its scope state, actions,
    /// controls, and the fields it sets that Kabuto does not evaluate.
    pub fn describe(&self) -> String {
        let mut text = String::new();
        for policy in &self.policies {
            let state = if policy.enabled {
                "enabled"
            } else {
                "disabled"
            };
            let action = if policy.fail_cicd {
                "fail_cicd"
            } else {
                "audit only"
            };
            text.push_str(&format!("policy `{}` ({state}, {action})\n", policy.name));
            let controls = policy.control_ids();
            if controls.is_empty() {
                text.push_str("  controls: none (the policy always passes)\n");
            } else {
                text.push_str(&format!("  controls: {}\n", controls.join(", ")));
            }
            let needs = PolicySet {
                policies: vec![policy.clone()],
            }
            .needs();
            let wanted: Vec<&str> = [
                (needs.secrets, "secrets"),
                (needs.malware, "malware"),
                (needs.misconfigurations, "misconfigurations"),
                (needs.file_permissions, "file permissions"),
            ]
            .into_iter()
            .filter_map(|(on, what)| on.then_some(what))
            .collect();
            if !wanted.is_empty() {
                text.push_str(&format!("  needs scan results: {}\n", wanted.join(", ")));
            }
            for note in &policy.notes {
                text.push_str(&format!(
                    "  note: `{}` is not evaluated: {}\n",
                    note.field, note.reason
                ));
            }
        }
        text
    }

    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// The scan results the enabled policies use.
    pub fn needs(&self) -> Needs {
        let mut needs = Needs::default();
        for control in self
            .policies
            .iter()
            .filter(|p| p.enabled)
            .flat_map(|p| &p.controls)
        {
            control.add_needs(&mut needs);
        }
        needs
    }
}

/// Appends `items` to `list`, refusing a name already taken.
fn push_unique<T>(
    list: &mut Vec<T>,
    items: impl IntoIterator<Item = T>,
    name: fn(&T) -> &String,
    file: &str,
) -> Result<(), PolicyError> {
    for item in items {
        if list.iter().any(|taken| name(taken) == name(&item)) {
            return Err(PolicyError::DuplicateName {
                file: file.to_owned(),
                name: name(&item).clone(),
            });
        }
        list.push(item);
    }
    Ok(())
}
