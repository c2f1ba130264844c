//! The shipped JSON Schema agrees with the loader, and every example policy and built-in
//! template is valid under both.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kabuto_policy::{PolicySet, templates};
use serde_json::Value;

fn schema() -> Value {
    serde_json::from_str(include_str!("../policy.schema.json")).unwrap()
}

fn as_json(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap()
}

fn example_policies() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            !p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("acknowledgements")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn schema_lists_exactly_the_fields_the_loader_accepts() {
    let schema = schema();
    let in_schema: BTreeSet<&str> = schema["$defs"]["policy"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let in_loader: BTreeSet<&str> = PolicySet::known_fields().iter().copied().collect();
    assert!(in_loader.len() > 80, "{in_loader:?}");
    assert_eq!(in_schema, in_loader);
}

#[test]
fn examples_and_templates_are_valid() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let mut documents: Vec<(String, String)> = example_policies()
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    assert!(documents.len() >= 2, "{documents:?}");
    for name in templates::NAMES {
        documents.push((
            format!("template {name}"),
            templates::get(name).unwrap().to_owned(),
        ));
    }
    for (name, text) in documents {
        let errors: Vec<String> = validator
            .iter_errors(&as_json(&text))
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let set = PolicySet::parse(&text, &name).unwrap_or_else(|e| panic!("{e}"));
        assert!(!set.policies().is_empty());
    }
}

#[test]
fn schema_refuses_what_the_loader_refuses() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let cases = [
        "name: a\ncvss_severty: high\n",
        "name: a\nmaximum_score: 12\n",
        "name: a\ncvss_severity: severe\n",
        "name: a\nblacklist_permissions: [world_writable]\n",
        "description: no name\n",
        "name: a\npackages_black_list: [{name: x, versions: '1'}]\n",
    ];
    for text in cases {
        assert!(
            !validator.is_valid(&as_json(text)),
            "schema accepted {text}"
        );
        assert!(
            PolicySet::parse(text, "t.yaml").is_err(),
            "loader accepted {text}"
        );
    }
}

#[test]
fn aqua_export_loads_as_is() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies/aqua-export.json");
    let set = PolicySet::load(&path).unwrap();
    let policy = &set.policies()[0];
    assert_eq!(policy.name, "payments-images");
    assert_eq!(
        policy.control_ids(),
        [
            "cvss_severity",
            "maximum_score",
            "cves_black_list",
            "packages_black_list",
            "blacklisted_licenses",
            "disallow_malware",
            "scan_sensitive_data",
            "only_none_root_users",
            "required_labels"
        ]
    );
    assert!(policy.notes().is_empty(), "{:?}", policy.notes());
}

#[test]
fn check_summary_lists_controls_needs_and_notes() {
    let set = PolicySet::parse(
        "name: a\nscan_sensitive_data: true\nvulnerability_exploitability: true\n",
        "a.yaml",
    )
    .unwrap();
    let summary = set.describe();
    assert!(
        summary.contains("policy `a` (enabled, fail_cicd)"),
        "{summary}"
    );
    assert!(
        summary.contains("controls: scan_sensitive_data"),
        "{summary}"
    );
    assert!(summary.contains("needs scan results: secrets"), "{summary}");
    assert!(
        summary.contains("`vulnerability_exploitability` is not evaluated"),
        "{summary}"
    );
}
