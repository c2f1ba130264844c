//! The decision on one admission request: which images and workload settings it brings,
//! what the verdicts and the Kubernetes assurance policies say, and whether that denies it,
//! warns (audit mode) or allows it.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kabuto_api::server::EnforcerEvent;
use kabuto_policy::{KubernetesPolicySet, WorkloadSubject, evaluate_workload};
use kabuto_source::registry::{RegistryOptions, resolve_digest};
use kabuto_types::{Digest, ImageReference};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::audit::{ALLOWED, AuditSink, DENIED, VIOLATION};
use crate::cache::TtlCache;
use crate::metrics::Metrics;
use crate::review::{Operation, Request, Response};
use crate::server_source::name_and_tag;
use crate::verdict::{ImageStatus, ImageVerdict, VerdictError, VerdictSource};
use crate::workload::Workload;

/// Entries kept per cache.
const CACHE_CAPACITY: usize = 50_000;
/// Longest denial message: `kubectl` prints it whole.
const MAX_MESSAGE_CHARS: usize = 1_000;
/// The API server may truncate a warning longer than this; cut here, visibly, instead.
const MAX_WARNING_CHARS: usize = 256;
/// Hex digits of a digest shown in messages (as `docker images` shows ids).
const SHORT_DIGEST: usize = 12;

/// How the enforcer decides.
pub struct Settings {
    /// The cluster's name, for `kubernetes.cluster` scopes and audit events.
    pub cluster: String,
    /// Namespaces never judged (kube-system and the enforcer's own by default).
    pub excluded_namespaces: BTreeSet<String>,
    /// Aqua's "block unregistered images": an image the server does not know is denied.
    pub block_unregistered: bool,
    /// Aqua's `block_admission_control`: deny when no verdict can be had (server down,
    /// timeout); otherwise allow with a warning and an audit event.
    pub fail_closed: bool,
    pub kubernetes_policies: KubernetesPolicySet,
    /// How long a verdict or a tag's digest is reused (Aqua: 60 s).
    pub cache_ttl: Duration,
    /// How long one request waits for the verdicts of its images.
    pub budget: Duration,
    /// Registry access for resolving tags to digests (its `timeout` bounds each HEAD).
    pub registry: RegistryOptions,
}

/// Why a request was allowed without being judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    ExcludedNamespace,
    /// DELETE, CONNECT, or no object.
    NotACreateOrUpdate,
    NoPods,
    /// An UPDATE whose pod spec is unchanged (replicas, labels, annotations).
    PodSpecUnchanged,
}

/// What was decided about one image.
#[derive(Debug, Clone)]
pub struct ImageOutcome {
    pub image: String,
    pub digest: Option<Digest>,
    pub verdict: Result<ImageVerdict, VerdictError>,
}

/// The decision on one request.
#[derive(Debug, Clone, Default)]
pub struct Decision {
    pub skipped: Option<Skip>,
    /// Why the request is denied; empty when it is allowed.
    pub reasons: Vec<String>,
    /// Audit-mode violations and fail-open notes, returned as `warnings`.
    pub warnings: Vec<String>,
    pub images: Vec<ImageOutcome>,
}

impl Decision {
    fn skipped(skip: Skip) -> Decision {
        Decision {
            skipped: Some(skip),
            ..Decision::default()
        }
    }

    pub fn allowed(&self) -> bool {
        self.reasons.is_empty()
    }

    /// The AdmissionReview response.
    pub fn response(&self, request: &Request) -> Response {
        let warnings = self
            .warnings
            .iter()
            .map(|w| cut(w, MAX_WARNING_CHARS))
            .collect();
        if self.allowed() {
            return Response::allow(&request.uid, warnings);
        }
        let message = format!(
            "kabuto denied {}: {}",
            request.workload_name(),
            self.reasons.join("; ")
        );
        Response::deny(
            &request.uid,
            403,
            cut(&message, MAX_MESSAGE_CHARS),
            warnings,
        )
    }

