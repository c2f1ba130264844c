//! Scanning a container image: layers are streamed in parallel, never extracted.

use std::collections::HashSet;
use std::io::Read;

use kabuto_catalog::{FileInput, FileMeta};
use kabuto_layers::{EntryKind, FileTree, LayerChanges, NodeKind, WalkOptions, walk_layer};
use kabuto_source::ImageSource;
use kabuto_types::{Artifact, ArtifactKind, Digest, FileEntry, FileKind, Inventory, Warning};
use rayon::prelude::*;

use crate::collect::{Analyzers, FileFindings, assemble, too_large};
use crate::extra::{self, FileFinding, FileScanner, ScanOutput};
use crate::links::{self, LayerLinks, WantedLink};
use crate::{InventoryError, Progress, ScanOptions};

/// What one layer's walk produced.
struct LayerResult {
    changes: LayerChanges,
    findings: Vec<FileFindings>,
    content_findings: Vec<FileFinding>,
    special_files: Vec<FileEntry>,
    executables: Vec<String>,
    warnings: Vec<Warning>,
    /// Hard links an analyzer wants; analyzed once the layers are squashed.
    wanted_links: Vec<WantedLink>,
}

/// Builds the inventory of an image. Each layer is decompressed and analyzed on its own
/// thread; a layer that cannot be read (corrupt stream, diff ID mismatch, limits) stops the
/// scan with an error naming the image and the layer.
pub fn scan_image(
    image: &dyn ImageSource,
    options: &ScanOptions,
    progress: &dyn Progress,
) -> Result<Inventory, InventoryError> {
    Ok(scan_image_with(image, options, &[], progress)?.inventory)
}

