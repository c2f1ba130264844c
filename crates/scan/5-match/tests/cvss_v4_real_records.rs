//! CVSS v4.0 scoring against real advisories: Bitnami's OSV records that rate a problem with
//! a v4.0 vector only also carry their own severity word; our score must land in that band.

use std::path::Path;

use kabuto_match::cvss;
use kabuto_types::Severity;

const BITNAMI: &str = "../../../../shared/vulndata/bitnami/data";

#[test]
fn bitnami_v4_only_records_agree_with_their_severity_label() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join(BITNAMI);
    if !base.exists() {
        eprintln!("skipped: {} is absent", base.display());
        return;
    }
    let (mut checked, mut disagreements) = (0, Vec::new());
    for package in std::fs::read_dir(&base).unwrap() {
        for record in std::fs::read_dir(package.unwrap().path()).unwrap() {
            let path = record.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let json: serde_json::Value = serde_json::from_str(&text).unwrap();
            let Some(label) = json["database_specific"]["severity"].as_str() else {
                continue;
            };
            let vectors: Vec<&str> = json["affected"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|a| a["severity"].as_array().into_iter().flatten())
                .filter_map(|s| s["score"].as_str())
                .collect();
            if vectors.is_empty() || !vectors.iter().all(|v| v.starts_with("CVSS:4.0/")) {
                continue;
            }
            let parsed = cvss::parse(vectors[0], Some("4.0"))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            checked += 1;
            let ours = Severity::from_cvss_score(parsed.score);
            if Some(ours) != Severity::from_label(label) {
                disagreements.push(format!(
                    "{}: {} scores {} ({ours:?}), label {label}",
                    path.display(),
                    vectors[0],
                    parsed.score
                ));
            }
        }
    }
    eprintln!("{checked} v4.0-only Bitnami records checked");
    assert!(
        checked > 50,
        "only {checked} records had v4.0 vectors alone"
    );
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}
