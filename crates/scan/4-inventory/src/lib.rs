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
pub use extra::{FileFinding, FileScanner, ScanOutput, SpecialFile};
pub use image::{scan_image, scan_image_with};

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
}

impl ScanOptions {
    /// The defaults for scanning an artifact of `kind`.
    pub fn for_kind(kind: ArtifactKind) -> Self {
        ScanOptions {
            max_file_size: 512 * 1024 * 1024,
            include_declared: kind == ArtifactKind::Filesystem,
            analyze_packages: true,
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
}
