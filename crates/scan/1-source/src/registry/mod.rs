//! Pulling images from a registry over the OCI distribution API.
//!
//! [`open_registry`] resolves a reference to one platform's manifest (following a
//! multi-arch index), reads the config eagerly and streams layer blobs on demand, each
//! verified against its digest while it is read. Auth: anonymous, basic, and the bearer
//! token flow (`WWW-Authenticate: Bearer realm=..`), with or without credentials.
//!
//! [`list_repositories`] and [`list_tags`] walk a registry's catalog and a repository's tags
//! page by page; [`PullSelection`] picks what of them to scan.
//!
//! [`push_artifact`] and [`open_artifact`] push and pull OCI artifacts (an image manifest
//! with an `artifactType`, the empty config and arbitrary layers), e.g. the vulnerability
//! database.

mod artifact;
mod auth;
mod client;
mod listing;
mod manifest;
mod platform;
mod selection;

use std::io::Read;
use std::path::PathBuf;

use kabuto_types::{DOCKER_HUB, Digest, ImageMetadata};

pub use artifact::{
    Artifact, BlobSource, EMPTY_CONFIG_MEDIA_TYPE, PushBlob, blob_read_error, open_artifact,
    push_artifact,
};
pub use auth::{
    BasicAuthError, BearerToken, Challenge, ChallengeError, Credentials, DockerConfigError,
    parse_www_authenticate,
};
pub use client::tls_config;
/// The reference type the registry pulls by (one parser for every crate).
pub use kabuto_types::ImageReference;
pub use listing::{DEFAULT_PAGE_SIZE, MAX_PAGE_BYTES, list_repositories, list_tags, registry_host};
pub use manifest::{Descriptor, ImageManifest, ManifestDocument, ManifestError, parse_manifest};
pub use platform::{Platform, PlatformError};
pub use selection::{PullSelection, PullSelectionSpec, SelectionError, version_order};

use crate::{ImageSource, SourceError, capped_list};
use auth::ClientAuth;
use client::RegistryClient;
// Also used by the local image formats (docker-archive, OCI layout) in `crate::local`.
pub(crate) use client::VerifyingReader;
pub(crate) use manifest::{is_image_config, metadata_from_config};
pub(crate) use platform::choose as choose_platform;

/// Largest config blob we read into memory.
const MAX_CONFIG_BYTES: u64 = 64 << 20;
/// Indexes may point to indexes; real ones nest at most once.
const MAX_INDEX_DEPTH: usize = 4;
/// Environment variables [`RegistryOptions::from_env`] reads credentials from.
pub const USERNAME_ENV: &str = "KABUTO_USERNAME";
pub const PASSWORD_ENV: &str = "KABUTO_PASSWORD";

/// How to reach a registry and what to pull from it.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Which entry of a multi-arch index to scan. `None` means linux on the host's
    /// architecture. When given, a single-platform image of another platform is an error.
    pub platform: Option<Platform>,
    /// A bearer token to send as it is (the token flow is not run); it takes precedence
    /// over `credentials` and `docker_config`.
    pub bearer_token: Option<BearerToken>,
    /// Credentials to use; they take precedence over `docker_config`.
    pub credentials: Option<Credentials>,
    /// A docker `config.json` to take the registry's `auths` entry from when
    /// `credentials` is `None`.
    pub docker_config: Option<PathBuf>,
    /// Speak plain HTTP instead of HTTPS. There is no "HTTPS without certificate checks"
    /// mode: for a private CA, give `ca_file`.
    pub insecure: bool,
    /// PEM file of extra CA certificates to trust besides the system and webpki roots.
    pub ca_file: Option<PathBuf>,
    /// A bound on each whole request (connect, send, read) instead of the defaults made for
    /// pulling large layers; an admission webhook answering within seconds sets it.
    pub timeout: Option<std::time::Duration>,
}

impl RegistryOptions {
    /// Credentials from `KABUTO_USERNAME`/`KABUTO_PASSWORD` when both are set, and docker's
    /// config file (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`) as fallback.
    pub fn from_env() -> Self {
        let credentials = match (std::env::var(USERNAME_ENV), std::env::var(PASSWORD_ENV)) {
            (Ok(username), Ok(password)) => Some(Credentials::new(username, password)),
            _ => None,
        };
        Self {
            credentials,
            docker_config: Credentials::default_docker_config_path(),
            ..Self::default()
        }
    }

