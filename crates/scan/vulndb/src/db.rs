//! The database file: written once by [`write`], memory-mapped and read lazily by [`Database`].
//!
//! Layout (integers little-endian):
//! ```text
//! "KABUTODB"  u32 format version  u32 header length  header (JSON DbInfo)
//! body:  u32 package count, u32 advisory count
//!        package index: count x (u32 key offset, u32 key length, u32 blob offset, u32 blob length)
//!        advisory index: count x (u32 blob offset, u32 blob length)
//!        keys, package blobs, advisory blobs
//! ```
//! Offsets are relative to the body. Keys are `ecosystem \0 normalised name`, sorted bytewise,
//! so a lookup is a binary search. A package blob is zstd-compressed JSON
//! `[(advisory number, Affected)]`; an advisory blob is zstd-compressed JSON of the advisory
//! without its affected list. Opening reads only the header and checks the body's CRC-32.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::advisory::{Advisory, Affected};
use crate::names;

const MAGIC: &[u8; 8] = b"KABUTODB";
/// Bumped whenever the layout or the blob encoding changes.
pub const FORMAT_VERSION: u32 = 1;
const PREAMBLE: usize = 16;
const PACKAGE_ENTRY: usize = 16;
const ADVISORY_ENTRY: usize = 8;
const ZSTD_LEVEL: i32 = 9;

/// What `kabuto db info` shows: stored in the file's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbInfo {
    pub format_version: u32,
    /// RFC 3339 UTC build time.
    pub built_at: String,
    /// The source paths or names the database was built from.
    pub sources: Vec<String>,
    pub advisories: u64,
    pub packages: u64,
    /// Per OSV ecosystem string: number of (package, advisory) entries.
    pub ecosystems: BTreeMap<String, u64>,
    pub body_len: u64,
    /// CRC-32 (IEEE) of the body, checked on every open.
    pub body_crc32: u32,
}

/// A warning for the user when the database was built more than `max_age` before `now`
/// (advisories published since are missing), or when its build time cannot be read.
/// `None` when it is fresh enough.
pub fn age_warning(
    info: &DbInfo,
    max_age: time::Duration,
    now: time::OffsetDateTime,
) -> Option<String> {
    let built = match time::OffsetDateTime::parse(
        &info.built_at,
        &time::format_description::well_known::Rfc3339,
    ) {
        Ok(t) => t,
        Err(e) => {
            return Some(format!(
                "the vulnerability database's build time `{}` is unreadable ({e}); it may be out of date",
                info.built_at
            ));
        }
    };
    let age = now - built;
    (age > max_age).then(|| {
        format!(
            "the vulnerability database was built {} ago ({}), more than the allowed {}; findings published since are missing: update it",
            whole_days_or_hours(age),
            info.built_at,
            whole_days_or_hours(max_age)
        )
    })
}

fn whole_days_or_hours(d: time::Duration) -> String {
    match d.whole_days() {
        0 => format!("{} hours", d.whole_hours()),
        1 => "1 day".to_owned(),
        n => format!("{n} days"),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot read database {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a Kabuto vulnerability database (bad magic)")]
    BadMagic { path: PathBuf },
    #[error(
        "{path} has database format version {found}, this Kabuto reads version {FORMAT_VERSION}; rebuild or re-download it"
    )]
    WrongVersion { path: PathBuf, found: u32 },
    #[error("{path} is truncated or corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("{path}: checksum mismatch (body CRC-32 {found:08x}, header says {expected:08x})")]
    Checksum {
        path: PathBuf,
        expected: u32,
        found: u32,
    },
}

enum Storage {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Deref for Storage {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Storage::Mapped(m) => m,
            Storage::Owned(v) => v,
        }
    }
}

/// An opened database. Cheap to open; records are decoded only when looked up.
pub struct Database {
    path: PathBuf,
    data: Storage,
    info: DbInfo,
    body_start: usize,
    package_count: usize,
    advisory_count: usize,
}

/// Identifies an advisory inside one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AdvisoryRef(u32);

/// One advisory's entry for the looked-up package, before its text is decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageEntry {
    pub advisory: AdvisoryRef,
    pub affected: Affected,
}

