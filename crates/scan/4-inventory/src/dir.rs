//! Scanning a directory: a root filesystem (a host's `/`, an unpacked image) or a project.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use kabuto_catalog::FileMeta;
use kabuto_types::{Artifact, ArtifactKind, Inventory, Warning};
use rayon::prelude::*;
use walkdir::WalkDir;

use crate::collect::{Analyzers, assemble};
use crate::{InventoryError, Progress, ScanOptions};

/// Kernel-provided trees that hold no installed software and can be huge or endless.
const VIRTUAL_ROOTFS_DIRS: [&str; 3] = ["proc", "sys", "dev"];

/// A file some analyzer wants, found by the walk.
struct Candidate {
    relative: String,
    analyzers: Vec<usize>,
    size: u64,
}

/// Scans the directory `root` as an artifact of `kind` (`Rootfs` or `Filesystem`).
///
/// Symlinks are never followed: a root filesystem's absolute links point into the host.
pub fn scan_directory(
    root: &Path,
    kind: ArtifactKind,
    options: &ScanOptions,
    progress: &dyn Progress,
) -> Result<Inventory, InventoryError> {
    let metadata = std::fs::metadata(root).map_err(|source| InventoryError::Directory {
        path: root.display().to_string(),
        source,
    })?;
    if !metadata.is_dir() {
        return Err(InventoryError::Directory {
            path: root.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
        });
    }
    let analyzers = Analyzers::new(options.include_declared);
    let mut warnings = Vec::new();
    let mut candidates = Vec::new();
    let walk = WalkDir::new(root).follow_links(false).into_iter();
    let skip_virtual = kind == ArtifactKind::Rootfs;
    for entry in walk.filter_entry(|e| {
        !(skip_virtual
            && e.depth() == 1
            && e.file_type().is_dir()
            && VIRTUAL_ROOTFS_DIRS.iter().any(|d| e.file_name() == *d))
    }) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                warnings.push(Warning {
                    location: e
                        .path()
                        .map_or_else(|| root.display().to_string(), |p| p.display().to_string()),
                    message: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(root) else {
            continue;
        };
        let Some(relative) = relative.to_str() else {
            continue;
        };
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        let file_meta = FileMeta {
            size: meta.len(),
            mode: meta.permissions().mode(),
        };
        let wanting = analyzers.wanting(relative, &file_meta);
        if wanting.is_empty() {
            continue;
        }
        if file_meta.size > options.max_file_size {
            warnings.push(Warning {
                location: relative.to_owned(),
                message: format!(
                    "skipped: {} bytes is over the {} byte limit per file",
                    file_meta.size, options.max_file_size
                ),
            });
            continue;
        }
        candidates.push(Candidate {
            relative: relative.to_owned(),
            analyzers: wanting,
            size: file_meta.size,
        });
    }

    progress.start(candidates.iter().map(|c| c.size).sum());
    let findings: Vec<_> = candidates
        .par_iter()
        .map(|c| {
            let found = match std::fs::read(root.join(&c.relative)) {
                Ok(content) => analyzers.analyze(&c.analyzers, &c.relative, &content, None, ""),
                Err(e) => crate::collect::FileFindings {
                    path: c.relative.clone(),
                    warnings: vec![Warning {
                        location: c.relative.clone(),
                        message: format!("cannot read: {e}"),
                    }],
                    ..Default::default()
                },
            };
            progress.advance(c.size);
            found
        })
        .collect();

    let assembled = assemble(findings, &[]);
    warnings.extend(assembled.warnings);
    let mut inventory = Inventory {
        artifact: Artifact {
            name: root.display().to_string(),
            kind,
        },
        image: None,
        os: assembled.os,
        packages: assembled.packages,
        warnings,
    };
    inventory.sort();
    Ok(inventory)
}
