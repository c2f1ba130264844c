//! The NVD reader on real NVD API 2.0 records (`../shared/vulndata/nvd-sample`).

use std::path::Path;

use kabuto_fetch::readers::{CvssVersion, NvdRecord};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../../shared/vulndata/nvd-sample"
);

fn record(id: &str) -> NvdRecord {
    let text =
        std::fs::read_to_string(Path::new(SAMPLE).join(format!("{id}.json"))).expect("sample");
    NvdRecord::from_json(&text).unwrap_or_else(|e| panic!("{id}: {e}"))
}

/// (version, score, severity, source) of the preferred score.
fn preferred(id: &str) -> Option<(CvssVersion, f64, String, String)> {
    let r = record(id);
    r.preferred().map(|s| {
        (
            s.version,
            s.score,
            s.severity.clone().unwrap_or_default(),
            s.source.clone(),
        )
    })
}

#[test]
fn every_sample_record_reads() {
    let mut read = 0;
    for entry in std::fs::read_dir(SAMPLE).expect("sample dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).expect("read");
            NvdRecord::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            read += 1;
        }
    }
    assert_eq!(read, 44);
}

#[test]
fn the_newest_cvss_version_wins_and_nvd_before_a_cna() {
    let nvd = "nvd@nist.gov".to_owned();
    // v2 only.
    assert_eq!(
        preferred("CVE-1999-0001"),
        Some((CvssVersion::V2, 5.0, "MEDIUM".into(), nvd.clone()))
    );
    // v2 and v3.1: v3.1.
    assert_eq!(
        preferred("CVE-2010-3333"),
        Some((CvssVersion::V31, 7.8, "HIGH".into(), nvd.clone()))
    );
    // v2 and v3.0.
    assert_eq!(
        preferred("CVE-2018-1000001"),
        Some((CvssVersion::V30, 7.8, "HIGH".into(), nvd.clone()))
    );
    // Two v3.1 scores: NVD's Primary 7.5 over GitHub's Secondary 6.8.
    assert_eq!(
        preferred("CVE-2022-23491"),
        Some((CvssVersion::V31, 7.5, "HIGH".into(), nvd))
    );
    // v3.1 and v4.0, both from a CNA: v4.0.
    assert_eq!(
        preferred("CVE-2025-15661"),
        Some((
            CvssVersion::V40,
            8.3,
            "HIGH".into(),
            "disclosure@vulncheck.com".into()
        ))
    );
    // Empty metrics.
    assert_eq!(preferred("CVE-2018-25091"), None);
    let rejected = record("CVE-2026-57864");
    assert!(rejected.is_rejected() && rejected.cvss.is_empty());
}
