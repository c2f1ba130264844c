//! `kabuto scan image|rootfs|fs`: inventory, vulnerabilities, filters, report, exit code.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use kabuto_report::Report;
use kabuto_types::{ArtifactKind, FixStatus, Inventory};
use kabuto_vulndb::Database;

use super::inventory::{dir_inventory, image_inventory, print_warnings, write_report};
use crate::cli::{DirScanArgs, ImageScanArgs, ScanArgs};
use crate::paths;
use crate::target;

pub fn image(args: &ImageScanArgs, quiet: bool) -> Result<ExitCode> {
    // Open the database first: a broken DB should fail before a long image pull.
    let db = open_db(&args.scan, quiet)?;
    let image = target::resolve_image(&args.target, &args.registry)?;
    let inventory = image_inventory(image.as_ref(), quiet)?;
    finish(&args.scan, db.as_ref(), &inventory, quiet)
}

pub fn directory(args: &DirScanArgs, kind: ArtifactKind, quiet: bool) -> Result<ExitCode> {
    let db = open_db(&args.scan, quiet)?;
    let inventory = dir_inventory(&args.path, kind, quiet)?;
    finish(&args.scan, db.as_ref(), &inventory, quiet)
}

fn wants_vulnerabilities(args: &ScanArgs) -> bool {
    args.scanners.iter().any(|s| s == "vuln")
}

/// The database, when the vulnerability scanner is on.
fn open_db(args: &ScanArgs, quiet: bool) -> Result<Option<Database>> {
    if !wants_vulnerabilities(args) {
        return Ok(None);
    }
    let path = paths::database(&args.db.db)?;
    if !path.exists() {
        anyhow::bail!(
            "no vulnerability database at {}: build one with `kabuto db build --source FEED...`, \
             install one with `kabuto db import FILE`, or scan with `--scanners none`",
            path.display()
        );
    }
    let db = Database::open(&path)
        .with_context(|| format!("vulnerability database {}", path.display()))?;
    if !quiet
        && let Some(age) = super::db::age(db.info())
        && age > Duration::from_secs(args.db_max_age * 86_400)
    {
        eprintln!(
            "warning: the vulnerability database {} is {} days old (built {}); \
             update it with `kabuto db update` or `kabuto db build`",
            path.display(),
            age.as_secs() / 86_400,
            db.info().built_at
        );
    }
    Ok(Some(db))
}

fn finish(
    args: &ScanArgs,
    db: Option<&Database>,
    inventory: &Inventory,
    quiet: bool,
) -> Result<ExitCode> {
    print_warnings(inventory, quiet);
    let mut findings = match db {
        Some(db) => {
            let outcome = kabuto_match::match_inventory_detailed(db, inventory);
            if !quiet {
                for w in &outcome.warnings {
                    eprintln!("warning: {}: {}", w.package, w.message);
                }
            }
            outcome.findings
        }
        None => Vec::new(),
    };
    if !args.severity.is_empty() {
        findings.retain(|f| args.severity.contains(&f.severity));
    }
    if args.ignore_unfixed {
        findings.retain(|f| f.status == FixStatus::Fixed);
    }
    let mut report = Report::new(inventory)
        .list_packages(args.list_packages || db.is_none())
        .explain(args.explain);
    if db.is_some() {
        report = report.with_vulnerabilities(&findings);
    }
    write_report(args.format, &report, &args.output)?;
    if args.exit_code != 0 && !findings.is_empty() {
        return Ok(ExitCode::from(args.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}
