//! The database file: written once by [`encode`] and [`write_atomically`], read whole and
//! checked by [`Database`], its records decoded lazily.
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
//! without its affected list. Keys and records follow one another in index order (key 0,
//! record 0, key 1, ..., advisory 0, ...) and fill the rest of the body exactly.
//!
//! Opening checks the body's CRC-32, then that the index's spans tile the record area in that
//! order and that the keys are sorted: a file whose checksum was recomputed after tampering
//! cannot make a lookup read outside the file, read another entry's bytes, or miss a key.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::advisory::{Advisory, Affected};
use crate::age::BuildTime;
use crate::namespace::AdvisoryNamespace;

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
    pub built_at: BuildTime,
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
    #[error("{path}: checksum mismatch (body CRC-32 {found:08x}, header says {expected:08x})")]
    Checksum {
        path: PathBuf,
        expected: u32,
        found: u32,
    },
    /// The file's structure or one of its records is inconsistent: truncated, damaged after
    /// its checksum was computed, or crafted.
    #[error("broken database: {path}: {problem}")]
    Broken {
        /// The file, or the URL it was downloaded from.
        path: PathBuf,
        #[source]
        problem: Problem,
    },
}

/// What is wrong with a broken database.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("{len} bytes is shorter than the {PREAMBLE}-byte preamble (truncated)")]
    ShortPreamble { len: usize },
    #[error("the {len}-byte header runs past the end of the file (truncated)")]
    HeaderPastEnd { len: u32 },
    #[error("header: {0}")]
    Header(#[source] serde_json::Error),
    #[error("the body is {found} bytes, the header says {expected} (truncated)")]
    BodyLength { found: usize, expected: u64 },
    #[error("the file is larger than the {MAX_DATABASE_BYTES}-byte limit")]
    TooLarge,
    #[error("the body has no package and advisory counts")]
    NoCounts,
    #[error(
        "the index has {packages} packages and {advisories} advisories, the header says {header_packages} and {header_advisories}"
    )]
    CountMismatch {
        packages: u32,
        advisories: u32,
        header_packages: u64,
        header_advisories: u64,
    },
    #[error("the index tables run past the end of the file")]
    TablesPastEnd,
    #[error(
        "{entry} {part} at offset {offset} (+{len} bytes) runs outside the file ({file_end} bytes of body)"
    )]
    OutsideFile {
        entry: Entry,
        part: &'static str,
        offset: u32,
        len: u32,
        file_end: usize,
    },
    #[error(
        "{entry} {part} at offset {offset} is not where the previous record ends ({expected}): records must follow one another in index order"
    )]
    Misplaced {
        entry: Entry,
        part: &'static str,
        offset: u32,
        expected: usize,
    },
    #[error("bytes {offset}..{end} of the body belong to no index entry")]
    TrailingBytes { offset: usize, end: usize },
    #[error("package entry {entry}'s key does not sort after entry {}'s: lookups would miss packages", entry - 1)]
    Unsorted { entry: usize },
    #[error("{entry} record claims {claimed} bytes decompressed, over the {MAX_RECORD}-byte limit")]
    RecordTooLarge { entry: Entry, claimed: u64 },
    #[error("{entry} record does not decompress: {source}")]
    Decompress {
        entry: Entry,
        #[source]
        source: std::io::Error,
    },
    #[error("{entry} record does not decode: {source}")]
    Decode {
        entry: Entry,
        #[source]
        source: serde_json::Error,
    },
    #[error("{entry} record names advisory {number}; there are {advisories}")]
    UnknownAdvisory {
        entry: Entry,
        number: u32,
        advisories: usize,
    },
}

/// An index entry a problem was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Package(usize),
    Advisory(usize),
}

impl std::fmt::Display for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Entry::Package(n) => write!(f, "package entry {n}"),
            Entry::Advisory(n) => write!(f, "advisory entry {n}"),
        }
    }
}

/// Databases larger than this are refused: offsets are 32-bit, and the whole file is read.
pub const MAX_DATABASE_BYTES: u64 = 2 << 30;

/// Upper bound on one decompressed record, so a corrupt length cannot exhaust memory.
const MAX_RECORD: usize = 64 << 20;

/// A byte range of the file, checked on open to be one entry's own bytes.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

impl Span {
    fn of(self, data: &[u8]) -> &[u8] {
        let start = self.start as usize;
        // In bounds: `Database::open` checked every span against the file it keeps.
        &data[start..start + self.len as usize]
    }
}

/// One package's index entry.
#[derive(Debug, Clone, Copy)]
struct PackageSlot {
    key: Span,
    record: Span,
}

