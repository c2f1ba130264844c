//! `kabuto config PATH`: misconfiguration checks of Dockerfiles and Kubernetes manifests.

use std::process::ExitCode;

use anyhow::{Context, Result};
use kabuto_inventory::{FileFinding, NoProgress, ScanOptions};
use kabuto_report::Report;
use kabuto_types::{Artifact, ArtifactKind, Inventory};

use super::inventory::{print_warnings, write_report};
use crate::cli::ConfigArgs;
use crate::scanners::Misconfigs;

pub fn run(args: &ConfigArgs, quiet: bool) -> Result<ExitCode> {
    let (inventory, findings) = if args.path.is_file() {
        let content = std::fs::read(&args.path)
            .with_context(|| format!("cannot read {}", args.path.display()))?;
        let found = kabuto_misconfig::scan_file(&args.path, &content).with_context(|| {
            format!(
                "{}: not a Dockerfile or Kubernetes manifest (by its name)",
                args.path.display()
            )
        })??;
        let inventory = Inventory {
            artifact: Artifact {
                name: args.path.display().to_string(),
                kind: ArtifactKind::Filesystem,
            },
            image: None,
            os: None,
            packages: Vec::new(),
            warnings: Vec::new(),
        };
        (inventory, found)
    } else {
        let mut options = ScanOptions::for_kind(ArtifactKind::Filesystem);
        options.analyze_packages = false;
        let output = kabuto_inventory::scan_directory_with(
            &args.path,
            ArtifactKind::Filesystem,
            &options,
            &[&Misconfigs],
            &NoProgress,
        )?;
        let found = output
            .findings
            .into_iter()
            .filter_map(|f| match f {
                FileFinding::Misconfig(m) => Some(m),
                _ => None,
            })
            .collect();
        (output.inventory, found)
    };
    print_warnings(&inventory, quiet);
    let misconfigs: Vec<_> = findings
        .into_iter()
        .filter(|m| args.severity.is_empty() || args.severity.contains(&m.severity))
        .collect();
    let report = Report::new(&inventory)
        .list_packages(false)
        .with_misconfigs(&misconfigs);
    write_report(args.format, &report, &args.output)?;
    if args.exit_code != 0 && !misconfigs.is_empty() {
        return Ok(ExitCode::from(args.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}
