//! Conformance with Trivy's embedded misconfiguration checks on our fixtures.
//!
//! Runs `trivy-peer config --skip-check-update` (skips with a note when it is not installed)
//! and requires, for every Trivy finding whose check is in our scope, a finding of the mapped
//! Kabuto check in the same file.
//!
//! | Trivy | Kabuto | note |
//! |---|---|---|
//! | DS001 | KBD001 | also untagged images; not `scratch` or earlier stages |
//! | DS002 | KBD002 | we also flag a final stage with no USER when an earlier stage has one (Trivy does not) |
//! | DS004 | KBD010 | 22 and 23 (telnet), port ranges |
//! | DS005 | KBD003 | we flag remote-URL ADD without `--checksum`; Trivy flags ADD of local non-archives |
//! | DS010 | KBD007 | |
//! | DS026 | KBD009 | |
//! | DS029 | KBD008 | |
//! | DS031 | KBD006 | we skip `*_FILE`/`*_URL`-style references and also flag credential-shaped values |
//! | KSV001 | KBK005 | we include ephemeral containers |
//! | KSV003 | KBK007 | |
//! | KSV005, KSV022 | KBK006 | one finding listing the added capabilities; NET_BIND_SERVICE allowed |
//! | KSV006, KSV023, KSV121 | KBK011 | every hostPath volume |
//! | KSV008 | KBK003 | YAML 1.1 booleans (`yes`) as Kubernetes reads them; Trivy misses `hostIPC: yes` |
//! | KSV009 | KBK004 | |
//! | KSV010 | KBK002 | |
//! | KSV011, KSV018, KSV015, KSV016 | KBK012, KBK013, KBK014, KBK015 | |
//! | KSV012 | KBK008, KBK009 | a non-zero `runAsUser` also proves non-root (Trivy wants `runAsNonRoot`); explicit uid 0 is KBK009 |
//! | KSV013 | KBK017 | |
//! | KSV014 | KBK010 | |
//! | KSV017 | KBK001 | |
//! | KSV030, KSV104 | KBK018 | the legacy seccomp annotations count |
//! | KSV036 | KBK016 | |
//! | KSV105 | KBK009 | reported where the effective uid 0 is written (container overrides pod) |
//! | KSV106 | KBK006, KBK007 | |
//! | KSV118 | KBK005, KBK008, KBK010 | we report the individual unsafe defaults |
//!
//! Out of scope: DS017 (`apt-get update` alone is a cache problem, not a security one),
//! KSV020/KSV021 (uid/gid <= 10000: collisions with host ids, noisy), KSV037 (kube-system
//! namespace placement). Trivy does not read `kind: List` JSON (`list/list.json`), so every
//! finding there is ours alone.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const MAPPING: &[(&str, &[&str])] = &[
    ("DS001", &["KBD001"]),
    ("DS002", &["KBD002"]),
    ("DS004", &["KBD010"]),
    ("DS005", &["KBD003"]),
    ("DS010", &["KBD007"]),
    ("DS026", &["KBD009"]),
    ("DS029", &["KBD008"]),
    ("DS031", &["KBD006"]),
    ("KSV001", &["KBK005"]),
    ("KSV003", &["KBK007"]),
    ("KSV005", &["KBK006"]),
    ("KSV006", &["KBK011"]),
    ("KSV008", &["KBK003"]),
    ("KSV009", &["KBK004"]),
    ("KSV010", &["KBK002"]),
    ("KSV011", &["KBK012"]),
    ("KSV012", &["KBK008", "KBK009"]),
    ("KSV013", &["KBK017"]),
    ("KSV014", &["KBK010"]),
    ("KSV015", &["KBK014"]),
    ("KSV016", &["KBK015"]),
    ("KSV017", &["KBK001"]),
    ("KSV018", &["KBK013"]),
    ("KSV022", &["KBK006"]),
    ("KSV023", &["KBK011"]),
    ("KSV030", &["KBK018"]),
    ("KSV036", &["KBK016"]),
    ("KSV104", &["KBK018"]),
    ("KSV105", &["KBK009"]),
    ("KSV106", &["KBK006", "KBK007"]),
    ("KSV118", &["KBK005", "KBK008", "KBK010"]),
    ("KSV121", &["KBK011"]),
];

const OUT_OF_SCOPE: &[&str] = &["DS017", "KSV020", "KSV021", "KSV037"];

