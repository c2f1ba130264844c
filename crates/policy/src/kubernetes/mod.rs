//! Kubernetes assurance policies (Aqua's `assurance_type: kubernetes`): what a workload
//! object submitted to the cluster must not be (privileged, on the host's namespaces, from
//! an unknown registry...), judged by `kabuto kube-enforcer` at admission. The workload
//! checks are those of `kabuto-misconfig` (`KBK001`...), so `kabuto config` and admission
//! agree.

mod controls;
mod eval;
mod raw;

use std::path::Path;

use kabuto_misconfig::registry::Check;
use time::OffsetDateTime;

use crate::matchers::Pattern;
use crate::scope::Scope;
use crate::verdict::NotEvaluated;
use crate::{PolicyError, load, push_unique};

pub use controls::ALLOWED_REGISTRIES_CONTROL;
pub use eval::{
    FailedControl, WorkloadError, WorkloadSubject, WorkloadViolation, evaluate_workload,
};
pub(crate) use raw::CheckedKubernetesPolicy;

/// The `assurance_type` of Kubernetes assurance policies.
pub(crate) const ASSURANCE_TYPE: &str = "kubernetes";

/// One Kubernetes assurance policy, checked and compiled.
#[derive(Debug, Clone)]
pub struct KubernetesPolicy {
    pub name: String,
    pub description: String,
    pub enabled: bool,
    /// `enforce: true`: a violation denies admission (once `enforce_from` has passed);
    /// otherwise it is audited (admitted with a warning).
    pub enforce: bool,
    /// The end of the grace period (`lastupdate` + `enforce_after_days`): audit before it,
    /// enforce from it. `None`: no grace period.
    pub enforce_from: Option<OffsetDateTime>,
    pub(crate) scope: Scope,
    /// The workload checks switched on, in id order.
    pub(crate) checks: Vec<&'static Check>,
    /// `allowed_registries` when the control is on; empty when off.
    pub(crate) allowed_registries: Vec<Pattern>,
    pub(crate) notes: Vec<NotEvaluated>,
}

impl KubernetesPolicy {
    /// Whether a violation denies admission at `now` (enforce mode, grace period over).
    pub fn enforced_at(&self, now: OffsetDateTime) -> bool {
        self.enforce && self.enforce_from.is_none_or(|from| now >= from)
    }

    /// Ids of the controls this policy evaluates: workload checks, then `KBK-REGISTRY`.
    pub fn control_ids(&self) -> Vec<&'static str> {
        let registries =
            (!self.allowed_registries.is_empty()).then_some(ALLOWED_REGISTRIES_CONTROL);
        self.checks.iter().map(|c| c.id).chain(registries).collect()
    }

    /// Fields that are set but not evaluated (runtime scope attributes, Aqua scopes).
    pub fn notes(&self) -> &[NotEvaluated] {
        &self.notes
    }
}

/// The Kubernetes policies of one or more files.
#[derive(Debug, Clone, Default)]
pub struct KubernetesPolicySet {
    policies: Vec<KubernetesPolicy>,
}

impl KubernetesPolicySet {
    /// Reads a file (YAML or JSON) of Kubernetes policies: one, a list, or `policies: [...]`.
    pub fn load(path: &Path) -> Result<KubernetesPolicySet, PolicyError> {
        KubernetesPolicySet::parse(&load::read(path)?, &path.display().to_string())
    }

    /// Parses policy text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<KubernetesPolicySet, PolicyError> {
        let checked: Vec<CheckedKubernetesPolicy> = load::parse_policies(text, file)?;
        let mut set = KubernetesPolicySet::default();
        set.extend(checked.into_iter().map(|c| c.0), file)?;
        if set.is_empty() {
            return Err(PolicyError::Empty {
                file: file.to_owned(),
            });
        }
        Ok(set)
    }

    /// Adds policies from another file; names must stay unique.
    pub fn merge(&mut self, other: KubernetesPolicySet, file: &str) -> Result<(), PolicyError> {
        self.extend(other.policies, file)
    }

    pub(crate) fn extend(
        &mut self,
        policies: impl IntoIterator<Item = KubernetesPolicy>,
        file: &str,
    ) -> Result<(), PolicyError> {
        push_unique(&mut self.policies, policies, |p| &p.name, file)
    }

    pub fn policies(&self) -> &[KubernetesPolicy] {
        &self.policies
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }
}
