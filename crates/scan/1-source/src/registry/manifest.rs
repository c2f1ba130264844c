//! Manifests and indexes as a registry serves them (OCI and Docker v2 schema 2), and the
//! image config they point to.

use std::collections::BTreeMap;

use kabuto_types::{Digest, HistoryEntry, ImageMetadata, LayerInfo, Timestamp};
use serde::Deserialize;

use super::platform::Platform;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// The `Accept` header for manifest requests: every kind we can read, images first.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json";

/// A pointer to a blob or manifest by digest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: Option<String>,
    pub digest: Digest,
    pub size: u64,
    #[serde(default)]
    pub platform: Option<DescriptorPlatform>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DescriptorPlatform {
    pub os: String,
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl Descriptor {
    pub fn platform(&self) -> Option<Platform> {
        self.platform
            .as_ref()
            .map(|p| Platform::new(&p.os, &p.architecture, p.variant.as_deref()))
    }
}

/// A single-platform image manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageManifest {
    pub media_type: String,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// A parsed manifest document: one image, or an index of per-platform manifests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestDocument {
    Image(ImageManifest),
    Index(Vec<Descriptor>),
}

/// Why manifest bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("not valid manifest JSON: {0}")]
    Json(String),
    #[error("Docker schema 1 manifests are deprecated and not supported; push the image again")]
    Schema1,
    #[error("unsupported schemaVersion {0} (expected 2)")]
    SchemaVersion(u64),
    #[error("unsupported manifest media type `{0}`")]
    MediaType(String),
    #[error("{0} has no `{1}`")]
    Missing(&'static str, &'static str),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    #[serde(default)]
    schema_version: Option<u64>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
}

/// Parses a manifest or index. The kind comes from the document's own `mediaType`, else
/// the response's `Content-Type`, else its shape (`manifests` vs `layers`).
pub fn parse_manifest(
    bytes: &[u8],
    content_type: Option<&str>,
) -> Result<ManifestDocument, ManifestError> {
    let raw: RawManifest =
        serde_json::from_slice(bytes).map_err(|e| ManifestError::Json(e.to_string()))?;
    match raw.schema_version {
        Some(1) => return Err(ManifestError::Schema1),
        Some(2) | None => {}
        Some(other) => return Err(ManifestError::SchemaVersion(other)),
    }
    let content_type = content_type
        .map(|c| c.split(';').next().unwrap_or_default().trim())
        .filter(|c| !c.is_empty() && *c != "application/json");
    let media_type = raw.media_type.as_deref().or(content_type);
    let is_index = match media_type {
        Some(OCI_INDEX | DOCKER_MANIFEST_LIST) => true,
        Some(OCI_MANIFEST | DOCKER_MANIFEST) => false,
        Some(DOCKER_SCHEMA1 | DOCKER_SCHEMA1_SIGNED) => return Err(ManifestError::Schema1),
        Some(other) => return Err(ManifestError::MediaType(other.to_owned())),
        None => raw.manifests.is_some(),
    };
    if is_index {
        let manifests = raw
            .manifests
            .ok_or(ManifestError::Missing("index", "manifests"))?;
        return Ok(ManifestDocument::Index(manifests));
    }
    Ok(ManifestDocument::Image(ImageManifest {
        media_type: media_type.unwrap_or(OCI_MANIFEST).to_owned(),
        config: raw
            .config
            .ok_or(ManifestError::Missing("manifest", "config"))?,
        layers: raw
            .layers
            .ok_or(ManifestError::Missing("manifest", "layers"))?,
    }))
}

/// Whether a manifest's config is an image config (and not, say, a Helm chart's).
pub fn is_image_config(media_type: Option<&str>) -> bool {
    matches!(media_type, None | Some(OCI_CONFIG | DOCKER_CONFIG))
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default, deserialize_with = "Timestamp::lenient")]
    created: Option<Timestamp>,
    #[serde(default)]
    config: Option<RuntimeConfig>,
    rootfs: RootFs,
    #[serde(default)]
    history: Vec<RawHistory>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RuntimeConfig {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    env: Option<Vec<String>>,
    #[serde(default)]
    entrypoint: Option<Vec<String>>,
    #[serde(default)]
    cmd: Option<Vec<String>>,
    #[serde(default)]
    working_dir: Option<String>,
    #[serde(default)]
    exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Vec<Digest>,
}

#[derive(Deserialize)]
struct RawHistory {
    #[serde(default, deserialize_with = "Timestamp::lenient")]
    created: Option<Timestamp>,
    #[serde(default)]
    created_by: Option<String>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    empty_layer: bool,
}

