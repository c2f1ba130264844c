//! Scanning a directory: a root filesystem (a host's `/`, an unpacked image) or a project.
//!
//! Nothing below the root is opened by a path string: the walk lists directories through
//! descriptors ([`fd_walk`]), files are opened relative to the root without following any
//! symlink ([`in_root`]), and what was opened is checked with `fstat` to be the very file
//! the walk saw. A symlink swapped in mid-scan therefore cannot make the scan read the
//! host's files. Symlinks are followed only inside the root, to find the package files
//! behind them ([`links`]).

mod fd_walk;
mod in_root;
mod links;

use std::io::Read;
use std::path::Path;

use kabuto_catalog::{FileInput, FileMeta};
use kabuto_types::{Artifact, ArtifactKind, FileEntry, FileKind, Inventory, Warning, WarningCode};
use rayon::prelude::*;
use rustix::fs::{FileType, OFlags, fstat};
use rustix::io::Errno;

use crate::aliases::SeenWants;
use crate::collect::{Analyzers, Extent, FileFindings, assemble, too_large};
use crate::extra::{self, FileScanner, ScanOutput};
use crate::{InventoryError, Progress, ScanOptions};
use fd_walk::{Found, Kind, Meta};
use in_root::{Follow, RootDir};

/// Kernel-provided trees that hold no installed software and can be huge or endless.
const VIRTUAL_ROOTFS_DIRS: [&str; 3] = ["proc", "sys", "dev"];

/// Symlinks remembered for following after the walk; a host's `/` has about 10,000.
const MAX_FOLLOWED_LINKS: usize = 1_000_000;

/// A file some analyzer or scanner wants, found by the walk.
struct Candidate {
    relative: String,
    analyzers: Vec<usize>,
    /// How much of the file the analyzers read.
    extent: Extent,
    scanners: Vec<usize>,
    /// What the walk saw; the file opened later must match it.
    meta: Meta,
    /// [`Follow::InRoot`] for a name through a symlink.
    follow: Follow,
    /// Wanted by nobody for its name or mode, but scanners want to see this many of its
    /// first bytes (0: the file is wanted as it is).
    head_len: usize,
}

/// What the walk of a directory collects.
#[derive(Default)]
struct Collected {
    candidates: Vec<Candidate>,
    special_files: Vec<FileEntry>,
    executables: Vec<String>,
    warnings: Vec<Warning>,
    /// Symlinks met by the walk, followed once it is done.
    symlinks: Vec<String>,
    /// Symlinks past [`MAX_FOLLOWED_LINKS`], not followed.
    symlinks_dropped: usize,
    /// The analyzers that see each file (by device and inode), so that another name of
    /// the same file adds only the others.
    seen: SeenWants<(u64, u64)>,
    /// Entries walked.
    entries: usize,
}

/// Scans the directory `root` as an artifact of `kind` (`Rootfs` or `Filesystem`).
///
/// Symlinks are followed only inside `root`, as if it were `/` (a root filesystem's
/// absolute links mean its own files, never the host's).
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
    let directory_error = |source: std::io::Error| InventoryError::Directory {
        path: root.display().to_string(),
        source,
    };
    let root_dir = RootDir::open(root).map_err(directory_error)?;
    let top = root_dir
        .open_at("", OFlags::RDONLY | OFlags::DIRECTORY, Follow::Never)
        .map_err(|e| directory_error(e.into()))?;
    let analyzers = Analyzers::new(options);
    let mut collected = Collected::default();
    let skip_virtual = kind == ArtifactKind::Rootfs;
    let skip_dir = |path: &str, depth: usize| {
        skip_virtual && depth == 1 && VIRTUAL_ROOTFS_DIRS.contains(&path)
    };
    let _ = fd_walk::walk(top, "", &skip_dir, &mut |item| {
        if options.cancel.is_cancelled() {
            return std::ops::ControlFlow::Break(());
        }
        match item {
            Ok(found) => collected.add(&found, &analyzers, scanners, options),
            Err((path, e)) => collected.warnings.push(Warning::new(
                WarningCode::FileUnreadable,
                if path.is_empty() {
                    root.display().to_string()
                } else {
                    path.to_owned()
                },
                format!("cannot read: {e}"),
            )),
        }
        std::ops::ControlFlow::Continue(())
    });
    options.cancel.check()?;
    links::follow_symlinks(&root_dir, &analyzers, options, &mut collected);
    let Collected {
        candidates,
        special_files,
        mut executables,
        mut warnings,
        ..
    } = collected;
    executables.sort();

    progress.start(candidates.iter().map(|c| c.meta.size).sum());
    let per_file: Vec<_> = candidates
        .par_iter()
        .filter_map(|c| {
            if options.cancel.is_cancelled() {
                return None;
            }
            let per_file = match read_candidate(&root_dir, c, scanners) {
                Ok(Some((content, scanning))) => {
                    let (content_findings, file_warnings) =
                        extra::scan_content(scanners, &scanning, &c.relative, &content, None, "");
                    let file = FileInput {
                        path: &c.relative,
                        content: &content,
                    };
                    let found = analyzers.analyze(&c.analyzers, file, c.extent, None, "");
                    Some((found, content_findings, file_warnings))
                }
                // The peek showed nothing of interest; or a file nobody wanted by name is
                // unreadable (a host's root-only files), which is not worth a warning.
                Ok(None) => None,
                Err(_) if c.head_len > 0 => None,
                Err(e) => {
                    let unreadable = FileFindings {
                        path: c.relative.clone(),
                        warnings: vec![Warning::new(
                            WarningCode::FileUnreadable,
                            &c.relative,
                            format!("cannot read: {e}"),
                        )],
                        ..Default::default()
                    };
                    Some((unreadable, Vec::new(), Vec::new()))
                }
            };
            progress.advance(c.meta.size);
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
        executables,
    })
}