    /// How to authenticate to `registry` (`host[:port]` as in an image reference); `name`
    /// is what error messages name.
    fn resolve_auth(&self, name: &str, registry: &str) -> Result<ClientAuth, SourceError> {
        if let Some(token) = &self.bearer_token {
            return Ok(ClientAuth::Token(token.clone()));
        }
        if let Some(credentials) = &self.credentials {
            return Ok(ClientAuth::Credentials(credentials.clone()));
        }
        let Some(path) = &self.docker_config else {
            return Ok(ClientAuth::Anonymous);
        };
        let found =
            Credentials::from_docker_config(path, registry).map_err(|e| SourceError::Registry {
                image: name.to_owned(),
                message: format!("credentials: {e}"),
            })?;
        Ok(found.map_or(ClientAuth::Anonymous, ClientAuth::Credentials))
    }
}

/// Opens `reference` (e.g. `alpine:3.19`, `localhost:5000/app@sha256:..`) in its registry.
pub fn open_registry(
    reference: &str,
    options: &RegistryOptions,
) -> Result<Box<dyn ImageSource>, SourceError> {
    let parsed = ImageReference::parse(reference)?;
    Ok(Box::new(RegistryImage::open(reference, &parsed, options)?))
}

/// The digest `reference` stands for in its registry: the digest it carries, else the one its
/// tag names now (a HEAD request; for a multi-platform image, the index's digest, which is what
/// a node pulls).
pub fn resolve_digest(
    reference: &ImageReference,
    options: &RegistryOptions,
) -> Result<Digest, SourceError> {
    if let Some(digest) = reference.digest() {
        return Ok(digest.clone());
    }
    let client = client_for(reference.original(), reference, options)?;
    client.manifest_digest(reference.manifest_reference())
}

/// The manifest digest of each `wanted` platform that `reference` offers, in `wanted`'s order:
/// what a scan of that platform records, so a scheduler can tell a known image from a new one
/// before pulling. A single-platform image is offered once, for the first wanted platform
/// (its config, which names its platform, is not read); an index answers for each wanted
/// platform it has an entry for, and is an error when it has none.
pub fn platform_manifests(
    reference: &ImageReference,
    options: &RegistryOptions,
    wanted: &[Platform],
) -> Result<Vec<(Platform, Digest)>, SourceError> {
    let name = reference.to_string();
    let client = client_for(&name, reference, options)?;
    let top = client.manifest(reference.manifest_reference())?;
    let document = parse_manifest(&top.bytes, top.content_type.as_deref()).map_err(|e| {
        SourceError::Invalid {
            image: name.clone(),
            what: format!("manifest {}", top.digest),
            message: e.to_string(),
        }
    })?;
    let entries = match document {
        ManifestDocument::Image(_) => {
            let first = wanted.first().cloned().unwrap_or_else(Platform::host);
            return Ok(vec![(first, top.digest)]);
        }
        ManifestDocument::Index(entries) => entries,
    };
    let platforms: Vec<Option<Platform>> = entries.iter().map(Descriptor::platform).collect();
    let found: Vec<(Platform, Digest)> = wanted
        .iter()
        .filter_map(|platform| {
            let chosen = platform::choose(platform, platforms.iter().map(Option::as_ref))?;
            Some((platform.clone(), entries[chosen].digest.clone()))
        })
        .collect();
    if found.is_empty() {
        let offered = platforms.iter().flatten().map(ToString::to_string);
        return Err(SourceError::Invalid {
            image: name,
            what: format!("manifest {}", top.digest),
            message: format!(
                "no image for platform {}; the index has: {}",
                capped_list(wanted.iter().map(ToString::to_string), ", "),
                capped_list(offered, ", ")
            ),
        });
    }
    Ok(found)
}

/// A client for `reference`'s repository; `name` is how the user wrote it, for messages.
fn client_for(
    name: &str,
    reference: &ImageReference,
    options: &RegistryOptions,
) -> Result<RegistryClient, SourceError> {
    RegistryClient::new(
        name.to_owned(),
        api_host(reference.registry()),
        reference.repository(),
        options.insecure,
        options.ca_file.as_deref(),
        options.resolve_auth(&reference.to_string(), reference.registry())?,
        options.timeout,
    )
}

/// The `host[:port]` that serves `registry`'s API: Docker Hub's is another host than its
/// name.
fn api_host(registry: &str) -> &str {
    const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";
    if registry == DOCKER_HUB {
        DOCKER_HUB_API_HOST
    } else {
        registry
    }
}

/// An image in a registry: manifest and config read, layers streamed on demand.
pub struct RegistryImage {
    name: String,
    reference: ImageReference,
    client: RegistryClient,
    metadata: ImageMetadata,
    layers: Vec<Descriptor>,
}

