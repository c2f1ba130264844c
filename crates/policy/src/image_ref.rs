//! Image references (`registry/repository:tag@digest`) split into the parts policy scopes
//! and base-image controls match on, with Docker Hub's defaults applied.

use crate::pattern::Pattern;

pub(crate) const DOCKER_HUB: &str = "docker.io";

/// One image name, as written and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The reference as the scan named it.
    pub original: String,
    /// Registry host (`docker.io` when the reference names none).
    pub registry: String,
    /// Repository path; Docker Hub's official images get their `library/` prefix.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    /// Splits a reference; `None` for text that cannot be an image name (empty, spaces).
    pub fn parse(reference: &str) -> Option<ImageRef> {
        let original = reference.trim();
        if original.is_empty() || original.contains(char::is_whitespace) {
            return None;
        }
        let (name, digest) = match original.split_once('@') {
            Some((name, digest)) => (name, Some(digest.to_owned())),
            None => (original, None),
        };
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[last_slash..].rfind(':') {
            Some(colon) => (
                &name[..last_slash + colon],
                Some(name[last_slash + colon + 1..].to_owned()),
            ),
            None => (name, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_owned(), rest.to_owned())
            }
            _ => (DOCKER_HUB.to_owned(), name.to_owned()),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_owned(),
            _ => registry,
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        if repository.is_empty() {
            return None;
        }
        Some(ImageRef {
            original: original.to_owned(),
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The repository as people write it: Docker Hub official images without `library/`.
    pub fn short_repository(&self) -> &str {
        if self.registry == DOCKER_HUB {
            self.repository
                .strip_prefix("library/")
                .unwrap_or(&self.repository)
        } else {
            &self.repository
        }
    }

    /// Whether a registry pattern names this image's registry. Aqua calls Docker Hub
    /// `Docker Hub`; that name is accepted too.
    pub fn registry_matches(&self, pattern: &Pattern) -> bool {
        pattern.is_match(&self.registry)
            || (self.registry == DOCKER_HUB && pattern.is_match("Docker Hub"))
    }

    /// Whether a pattern matches the repository, with or without tag, short or full.
    pub fn repository_matches(&self, pattern: &Pattern) -> bool {
        let mut forms = vec![self.repository.clone(), self.short_repository().to_owned()];
        if let Some(tag) = &self.tag {
            forms.push(format!("{}:{tag}", self.repository));
            forms.push(format!("{}:{tag}", self.short_repository()));
        }
        forms.iter().any(|form| pattern.is_match(form))
    }

    /// Whether a pattern matches the whole name: as written, or normalised with registry.
    pub fn name_matches(&self, pattern: &Pattern) -> bool {
        if pattern.is_match(&self.original) {
            return true;
        }
        let full = format!("{}/{}", self.registry, self.repository);
        let mut forms = vec![full.clone(), self.short_repository().to_owned()];
        if let Some(tag) = &self.tag {
            forms.push(format!("{full}:{tag}"));
            forms.push(format!("{}:{tag}", self.short_repository()));
        }
        forms.iter().any(|form| pattern.is_match(form))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_references() {
        let cases = [
            ("debian:12", "docker.io", "library/debian", Some("12")),
            ("nginx", "docker.io", "library/nginx", None),
            ("bitnami/redis:7", "docker.io", "bitnami/redis", Some("7")),
            (
                "registry.example.invalid:5000/team/app:1.2",
                "registry.example.invalid:5000",
                "team/app",
                Some("1.2"),
            ),
            ("localhost/app", "localhost", "app", None),
        ];
        for (text, registry, repository, tag) in cases {
            let image = ImageRef::parse(text).unwrap();
            assert_eq!(image.registry, registry, "{text}");
            assert_eq!(image.repository, repository, "{text}");
            assert_eq!(image.tag.as_deref(), tag, "{text}");
        }
        let pinned = ImageRef::parse("debian@sha256:abcd").unwrap();
        assert_eq!(pinned.digest.as_deref(), Some("sha256:abcd"));
        assert_eq!(pinned.tag, None);
        assert!(ImageRef::parse("").is_none());
    }

    #[test]
    fn matches_short_and_full_forms() {
        let image = ImageRef::parse("debian:12").unwrap();
        assert!(image.name_matches(&Pattern::new("debian:*").unwrap()));
        assert!(image.name_matches(&Pattern::new("docker.io/library/debian:12").unwrap()));
        assert!(image.repository_matches(&Pattern::new("library/debian").unwrap()));
        assert!(image.registry_matches(&Pattern::new("Docker Hub").unwrap()));
        assert!(!image.name_matches(&Pattern::new("alpine*").unwrap()));
    }
}
