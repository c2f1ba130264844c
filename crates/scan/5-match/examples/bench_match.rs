//! Times matching 10,000 packages against a database and prints the figure beside the target:
//! `cargo run --release -p kabuto-match --example bench_match -- DB [realistic|stress]`
//! (build DB with `cargo run --release -p kabuto-vulndb --example build_db -- DB /work/shared/vulndata`).
//!
//! Two inventories:
//! - `realistic`: a Debian 12 image, the real dpkg status of the changelog-derived corpus plus
//!   language packages in the proportions of an application image (npm-heavy, most names
//!   without advisories, the same library at several paths). The target applies to this one.
//! - `stress`: a quarter of the packages are eight old, heavily advised libraries, so it
//!   yields about 45,000 findings; it measures the cost per finding.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use kabuto_types::Inventory;

const TARGET_MS: f64 = 50.0;
const PACKAGES: usize = 10_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(
        args.next()
            .ok_or("usage: bench_match DB [realistic|stress]")?,
    );
    let only = args.next();
    let run = |label: &str| only.as_deref().is_none_or(|o| o == label);
    let t = Instant::now();
    let db = kabuto_vulndb::Database::open(&path)?;
    println!("open: {:.2} ms", t.elapsed().as_secs_f64() * 1000.0);

    let status = Path::new(common::DEBIAN12_CORPUS).join("fixture-dpkg-status");
    let status = std::fs::read_to_string(&status).map_err(|e| {
        format!(
            "{}: {e} (the realistic inventory needs it)",
            status.display()
        )
    })?;
    let realistic = common::realistic_inventory(common::dpkg_status_packages(&status), PACKAGES);
    if run("realistic") {
        time("realistic", &db, &realistic);
    }
    if run("stress") {
        time("stress", &db, &common::stress_inventory(PACKAGES));
    }
    Ok(())
}

fn time(label: &str, db: &kabuto_vulndb::Database, inventory: &Inventory) {
    let mut best = f64::MAX;
    let mut findings = 0;
    for _ in 0..5 {
        let t = Instant::now();
        findings = kabuto_match::match_inventory(db, inventory).len();
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
    }
    let verdict = if best < TARGET_MS { "ok" } else { "OVER" };
    println!(
        "{label}: match {} packages: {best:.1} ms (best of 5; target < {TARGET_MS} ms: {verdict}), {findings} findings",
        inventory.packages.len()
    );
}
