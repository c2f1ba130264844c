//! Streams image layers (gzip, zstd, plain tar), applies whiteouts and squashes them into
//! one file tree.
//!
//! Two steps, so layers can be walked in parallel and squashed in order afterwards:
//!
//! 1. [`walk_layer`] streams one layer blob, entry by entry, never touching the disk. Each
//!    [`Entry`] has a normalized image-relative path (a `..` that would climb above the
//!    root is clamped there), its [`EntryKind`] (whiteouts and opaque directories
//!    recognised), metadata and a bounded content reader. [`Limits`] bound the
//!    decompressed size, the entry count and the bytes read per file.
//! 2. [`LayerChanges::record`] collects a layer's entries during its walk;
//!    [`FileTree::apply`] applies the layers base-first, and the tree answers which layer
//!    provides a path ([`FileTree::get`]) and where a link leads ([`FileTree::resolve`]).
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use kabuto_layers::{walk_layer, EntryKind, FileTree, LayerChanges, WalkOptions};
//! let mut tree = FileTree::new();
//! for (index, blob) in ["l0.tar.gz", "l1.tar.zst"].iter().enumerate() {
//!     let mut changes = LayerChanges::new();
//!     walk_layer(std::fs::File::open(blob)?, &WalkOptions::default(), |entry, content| {
//!         changes.record(entry);
//!         if entry.kind == EntryKind::File && entry.path == "etc/os-release" {
//!             std::io::copy(content, &mut std::io::stdout())?;
//!         }
//!         Ok::<_, std::io::Error>(())
//!     })?;
//!     tree.apply(index, changes);
//! }
//! println!("{:?}", tree.resolve("bin/sh")?.node.layer);
//! # Ok(()) }
//! ```

mod path;
mod tree;
mod walk;

pub use tree::{AliasReport, FileTree, LayerChanges, Node, NodeKind, ResolveError, Resolved};
pub use walk::{
    Compression, Entry, EntryKind, LayerError, LayerStats, Limits, WalkOptions, walk_layer,
};