/// An opened database: the whole file in memory, its index checked.
///
/// The file is read, not memory-mapped: a mapping faults (SIGBUS) when another process
/// truncates the file, and a server keeps its database open for days. Reading costs a few
/// milliseconds and the file's size in memory; afterwards nothing done to the file can
/// change or crash an open database.
pub struct Database {
    path: PathBuf,
    data: Vec<u8>,
    info: DbInfo,
    packages: Vec<PackageSlot>,
    advisories: Vec<Span>,
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
    /// Reads and checks `path` (see [`Database::from_bytes`]).
    pub fn open(path: &Path) -> Result<Database, DbError> {
        let io = |source| DbError::Io {
            path: path.to_owned(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len > MAX_DATABASE_BYTES {
            return Err(DbError::Broken {
                path: path.to_owned(),
                problem: Problem::TooLarge,
            });
        }
        // The file may change as we read: `from_bytes` checks what was read.
        let mut data = Vec::with_capacity(len as usize);
        file.take(MAX_DATABASE_BYTES + 1)
            .read_to_end(&mut data)
            .map_err(io)?;
        Database::from_bytes(data, path)
    }

    /// Checks a database held in memory: magic, version, header, length, body checksum, and
    /// that every index entry points inside the file with the keys in order. `path` names the
    /// file or URL the bytes came from, for errors. Records are decoded only when looked up
    /// ([`Database::check_records`] decodes them all).
    pub fn from_bytes(data: Vec<u8>, path: impl Into<PathBuf>) -> Result<Database, DbError> {
        let path = path.into();
        let broken = |problem| DbError::Broken {
            path: path.clone(),
            problem,
        };
        let (info, body_start) = read_header(&data, &path)?;
        let body = &data[body_start..];
        if body.len() as u64 != info.body_len {
            return Err(broken(Problem::BodyLength {
                found: body.len(),
                expected: info.body_len,
            }));
        }
        let found = crc32fast::hash(body);
        if found != info.body_crc32 {
            return Err(DbError::Checksum {
                path,
                expected: info.body_crc32,
                found,
            });
        }
        let (packages, advisories) = read_index(&data, body_start, &info).map_err(broken)?;
        Ok(Database {
            path,
            data,
            info,
            packages,
            advisories,
        })
    }

    /// Decodes every record, as a lookup of every package would: the check `db import` and
    /// `db update` run before installing a file.
    pub fn check_records(&self) -> Result<(), DbError> {
        (0..self.packages.len())
            .into_par_iter()
            .try_for_each(|i| self.package_entries(i).map(drop))?;
        (0..self.advisories.len())
            .into_par_iter()
            .try_for_each(|i| self.advisory_at(i).map(drop))
    }

    /// The whole file, for installing a checked in-memory database.
    pub fn into_bytes(self) -> Vec<u8> {
        self.data
    }

    pub fn info(&self) -> &DbInfo {
        &self.info
    }

    /// The file, or the URL it was downloaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn broken(&self, problem: Problem) -> DbError {
        DbError::Broken {
            path: self.path.clone(),
            problem,
        }
    }

    /// The entries of every advisory affecting `name` in `namespace` (`PyPI`, `Debian:12`, or
    /// its text). The name is normalised the way the namespace requires.
    pub fn lookup(
        &self,
        namespace: impl Into<AdvisoryNamespace>,
        name: &str,
    ) -> Result<Vec<PackageEntry>, DbError> {
        let key = index_key(&namespace.into(), name);
        match self
            .packages
            .binary_search_by(|slot| slot.key.of(&self.data).cmp(key.as_bytes()))
        {
            Ok(i) => self.package_entries(i),
            Err(_) => Ok(Vec::new()),
        }
    }

    fn package_entries(&self, i: usize) -> Result<Vec<PackageEntry>, DbError> {
        let entry = Entry::Package(i);
        let record = self.packages[i].record.of(&self.data);
        let raw: Vec<(u32, Affected)> = self.decode(entry, record)?;
        raw.into_iter()
            .map(|(number, affected)| {
                if (number as usize) < self.advisories.len() {
                    Ok(PackageEntry {
                        advisory: AdvisoryRef(number),
                        affected,
                    })
                } else {
                    Err(self.broken(Problem::UnknownAdvisory {
                        entry,
                        number,
                        advisories: self.advisories.len(),
                    }))
                }
            })
            .collect()
    }

    /// The advisory's text, severity and ids (its `affected` list is empty: the package
    /// entries carry the per-package ranges). `r` must come from this database's lookups.
    pub fn advisory(&self, r: AdvisoryRef) -> Result<Advisory, DbError> {
        self.advisory_at(r.0 as usize)
    }

    fn advisory_at(&self, i: usize) -> Result<Advisory, DbError> {
        let entry = Entry::Advisory(i);
        let Some(span) = self.advisories.get(i) else {
            return Err(self.broken(Problem::UnknownAdvisory {
                entry,
                number: i as u32,
                advisories: self.advisories.len(),
            }));
        };
        self.decode(entry, span.of(&self.data))
    }

    /// Every advisory affecting the package, each with only that package's affected entry.
    pub fn advisories_for(
        &self,
        namespace: impl Into<AdvisoryNamespace>,
        name: &str,
    ) -> Result<impl Iterator<Item = Result<Advisory, DbError>> + '_, DbError> {
        Ok(self.lookup(namespace, name)?.into_iter().map(|e| {
            let mut advisory = self.advisory(e.advisory)?;
            advisory.affected = vec![e.affected];
            Ok(advisory)
        }))
    }

