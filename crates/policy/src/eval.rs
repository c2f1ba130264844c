//! Judging one scan against a policy set: scope, then each control of each policy that
//! applies (the controls live in [`crate::controls`], one module per family).

use time::format_description::well_known::Rfc3339;

use crate::PolicySet;
use crate::ack::Acknowledgements;
use crate::compile::Policy;
use crate::facts::Prepared;
use crate::input::PolicyInput;
use crate::scope::ScopeSubject;
use crate::verdict::{
    ControlOutcome, ControlResult, EvaluationOutcome, GateOutcome, PolicyAction, PolicyResult,
    Verdict,
};

/// Judges the scan in `input` against every policy in `policies`.
pub fn evaluate(policies: &PolicySet, acks: &Acknowledgements, input: &PolicyInput<'_>) -> Verdict {
    let prepared = Prepared::new(input, acks);
    let subject = ScopeSubject {
        names: &prepared.names,
        labels: prepared.labels,
        placement: None,
    };
    let results: Vec<PolicyResult> = policies
        .policies()
        .iter()
        .map(|policy| evaluate_policy(policy, &prepared, &subject))
        .collect();
    let failed = |fail_cicd: bool| {
        results.iter().any(|r| {
            r.outcome == EvaluationOutcome::Fail
                && (!fail_cicd || r.action == PolicyAction::FailCicd)
        })
    };
    let gate = if failed(true) {
        GateOutcome::Fail
    } else if failed(false) {
        GateOutcome::AuditOnly
    } else {
        GateOutcome::Pass
    };
    Verdict {
        image: prepared.image_name(),
        evaluated_at: input.now.format(&Rfc3339).unwrap_or_default(),
        gate,
        policies: results,
    }
}

fn evaluate_policy(
    policy: &Policy,
    prepared: &Prepared<'_>,
    subject: &ScopeSubject<'_>,
) -> PolicyResult {
    let action = if policy.fail_cicd {
        PolicyAction::FailCicd
    } else {
        PolicyAction::Audit
    };
    let skipped = if !policy.enabled {
        Some("the policy is disabled".to_owned())
    } else if !policy.scope.matches(subject) {
        Some("the image is outside the policy's scope".to_owned())
    } else {
        None
    };
    let controls: Vec<ControlResult> = if skipped.is_some() {
        Vec::new()
    } else {
        policy
            .controls
            .iter()
            .map(|control| control.evaluate(&policy.exceptions, prepared))
            .collect()
    };
    let outcome = if skipped.is_some() {
        EvaluationOutcome::Skipped
    } else if controls.iter().all(|c| c.outcome == ControlOutcome::Pass) {
        EvaluationOutcome::Pass
    } else {
        EvaluationOutcome::Fail
    };
    PolicyResult {
        policy: policy.name.clone(),
        description: policy.description.clone(),
        outcome,
        skipped_because: skipped,
        action,
        controls,
        not_evaluated: policy.notes.clone(),
    }
}
