//! Images built in memory, layer by layer, for the inventory tests.
#![allow(clippy::unwrap_used)] // test helpers build fixtures; a failure there is a test bug
#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::io::{Read, Write};

use kabuto_source::{ImageSource, SourceError};
use kabuto_types::{Digest, ImageMetadata, LayerInfo};

/// An image held in memory: each layer a gzip-compressed tar. Real archive formats are
/// covered by kabuto-source's tests; this one isolates the squash logic.
pub struct MemoryImage {
    pub metadata: ImageMetadata,
    pub blobs: Vec<Vec<u8>>,
}

impl ImageSource for MemoryImage {
    fn name(&self) -> &str {
        "memory-image"
    }
    fn metadata(&self) -> &ImageMetadata {
        &self.metadata
    }
    fn open_layer(&self, index: usize) -> Result<Box<dyn Read + Send + '_>, SourceError> {
        Ok(Box::new(&self.blobs[index][..]))
    }
}

pub enum Item<'a> {
    File(&'a str, &'a str),
    /// A file with explicit permission bits.
    Mode(&'a str, u32),
    Whiteout(&'a str),
    /// A tar hard link: (path, target).
    Hardlink(&'a str, &'a str),
    /// A symlink: (path, target as written).
    Symlink(&'a str, &'a str),
}

pub fn layer(items: &[Item<'_>]) -> (Vec<u8>, Digest) {
    let mut builder = tar::Builder::new(Vec::new());
    for item in items {
        if let Item::Hardlink(path, target) | Item::Symlink(path, target) = item {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(match item {
                Item::Hardlink(..) => tar::EntryType::Link,
                _ => tar::EntryType::Symlink,
            });
            header.set_size(0);
            header.set_mode(0o644);
            builder.append_link(&mut header, path, target).unwrap();
            continue;
        }
        let mut mode = 0o644;
        let (path, content) = match item {
            Item::File(path, content) => (path.to_string(), *content),
            Item::Mode(path, bits) => {
                mode = *bits;
                (path.to_string(), "")
            }
            Item::Hardlink(..) | Item::Symlink(..) => unreachable!("appended above"),
            Item::Whiteout(path) => {
                let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
                (format!("{dir}/.wh.{name}"), "")
            }
        };
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(mode);
        header.set_cksum();
        builder
            .append_data(&mut header, path, content.as_bytes())
            .unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let diff_id = Digest::sha256_of(&tar);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    (gz.finish().unwrap(), diff_id)
}

pub fn image(layers: &[&[Item<'_>]]) -> MemoryImage {
    let mut metadata = ImageMetadata::default();
    let mut blobs = Vec::new();
    for items in layers {
        let (blob, diff_id) = layer(items);
        metadata.layers.push(LayerInfo {
            diff_id,
            digest: Some(Digest::sha256_of(&blob)),
            size: Some(blob.len() as u64),
            media_type: None,
            created_by: None,
        });
        blobs.push(blob);
    }
    MemoryImage { metadata, blobs }
}
