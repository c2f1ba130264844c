//! Kubernetes assurance policies against real workload objects (made with kubectl; see
//! tests/fixtures/kubernetes/README.md). Golden messages live in tests/snapshots;
//! regenerate with `INSTA_UPDATE=always cargo test -p kabuto-policy --test kubernetes_policies`.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::collections::BTreeMap;
use std::path::Path;

use kabuto_policy::{
    KubernetesPolicySet, PolicyError, PolicyFiles, PolicySet, WorkloadSubject, WorkloadViolation,
    evaluate_workload,
};
use kabuto_types::ImageReference;
use serde_json::Value;
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

/// A workload fixture with what the enforcer hands the policy crate: its pod template's
/// labels and every container image.
struct Workload {
    object: Value,
    labels: BTreeMap<String, String>,
    images: Vec<ImageReference>,
}

fn workload(name: &str) -> Workload {
    let path = Path::new("tests/fixtures/kubernetes").join(name);
    let object: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let template = match object["kind"].as_str().unwrap() {
        "Pod" => &object,
        "CronJob" => &object["spec"]["jobTemplate"]["spec"]["template"],
        _ => &object["spec"]["template"],
    };
    let labels = template["metadata"]["labels"]
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let images = ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .filter_map(|list| template["spec"][list].as_array())
        .flatten()
        .map(|c| ImageReference::parse(c["image"].as_str().unwrap()).unwrap())
        .collect();
    Workload {
        object,
        labels,
        images,
    }
}

fn policies(yaml: &str) -> KubernetesPolicySet {
    KubernetesPolicySet::parse(yaml, "test.yaml").unwrap()
}

fn judge_in(
    policies: &KubernetesPolicySet,
    fixture: &str,
    namespace: &str,
    cluster: &str,
    now: OffsetDateTime,
) -> Vec<WorkloadViolation> {
    let w = workload(fixture);
    let subject = WorkloadSubject {
        cluster,
        namespace,
        labels: &w.labels,
        object: &w.object,
        images: &w.images,
    };
    evaluate_workload(policies, &subject, now).unwrap()
}

fn judge(policies: &KubernetesPolicySet, fixture: &str) -> Vec<WorkloadViolation> {
    judge_in(policies, fixture, "default", "gke-prod", NOW)
}

fn lines(violations: &[WorkloadViolation]) -> Vec<String> {
    violations.iter().map(ToString::to_string).collect()
}

const PRIVILEGED: &str = "name: no-privileged
assurance_type: kubernetes
enforce: true
kubernetes_controls:
  - {name: KSV017, enabled: true}
";

#[test]
fn a_privileged_pod_is_denied_by_an_enforce_policy() {
    let violations = judge(&policies(PRIVILEGED), "pod-privileged.json");
    assert_eq!(
        lines(&violations),
        ["policy no-privileged: KBK001 Privileged container (Pod/debug container debug)"]
    );
    assert!(violations[0].enforced);
    assert_eq!(violations[0].failed[0].detail, "`privileged: true`");
    assert!(judge(&policies(PRIVILEGED), "deployment-web.json").is_empty());
}

#[test]
fn the_same_policy_in_audit_mode_only_warns() {
    let audit = PRIVILEGED.replace("enforce: true", "enforce: false");
    let violations = judge(&policies(&audit), "pod-privileged.json");
    assert_eq!(violations.len(), 1);
    assert!(!violations[0].enforced);
    let json = serde_json::to_value(&violations[0]).unwrap();
    assert_eq!(json["failed"][0]["id"], "KBK001");
    assert_eq!(json["enforced"], false);
}

#[test]
fn enforce_after_days_audits_until_the_switch_then_enforces() {
    // lastupdate 2026-05-25 + 14 days: enforced from 2026-06-08 00:00 UTC.
    for lastupdate in ["2026-05-25", "1779667200", "'2026-05-25T02:00:00+02:00'"] {
        let graced = PRIVILEGED.replace(
            "enforce: true",
            &format!("enforce: true\nenforce_after_days: 14\nlastupdate: {lastupdate}"),
        );
        let set = policies(&graced);
        let at = |now| judge_in(&set, "pod-privileged.json", "default", "c", now)[0].enforced;
        assert!(!at(NOW), "{lastupdate}: still in the grace period");
        assert!(!at(datetime!(2026-06-07 23:59:59 UTC)), "{lastupdate}");
        assert!(
            at(datetime!(2026-06-08 00:00 UTC)),
            "{lastupdate}: switched"
        );
    }
}

#[test]
fn scope_by_namespace_label_and_cluster() {
    let scoped = |variables: &str| {
        policies(&format!(
            "{PRIVILEGED}scope:\n  expression: v1\n  variables:\n    - {variables}\n"
        ))
    };
    let cases = [
        (
            "{attribute: kubernetes.namespace, value: 'prod-*'}",
            "prod-web",
            "c",
            true,
        ),
        (
            "{attribute: kubernetes.namespace, value: 'prod-*'}",
            "dev",
            "c",
            false,
        ),
        (
            "{attribute: kubernetes.label, name: run, value: debug}",
            "dev",
            "c",
            true,
        ),
        (
            "{attribute: kubernetes.label, name: run, value: web}",
            "dev",
            "c",
            false,
        ),
        (
            "{attribute: kubernetes.label, name: team, value: '*'}",
            "dev",
            "c",
            false,
        ),
        (
            "{attribute: kubernetes.cluster, value: 'gke-*'}",
            "dev",
            "gke-eu",
            true,
        ),
        (
            "{attribute: kubernetes.cluster, value: 'gke-*'}",
            "dev",
            "eks-us",
            false,
        ),
        (
            "{attribute: image.registry, value: registry.example.test}",
            "dev",
            "c",
            true,
        ),
        (
            "{attribute: image.registry, value: Docker Hub}",
            "dev",
            "c",
            false,
        ),
    ];
    for (variable, namespace, cluster, in_scope) in cases {
        let found = judge_in(
            &scoped(variable),
            "pod-privileged.json",
            namespace,
            cluster,
            NOW,
        );
        assert_eq!(
            found.len(),
            usize::from(in_scope),
            "{variable} in {namespace}/{cluster}"
        );
    }
}

