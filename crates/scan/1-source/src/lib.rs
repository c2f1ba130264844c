//! Where image bytes come from: a `docker save` archive, an OCI image layout (directory or
//! tar), or a registry. Every source yields the same thing: [`ImageMetadata`] (digests,
//! config, history, layers) and a way to stream each layer blob as stored.
//!
//! Root filesystem and project directories are not images; `kabuto-inventory` walks them
//! directly.

pub mod local;
pub mod registry;

pub use local::open_local;

use std::io::Read;

use kabuto_types::ImageMetadata;

/// Why an image could not be read. Every variant names the image and the part that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    #[error("{image}: {source}")]
    Io {
        image: String,
        #[source]
        source: std::io::Error,
    },
    /// Reading one member of an archive or layout (a blob, a layer) failed.
    #[error("{image}: {member}: {source}")]
    Member {
        image: String,
        member: String,
        #[source]
        source: std::io::Error,
    },
    /// A manifest, index or config is not valid, or points to something that is not there.
    #[error("{image}: {what}: {message}")]
    Invalid {
        image: String,
        what: String,
        message: String,
    },
    /// The image reference does not parse (it names itself and what is wrong).
    #[error(transparent)]
    Reference(#[from] kabuto_types::ImageReferenceError),
    /// The bytes of a blob do not hash to the digest that names them.
    #[error("{image}: blob {expected} has digest {actual}")]
    DigestMismatch {
        image: String,
        expected: String,
        actual: String,
    },
    /// A registry answered with an error, or could not be reached.
    #[error("{image}: registry: {message}")]
    Registry { image: String, message: String },
    /// A registry answered `step` (e.g. `manifest latest`, `token from <realm>`) with an
    /// HTTP error status; 401/403 mean missing or rejected credentials.
    #[error("{image}: registry: {step}: HTTP {status} {message}")]
    RegistryStatus {
        image: String,
        step: String,
        status: u16,
        message: String,
    },
    /// A page of a registry listing (catalog or tags) is not the documented JSON or links
    /// on wrongly; `message` names the field or the link.
    #[error("{registry}: registry: listing page {url}: {message}")]
    ListPage {
        registry: String,
        url: String,
        message: String,
    },
}

/// Most items an error message lists; the rest are counted.
const MAX_LISTED: usize = 10;
/// Longest item an error message lists, in characters.
const MAX_LISTED_CHARS: usize = 120;

/// `items` joined by `separator` for an error message: the first few, each cut short, then
/// how many more there are. An archive of 100 000 images (or one 10 MB tag) gets a short
/// message, not one naming them all.
pub(crate) fn capped_list(items: impl IntoIterator<Item = String>, separator: &str) -> String {
    let mut items = items.into_iter();
    let mut text = String::new();
    for (i, item) in items.by_ref().take(MAX_LISTED).enumerate() {
        if i > 0 {
            text.push_str(separator);
        }
        match item.char_indices().nth(MAX_LISTED_CHARS) {
            Some((cut, _)) => {
                text.push_str(&item[..cut]);
                text.push('…');
            }
            None => text.push_str(&item),
        }
    }
    let more = items.count();
    if more > 0 {
        text.push_str(&format!("{separator}... ({more} more)"));
    }
    text
}

/// An opened image: metadata read eagerly, layers streamed on demand.
///
/// `open_layer` may be called from several threads at once, once per layer, so layers can
/// be decompressed and analyzed in parallel.
pub trait ImageSource: Send + Sync {
    /// The image as the user named it (path or reference), for messages.
    fn name(&self) -> &str;
    fn metadata(&self) -> &ImageMetadata;
    /// Streams layer `index` (0 = base, in `metadata().layers` order) as stored: gzip, zstd
    /// or plain tar. The reader detects nothing; `kabuto-layers` sniffs the compression.
    fn open_layer(&self, index: usize) -> Result<Box<dyn Read + Send + '_>, SourceError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_and_long_items_are_cut() {
        let names = (0..100_000).map(|i| format!("img{i}"));
        assert_eq!(
            capped_list(names, ", "),
            "img0, img1, img2, img3, img4, img5, img6, img7, img8, img9, ... (99990 more)"
        );
        let long = "x".repeat(10_000);
        assert_eq!(
            capped_list([long, "b".into()], "; "),
            format!("{}…; b", "x".repeat(MAX_LISTED_CHARS))
        );
        assert_eq!(capped_list(["a".to_owned()], ", "), "a");
        assert_eq!(capped_list(Vec::new(), ", "), "");
    }
}