    fn decode<T: serde::de::DeserializeOwned>(
        &self,
        entry: Entry,
        record: &[u8],
    ) -> Result<T, DbError> {
        // Records state their size (the writer compresses whole buffers); allocate just that.
        let capacity = match zstd::zstd_safe::get_frame_content_size(record) {
            Ok(Some(n)) if n <= MAX_RECORD as u64 => n as usize,
            Ok(Some(claimed)) => {
                return Err(self.broken(Problem::RecordTooLarge { entry, claimed }));
            }
            _ => MAX_RECORD,
        };
        let decompress = |source| self.broken(Problem::Decompress { entry, source });
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            let Scratch {
                decompressor,
                buffer,
            } = &mut *scratch;
            let decompressor = match decompressor {
                Some(d) => d,
                None => decompressor.insert(zstd::bulk::Decompressor::new().map_err(decompress)?),
            };
            buffer.clear();
            buffer.reserve(capacity);
            decompressor
                .decompress_to_buffer(record, buffer)
                .map_err(decompress)?;
            serde_json::from_slice(buffer)
                .map_err(|source| self.broken(Problem::Decode { entry, source }))
        })
    }
}

/// The header, and where the body starts.
fn read_header(data: &[u8], path: &Path) -> Result<(DbInfo, usize), DbError> {
    let broken = |problem| DbError::Broken {
        path: path.to_owned(),
        problem,
    };
    let bad_magic = || DbError::BadMagic {
        path: path.to_owned(),
    };
    if data.len() as u64 > MAX_DATABASE_BYTES {
        return Err(broken(Problem::TooLarge));
    }
    let Some((preamble, rest)) = data.split_first_chunk::<PREAMBLE>() else {
        return Err(
            if !data.is_empty() && MAGIC.starts_with(&data[..data.len().min(8)]) {
                broken(Problem::ShortPreamble { len: data.len() })
            } else {
                bad_magic()
            },
        );
    };
    let (words, _) = preamble.as_chunks::<4>();
    if preamble[..8] != MAGIC[..] {
        return Err(bad_magic());
    }
    let version = u32::from_le_bytes(words[2]);
    if version != FORMAT_VERSION {
        return Err(DbError::WrongVersion {
            path: path.to_owned(),
            found: version,
        });
    }
    let header_len = u32::from_le_bytes(words[3]);
    let header = rest
        .get(..header_len as usize)
        .ok_or_else(|| broken(Problem::HeaderPastEnd { len: header_len }))?;
    let info = serde_json::from_slice(header).map_err(|e| broken(Problem::Header(e)))?;
    Ok((info, PREAMBLE + header.len()))
}

