//! `docker save` archives: `manifest.json` lists each image's config and layer members.

use kabuto_types::Digest;
use serde::Deserialize;

use super::store::Store;
use super::{LayerBlob, LocalImage, MAX_METADATA_BYTES, check_digest};
use crate::registry::{Descriptor, ImageManifest, metadata_from_config};
use crate::{SourceError, capped_list};

pub(super) const MANIFEST: &str = "manifest.json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// One image of a docker-archive's `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DockerArchiveImage {
    /// Member holding the image config.
    pub config: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub repo_tags: Vec<String>,
    /// Layer members, base first.
    pub layers: Vec<String>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// Parses a docker-archive `manifest.json`.
pub fn parse_docker_manifest(bytes: &[u8]) -> Result<Vec<DockerArchiveImage>, String> {
    let images: Vec<DockerArchiveImage> =
        serde_json::from_slice(bytes).map_err(|e| format!("not a docker-archive manifest: {e}"))?;
    if images.is_empty() {
        return Err("lists no images".to_owned());
    }
    Ok(images)
}

pub(super) fn open(store: Store, selector: Option<&str>) -> Result<LocalImage, SourceError> {
    let bytes = store.read(MANIFEST, MAX_METADATA_BYTES)?;
    let images = parse_docker_manifest(&bytes).map_err(|m| store.invalid(MANIFEST, m))?;
    let image = select(&store, &images, selector)?;

    let config = store.read(&image.config, MAX_METADATA_BYTES)?;
    let config_digest = match digest_in_name(&image.config) {
        Some(named) => {
            check_digest(&store, &config, &named)?;
            named
        }
        None => Digest::sha256_of(&config),
    };
    let mut layers = Vec::with_capacity(image.layers.len());
    for member in &image.layers {
        let size = store.size(member)?.ok_or_else(|| {
            store.invalid(
                &format!("layer `{member}`"),
                "listed in manifest.json but not in the archive",
            )
        })?;
        layers.push(Descriptor {
            media_type: None,
            // Archives do not record blob digests; only names made of one give it (below).
            digest: config_digest.clone(),
            size,
            platform: None,
        });
    }
    let manifest = ImageManifest {
        media_type: DOCKER_MANIFEST.to_owned(),
        config: Descriptor {
            media_type: None,
            digest: config_digest,
            size: config.len() as u64,
            platform: None,
        },
        layers,
    };
    let mut metadata = metadata_from_config(&config, &manifest)
        .map_err(|m| store.invalid(&format!("config `{}`", image.config), m))?;
    metadata.repo_tags.clone_from(&image.repo_tags);
    let mut blobs = Vec::with_capacity(image.layers.len());
    for ((info, member), descriptor) in metadata
        .layers
        .iter_mut()
        .zip(&image.layers)
        .zip(manifest.layers)
    {
        info.digest = digest_in_name(member);
        let blob = info.digest.clone().map(|digest| Descriptor {
            digest,
            ..descriptor
        });
        blobs.push(LayerBlob::new(member.clone(), blob, &info.diff_id));
    }
    Ok(LocalImage {
        store,
        metadata,
        layers: blobs,
    })
}

fn select<'i>(
    store: &Store,
    images: &'i [DockerArchiveImage],
    selector: Option<&str>,
) -> Result<&'i DockerArchiveImage, SourceError> {
    let listing = || {
        capped_list(
            images.iter().map(|i| match i.repo_tags.as_slice() {
                [] => format!("untagged {}", i.config),
                tags => capped_list(tags.iter().cloned(), ", "),
            }),
            "; ",
        )
    };
    match (selector, images) {
        (None, [only]) => Ok(only),
        (None, _) => Err(store.invalid(
            MANIFEST,
            format!(
                "holds {} images; pick one with PATH:TAG ({})",
                images.len(),
                listing()
            ),
        )),
        (Some(want), _) => images
            .iter()
            .find(|i| i.repo_tags.iter().any(|tag| same_reference(tag, want)))
            .ok_or_else(|| {
                store.invalid(
                    MANIFEST,
                    format!("no image tagged `{want}` (has: {})", listing()),
                )
            }),
    }
}

/// Whether repo tag `tag` is what the user asked for with `want`: the same reference
/// once Docker Hub's implied parts are added, or just its tag.
fn same_reference(tag: &str, want: &str) -> bool {
    fn normalize(reference: &str) -> String {
        let short = reference.strip_prefix("docker.io/").unwrap_or(reference);
        let short = short.strip_prefix("library/").unwrap_or(short);
        let has_tag = short
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'));
        if has_tag {
            short.to_owned()
        } else {
            format!("{short}:latest")
        }
    }
    let bare_tag = !want.contains(['/', ':']);
    normalize(tag) == normalize(want)
        || (bare_tag
            && tag
                .rsplit_once(':')
                .is_some_and(|(_, t)| t == want && !t.contains('/')))
}

/// The content digest a member's name spells: `blobs/<alg>/<hex>` (Docker 25+ and OCI)
/// or `<hex>.json` / `<hex>.tar` (classic `docker save`, skopeo). Not `<id>/layer.tar`,
/// whose id is no content hash.
fn digest_in_name(member: &str) -> Option<Digest> {
    let text = if let Some(rest) = member.strip_prefix("blobs/") {
        rest.replacen('/', ":", 1)
    } else {
        let hex = member
            .strip_suffix(".json")
            .or_else(|| member.strip_suffix(".tar"))?;
        format!("sha256:{hex}")
    };
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_tags_match_with_docker_hub_defaults() {
        assert!(same_reference("docker.io/library/debian:latest", "debian"));
        assert!(same_reference(
            "docker.io/fixture/app:latest",
            "fixture/app"
        ));
        assert!(same_reference("fixture/app:1.0", "1.0"));
        assert!(!same_reference("fixture/app:1.0", "fixture/app"));
        assert!(!same_reference("localhost:5000/app", "5000/app"));
    }

    #[test]
    fn digests_only_from_content_addressed_names() {
        let hex = "ff286ad8132c98a9d57dcce3f4868e2105291a874f7c01dfb7e661d7cad8fd56";
        assert_eq!(
            digest_in_name(&format!("{hex}.json")).map(|d| d.hex().to_owned()),
            Some(hex.to_owned())
        );
        assert!(digest_in_name(&format!("blobs/sha256/{hex}")).is_some());
        assert_eq!(digest_in_name(&format!("{hex}/layer.tar")), None);
        assert_eq!(digest_in_name("blobs/sha256/../../etc"), None);
    }

    #[test]
    fn manifest_json_errors_are_clear() {
        assert!(
            parse_docker_manifest(b"[]")
                .unwrap_err()
                .contains("no images")
        );
        assert!(
            parse_docker_manifest(b"{")
                .unwrap_err()
                .contains("not a docker-archive manifest")
        );
        let parsed =
            parse_docker_manifest(br#"[{"Config":"c.json","RepoTags":null,"Layers":["a.tar"]}]"#)
                .unwrap();
        assert!(parsed[0].repo_tags.is_empty());
    }
}
