//! Builds a database from feed directories and prints what it took:
//! `cargo run --release -p kabuto-vulndb --example build_db -- OUT.kdb SOURCE...`

use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let out = args.next().ok_or("usage: build_db OUT SOURCE...")?;
    let sources: Vec<PathBuf> = args.collect();
    let report = kabuto_vulndb::build::build(&sources, &out)?;
    let mut by_message = std::collections::BTreeMap::<String, usize>::new();
    for w in &report.warnings {
        let key: String = w.message.chars().take(60).collect();
        *by_message.entry(key).or_default() += 1;
    }
    for (message, n) in by_message {
        println!("warning x{n}: {message}");
    }
    println!(
        "files {} ({} ignored), input {:.1} MiB, records {}, advisories {}, withdrawn {}, git ranges skipped {}, not applicable {}, notes {}, warnings {}",
        report.files_read,
        report.ignored_files,
        report.input_bytes as f64 / 1048576.0,
        report.records,
        report.advisories,
        report.withdrawn,
        report.git_ranges_skipped,
        report.not_applicable,
        report.notes,
        report.warnings.len()
    );
    println!(
        "build {} ms, database {:.1} MiB",
        report.elapsed_ms,
        report.output_bytes as f64 / 1048576.0
    );
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        let db = kabuto_vulndb::Database::open(&out)?;
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        drop(db);
    }
    println!("open (best of 5) {best:.2} ms");
    Ok(())
}
