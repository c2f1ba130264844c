//! Raw policy documents into checked, ready-to-evaluate [`Policy`] values: cross-field
//! rules checked, controls compiled (each by its family in [`crate::controls`]),
//! unsupported Aqua controls noted.

use serde::Deserialize;

use crate::controls::{self, Control, VulnExceptions};
use crate::matchers::FieldError;
use crate::raw::RawPolicy;
use crate::scope::Scope;
use crate::verdict::NotEvaluated;

/// One image assurance policy, checked and compiled.
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub description: String,
    pub enabled: bool,
    /// Action `fail_cicd`: a failure of this policy fails the CI gate (exit code 4).
    pub fail_cicd: bool,
    /// Action `audit_on_failure`: a failure is reported only.
    pub audit_on_failure: bool,
    /// Action `block_failed`: an image failing this policy must not run (admission control
    /// denies it); otherwise admission only warns.
    pub block_failed: bool,
    pub(crate) scope: Scope,
    pub(crate) controls: Vec<Control>,
    pub(crate) exceptions: VulnExceptions,
    pub(crate) notes: Vec<NotEvaluated>,
}

impl Policy {
    /// Fields that are set but that Kabuto does not evaluate (Aqua-only controls, runtime
    /// settings): `policy check` prints them, and verdicts carry them.
    pub fn notes(&self) -> &[NotEvaluated] {
        &self.notes
    }

    /// Ids of the controls this policy evaluates, in evaluation order.
    pub fn control_ids(&self) -> Vec<&'static str> {
        self.controls.iter().map(Control::id).collect()
    }
}

/// A policy whose cross-field rules hold; the unit policy files deserialize into.
#[derive(Debug, Deserialize)]
#[serde(try_from = "RawPolicy")]
pub(crate) struct CheckedPolicy(pub Policy);

impl TryFrom<RawPolicy> for CheckedPolicy {
    type Error = FieldError;
    fn try_from(raw: RawPolicy) -> Result<Self, FieldError> {
        compile(raw).map(CheckedPolicy)
    }
}

fn compile(mut raw: RawPolicy) -> Result<Policy, FieldError> {
    if raw.name.trim().is_empty() {
        return Err(FieldError::new("name", "must not be empty"));
    }
    if let Some(kind) = &raw.assurance_type
        && !kind.eq_ignore_ascii_case("image")
    {
        let message = if kind.eq_ignore_ascii_case(crate::kubernetes::ASSURANCE_TYPE) {
            format!(
                "policy `{}` is a Kubernetes assurance policy (assurance_type: kubernetes); \
                 use it with kabuto kube-enforcer",
                raw.name
            )
        } else {
            format!(
                "`{kind}` policies are not image policies: Kabuto evaluates only `image` \
                 (and `kubernetes` in kabuto kube-enforcer)"
            )
        };
        return Err(FieldError::new("assurance_type", message));
    }
    let mut notes = Vec::new();
    let scope = compile_scope(&raw, &mut notes);
    note_unsupported(&raw, &mut notes);
    let controls = controls::compile(&mut raw)?;
    let exceptions = VulnExceptions::compile(&mut raw)?;

    Ok(Policy {
        name: raw.name,
        description: raw.description.unwrap_or_default(),
        enabled: raw.enabled.unwrap_or(true),
        // Aqua's defaults for both actions are on.
        fail_cicd: raw.fail_cicd.unwrap_or(true),
        audit_on_failure: raw.audit_on_failure.unwrap_or(true),
        block_failed: raw.block_failed.unwrap_or(false),
        scope,
        controls,
        exceptions,
        notes,
    })
}

