//! OCI image layouts: `oci-layout`, `index.json` and content-addressed `blobs/`.

use std::collections::BTreeMap;

use kabuto_types::Digest;
use serde::Deserialize;

use super::store::Store;
use super::{LayerBlob, LocalImage, MAX_METADATA_BYTES, check_digest};
use crate::registry::{
    Descriptor, ImageManifest, ManifestDocument, Platform, choose_platform, is_image_config,
    metadata_from_config, parse_manifest,
};
use crate::{SourceError, capped_list};

pub(super) const LAYOUT: &str = "oci-layout";
const INDEX: &str = "index.json";
/// The tag (or full reference) an index entry is known by.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The full reference containerd and Docker 25+ record next to the short ref name.
const CONTAINERD_NAME: &str = "io.containerd.image.name";
/// Indexes may point to indexes; real ones nest at most once.
const MAX_INDEX_DEPTH: usize = 4;

/// One entry of a layout's `index.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LayoutEntry {
    #[serde(flatten)]
    pub descriptor: Descriptor,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

impl LayoutEntry {
    fn ref_name(&self) -> Option<&str> {
        self.annotations.get(REF_NAME).map(String::as_str)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawIndex {
    #[serde(default)]
    schema_version: Option<u64>,
    manifests: Vec<LayoutEntry>,
}

/// Parses a layout's `index.json` into its entries.
pub fn parse_oci_index(bytes: &[u8]) -> Result<Vec<LayoutEntry>, String> {
    let index: RawIndex =
        serde_json::from_slice(bytes).map_err(|e| format!("not an OCI index: {e}"))?;
    match index.schema_version {
        Some(2) | None => Ok(index.manifests),
        Some(other) => Err(format!("unsupported schemaVersion {other} (expected 2)")),
    }
}

pub(super) fn open(store: Store, selector: Option<&str>) -> Result<LocalImage, SourceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Layout {
        image_layout_version: String,
    }
    let layout: Layout = serde_json::from_slice(&store.read(LAYOUT, 4096)?)
        .map_err(|e| store.invalid(LAYOUT, format!("not an OCI layout marker: {e}")))?;
    if !layout.image_layout_version.starts_with("1.") {
        return Err(store.invalid(
            LAYOUT,
            format!(
                "unsupported imageLayoutVersion {}",
                layout.image_layout_version
            ),
        ));
    }
    let entries = parse_oci_index(&store.read(INDEX, MAX_METADATA_BYTES)?)
        .map_err(|m| store.invalid(INDEX, m))?;
    let entry = select(&store, &entries, selector)?;
    let (manifest_descriptor, manifest) = resolve_image(&store, &entry.descriptor, 0)?;

    let config_what = format!("config {}", manifest.config.digest);
    if !is_image_config(manifest.config.media_type.as_deref()) {
        return Err(store.invalid(
            &config_what,
            format!(
                "not a container image config (media type {})",
                manifest.config.media_type.as_deref().unwrap_or_default()
            ),
        ));
    }
    let config = read_blob(&store, &manifest.config)?;
    let mut metadata =
        metadata_from_config(&config, &manifest).map_err(|m| store.invalid(&config_what, m))?;
    metadata.manifest_digest = Some(manifest_descriptor.digest.clone());
    metadata.repo_tags = entry
        .annotations
        .get(CONTAINERD_NAME)
        .map(String::as_str)
        .or(entry.ref_name().filter(|name| name.contains('/')))
        .map(|name| vec![name.to_owned()])
        .unwrap_or_default();

    let mut layers = Vec::with_capacity(manifest.layers.len());
    for (descriptor, info) in manifest.layers.iter().zip(&metadata.layers) {
        let member = blob_member(&descriptor.digest);
        check_size(&store, descriptor, &member)?;
        layers.push(LayerBlob::new(
            member,
            Some(descriptor.clone()),
            &info.diff_id,
        ));
    }
    Ok(LocalImage {
        store,
        metadata,
        layers,
    })
}

fn select<'e>(
    store: &Store,
    entries: &'e [LayoutEntry],
    selector: Option<&str>,
) -> Result<&'e LayoutEntry, SourceError> {
    let listing = || {
        capped_list(
            entries.iter().map(|e| {
                e.ref_name()
                    .unwrap_or(e.descriptor.digest.as_str())
                    .to_owned()
            }),
            ", ",
        )
    };
    if let Some(want) = selector {
        return entries
            .iter()
            .find(|e| {
                let tag_of = |name: &str| {
                    name.rsplit_once(':')
                        .map(|(_, t)| t == want && !t.contains('/'))
                };
                e.descriptor.digest.as_str() == want
                    || e.ref_name()
                        .is_some_and(|r| r == want || tag_of(r) == Some(true))
                    || e.annotations
                        .get(CONTAINERD_NAME)
                        .is_some_and(|n| n == want)
            })
            .ok_or_else(|| {
                store.invalid(
                    INDEX,
                    format!("no image named `{want}` (has: {})", listing()),
                )
            });
    }
    match entries {
        [] => Err(store.invalid(INDEX, "lists no images")),
        [only] => Ok(only),
        _ => {
            // Several entries without names may be the platforms of one image.
            let platforms: Vec<Option<Platform>> =
                entries.iter().map(|e| e.descriptor.platform()).collect();
            choose_platform(&Platform::host(), platforms.iter().map(Option::as_ref))
                .map(|i| &entries[i])
                .ok_or_else(|| {
                    store.invalid(
                        INDEX,
                        format!(
                            "holds {} images; pick one with PATH:TAG ({})",
                            entries.len(),
                            listing()
                        ),
                    )
                })
        }
    }
}

