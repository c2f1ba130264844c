//! Streaming one layer blob: sniff the compression, walk the tar, hand out entries.

use std::cell::{Cell, RefCell};
use std::error::Error;
use std::fmt;
use std::io::{self, BufReader, Read};
use std::rc::Rc;

use kabuto_types::Digest;
use sha2::{Digest as _, Sha256};

use crate::path::{normalize_into, parent};

/// Bounds that keep a hostile layer from exhausting memory or time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum decompressed bytes of one layer (tar headers, contents and padding).
    pub max_layer_bytes: u64,
    /// Maximum tar entries in one layer.
    pub max_entries: u64,
    /// Maximum bytes the content reader hands out for one file; reading past it is an error.
    pub max_file_bytes: u64,
}

impl Default for Limits {
    /// Generous enough for real images (CUDA and ML layers reach several GiB).
    fn default() -> Self {
        Limits {
            max_layer_bytes: 32 << 30,
            max_entries: 5_000_000,
            max_file_bytes: 1 << 30,
        }
    }
}

/// How to walk a layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalkOptions {
    pub limits: Limits,
    /// When set, the decompressed stream is hashed while it is read (no second pass) and
    /// the walk fails with [`LayerError::DiffIdMismatch`] if it does not match.
    pub expected_diff_id: Option<Digest>,
}

/// How a layer blob is stored, detected from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    #[default]
    None,
    Gzip,
    Zstd,
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::None => "tar",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        })
    }
}

/// What a tar entry is, after whiteout names have been recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind<'a> {
    File,
    Dir,
    /// Target as written in the archive; resolve it with [`crate::FileTree::resolve`].
    Symlink {
        target: &'a str,
    },
    /// Target normalized like entry paths (relative to the image root).
    Hardlink {
        target: &'a str,
    },
    /// `dir/.wh.NAME`: deletes `dir/NAME` (the entry's `path`) from earlier layers.
    Whiteout,
    /// `dir/.wh..wh..opq`: hides everything earlier layers put under `dir` (the entry's `path`).
    OpaqueDir,
    /// Devices, fifos, aufs `.wh..wh.*` bookkeeping and anything else.
    Other,
}

/// One tar entry of a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Relative to the image root, `/`-separated, no leading `/`, no `.`/`..` components
    /// (`""` is the root itself). For whiteouts, the path being deleted.
    pub path: &'a str,
    pub kind: EntryKind<'a>,
    /// Permission bits (`0o7777` mask).
    pub mode: u32,
    /// Content size in bytes (0 for everything but files).
    pub size: u64,
    pub uid: u64,
    pub gid: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: u64,
}

/// Counters of one walk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerStats {
    pub compression: Compression,
    pub entries: u64,
    pub files: u64,
    /// Decompressed bytes read, including tar headers and trailing padding.
    pub decompressed_bytes: u64,
    /// Entries whose path or hardlink target tried to climb above the root with `..`;
    /// they were clamped at the root.
    pub clamped_paths: u64,
    /// The sha256 of the decompressed stream, when [`WalkOptions::expected_diff_id`] asked for it.
    pub diff_id: Option<Digest>,
}

/// Why a layer could not be walked. Each variant names what failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayerError {
    #[error("layer is {0}-compressed; only gzip, zstd and plain tar are supported")]
    UnsupportedCompression(&'static str),
    #[error("reading layer: {0}")]
    Read(#[source] io::Error),
    #[error("{compression} stream is corrupt or truncated near decompressed offset {offset}{}: {source}", after(.entry))]
    Stream {
        compression: Compression,
        offset: u64,
        entry: Option<String>,
        #[source]
        source: io::Error,
    },
    #[error("tar is corrupt or truncated near offset {offset}{}: {source}", after(.entry))]
    Tar {
        offset: u64,
        entry: Option<String>,
        #[source]
        source: io::Error,
    },
    #[error(
        "layer exceeds the limit of {limit} decompressed bytes (max_layer_bytes); decompression bomb?"
    )]
    LayerTooLarge { limit: u64 },
    #[error("layer has more than {limit} entries (max_entries)")]
    TooManyEntries { limit: u64 },
    #[error("file `{path}` is larger than the limit of {limit} bytes (max_file_bytes)")]
    FileTooLarge { path: String, limit: u64 },
    #[error("layer content has diff ID {actual}, but the image config says {expected}")]
    DiffIdMismatch { expected: Digest, actual: Digest },
    #[error("visiting `{path}`: {source}")]
    Visit {
        path: String,
        #[source]
        source: Box<dyn Error + Send + Sync>,
    },
}

fn after(entry: &Option<String>) -> String {
    entry
        .as_deref()
        .map(|e| format!(" (after entry `{e}`)"))
        .unwrap_or_default()
}

