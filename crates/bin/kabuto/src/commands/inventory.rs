//! `kabuto sbom`, and writing reports and warnings for every command that scans.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use kabuto_report::{Format, RenderOptions, Report};
use kabuto_scan::{Cancel, Engine, Rules, ScanPlan, Scanners, Target};
use kabuto_types::Inventory;

use super::eprint_safe;
use super::plan::registry_access;
use crate::cli::{OutputArgs, SbomArgs, SbomFormat};
use crate::progress::Bar;

pub fn sbom(args: &SbomArgs, quiet: bool) -> Result<ExitCode> {
    let plan = ScanPlan {
        registry: registry_access(&args.registry)?,
        // An SBOM lists what was read; the warning says what is missing.
        allow_incomplete: true,
        ..ScanPlan::default()
    };
    let engine = Engine::new(None, &Rules::default(), Scanners::default())?;
    let bar = Bar::new("reading", quiet);
    let target = Target::Any(args.target.clone());
    let result = engine.scan(&target, &plan, &bar, &Cancel::new())?;
    drop(bar);
    print_warnings(&result.inventory, quiet);
    let format = match args.format {
        SbomFormat::Cyclonedx => Format::CycloneDx,
        SbomFormat::SpdxJson => Format::SpdxJson,
        SbomFormat::Json => Format::Json,
        SbomFormat::Table => Format::Table,
    };
    write_report(format, &result.report().list_packages(true), &args.output)?;
    Ok(ExitCode::SUCCESS)
}

/// Warnings about single files go to stderr: the report itself stays machine-readable.
pub fn print_warnings(inventory: &Inventory, quiet: bool) {
    if !quiet {
        for w in &inventory.warnings {
            eprint_safe("warning", format_args!("{}: {}", w.location, w.message));
        }
    }
}

/// Renders `report` to `--output` or standard output.
pub fn write_report(format: Format, report: &Report<'_>, output: &OutputArgs) -> Result<()> {
    let options = RenderOptions::default();
    match &output.output {
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            let mut out = BufWriter::new(file);
            kabuto_report::render_report(format, report, &options, &mut out)?;
            out.flush()
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            kabuto_report::render_report(format, report, &options, &mut out)?;
            out.flush().context("cannot write to standard output")?;
        }
    }
    Ok(())
}
