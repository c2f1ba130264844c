//! NVD, EPSS and KEV on findings: a real changelog-derived Debian record (no CVSS of its own)
//! and the real NVD record of its CVE, with EPSS and KEV files in their published formats.
#![allow(clippy::unwrap_used)] // a panic is a test failure

mod common;

use std::path::Path;

use kabuto_match::match_inventory;
use kabuto_types::{Ecosystem, OsFamily, OsInfo, Package, Severity, SourcePackage};
use kabuto_vulndb::{Database, build};

const CVE: &str = "CVE-2019-5481";

#[test]
fn a_debian_finding_gets_nvd_severity_epss_and_kev() {
    let record = Path::new(common::DEBIAN12_CORPUS).join(format!("osv/DEBCL-{CVE}.json"));
    let nvd = Path::new(common::CORPUS).join(format!("nvd-sample/{CVE}.json"));
    if !record.exists() || !nvd.exists() {
        eprintln!("SKIP: {} is absent", common::CORPUS);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    std::fs::create_dir_all(&feeds).unwrap();
    std::fs::copy(&record, feeds.join("record.json")).unwrap();
    let without_context = dir.path().join("plain.kdb");
    build::build(std::slice::from_ref(&feeds), &without_context).unwrap();

    std::fs::copy(&nvd, feeds.join("nvd.json")).unwrap();
    std::fs::write(
        feeds.join("epss_scores-2026-12-06.csv"),
        format!(
            "#model_version:v2025.03.14,score_date:2026-12-06T00:00:00+0000\n\
             cve,epss,percentile\n{CVE},0.04503,0.88755\nCVE-2000-0001,0.1,0.5\n"
        ),
    )
    .unwrap();
    std::fs::write(
        feeds.join("known_exploited_vulnerabilities.json"),
        format!(
            r#"{{"title": "CISA Catalog of Known Exploited Vulnerabilities",
            "catalogVersion": "2026.12.05", "dateReleased": "2026-12-05T16:00:00.000Z", "count": 1,
            "vulnerabilities": [{{"cveID": "{CVE}", "vendorProject": "Haxx", "product": "curl",
            "vulnerabilityName": "curl NTLMv2 heap buffer overflow", "dateAdded": "2026-01-12",
            "shortDescription": "", "requiredAction": "Apply mitigations.", "dueDate": "2026-02-02",
            "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": ["CWE-787"]}}]}}"#
        ),
    )
    .unwrap();
    let enriched = dir.path().join("enriched.kdb");
    let report = build::build(&[feeds], &enriched).unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(
        (
            report.nvd_records,
            report.epss_scores,
            report.kev_entries,
            report.enriched
        ),
        (1, 2, 1, 1)
    );

    let curl = {
        let mut p = Package::new(Ecosystem::Deb, "libcurl4", "7.64.0-4", "test", "test");
        p.source = Some(SourcePackage {
            name: "curl".into(),
            version: "7.64.0-4".into(),
        });
        p
    };
    let os = Some(OsInfo {
        family: OsFamily::Debian,
        version: "12".into(),
        pretty_name: None,
        codename: None,
    });
    let inventory = common::inventory(os, vec![curl]);

    let plain = match_inventory(&Database::open(&without_context).unwrap(), &inventory);
    assert_eq!(plain.len(), 1);
    assert_eq!(
        plain[0].severity,
        Severity::Unknown,
        "the Debian record has no CVSS"
    );

    let findings = match_inventory(&Database::open(&enriched).unwrap(), &inventory);
    assert_eq!(findings.len(), 1);
    let finding = &findings[0];
    assert_eq!(finding.id.as_str(), CVE);
    assert_eq!(
        finding.severity,
        Severity::Critical,
        "NVD's CVSS 3.1 score 9.8"
    );
    assert_eq!(
        finding.severity_source.as_deref(),
        Some("CVSS:3.1 base score 9.8 (NVD CVE-2019-5481)")
    );
    assert_eq!(
        finding.vendor_severity.get("nvd"),
        Some(&Severity::Critical)
    );
    let epss = finding.epss.unwrap();
    assert_eq!((epss.score, epss.percentile), (0.04503, 0.88755));
    let kev = finding.kev.as_ref().unwrap();
    assert_eq!(kev.date_added, "2026-01-12");
    assert!(!kev.ransomware);
    assert_eq!(
        finding
            .cvss
            .iter()
            .map(|c| c.version.as_str())
            .collect::<Vec<_>>(),
        ["3.1", "2.0"]
    );
}
