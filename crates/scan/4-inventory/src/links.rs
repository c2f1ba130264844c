//! Package files that are read under a name other than their own, once the layers are
//! squashed: tar hard links (`lib/apk/db/installed` linked to another path of the same
//! layer or an earlier one) and names through symlinks (`var/lib/dpkg -> ../../opt/dpkg`).
//!
//! A hard link entry carries no content: the bytes were written earlier in the stream
//! under the target's path, usually a path no analyzer wants, so they were not kept; a
//! symlinked name is no entry at all. The smallest correct fix that keeps the single
//! streaming pass for everything else: while walking, remember the hard links an analyzer
//! wants ([`WantedLink`]); once the layers are squashed in order, find which layer's file
//! each link points at, and which files analyzers want under a symlinked name ([`crate::aliases`]),
//! inside the image only; then walk just those layers again and analyze each file's bytes
//! under the wanted name. Images without such names pay nothing; an image with one pays one
//! more decompression of the layer holding the file (a registry image downloads that
//! layer again).

use std::collections::HashMap;
use std::io::Read;

use kabuto_catalog::{FileInput, FileMeta};
use kabuto_layers::{EntryKind, FileTree, NodeKind, WalkOptions, walk_layer};
use kabuto_source::ImageSource;
use kabuto_types::{Warning, WarningCode};
use rayon::prelude::*;

use crate::aliases::{SeenWants, alias_budget, budget_warning, loop_warning};
use crate::collect::{Analyzers, FileFindings, too_large};
use crate::{InventoryError, ScanOptions};

/// A hard link whose path an analyzer wants.
#[derive(Debug, Clone)]
pub(crate) struct WantedLink {
    pub path: String,
    /// Normalized like entry paths (relative to the image root).
    pub target: String,
    /// The analyzers that want it.
    pub analyzers: Vec<usize>,
}

/// A wanted name, the layer it counts as and the file whose bytes it reads.
#[derive(Debug)]
pub(crate) struct LinkRead {
    link: WantedLink,
    link_layer: usize,
    source_layer: usize,
    source_path: String,
    /// A name through a symlink (not an entry of any layer) rather than a hard link.
    via_symlink: bool,
}

/// The regular file `target` names in `tree`, following symlinks in its directories.
fn file_at(tree: &FileTree, target: &str) -> Option<(usize, String)> {
    let resolved = tree.resolve(target).ok()?;
    (resolved.node.kind == NodeKind::File).then_some((resolved.node.layer, resolved.path))
}

/// Where the links of one layer point, computed in two steps around
/// [`FileTree::apply`] of that layer: a link may name a file written earlier in its own
/// layer (seen after applying) or one of an earlier layer (seen before applying, in case
/// this layer deletes or replaces it afterwards).
pub(crate) struct LayerLinks {
    layer: usize,
    links: Vec<(WantedLink, Option<(usize, String)>)>,
}

impl LayerLinks {
    /// Call with the tree of the layers below `layer`.
    pub fn before_apply(tree: &FileTree, layer: usize, links: Vec<WantedLink>) -> Self {
        let links = links
            .into_iter()
            .map(|link| {
                let earlier = file_at(tree, &link.target);
                (link, earlier)
            })
            .collect();
        LayerLinks { layer, links }
    }

    /// Call with the tree once `layer` is applied. Links whose target is no file of the
    /// image become warnings.
    pub fn after_apply(
        self,
        tree: &FileTree,
        origin: &str,
        reads: &mut Vec<LinkRead>,
        warnings: &mut Vec<Warning>,
    ) {
        for (link, earlier) in self.links {
            let same_layer = file_at(tree, &link.target).filter(|(l, _)| *l == self.layer);
            match same_layer.or(earlier) {
                Some((source_layer, source_path)) => reads.push(LinkRead {
                    link,
                    link_layer: self.layer,
                    source_layer,
                    source_path,
                    via_symlink: false,
                }),
                None => warnings.push(Warning::new(
                    WarningCode::DanglingHardLink,
                    format!("{origin}{}", link.path),
                    format!(
                        "hard link to `{}`, which is not a file in the image; not analyzed",
                        link.target
                    ),
                )),
            }
        }
    }
}

