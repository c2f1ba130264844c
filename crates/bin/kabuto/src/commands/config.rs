//! `kabuto config PATH`: misconfiguration checks of Dockerfiles and Kubernetes manifests.

use std::process::ExitCode;

use anyhow::Result;
use kabuto_scan::{Cancel, Engine, Filters, NoProgress, Rules, ScanPlan, Scanners, Target};

use super::inventory::{print_warnings, write_report};
use crate::cli::ConfigArgs;

pub fn run(args: &ConfigArgs, quiet: bool) -> Result<ExitCode> {
    let mut plan = ScanPlan {
        scanners: Scanners {
            misconfig: true,
            ..Scanners::default()
        },
        filters: Filters {
            severities: args.severity.clone(),
            ignore_unfixed: false,
        },
        findings_exit_code: args.exit_code,
        ..ScanPlan::default()
    };
    if let Some(path) = super::plan::ignore_file(args.ignorefile.as_deref(), quiet) {
        plan = plan.with_ignore_file(&path)?;
    }
    let engine = Engine::new(None, &Rules::default(), plan.scanners)?;
    let target = Target::ConfigFiles(args.path.clone());
    let result = engine.scan(&target, &plan, &NoProgress, &Cancel::new())?;
    print_warnings(&result.inventory, quiet);
    if !quiet {
        for warning in &result.warnings {
            super::eprint_safe("warning", warning);
        }
    }
    if args.show_suppressed {
        super::print_suppressed(&result);
    }
    write_report(args.format, &result.report(), &args.output)?;
    Ok(ExitCode::from(result.exit.code()))
}
