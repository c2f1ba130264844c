//! Re-evaluation speed (bench/reevaluate.sh): reads one stored inventory COUNT times, as a
//! server re-judging COUNT stored images after a database update would, matches each against
//! the database and judges it (with the policy file, when given). Prints the total time and
//! the time per inventory.
//!
//!     reevaluate STORED.json DB COUNT [POLICY.yaml]

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use kabuto_scan::{Engine, Rules, ScanPlan, Scanners, StoredScan};
use kabuto_vulndb::Database;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [stored, db, count, policy @ ..] = args.as_slice() else {
        return Err("usage: reevaluate STORED.json DB COUNT [POLICY.yaml]".into());
    };
    let count: usize = count.parse()?;
    let bytes = std::fs::read(stored)?;
    let plan = ScanPlan {
        scanners: Scanners::from_names(&["vuln"]),
        ..ScanPlan::default()
    }
    .with_policy_files(&policy.iter().map(PathBuf::from).collect::<Vec<_>>())?;
    let engine = Engine::new(
        Some(Database::open(db.as_ref())?),
        &Rules::default(),
        Scanners::from_names(&["vuln"]),
    )?;
    let started = Instant::now();
    let mut findings = 0;
    for _ in 0..count {
        let stored = StoredScan::from_json(&bytes, stored)?;
        let result = engine.reevaluate(stored, &plan)?;
        findings += result.vulnerabilities.as_ref().map_or(0, Vec::len);
    }
    let elapsed = started.elapsed();
    println!(
        "{count} inventories re-evaluated in {:.2} s ({:.2} ms each, {} findings each)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / count.max(1) as f64,
        findings / count.max(1)
    );
    Ok(())
}