    /// The audit event for a judged request; `None` when it was not judged.
    pub fn event(
        &self,
        request: &Request,
        cluster: &str,
        now: OffsetDateTime,
    ) -> Option<EnforcerEvent> {
        self.skipped.is_none().then(|| {
            let (action, result) = if !self.allowed() {
                (DENIED, "denied")
            } else if self.warnings.is_empty() {
                (ALLOWED, "allowed")
            } else {
                (VIOLATION, "allowed")
            };
            let images: Vec<Value> = self
                .images
                .iter()
                .map(|outcome| {
                    json!({
                        "image": outcome.image,
                        "digest": outcome.digest.as_ref().map(Digest::to_string),
                        "verdict": match &outcome.verdict {
                            Ok(verdict) => status_name(&verdict.status).to_owned(),
                            Err(error) => format!("unknown: {error}"),
                        },
                    })
                })
                .collect();
            EnforcerEvent {
                time: now
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                action: action.to_owned(),
                target: request.workload_name(),
                result: result.to_owned(),
                detail: json!({
                    "cluster": cluster,
                    "namespace": request.namespace,
                    "kind": request.kind.kind,
                    "name": request.name,
                    "operation": format!("{:?}", request.operation).to_uppercase(),
                    "user": request.user.username,
                    "dry_run": request.dry_run,
                    "images": images,
                    "reasons": self.reasons,
                    "warnings": self.warnings,
                }),
            }
        })
    }
}

fn status_name(status: &ImageStatus) -> &'static str {
    match status {
        ImageStatus::Judged(failed) if failed.is_empty() => "compliant",
        ImageStatus::Judged(_) => "non-compliant",
        ImageStatus::Pending => "pending",
        ImageStatus::Unregistered => "unregistered",
    }
}

