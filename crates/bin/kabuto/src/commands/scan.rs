//! `kabuto scan image|rootfs|fs`: inventory, vulnerabilities, filters, report, exit code.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use kabuto_inventory::{FileFinding, FileScanner, ScanOptions, ScanOutput};
use kabuto_report::Report;
use kabuto_types::{ArtifactKind, FixStatus, MisconfigFinding, SecretFinding};
use kabuto_vulndb::Database;

use super::inventory::{print_warnings, write_report};
use crate::cli::{DirScanArgs, ImageScanArgs, ScanArgs};
use crate::paths;
use crate::progress::Bar;
use crate::scanners::{self, Misconfigs, Secrets, Selected};
use crate::target;

/// The scanners of one run, built before any bytes are read so bad rules fail fast.
struct Scanners {
    selected: Selected,
    secrets: Option<Secrets>,
}

impl Scanners {
    fn load(args: &ScanArgs) -> Result<Self> {
        let selected = Selected::from_names(&args.scanners);
        let secrets = if selected.secret {
            Some(Secrets::load(args.secret_config.as_deref())?)
        } else {
            None
        };
        Ok(Scanners { selected, secrets })
    }

    fn file_scanners(&self) -> Vec<&dyn FileScanner> {
        let mut list: Vec<&dyn FileScanner> = Vec::new();
        if let Some(secrets) = &self.secrets {
            list.push(secrets);
        }
        if self.selected.misconfig {
            list.push(&Misconfigs);
        }
        list
    }
}

pub fn image(args: &ImageScanArgs, quiet: bool) -> Result<ExitCode> {
    // Open the database and rules first: a broken DB should fail before a long image pull.
    let db = open_db(&args.scan, quiet)?;
    let scanners = Scanners::load(&args.scan)?;
    let image = target::resolve_image(&args.target, &args.registry)?;
    let bar = Bar::new("reading layers", quiet);
    let options = ScanOptions::for_kind(ArtifactKind::ContainerImage);
    let output = kabuto_inventory::scan_image_with(
        image.as_ref(),
        &options,
        &scanners.file_scanners(),
        &bar,
    )?;
    drop(bar);
    finish(&args.scan, db.as_ref(), &scanners, output, quiet)
}

pub fn directory(args: &DirScanArgs, kind: ArtifactKind, quiet: bool) -> Result<ExitCode> {
    let db = open_db(&args.scan, quiet)?;
    let scanners = Scanners::load(&args.scan)?;
    let bar = Bar::new("reading files", quiet);
    let options = ScanOptions::for_kind(kind);
    let output = kabuto_inventory::scan_directory_with(
        &args.path,
        kind,
        &options,
        &scanners.file_scanners(),
        &bar,
    )?;
    drop(bar);
    finish(&args.scan, db.as_ref(), &scanners, output, quiet)
}

/// The database, when the vulnerability scanner is on.
fn open_db(args: &ScanArgs, quiet: bool) -> Result<Option<Database>> {
    if !Selected::from_names(&args.scanners).vuln {
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
    scanners: &Scanners,
    output: ScanOutput,
    quiet: bool,
) -> Result<ExitCode> {
    let ScanOutput {
        inventory,
        findings: file_findings,
        special_files,
    } = output;
    print_warnings(&inventory, quiet);
    let mut vulnerabilities = match db {
        Some(db) => {
            let outcome = kabuto_match::match_inventory_detailed(db, &inventory);
            if !quiet {
                for w in &outcome.warnings {
                    eprintln!("warning: {}: {}", w.package, w.message);
                }
            }
            outcome.findings
        }
        None => Vec::new(),
    };
    let mut secrets: Vec<SecretFinding> = Vec::new();
    let mut misconfigs: Vec<MisconfigFinding> = Vec::new();
    for finding in file_findings {
        match finding {
            FileFinding::Secret(s) => secrets.push(s),
            FileFinding::Misconfig(m) => misconfigs.push(m),
            FileFinding::Malware(_) => {}
        }
    }
    if let Some(image) = &inventory.image {
        if let Some(scanner) = &scanners.secrets {
            secrets.extend(scanner.scan_image_config(image));
        }
        if scanners.selected.misconfig {
            misconfigs.extend(scanners::image_config_checks(image, &special_files));
        }
    }

    let keep = |severity: &kabuto_types::Severity| {
        args.severity.is_empty() || args.severity.contains(severity)
    };
    vulnerabilities.retain(|f| keep(&f.severity));
    secrets.retain(|f| keep(&f.severity));
    misconfigs.retain(|f| keep(&f.severity));
    if args.ignore_unfixed {
        vulnerabilities.retain(|f| f.status == FixStatus::Fixed);
    }

    let selected = scanners.selected;
    let mut report = Report::new(&inventory)
        .list_packages(
            args.list_packages || !(selected.vuln || selected.secret || selected.misconfig),
        )
        .explain(args.explain);
    if selected.vuln {
        report = report.with_vulnerabilities(&vulnerabilities);
    }
    if selected.secret {
        report = report.with_secrets(&secrets);
    }
    if selected.misconfig {
        report = report.with_misconfigs(&misconfigs);
    }
    write_report(args.format, &report, &args.output)?;
    let found = vulnerabilities.len() + secrets.len() + misconfigs.len();
    if args.exit_code != 0 && found > 0 {
        return Ok(ExitCode::from(args.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}
