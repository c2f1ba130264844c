//! Building the inventory of a target, and `kabuto sbom`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use kabuto_inventory::ScanOptions;
use kabuto_report::{Format, RenderOptions, Report};
use kabuto_source::ImageSource;
use kabuto_types::{ArtifactKind, Inventory};

use super::eprint_safe;
use crate::cli::{OutputArgs, SbomArgs, SbomFormat};
use crate::progress::Bar;
use crate::target::{self, Target};

pub fn sbom(args: &SbomArgs, quiet: bool) -> Result<ExitCode> {
    let inventory = match target::resolve(&args.target, &args.registry)? {
        Target::Image(image) => image_inventory(image.as_ref(), quiet)?,
        Target::Directory(path, kind) => dir_inventory(&path, kind, quiet)?,
    };
    print_warnings(&inventory, quiet);
    let format = match args.format {
        SbomFormat::Cyclonedx => Format::CycloneDx,
        SbomFormat::SpdxJson => Format::SpdxJson,
        SbomFormat::Json => Format::Json,
        SbomFormat::Table => Format::Table,
    };
    write_report(
        format,
        &Report::new(&inventory).list_packages(true),
        &args.output,
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn image_inventory(image: &dyn ImageSource, quiet: bool) -> Result<Inventory> {
    let bar = Bar::new("reading layers", quiet);
    let options = ScanOptions::for_kind(ArtifactKind::ContainerImage);
    Ok(kabuto_inventory::scan_image(image, &options, &bar)?)
}

pub fn dir_inventory(path: &Path, kind: ArtifactKind, quiet: bool) -> Result<Inventory> {
    let bar = Bar::new("reading files", quiet);
    let options = ScanOptions::for_kind(kind);
    Ok(kabuto_inventory::scan_directory(
        path, kind, &options, &bar,
    )?)
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
