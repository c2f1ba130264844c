//! The engine end to end on inputs built here: a root filesystem with two Python packages,
//! databases built from kabuto-vulndb's committed advisory records.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::path::{Path, PathBuf};

use kabuto_policy::Acknowledgements;
use kabuto_scan::{
    Cancel, Engine, EngineError, ExitDecision, NoProgress, Progress, Rules, ScanPlan, Scanners,
    Target,
};
use kabuto_vulndb::Database;

const PACKAGES: [(&str, &str); 2] = [("requests", "2.19.1"), ("urllib3", "1.24.1")];

/// `usr/lib/python3/dist-packages` with requests 2.19.1 and urllib3 1.24.1 installed.
fn rootfs(dir: &Path) {
    for (name, version) in PACKAGES {
        let info = dir.join(format!(
            "usr/lib/python3/dist-packages/{name}-{version}.dist-info"
        ));
        std::fs::create_dir_all(&info).unwrap();
        std::fs::write(
            info.join("METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
        )
        .unwrap();
    }
}

fn feed(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vulndb/tests/fixtures/feeds/pypa")
        .join(name)
}

/// A database built from these pypa records.
fn database(dir: &Path, records: &[&str]) -> Database {
    let feeds = dir.join("feeds");
    std::fs::create_dir_all(&feeds).unwrap();
    for record in records {
        std::fs::copy(feed(record), feeds.join(record)).unwrap();
    }
    let db = dir.join("kabuto.db");
    kabuto_vulndb::build::build(&[feeds], &db).unwrap();
    Database::open(&db).unwrap()
}

fn vuln_plan() -> ScanPlan {
    ScanPlan {
        scanners: Scanners::from_names(&["vuln"]),
        ..ScanPlan::default()
    }
}

fn engine(db: Database) -> Engine {
    Engine::new(Some(db), &Rules::default(), vuln_plan().scanners).unwrap()
}

fn ids(findings: &[kabuto_types::Finding]) -> Vec<String> {
    findings.iter().map(|f| f.id.to_string()).collect()
}

#[test]
fn acknowledgements_mark_findings_without_policies() {
    let dir = tempfile::tempdir().unwrap();
    rootfs(&dir.path().join("root"));
    let engine = engine(database(dir.path(), &["PYSEC-2018-28.yaml"]));
    let plan = ScanPlan {
        acknowledgements: Acknowledgements::parse(
            "acknowledgements:\n  - {id: CVE-2018-18074, by: alice, reason: behind a proxy, expires: 2999-12-31}\n",
            "acks.yaml",
        )
        .unwrap(),
        findings_exit_code: 3,
        ..vuln_plan()
    };
    let target = Target::Rootfs(dir.path().join("root"));
    let result = engine
        .scan(&target, &plan, &NoProgress, &Cancel::new())
        .unwrap();
    let findings = result.vulnerabilities.as_deref().unwrap();
    assert_eq!(ids(findings), ["CVE-2018-18074"]);
    assert!(result.verdict.is_none());
    let marks = &result.acknowledgements;
    assert_eq!(marks.len(), 1, "{marks:?}");
    assert_eq!(
        marks[0].package_purl.as_ref(),
        Some(&findings[0].package_purl)
    );
    assert!(
        marks[0].reason.as_deref().unwrap().contains("alice"),
        "{marks:?}"
    );
    // Acknowledged findings still count for the findings gate, as they are still reported.
    assert_eq!(result.exit, ExitDecision::FindingsOverGate(3));
}

/// Cancels the scan as soon as the walk announces its work.
struct CancelOnStart(Cancel);

impl Progress for CancelOnStart {
    fn start(&self, _total: u64) {
        self.0.cancel();
    }
    fn advance(&self, _done: u64) {}
}

#[test]
fn a_cancelled_scan_returns_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    rootfs(dir.path());
    let engine = Engine::new(None, &Rules::default(), Scanners::default()).unwrap();
    let target = Target::Rootfs(dir.path().to_owned());
    let plan = ScanPlan::default();

    let cancel = Cancel::new();
    cancel.cancel();
    let before = engine.scan(&target, &plan, &NoProgress, &cancel);
    assert!(matches!(before, Err(EngineError::Cancelled)), "{before:?}");

    let cancel = Cancel::new();
    let during = engine.scan(&target, &plan, &CancelOnStart(cancel.clone()), &cancel);
    assert!(matches!(during, Err(EngineError::Cancelled)), "{during:?}");

    // The same engine and plan scan normally with a fresh flag.
    let after = engine
        .scan(&target, &plan, &NoProgress, &Cancel::new())
        .unwrap();
    assert_eq!(after.inventory.packages.len(), PACKAGES.len());
}

