//! Scanning a container image: layers are streamed in parallel, never extracted.

use kabuto_catalog::FileMeta;
use kabuto_layers::{EntryKind, FileTree, LayerChanges, NodeKind, WalkOptions, walk_layer};
use kabuto_source::ImageSource;
use kabuto_types::{Artifact, ArtifactKind, Digest, Inventory, Warning};
use rayon::prelude::*;

use crate::collect::{Analyzers, FileFindings, assemble};
use crate::{InventoryError, Progress, ScanOptions};

/// What one layer's walk produced.
struct LayerResult {
    changes: LayerChanges,
    findings: Vec<FileFindings>,
    warnings: Vec<Warning>,
}

/// Builds the inventory of an image. Each layer is decompressed and analyzed on its own
/// thread; a layer that cannot be read (corrupt stream, diff ID mismatch, limits) stops the
/// scan with an error naming the image and the layer.
pub fn scan_image(
    image: &dyn ImageSource,
    options: &ScanOptions,
    progress: &dyn Progress,
) -> Result<Inventory, InventoryError> {
    let metadata = image.metadata();
    let analyzers = Analyzers::new(options.include_declared);
    progress.start(metadata.layers.iter().filter_map(|l| l.size).sum());

    let layers: Vec<LayerResult> = (0..metadata.layers.len())
        .into_par_iter()
        .map(|index| {
            let result = scan_layer(image, index, &analyzers, options);
            progress.advance(metadata.layers[index].size.unwrap_or(0));
            result
        })
        .collect::<Result<_, _>>()?;

    let mut tree = FileTree::new();
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    for (index, layer) in layers.into_iter().enumerate() {
        tree.apply(index, layer.changes);
        findings.extend(layer.findings);
        warnings.extend(layer.warnings);
    }
    let layer_ids: Vec<Digest> = metadata.layers.iter().map(|l| l.diff_id.clone()).collect();
    // Only the copy of a file visible in the squashed filesystem describes what is installed.
    let (mut findings, earlier): (Vec<_>, Vec<_>) = findings.into_iter().partition(|f| {
        tree.get(&f.path)
            .is_some_and(|node| node.kind == NodeKind::File && Some(node.layer) == f.layer)
    });
    stamp_origin_layers(&mut findings, &earlier, &layer_ids);
    let assembled = assemble(findings, &layer_ids);
    warnings.extend(assembled.warnings);
    let mut inventory = Inventory {
        artifact: Artifact {
            name: image.name().to_owned(),
            kind: ArtifactKind::ContainerImage,
        },
        image: Some(metadata.clone()),
        os: assembled.os,
        packages: assembled.packages,
        warnings,
    };
    inventory.sort();
    Ok(inventory)
}

/// Stamps each package with the layer that introduced it: a package database rewritten by
/// later layers (every `apt-get install` rewrites dpkg's status file) still credits the
/// earliest layer from which the same package and version was continuously present in
/// that file, as Trivy does.
fn stamp_origin_layers(
    visible: &mut [FileFindings],
    earlier: &[FileFindings],
    layer_ids: &[Digest],
) {
    for file in visible {
        let Some(visible_layer) = file.layer else {
            continue;
        };
        // Earlier copies of the same file, newest first.
        let mut history: Vec<&FileFindings> = earlier
            .iter()
            .filter(|e| e.path == file.path && e.layer.is_some_and(|l| l < visible_layer))
            .collect();
        history.sort_by_key(|e| std::cmp::Reverse(e.layer));
        for package in &mut file.packages {
            let mut origin = visible_layer;
            for copy in &history {
                let present = copy
                    .packages
                    .iter()
                    .any(|p| p.name == package.name && p.version == package.version);
                match copy.layer {
                    Some(layer) if present => origin = layer,
                    _ => break,
                }
            }
            for location in &mut package.locations {
                if location.layer.is_none() {
                    location.layer = layer_ids.get(origin).cloned();
                }
            }
        }
    }
}

fn scan_layer(
    image: &dyn ImageSource,
    index: usize,
    analyzers: &Analyzers,
    options: &ScanOptions,
) -> Result<LayerResult, InventoryError> {
    let diff_id = &image.metadata().layers[index].diff_id;
    let origin = format!("layer {} ({}) ", index + 1, short(diff_id));
    let blob = image.open_layer(index)?;
    let mut changes = LayerChanges::new();
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    let walk_options = WalkOptions {
        expected_diff_id: Some(diff_id.clone()),
        ..WalkOptions::default()
    };
    walk_layer(blob, &walk_options, |entry, content| {
        changes.record(entry);
        if entry.kind != EntryKind::File {
            return Ok::<_, std::io::Error>(());
        }
        let meta = FileMeta {
            size: entry.size,
            mode: entry.mode,
        };
        let wanting = analyzers.wanting(entry.path, &meta);
        if wanting.is_empty() {
            return Ok(());
        }
        if entry.size > options.max_file_size {
            warnings.push(Warning {
                location: format!("{origin}{}", entry.path),
                message: format!(
                    "skipped: {} bytes is over the {} byte limit per file",
                    entry.size, options.max_file_size
                ),
            });
            return Ok(());
        }
        let mut buffer = Vec::with_capacity(usize::try_from(entry.size).unwrap_or(0));
        content.read_to_end(&mut buffer)?;
        findings.push(analyzers.analyze(&wanting, entry.path, &buffer, Some(index), &origin));
        Ok(())
    })
    .map_err(|source| InventoryError::Layer {
        image: image.name().to_owned(),
        index: index + 1,
        diff_id: diff_id.to_string(),
        source,
    })?;
    Ok(LayerResult {
        changes,
        findings,
        warnings,
    })
}

/// `sha256:0123456789ab`: enough of a digest to recognise it in a message.
fn short(digest: &Digest) -> String {
    let hex = digest.hex();
    format!("{}:{}", digest.algorithm(), &hex[..hex.len().min(12)])
}