/// Follows nested indexes (choosing the host platform) down to one image manifest.
fn resolve_image(
    store: &Store,
    descriptor: &Descriptor,
    depth: usize,
) -> Result<(Descriptor, ImageManifest), SourceError> {
    let what = format!("manifest {}", descriptor.digest);
    if depth > MAX_INDEX_DEPTH {
        return Err(store.invalid(&what, "indexes nest too deeply"));
    }
    let bytes = read_blob(store, descriptor)?;
    match parse_manifest(&bytes, descriptor.media_type.as_deref())
        .map_err(|e| store.invalid(&what, e.to_string()))?
    {
        ManifestDocument::Image(manifest) => Ok((descriptor.clone(), manifest)),
        ManifestDocument::Index(list) => {
            let platforms: Vec<Option<Platform>> = list.iter().map(Descriptor::platform).collect();
            let host = Platform::host();
            let chosen = choose_platform(&host, platforms.iter().map(Option::as_ref))
                .or((list.len() == 1).then_some(0))
                .ok_or_else(|| {
                    let offered = platforms.iter().flatten().map(ToString::to_string);
                    store.invalid(
                        &what,
                        format!(
                            "no manifest for {host} (has: {})",
                            capped_list(offered, ", ")
                        ),
                    )
                })?;
            resolve_image(store, &list[chosen], depth + 1)
        }
    }
}

fn blob_member(digest: &Digest) -> String {
    format!("blobs/{}/{}", digest.algorithm(), digest.hex())
}

fn check_size(store: &Store, descriptor: &Descriptor, member: &str) -> Result<(), SourceError> {
    let what = format!("blob {}", descriptor.digest);
    let size = store
        .size(member)?
        .ok_or_else(|| store.invalid(&what, format!("missing: `{member}` is not in the layout")))?;
    if size != descriptor.size {
        return Err(store.invalid(
            &what,
            format!(
                "has {size} bytes but its descriptor says {}",
                descriptor.size
            ),
        ));
    }
    Ok(())
}

/// Reads a manifest or config blob, checking its size and digest.
fn read_blob(store: &Store, descriptor: &Descriptor) -> Result<Vec<u8>, SourceError> {
    let member = blob_member(&descriptor.digest);
    check_size(store, descriptor, &member)?;
    let bytes = store.read(&member, MAX_METADATA_BYTES)?;
    check_digest(store, &bytes, &descriptor.digest)?;
    Ok(bytes)
}
