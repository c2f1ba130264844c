//! Runs the analyzers over an artifact and assembles its [`Inventory`].
//!
//! Data flow: files (from a directory walk, or streamed out of image layers) -> each file the
//! registry's analyzers [`want`](kabuto_catalog::Analyzer::wants) is read once and handed to
//! them -> per-file results are kept with their origin (layer, path) -> for images, only
//! results from files visible in the squashed filesystem survive (so a package database
//! rewritten or deleted by a later layer does not leak old packages) -> OS detection, purl
//! qualification, stable sort.

mod aliases;
mod collect;
mod dir;
mod extra;
mod image;
mod links;

pub use dir::{scan_directory, scan_directory_with};
pub use extra::{FileFinding, FileScanner, ScanOutput};
pub use image::{scan_image, scan_image_with};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use kabuto_types::ArtifactKind;

/// Knobs shared by every scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files larger than this are not read by analyzers (a warning names them).
    pub max_file_size: u64,
    /// Run analyzers of declared packages (lockfiles, manifests) too. Project scans do;
    /// image and rootfs scans report what is installed, as Trivy and Syft do.
    pub include_declared: bool,
    /// Run the package analyzers at all; off when only content scanners are wanted
    /// (`kabuto config`).
    pub analyze_packages: bool,
    /// Stops the scan with [`InventoryError::Cancelled`] once set; checked between files
    /// and layers.
    pub cancel: Cancel,
}

impl ScanOptions {
    /// The defaults for scanning an artifact of `kind`.
    pub fn for_kind(kind: ArtifactKind) -> Self {
        ScanOptions {
            max_file_size: 512 * 1024 * 1024,
            include_declared: kind == ArtifactKind::Filesystem,
            analyze_packages: true,
            cancel: Cancel::default(),
        }
    }
}

/// A flag a front end sets to stop a running scan (a server shutting down, a client that
/// went away). Clones share the flag, so one is kept by the caller and one travels with the
/// scan.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Self {
        Cancel::default()
    }

    /// Asks every scan holding this flag (or a clone of it) to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` once the flag is set.
    pub fn check(&self) -> Result<(), InventoryError> {
        if self.is_cancelled() {
            Err(InventoryError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// For walk callbacks that can only fail with an I/O error: the walk stops, and the
    /// caller turns the error into [`InventoryError::Cancelled`] with [`Cancel::or`].
    pub(crate) fn check_io(&self) -> std::io::Result<()> {
        if self.is_cancelled() {
            Err(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "the scan was cancelled",
            ))
        } else {
            Ok(())
        }
    }

    /// `error`, unless the scan was cancelled meanwhile (which is then why it failed).
    pub(crate) fn or(&self, error: InventoryError) -> InventoryError {
        if self.is_cancelled() {
            InventoryError::Cancelled
        } else {
            error
        }
    }
}

/// Progress of a long scan, for a progress bar. Called from worker threads.
pub trait Progress: Sync {
    /// `total` units of work are known (layers for images, 0 when unknown).
    fn start(&self, total: u64);
    /// One unit (a layer, or a batch of files) is done.
    fn advance(&self, done: u64);
}

/// A [`Progress`] that ignores everything, for pipelines and tests.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _total: u64) {}
    fn advance(&self, _done: u64) {}
}

/// Why an artifact could not be scanned at all. A single unreadable file is not an error:
/// it becomes a [`kabuto_types::Warning`] and the rest of the inventory is still reported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InventoryError {
    #[error(transparent)]
    Source(#[from] kabuto_source::SourceError),
    #[error("{image}: layer {index} ({diff_id}): {source}")]
    Layer {
        image: String,
        index: usize,
        diff_id: String,
        #[source]
        source: kabuto_layers::LayerError,
    },
    #[error("{path}: {source}")]
    Directory {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The caller's [`Cancel`] flag was set.
    #[error("the scan was cancelled")]
    Cancelled,
}
