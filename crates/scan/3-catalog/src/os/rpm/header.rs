//! RPM header blobs as the rpm database stores them (the header of a package file without
//! the lead and the 8-byte header magic): `il` index entries, then `dl` bytes of data.
//!
//! Layout (all big-endian): `il: u32`, `dl: u32`, then `il` entries of
//! `tag: u32, type: u32, offset: u32, count: u32`, then the data store. Every offset and
//! count is checked against the blob before it is used.

use super::RpmError;

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_VENDOR: u32 = 1011;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;
const TAG_SOURCERPM: u32 = 1044;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm refuses headers with more index entries or data than this (`hdrchkTags`,
/// `hdrchkData` in rpm's header.c); so do we, before allocating anything.
const MAX_INDEX_ENTRIES: usize = 0x0000_ffff;
const MAX_DATA_LEN: usize = 0x0fff_ffff;

/// The fields of an installed package's header that inventory needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpmHeader {
    pub name: String,
    pub epoch: Option<u32>,
    pub version: String,
    pub release: String,
    pub arch: Option<String>,
    /// File name of the source rpm (`openssl-3.0.7-1.el9.src.rpm`).
    pub source_rpm: Option<String>,
    pub license: Option<String>,
    pub vendor: Option<String>,
}

impl RpmHeader {
    /// `[epoch:]version-release`, the way rpm and the peers print an installed package; an
    /// epoch of 0 is not printed.
    pub fn evr(&self) -> String {
        let epoch = self.epoch.filter(|e| *e > 0);
        let mut out = epoch.map(|e| format!("{e}:")).unwrap_or_default();
        out.push_str(&self.version);
        if !self.release.is_empty() {
            out.push('-');
            out.push_str(&self.release);
        }
        out
    }
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

struct Entry {
    tag: u32,
    ty: u32,
    offset: usize,
    count: u32,
}

/// Reads the fields of [`RpmHeader`] from one header blob.
pub fn parse_header(blob: &[u8]) -> Result<RpmHeader, RpmError> {
    let bad = |what: &str| RpmError::Header(what.to_owned());
    let il = be_u32(blob, 0).ok_or_else(|| bad("shorter than its 8-byte preamble"))? as usize;
    let dl = be_u32(blob, 4).ok_or_else(|| bad("shorter than its 8-byte preamble"))? as usize;
    if il == 0 || il > MAX_INDEX_ENTRIES || dl > MAX_DATA_LEN {
        return Err(bad(&format!(
            "implausible sizes: {il} index entries, {dl} data bytes"
        )));
    }
    let data_start = 8 + il * 16;
    let data = data_start
        .checked_add(dl)
        .and_then(|end| blob.get(data_start..end))
        .ok_or_else(|| {
            bad(&format!(
                "{il} index entries and {dl} data bytes do not fit in {} bytes",
                blob.len()
            ))
        })?;

    let mut header = RpmHeader::default();
    for i in 0..il {
        let at = 8 + i * 16;
        let (Some(tag), Some(ty), Some(offset), Some(count)) = (
            be_u32(blob, at),
            be_u32(blob, at + 4),
            be_u32(blob, at + 8),
            be_u32(blob, at + 12),
        ) else {
            return Err(bad(&format!("index entry {i} is truncated")));
        };
        let entry = Entry {
            tag,
            ty,
            offset: offset as usize,
            count,
        };
        match entry.tag {
            TAG_NAME => header.name = string(data, &entry)?,
            TAG_VERSION => header.version = string(data, &entry)?,
            TAG_RELEASE => header.release = string(data, &entry)?,
            TAG_EPOCH => header.epoch = Some(int32(data, &entry)?),
            TAG_ARCH => header.arch = Some(string(data, &entry)?),
            TAG_SOURCERPM => header.source_rpm = Some(string(data, &entry)?),
            TAG_LICENSE => header.license = Some(string(data, &entry)?),
            TAG_VENDOR => header.vendor = Some(string(data, &entry)?),
            _ => {}
        }
    }
    if header.name.is_empty() || header.version.is_empty() {
        return Err(bad("no package name or version"));
    }
    Ok(header)
}

/// A string tag's value (the first string of an array or of the translations).
fn string(data: &[u8], entry: &Entry) -> Result<String, RpmError> {
    if !matches!(entry.ty, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) || entry.count == 0 {
        return Err(RpmError::Header(format!(
            "tag {} has type {} and count {}, expected a string",
            entry.tag, entry.ty, entry.count
        )));
    }
    let rest = data.get(entry.offset..).ok_or_else(|| {
        RpmError::Header(format!(
            "tag {} points at offset {} past the {}-byte data store",
            entry.tag,
            entry.offset,
            data.len()
        ))
    })?;
    let end = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| RpmError::Header(format!("tag {} string is not terminated", entry.tag)))?;
    Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
}

