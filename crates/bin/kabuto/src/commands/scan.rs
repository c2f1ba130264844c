//! `kabuto scan image|rootfs|fs`: inventory, vulnerabilities, filters, report, exit code.

use std::process::ExitCode;

use anyhow::{Context, Result};
use kabuto_inventory::{FileFinding, FileScanner, ScanOptions, ScanOutput};
use kabuto_match::suppress::{IgnoreFile, VexDocument};
use kabuto_report::Report;
use kabuto_types::{
    ArtifactKind, FixStatus, Inventory, MalwareFinding, MisconfigFinding, SecretFinding,
    WarningCode,
};
use kabuto_vulndb::Database;

use super::eprint_safe;
use super::inventory::{print_warnings, write_report};
use crate::cli::{DirScanArgs, ImageScanArgs, ScanArgs};
use crate::paths;
use crate::policy::{self, Gate};
use crate::progress::Bar;
use crate::scanners::{self, Malware, Misconfigs, Secrets, Selected};
use crate::target;

/// The scanners of one run, built before any bytes are read so bad rules fail fast.
struct Scanners {
    selected: Selected,
    secrets: Option<Secrets>,
    malware: Option<Malware>,
}

impl Scanners {
    /// The scanners asked for, plus those the policies need to judge the image.
    fn load(args: &ScanArgs, gate: Option<&Gate>) -> Result<Self> {
        let mut selected = Selected::from_names(&args.scanners);
        if let Some(needs) = gate.map(Gate::needs) {
            selected.vuln |= needs.vulnerabilities;
            selected.secret |= needs.secrets;
            selected.misconfig |= needs.misconfigurations;
            selected.malware |= needs.malware;
        }
        let secrets = if selected.secret {
            Some(Secrets::load(args.secret_config.as_deref())?)
        } else {
            None
        };
        let malware = if selected.malware {
            Some(Malware::load(&args.malware_rules, &args.malware_hashes)?)
        } else {
            None
        };
        Ok(Scanners {
            selected,
            secrets,
            malware,
        })
    }

    fn file_scanners(&self) -> Vec<&dyn FileScanner> {
        let mut list: Vec<&dyn FileScanner> = Vec::new();
        if let Some(secrets) = &self.secrets {
            list.push(secrets);
        }
        if self.selected.misconfig {
            list.push(&Misconfigs);
        }
        if let Some(malware) = &self.malware {
            list.push(malware);
        }
        list
    }
}

pub fn image(args: &ImageScanArgs, quiet: bool) -> Result<ExitCode> {
    // Policies, rules, suppressions and the DB first: bad input fails before a long pull.
    let prepared = Prepared::load(&args.scan, quiet)?;
    let image = target::resolve_image(&args.target, &args.registry)?;
    let bar = Bar::new("reading layers", quiet);
    let options = ScanOptions::for_kind(ArtifactKind::ContainerImage);
    let output = kabuto_inventory::scan_image_with(
        image.as_ref(),
        &options,
        &prepared.scanners.file_scanners(),
        &bar,
    )?;
    drop(bar);
    finish(&args.scan, &prepared, output, quiet)
}
pub fn directory(args: &DirScanArgs, kind: ArtifactKind, quiet: bool) -> Result<ExitCode> {
    let prepared = Prepared::load(&args.scan, quiet)?;
    let bar = Bar::new("reading files", quiet);
    let options = ScanOptions::for_kind(kind);
    let output = kabuto_inventory::scan_directory_with(
        &args.path,
        kind,
        &options,
        &prepared.scanners.file_scanners(),
        &bar,
    )?;
    drop(bar);
    finish(&args.scan, &prepared, output, quiet)
}

/// Everything loaded from the user's files before scanning.
struct Prepared {
    gate: Option<Gate>,
    scanners: Scanners,
    db: Option<Database>,
    ignores: Vec<IgnoreFile>,
    vex: Vec<VexDocument>,
}

impl Prepared {
    fn load(args: &ScanArgs, quiet: bool) -> Result<Self> {
        let gate = Gate::load(&args.policy, args.acknowledgements.as_ref())?;
        let scanners = Scanners::load(args, gate.as_ref())?;
        let db = open_db(scanners.selected.vuln, args, quiet)?;
        let ignore_path = args.ignorefile.clone().or_else(|| {
            let found = [".kabutoignore", ".kabutoignore.yaml"]
                .into_iter()
                .map(std::path::PathBuf::from)
                .find(|p| p.is_file())?;
            // A file in the current directory changes the result unasked: say which one.
            if !quiet {
                eprint_safe(
                    "note",
                    format_args!(
                        "ignoring findings listed in {} (found in the current directory; \
                         --ignorefile picks another)",
                        found.display()
                    ),
                );
            }
            Some(found)
        });
        let ignores = ignore_path
            .map(|p| IgnoreFile::load(&p))
            .transpose()?
            .into_iter()
            .collect();
        let vex = args
            .vex
            .iter()
            .map(|p| VexDocument::load(p))
            .collect::<Result<_, _>>()?;
        Ok(Prepared {
            gate,
            scanners,
            db,
            ignores,
            vex,
        })
    }
}

