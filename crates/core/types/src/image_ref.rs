//! Image references (`registry/repository:tag@digest`), parsed once and normalised the way
//! docker does. The registry client pulls by this type and policy scopes match on it, so an
//! image has the same name everywhere (an admission controller cannot see `nginx` where the
//! puller saw `docker.io/library/nginx:latest`).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::{Digest, DigestError};

/// The registry a reference without a registry part points to.
pub const DOCKER_HUB: &str = "docker.io";
/// Other names of Docker Hub, normalised to [`DOCKER_HUB`].
const DOCKER_HUB_ALIASES: [&str; 2] = ["index.docker.io", "registry-1.docker.io"];
const DEFAULT_TAG: &str = "latest";
/// Longest `registry/repository` docker accepts.
const MAX_NAME_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;

/// A validated, normalised image reference that remembers how it was written.
///
/// `nginx` becomes `docker.io/library/nginx:latest`; `localhost:5000/app` keeps its
/// registry; a reference with a digest and no tag gets no default tag. The digest is a
/// checked [`Digest`]. Equality and hashing look at the normalised parts only, so `nginx`
/// equals `docker.io/library/nginx:latest`; `Display` writes the normalised form and
/// [`ImageReference::original`] the text as given.
#[derive(Debug, Clone)]
pub struct ImageReference {
    original: String,
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

/// Why a string is not an image reference. Every variant names the reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageReferenceError {
    #[error("invalid image reference `{reference}`: empty")]
    Empty { reference: String },
    #[error(
        "invalid image reference `{reference}`: a reference has no URL scheme; drop `http://` or `https://`"
    )]
    UrlScheme { reference: String },
    #[error("invalid image reference `{reference}`: bad digest: {source}")]
    Digest {
        reference: String,
        #[source]
        source: DigestError,
    },
    #[error("invalid image reference `{reference}`: {problem}")]
    Tag {
        reference: String,
        problem: &'static str,
    },
    #[error("invalid image reference `{reference}`: registry `{registry}` {problem}")]
    Registry {
        reference: String,
        registry: String,
        problem: &'static str,
    },
    #[error("invalid image reference `{reference}`: {problem}")]
    Repository {
        reference: String,
        problem: &'static str,
    },
    #[error("invalid image reference `{reference}`: name is longer than 255 characters")]
    NameTooLong { reference: String },
}

impl ImageReference {
    /// Parses and normalises `reference` (see the type docs).
    pub fn parse(reference: &str) -> Result<Self, ImageReferenceError> {
        let text = || reference.to_owned();
        if reference.is_empty() {
            return Err(ImageReferenceError::Empty { reference: text() });
        }
        if reference.contains("://") {
            return Err(ImageReferenceError::UrlScheme { reference: text() });
        }
        let (name_and_tag, digest) = match reference.split_once('@') {
            Some((rest, digest)) => {
                let digest =
                    digest
                        .parse::<Digest>()
                        .map_err(|source| ImageReferenceError::Digest {
                            reference: text(),
                            source,
                        })?;
                (rest, Some(digest))
            }
            None => (reference, None),
        };
        let (name, tag) = split_tag(name_and_tag);
        if let Some(tag) = tag {
            validate_tag(tag).map_err(|problem| ImageReferenceError::Tag {
                reference: text(),
                problem,
            })?;
        }
        let (registry, repository) = split_registry(name);
        validate_registry(&registry).map_err(|problem| ImageReferenceError::Registry {
            reference: text(),
            registry: registry.clone(),
            problem,
        })?;
        validate_repository(&repository).map_err(|problem| ImageReferenceError::Repository {
            reference: text(),
            problem,
        })?;
        if registry.len() + 1 + repository.len() > MAX_NAME_LEN {
            return Err(ImageReferenceError::NameTooLong { reference: text() });
        }
        let tag = match (tag, &digest) {
            (Some(tag), _) => Some(tag.to_owned()),
            (None, None) => Some(DEFAULT_TAG.to_owned()),
            (None, Some(_)) => None,
        };
        Ok(Self {
            original: text(),
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The reference as it was written, for messages and reports.
    pub fn original(&self) -> &str {
        &self.original
    }

    /// The registry as named: `docker.io`, `ghcr.io`, `localhost:5000`, `[::1]:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// Whether the image is on Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        self.registry == DOCKER_HUB
    }

    /// The repository path inside the registry, e.g. `library/alpine`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The repository as people write it: Docker Hub's official images without `library/`
    /// (`alpine`), every other repository as it is (`user/app`, `org/app`).
    pub fn familiar_repository(&self) -> &str {
        if self.is_docker_hub() {
            self.repository
                .strip_prefix("library/")
                .filter(|rest| !rest.contains('/'))
                .unwrap_or(&self.repository)
        } else {
            &self.repository
        }
    }

    /// The tag: as written, else `latest` when the reference has no digest either.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// What to put in `/v2/<repository>/manifests/<here>`: the digest when there is one
    /// (it pins the content), else the tag.
    pub fn manifest_reference(&self) -> &str {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => digest.as_str(),
            (None, Some(tag)) => tag,
            (None, None) => DEFAULT_TAG,
        }
    }

    /// `registry/repository`, e.g. `docker.io/library/alpine`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The short name docker shows: `alpine`, `user/app`, `ghcr.io/org/app`.
    pub fn familiar_name(&self) -> String {
        if self.is_docker_hub() {
            self.familiar_repository().to_owned()
        } else {
            self.name()
        }
    }

    fn normalised_parts(&self) -> (&str, &str, Option<&str>, Option<&Digest>) {
        (
            &self.registry,
            &self.repository,
            self.tag.as_deref(),
            self.digest.as_ref(),
        )
    }
}

impl PartialEq for ImageReference {
    fn eq(&self, other: &Self) -> bool {
        self.normalised_parts() == other.normalised_parts()
    }
}

impl Eq for ImageReference {}

impl Hash for ImageReference {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.normalised_parts().hash(state);
    }
}

