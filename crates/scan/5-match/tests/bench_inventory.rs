//! Pins what the benchmark inventory yields on the whole corpus, so that making matching
//! faster cannot silently drop (or add) findings. The figures were recorded with the
//! straightforward matcher before any optimisation; change them only for a semantic fix,
//! and say which in the commit.
#![allow(clippy::unwrap_used)] // a panic is a test failure

mod common;

use std::path::Path;

use kabuto_match::match_inventory_detailed;
use kabuto_vulndb::{Database, build};
use sha2::{Digest, Sha256};

/// One line per finding: package path, purl, id, aliases, fixed versions, status, severity.
fn fingerprint(findings: &[kabuto_types::Finding]) -> (usize, String) {
    let mut lines: Vec<String> = findings
        .iter()
        .map(|f| {
            let aliases: Vec<&str> = f.aliases.iter().map(|a| a.as_str()).collect();
            format!(
                "{} {} {} [{}] [{}] {:?} {}",
                f.locations[0].path,
                f.package_purl,
                f.id,
                aliases.join(","),
                f.fixed_versions.join(","),
                f.status,
                f.severity
            )
        })
        .collect();
    lines.sort();
    let digest = Sha256::digest(lines.join("\n").as_bytes());
    (lines.len(), hex::encode(&digest[..8]))
}

#[test]
fn realistic_inventory_findings_are_pinned() {
    let corpus = Path::new(common::CORPUS);
    let status = Path::new(common::DEBIAN12_CORPUS).join("fixture-dpkg-status");
    if !corpus.exists() || !status.exists() {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.kdb");
    build::build(&[corpus.to_owned()], &out).unwrap();
    let db = Database::open(&out).unwrap();
    let status = std::fs::read_to_string(status).unwrap();
    let inv = common::realistic_inventory(common::dpkg_status_packages(&status), 10_000);
    assert_eq!(inv.packages.len(), 10_000);
    let outcome = match_inventory_detailed(&db, &inv);
    let (count, digest) = fingerprint(&outcome.findings);
    eprintln!(
        "{count} findings, fingerprint {digest}, {} warnings",
        outcome.warnings.len()
    );
    assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
    assert_eq!((count, digest.as_str()), (2127, "bdedd1e5a9156f46"));

    let stress = match_inventory_detailed(&db, &common::stress_inventory(10_000));
    let (count, digest) = fingerprint(&stress.findings);
    eprintln!("stress: {count} findings, fingerprint {digest}");
    assert_eq!((count, digest.as_str()), (45472, "81ac700627945f2a"));
}