impl Database {
    /// Memory-maps and validates `path` (magic, version, header, length, body checksum).
    pub fn open(path: &Path) -> Result<Database, DbError> {
        let io = |source| DbError::Io {
            path: path.to_owned(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        Database::validate(path, Storage::Mapped(map(&file).map_err(io)?))
    }

    /// Validates a database held in memory (tests, fuzzing, downloads before writing).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Database, DbError> {
        Database::validate(Path::new("<memory>"), Storage::Owned(bytes))
    }

    fn validate(path: &Path, data: Storage) -> Result<Database, DbError> {
        let corrupt = |reason: &str| DbError::Corrupt {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        if data.len() < PREAMBLE {
            return if data.starts_with(&MAGIC[..data.len().min(8)]) && !data.is_empty() {
                Err(corrupt("shorter than the file preamble"))
            } else {
                Err(DbError::BadMagic {
                    path: path.to_owned(),
                })
            };
        }
        if &data[..8] != MAGIC {
            return Err(DbError::BadMagic {
                path: path.to_owned(),
            });
        }
        let version = read_u32(&data, 8).ok_or_else(|| corrupt("no version"))?;
        if version != FORMAT_VERSION {
            return Err(DbError::WrongVersion {
                path: path.to_owned(),
                found: version,
            });
        }
        let header_len = read_u32(&data, 12).ok_or_else(|| corrupt("no header length"))? as usize;
        let body_start = PREAMBLE
            .checked_add(header_len)
            .filter(|&end| end <= data.len())
            .ok_or_else(|| corrupt("header runs past the end of the file"))?;
        let info: DbInfo = serde_json::from_slice(&data[PREAMBLE..body_start])
            .map_err(|e| corrupt(&format!("header: {e}")))?;
        let body = &data[body_start..];
        if body.len() as u64 != info.body_len {
            return Err(corrupt(&format!(
                "body is {} bytes, header says {}",
                body.len(),
                info.body_len
            )));
        }
        let found = crc32fast::hash(body);
        if found != info.body_crc32 {
            return Err(DbError::Checksum {
                path: path.to_owned(),
                expected: info.body_crc32,
                found,
            });
        }
        let package_count = read_u32(body, 0).ok_or_else(|| corrupt("no package count"))? as usize;
        let advisory_count =
            read_u32(body, 4).ok_or_else(|| corrupt("no advisory count"))? as usize;
        let tables = 8 + package_count * PACKAGE_ENTRY + advisory_count * ADVISORY_ENTRY;
        if tables > body.len() {
            return Err(corrupt("index tables run past the end of the file"));
        }
        Ok(Database {
            path: path.to_owned(),
            data,
            info,
            body_start,
            package_count,
            advisory_count,
        })
    }

    /// The whole file, for installing a validated in-memory database.
    pub fn into_bytes(self) -> Vec<u8> {
        match self.data {
            Storage::Mapped(m) => m.to_vec(),
            Storage::Owned(v) => v,
        }
    }

    pub fn info(&self) -> &DbInfo {
        &self.info
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn body(&self) -> &[u8] {
        &self.data[self.body_start..]
    }

    fn corrupt(&self, reason: String) -> DbError {
        DbError::Corrupt {
            path: self.path.clone(),
            reason,
        }
    }

    fn slice(&self, offset: u32, len: u32, what: &str) -> Result<&[u8], DbError> {
        let (start, len) = (offset as usize, len as usize);
        self.body()
            .get(start..start.saturating_add(len))
            .ok_or_else(|| self.corrupt(format!("{what} at {start}+{len} is out of bounds")))
    }

    fn package_key(&self, i: usize) -> Result<&[u8], DbError> {
        let at = 8 + i * PACKAGE_ENTRY;
        let body = self.body();
        let (Some(off), Some(len)) = (read_u32(body, at), read_u32(body, at + 4)) else {
            return Err(self.corrupt(format!("package index entry {i}")));
        };
        self.slice(off, len, "package key")
    }

    /// The entries of every advisory affecting `name` in `ecosystem` (an OSV ecosystem string
    /// such as `PyPI` or `Debian:12`). The name is normalised the way the ecosystem requires.
    pub fn lookup(&self, ecosystem: &str, name: &str) -> Result<Vec<PackageEntry>, DbError> {
        let key = index_key(ecosystem, &names::normalize(ecosystem, name));
        let (mut lo, mut hi) = (0, self.package_count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.package_key(mid)?.cmp(key.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return self.package_entries(mid),
            }
        }
        Ok(Vec::new())
    }

    fn package_entries(&self, i: usize) -> Result<Vec<PackageEntry>, DbError> {
        let at = 8 + i * PACKAGE_ENTRY + 8;
        let body = self.body();
        let (Some(off), Some(len)) = (read_u32(body, at), read_u32(body, at + 4)) else {
            return Err(self.corrupt(format!("package index entry {i}")));
        };
        let raw: Vec<(u32, Affected)> = self.decode(self.slice(off, len, "package record")?)?;
        raw.into_iter()
            .map(|(n, affected)| {
                if (n as usize) < self.advisory_count {
                    Ok(PackageEntry {
                        advisory: AdvisoryRef(n),
                        affected,
                    })
                } else {
                    Err(self.corrupt(format!("package record names advisory {n}")))
                }
            })
            .collect()
    }

    /// The advisory's text, severity and ids (its `affected` list is empty: the package
    /// entries carry the per-package ranges).
    pub fn advisory(&self, r: AdvisoryRef) -> Result<Advisory, DbError> {
        let at = 8 + self.package_count * PACKAGE_ENTRY + r.0 as usize * ADVISORY_ENTRY;
        let body = self.body();
        let (Some(off), Some(len)) = (read_u32(body, at), read_u32(body, at + 4)) else {
            return Err(self.corrupt(format!("advisory index entry {}", r.0)));
        };
        self.decode(self.slice(off, len, "advisory record")?)
    }

    /// Every advisory affecting the package, each with only that package's affected entry.
    pub fn advisories_for(
        &self,
        ecosystem: &str,
        name: &str,
    ) -> Result<impl Iterator<Item = Result<Advisory, DbError>> + '_, DbError> {
        Ok(self.lookup(ecosystem, name)?.into_iter().map(|e| {
            let mut advisory = self.advisory(e.advisory)?;
            advisory.affected = vec![e.affected];
            Ok(advisory)
        }))
    }

    fn decode<T: serde::de::DeserializeOwned>(&self, blob: &[u8]) -> Result<T, DbError> {
        // Records state their size (the writer compresses whole buffers); allocate just that.
        let capacity = match zstd::zstd_safe::get_frame_content_size(blob) {
            Ok(Some(n)) if n <= MAX_BLOB as u64 => n as usize,
            Ok(Some(n)) => {
                return Err(self.corrupt(format!("record claims {n} bytes decompressed")));
            }
            _ => MAX_BLOB,
        };
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            let Scratch {
                decompressor,
                buffer,
            } = &mut *scratch;
            let decompressor = match decompressor {
                Some(d) => d,
                None => decompressor.insert(
                    zstd::bulk::Decompressor::new()
                        .map_err(|e| self.corrupt(format!("zstd context: {e}")))?,
                ),
            };
            buffer.clear();
            buffer.reserve(capacity);
            decompressor
                .decompress_to_buffer(blob, buffer)
                .map_err(|e| self.corrupt(format!("record does not decompress: {e}")))?;
            serde_json::from_slice(buffer)
                .map_err(|e| self.corrupt(format!("record does not decode: {e}")))
        })
    }
}