/// Failures below the tar parser, recorded where they happen so the walker can report
/// them precisely even after they passed through the tar crate or the visitor.
#[derive(Default)]
struct StreamState {
    bytes: Cell<u64>,
    layer_too_large: Cell<bool>,
    stream_error: RefCell<Option<io::Error>>,
    file_too_large: Cell<bool>,
}

/// Counts (and optionally hashes) the decompressed bytes, enforcing `max_layer_bytes`.
struct Counted<R> {
    inner: R,
    hasher: Option<Sha256>,
    limit: u64,
    state: Rc<StreamState>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.state.layer_too_large.get() || self.state.stream_error.borrow().is_some() {
            return Err(io::Error::other("layer stream already failed"));
        }
        match self.inner.read(buf) {
            Ok(n) => {
                let total = self.state.bytes.get() + n as u64;
                if total > self.limit {
                    self.state.layer_too_large.set(true);
                    return Err(io::Error::other("layer exceeds max_layer_bytes"));
                }
                self.state.bytes.set(total);
                if let Some(hasher) = &mut self.hasher {
                    hasher.update(&buf[..n]);
                }
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let marker = io::Error::new(e.kind(), "layer stream failed");
                *self.state.stream_error.borrow_mut() = Some(e);
                Err(marker)
            }
        }
    }
}

/// The content of one entry as handed to the visitor: at most the declared size, at most
/// `max_file_bytes`, and an error instead of silent truncation.
struct Content<'s, R> {
    inner: R,
    declared: u64,
    allowed: u64,
    read: u64,
    state: &'s StreamState,
}

impl<R: Read> Read for Content<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read >= self.declared || buf.is_empty() {
            return Ok(0);
        }
        if self.read >= self.allowed {
            self.state.file_too_large.set(true);
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("file exceeds max_file_bytes ({})", self.allowed),
            ));
        }
        let want = (buf.len() as u64)
            .min(self.declared - self.read)
            .min(self.allowed - self.read) as usize;
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "file content truncated after {} of {} bytes",
                    self.read, self.declared
                ),
            ));
        }
        self.read += n as u64;
        Ok(n)
    }
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const XZ_MAGIC: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0];
const BZIP2_MAGIC: &[u8] = b"BZh";

fn sniff(head: &[u8]) -> Result<Compression, LayerError> {
    if head.starts_with(GZIP_MAGIC) {
        Ok(Compression::Gzip)
    } else if head.starts_with(ZSTD_MAGIC) {
        Ok(Compression::Zstd)
    } else if head.starts_with(XZ_MAGIC) {
        Err(LayerError::UnsupportedCompression("xz"))
    } else if head.starts_with(BZIP2_MAGIC) {
        Err(LayerError::UnsupportedCompression("bzip2"))
    } else {
        Ok(Compression::None)
    }
}

