//! Scans every file under a directory in parallel and prints findings and throughput.
//!
//! `cargo run --release -p kabuto-secrets --example scan_dir -- <dir> [secret.yaml]`
//! (thread count: `RAYON_NUM_THREADS`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use kabuto_secrets::{SecretConfig, SecretScanner, SkipReason};
use rayon::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: scan_dir <dir> [secret.yaml]")?;
    let config = match args.next() {
        Some(path) => SecretConfig::from_yaml_file(path.as_ref())?,
        None => SecretConfig::default(),
    };
    let scanner = SecretScanner::new(config)?;
    let started = Instant::now();
    let files: Vec<_> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .collect();
    let scanned_bytes = AtomicU64::new(0);
    let total_bytes = AtomicU64::new(0);
    let findings: Vec<_> = files
        .par_iter()
        .flat_map_iter(|entry| {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            total_bytes.fetch_add(size, Ordering::Relaxed);
            let rel = entry
                .path()
                .strip_prefix(&dir)
                .unwrap_or(entry.path())
                .to_string_lossy()
                .into_owned();
            match scanner.skip_reason(&rel, size) {
                Some(SkipReason::TooLarge { size, limit }) => {
                    eprintln!(
                        "warning: {rel}: {size} bytes exceeds the {limit}-byte limit, skipped"
                    );
                    return Vec::new();
                }
                Some(_) => return Vec::new(),
                None => {}
            }
            let Ok(content) = std::fs::read(entry.path()) else {
                return Vec::new();
            };
            scanned_bytes.fetch_add(content.len() as u64, Ordering::Relaxed);
            scanner.scan(&rel, &content)
        })
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    for f in &findings {
        println!(
            "{}:{}:{} {:?} {} {}",
            f.path, f.line, f.column, f.severity, f.rule_id, f.redacted_match
        );
    }
    let mb = total_bytes.load(Ordering::Relaxed) as f64 / 1e6;
    eprintln!(
        "files={} total_mb={mb:.1} scanned_mb={:.1} findings={} seconds={elapsed:.3} mb_per_s={:.1}",
        files.len(),
        scanned_bytes.load(Ordering::Relaxed) as f64 / 1e6,
        findings.len(),
        mb / elapsed
    );
    Ok(())
}