impl Collected {
    /// Takes in one entry of the walk.
    fn add(
        &mut self,
        found: &Found<'_>,
        analyzers: &Analyzers,
        scanners: &[&dyn FileScanner],
        options: &ScanOptions,
    ) {
        self.entries += 1;
        let (meta, is_dir) = match found.kind {
            Kind::Symlink if self.symlinks.len() < MAX_FOLLOWED_LINKS => {
                self.symlinks.push(found.path.to_owned());
                return;
            }
            Kind::Symlink => {
                self.symlinks_dropped += 1;
                return;
            }
            Kind::File(meta) => (meta, false),
            Kind::Dir(meta) => (meta, true),
        };
        if extra::is_special(meta.mode) {
            self.special_files.push(FileEntry {
                path: found.path.to_owned(),
                kind: if is_dir {
                    FileKind::Dir
                } else {
                    FileKind::File
                },
                mode: meta.mode,
                uid: u64::from(meta.uid),
                gid: u64::from(meta.gid),
                layer: None,
            });
        }
        if is_dir {
            return;
        }
        if extra::is_executable(meta.mode) {
            self.executables.push(found.path.to_owned());
        }
        let file_meta = FileMeta {
            size: meta.size,
            mode: meta.mode,
        };
        let wanting = analyzers.wanting(found.path, &file_meta);
        let scanning = extra::wanting(scanners, found.path, &file_meta);
        if !wanting.is_empty() {
            self.seen.record(meta.id, &wanting);
        }
        let mut head_len = 0;
        if wanting.is_empty() && scanning.is_empty() {
            head_len = extra::head_len(scanners, found.path, &file_meta);
            if head_len == 0 || meta.size > options.max_file_size {
                return;
            }
        }
        self.push(
            Candidate {
                relative: found.path.to_owned(),
                analyzers: wanting,
                scanners: scanning,
                extent: Extent::Whole,
                meta,
                follow: Follow::Never,
                head_len,
            },
            analyzers,
            options,
        );
    }

    /// Adds a file to read. Over the size limit, only package databases are read (their
    /// first bytes), with a warning if some analyzer or scanner misses the file.
    fn push(&mut self, mut candidate: Candidate, analyzers: &Analyzers, options: &ScanOptions) {
        let (size, limit) = (candidate.meta.size, options.max_file_size);
        if size > limit {
            let reading = analyzers.for_size(std::mem::take(&mut candidate.analyzers), size, limit);
            if reading.skips_some || !candidate.scanners.is_empty() {
                self.warnings
                    .push(too_large(candidate.relative.clone(), size, limit));
            }
            if reading.analyzers.is_empty() {
                return;
            }
            candidate.scanners.clear();
            candidate.analyzers = reading.analyzers;
            candidate.extent = reading.extent;
        }
        self.candidates.push(candidate);
    }
}

/// Reads a candidate and returns its content with the scanners to run on it; `None` when a
/// peek at its first bytes shows that no scanner wants it after all.
fn read_candidate(
    root: &RootDir,
    candidate: &Candidate,
    scanners: &[&dyn FileScanner],
) -> std::io::Result<Option<(Vec<u8>, Vec<usize>)>> {
    let mut file = open_candidate(root, candidate)?;
    if candidate.head_len == 0 {
        // A package database over the size limit is read only as far as its extent says.
        let len = candidate.extent.read_len(candidate.meta.size);
        let mut content = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        Read::take(&mut file, len).read_to_end(&mut content)?;
        return Ok(Some((content, candidate.scanners.clone())));
    }
    let mut content = Vec::new();
    Read::take(&mut file, candidate.head_len as u64).read_to_end(&mut content)?;
    let meta = FileMeta {
        size: candidate.meta.size,
        mode: candidate.meta.mode,
    };
    let scanning = extra::wanting_head(scanners, &candidate.relative, &meta, &content);
    if scanning.is_empty() {
        return Ok(None);
    }
    file.read_to_end(&mut content)?;
    Ok(Some((content, scanning)))
}

/// Opens a candidate below the root and checks that it is the regular file the walk saw
/// (same device, inode and size); reads stop at that size.
fn open_candidate(
    root: &RootDir,
    candidate: &Candidate,
) -> std::io::Result<std::io::Take<std::fs::File>> {
    let file = match root.open_read(&candidate.relative, candidate.follow) {
        Ok(file) => file,
        Err(Errno::LOOP) if candidate.follow == Follow::Never => {
            return Err(changed("a symbolic link is now on its path"));
        }
        Err(e) => return Err(e.into()),
    };
    let stat = fstat(&file)?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(changed("it is no longer a regular file"));
    }
    let now = Meta::of(&stat);
    if now.id != candidate.meta.id || now.size != candidate.meta.size {
        return Err(changed("it is no longer the file first seen"));
    }
    Ok(file.take(candidate.meta.size))
}

fn changed(what: &str) -> std::io::Error {
    std::io::Error::other(format!("changed while being scanned ({what}); not read"))
}