fn int32(data: &[u8], entry: &Entry) -> Result<u32, RpmError> {
    if entry.ty != TYPE_INT32 || entry.count == 0 {
        return Err(RpmError::Header(format!(
            "tag {} has type {} and count {}, expected an int32",
            entry.tag, entry.ty, entry.count
        )));
    }
    be_u32(data, entry.offset).ok_or_else(|| {
        RpmError::Header(format!(
            "tag {} points at offset {} past the {}-byte data store",
            entry.tag,
            entry.offset,
            data.len()
        ))
    })
}

/// Builds a header blob, for tests here and in the other rpm modules.
#[cfg(test)]
pub(crate) fn build_blob(tags: &[(u32, Option<u32>, &str)]) -> Vec<u8> {
    let mut index = Vec::new();
    let mut data = Vec::new();
    for (tag, int_value, text) in tags {
        let offset = data.len() as u32;
        let ty = match int_value {
            Some(v) => {
                while !data.len().is_multiple_of(4) {
                    data.push(0);
                }
                let offset = data.len() as u32;
                data.extend_from_slice(&v.to_be_bytes());
                index.push((*tag, TYPE_INT32, offset));
                continue;
            }
            None => TYPE_STRING,
        };
        data.extend_from_slice(text.as_bytes());
        data.push(0);
        index.push((*tag, ty, offset));
    }
    let mut blob = Vec::new();
    blob.extend_from_slice(&(index.len() as u32).to_be_bytes());
    blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
    for (tag, ty, offset) in index {
        for v in [tag, ty, offset, 1] {
            blob.extend_from_slice(&v.to_be_bytes());
        }
    }
    blob.extend_from_slice(&data);
    blob
}

/// A typical installed package's header blob, for tests.
#[cfg(test)]
pub(crate) fn sample_blob(name: &str, epoch: Option<u32>, version: &str, release: &str) -> Vec<u8> {
    let source = format!("{name}-{version}-{release}.src.rpm");
    let mut tags = vec![
        (TAG_NAME, None, name),
        (TAG_VERSION, None, version),
        (TAG_RELEASE, None, release),
        (TAG_ARCH, None, "x86_64"),
        (TAG_LICENSE, None, "MIT"),
        (TAG_VENDOR, None, "Example"),
        (TAG_SOURCERPM, None, source.as_str()),
    ];
    if let Some(e) = epoch {
        tags.push((TAG_EPOCH, Some(e), ""));
    }
    build_blob(&tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_formats_evr() {
        let blob = sample_blob("openssl-libs", Some(1), "3.0.7", "1.el9");
        let h = parse_header(&blob).expect("header");
        assert_eq!(h.name, "openssl-libs");
        assert_eq!(h.evr(), "1:3.0.7-1.el9");
        assert_eq!(h.arch.as_deref(), Some("x86_64"));
        assert_eq!(
            h.source_rpm.as_deref(),
            Some("openssl-libs-3.0.7-1.el9.src.rpm")
        );
        assert_eq!(h.vendor.as_deref(), Some("Example"));

        let zero = parse_header(&sample_blob("a", Some(0), "1", "2")).expect("header");
        assert_eq!(zero.evr(), "1-2");
    }

    #[test]
    fn rejects_out_of_bounds_offsets_and_sizes() {
        let mut blob = sample_blob("a", None, "1", "2");
        // First index entry's offset (bytes 16..20) pointing past the data store.
        blob[16..20].copy_from_slice(&0x7fff_fff0u32.to_be_bytes());
        assert!(matches!(parse_header(&blob), Err(RpmError::Header(m)) if m.contains("past")));

        let mut blob = sample_blob("a", None, "1", "2");
        blob[0..4].copy_from_slice(&0xffff_ffffu32.to_be_bytes());
        assert!(parse_header(&blob).is_err());
        assert!(parse_header(&[0, 0, 0]).is_err());
        // Every truncation of a valid blob is an error, never a panic.
        let blob = sample_blob("a", None, "1", "2");
        for len in 0..blob.len() {
            assert!(parse_header(&blob[..len]).is_err(), "len {len}");
        }
    }

    #[test]
    fn string_without_terminator_is_an_error() {
        let mut blob = sample_blob("a", None, "1", "2");
        let last = blob.len() - 1;
        blob[last] = b'x';
        assert!(parse_header(&blob).is_err());
    }
}