/// Builds image metadata from a config blob and the manifest's layers. Fails when the
/// config is not JSON or its `rootfs.diff_ids` do not pair up with the layers.
pub fn metadata_from_config(
    config_bytes: &[u8],
    manifest: &ImageManifest,
) -> Result<ImageMetadata, String> {
    let raw: RawConfig = serde_json::from_slice(config_bytes).map_err(|e| e.to_string())?;
    if raw.rootfs.diff_ids.len() != manifest.layers.len() {
        return Err(format!(
            "rootfs.diff_ids has {} entries but the manifest has {} layers",
            raw.rootfs.diff_ids.len(),
            manifest.layers.len()
        ));
    }
    let history: Vec<HistoryEntry> = raw
        .history
        .into_iter()
        .map(|h| HistoryEntry {
            created: h.created,
            created_by: h.created_by,
            comment: h.comment,
            empty_layer: h.empty_layer,
        })
        .collect();
    // History entries that made a layer, in order; absent when the history is incomplete.
    let layer_steps: Vec<&HistoryEntry> = history.iter().filter(|h| !h.empty_layer).collect();
    let steps_match = layer_steps.len() == manifest.layers.len();
    let layers = raw
        .rootfs
        .diff_ids
        .into_iter()
        .zip(&manifest.layers)
        .enumerate()
        .map(|(i, (diff_id, blob))| LayerInfo {
            diff_id,
            digest: Some(blob.digest.clone()),
            size: Some(blob.size),
            media_type: blob.media_type.clone(),
            created_by: if steps_match {
                layer_steps[i].created_by.clone()
            } else {
                None
            },
        })
        .collect();
    let runtime = raw.config.unwrap_or_default();
    Ok(ImageMetadata {
        config_digest: Some(manifest.config.digest.clone()),
        os: raw.os,
        architecture: raw.architecture,
        variant: raw.variant,
        created: raw.created,
        user: runtime.user,
        entrypoint: runtime.entrypoint.unwrap_or_default(),
        cmd: runtime.cmd.unwrap_or_default(),
        env: runtime.env.unwrap_or_default(),
        working_dir: runtime.working_dir.filter(|w| !w.is_empty()),
        exposed_ports: runtime
            .exposed_ports
            .unwrap_or_default()
            .into_keys()
            .collect(),
        labels: runtime.labels.unwrap_or_default(),
        history,
        layers,
        ..ImageMetadata::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:0ac14209fa0fcba0f13b57557faf8856319d5b4a703d92eba79240f0fe7a860a";
    const D2: &str = "sha256:ff286ad8132c98a9d57dcce3f4868e2105291a874f7c01dfb7e661d7cad8fd56";

    fn image_manifest(media_type: &str) -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{media_type}",
            "config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{D2}","size":583}},
            "layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{D1}","size":10}}]}}"#
        )
    }

    #[test]
    fn parses_oci_and_docker_manifests() {
        for media_type in [OCI_MANIFEST, DOCKER_MANIFEST] {
            let ManifestDocument::Image(m) =
                parse_manifest(image_manifest(media_type).as_bytes(), None).unwrap()
            else {
                panic!("not an image");
            };
            assert_eq!(m.media_type, media_type);
            assert_eq!(m.config.digest.as_str(), D2);
            assert_eq!(m.layers[0].size, 10);
        }
    }

    #[test]
    fn index_kind_from_body_header_or_shape() {
        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[
            {{"mediaType":"{OCI_MANIFEST}","digest":"{D1}","size":5,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}},
            {{"mediaType":"{OCI_MANIFEST}","digest":"{D2}","size":6}}]}}"#
        );
        for content_type in [None, Some(DOCKER_MANIFEST_LIST), Some("application/json")] {
            let ManifestDocument::Index(entries) =
                parse_manifest(index.as_bytes(), content_type).unwrap()
            else {
                panic!("not an index");
            };
            assert_eq!(entries.len(), 2);
            assert_eq!(entries[0].platform().unwrap().to_string(), "linux/arm64/v8");
            assert_eq!(entries[1].platform(), None);
        }
        // The body's own mediaType wins over a wrong header.
        let manifest = image_manifest(OCI_MANIFEST);
        assert!(matches!(
            parse_manifest(manifest.as_bytes(), Some(OCI_INDEX)),
            Ok(ManifestDocument::Image(_))
        ));
        // Without mediaType, the header decides; here it says index but there is none.
        let bare = manifest.replace(&format!(r#""mediaType":"{OCI_MANIFEST}","#), "");
        assert_eq!(
            parse_manifest(bare.as_bytes(), Some(OCI_INDEX)),
            Err(ManifestError::Missing("index", "manifests"))
        );
        assert!(matches!(
            parse_manifest(
                bare.as_bytes(),
                Some(&format!("{OCI_MANIFEST}; charset=utf-8"))
            ),
            Ok(ManifestDocument::Image(_))
        ));
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        assert_eq!(
            parse_manifest(br#"{"schemaVersion":1,"fsLayers":[]}"#, None),
            Err(ManifestError::Schema1)
        );
        assert_eq!(
            parse_manifest(br#"{"schemaVersion":3}"#, None),
            Err(ManifestError::SchemaVersion(3))
        );
        assert!(matches!(
            parse_manifest(br#"{"mediaType":"text/html"}"#, None),
            Err(ManifestError::MediaType(m)) if m == "text/html"
        ));
        assert!(matches!(
            parse_manifest(b"<html>", None),
            Err(ManifestError::Json(_))
        ));
        assert_eq!(
            parse_manifest(br#"{"schemaVersion":2,"layers":[]}"#, None),
            Err(ManifestError::Missing("manifest", "config"))
        );
        let bad_digest = image_manifest(OCI_MANIFEST).replace(D1, "sha256:nothex");
        assert!(matches!(
            parse_manifest(bad_digest.as_bytes(), None),
            Err(ManifestError::Json(_))
        ));
    }

    #[test]
    fn metadata_from_image_config() {
        let ManifestDocument::Image(manifest) =
            parse_manifest(image_manifest(OCI_MANIFEST).as_bytes(), None).unwrap()
        else {
            panic!("not an image");
        };
        let config = format!(
            r#"{{"architecture":"arm64","variant":"v8","os":"linux","created":"2024-01-01T00:00:00Z",
            "config":{{"User":"app","Env":["PATH=/bin"],"Cmd":["sh"],"WorkingDir":"/srv",
                "ExposedPorts":{{"80/tcp":{{}}}},"Labels":{{"a":"b"}}}},
            "rootfs":{{"type":"layers","diff_ids":["{D1}"]}},
            "history":[{{"created_by":"ENV x","empty_layer":true}},{{"created_by":"ADD rootfs"}}]}}"#
        );
        let m = metadata_from_config(config.as_bytes(), &manifest).unwrap();
        assert_eq!(m.config_digest.as_ref().unwrap().as_str(), D2);
        assert_eq!(m.architecture.as_deref(), Some("arm64"));
        assert_eq!(m.variant.as_deref(), Some("v8"));
        assert_eq!(m.user.as_deref(), Some("app"));
        assert_eq!(m.working_dir.as_deref(), Some("/srv"));
        assert_eq!(m.exposed_ports, ["80/tcp"]);
        assert_eq!(m.labels["a"], "b");
        assert_eq!(m.history.len(), 2);
        assert_eq!(m.layers.len(), 1);
        assert_eq!(m.layers[0].diff_id.as_str(), D1);
        assert_eq!(m.layers[0].created_by.as_deref(), Some("ADD rootfs"));
        assert_eq!(m.layers[0].size, Some(10));

        let two_diff_ids = config.replace(&format!(r#"["{D1}"]"#), &format!(r#"["{D1}","{D2}"]"#));
        let err = metadata_from_config(two_diff_ids.as_bytes(), &manifest).unwrap_err();
        assert!(err.contains("2 entries but the manifest has 1"), "{err}");
        assert!(metadata_from_config(b"{}", &manifest).is_err());
    }

    #[test]
    fn unreadable_creation_times_are_dropped_not_fatal() {
        let ManifestDocument::Image(manifest) =
            parse_manifest(image_manifest(OCI_MANIFEST).as_bytes(), None).unwrap()
        else {
            panic!("not an image");
        };
        let config = format!(
            r#"{{"created":"last tuesday","rootfs":{{"diff_ids":["{D1}"]}},
            "history":[{{"created":"2024-01-01T01:00:00.5+01:00","created_by":"ADD x"}},
                {{"created":"soon"}}]}}"#
        );
        let m = metadata_from_config(config.as_bytes(), &manifest).unwrap();
        assert_eq!(m.created, None);
        let created = m.history[0].created.as_ref().map(Timestamp::as_str);
        assert_eq!(created, Some("2024-01-01T01:00:00.5+01:00"));
        assert_eq!(m.history[1].created, None);
    }
}