#[test]
fn disabled_policies_and_policies_without_failures_give_nothing() {
    let disabled = format!("{PRIVILEGED}enabled: false\n");
    assert!(judge(&policies(&disabled), "pod-privileged.json").is_empty());
    let nothing_on = "name: empty\nassurance_type: kubernetes\nenforce: true\n";
    assert!(judge(&policies(nothing_on), "pod-privileged.json").is_empty());
}

const REGISTRIES: &str = "name: our-registries
assurance_type: kubernetes
enforce: true
allowed_registries_enabled: true
allowed_registries: [registry.example.test, '*.corp.example.test']
";

#[test]
fn images_from_other_registries_fail_the_registry_control() {
    assert!(judge(&policies(REGISTRIES), "deployment-web.json").is_empty());
    assert_eq!(
        lines(&judge(&policies(REGISTRIES), "cronjob-nightly.json")),
        [
            "policy our-registries: KBK-REGISTRY Image not from an allowed registry \
             (image `docker.io/library/busybox:latest` is from registry `docker.io`)"
        ]
    );
}

#[test]
fn the_example_policy_loads_and_judges_every_fixture() {
    let set = KubernetesPolicySet::load(Path::new("examples/kubernetes-baseline.yaml")).unwrap();
    let policy = &set.policies()[0];
    assert_eq!(
        policy.control_ids(),
        [
            "KBK001",
            "KBK002",
            "KBK003",
            "KBK004",
            "KBK005",
            "KBK006",
            "KBK009",
            "KBK011",
            "KBK013",
            "KBK017",
            "KBK-REGISTRY"
        ]
    );
    assert_eq!(policy.enforce_from, Some(datetime!(2025-12-15 00:00 UTC)));
    let mut report = String::new();
    for fixture in [
        "deployment-web.json",
        "deployment-web-hardened.json",
        "deployment-web-host.json",
        "cronjob-nightly.json",
        "pod-privileged.json",
        "pod-debug-containers.json",
    ] {
        let found = judge_in(&set, fixture, "prod-payments", "gke-prod", NOW);
        report.push_str(&format!("{fixture}:\n"));
        for violation in &found {
            assert!(violation.enforced, "past the grace period");
            report.push_str(&format!("  {violation}\n"));
        }
    }
    insta::assert_snapshot!("example_policy_on_fixtures", report);
    // Out of scope: not a prod namespace, or labelled exempt.
    assert!(judge_in(&set, "pod-privileged.json", "dev", "gke-prod", NOW).is_empty());
}

#[test]
fn a_file_with_both_kinds_is_split_by_assurance_type() {
    let text = format!(
        "policies:\n  - name: image-one\n    disallow_malware: true\n  - {}\n  - name: image-two\n    assurance_type: image\n",
        PRIVILEGED.replace('\n', "\n    ")
    );
    let files = PolicyFiles::parse(&text, "both.yaml").unwrap();
    let names: Vec<&str> = files
        .image
        .policies()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["image-one", "image-two"]);
    assert_eq!(files.kubernetes.policies()[0].name, "no-privileged");

    let json = r#"[{"name": "k", "assurance_type": "kubernetes"}, {"name": "i"}]"#;
    let files = PolicyFiles::parse(json, "both.json").unwrap();
    assert_eq!(
        (
            files.image.policies().len(),
            files.kubernetes.policies().len()
        ),
        (1, 1)
    );

    let clash = "- {name: same, assurance_type: kubernetes}\n- {name: same}\n";
    let error = PolicyFiles::parse(clash, "clash.yaml").unwrap_err();
    assert_eq!(
        error.to_string(),
        "clash.yaml: two policies are named `same`"
    );

    let error = PolicySet::parse(PRIVILEGED, "k8s.yaml").unwrap_err();
    insta::assert_snapshot!("kubernetes_policy_given_as_image_policy", error.to_string());
    let error = PolicyFiles::parse(
        "- {name: k, assurance_type: kubernetes, kubernetes_controls: [{name: nope}]}\n",
        "mixed.yaml",
    )
    .unwrap_err();
    insta::assert_snapshot!("mixed_file_bad_control", error.to_string());
}

#[test]
fn invalid_kubernetes_policies_are_refused_with_location() {
    let dir = Path::new("tests/fixtures/kubernetes-invalid");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 8, "fixtures missing: {files:?}");
    for file in files {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let error = KubernetesPolicySet::load(&file).map(|_| ()).unwrap_err();
        let PolicyError::Invalid(diagnostic) = &error else {
            panic!("{stem}: expected a diagnostic, got {error}");
        };
        assert!(diagnostic.line.is_some(), "{stem}: no line in {error}");
        assert!(!diagnostic.field.is_empty(), "{stem}: no field in {error}");
        insta::assert_snapshot!(format!("invalid_{stem}"), error.to_string());
    }
}
