//! The database as a signed OCI artifact in a registry: [`publish`] pushes it, [`pull`]
//! downloads, verifies and installs it.
//!
//! The artifact is an OCI image manifest with `artifactType` [`ARTIFACT_TYPE`], the empty
//! config (`{}`), and two layers: the database file ([`DB_LAYER_MEDIA_TYPE`]) and its detached
//! signature ([`SIGNATURE_MEDIA_TYPE`], see [`crate::signature`]). Annotations carry the build
//! time (`org.opencontainers.image.created`), the sources (a JSON array) and the format
//! version, so `skopeo inspect` or `oras manifest fetch` tell what a tag holds.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use kabuto_source::SourceError;
use kabuto_source::registry::{
    BlobSource, Descriptor, ImageReference, PushBlob, RegistryOptions, blob_read_error,
    open_artifact, push_artifact,
};
use kabuto_types::Digest;

use crate::db::{Database, DbError, DbInfo, MAX_DATABASE_BYTES};
use crate::manage::{self, ManageError};
use crate::signature::{
    DbSignature, FileDigest, MAX_SIGNATURE_BYTES, PublicKey, SigningKey, VerifyError,
};

pub const ARTIFACT_TYPE: &str = "application/vnd.kabuto.db.v1";
pub const DB_LAYER_MEDIA_TYPE: &str = "application/vnd.kabuto.db.layer.v1";
pub const SIGNATURE_MEDIA_TYPE: &str = "application/vnd.kabuto.db.signature.v1+json";
pub const ANNOTATION_CREATED: &str = "org.opencontainers.image.created";
pub const ANNOTATION_SOURCES: &str = "dev.kabuto.db.sources";
pub const ANNOTATION_FORMAT_VERSION: &str = "dev.kabuto.db.format-version";
/// Where `kabuto db update` pulls from when not told otherwise: a host the project would own
/// (`.example` until it does).
pub const DEFAULT_DB_REFERENCE: &str = "oci://registry.kabuto.example/kabuto/db:1";
const SCHEME: &str = "oci://";

