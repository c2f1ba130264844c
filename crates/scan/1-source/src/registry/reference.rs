//! Image references (`registry/repository:tag@digest`), normalised the way docker does.

use std::fmt;
use std::str::FromStr;

use kabuto_types::Digest;

/// The registry a reference without a registry part points to.
pub const DOCKER_HUB: &str = "docker.io";
/// Docker Hub's registry API is served from another host than its name.
const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";
const DEFAULT_TAG: &str = "latest";
/// Longest `registry/repository` docker accepts.
const MAX_NAME_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;

/// A validated, normalised image reference.
///
/// `alpine` becomes `docker.io/library/alpine:latest`; `localhost:5000/app` keeps its
/// registry; a reference with a digest and no tag gets no default tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageReference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

/// Why a string is not an image reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid image reference `{reference}`: {reason}")]
pub struct ReferenceError {
    pub reference: String,
    pub reason: String,
}

impl ImageReference {
    /// Parses and normalises `reference` (see the type docs).
    pub fn parse(reference: &str) -> Result<Self, ReferenceError> {
        let fail = |reason: &str| ReferenceError {
            reference: reference.to_owned(),
            reason: reason.to_owned(),
        };
        if reference.is_empty() {
            return Err(fail("empty"));
        }
        if reference.contains("://") {
            return Err(fail(
                "a reference has no URL scheme; drop `http://` or `https://`",
            ));
        }
        let (name_and_tag, digest) = match reference.split_once('@') {
            Some((rest, digest)) => {
                let digest = digest
                    .parse::<Digest>()
                    .map_err(|e| fail(&format!("bad digest: {e}")))?;
                (rest, Some(digest))
            }
            None => (reference, None),
        };
        // A `:` after the last `/` starts the tag; one before it is a registry port.
        let last_slash = name_and_tag.rfind('/');
        let (name, tag) = match name_and_tag.rfind(':') {
            Some(colon) if last_slash.is_none_or(|slash| colon > slash) => {
                (&name_and_tag[..colon], Some(&name_and_tag[colon + 1..]))
            }
            _ => (name_and_tag, None),
        };
        if let Some(tag) = tag {
            validate_tag(tag).map_err(fail)?;
        }
        let (registry, repository) = split_registry(name);
        validate_registry(&registry).map_err(|reason| fail(&reason))?;
        validate_repository(&repository).map_err(fail)?;
        if registry.len() + 1 + repository.len() > MAX_NAME_LEN {
            return Err(fail("name is longer than 255 characters"));
        }
        let tag = match (tag, &digest) {
            (Some(tag), _) => Some(tag.to_owned()),
            (None, None) => Some(DEFAULT_TAG.to_owned()),
            (None, Some(_)) => None,
        };
        Ok(Self {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The registry as named: `docker.io`, `ghcr.io`, `localhost:5000`, `[::1]:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The `host[:port]` that serves the registry API (`registry-1.docker.io` for Docker Hub).
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API_HOST
        } else {
            &self.registry
        }
    }

    /// The repository path inside the registry, e.g. `library/alpine`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

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
        if self.registry == DOCKER_HUB {
            self.repository
                .strip_prefix("library/")
                .filter(|rest| !rest.contains('/'))
                .unwrap_or(&self.repository)
                .to_owned()
        } else {
            self.name()
        }
    }
}

impl FromStr for ImageReference {
    type Err = ReferenceError;
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
    let registry = if registry == "index.docker.io" {
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
fn validate_registry(registry: &str) -> Result<(), String> {
    let port = if let Some(rest) = registry.strip_prefix('[') {
        let (address, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("registry `{registry}` has an unclosed `[`"))?;
        if address.is_empty() || !address.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return Err(format!("registry `{registry}` has a bad IPv6 address"));
        }
        match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => Some(port),
                None => return Err(format!("registry `{registry}`: junk after `]`")),
            },
        }
    } else {
        let (host, port) = match registry.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (registry, None),
        };
        let label_ok = |label: &str| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if !host.split('.').all(label_ok) {
            return Err(format!("registry `{registry}` is not a valid host name"));
        }
        port
    };
    if let Some(port) = port
        && (port.is_empty()
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u16>().is_err())
    {
        return Err(format!("registry `{registry}` has a bad port `{port}`"));
    }
    Ok(())
}

/// Path components of lowercase alphanumerics joined by `.`, `_`, `__` or runs of `-`.
fn validate_repository(repository: &str) -> Result<(), &'static str> {
    if repository.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err("repository name must be lowercase");
    }
    for component in repository.split('/') {
        if !is_path_component(component) {
            return Err(
                "repository path components are lowercase letters and digits, joined by `.`, `_`, `__` or `-`",
            );
        }
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
mod tests {
    use super::*;

    const HEX: &str = "0ac14209fa0fcba0f13b57557faf8856319d5b4a703d92eba79240f0fe7a860a";

    fn parts(reference: &str) -> (String, String, Option<String>, Option<String>) {
        let r = ImageReference::parse(reference).unwrap();
        (
            r.registry().to_owned(),
            r.repository().to_owned(),
            r.tag().map(str::to_owned),
            r.digest().map(ToString::to_string),
        )
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn docker_hub_defaults() {
        assert_eq!(
            parts("alpine"),
            (
                "docker.io".into(),
                "library/alpine".into(),
                some("latest"),
                None
            )
        );
        assert_eq!(
            parts("user/app:1.2"),
            ("docker.io".into(), "user/app".into(), some("1.2"), None)
        );
        assert_eq!(parts("index.docker.io/alpine").1, "library/alpine");
        assert_eq!(parts("docker.io/library/alpine:3").1, "library/alpine");
        let r = ImageReference::parse("alpine").unwrap();
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(r.to_string(), "docker.io/library/alpine:latest");
        assert_eq!(r.familiar_name(), "alpine");
        assert_eq!(
            ImageReference::parse("user/app").unwrap().familiar_name(),
            "user/app"
        );
    }

    #[test]
    fn registry_detection_like_docker() {
        assert_eq!(parts("localhost/app").0, "localhost");
        assert_eq!(
            parts("localhost:5000/a/b:v1"),
            ("localhost:5000".into(), "a/b".into(), some("v1"), None)
        );
        assert_eq!(parts("127.0.0.1:5000/app").0, "127.0.0.1:5000");
        assert_eq!(parts("ghcr.io/org/app").1, "org/app");
        assert_eq!(parts("myhost:80/app").0, "myhost:80");
        assert_eq!(parts("[::1]:5000/app").0, "[::1]:5000");
        // A first component without `.`/`:` that is not localhost is a Docker Hub user.
        assert_eq!(
            parts("myhost/app"),
            (
                "docker.io".into(),
                "myhost/app".into(),
                some("latest"),
                None
            )
        );
        // `localhost:5000` alone is the image `localhost` with tag `5000`, as in docker.
        assert_eq!(
            parts("localhost:5000"),
            (
                "docker.io".into(),
                "library/localhost".into(),
                some("5000"),
                None
            )
        );
        // Uppercase first component can only be a registry.
        assert_eq!(parts("MyRegistry/app").0, "MyRegistry");
        let r = ImageReference::parse("ghcr.io/org/app").unwrap();
        assert_eq!(r.api_host(), "ghcr.io");
        assert_eq!(r.familiar_name(), "ghcr.io/org/app");
    }

    #[test]
    fn tags_and_digests() {
        let with_digest = format!("127.0.0.1:5000/app@sha256:{HEX}");
        assert_eq!(
            parts(&with_digest),
            (
                "127.0.0.1:5000".into(),
                "app".into(),
                None,
                Some(format!("sha256:{HEX}"))
            )
        );
        let r = ImageReference::parse(&with_digest).unwrap();
        assert_eq!(r.manifest_reference(), format!("sha256:{HEX}"));
        assert_eq!(r.to_string(), with_digest);

        let both = format!("alpine:3.19@sha256:{HEX}");
        let r = ImageReference::parse(&both).unwrap();
        assert_eq!(r.tag(), Some("3.19"));
        assert_eq!(r.manifest_reference(), format!("sha256:{HEX}"));
        assert_eq!(
            r.to_string(),
            format!("docker.io/library/alpine:3.19@sha256:{HEX}")
        );

        assert_eq!(
            ImageReference::parse("a:b").unwrap().manifest_reference(),
            "b"
        );
        assert_eq!(parts("a/b.c_d__e-f---g:_x.Y-1").1, "a/b.c_d__e-f---g");
    }

    #[test]
    fn rejects_bad_references() {
        let long_tag = format!("a:{}", "t".repeat(129));
        let long_name = format!("example.com/{}", "a".repeat(250));
        for (bad, why) in [
            ("", "empty"),
            ("https://example.com/app", "scheme"),
            ("app:", "tag must start"),
            ("app:-x", "tag must start"),
            ("app:a b", "tag may only"),
            (long_tag.as_str(), "128"),
            ("app@sha256:abc", "bad digest"),
            ("app@md5:abc", "bad digest"),
            ("example.com/App", "lowercase"),
            ("foo//bar", "path components"),
            ("example.com/", "path components"),
            ("-foo", "path components"),
            ("foo-/bar", "path components"),
            ("foo..bar", "path components"),
            ("foo___bar", "path components"),
            ("example.com:99999/app", "bad port"),
            ("example.com:/app", "bad port"),
            ("exa_mple.com/app", "host name"),
            ("-example.com/app", "host name"),
            ("[::1/app", "unclosed"),
            ("[zz]:5000/app", "IPv6"),
            (long_name.as_str(), "255"),
        ] {
            let err = ImageReference::parse(bad).expect_err(bad);
            assert!(err.to_string().contains(why), "{bad}: {err}");
            assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
        }
    }
}
