//! Package files that arrive as tar hard links (`lib/apk/db/installed` linked to another
//! path of the same layer or an earlier one).
//!
//! A hard link entry carries no content: the bytes were written earlier in the stream
//! under the target's path, usually a path no analyzer wants, so they were not kept. The
//! smallest correct fix that keeps the single streaming pass for everything else: while
//! walking, remember the links an analyzer wants ([`WantedLink`]); once the layers are
//! squashed in order, find which layer's file each link points at (inside the image only);
//! then walk just those layers again and analyze the target's bytes under the link's path.
//! Images without such links pay nothing; an image with one pays one more decompression of
//! the layer holding the target (a registry image downloads that layer again).

use std::collections::HashMap;

use kabuto_catalog::FileMeta;
use kabuto_layers::{EntryKind, FileTree, NodeKind, WalkOptions, walk_layer};
use kabuto_source::ImageSource;
use kabuto_types::Warning;
use rayon::prelude::*;

use crate::collect::{Analyzers, FileFindings};
use crate::{InventoryError, ScanOptions};

/// A hard link whose path an analyzer wants.
#[derive(Debug, Clone)]
pub(crate) struct WantedLink {
    pub path: String,
    /// Normalized like entry paths (relative to the image root).
    pub target: String,
    pub mode: u32,
}

/// A wanted link, the layer it is in and the file whose bytes it shares.
#[derive(Debug)]
pub(crate) struct LinkRead {
    link: WantedLink,
    link_layer: usize,
    source_layer: usize,
    source_path: String,
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
                }),
                None => warnings.push(Warning {
                    location: format!("{origin}{}", link.path),
                    message: format!(
                        "hard link to `{}`, which is not a file in the image; not analyzed",
                        link.target
                    ),
                }),
            }
        }
    }
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
                if entry.size > options.max_file_size {
                    warnings.extend(links.iter().map(|read| Warning {
                        location: format!("{}{}", origin(read.link_layer), read.link.path),
                        message: format!(
                            "skipped: hard link to {} bytes, over the {} byte limit per file",
                            entry.size, options.max_file_size
                        ),
                    }));
                    return Ok(());
                }
                let mut bytes = Vec::new();
                content.read_to_end(&mut bytes)?;
                for read in links {
                    let meta = FileMeta {
                        size: entry.size,
                        mode: read.link.mode,
                    };
                    let wanting = analyzers.wanting(&read.link.path, &meta);
                    findings.push(analyzers.analyze(
                        &wanting,
                        &read.link.path,
                        &bytes,
                        Some(read.link_layer),
                        &origin(read.link_layer),
                    ));
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
