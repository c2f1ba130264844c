//! `kabuto scan image|rootfs|fs`: flags -> plan -> engine -> warnings -> report -> exit code.

use std::process::ExitCode;

use anyhow::Result;
use kabuto_scan::{Cancel, ScanPlan, ScanResult, Scanners, StoredScan, Target};

use super::eprint_safe;
use super::inventory::{print_warnings, write_report};
use super::plan::{engine, plan, registry_access};
use crate::cli::{DirScanArgs, ImageScanArgs, SbomScanArgs, ScanArgs};
use crate::progress::Bar;

pub fn image(args: &ImageScanArgs, quiet: bool) -> Result<ExitCode> {
    let plan = ScanPlan {
        registry: registry_access(&args.registry)?,
        ..plan(&args.scan, quiet)?
    };
    let target = Target::Image(args.target.clone());
    scan(&target, &args.scan, &plan, "reading layers", quiet)
}

pub fn rootfs(args: &DirScanArgs, quiet: bool) -> Result<ExitCode> {
    let target = Target::Rootfs(args.path.clone());
    scan(
        &target,
        &args.scan,
        &plan(&args.scan, quiet)?,
        "reading files",
        quiet,
    )
}

pub fn project(args: &DirScanArgs, quiet: bool) -> Result<ExitCode> {
    let target = Target::Project(args.path.clone());
    scan(
        &target,
        &args.scan,
        &plan(&args.scan, quiet)?,
        "reading files",
        quiet,
    )
}

/// `kabuto scan sbom FILE`: the stored inventory judged as a fresh scan would be.
pub fn sbom(args: &SbomScanArgs, quiet: bool) -> Result<ExitCode> {
    let plan = plan(&args.scan, quiet)?;
    let stored = StoredScan::load(&args.path)?;
    // Only the database: nothing is rescanned, so no content-scanner rules are compiled.
    let scanners = Scanners {
        vuln: plan.effective_scanners().vuln,
        ..Scanners::default()
    };
    let engine = engine(&args.scan, scanners, quiet)?;
    let result = engine.reevaluate(stored, &plan)?;
    finish(&args.scan, &result, quiet)
}

fn scan(
    target: &Target,
    args: &ScanArgs,
    plan: &ScanPlan,
    activity: &'static str,
    quiet: bool,
) -> Result<ExitCode> {
    // Policies, rules, suppressions and the DB first: bad input fails before a long pull.
    let engine = engine(args, plan.effective_scanners(), quiet)?;
    let bar = Bar::new(activity, quiet);
    let result = engine.scan(target, plan, &bar, &Cancel::new())?;
    drop(bar);
    finish(args, &result, quiet)
}

/// Warnings and suppressed findings on stderr, the report, the exit code.
fn finish(args: &ScanArgs, result: &ScanResult, quiet: bool) -> Result<ExitCode> {
    print_warnings(&result.inventory, quiet);
    if !quiet {
        for warning in &result.warnings {
            eprint_safe("warning", warning);
        }
    }
    if args.show_suppressed {
        for s in &result.suppressed {
            eprint_safe(
                "suppressed",
                format_args!(
                    "{} in {}@{}: {}",
                    s.finding.id, s.finding.package_name, s.finding.installed_version, s.reason
                ),
            );
        }
    }
    if let Some(error) = result.incomplete_error() {
        return Err(error.into());
    }
    let mut report = result.report().explain(args.explain);
    if args.list_packages {
        report = report.list_packages(true);
    }
    write_report(args.format, &report, &args.output)?;
    Ok(ExitCode::from(result.exit.code()))
}