impl RegistryImage {
    /// `name` is how the user wrote the reference, used in messages.
    pub fn open(
        name: &str,
        reference: &ImageReference,
        options: &RegistryOptions,
    ) -> Result<Self, SourceError> {
        let client = client_for(name, reference, options)?;
        let invalid = |what: String, message: String| SourceError::Invalid {
            image: name.to_owned(),
            what,
            message,
        };
        let top = client.manifest(reference.manifest_reference())?;
        let repo_digest = format!("{}@{}", reference.familiar_name(), top.digest);
        let wanted = options.platform.clone().unwrap_or_else(Platform::host);
        let mut fetched = top;
        let mut depth = 0;
        let manifest = loop {
            let what = format!("manifest {}", fetched.digest);
            let document = parse_manifest(&fetched.bytes, fetched.content_type.as_deref())
                .map_err(|e| invalid(what.clone(), e.to_string()))?;
            let entries = match document {
                ManifestDocument::Image(manifest) => break manifest,
                ManifestDocument::Index(entries) => entries,
            };
            depth += 1;
            if depth > MAX_INDEX_DEPTH {
                return Err(invalid(what, "indexes nest too deep".into()));
            }
            let platforms: Vec<Option<Platform>> =
                entries.iter().map(Descriptor::platform).collect();
            let chosen = platform::choose(&wanted, platforms.iter().map(Option::as_ref))
                .ok_or_else(|| {
                    let offered = platforms.iter().flatten().map(ToString::to_string);
                    invalid(
                        what.clone(),
                        format!(
                            "no image for platform {wanted}; the index has: {}",
                            capped_list(offered, ", ")
                        ),
                    )
                })?;
            let entry = &entries[chosen];
            fetched = client.manifest(entry.digest.as_str())?;
        };
        let manifest_digest = fetched.digest;
        if !is_image_config(manifest.config.media_type.as_deref()) {
            return Err(invalid(
                format!("manifest {manifest_digest}"),
                format!(
                    "not a container image: config media type is {}",
                    manifest.config.media_type.as_deref().unwrap_or_default()
                ),
            ));
        }
        let config = client.blob_bytes("config", &manifest.config, MAX_CONFIG_BYTES)?;
        let mut metadata = metadata_from_config(&config, &manifest)
            .map_err(|message| invalid(format!("config {}", manifest.config.digest), message))?;
        if let (Some(requested), Some(os), Some(architecture)) =
            (&options.platform, &metadata.os, &metadata.architecture)
        {
            let actual = Platform::new(os, architecture, metadata.variant.as_deref());
            if platform::choose(requested, [Some(&actual)]).is_none() {
                return Err(invalid(
                    format!("manifest {manifest_digest}"),
                    format!("image is for platform {actual}, not the requested {requested}"),
                ));
            }
        }
        metadata.manifest_digest = Some(manifest_digest);
        metadata.repo_digests = vec![repo_digest];
        metadata.repo_tags = reference
            .tag()
            .map(|tag| format!("{}:{tag}", reference.familiar_name()))
            .into_iter()
            .collect();
        Ok(Self {
            name: name.to_owned(),
            reference: reference.clone(),
            client,
            metadata,
            layers: manifest.layers,
        })
    }

    pub fn reference(&self) -> &ImageReference {
        &self.reference
    }
}

impl ImageSource for RegistryImage {
    fn name(&self) -> &str {
        &self.name
    }

    fn metadata(&self) -> &ImageMetadata {
        &self.metadata
    }

    fn open_layer(&self, index: usize) -> Result<Box<dyn Read + Send + '_>, SourceError> {
        let descriptor = self.layers.get(index).ok_or_else(|| SourceError::Invalid {
            image: self.name.clone(),
            what: format!("layer {index}"),
            message: format!("the image has {} layers", self.layers.len()),
        })?;
        Ok(Box::new(self.client.blob("layer", descriptor)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_is_served_from_its_api_host() {
        let api = |text: &str| api_host(ImageReference::parse(text).unwrap().registry()).to_owned();
        assert_eq!(api("alpine"), "registry-1.docker.io");
        assert_eq!(api("index.docker.io/user/app"), "registry-1.docker.io");
        assert_eq!(api("ghcr.io/org/app"), "ghcr.io");
        assert_eq!(api("localhost:5000/app"), "localhost:5000");
    }

    #[test]
    fn a_bad_reference_is_refused_naming_it() {
        let err = open_registry("app@sha256:abc", &RegistryOptions::default())
            .err()
            .expect("refused");
        assert!(matches!(err, SourceError::Reference(_)), "{err}");
        assert!(err.to_string().contains("`app@sha256:abc`"), "{err}");
    }
}