/// Reads up to `buf.len()` bytes, fewer only at end of stream.
fn read_head(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

const RAW_BUFFER: usize = 256 * 1024;
const TAR_BUFFER: usize = 64 * 1024;

/// Streams one layer blob (gzip, zstd or plain tar, detected by magic bytes) and calls
/// `visit` for every tar entry, in archive order, with the entry and a reader of its
/// content (empty for non-files). Nothing is written to disk.
///
/// Unread content is skipped. The stream is read to its end, so a reader that verifies a
/// digest at end of stream gets to do so. Errors from `visit` stop the walk and come back
/// as [`LayerError::Visit`], unless they were caused by the layer itself (corrupt stream,
/// limits), which is reported instead.
pub fn walk_layer<R, F, E>(
    mut reader: R,
    options: &WalkOptions,
    mut visit: F,
) -> Result<LayerStats, LayerError>
where
    R: Read,
    F: FnMut(&Entry<'_>, &mut dyn Read) -> Result<(), E>,
    E: Into<Box<dyn Error + Send + Sync>>,
{
    let limits = options.limits;
    let mut head = [0u8; 6];
    let head_len = read_head(&mut reader, &mut head).map_err(LayerError::Read)?;
    let compression = sniff(&head[..head_len])?;
    let raw = BufReader::with_capacity(
        RAW_BUFFER,
        io::Cursor::new(head).take(head_len as u64).chain(reader),
    );
    let decoded: Box<dyn Read + '_> = match compression {
        Compression::None => Box::new(raw),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(raw)),
        Compression::Zstd => {
            Box::new(zstd::stream::read::Decoder::with_buffer(raw).map_err(LayerError::Read)?)
        }
    };
    let state = Rc::new(StreamState::default());
    let counted = Counted {
        inner: decoded,
        hasher: options
            .expected_diff_id
            .as_ref()
            .filter(|d| d.algorithm() == "sha256")
            .map(|_| Sha256::new()),
        limit: limits.max_layer_bytes,
        state: Rc::clone(&state),
    };
    let mut archive = tar::Archive::new(BufReader::with_capacity(TAR_BUFFER, counted));
    let mut stats = LayerStats {
        compression,
        ..LayerStats::default()
    };
    // Reused across entries: no per-entry allocation for paths.
    let mut path = String::new();
    let mut link = String::new();
    let mut scratch = String::new();
    let mut seen_entry = false;
    let failure = |error: io::Error, path: &str, seen: bool, tar_level: bool| {
        let entry = seen.then(|| path.to_owned());
        if state.layer_too_large.get() {
            return LayerError::LayerTooLarge {
                limit: limits.max_layer_bytes,
            };
        }
        let offset = state.bytes.get();
        match state.stream_error.borrow_mut().take() {
            Some(source) => LayerError::Stream {
                compression,
                offset,
                entry,
                source,
            },
            None if tar_level => LayerError::Tar {
                offset,
                entry,
                source: error,
            },
            None => LayerError::Read(error),
        }
    };

    let mut entries = archive
        .entries()
        .map_err(|e| failure(e, &path, seen_entry, true))?;
    loop {
        let mut entry = match entries.next() {
            None => break,
            Some(Ok(entry)) => entry,
            Some(Err(e)) => return Err(failure(e, &path, seen_entry, true)),
        };
        stats.entries += 1;
        if stats.entries > limits.max_entries {
            return Err(LayerError::TooManyEntries {
                limit: limits.max_entries,
            });
        }
        seen_entry = true;
        let header = entry.header();
        let entry_type = header.entry_type();
        let mode = header.mode().unwrap_or(0) & 0o7777;
        let uid = header.uid().unwrap_or(0);
        let gid = header.gid().unwrap_or(0);
        let mtime = header.mtime().unwrap_or(0);
        if normalize_into(&String::from_utf8_lossy(&entry.path_bytes()), &mut path) {
            stats.clamped_paths += 1;
            tracing::debug!(path, "layer entry path climbs above the root; clamped");
        }
        let link_kind = match entry_type {
            tar::EntryType::Symlink => {
                link.clear();
                if let Some(target) = entry.link_name_bytes() {
                    link.push_str(&String::from_utf8_lossy(&target));
                }
                Some(true)
            }
            tar::EntryType::Link => {
                let target = entry.link_name_bytes().unwrap_or_default();
                if normalize_into(&String::from_utf8_lossy(&target), &mut link) {
                    stats.clamped_paths += 1;
                }
                Some(false)
            }
            _ => None,
        };
        let is_file = matches!(
            entry_type,
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse
        );
        let name_start = path.len() - path.rsplit('/').next().map_or(0, str::len);
        let kind = if let Some(name) = path[name_start..].strip_prefix(".wh.") {
            if name == ".wh..opq" {
                scratch.clear();
                scratch.push_str(parent(&path));
                std::mem::swap(&mut path, &mut scratch);
                EntryKind::OpaqueDir
            } else if name.is_empty() || name.starts_with(".wh.") {
                EntryKind::Other
            } else {
                path.replace_range(name_start..name_start + 4, "");
                EntryKind::Whiteout
            }
        } else {
            match (link_kind, entry_type) {
                (Some(true), _) => EntryKind::Symlink { target: &link },
                (Some(false), _) => EntryKind::Hardlink { target: &link },
                (None, tar::EntryType::Directory) => EntryKind::Dir,
                (None, _) if is_file => EntryKind::File,
                _ => EntryKind::Other,
            }
        };
        let size = if kind == EntryKind::File {
            stats.files += 1;
            entry.size()
        } else {
            0
        };
        let visible = Entry {
            path: &path,
            kind,
            mode,
            size,
            uid,
            gid,
            mtime,
        };
        let mut content = Content {
            inner: &mut entry,
            declared: size,
            allowed: limits.max_file_bytes,
            read: 0,
            state: &state,
        };
        if let Err(e) = visit(&visible, &mut content) {
            if state.file_too_large.get() {
                return Err(LayerError::FileTooLarge {
                    path: path.clone(),
                    limit: limits.max_file_bytes,
                });
            }
            let source = e.into();
            if state.layer_too_large.get() || state.stream_error.borrow().is_some() {
                let io_error = io::Error::other(source.to_string());
                return Err(failure(io_error, &path, true, true));
            }
            return Err(LayerError::Visit {
                path: path.clone(),
                source,
            });
        }
        state.file_too_large.set(false);
    }

    // Past the end-of-archive marker: read padding to the end so the whole stream is hashed
    // and the blob reader below sees its end.
    let mut counted = archive.into_inner().into_inner();
    io::copy(&mut counted, &mut io::sink()).map_err(|e| failure(e, &path, seen_entry, false))?;
    stats.decompressed_bytes = state.bytes.get();
    if let (Some(hasher), Some(expected)) = (counted.hasher.take(), &options.expected_diff_id) {
        let actual = Digest::from_sha256_bytes(hasher.finalize().into());
        if &actual != expected {
            return Err(LayerError::DiffIdMismatch {
                expected: expected.clone(),
                actual,
            });
        }
        stats.diff_id = Some(actual);
    }
    Ok(stats)
}