/// Upper bound on one decompressed record, so a corrupt length cannot exhaust memory.
const MAX_BLOB: usize = 64 << 20;

/// Per-thread decoding state: creating a zstd context, or touching fresh pages for every
/// record's text, costs more than decoding a small record.
#[derive(Default)]
struct Scratch {
    decompressor: Option<zstd::bulk::Decompressor<'static>>,
    buffer: Vec<u8>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

#[allow(unsafe_code)]
fn map(file: &File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the mapping is read-only and Kabuto never modifies a database in place: builds,
    // imports and updates write a new file and rename it over the old one, so the mapped
    // inode's contents do not change while we hold it.
    unsafe { memmap2::Mmap::map(file) }
}

fn read_u32(data: &[u8], at: usize) -> Option<u32> {
    let bytes = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

fn index_key(ecosystem: &str, normalized_name: &str) -> String {
    format!("{ecosystem}\0{normalized_name}")
}

/// Errors while writing a database file.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write database {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("database would exceed the 4 GiB format limit")]
    TooLarge,
    #[error("cannot encode advisory {id}: {reason}")]
    Encode { id: String, reason: String },
}

fn compress(json: &[u8]) -> Result<Vec<u8>, std::io::Error> {
    zstd::bulk::compress(json, ZSTD_LEVEL)
}

/// Serialises advisories into the file format. `sources` and `built_at` go into the header.
pub fn encode(
    advisories: &[Advisory],
    sources: Vec<String>,
    built_at: String,
) -> Result<Vec<u8>, WriteError> {
    let encode_err = |id: &str, e: &dyn std::fmt::Display| WriteError::Encode {
        id: id.to_owned(),
        reason: e.to_string(),
    };
    let mut packages: BTreeMap<String, Vec<(u32, &Affected)>> = BTreeMap::new();
    let mut ecosystems: BTreeMap<String, u64> = BTreeMap::new();
    let mut advisory_blobs = Vec::with_capacity(advisories.len());
    for (n, adv) in advisories.iter().enumerate() {
        let n = u32::try_from(n).map_err(|_| WriteError::TooLarge)?;
        for a in &adv.affected {
            packages
                .entry(index_key(
                    &a.ecosystem,
                    &names::normalize(&a.ecosystem, &a.name),
                ))
                .or_default()
                .push((n, a));
            *ecosystems.entry(a.ecosystem.clone()).or_default() += 1;
        }
        let meta = Advisory {
            affected: Vec::new(),
            ..adv.clone()
        };
        let json = serde_json::to_vec(&meta).map_err(|e| encode_err(adv.id.as_str(), &e))?;
        advisory_blobs.push(compress(&json).map_err(|e| encode_err(adv.id.as_str(), &e))?);
    }
    let mut package_blobs = Vec::with_capacity(packages.len());
    for (key, entries) in &packages {
        let json = serde_json::to_vec(entries).map_err(|e| encode_err(key, &e))?;
        package_blobs.push(compress(&json).map_err(|e| encode_err(key, &e))?);
    }

    let tables = 8 + packages.len() * PACKAGE_ENTRY + advisories.len() * ADVISORY_ENTRY;
    let mut index = Vec::with_capacity(tables);
    let mut heap: Vec<u8> = Vec::new();
    let put = |bytes: &[u8], heap: &mut Vec<u8>| -> Result<(u32, u32), WriteError> {
        let off = u32::try_from(tables + heap.len()).map_err(|_| WriteError::TooLarge)?;
        let len = u32::try_from(bytes.len()).map_err(|_| WriteError::TooLarge)?;
        heap.extend_from_slice(bytes);
        Ok((off, len))
    };
    let to_u32 = |n: usize| u32::try_from(n).map_err(|_| WriteError::TooLarge);
    index.extend_from_slice(&to_u32(packages.len())?.to_le_bytes());
    index.extend_from_slice(&to_u32(advisories.len())?.to_le_bytes());
    for (key, blob) in packages.keys().zip(&package_blobs) {
        let (ko, kl) = put(key.as_bytes(), &mut heap)?;
        let (bo, bl) = put(blob, &mut heap)?;
        for v in [ko, kl, bo, bl] {
            index.extend_from_slice(&v.to_le_bytes());
        }
    }
    for blob in &advisory_blobs {
        let (bo, bl) = put(blob, &mut heap)?;
        index.extend_from_slice(&bo.to_le_bytes());
        index.extend_from_slice(&bl.to_le_bytes());
    }
    let mut body = index;
    body.extend_from_slice(&heap);

    let info = DbInfo {
        format_version: FORMAT_VERSION,
        built_at,
        sources,
        advisories: advisories.len() as u64,
        packages: packages.len() as u64,
        ecosystems,
        body_len: body.len() as u64,
        body_crc32: crc32fast::hash(&body),
    };
    let header = serde_json::to_vec(&info).map_err(|e| encode_err("(header)", &e))?;
    let mut out = Vec::with_capacity(PREAMBLE + header.len() + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&to_u32(header.len())?.to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, synced, then
/// renamed over the target. Readers see the old file or the new one, never a mix.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), std::io::Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
