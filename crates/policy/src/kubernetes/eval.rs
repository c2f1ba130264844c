//! Judging one workload object against the Kubernetes policies: scope (where it is
//! submitted, its labels and images), then the policy's workload checks and registries.

use std::collections::BTreeMap;
use std::fmt;

use kabuto_misconfig::MisconfigError;
use kabuto_types::{ImageReference, MisconfigFinding};
use serde::Serialize;
use time::OffsetDateTime;

use super::controls::{ALLOWED_REGISTRIES_CONTROL, ALLOWED_REGISTRIES_TITLE};
use super::{KubernetesPolicy, KubernetesPolicySet};
use crate::matchers::ImageMatch;
use crate::scope::{Placement, ScopeSubject};

/// A workload submitted for admission and where it is submitted.
#[derive(Debug, Clone, Copy)]
pub struct WorkloadSubject<'a> {
    /// The cluster name the enforcer is configured with (`kubernetes.cluster`).
    pub cluster: &'a str,
    pub namespace: &'a str,
    /// The pod template's labels (`kubernetes.label`).
    pub labels: &'a BTreeMap<String, String>,
    /// The whole object as submitted (Pod, Deployment, CronJob...).
    pub object: &'a serde_json::Value,
    /// Every container image: init, regular and ephemeral.
    pub images: &'a [ImageReference],
}

/// A policy the workload fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkloadViolation {
    pub policy: String,
    /// `enforce` and past the grace period: the workload is to be denied. Otherwise the
    /// violation is audited (admitted with a warning).
    pub enforced: bool,
    /// In control id order.
    pub failed: Vec<FailedControl>,
}

/// One failed control at one place of the workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedControl {
    /// `KBK001`, or `KBK-REGISTRY`.
    pub id: String,
    pub title: String,
    /// `Deployment/web container app`; `None` for the registry control.
    pub resource: Option<String>,
    /// What was found: "`privileged: true`", "image `x` is from registry `y`".
    pub detail: String,
}

/// The workload object could not be checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkloadError {
    #[error("cannot check the workload object: {0}")]
    Unreadable(#[source] MisconfigError),
}

/// Name the object is checked under; it appears in no message of a violation.
const OBJECT_NAME: &str = "admission object";

/// The policies `subject` violates: enabled, in scope, with at least one failed control.
pub fn evaluate_workload(
    policies: &KubernetesPolicySet,
    subject: &WorkloadSubject<'_>,
    now: OffsetDateTime,
) -> Result<Vec<WorkloadViolation>, WorkloadError> {
    // Image config labels are not read at admission; policies cannot scope by them.
    static NO_IMAGE_LABELS: BTreeMap<String, String> = BTreeMap::new();
    let scope_subject = ScopeSubject {
        names: subject.images,
        labels: &NO_IMAGE_LABELS,
        placement: Some(Placement {
            cluster: subject.cluster,
            namespace: subject.namespace,
            labels: subject.labels,
        }),
    };
    let applicable: Vec<&KubernetesPolicy> = policies
        .policies()
        .iter()
        .filter(|policy| policy.enabled && policy.scope.matches(&scope_subject))
        .collect();
    let findings = if applicable.iter().any(|policy| !policy.checks.is_empty()) {
        let text = subject.object.to_string();
        kabuto_misconfig::scan_kubernetes(OBJECT_NAME, text.as_bytes())
            .map_err(WorkloadError::Unreadable)?
    } else {
        Vec::new()
    };
    Ok(applicable
        .into_iter()
        .filter_map(|policy| violation(policy, &findings, subject.images, now))
        .collect())
}

fn violation(
    policy: &KubernetesPolicy,
    findings: &[MisconfigFinding],
    images: &[ImageReference],
    now: OffsetDateTime,
) -> Option<WorkloadViolation> {
    let mut failed: Vec<FailedControl> = findings
        .iter()
        .filter(|finding| {
            policy
                .checks
                .iter()
                .any(|check| check.id == finding.check_id.as_str())
        })
        .map(FailedControl::from_finding)
        .collect();
    // Stable: each control's places stay in the object's order.
    failed.sort_by(|a, b| a.id.cmp(&b.id));
    failed.extend(registry_failures(policy, images));
    (!failed.is_empty()).then(|| WorkloadViolation {
        policy: policy.name.clone(),
        enforced: policy.enforced_at(now),
        failed,
    })
}

fn registry_failures<'a>(
    policy: &'a KubernetesPolicy,
    images: &'a [ImageReference],
) -> impl Iterator<Item = FailedControl> + 'a {
    let allowed = &policy.allowed_registries;
    images
        .iter()
        .enumerate()
        // Containers often share an image: each is reported once.
        .filter(|(index, image)| {
            !images[..*index]
                .iter()
                .any(|earlier| earlier.original() == image.original())
        })
        .map(|(_, image)| image)
        .filter(move |image| {
            !allowed.is_empty() && !allowed.iter().any(|p| image.registry_matches(p))
        })
        .map(|image| FailedControl {
            id: ALLOWED_REGISTRIES_CONTROL.to_owned(),
            title: ALLOWED_REGISTRIES_TITLE.to_owned(),
            resource: None,
            detail: format!(
                "image `{}` is from registry `{}`",
                image.original(),
                image.registry()
            ),
        })
}

impl FailedControl {
    fn from_finding(finding: &MisconfigFinding) -> FailedControl {
        FailedControl {
            id: finding.check_id.to_string(),
            title: finding.title.clone(),
            resource: finding.resource.clone(),
            detail: finding.message.clone(),
        }
    }
}

impl fmt::Display for FailedControl {
    /// `KBK001 Privileged container (Deployment/web container app)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = self.resource.as_deref().unwrap_or(&self.detail);
        write!(f, "{} {} ({place})", self.id, self.title)
    }
}

impl fmt::Display for WorkloadViolation {
    /// `policy k8s-baseline: KBK001 Privileged container (Pod/debug container debug); ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "policy {}: ", self.policy)?;
        for (index, control) in self.failed.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{control}")?;
        }
        Ok(())
    }
}