#[derive(Debug, thiserror::Error)]
pub enum DistributeError {
    #[error("`{reference}` is not a database artifact reference: {message}")]
    Reference { reference: String, message: String },
    #[error(transparent)]
    Registry(#[from] SourceError),
    #[error("{reference}: not a Kabuto database artifact: {message}")]
    NotADatabase { reference: String, message: String },
    #[error(
        "{reference}: the database layer is {size} bytes, over the {MAX_DATABASE_BYTES}-byte limit"
    )]
    TooLarge { reference: String, size: u64 },
    #[error("{reference}: cannot write the download to {path}: {source}")]
    Download {
        reference: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Signature(#[from] VerifyError),
    #[error(transparent)]
    Install(#[from] ManageError),
}

/// `oci://REGISTRY/REPOSITORY:TAG` (or `@sha256:..`): where a database artifact lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbReference {
    text: String,
    image: ImageReference,
}

impl DbReference {
    /// Parses `oci://host[:port]/repository[:tag|@digest]`; the registry host is required.
    pub fn parse(text: &str) -> Result<Self, DistributeError> {
        let fail = |message: String| DistributeError::Reference {
            reference: text.to_owned(),
            message,
        };
        let rest = text
            .strip_prefix(SCHEME)
            .ok_or_else(|| fail(format!("it does not start with `{SCHEME}`")))?;
        let image = ImageReference::parse(rest).map_err(|e| fail(e.to_string()))?;
        if !rest.starts_with(&format!("{}/", image.registry())) {
            return Err(fail(
                "it names no registry host (oci://HOST/REPOSITORY:TAG)".into(),
            ));
        }
        Ok(Self {
            text: text.to_owned(),
            image,
        })
    }

    /// [`DEFAULT_DB_REFERENCE`].
    pub fn default_reference() -> Self {
        Self::parse(DEFAULT_DB_REFERENCE)
            .unwrap_or_else(|e| unreachable!("the default reference parses: {e}"))
    }

    pub fn image(&self) -> &ImageReference {
        &self.image
    }
}

impl std::fmt::Display for DbReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// What [`publish`] pushed.
#[derive(Debug, Clone)]
pub struct Published {
    pub manifest_digest: Digest,
    pub db_digest: FileDigest,
    /// The signing key's id, when signed.
    pub key_id: Option<String>,
    pub info: DbInfo,
}

/// Checks the database at `db` completely, signs it with `key` (unsigned without one, which
/// [`pull`] refuses unless told to skip the check) and pushes it to `to`.
pub fn publish(
    db: &Path,
    key: Option<&SigningKey>,
    to: &DbReference,
    options: &RegistryOptions,
) -> Result<Published, DistributeError> {
    let database = Database::open(db)?;
    database.check_records()?;
    let info = database.info().clone();
    // The bytes signed are the bytes pushed, read once.
    let bytes = database.into_bytes();
    let db_digest = FileDigest::of_bytes(&bytes);
    let signature = key.map(|key| key.sign_digest(&db_digest).to_json());
    let mut layers = vec![PushBlob {
        media_type: DB_LAYER_MEDIA_TYPE,
        source: BlobSource::Bytes(&bytes),
    }];
    if let Some(signature) = &signature {
        layers.push(PushBlob {
            media_type: SIGNATURE_MEDIA_TYPE,
            source: BlobSource::Bytes(signature.as_bytes()),
        });
    }
    let manifest_digest = push_artifact(
        to.image(),
        options,
        ARTIFACT_TYPE,
        &layers,
        &annotations(&info),
    )?;
    Ok(Published {
        manifest_digest,
        db_digest,
        key_id: key.map(|key| key.public_key().key_id()),
        info,
    })
}

fn annotations(info: &DbInfo) -> BTreeMap<String, String> {
    let sources = serde_json::to_string(&info.sources)
        .unwrap_or_else(|e| unreachable!("strings always serialize: {e}"));
    BTreeMap::from([
        (
            ANNOTATION_CREATED.to_owned(),
            info.built_at.as_str().to_owned(),
        ),
        (ANNOTATION_SOURCES.to_owned(), sources),
        (
            ANNOTATION_FORMAT_VERSION.to_owned(),
            info.format_version.to_string(),
        ),
    ])
}

/// How [`pull`] checks the signature. The digest and size of every blob are checked always.
#[derive(Debug, Clone, Copy)]
pub enum Verification<'a> {
    /// The signature layer must be `key`'s over the database layer's digest.
    Key(&'a PublicKey),
    /// `--insecure-skip-verify`: no signature needed.
    SkipSignature,
}

/// What [`pull`] installed.
#[derive(Debug, Clone)]
pub struct Pulled {
    pub manifest_digest: Digest,
    pub db_digest: FileDigest,
    /// The key the signature verified with; `None` when the check was skipped.
    pub verified_key_id: Option<String>,
    pub info: DbInfo,
}

/// Downloads the database artifact at `from` next to `target` (checking its digest and size
/// while streaming), verifies its signature as `verification` says, and installs it at
/// `target` atomically. On any failure the file at `target` stays as it was.
pub fn pull(
    from: &DbReference,
    options: &RegistryOptions,
    verification: Verification<'_>,
    target: &Path,
) -> Result<Pulled, DistributeError> {
    let reference = from.to_string();
    let not_a_database = |message: String| DistributeError::NotADatabase {
        reference: reference.clone(),
        message,
    };
    let artifact = open_artifact(from.image(), options)?;
    if artifact.artifact_type.as_deref() != Some(ARTIFACT_TYPE) {
        return Err(not_a_database(format!(
            "artifactType is `{}`, not `{ARTIFACT_TYPE}`",
            artifact.artifact_type.as_deref().unwrap_or_default()
        )));
    }
    let db_layer = only_layer(&artifact.layers, DB_LAYER_MEDIA_TYPE)
        .map_err(&not_a_database)?
        .ok_or_else(|| not_a_database(format!("no `{DB_LAYER_MEDIA_TYPE}` layer")))?;
    let signature_layer =
        only_layer(&artifact.layers, SIGNATURE_MEDIA_TYPE).map_err(&not_a_database)?;
    let db_digest = FileDigest::parse(db_layer.digest.as_str())
        .map_err(|e| not_a_database(format!("database layer: {e}")))?;
    if db_layer.size > MAX_DATABASE_BYTES {
        return Err(DistributeError::TooLarge {
            reference,
            size: db_layer.size,
        });
    }
    // What verification failures name: the layer in the registry.
    let shown = PathBuf::from(format!("{reference}@{}", db_layer.digest));
    let verified_key_id = match verification {
        Verification::SkipSignature => None,
        Verification::Key(key) => {
            let layer = signature_layer.ok_or_else(|| VerifyError::NoSignature {
                db: shown.clone(),
                signature: format!("a `{SIGNATURE_MEDIA_TYPE}` layer"),
            })?;
            let bytes = artifact.blob_bytes("signature", layer, MAX_SIGNATURE_BYTES)?;
            let signature =
                DbSignature::parse(&bytes).map_err(|message| VerifyError::Malformed {
                    db: shown.clone(),
                    signature: format!("layer {}", layer.digest),
                    message,
                })?;
            // Checked before the download: the download's digest is the layer's, or it fails.
            signature.verify(&shown, &db_digest, key)?;
            Some(key.key_id())
        }
    };
    let download = download_next_to(target, &reference, |file| {
        let mut blob = artifact.blob("database", db_layer)?;
        std::io::copy(&mut blob, file)
            .map_err(|e| DistributeError::Registry(blob_read_error(e, &reference, "database")))
    })?;
    let info = manage::update_from_path(download.path(), &db_digest.hex(), target)?;
    Ok(Pulled {
        manifest_digest: artifact.digest.clone(),
        db_digest,
        verified_key_id,
        info,
    })
}

/// The one layer of `media_type`, if any; two are an error.
fn only_layer<'a>(
    layers: &'a [Descriptor],
    media_type: &str,
) -> Result<Option<&'a Descriptor>, String> {
    let mut matching = layers
        .iter()
        .filter(|layer| layer.media_type.as_deref() == Some(media_type));
    let first = matching.next();
    if matching.next().is_some() {
        return Err(format!("more than one `{media_type}` layer"));
    }
    Ok(first)
}

