//! How the scanned artifact itself is named in SBOMs: its version and package URL.

use kabuto_types::{Digest, ImageMetadata, Inventory, Purl};

/// The digest that identifies the image: the manifest digest when the source has one (a
/// registry or OCI layout), else the one in the first `RepoDigests` entry, else the image id
/// (config digest), which is all a `docker save` archive has.
pub(crate) fn image_digest(image: &ImageMetadata) -> Option<Digest> {
    manifest_digest(image).or_else(|| image.config_digest.clone())
}

fn manifest_digest(image: &ImageMetadata) -> Option<Digest> {
    image.manifest_digest.clone().or_else(|| {
        image
            .repo_digests
            .iter()
            .find_map(|r| r.split_once('@')?.1.parse().ok())
    })
}

/// The image's `pkg:oci` purl, per the purl spec's `oci` type: name = last repository path
/// segment, version = manifest digest, qualifiers `arch`, `repository_url`, `tag`.
///
/// `None` unless both a manifest digest and a repository name are known: the spec's version
/// is the manifest digest, so an image id would name something else, and without a
/// repository there is no name (an archive path is not one).
pub(crate) fn image_purl(inventory: &Inventory) -> Option<Purl> {
    let image = inventory.image.as_ref()?;
    let digest = manifest_digest(image)?;
    let tagged = image.repo_tags.first().map(|t| split_tag(t));
    let repository = image
        .repo_digests
        .iter()
        .find_map(|r| r.split_once('@').map(|(repo, _)| repo))
        .or(tagged.map(|(repo, _)| repo))?;
    let name = repository.rsplit('/').next()?.to_ascii_lowercase();
    let tag = tagged
        .filter(|(repo, _)| *repo == repository)
        .and_then(|(_, tag)| tag);
    let mut purl = Purl::new("oci", None, &name, Some(digest.as_str()))
        .with_qualifier("repository_url", repository);
    if let Some(arch) = &image.architecture {
        purl = purl.with_qualifier("arch", arch);
    }
    if let Some(tag) = tag {
        purl = purl.with_qualifier("tag", tag);
    }
    Some(purl)
}

/// `registry:5000/app:1.0` -> (`registry:5000/app`, `1.0`): the tag is after the last `:`
/// that follows the last `/`.
fn split_tag(reference: &str) -> (&str, Option<&str>) {
    let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[last_slash..].rfind(':') {
        Some(i) => (
            &reference[..last_slash + i],
            Some(&reference[last_slash + i + 1..]),
        ),
        None => (reference, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kabuto_types::{Artifact, ArtifactKind};

    fn inventory_with(image: ImageMetadata) -> Inventory {
        Inventory {
            artifact: Artifact {
                name: "x".into(),
                kind: ArtifactKind::ContainerImage,
            },
            image: Some(image),
            os: None,
            packages: vec![],
            warnings: vec![],
        }
    }

    #[test]
    fn splits_tags_after_registry_ports() {
        assert_eq!(
            split_tag("registry:5000/app:1.0"),
            ("registry:5000/app", Some("1.0"))
        );
        assert_eq!(split_tag("registry:5000/app"), ("registry:5000/app", None));
        assert_eq!(split_tag("debian:12"), ("debian", Some("12")));
    }

    #[test]
    fn oci_purl_needs_a_manifest_digest_and_a_repository() {
        let digest = Digest::sha256_of(b"manifest");
        let image = ImageMetadata {
            repo_tags: vec!["docker.io/library/Debian:12".into()],
            repo_digests: vec![format!("docker.io/library/Debian@{digest}")],
            architecture: Some("amd64".into()),
            config_digest: Some(Digest::sha256_of(b"config")),
            ..ImageMetadata::default()
        };
        let purl = image_purl(&inventory_with(image.clone())).unwrap();
        assert_eq!(
            purl.to_string(),
            format!(
                "pkg:oci/debian@{digest}?arch=amd64&repository_url=docker.io/library/Debian&tag=12"
            )
        );
        assert_eq!(image_digest(&image), Some(digest));

        let archive_only = ImageMetadata {
            repo_tags: vec!["app:1".into()],
            config_digest: Some(Digest::sha256_of(b"config")),
            ..ImageMetadata::default()
        };
        assert_eq!(image_purl(&inventory_with(archive_only.clone())), None);
        assert_eq!(
            image_digest(&archive_only),
            Some(Digest::sha256_of(b"config"))
        );
    }
}