/// The package and advisory index of the body at `body_start`, checked: the spans tile the
/// record area (after the tables, to the end of the file) in index order, as the writer lays
/// them out, so no entry can point outside the file or at another entry's bytes; and the
/// package keys are in strictly increasing order, as the binary search in lookups needs.
fn read_index(
    data: &[u8],
    body_start: usize,
    info: &DbInfo,
) -> Result<(Vec<PackageSlot>, Vec<Span>), Problem> {
    let body = &data[body_start..];
    let [packages, advisories] = words::<2>(body).next().ok_or(Problem::NoCounts)?;
    if u64::from(packages) != info.packages || u64::from(advisories) != info.advisories {
        return Err(Problem::CountMismatch {
            packages,
            advisories,
            header_packages: info.packages,
            header_advisories: info.advisories,
        });
    }
    let tables_len = 8
        + u64::from(packages) * PACKAGE_ENTRY as u64
        + u64::from(advisories) * ADVISORY_ENTRY as u64;
    if tables_len > body.len() as u64 {
        return Err(Problem::TablesPastEnd);
    }
    let package_table = 8..8 + packages as usize * PACKAGE_ENTRY;
    let advisory_table = package_table.end..tables_len as usize;
    let mut tiles = Tiles {
        body_start,
        next: advisory_table.end,
        end: body.len(),
    };
    let mut slots = Vec::with_capacity(packages as usize);
    for (i, [key_offset, key_len, record_offset, record_len]) in
        words::<4>(&body[package_table]).enumerate()
    {
        let entry = Entry::Package(i);
        slots.push(PackageSlot {
            key: tiles.next(entry, "key", key_offset, key_len)?,
            record: tiles.next(entry, "record", record_offset, record_len)?,
        });
    }
    if let Some(i) = slots
        .windows(2)
        .position(|pair| pair[0].key.of(data) >= pair[1].key.of(data))
    {
        return Err(Problem::Unsorted { entry: i + 1 });
    }
    let mut spans = Vec::with_capacity(advisories as usize);
    for (i, [offset, len]) in words::<2>(&body[advisory_table]).enumerate() {
        spans.push(tiles.next(Entry::Advisory(i), "record", offset, len)?);
    }
    if tiles.next != tiles.end {
        return Err(Problem::TrailingBytes {
            offset: tiles.next,
            end: tiles.end,
        });
    }
    Ok((slots, spans))
}

/// Walks the record area as the index's spans should cover it: each one where the previous
/// ended. Offsets are relative to the body; the spans made are relative to the file.
struct Tiles {
    body_start: usize,
    /// Body offset where the next span must start.
    next: usize,
    /// The body's length.
    end: usize,
}

impl Tiles {
    fn next(
        &mut self,
        entry: Entry,
        part: &'static str,
        offset: u32,
        len: u32,
    ) -> Result<Span, Problem> {
        let (start, end) = (offset as usize, offset as usize + len as usize);
        if end > self.end {
            return Err(Problem::OutsideFile {
                entry,
                part,
                offset,
                len,
                file_end: self.end,
            });
        }
        if start != self.next {
            return Err(Problem::Misplaced {
                entry,
                part,
                offset,
                expected: self.next,
            });
        }
        self.next = end;
        let file_start = u32::try_from(self.body_start + start).map_err(|_| Problem::TooLarge)?;
        Ok(Span {
            start: file_start,
            len,
        })
    }
}

/// `bytes` as entries of `N` little-endian u32 fields (a trailing partial entry is ignored).
fn words<const N: usize>(bytes: &[u8]) -> impl Iterator<Item = [u32; N]> + '_ {
    let (words, _) = bytes.as_chunks::<4>();
    let (entries, _) = words.as_chunks::<N>();
    entries.iter().map(|entry| entry.map(u32::from_le_bytes))
}

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

/// `namespace \0 normalised name`: the one place a key is spelled, for writing and lookup.
fn index_key(namespace: &AdvisoryNamespace, name: &str) -> String {
    format!("{namespace}\0{}", namespace.normalize(name))
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
    built_at: BuildTime,
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
                .entry(index_key(&a.ecosystem, &a.name))
                .or_default()
                .push((n, a));
            *ecosystems.entry(a.ecosystem.to_string()).or_default() += 1;
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
        body_len: 0,
        body_crc32: 0,
    };
    seal(info, &body)
}

/// The file: preamble, `info` as the header (with the body's length and checksum), body.
fn seal(info: DbInfo, body: &[u8]) -> Result<Vec<u8>, WriteError> {
    let info = DbInfo {
        body_len: body.len() as u64,
        body_crc32: crc32fast::hash(body),
        ..info
    };
    let header = serde_json::to_vec(&info).map_err(|e| WriteError::Encode {
        id: "(header)".to_owned(),
        reason: e.to_string(),
    })?;
    let header_len = u32::try_from(header.len()).map_err(|_| WriteError::TooLarge)?;
    let mut out = Vec::with_capacity(PREAMBLE + header.len() + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(body);
    Ok(out)
}

/// `file` with its body edited by `edit` and the header's length and checksum made to match:
/// a tampered file that passes the checksum, for tests and fuzzing of the structural checks.
/// `None` when the file's header does not read.
#[doc(hidden)]
pub fn reseal(file: &[u8], edit: impl FnOnce(&mut Vec<u8>)) -> Option<Vec<u8>> {
    let (info, body_start) = read_header(file, Path::new("(resealed)")).ok()?;
    let mut body = file[body_start..].to_vec();
    edit(&mut body);
    seal(info, &body).ok()
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, synced, then
/// renamed over the target. The old file is never truncated or rewritten in place: readers
/// see the old file or the new one, never a mix, and a process still holding the old file
/// (open, or mapped by an older Kabuto) keeps reading the old contents.
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