/// [`scan_image`] plus content scanners (secrets, malware) and the special files, all in
/// the same single pass over the layers.
pub fn scan_image_with(
    image: &dyn ImageSource,
    options: &ScanOptions,
    scanners: &[&dyn FileScanner],
    progress: &dyn Progress,
) -> Result<ScanOutput, InventoryError> {
    let metadata = image.metadata();
    let analyzers = Analyzers::new(options);
    progress.start(metadata.layers.iter().filter_map(|l| l.size).sum());

    let layers: Vec<LayerResult> = (0..metadata.layers.len())
        .into_par_iter()
        .map(|index| {
            options.cancel.check()?;
            let result = scan_layer(image, index, &analyzers, scanners, options);
            progress.advance(metadata.layers[index].size.unwrap_or(0));
            result
        })
        .collect::<Result<_, _>>()?;
    options.cancel.check()?;

    let mut tree = FileTree::new();
    let mut findings = Vec::new();
    let mut content_findings = Vec::new();
    let mut special_files = Vec::new();
    let mut executables = Vec::new();
    let mut warnings = Vec::new();
    let mut link_reads = Vec::new();
    let origin = |index: usize| {
        let diff_id = &metadata.layers[index].diff_id;
        format!("layer {} ({}) ", index + 1, short(diff_id))
    };
    for (index, layer) in layers.into_iter().enumerate() {
        let hard_links = LayerLinks::before_apply(&tree, index, layer.wanted_links);
        tree.apply(index, layer.changes);
        hard_links.after_apply(&tree, &origin(index), &mut link_reads, &mut warnings);
        findings.extend(layer.findings);
        content_findings.extend(layer.content_findings);
        special_files.extend(layer.special_files.into_iter().map(|f| (index, f)));
        executables.extend(layer.executables.into_iter().map(|path| (index, path)));
        warnings.extend(layer.warnings);
    }
    // A permission matters only where the entry is still visible.
    let special_files = special_files
        .into_iter()
        .filter(|(index, f)| tree.get(&f.path).is_some_and(|node| node.layer == *index))
        .map(|(_, f)| f)
        .collect();
    let mut executables: Vec<String> = executables
        .into_iter()
        .filter(|(index, path)| tree.get(path).is_some_and(|node| node.layer == *index))
        .map(|(_, path)| path)
        .collect();
    executables.sort();
    executables.dedup();
    extra::sort_and_dedup(&mut content_findings);
    link_reads.extend(links::symlink_reads(
        &tree,
        &analyzers,
        &origin,
        &mut warnings,
    ));
    if !link_reads.is_empty() {
        let (found, link_warnings) =
            links::analyze_links(image, link_reads, &analyzers, options, &origin)?;
        findings.extend(found);
        warnings.extend(link_warnings);
    }
    let layer_ids: Vec<Digest> = metadata.layers.iter().map(|l| l.diff_id.clone()).collect();
    // Only the copy of a file visible in the squashed filesystem describes what is installed
    // (a wanted hard link was analyzed with its target's bytes; a name through a symlink
    // was found in the squashed filesystem).
    let (mut findings, earlier): (Vec<_>, Vec<_>) = findings.into_iter().partition(|f| {
        f.via_symlink
            || tree.get(&f.path).is_some_and(|node| {
                matches!(node.kind, NodeKind::File | NodeKind::Hardlink(_))
                    && Some(node.layer) == f.layer
            })
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
    Ok(ScanOutput {
        inventory,
        findings: content_findings,
        special_files,
        executables,
    })
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
        // Earlier copies of the same file, newest first, each as the set of its packages
        // (a set, so a database of n packages rewritten by m layers costs n * m lookups).
        let mut history: Vec<(usize, HashSet<(&str, &str)>)> = earlier
            .iter()
            .filter_map(|e| Some((e.layer?, e)))
            .filter(|(layer, e)| *layer < visible_layer && e.path == file.path)
            .map(|(layer, e)| {
                let present = e
                    .packages
                    .iter()
                    .map(|p| (p.name.as_str(), p.version.as_str()))
                    .collect();
                (layer, present)
            })
            .collect();
        history.sort_by_key(|(layer, _)| std::cmp::Reverse(*layer));
        for package in &mut file.packages {
            let key = (package.name.as_str(), package.version.as_str());
            let origin = history
                .iter()
                .take_while(|(_, present)| present.contains(&key))
                .last()
                .map_or(visible_layer, |(layer, _)| *layer);
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
    scanners: &[&dyn FileScanner],
    options: &ScanOptions,
) -> Result<LayerResult, InventoryError> {
    let diff_id = &image.metadata().layers[index].diff_id;
    let origin = format!("layer {} ({}) ", index + 1, short(diff_id));
    let blob = image.open_layer(index)?;
    let mut changes = LayerChanges::new();
    let mut findings = Vec::new();
    let mut content_findings = Vec::new();
    let mut special_files = Vec::new();
    let mut executables = Vec::new();
    let mut warnings = Vec::new();
    let mut wanted_links = Vec::new();
    let walk_options = WalkOptions {
        expected_diff_id: Some(diff_id.clone()),
        ..WalkOptions::default()
    };
    walk_layer(blob, &walk_options, |entry, content| {
        options.cancel.check_io()?;
        changes.record(entry);
        let kind = match entry.kind {
            EntryKind::Dir => Some(FileKind::Dir),
            EntryKind::File => Some(FileKind::File),
            _ => None,
        };
        if let Some(kind) = kind
            && extra::is_special(entry.mode)
        {
            special_files.push(FileEntry {
                path: entry.path.to_owned(),
                kind,
                mode: entry.mode,
                uid: entry.uid,
                gid: entry.gid,
                layer: Some(diff_id.clone()),
            });
        }
        if matches!(entry.kind, EntryKind::File | EntryKind::Hardlink { .. })
            && extra::is_executable(entry.mode)
        {
            executables.push(entry.path.to_owned());
        }
        if let EntryKind::Hardlink { target } = entry.kind {
            let meta = FileMeta {
                size: entry.size,
                mode: entry.mode,
            };
            let wanting = analyzers.wanting(entry.path, &meta);
            if !wanting.is_empty() {
                wanted_links.push(WantedLink {
                    path: entry.path.to_owned(),
                    target: target.to_owned(),
                    analyzers: wanting,
                });
            }
        }
        if entry.kind != EntryKind::File {
            return Ok::<_, std::io::Error>(());
        }
        let meta = FileMeta {
            size: entry.size,
            mode: entry.mode,
        };
        let wanting = analyzers.wanting(entry.path, &meta);
        let mut scanning = extra::wanting(scanners, entry.path, &meta);
        let mut buffer = Vec::new();
        if wanting.is_empty() && scanning.is_empty() {
            // Wanted by nobody for its name or mode: a scanner may still want it for its
            // first bytes (a script without an extension). The stream is decompressed
            // either way, so the peek costs a copy of a few bytes.
            let peek = extra::head_len(scanners, entry.path, &meta);
            if peek == 0 || entry.size > options.max_file_size {
                return Ok(());
            }
            Read::take(&mut *content, peek as u64).read_to_end(&mut buffer)?;
            scanning = extra::wanting_head(scanners, entry.path, &meta, &buffer);
            if scanning.is_empty() {
                return Ok(());
            }
        }
        let reading = analyzers.for_size(wanting, entry.size, options.max_file_size);
        if entry.size > options.max_file_size {
            if reading.skips_some || !scanning.is_empty() {
                let location = format!("{origin}{}", entry.path);
                warnings.push(too_large(location, entry.size, options.max_file_size));
            }
            scanning.clear();
            if reading.analyzers.is_empty() {
                return Ok(());
            }
        }
        let read_len = reading.extent.read_len(entry.size);
        buffer.reserve(usize::try_from(read_len).map_or(0, |len| len.saturating_sub(buffer.len())));
        Read::take(&mut *content, read_len).read_to_end(&mut buffer)?;
        if !reading.analyzers.is_empty() {
            let file = FileInput {
                path: entry.path,
                content: &buffer,
            };
            findings.push(analyzers.analyze(
                &reading.analyzers,
                file,
                reading.extent,
                Some(index),
                &origin,
            ));
        }
        let (found, scan_warnings) = extra::scan_content(
            scanners,
            &scanning,
            entry.path,
            &buffer,
            Some(diff_id),
            &origin,
        );
        content_findings.extend(found);
        warnings.extend(scan_warnings);
        Ok(())
    })
    .map_err(|source| {
        options.cancel.or(InventoryError::Layer {
            image: image.name().to_owned(),
            index: index + 1,
            diff_id: diff_id.to_string(),
            source,
        })
    })?;
    Ok(LayerResult {
        changes,
        findings,
        content_findings,
        special_files,
        executables,
        warnings,
        wanted_links,
    })
}

/// `sha256:0123456789ab`: enough of a digest to recognise it in a message.
fn short(digest: &Digest) -> String {
    let hex = digest.hex();
    format!("{}:{}", digest.algorithm(), &hex[..hex.len().min(12)])
}
