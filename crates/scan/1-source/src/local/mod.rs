//! Images on disk: `docker save` archives (plain, gzip or zstd compressed, or unpacked into
//! a directory) and OCI image layouts (a directory, or a tar of one: oci-archive).
//!
//! [`open_local`] detects the format, reads and verifies the manifest and config eagerly,
//! and streams layers on demand straight out of the archive, without extracting anything.

mod docker;
mod oci;
mod store;

use std::io::Read;
use std::path::Path;

use kabuto_types::{Digest, ImageMetadata};
use sha2::{Digest as _, Sha512};

pub use docker::{DockerArchiveImage, parse_docker_manifest};
pub use oci::{LayoutEntry, parse_oci_index};

use crate::registry::{Descriptor, VerifyingReader};
use crate::{ImageSource, SourceError};
use store::Store;

/// Largest manifest, index or config read into memory.
const MAX_METADATA_BYTES: u64 = 64 << 20;

/// Opens the image at `path`: a directory holding `oci-layout` (OCI layout) or
/// `manifest.json` (unpacked docker-archive), or a tar, optionally gzip or zstd
/// compressed, holding either. `selector` picks one image when the archive or layout
/// holds several: a repo tag (`repo:tag`, `docker.io/library/` and `:latest` implied),
/// an OCI `org.opencontainers.image.ref.name` (usually just the tag), or a manifest
/// digest. Without it, an archive must hold exactly one image (a multi-platform index
/// resolves to the host's platform).
pub fn open_local(
    path: &Path,
    selector: Option<&str>,
) -> Result<Box<dyn ImageSource>, SourceError> {
    let store = Store::open(path)?;
    let image = if store.size(docker::MANIFEST)?.is_some() {
        docker::open(store, selector)?
    } else if store.size(oci::LAYOUT)?.is_some() {
        oci::open(store, selector)?
    } else {
        let what = if store.is_dir() {
            "directory"
        } else {
            "archive"
        };
        return Err(store.invalid(
            what,
            "not an image: it has neither manifest.json (docker-archive) nor oci-layout (OCI image layout)",
        ));
    };
    Ok(Box::new(image))
}

/// An image read from disk.
struct LocalImage {
    store: Store,
    metadata: ImageMetadata,
    layers: Vec<LayerBlob>,
}

/// Where a layer's blob is, and the descriptor to verify it against while it streams.
/// Verification is skipped when the blob digest is the diff ID (an uncompressed layer):
/// `kabuto-layers` verifies that one while decompressing, so it is hashed once.
struct LayerBlob {
    member: String,
    verify: Option<Descriptor>,
}

impl LayerBlob {
    fn new(member: String, blob: Option<Descriptor>, diff_id: &Digest) -> Self {
        LayerBlob {
            member,
            verify: blob.filter(|d| &d.digest != diff_id),
        }
    }
}

impl ImageSource for LocalImage {
    fn name(&self) -> &str {
        self.store.image()
    }

    fn metadata(&self) -> &ImageMetadata {
        &self.metadata
    }

    fn open_layer(&self, index: usize) -> Result<Box<dyn Read + Send + '_>, SourceError> {
        let blob = self.layers.get(index).ok_or_else(|| {
            self.store.invalid(
                &format!("layer {index}"),
                format!("the image has {} layers", self.layers.len()),
            )
        })?;
        let reader = self.store.open_member(&blob.member)?;
        Ok(match &blob.verify {
            Some(descriptor) => Box::new(VerifyingReader::new(
                reader,
                self.store.image().to_owned(),
                descriptor,
            )),
            None => reader,
        })
    }
}

/// Fails unless `bytes` hash to `expected` (sha256 or sha512).
fn check_digest(store: &Store, bytes: &[u8], expected: &Digest) -> Result<(), SourceError> {
    let actual = if expected.algorithm() == "sha512" {
        format!("sha512:{}", hex::encode(Sha512::digest(bytes)))
    } else {
        Digest::sha256_of(bytes).to_string()
    };
    if actual == expected.as_str() {
        Ok(())
    } else {
        Err(SourceError::DigestMismatch {
            image: store.image().to_owned(),
            expected: expected.to_string(),
            actual,
        })
    }
}

#[cfg(test)]
mod tests;