/// The database, when the vulnerability scanner is on.
fn open_db(wanted: bool, args: &ScanArgs, quiet: bool) -> Result<Option<Database>> {
    if !wanted {
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
    let max_age = kabuto_vulndb::age::days(args.db_max_age);
    if !quiet
        && let Some(warning) =
            kabuto_vulndb::age_warning(db.info(), max_age, time::OffsetDateTime::now_utc())
    {
        eprint_safe(
            "warning",
            format_args!(
                "the vulnerability database {} {warning}: \
                 update it with `kabuto db update` or `kabuto db build`",
                path.display()
            ),
        );
    }
    Ok(Some(db))
}

fn finish(
    args: &ScanArgs,
    prepared: &Prepared,
    output: ScanOutput,
    quiet: bool,
) -> Result<ExitCode> {
    let scanners = &prepared.scanners;
    let db = prepared.db.as_ref();
    let ScanOutput {
        inventory,
        findings: file_findings,
        special_files,
    } = output;
    print_warnings(&inventory, quiet);
    if !args.allow_incomplete {
        refuse_incomplete(&inventory)?;
    }
    let vulnerabilities = match db {
        Some(db) => {
            let outcome = kabuto_match::match_inventory_detailed(db, &inventory);
            if !quiet {
                for w in &outcome.warnings {
                    eprint_safe("warning", format_args!("{}: {}", w.package, w.message));
                }
            }
            outcome.findings
        }
        None => Vec::new(),
    };
    let today = time::OffsetDateTime::now_utc().date();
    let suppression =
        kabuto_match::suppress::suppress(vulnerabilities, &prepared.ignores, &prepared.vex, today);
    let mut vulnerabilities = suppression.kept;
    if !quiet {
        for expired in &suppression.expired {
            eprint_safe("warning", expired);
        }
    }
    if args.show_suppressed {
        for s in &suppression.suppressed {
            eprint_safe(
                "suppressed",
                format_args!(
                    "{} in {}@{}: {}",
                    s.finding.id, s.finding.package_name, s.finding.installed_version, s.reason
                ),
            );
        }
    }
    let mut secrets: Vec<SecretFinding> = Vec::new();
    let mut misconfigs: Vec<MisconfigFinding> = Vec::new();
    let mut malware: Vec<MalwareFinding> = Vec::new();
    for finding in file_findings {
        match finding {
            FileFinding::Secret(s) => secrets.push(s),
            FileFinding::Misconfig(m) => misconfigs.push(m),
            FileFinding::Malware(m) => malware.push(m),
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
    malware.retain(|f| keep(&f.severity));
    if args.ignore_unfixed {
        vulnerabilities.retain(|f| f.status == FixStatus::Fixed);
    }

    let verdict = prepared.gate.as_ref().map(|gate| {
        gate.evaluate(
            &inventory,
            &vulnerabilities,
            scanners.selected.secret.then_some(secrets.as_slice()),
            scanners.selected.misconfig.then_some(misconfigs.as_slice()),
            scanners.selected.malware.then_some(malware.as_slice()),
            &special_files,
        )
    });
    let policies = verdict.as_ref().map(policy::summaries).unwrap_or_default();

    let selected = scanners.selected;
    let mut report = Report::new(&inventory)
        .list_packages(
            args.list_packages
                || !(selected.vuln || selected.secret || selected.misconfig || selected.malware),
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
    if selected.malware {
        report = report.with_malware(&malware);
    }
    report = report.with_policies(&policies);
    write_report(args.format, &report, &args.output)?;
    if let Some(verdict) = &verdict
        && verdict.exit_code() == kabuto_policy::EXIT_POLICY_FAILED
    {
        return Ok(ExitCode::from(4));
    }
    let found = vulnerabilities.len() + secrets.len() + misconfigs.len() + malware.len();
    if args.exit_code != 0 && found > 0 {
        return Ok(ExitCode::from(args.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}

/// A scan missing part of a package database must not pass a gate silently: it fails,
/// naming the files, unless the user accepts partial results (`--allow-incomplete`).
fn refuse_incomplete(inventory: &Inventory) -> Result<()> {
    let files: Vec<&str> = inventory
        .incomplete_databases()
        .map(|w| w.location.as_str())
        .collect();
    if files.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "incomplete package database ({}): {}; packages it lists may be missing from this scan. \
         Pass --allow-incomplete to report what was read",
        WarningCode::IncompletePackageDatabase,
        files.join(", ")
    )
}
