//! `kabuto sbom` and `kabuto scan ... --list-packages`: build the inventory, render it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use kabuto_inventory::ScanOptions;
use kabuto_report::{Format, RenderOptions};
use kabuto_types::{ArtifactKind, Inventory};

use crate::cli::{DirScanArgs, ImageScanArgs, OutputArgs, SbomArgs, SbomFormat, ScanFormat};
use crate::progress::Bar;
use crate::target::{self, Target};

pub fn sbom(args: &SbomArgs, quiet: bool) -> Result<ExitCode> {
    let inventory = match target::resolve(&args.target, &args.registry)? {
        Target::Image(image) => image_inventory(image.as_ref(), quiet)?,
        Target::Directory(path, kind) => dir_inventory(&path, kind, quiet)?,
    };
    let format = match args.format {
        SbomFormat::Cyclonedx => Format::CycloneDx,
        SbomFormat::SpdxJson => Format::SpdxJson,
        SbomFormat::Json => Format::Json,
        SbomFormat::Table => Format::Table,
    };
    emit(&inventory, format, &args.output, quiet)
}

pub fn scan_image(args: &ImageScanArgs, quiet: bool) -> Result<ExitCode> {
    let image = target::resolve_image(&args.target, &args.registry)?;
    let inventory = image_inventory(image.as_ref(), quiet)?;
    emit(&inventory, scan_format(args.format), &args.output, quiet)
}

pub fn scan_dir(args: &DirScanArgs, kind: ArtifactKind, quiet: bool) -> Result<ExitCode> {
    let inventory = dir_inventory(&args.path, kind, quiet)?;
    emit(&inventory, scan_format(args.format), &args.output, quiet)
}

fn scan_format(format: ScanFormat) -> Format {
    match format {
        ScanFormat::Table => Format::Table,
        ScanFormat::Json => Format::Json,
    }
}

fn image_inventory(image: &dyn kabuto_source::ImageSource, quiet: bool) -> Result<Inventory> {
    let bar = Bar::new("reading layers", quiet);
    let options = ScanOptions::for_kind(ArtifactKind::ContainerImage);
    Ok(kabuto_inventory::scan_image(image, &options, &bar)?)
}

fn dir_inventory(path: &std::path::Path, kind: ArtifactKind, quiet: bool) -> Result<Inventory> {
    let bar = Bar::new("reading files", quiet);
    let options = ScanOptions::for_kind(kind);
    Ok(kabuto_inventory::scan_directory(path, kind, &options, &bar)?)
}

/// Prints the warnings to stderr and the report to the chosen output.
fn emit(inventory: &Inventory, format: Format, output: &OutputArgs, quiet: bool) -> Result<ExitCode> {
    if !quiet {
        for w in &inventory.warnings {
            eprintln!("warning: {}: {}", w.location, w.message);
        }
    }
    let options = RenderOptions::default();
    match &output.output {
        Some(path) => {
            let file = File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let mut out = BufWriter::new(file);
            kabuto_report::render(format, inventory, &options, &mut out)?;
            out.flush()
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            kabuto_report::render(format, inventory, &options, &mut out)?;
            out.flush().context("cannot write to standard output")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