fn compile_scope(raw: &RawPolicy, notes: &mut Vec<NotEvaluated>) -> Scope {
    notes.extend(application_scopes_note(
        raw.application_scopes.as_deref(),
        raw.exclude_application_scopes.as_deref(),
    ));
    let expression = raw.scope.clone();
    if let Some(scope) = &expression {
        for attribute in scope.unchecked_attributes(false) {
            notes.push(NotEvaluated {
                field: "scope",
                reason: format!(
                    "scope attribute `{attribute}` describes a runtime or Aqua object, not an \
                     image; Kabuto treats it as matching"
                ),
            });
        }
    }
    Scope {
        expression,
        registries: raw.registries.clone().unwrap_or_default(),
        images: raw.images.clone().unwrap_or_default(),
        labels: raw
            .labels
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|l| l.0)
            .collect(),
    }
}

/// Aqua's application scopes are Aqua objects; only `Global` (everywhere) means anything here.
pub(crate) fn application_scopes_note(
    included: Option<&[String]>,
    excluded: Option<&[String]>,
) -> Option<NotEvaluated> {
    let excluded = excluded.unwrap_or_default();
    let included = included.unwrap_or_default();
    (!excluded.is_empty() || included.iter().any(|s| !s.eq_ignore_ascii_case("global"))).then(
        || NotEvaluated {
            field: "application_scopes",
            reason: "Aqua application scopes other than Global are not known to Kabuto; \
                     the policy is scoped by its other scope fields only"
                .to_owned(),
        },
    )
}

fn note_unsupported(raw: &RawPolicy, notes: &mut Vec<NotEvaluated>) {
    let switches = [
        (
            "custom_checks_enabled",
            raw.custom_checks_enabled,
            "custom check scripts run inside Aqua",
        ),
        (
            "custom_severity_enabled",
            raw.custom_severity_enabled,
            "Aqua custom severities are not in Kabuto's findings",
        ),
        (
            "scap_enabled",
            raw.scap_enabled,
            "SCAP content is not evaluated",
        ),
        (
            "docker_cis_enabled",
            raw.docker_cis_enabled,
            "host benchmarks are not image checks",
        ),
        (
            "kube_cis_enabled",
            raw.kube_cis_enabled,
            "host benchmarks are not image checks",
        ),
        (
            "linux_cis_enabled",
            raw.linux_cis_enabled,
            "host benchmarks are not image checks",
        ),
        (
            "openshift_hardening_enabled",
            raw.openshift_hardening_enabled,
            "host benchmarks are not image checks",
        ),
        (
            "dta_enabled",
            raw.dta_enabled,
            "dynamic threat analysis runs the image; Kabuto does not",
        ),
        (
            "function_integrity_enabled",
            raw.function_integrity_enabled,
            "applies to serverless functions",
        ),
        (
            "enforce_excessive_permissions",
            raw.enforce_excessive_permissions,
            "applies to serverless functions",
        ),
        (
            "vulnerability_exploitability",
            raw.vulnerability_exploitability,
            "Kabuto's findings carry no exploit data",
        ),
        (
            "ignore_base_image_vln",
            raw.ignore_base_image_vln,
            "Kabuto does not know which layers came from the base image",
        ),
    ];
    for (field, value, reason) in switches {
        if value == Some(true) {
            notes.push(NotEvaluated {
                field,
                reason: reason.to_owned(),
            });
        }
    }
    let lists = [
        (
            "custom_checks",
            raw.custom_checks.as_ref().map_or(0, Vec::len),
        ),
        ("scap_files", raw.scap_files.as_ref().map_or(0, Vec::len)),
        (
            "disallow_exploit_types",
            raw.disallow_exploit_types.as_ref().map_or(0, Vec::len),
        ),
        (
            "vulnerability_score_range",
            raw.vulnerability_score_range.as_ref().map_or(0, Vec::len),
        ),
    ];
    for (field, len) in lists {
        if len > 0 {
            notes.push(NotEvaluated {
                field,
                reason: "set, but Kabuto does not evaluate it".to_owned(),
            });
        }
    }
    if raw.enforce_after_days.is_some_and(|days| days > 0) {
        notes.push(NotEvaluated {
            field: "enforce_after_days",
            reason: "a grace period needs scan history; Kabuto fails from the first scan"
                .to_owned(),
        });
    }
}