impl FromStr for ImageReference {
    type Err = ImageReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ImageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// A `:` after the last `/` starts the tag; one before it is a registry port.
fn split_tag(name_and_tag: &str) -> (&str, Option<&str>) {
    let last_slash = name_and_tag.rfind('/');
    match name_and_tag.rfind(':') {
        Some(colon) if last_slash.is_none_or(|slash| colon > slash) => {
            (&name_and_tag[..colon], Some(&name_and_tag[colon + 1..]))
        }
        _ => (name_and_tag, None),
    }
}

/// Splits `name` into registry and repository like docker's `splitDockerDomain`: the first
/// path component is a registry only if it has a `.` or `:`, is `localhost`, or has
/// uppercase letters (which a repository cannot have).
fn split_registry(name: &str) -> (String, String) {
    let (registry, repository) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (first, rest)
        }
        _ => (DOCKER_HUB, name),
    };
    let registry = if DOCKER_HUB_ALIASES.contains(&registry) {
        DOCKER_HUB
    } else {
        registry
    };
    let repository = if registry == DOCKER_HUB && !repository.contains('/') {
        format!("library/{repository}")
    } else {
        repository.to_owned()
    };
    (registry.to_owned(), repository)
}

fn validate_tag(tag: &str) -> Result<(), &'static str> {
    let mut bytes = tag.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !first_ok {
        return Err("a tag must start with a letter, digit or `_`");
    }
    if tag.len() > MAX_TAG_LEN {
        return Err("a tag is at most 128 characters");
    }
    if !bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')) {
        return Err("a tag may only contain letters, digits, `_`, `.` and `-`");
    }
    Ok(())
}

/// `host[:port]` where host is DNS labels or a bracketed IPv6 address.
fn validate_registry(registry: &str) -> Result<(), &'static str> {
    let port = if let Some(rest) = registry.strip_prefix('[') {
        let (address, after) = rest.split_once(']').ok_or("has an unclosed `[`")?;
        if address.is_empty() || !address.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return Err("has a bad IPv6 address");
        }
        match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or("has text after `]`")?),
        }
    } else {
        let (host, port) = match registry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (registry, None),
        };
        if !host.split('.').all(is_host_label) {
            return Err("is not a valid host name");
        }
        port
    };
    if let Some(port) = port
        && (port.is_empty()
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u16>().is_err())
    {
        return Err("has a bad port");
    }
    Ok(())
}

fn is_host_label(label: &str) -> bool {
    !label.is_empty()
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Path components of lowercase alphanumerics joined by `.`, `_`, `__` or runs of `-`.
fn validate_repository(repository: &str) -> Result<(), &'static str> {
    if repository.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err("repository name must be lowercase");
    }
    if !repository.split('/').all(is_path_component) {
        return Err(
            "repository path components are lowercase letters and digits, joined by `.`, `_`, `__` or `-`",
        );
    }
    Ok(())
}

fn is_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let dashes = separator.bytes().all(|b| b == b'-');
        if !(matches!(separator, "." | "_" | "__") || dashes) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests;