/// The image as messages name it: a digest shortened to its first hex digits, so that
/// several images fit in what `kubectl` prints.
fn short_image(image: &str) -> String {
    match image.split_once("@sha256:") {
        Some((name, hex)) if hex.chars().count() > SHORT_DIGEST => {
            let short: String = hex.chars().take(SHORT_DIGEST).collect();
            format!("{name}@sha256:{short}")
        }
        _ => image.to_owned(),
    }
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// The enforcer: settings, where verdicts come from, what it remembers, where it reports.
pub struct Enforcer {
    settings: Settings,
    /// `None`: images are not judged (only Kubernetes assurance policies are).
    source: Option<Arc<dyn VerdictSource>>,
    verdicts: TtlCache<ImageVerdict>,
    digests: TtlCache<Digest>,
    generation: AtomicU64,
    audit: Vec<Box<dyn AuditSink>>,
    pub metrics: Metrics,
}

impl Enforcer {
    pub fn new(
        settings: Settings,
        source: Option<Arc<dyn VerdictSource>>,
        audit: Vec<Box<dyn AuditSink>>,
    ) -> Enforcer {
        Enforcer {
            verdicts: TtlCache::new(settings.cache_ttl, CACHE_CAPACITY),
            digests: TtlCache::new(settings.cache_ttl, CACHE_CAPACITY),
            settings,
            source,
            generation: AtomicU64::new(0),
            audit,
            metrics: Metrics::new(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn source(&self) -> Option<&dyn VerdictSource> {
        self.source.as_deref()
    }

    /// Judges a request and records the decision.
    pub async fn validate(self: &Arc<Self>, request: &Request) -> Decision {
        let decision = self.decide(request).await;
        if let Some(event) =
            decision.event(request, &self.settings.cluster, OffsetDateTime::now_utc())
        {
            for sink in &self.audit {
                sink.record(&event);
            }
        } else if decision.skipped == Some(Skip::NoPods) {
            tracing::info!(kind = %request.kind.kind, workload = %request.workload_name(), "allowed: a kind without pods");
        }
        decision
    }

    async fn decide(self: &Arc<Self>, request: &Request) -> Decision {
        let (workload, old) = match self.workloads(request) {
            Ok(pair) => pair,
            Err(skip) => return Decision::skipped(skip),
        };
        let mut decision = Decision::default();
        self.judge_workload(request, &workload, &mut decision);
        let Some(source) = &self.source else {
            return decision;
        };
        let old_images = old.as_ref().map(Workload::images).unwrap_or_default();
        let new_images: Vec<String> = workload
            .images()
            .into_iter()
            .filter(|image| !old_images.contains(image))
            .map(str::to_owned)
            .collect();
        let images = self.image_outcomes(source, new_images).await;
        for outcome in &images {
            self.judge_image(outcome, &mut decision);
        }
        decision.images = images;
        decision
    }

    /// The request's workload and, for an UPDATE, the one it replaces; or why it is not
    /// judged.
    fn workloads<'a>(
        &self,
        request: &'a Request,
    ) -> Result<(Workload<'a>, Option<Workload<'a>>), Skip> {
        if self
            .settings
            .excluded_namespaces
            .contains(&request.namespace)
        {
            return Err(Skip::ExcludedNamespace);
        }
        let object = match (request.operation, &request.object) {
            (Operation::Create | Operation::Update, Some(object)) => object,
            _ => return Err(Skip::NotACreateOrUpdate),
        };
        let kind = request.kind.kind.as_str();
        let workload = Workload::of(kind, object).ok_or(Skip::NoPods)?;
        let old = request
            .old_object
            .as_ref()
            .and_then(|old| Workload::of(kind, old));
        if old
            .as_ref()
            .is_some_and(|old| old.pod_spec == workload.pod_spec)
        {
            return Err(Skip::PodSpecUnchanged);
        }
        Ok((workload, old))
    }

    fn judge_workload(&self, request: &Request, workload: &Workload<'_>, decision: &mut Decision) {
        if self.settings.kubernetes_policies.is_empty() {
            return;
        }
        let Some(object) = &request.object else {
            return;
        };
        let images: Vec<ImageReference> = workload
            .containers
            .iter()
            .filter_map(|c| ImageReference::parse(&c.image).ok())
            .collect();
        let subject = WorkloadSubject {
            cluster: &self.settings.cluster,
            namespace: &request.namespace,
            labels: &workload.labels,
            object,
            images: &images,
        };
        let violations = match evaluate_workload(
            &self.settings.kubernetes_policies,
            &subject,
            OffsetDateTime::now_utc(),
        ) {
            Ok(violations) => violations,
            Err(error) if self.settings.fail_closed => {
                decision
                    .reasons
                    .push(format!("workload not judged (fail closed): {error}"));
                return;
            }
            Err(error) => {
                decision
                    .warnings
                    .push(format!("kabuto: workload not judged: {error}"));
                return;
            }
        };
        for violation in violations {
            if violation.enforced {
                decision.reasons.push(violation.to_string());
            } else {
                decision
                    .warnings
                    .push(format!("kabuto (audit): {violation}"));
            }
        }
    }

    fn judge_image(&self, outcome: &ImageOutcome, decision: &mut Decision) {
        let image = short_image(&outcome.image);
        match &outcome.verdict {
            Ok(verdict) => {
                for policy in verdict.blocking() {
                    decision.reasons.push(format!(
                        "image {image} fails policy \"{}\" ({})",
                        policy.policy_name,
                        policy.controls.join(", ")
                    ));
                }
                for policy in verdict.auditing() {
                    decision.warnings.push(format!(
                        "kabuto (audit): policy \"{}\" fails image {image} ({})",
                        policy.policy_name,
                        policy.controls.join(", ")
                    ));
                }
                let unknown = match verdict.status {
                    ImageStatus::Unregistered => Some("is not registered"),
                    ImageStatus::Pending => Some("is registered but not scanned yet"),
                    ImageStatus::Judged(_) => None,
                };
                match unknown {
                    Some(what) if self.settings.block_unregistered => decision
                        .reasons
                        .push(format!("image {image} {what} (block unregistered images)")),
                    Some(what) => decision
                        .warnings
                        .push(format!("kabuto: image {image} {what}: not judged")),
                    None => {}
                }
            }
            Err(error) if self.settings.fail_closed => decision.reasons.push(format!(
                "no verdict for image {image} (fail closed): {error}"
            )),
            Err(error) => decision.warnings.push(format!(
                "kabuto: allowed without a verdict for {image}: {error}"
            )),
        }
    }

    /// The verdict of each image, looked up concurrently, each within the budget.
    async fn image_outcomes(
        self: &Arc<Self>,
        source: &Arc<dyn VerdictSource>,
        images: Vec<String>,
    ) -> Vec<ImageOutcome> {
        let budget = self.settings.budget;
        let tasks: Vec<_> = images
            .into_iter()
            .map(|image| {
                let (this, source) = (Arc::clone(self), Arc::clone(source));
                tokio::spawn(async move {
                    match tokio::time::timeout(budget, this.image_outcome(source, &image)).await {
                        Ok(outcome) => outcome,
                        Err(_) => ImageOutcome {
                            verdict: Err(VerdictError::Timeout {
                                image: image.clone(),
                                seconds: budget.as_secs(),
                                hint: "",
                            }),
                            image,
                            digest: None,
                        },
                    }
                })
            })
            .collect();
        let mut outcomes = Vec::with_capacity(tasks.len());
        for task in tasks {
            if let Ok(outcome) = task.await {
                outcomes.push(outcome);
            }
        }
        outcomes
    }

    async fn image_outcome(
        self: &Arc<Self>,
        source: Arc<dyn VerdictSource>,
        image: &str,
    ) -> ImageOutcome {
        let reference = match ImageReference::parse(image) {
            Ok(reference) => reference,
            Err(error) => {
                return ImageOutcome {
                    image: image.to_owned(),
                    digest: None,
                    verdict: Err(VerdictError::Reference {
                        image: image.to_owned(),
                        message: error.to_string(),
                    }),
                };
            }
        };
        let digest = self.digest_of(&reference).await;
        let key = digest
            .as_ref()
            .map_or_else(|| name_and_tag(&reference), Digest::to_string);
        if let Some(verdict) = self.verdicts.get(&key) {
            self.metrics.verdict_lookup(true);
            return ImageOutcome {
                image: image.to_owned(),
                digest,
                verdict: Ok(verdict),
            };
        }
        self.metrics.verdict_lookup(false);
        let asked = digest.clone();
        let verdict =
            tokio::task::spawn_blocking(move || source.verdict(&reference, asked.as_ref()))
                .await
                .unwrap_or_else(|e| {
                    Err(VerdictError::Scan {
                        image: image.to_owned(),
                        message: e.to_string(),
                    })
                });
        if let Ok(verdict) = &verdict {
            self.verdicts.insert(key, verdict.clone());
        }
        ImageOutcome {
            image: image.to_owned(),
            digest,
            verdict,
        }
    }

    /// The digest the image's tag names now (cached), or the one it carries. `None` when
    /// the registry cannot be asked: the verdict is then looked up by name.
    async fn digest_of(self: &Arc<Self>, reference: &ImageReference) -> Option<Digest> {
        if let Some(digest) = reference.digest() {
            return Some(digest.clone());
        }
        let key = reference.original().to_owned();
        if let Some(digest) = self.digests.get(&key) {
            return Some(digest);
        }
        let this = Arc::clone(self);
        let asked = reference.clone();
        let resolved =
            tokio::task::spawn_blocking(move || resolve_digest(&asked, &this.settings.registry))
                .await
                .ok()?;
        match resolved {
            Ok(digest) => {
                self.digests.insert(key, digest.clone());
                Some(digest)
            }
            Err(error) => {
                tracing::debug!(image = %reference.original(), "tag not resolved to a digest: {error}");
                None
            }
        }
    }

    /// The JSON Patch pinning each tag-only image to the digest it resolves to now, so the
    /// image that runs is the image that was judged. `None` when nothing is to pin.
    pub async fn pins(self: &Arc<Self>, request: &Request) -> Option<Value> {
        let (workload, _) = self.workloads(request).ok()?;
        let mut operations = Vec::new();
        for container in &workload.containers {
            let Ok(reference) = ImageReference::parse(&container.image) else {
                continue;
            };
            if reference.digest().is_some() {
                continue;
            }
            if let Some(digest) = self.digest_of(&reference).await {
                operations.push(json!({
                    "op": "replace",
                    "path": container.image_pointer,
                    "value": format!("{}@{digest}", container.image),
                }));
            }
        }
        (!operations.is_empty()).then(|| Value::Array(operations))
    }

    /// Drops cached verdicts when the source says they may be stale.
    pub fn refresh(&self) {
        let Some(source) = &self.source else {
            return;
        };
        match source.generation() {
            Ok(Some(generation)) => {
                if self.generation.swap(generation, Ordering::Relaxed) != generation {
                    self.verdicts.clear();
                    tracing::debug!(generation, "verdicts changed at the source: cache cleared");
                }
            }
            Ok(None) => {}
            Err(error) => tracing::warn!("cannot ask the verdict generation: {error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::fmt::Write as _;

    use kabuto_api::server::FailedPolicy;

    use super::*;

    const APP: &str = "registry.example.test/shop/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const SIDECAR: &str = "registry.example.test/shop/proxy@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    /// Verdicts by image as written in the pod spec; an image without one is unknown to
    /// the server, and `down` makes every call fail as an unreachable server does.
    struct Verdicts {
        failed: BTreeMap<&'static str, Vec<FailedPolicy>>,
        down: bool,
    }

    impl VerdictSource for Verdicts {
        fn verdict(
            &self,
            image: &ImageReference,
            digest: Option<&Digest>,
        ) -> Result<ImageVerdict, VerdictError> {
            if self.down {
                return Err(VerdictError::Unreachable {
                    url: "https://kabuto.example.test".into(),
                    message: "connection refused".into(),
                });
            }
            let status = match self.failed.get(image.original()) {
                Some(failed) => ImageStatus::Judged(failed.clone()),
                None => ImageStatus::Unregistered,
            };
            Ok(ImageVerdict {
                image: image.original().to_owned(),
                digest: digest.cloned(),
                status,
            })
        }

        fn describe(&self) -> String {
            "test verdicts".into()
        }
    }

    fn failed(policy: &str, block_failed: bool, controls: &[&str]) -> FailedPolicy {
        FailedPolicy {
            policy_name: policy.into(),
            block_failed,
            controls: controls.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    /// A privileged container without a memory limit, and a sidecar.
    fn deployment(labels: Value) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "labels": labels},
            "spec": {"replicas": 2, "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [
                    {"name": "app", "image": APP, "securityContext": {"privileged": true}},
                    {"name": "proxy", "image": SIDECAR,
                     "resources": {"limits": {"memory": "64Mi"}}},
                ]},
            }},
        })
    }

    fn request(operation: &str, object: Value, old: Option<Value>) -> Request {
        let body = json!({
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {
                "uid": "e911857d-c318-11e8-bbad-025000000001",
                "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
                "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
                "name": "web", "namespace": "shop", "operation": operation,
                "userInfo": {"username": "alice"},
                "object": object, "oldObject": old,
            },
        });
        Request::from_body(body.to_string().as_bytes()).expect("a valid review")
    }

    const KUBERNETES_POLICIES: &str = r#"
- {name: no-privileged, assurance_type: kubernetes, enforce: true,
   kubernetes_controls: [{name: KBK001, enabled: true}]}
- {name: limits, assurance_type: kubernetes, enforce: false,
   kubernetes_controls: [{name: KBK013, enabled: true}]}
"#;

    fn enforcer(source: Verdicts, fail_closed: bool, block_unregistered: bool) -> Arc<Enforcer> {
        let settings = Settings {
            cluster: "prod".into(),
            excluded_namespaces: BTreeSet::from(["kube-system".to_owned()]),
            block_unregistered,
            fail_closed,
            kubernetes_policies: KubernetesPolicySet::parse(KUBERNETES_POLICIES, "k8s.yaml")
                .expect("valid policies"),
            cache_ttl: Duration::from_secs(60),
            budget: Duration::from_secs(2),
            registry: RegistryOptions::default(),
        };
        Arc::new(Enforcer::new(settings, Some(Arc::new(source)), Vec::new()))
    }

    /// What `kubectl` shows of a decision: allowed or the denial message, then warnings.
    async fn shown(enforcer: &Arc<Enforcer>, request: &Request) -> String {
        let decision = enforcer.validate(request).await;
        let review = decision.response(request).into_review();
        let response = &review["response"];
        assert_eq!(response["uid"], json!(request.uid), "the uid is echoed");
        let mut text = match response["status"]["message"].as_str() {
            Some(message) if response["allowed"] == json!(false) => {
                format!("denied ({}): {message}\n", response["status"]["code"])
            }
            _ => "allowed\n".to_owned(),
        };
        for warning in response["warnings"].as_array().into_iter().flatten() {
            let _ = writeln!(text, "warning: {}", warning.as_str().unwrap_or_default());
        }
        if let Some(skip) = decision.skipped {
            let _ = writeln!(text, "not judged: {skip:?}");
        }
        text
    }

    fn seed_verdicts(acknowledged: bool) -> Verdicts {
        let app = if acknowledged {
            Vec::new()
        } else {
            vec![failed(
                "no-critical",
                true,
                &["vulnerability_severity", "cves_black_list"],
            )]
        };
        Verdicts {
            failed: BTreeMap::from([
                (APP, app),
                (SIDECAR, vec![failed("watch", false, &["malware"])]),
            ]),
            down: false,
        }
    }

    #[tokio::test]
    async fn denial_names_the_images_policies_and_controls() {
        let denied = enforcer(seed_verdicts(false), false, false);
        let request = request("CREATE", deployment(json!({})), None);
        insta::assert_snapshot!("deny_blocking_policy", shown(&denied, &request).await);
        let acknowledged = enforcer(seed_verdicts(true), false, false);
        let mut compliant = deployment(json!({}));
        compliant["spec"]["template"]["spec"]["containers"][0]["securityContext"] = json!({});
        let request = self::request("CREATE", compliant, None);
        insta::assert_snapshot!(
            "allow_after_acknowledgement",
            shown(&acknowledged, &request).await
        );
    }

    #[tokio::test]
    async fn an_unreachable_server_fails_open_or_closed_as_configured() {
        let down = || Verdicts {
            failed: BTreeMap::new(),
            down: true,
        };
        let request = request("CREATE", deployment(json!({})), None);
        let open = shown(&enforcer(down(), false, false), &request).await;
        let closed = shown(&enforcer(down(), true, false), &request).await;
        insta::assert_snapshot!(
            "server_down",
            format!("fail open:\n{open}\nfail closed:\n{closed}")
        );
    }

    #[tokio::test]
    async fn unregistered_images_are_denied_only_when_asked() {
        let unknown = || Verdicts {
            failed: BTreeMap::new(),
            down: false,
        };
        let request = request("CREATE", deployment(json!({})), None);
        let allowed = shown(&enforcer(unknown(), false, false), &request).await;
        let blocked = shown(&enforcer(unknown(), false, true), &request).await;
        insta::assert_snapshot!(
            "unregistered",
            format!("default:\n{allowed}\n--block-unregistered:\n{blocked}")
        );
    }

    #[tokio::test]
    async fn an_update_that_keeps_the_pod_spec_is_not_judged_again() {
        let enforcer = enforcer(seed_verdicts(false), true, true);
        let mut scaled = deployment(json!({"tier": "front"}));
        scaled["spec"]["replicas"] = json!(5);
        let request = request("UPDATE", scaled, Some(deployment(json!({}))));
        assert_eq!(
            shown(&enforcer, &request).await,
            "allowed\nnot judged: PodSpecUnchanged\n"
        );
    }

    #[test]
    fn long_messages_are_cut_visibly() {
        let text = "x".repeat(MAX_MESSAGE_CHARS + 10);
        let cut = cut(&text, MAX_MESSAGE_CHARS);
        assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(self::cut("short", MAX_MESSAGE_CHARS), "short");
    }

    #[test]
    fn digests_are_shortened_in_messages() {
        assert_eq!(
            short_image(APP),
            "registry.example.test/shop/app@sha256:aaaaaaaaaaaa"
        );
        assert_eq!(short_image("app:1"), "app:1");
        // Whatever a pod spec holds, shortening never splits a character.
        assert_eq!(
            short_image("a@sha256:ééééééééééééé"),
            "a@sha256:éééééééééééé"
        );
    }
}