/// A temporary file in `target`'s directory (so the final rename stays on one file system),
/// filled by `fill`; removed when dropped.
fn download_next_to(
    target: &Path,
    reference: &str,
    fill: impl FnOnce(&mut std::fs::File) -> Result<u64, DistributeError>,
) -> Result<tempfile::NamedTempFile, DistributeError> {
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let failed = |path: &Path, source| DistributeError::Download {
        reference: reference.to_owned(),
        path: path.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| failed(dir, e))?;
    let mut download = tempfile::Builder::new()
        .prefix(".kabuto-db-download")
        .tempfile_in(dir)
        .map_err(|e| failed(dir, e))?;
    fill(download.as_file_mut())?;
    download.as_file_mut().flush().map_err(|e| failed(dir, e))?;
    Ok(download)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_need_the_scheme_and_a_registry_host() {
        let default = DbReference::default_reference();
        assert_eq!(default.image().registry(), "registry.kabuto.example");
        assert_eq!(default.image().repository(), "kabuto/db");
        assert_eq!(default.to_string(), DEFAULT_DB_REFERENCE);
        let pinned = DbReference::parse(
            "oci://127.0.0.1:5000/mirror/db@sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        )
        .unwrap();
        assert!(pinned.image().digest().is_some());
        for (bad, why) in [
            (
                "registry.kabuto.example/kabuto/db:1",
                "does not start with `oci://`",
            ),
            ("oci://kabuto/db:1", "names no registry host"),
            ("oci://host.example/Bad:1", "lowercase"),
        ] {
            let err = DbReference::parse(bad).unwrap_err().to_string();
            assert!(err.contains(why) && err.contains(bad), "{bad}: {err}");
        }
    }
}
