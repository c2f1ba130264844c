//! `kabuto scan image|rootfs|fs`: flags -> plan -> engine -> warnings -> report -> exit code.

use std::process::ExitCode;

use anyhow::Result;
use kabuto_scan::{Cancel, ExitDecision, ScanPlan, ScanResult, Scanners, StoredScan, Target};

use super::inventory::{print_warnings, write_report};
use super::plan::{engine, plan, registry_access};
use super::{eprint_safe, gate, print_suppressed};
use crate::cli::{DirScanArgs, ImageScanArgs, SbomScanArgs, ScanArgs};
use crate::progress::Bar;

pub fn image(args: &ImageScanArgs, quiet: bool) -> Result<ExitCode> {
    let plan = ScanPlan {
        registry: registry_access(&args.registry)?,
        ..plan(&args.scan, quiet)?
    };
    let target = Target::Image(args.target.clone());
    scan(
        &target,
        &args.scan,
        &plan,
        "reading layers",
        quiet,
        registry_reference(&args.target),
    )
}

pub fn rootfs(args: &DirScanArgs, quiet: bool) -> Result<ExitCode> {
    let target = Target::Rootfs(args.path.clone());
    scan(
        &target,
        &args.scan,
        &plan(&args.scan, quiet)?,
        "reading files",
        quiet,
        None,
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
        None,
    )
}

/// The target when it is a registry reference (it names the image at the server); an
/// archive or layout is named by its own tags instead.
fn registry_reference(target: &str) -> Option<&str> {
    const FILE_KINDS: [&str; 5] = [
        "docker-archive:",
        "oci-archive:",
        "oci-dir:",
        "rootfs:",
        "dir:",
    ];
    if FILE_KINDS.iter().any(|k| target.starts_with(k)) || std::path::Path::new(target).exists() {
        return None;
    }
    Some(target.strip_prefix("registry:").unwrap_or(target))
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
    finish(&args.scan, &result, quiet, None)
}

fn scan(
    target: &Target,
    args: &ScanArgs,
    plan: &ScanPlan,
    activity: &'static str,
    quiet: bool,
    reference: Option<&str>,
) -> Result<ExitCode> {
    // Policies, rules, suppressions and the DB first: bad input fails before a long pull.
    let engine = engine(args, plan.effective_scanners(), quiet)?;
    let bar = Bar::new(activity, quiet);
    let result = engine.scan(target, plan, &bar, &Cancel::new())?;
    drop(bar);
    finish(args, &result, quiet, reference)
}

/// Warnings and suppressed findings on stderr, the report, the exit code (the server's
/// verdict's when `--server` is given).
fn finish(
    args: &ScanArgs,
    result: &ScanResult,
    quiet: bool,
    reference: Option<&str>,
) -> Result<ExitCode> {
    print_warnings(&result.inventory, quiet);
    if !quiet {
        for warning in &result.warnings {
            eprint_safe("warning", warning);
        }
    }
    if args.show_suppressed {
        print_suppressed(result);
    }
    if let Some(error) = result.incomplete_error() {
        return Err(error.into());
    }
    let mut report = result
        .report()
        .explain(args.explain)
        .order(args.sort_by.into());
    if args.list_packages {
        report = report.list_packages(true);
    }
    write_report(args.format, &report, &args.output)?;
    let Some(answer) = gate::ask(&args.gate, result, reference)? else {
        return Ok(ExitCode::from(result.exit.code()));
    };
    gate::print(&answer, quiet);
    Ok(ExitCode::from(gate_code(
        answer.verdict.disallowed,
        result.exit,
    )))
}

/// With a server, its verdict replaces local policies; the local findings gate
/// (`--exit-code`) still applies.
fn gate_code(disallowed: bool, local: ExitDecision) -> u8 {
    match local {
        _ if disallowed => ExitDecision::PolicyFailed.code(),
        ExitDecision::FindingsOverGate(code) => code,
        _ => 0,
    }
}