/// Trivy findings we deliberately do not reproduce: (Trivy id, file, why).
const DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "DS031",
        "hardened/Dockerfile",
        "DB_PASSWORD_FILE names a secret file (the Docker secrets convention), it holds no secret",
    ),
    (
        "KSV022",
        "hardened/deployment.yaml",
        "adding NET_BIND_SERVICE is allowed by the restricted Pod Security Standard",
    ),
    (
        "KSV104",
        "cronjob/cronjob.yaml",
        "the pod's seccomp.security.alpha.kubernetes.io/pod: runtime/default annotation sets a profile",
    ),
    ("KSV001", MERGE_KEYS, TRIVY_IGNORES_MERGE_KEYS),
    ("KSV003", MERGE_KEYS, TRIVY_IGNORES_MERGE_KEYS),
    ("KSV011", MERGE_KEYS, TRIVY_IGNORES_MERGE_KEYS),
    ("KSV014", MERGE_KEYS, TRIVY_IGNORES_MERGE_KEYS),
    ("KSV015", MERGE_KEYS, TRIVY_IGNORES_MERGE_KEYS),
    ("KSV016", MERGE_KEYS, TRIVY_IGNORES_MERGE_KEYS),
    ("KSV018", MERGE_KEYS, TRIVY_IGNORES_MERGE_KEYS),
    ("KSV106", MERGE_KEYS, TRIVY_IGNORES_MERGE_KEYS),
];

const MERGE_KEYS: &str = "merge-keys/deployment.yaml";
const TRIVY_IGNORES_MERGE_KEYS: &str = "Trivy reads `<<: *base` as a plain key; Kubernetes applies it, \
     so the containers inherit allowPrivilegeEscalation, capabilities, readOnlyRootFilesystem \
     and resources from the anchors";

#[test]
fn trivy_findings_in_scope_are_ours_too() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let output = match Command::new("trivy-peer")
        .args([
            "config",
            "--skip-check-update",
            "--quiet",
            "--format",
            "json",
        ])
        .arg(&fixtures)
        .output()
    {
        Ok(output) if output.status.success() => output,
        Ok(output) => panic!(
            "trivy-peer failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(e) => {
            eprintln!("skipping: trivy-peer is not available ({e})");
            return;
        }
    };
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("trivy-peer JSON report");

    let mut ours: BTreeSet<(String, String)> = BTreeSet::new();
    for entry in walkdir::WalkDir::new(&fixtures) {
        let entry = entry.expect("walk fixtures");
        let relative = entry
            .path()
            .strip_prefix(&fixtures)
            .expect("under fixtures");
        let content = match std::fs::read(entry.path()) {
            Ok(content) if entry.file_type().is_file() => content,
            _ => continue,
        };
        let shown = relative.to_string_lossy().into_owned();
        if let Some(result) = kabuto_misconfig::scan_file(relative, &content) {
            for finding in result.unwrap_or_else(|e| panic!("{e}")) {
                ours.insert((shown.clone(), finding.check_id.to_string()));
            }
        }
    }

    let (mut matched, mut differences, mut out_of_scope) = (0, 0, 0);
    let mut failures = Vec::new();
    for result in report["Results"].as_array().into_iter().flatten() {
        let target = result["Target"].as_str().unwrap_or_default();
        for misconfig in result["Misconfigurations"].as_array().into_iter().flatten() {
            let id = misconfig["ID"].as_str().unwrap_or_default();
            if OUT_OF_SCOPE.contains(&id) {
                out_of_scope += 1;
            } else if DIFFERENCES
                .iter()
                .any(|(d, file, _)| *d == id && *file == target)
            {
                differences += 1;
            } else if let Some((_, kabuto)) = MAPPING.iter().find(|(t, _)| *t == id) {
                if kabuto
                    .iter()
                    .any(|k| ours.contains(&(target.to_owned(), (*k).to_owned())))
                {
                    matched += 1;
                } else {
                    failures.push(format!("{target}: Trivy {id} has no {kabuto:?} finding"));
                }
            } else {
                failures.push(format!(
                    "{target}: Trivy {id} is neither mapped, out of scope nor a documented difference"
                ));
            }
        }
    }
    eprintln!(
        "trivy-peer conformance: {matched} matched, {differences} documented differences, {out_of_scope} out of scope, {} failures",
        failures.len()
    );
    assert!(matched > 0, "no Trivy findings were compared");
    assert!(failures.is_empty(), "{failures:#?}");
}
