//! The names a scanned image is known by and how policy patterns match them. The names are
//! [`ImageReference`]s, parsed and normalised by the same parser the registry client pulls
//! with.

use kabuto_types::{ImageReference, Inventory};

use super::Pattern;

/// Aqua's name for Docker Hub in registry fields.
const DOCKER_HUB_AQUA_NAME: &str = "Docker Hub";

/// Policy patterns against the forms people write an image name in.
pub(crate) trait ImageMatch {
    /// Whether a registry pattern names this image's registry. Aqua calls Docker Hub
    /// `Docker Hub`; that name is accepted too.
    fn registry_matches(&self, pattern: &Pattern) -> bool;
    /// Whether a pattern matches the repository, with or without tag, short or full.
    fn repository_matches(&self, pattern: &Pattern) -> bool;
    /// Whether a pattern matches the whole name: as written, or normalised with registry.
    fn name_matches(&self, pattern: &Pattern) -> bool;
}

impl ImageMatch for ImageReference {
    fn registry_matches(&self, pattern: &Pattern) -> bool {
        pattern.is_match(self.registry())
            || (self.is_docker_hub() && pattern.is_match(DOCKER_HUB_AQUA_NAME))
    }

    fn repository_matches(&self, pattern: &Pattern) -> bool {
        with_tag(self, &[self.repository(), self.familiar_repository()])
            .iter()
            .any(|form| pattern.is_match(form))
    }

    fn name_matches(&self, pattern: &Pattern) -> bool {
        pattern.is_match(self.original())
            || with_tag(self, &[&self.name(), self.familiar_repository()])
                .iter()
                .any(|form| pattern.is_match(form))
    }
}

/// A scan target name that is an image reference rather than a file path.
fn looks_like_reference(name: &str) -> bool {
    const ARCHIVE_SUFFIXES: [&str; 4] = [".tar", ".tar.gz", ".tgz", ".tar.zst"];
    const TRANSPORTS: [&str; 5] = ["docker-archive:", "oci-archive:", "oci:", "dir:", "docker:"];
    !(name.starts_with(['/', '.'])
        || name.contains("://")
        || ARCHIVE_SUFFIXES.iter().any(|s| name.ends_with(s))
        || TRANSPORTS.iter().any(|t| name.starts_with(t)))
}

/// The names the scanned image is known by: the scan target when it is a reference, then
/// its repository tags and digests.
pub(crate) fn image_names(inventory: &Inventory) -> Vec<ImageReference> {
    let mut names: Vec<ImageReference> = inventory
        .image
        .as_ref()
        .map(|i| i.repo_tags.iter().chain(&i.repo_digests))
        .into_iter()
        .flatten()
        .filter_map(|name| ImageReference::parse(name.trim()).ok())
        .collect();
    let target = &inventory.artifact.name;
    if looks_like_reference(target)
        && let Ok(reference) = ImageReference::parse(target.trim())
        // The same text only: the target as written names the image in the verdict.
        && !names.iter().any(|n| n.original() == reference.original())
    {
        names.insert(0, reference);
    }
    names
}

/// Each of `names`, then each with the image's tag appended.
fn with_tag(image: &ImageReference, names: &[&str]) -> Vec<String> {
    let mut forms: Vec<String> = names.iter().map(|&n| n.to_owned()).collect();
    if let Some(tag) = image.tag() {
        forms.extend(names.iter().map(|n| format!("{n}:{tag}")));
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0ac14209fa0fcba0f13b57557faf8856319d5b4a703d92eba79240f0fe7a860a";

    fn image(text: &str) -> ImageReference {
        ImageReference::parse(text).unwrap()
    }

    fn pattern(text: &str) -> Pattern {
        Pattern::new(text).unwrap()
    }

    #[test]
    fn matches_short_and_full_forms() {
        let debian = image("debian:12");
        assert!(debian.name_matches(&pattern("debian:*")));
        assert!(debian.name_matches(&pattern("docker.io/library/debian:12")));
        assert!(debian.repository_matches(&pattern("library/debian")));
        assert!(debian.registry_matches(&pattern("Docker Hub")));
        assert!(!debian.name_matches(&pattern("alpine*")));
        let private = image("registry.example.invalid:5000/team/app:1.2");
        assert!(private.registry_matches(&pattern("registry.example.invalid:*")));
        assert!(private.repository_matches(&pattern("team/app:1.2")));
        assert!(!private.registry_matches(&pattern("Docker Hub")));
    }

    /// Regression: the policy parser kept no `latest` default, so a policy written for
    /// `nginx:latest` (or the full name) did not apply to an image pulled as `nginx`.
    #[test]
    fn a_bare_name_is_the_latest_tag_as_the_registry_client_pulls_it() {
        let bare = image("nginx");
        assert!(bare.name_matches(&pattern("nginx:latest")));
        assert!(bare.name_matches(&pattern("docker.io/library/nginx:latest")));
        assert!(bare.name_matches(&pattern("*:latest")));
    }

    #[test]
    fn a_scope_written_nginx_matches_every_form_of_the_image() {
        let scope = pattern("nginx");
        for name in [
            "nginx".to_owned(),
            "docker.io/library/nginx:latest".to_owned(),
            format!("nginx@sha256:{HEX}"),
            format!("nginx:1.25@sha256:{HEX}"),
            format!("index.docker.io/library/nginx:1.25@sha256:{HEX}"),
        ] {
            assert!(image(&name).name_matches(&scope), "{name}");
            assert!(image(&name).repository_matches(&scope), "{name}");
        }
        assert!(!image("nginx-unprivileged").name_matches(&scope));
    }
}
