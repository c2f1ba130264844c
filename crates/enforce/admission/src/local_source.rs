//! Verdicts without a server: the image is scanned here with the engine and judged with
//! local policy files, within a time budget. A scan that outlives the budget goes on; its
//! verdict answers the next request for the image.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use kabuto_api::server::FailedPolicy;
use kabuto_scan::{Cancel, Engine, NoProgress, ScanPlan, Target};
use kabuto_types::{Digest, ImageReference, PolicyOutcome};

use crate::verdict::{ImageStatus, ImageVerdict, VerdictError, VerdictSource};

type Outcome = Result<ImageVerdict, VerdictError>;

/// One scan: its outcome once finished, and a signal for those waiting on it.
#[derive(Default)]
struct Slot {
    outcome: Mutex<Option<Outcome>>,
    done: Condvar,
}

pub struct LocalVerdicts {
    engine: Arc<Engine>,
    /// Policies, acknowledgements and registry access for every scan.
    plan: Arc<ScanPlan>,
    budget: Duration,
    /// Scans running or finished but not yet collected, by image key.
    slots: Mutex<HashMap<String, Arc<Slot>>>,
}

impl LocalVerdicts {
    pub fn new(engine: Arc<Engine>, plan: ScanPlan, budget: Duration) -> LocalVerdicts {
        LocalVerdicts {
            engine,
            plan: Arc::new(plan),
            budget,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The running (or finished) scan of `key`, started if there is none.
    fn slot(&self, key: &str, target: String) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = slots.get(key) {
            return Arc::clone(slot);
        }
        let slot = Arc::new(Slot::default());
        slots.insert(key.to_owned(), Arc::clone(&slot));
        let (engine, plan, running) = (
            Arc::clone(&self.engine),
            Arc::clone(&self.plan),
            Arc::clone(&slot),
        );
        std::thread::spawn(move || {
            let outcome = judge(&engine, &plan, &target);
            *running
                .outcome
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(outcome);
            running.done.notify_all();
        });
        slot
    }
}

/// Scans `target` and lists the policies it fails.
fn judge(engine: &Engine, plan: &ScanPlan, target: &str) -> Outcome {
    let result = engine
        .scan(
            &Target::Image(target.to_owned()),
            plan,
            &NoProgress,
            &Cancel::new(),
        )
        .map_err(|e| VerdictError::Scan {
            image: target.to_owned(),
            message: e.to_string(),
        })?;
    let policies = plan.policies.as_ref();
    let failed = result
        .policies
        .iter()
        .filter(|summary| summary.outcome != PolicyOutcome::Passed && !summary.failed.is_empty())
        .map(|summary| FailedPolicy {
            policy_name: summary.name.clone(),
            block_failed: policies
                .and_then(|set| set.policies().iter().find(|p| p.name == summary.name))
                .is_some_and(|p| p.block_failed),
            controls: summary.failed.iter().map(|c| c.id.clone()).collect(),
        })
        .collect();
    Ok(ImageVerdict {
        image: target.to_owned(),
        digest: result
            .inventory
            .image
            .as_ref()
            .and_then(|m| m.manifest_digest.clone()),
        status: ImageStatus::Judged(failed),
    })
}

impl VerdictSource for LocalVerdicts {
    fn verdict(
        &self,
        image: &ImageReference,
        digest: Option<&Digest>,
    ) -> Result<ImageVerdict, VerdictError> {
        // Scan exactly the digest the pod will pull when it is known.
        let target = match digest {
            Some(digest) if image.digest().is_none() => format!("{}@{digest}", image.name()),
            _ => image.original().to_owned(),
        };
        let key = digest.map_or_else(|| target.clone(), |d| d.to_string());
        let slot = self.slot(&key, target.clone());
        let guard = slot.outcome.lock().unwrap_or_else(PoisonError::into_inner);
        let (guard, _) = slot
            .done
            .wait_timeout_while(guard, self.budget, |outcome| outcome.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        let Some(outcome) = guard.clone() else {
            return Err(VerdictError::Timeout {
                image: target,
                seconds: self.budget.as_secs(),
                hint: "; the scan goes on and its verdict answers the next request",
            });
        };
        drop(guard);
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key);
        outcome
    }

    fn describe(&self) -> String {
        format!(
            "local scans (budget {} s) judged by local policy files",
            self.budget.as_secs()
        )
    }
}
