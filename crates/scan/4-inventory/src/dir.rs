//! Scanning a directory: a root filesystem (a host's `/`, an unpacked image) or a project.

use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use kabuto_catalog::FileMeta;
use kabuto_types::{Artifact, ArtifactKind, Inventory, Warning};
use rayon::prelude::*;
use walkdir::WalkDir;

use crate::collect::{Analyzers, FileFindings, assemble};
use crate::extra::{self, FileScanner, ScanOutput, SpecialFile};
use crate::{InventoryError, Progress, ScanOptions};

/// Kernel-provided trees that hold no installed software and can be huge or endless.
const VIRTUAL_ROOTFS_DIRS: [&str; 3] = ["proc", "sys", "dev"];

/// A file some analyzer or scanner wants, found by the walk.
struct Candidate {
    relative: String,
    analyzers: Vec<usize>,
    scanners: Vec<usize>,
    size: u64,
    mode: u32,
    /// Wanted by nobody for its name or mode, but scanners want to see this many of its
    /// first bytes (0: the file is wanted as it is).
    head_len: usize,
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
    Ok(scan_directory_with(root, kind, options, &[], progress)?.inventory)
}

/// [`scan_directory`] plus content scanners (secrets, malware) and the special files.
pub fn scan_directory_with(
    root: &Path,
    kind: ArtifactKind,
    options: &ScanOptions,
    scanners: &[&dyn FileScanner],
    progress: &dyn Progress,
) -> Result<ScanOutput, InventoryError> {
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
    let analyzers = Analyzers::new(options);
    let mut warnings = Vec::new();
    let mut candidates = Vec::new();
    let mut special_files = Vec::new();
    let walk = WalkDir::new(root).follow_links(false).into_iter();
    let skip_virtual = kind == ArtifactKind::Rootfs;
    for entry in walk.filter_entry(|e| {
        !(skip_virtual
            && e.depth() == 1
            && e.file_type().is_dir()
            && VIRTUAL_ROOTFS_DIRS.iter().any(|d| e.file_name() == *d))
    }) {
        options.cancel.check()?;
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
        let is_dir = entry.file_type().is_dir();
        if !entry.file_type().is_file() && !is_dir {
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
        let mode = meta.permissions().mode() & 0o7777;
        if SpecialFile::is_special(mode) && !relative.is_empty() {
            special_files.push(SpecialFile {
                path: relative.to_owned(),
                is_dir,
                mode,
                uid: u64::from(meta.uid()),
                gid: u64::from(meta.gid()),
                layer: None,
            });
        }
        if is_dir {
            continue;
        }
        let file_meta = FileMeta {
            size: meta.len(),
            mode,
        };
        let wanting = analyzers.wanting(relative, &file_meta);
        let scanning = extra::wanting(scanners, relative, &file_meta);
        let mut head_len = 0;
        if wanting.is_empty() && scanning.is_empty() {
            head_len = extra::head_len(scanners, relative, &file_meta);
            if head_len == 0 || file_meta.size > options.max_file_size {
                continue;
            }
        } else if file_meta.size > options.max_file_size {
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
            scanners: scanning,
            size: file_meta.size,
            mode,
            head_len,
        });
    }

    progress.start(candidates.iter().map(|c| c.size).sum());
    let per_file: Vec<_> = candidates
        .par_iter()
        .filter_map(|c| {
            if options.cancel.is_cancelled() {
                return None;
            }
            let per_file = match read_candidate(root, c, scanners) {
                Ok(Some((content, scanning))) => {
                    let (content_findings, file_warnings) =
                        extra::scan_content(scanners, &scanning, &c.relative, &content, None, "");
                    let found = analyzers.analyze(&c.analyzers, &c.relative, &content, None, "");
                    Some((found, content_findings, file_warnings))
                }
                // The peek showed nothing of interest; or a file nobody wanted by name is
                // unreadable (a host's root-only files), which is not worth a warning.
                Ok(None) => None,
                Err(_) if c.head_len > 0 => None,
                Err(e) => {
                    let unreadable = FileFindings {
                        path: c.relative.clone(),
                        warnings: vec![Warning {
                            location: c.relative.clone(),
                            message: format!("cannot read: {e}"),
                        }],
                        ..Default::default()
                    };
                    Some((unreadable, Vec::new(), Vec::new()))
                }
            };
            progress.advance(c.size);
            per_file
        })
        .collect();
    options.cancel.check()?;
    let mut findings = Vec::with_capacity(per_file.len());
    let mut content_findings = Vec::new();
    for (found, content, file_warnings) in per_file {
        findings.push(found);
        content_findings.extend(content);
        warnings.extend(file_warnings);
    }
    extra::sort_and_dedup(&mut content_findings);

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
    Ok(ScanOutput {
        inventory,
        findings: content_findings,
        special_files,
    })
}

/// Reads a candidate and returns its content with the scanners to run on it; `None` when a
/// peek at its first bytes shows that no scanner wants it after all.
fn read_candidate(
    root: &Path,
    candidate: &Candidate,
    scanners: &[&dyn FileScanner],
) -> std::io::Result<Option<(Vec<u8>, Vec<usize>)>> {
    let path = root.join(&candidate.relative);
    if candidate.head_len == 0 {
        return Ok(Some((std::fs::read(path)?, candidate.scanners.clone())));
    }
    let mut file = std::fs::File::open(path)?;
    let mut content = Vec::new();
    Read::take(&mut file, candidate.head_len as u64).read_to_end(&mut content)?;
    let meta = FileMeta {
        size: candidate.size,
        mode: candidate.mode,
    };
    let scanning = extra::wanting_head(scanners, &candidate.relative, &meta, &content);
    if scanning.is_empty() {
        return Ok(None);
    }
    file.read_to_end(&mut content)?;
    Ok(Some((content, scanning)))
}