/// The files analyzers want under a name through a symlink in the squashed `tree`, as
/// reads of the layer each file is in (and counted as). Loops and an exhausted budget
/// become warnings; `origin(layer)` prefixes them.
pub(crate) fn symlink_reads(
    tree: &FileTree,
    analyzers: &Analyzers,
    origin: &dyn Fn(usize) -> String,
    warnings: &mut Vec<Warning>,
) -> Vec<LinkRead> {
    let mut seen = SeenWants::default();
    let mut reads = Vec::new();
    let budget = alias_budget(tree.len());
    let report = tree.visit_aliases(budget, |name, file| {
        let meta = FileMeta {
            size: file.node.size,
            mode: file.node.mode,
        };
        let wanting = analyzers.wanting(name, &meta);
        if wanting.is_empty() {
            return;
        }
        let unseen = seen.unseen(file.path.clone(), wanting, || {
            analyzers.wanting(&file.path, &meta)
        });
        if unseen.is_empty() {
            return;
        }
        reads.push(LinkRead {
            link: WantedLink {
                path: name.to_owned(),
                target: file.path.clone(),
                analyzers: unseen,
            },
            link_layer: file.node.layer,
            source_layer: file.node.layer,
            source_path: file.path,
            via_symlink: true,
        });
    });
    let located = |path: String| match tree.get(&path) {
        Some(node) => format!("{}{path}", origin(node.layer)),
        None => path,
    };
    warnings.extend(report.loops.into_iter().map(|l| loop_warning(located(l))));
    if let Some(link) = report.exhausted_at {
        warnings.push(budget_warning(located(link), budget));
    }
    reads
}

/// Walks each layer holding a link target again and analyzes the target's bytes under
/// each link's path, as a file of the link's layer. `origin(layer)` prefixes warnings.
pub(crate) fn analyze_links(
    image: &dyn ImageSource,
    reads: Vec<LinkRead>,
    analyzers: &Analyzers,
    options: &ScanOptions,
    origin: &(dyn Fn(usize) -> String + Sync),
) -> Result<(Vec<FileFindings>, Vec<Warning>), InventoryError> {
    let mut by_layer: HashMap<usize, HashMap<String, Vec<LinkRead>>> = HashMap::new();
    for read in reads {
        by_layer
            .entry(read.source_layer)
            .or_default()
            .entry(read.source_path.clone())
            .or_default()
            .push(read);
    }
    let results: Vec<(Vec<FileFindings>, Vec<Warning>)> = by_layer
        .into_par_iter()
        .map(|(layer, mut wanted)| {
            let mut findings = Vec::new();
            let mut warnings = Vec::new();
            options.cancel.check()?;
            let blob = image.open_layer(layer)?;
            walk_layer(blob, &WalkOptions::default(), |entry, content| {
                options.cancel.check_io()?;
                if entry.kind != EntryKind::File {
                    return Ok::<_, std::io::Error>(());
                }
                // The first copy in the stream is the one the links were made to.
                let Some(links) = wanted.remove(entry.path) else {
                    return Ok(());
                };
                let limit = options.max_file_size;
                let mut readings = Vec::new();
                for read in links {
                    let reading =
                        analyzers.for_size(read.link.analyzers.clone(), entry.size, limit);
                    if reading.skips_some {
                        let location = format!("{}{}", origin(read.link_layer), read.link.path);
                        warnings.push(too_large(location, entry.size, limit));
                    }
                    if !reading.analyzers.is_empty() {
                        readings.push((read, reading));
                    }
                }
                if readings.is_empty() {
                    return Ok(());
                }
                let mut bytes = Vec::new();
                Read::take(&mut *content, limit).read_to_end(&mut bytes)?;
                for (read, reading) in readings {
                    let file = FileInput {
                        path: &read.link.path,
                        content: &bytes,
                    };
                    let mut found = analyzers.analyze(
                        &reading.analyzers,
                        file,
                        reading.extent,
                        Some(read.link_layer),
                        &origin(read.link_layer),
                    );
                    found.via_symlink = read.via_symlink;
                    findings.push(found);
                }
                Ok(())
            })
            .map_err(|source| {
                options.cancel.or(InventoryError::Layer {
                    image: image.name().to_owned(),
                    index: layer + 1,
                    diff_id: image.metadata().layers[layer].diff_id.to_string(),
                    source,
                })
            })?;
            Ok((findings, warnings))
        })
        .collect::<Result<_, InventoryError>>()?;
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    for (f, w) in results {
        findings.extend(f);
        warnings.extend(w);
    }
    Ok((findings, warnings))
}
