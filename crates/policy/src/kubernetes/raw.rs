//! A Kubernetes assurance policy as written (Aqua's `assurance_type: kubernetes` vocabulary)
//! and its checked form.

use serde::Deserialize;
use serde::de::IgnoredAny;
use time::{Duration, OffsetDateTime};

use kabuto_misconfig::registry::Check;

use super::controls::{ControlName, kubernetes_checks};
use super::{ASSURANCE_TYPE, KubernetesPolicy};
use crate::compile::application_scopes_note;
use crate::matchers::{FieldError, Pattern};
use crate::scope::{Scope, ScopeExpression};
use crate::values::Timestamp;
use crate::verdict::NotEvaluated;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(
    dead_code,
    reason = "Aqua's bookkeeping fields are read only to be accepted"
)]
pub(crate) struct RawKubernetesPolicy {
    #[serde(rename = "$schema", default)]
    _schema: Option<IgnoredAny>,

    name: String,
    assurance_type: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,

    // Scope.
    #[serde(default)]
    application_scopes: Option<Vec<String>>,
    #[serde(default)]
    exclude_application_scopes: Option<Vec<String>>,
    #[serde(default)]
    scope: Option<ScopeExpression>,

    // Mode.
    #[serde(default)]
    enforce: bool,
    #[serde(default)]
    enforce_after_days: Option<u32>,
    #[serde(default)]
    lastupdate: Option<Timestamp>,

    // Controls.
    #[serde(default)]
    kubernetes_controls: Option<Vec<ControlEntry>>,
    #[serde(default)]
    kubernetes_controls_names: Option<Vec<ControlName>>,
    #[serde(default)]
    kubernetes_controls_avd_ids: Option<Vec<ControlName>>,
    #[serde(default)]
    allowed_registries_enabled: bool,
    #[serde(default)]
    allowed_registries: Option<Vec<Pattern>>,

    // Aqua's bookkeeping.
    #[serde(default)]
    id: Option<IgnoredAny>,
    #[serde(default)]
    author: Option<IgnoredAny>,
    #[serde(default)]
    domain: Option<IgnoredAny>,
    #[serde(default)]
    domain_name: Option<IgnoredAny>,
    #[serde(default)]
    permission: Option<IgnoredAny>,
    #[serde(default)]
    read_only: Option<IgnoredAny>,
    #[serde(default)]
    registry: Option<IgnoredAny>,
}

/// One `kubernetes_controls` entry: Aqua's control object, named by `name` or `avd_id`.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawControlEntry")]
struct ControlEntry {
    checks: ControlName,
    enabled: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(
    dead_code,
    reason = "Aqua's descriptive fields are accepted and unused"
)]
struct RawControlEntry {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    avd_id: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    description: Option<IgnoredAny>,
    #[serde(default)]
    kind: Option<IgnoredAny>,
    #[serde(default)]
    ootb: Option<IgnoredAny>,
    #[serde(default)]
    script_id: Option<IgnoredAny>,
    #[serde(default)]
    severity: Option<IgnoredAny>,
}

impl TryFrom<RawControlEntry> for ControlEntry {
    type Error = FieldError;
    fn try_from(raw: RawControlEntry) -> Result<Self, FieldError> {
        // Aqua exports carry both; the AVD id is the stable one, the name may be Aqua's title.
        let named: Vec<(&str, &str)> = [("avd_id", &raw.avd_id), ("name", &raw.name)]
            .into_iter()
            .filter_map(|(field, text)| Some((field, text.as_deref()?.trim())))
            .filter(|(_, text)| !text.is_empty())
            .collect();
        let mut refused = None;
        let mut checks = None;
        for (field, text) in named {
            match ControlName::resolve(text) {
                Ok(found) => {
                    checks = Some(found);
                    break;
                }
                Err(message) => {
                    refused.get_or_insert(FieldError::new(field, message));
                }
            }
        }
        let checks = checks.ok_or_else(|| {
            refused.unwrap_or_else(|| {
                FieldError::new("name", "is required: the control's id, peer id or title")
            })
        })?;
        Ok(ControlEntry {
            checks,
            enabled: raw.enabled.unwrap_or(true),
        })
    }
}

/// A Kubernetes policy whose cross-field rules hold.
#[derive(Debug, Deserialize)]
#[serde(try_from = "RawKubernetesPolicy")]
pub(crate) struct CheckedKubernetesPolicy(pub KubernetesPolicy);