#[test]
fn a_plan_needing_what_the_engine_lacks_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::new(None, &Rules::default(), Scanners::default()).unwrap();
    let result = engine.scan(
        &Target::Rootfs(dir.path().to_owned()),
        &vuln_plan(),
        &NoProgress,
        &Cancel::new(),
    );
    assert!(
        matches!(result, Err(EngineError::NotLoaded(_))),
        "{result:?}"
    );
}

/// The server's daily path: a stored JSON report judged again with a newer database gains
/// the new advisory's finding, with the image gone (nothing but the report is read).
#[test]
fn a_newer_database_adds_a_finding_to_a_stored_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    rootfs(&root);
    let old_db = dir.path().join("old");
    let engine_then = engine(database(&old_db, &["PYSEC-2018-28.yaml"]));
    let scanned = engine_then
        .scan(
            &Target::Rootfs(root.clone()),
            &vuln_plan(),
            &NoProgress,
            &Cancel::new(),
        )
        .unwrap();
    assert_eq!(
        ids(scanned.vulnerabilities.as_deref().unwrap()),
        ["CVE-2018-18074"]
    );
    let mut report = Vec::new();
    kabuto_report::render_report(
        kabuto_report::Format::Json,
        &scanned.report(),
        &kabuto_report::RenderOptions::default(),
        &mut report,
    )
    .unwrap();
    std::fs::remove_dir_all(&root).unwrap();

    let new_db = dir.path().join("new");
    let engine_now = engine(database(
        &new_db,
        &["PYSEC-2018-28.yaml", "PYSEC-2019-133.yaml"],
    ));
    let stored = kabuto_scan::StoredScan::from_json(&report, "stored.json").unwrap();
    let judged = engine_now.reevaluate(stored, &vuln_plan()).unwrap();
    let mut found = ids(judged.vulnerabilities.as_deref().unwrap());
    found.sort();
    assert_eq!(found, ["CVE-2018-18074", "CVE-2019-11324"]);
    assert_eq!(judged.inventory.packages, scanned.inventory.packages);
}

/// The wire verdict a gate receives: a failed `fail_cicd` policy disallows the image with
/// exit 4, and the failed control is a blocking assurance check.
#[test]
fn a_failed_enforcing_policy_gives_a_disallowing_gate_verdict() {
    let dir = tempfile::tempdir().unwrap();
    rootfs(&dir.path().join("root"));
    let policy = dir.path().join("policy.yaml");
    std::fs::write(
        &policy,
        "name: no-requests-bug\ncves_black_list_enabled: true\ncves_black_list: [CVE-2018-18074]\nfail_cicd: true\n",
    )
    .unwrap();
    let engine = engine(database(dir.path(), &["PYSEC-2018-28.yaml"]));
    let plan = vuln_plan().with_policy_files(&[policy]).unwrap();
    let result = engine
        .scan(
            &Target::Rootfs(dir.path().join("root")),
            &plan,
            &NoProgress,
            &Cancel::new(),
        )
        .unwrap();
    let verdict = result.gate_verdict();
    assert!(verdict.disallowed);
    assert_eq!(verdict.exit_code, 4);
    let counts = verdict.vulnerability_counts;
    let total = counts.critical
        + counts.high
        + counts.medium
        + counts.low
        + counts.negligible
        + counts.unknown;
    assert_eq!(total, 1, "{counts:?}");
    let blocking: Vec<_> = verdict
        .assurance_checks_performed
        .iter()
        .filter(|c| c.blocking)
        .map(|c| (c.policy_name.as_str(), c.control.as_str()))
        .collect();
    assert_eq!(blocking.len(), 1, "{verdict:?}");
    assert_eq!(blocking[0].0, "no-requests-bug");
}
