//! Where image bytes come from: a `docker save` archive, an OCI image layout (directory or
//! tar), or a registry. Every source yields the same thing: [`ImageMetadata`] (digests,
//! config, history, layers) and a way to stream each layer blob as stored.
//!
//! Root filesystem and project directories are not images; `kabuto-inventory` walks them
//! directly.

pub mod local;
pub mod registry;

pub use local::open_local;

use std::io::Read;

use kabuto_types::ImageMetadata;

/// Why an image could not be read. Every variant names the image and the part that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    #[error("{image}: {source}")]
    Io {
        image: String,
        #[source]
        source: std::io::Error,
    },
    /// Reading one member of an archive or layout (a blob, a layer) failed.
    #[error("{image}: {member}: {source}")]
    Member {
        image: String,
        member: String,
        #[source]
        source: std::io::Error,
    },
    /// A manifest, index or config is not valid, or points to something that is not there.
    #[error("{image}: {what}: {message}")]
    Invalid {
        image: String,
        what: String,
        message: String,
    },
    /// The bytes of a blob do not hash to the digest that names them.
    #[error("{image}: blob {expected} has digest {actual}")]
    DigestMismatch {
        image: String,
        expected: String,
        actual: String,
    },
    /// A registry answered with an error, or could not be reached.
    #[error("{image}: registry: {message}")]
    Registry { image: String, message: String },
    /// A registry answered `step` (e.g. `manifest latest`, `token from <realm>`) with an
    /// HTTP error status; 401/403 mean missing or rejected credentials.
    #[error("{image}: registry: {step}: HTTP {status} {message}")]
    RegistryStatus {
        image: String,
        step: String,
        status: u16,
        message: String,
    },
}

/// An opened image: metadata read eagerly, layers streamed on demand.
///
/// `open_layer` may be called from several threads at once, once per layer, so layers can
/// be decompressed and analyzed in parallel.
pub trait ImageSource: Send + Sync {
    /// The image as the user named it (path or reference), for messages.
    fn name(&self) -> &str;
    fn metadata(&self) -> &ImageMetadata;
    /// Streams layer `index` (0 = base, in `metadata().layers` order) as stored: gzip, zstd
    /// or plain tar. The reader detects nothing; `kabuto-layers` sniffs the compression.
    fn open_layer(&self, index: usize) -> Result<Box<dyn Read + Send + '_>, SourceError>;
}