impl TryFrom<RawKubernetesPolicy> for CheckedKubernetesPolicy {
    type Error = FieldError;
    fn try_from(raw: RawKubernetesPolicy) -> Result<Self, FieldError> {
        compile(raw).map(CheckedKubernetesPolicy)
    }
}

fn compile(raw: RawKubernetesPolicy) -> Result<KubernetesPolicy, FieldError> {
    if raw.name.trim().is_empty() {
        return Err(FieldError::new("name", "must not be empty"));
    }
    if !raw.assurance_type.eq_ignore_ascii_case(ASSURANCE_TYPE) {
        return Err(FieldError::new(
            "assurance_type",
            format!(
                "policy `{}` is a `{}` assurance policy, not a Kubernetes one \
                 (assurance_type: kubernetes)",
                raw.name, raw.assurance_type
            ),
        ));
    }
    let enforce_from = enforce_from(&raw)?;
    let mut notes: Vec<NotEvaluated> = application_scopes_note(
        raw.application_scopes.as_deref(),
        raw.exclude_application_scopes.as_deref(),
    )
    .into_iter()
    .collect();
    if let Some(scope) = &raw.scope {
        if scope.reads_image_labels() {
            return Err(FieldError::new(
                "scope",
                "`image.label` is not known at admission (image configs are not read); \
                 use `kubernetes.label` for the workload's labels",
            ));
        }
        notes.extend(
            scope
                .unchecked_attributes(true)
                .map(|attribute| NotEvaluated {
                    field: "scope",
                    reason: format!(
                        "scope attribute `{attribute}` is not known at admission; Kabuto treats it \
                 as matching"
                    ),
                }),
        );
    }
    let allowed_registries = if raw.allowed_registries_enabled {
        let list = raw.allowed_registries.unwrap_or_default();
        if list.is_empty() {
            return Err(FieldError::new(
                "allowed_registries_enabled",
                "is true but `allowed_registries` is empty",
            ));
        }
        list
    } else {
        Vec::new()
    };
    Ok(KubernetesPolicy {
        name: raw.name,
        description: raw.description.unwrap_or_default(),
        enabled: raw.enabled.unwrap_or(true),
        enforce: raw.enforce,
        enforce_from,
        scope: Scope {
            expression: raw.scope,
            registries: Vec::new(),
            images: Vec::new(),
            labels: Vec::new(),
        },
        checks: enabled_checks(
            raw.kubernetes_controls.unwrap_or_default(),
            [
                raw.kubernetes_controls_names,
                raw.kubernetes_controls_avd_ids,
            ]
            .into_iter()
            .flatten()
            .flatten(),
        ),
        allowed_registries,
        notes,
    })
}

/// The start of enforcement: `lastupdate` plus `enforce_after_days`; `None` when the
/// policy enforces from the start (or never: `enforce` false).
fn enforce_from(raw: &RawKubernetesPolicy) -> Result<Option<OffsetDateTime>, FieldError> {
    let Some(days) = raw.enforce_after_days.filter(|days| *days > 0) else {
        return Ok(None);
    };
    if !raw.enforce {
        return Err(FieldError::new(
            "enforce_after_days",
            "switches a policy from audit to enforce after a grace period: it needs \
             `enforce: true`",
        ));
    }
    let Some(Timestamp(start)) = raw.lastupdate else {
        return Err(FieldError::new(
            "enforce_after_days",
            "needs `lastupdate` (unix seconds or a date): the grace period starts there",
        ));
    };
    start
        .checked_add(Duration::days(i64::from(days)))
        .map(Some)
        .ok_or_else(|| FieldError::new("enforce_after_days", "ends past the year 9999"))
}

/// The checks switched on by enabled entries and by the name lists, each once, in id order.
fn enabled_checks(
    entries: Vec<ControlEntry>,
    names: impl Iterator<Item = ControlName>,
) -> Vec<&'static Check> {
    let on: Vec<&str> = entries
        .into_iter()
        .filter(|entry| entry.enabled)
        .map(|entry| entry.checks)
        .chain(names)
        .flat_map(|name| name.0.into_iter().map(|check| check.id))
        .collect();
    kubernetes_checks()
        .filter(|check| on.contains(&check.id))
        .collect()
}
