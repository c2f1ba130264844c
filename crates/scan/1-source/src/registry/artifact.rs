//! OCI artifacts: an image manifest with an `artifactType`, the empty config (`{}`) and
//! layers of any media type, pushed and pulled over the distribution API.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use kabuto_types::{Digest, ImageReference};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::client::{Body, RegistryClient};
use super::manifest::{Descriptor, OCI_MANIFEST};
use super::{RegistryOptions, client_for};
use crate::SourceError;

/// The config of an artifact that has none: the two bytes `{}`.
pub const EMPTY_CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
const EMPTY_CONFIG: &[u8] = b"{}";

/// Where a layer's bytes come from when pushing.
#[derive(Debug, Clone, Copy)]
pub enum BlobSource<'a> {
    Bytes(&'a [u8]),
    /// Streamed from the file (hashed first, then uploaded).
    File(&'a Path),
}

/// One layer to push.
#[derive(Debug, Clone, Copy)]
pub struct PushBlob<'a> {
    pub media_type: &'a str,
    pub source: BlobSource<'a>,
}

/// The manifest as pushed and as read back.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawArtifactManifest {
    schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    artifact_type: Option<String>,
    config: PushedDescriptor,
    layers: Vec<PushedDescriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PushedDescriptor {
    media_type: String,
    digest: Digest,
    size: u64,
}

impl From<PushedDescriptor> for Descriptor {
    fn from(pushed: PushedDescriptor) -> Self {
        Descriptor {
            media_type: Some(pushed.media_type),
            digest: pushed.digest,
            size: pushed.size,
            platform: None,
        }
    }
}

/// Pushes `layers` as an artifact of `artifact_type` under `reference` (its tag, or its
/// digest); blobs the repository has already are not uploaded again. Returns the manifest's
/// digest. Token servers are asked for `pull,push`.
pub fn push_artifact(
    reference: &ImageReference,
    options: &RegistryOptions,
    artifact_type: &str,
    layers: &[PushBlob<'_>],
    annotations: &BTreeMap<String, String>,
) -> Result<Digest, SourceError> {
    let client = client_for(reference.original(), reference, options)?.for_push();
    let config = push_blob(
        &client,
        EMPTY_CONFIG_MEDIA_TYPE,
        BlobSource::Bytes(EMPTY_CONFIG),
    )?;
    let layers = layers
        .iter()
        .map(|layer| push_blob(&client, layer.media_type, layer.source))
        .collect::<Result<Vec<_>, _>>()?;
    let manifest = RawArtifactManifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.to_owned()),
        artifact_type: Some(artifact_type.to_owned()),
        config,
        layers,
        annotations: annotations.clone(),
    };
    let bytes = serde_json::to_vec(&manifest)
        .unwrap_or_else(|e| unreachable!("a manifest of strings always serializes: {e}"));
    client.put_manifest(reference.manifest_reference(), OCI_MANIFEST, &bytes)
}

fn push_blob(
    client: &RegistryClient,
    media_type: &str,
    source: BlobSource<'_>,
) -> Result<PushedDescriptor, SourceError> {
    let (digest, size, body) = match source {
        BlobSource::Bytes(bytes) => (
            Digest::sha256_of(bytes),
            bytes.len() as u64,
            Body::Bytes(bytes),
        ),
        BlobSource::File(path) => {
            let (digest, size) = digest_file(path).map_err(|e| SourceError::Io {
                image: path.display().to_string(),
                source: e,
            })?;
            (digest, size, Body::File(path))
        }
    };
    if !client.has_blob(&digest)? {
        client.upload_blob(&digest, &body)?;
    }
    Ok(PushedDescriptor {
        media_type: media_type.to_owned(),
        digest,
        size,
    })
}

fn digest_file(path: &Path) -> std::io::Result<(Digest, u64)> {
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok((Digest::from_sha256_bytes(hasher.finalize().into()), size))
}

/// A pulled artifact manifest; blobs are fetched on demand and verified as they are read.
pub struct Artifact {
    name: String,
    client: RegistryClient,
    /// The manifest's digest.
    pub digest: Digest,
    pub artifact_type: Option<String>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
    pub annotations: BTreeMap<String, String>,
}

/// Fetches the manifest `reference` names, which must be an OCI image manifest (an
/// artifact), not an index.
pub fn open_artifact(
    reference: &ImageReference,
    options: &RegistryOptions,
) -> Result<Artifact, SourceError> {
    let name = reference.original();
    let client = client_for(name, reference, options)?;
    let fetched = client.manifest(reference.manifest_reference())?;
    let invalid = |message: String| SourceError::Invalid {
        image: name.to_owned(),
        what: format!("manifest {}", fetched.digest),
        message,
    };
    let raw: RawArtifactManifest = serde_json::from_slice(&fetched.bytes)
        .map_err(|e| invalid(format!("not an OCI artifact manifest: {e}")))?;
    let media_type = raw
        .media_type
        .as_deref()
        .or(fetched.content_type.as_deref())
        .unwrap_or_default();
    if raw.schema_version != 2 || media_type != OCI_MANIFEST {
        return Err(invalid(format!(
            "not an OCI image manifest (schemaVersion {}, media type `{media_type}`)",
            raw.schema_version
        )));
    }
    Ok(Artifact {
        name: name.to_owned(),
        client,
        digest: fetched.digest,
        artifact_type: raw.artifact_type,
        config: raw.config.into(),
        layers: raw.layers.into_iter().map(Descriptor::from).collect(),
        annotations: raw.annotations,
    })
}

impl Artifact {
    /// The reference as the caller wrote it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Streams a blob; reading fails at the end if its bytes do not match `descriptor`'s
    /// digest and size (with [`SourceError::DigestMismatch`] inside the I/O error).
    pub fn blob(
        &self,
        what: &str,
        descriptor: &Descriptor,
    ) -> Result<impl Read + Send + use<'_>, SourceError> {
        self.client.blob(what, descriptor)
    }

    /// A whole small blob, verified; larger than `max` bytes is an error.
    pub fn blob_bytes(
        &self,
        what: &str,
        descriptor: &Descriptor,
        max: u64,
    ) -> Result<Vec<u8>, SourceError> {
        self.client.blob_bytes(what, descriptor, max)
    }
}

/// A [`SourceError`] put into an I/O error by a blob reader, or the I/O error itself.
pub fn blob_read_error(error: std::io::Error, image: &str, what: &str) -> SourceError {
    super::client::into_source_error(error, image, what)
}
