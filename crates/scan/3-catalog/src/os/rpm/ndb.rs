//! Header blobs from rpm's NDB package database (`var/lib/rpm/Packages.db`, SUSE).
//!
//! Little-endian. The file starts with slot pages of 4096 bytes: a 32-byte header (magic
//! `RpmP`, version 0, generation, number of slot pages) followed by 16-byte slots
//! (magic `Slot`, package index, block offset, block count; index 0 marks a free slot).
//! A slot's blob lives at `block offset * 16`: a 16-byte blob header (magic `BlbS`,
//! package index, checksum, length) and then the header blob itself.

use super::RpmError;

const HEADER_MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_MAGIC: &[u8; 4] = b"BlbS";
const SLOT_PAGE_SIZE: usize = 4096;
const SLOT_SIZE: usize = 16;
const HEADER_SIZE: usize = 32;
const BLOCK_SIZE: usize = 16;

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

/// Whether `content` starts like an NDB package database.
pub fn is_ndb(content: &[u8]) -> bool {
    content.starts_with(HEADER_MAGIC)
}

/// Every header blob in the database, in slot order; a bad blob fails only its own item.
pub fn header_blobs(content: &[u8]) -> Result<Vec<Result<Vec<u8>, RpmError>>, RpmError> {
    let bad = |what: String| RpmError::Ndb(what);
    if !is_ndb(content) {
        return Err(bad("no `RpmP` magic".into()));
    }
    let version = le_u32(content, 4).ok_or_else(|| bad("header is truncated".into()))?;
    if version != 0 {
        return Err(RpmError::Unsupported(format!("NDB version {version}")));
    }
    let slot_pages = le_u32(content, 12).ok_or_else(|| bad("header is truncated".into()))? as usize;
    let slots_end = slot_pages
        .checked_mul(SLOT_PAGE_SIZE)
        .filter(|&end| end >= HEADER_SIZE && end <= content.len())
        .ok_or_else(|| {
            bad(format!(
                "{slot_pages} slot pages do not fit in {} bytes",
                content.len()
            ))
        })?;

    let mut blobs = Vec::new();
    let mut total = 0usize;
    for (slot_no, at) in (HEADER_SIZE..slots_end).step_by(SLOT_SIZE).enumerate() {
        let slot = &content[at..at + SLOT_SIZE];
        if &slot[0..4] != SLOT_MAGIC {
            return Err(bad(format!("slot {slot_no} has no `Slot` magic")));
        }
        let (Some(pkg_index), Some(block_offset)) = (le_u32(slot, 4), le_u32(slot, 8)) else {
            continue;
        };
        if pkg_index == 0 {
            continue;
        }
        let at = (block_offset as usize).saturating_mul(BLOCK_SIZE);
        let blob = match blob_at(content, at, pkg_index) {
            Ok(bytes) => {
                // Sound blobs do not overlap, so together they fit in the file; slots
                // pointing at the same bytes again and again must not multiply the work.
                total = total.saturating_add(bytes.len());
                if total > content.len() {
                    return Err(bad(format!(
                        "slot {slot_no}: blobs add up to more than the {}-byte file",
                        content.len()
                    )));
                }
                Ok(bytes.to_vec())
            }
            Err(e) => Err(bad(format!("slot {slot_no} (package {pkg_index}): {e}"))),
        };
        blobs.push(blob);
    }
    Ok(blobs)
}

fn blob_at(content: &[u8], at: usize, pkg_index: u32) -> Result<&[u8], String> {
    let head = content
        .get(at..at.saturating_add(16))
        .ok_or_else(|| format!("blob offset {at} is past the end of the file"))?;
    if &head[0..4] != BLOB_MAGIC {
        return Err(format!("no `BlbS` magic at offset {at}"));
    }
    if le_u32(head, 4) != Some(pkg_index) {
        return Err(format!("blob at offset {at} belongs to another package"));
    }
    let len = le_u32(head, 12).unwrap_or(0) as usize;
    content
        .get(at + 16..)
        .and_then(|rest| rest.get(..len))
        .ok_or_else(|| format!("blob of {len} bytes at offset {at} runs past the end of the file"))
}

/// Builds an NDB database holding `blobs`, for tests.
#[cfg(test)]
pub(crate) fn build_db(blobs: &[Vec<u8>]) -> Vec<u8> {
    let mut db = vec![0; SLOT_PAGE_SIZE];
    db[0..4].copy_from_slice(HEADER_MAGIC);
    db[12..16].copy_from_slice(&1u32.to_le_bytes());
    for at in (HEADER_SIZE..SLOT_PAGE_SIZE).step_by(SLOT_SIZE) {
        db[at..at + 4].copy_from_slice(SLOT_MAGIC);
    }
    for (i, blob) in blobs.iter().enumerate() {
        let offset = db.len();
        let slot = HEADER_SIZE + i * SLOT_SIZE;
        let index = i as u32 + 1;
        db[slot + 4..slot + 8].copy_from_slice(&index.to_le_bytes());
        db[slot + 8..slot + 12].copy_from_slice(&((offset / BLOCK_SIZE) as u32).to_le_bytes());
        let mut record = BLOB_MAGIC.to_vec();
        record.extend_from_slice(&index.to_le_bytes());
        record.extend_from_slice(&0u32.to_le_bytes());
        record.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        record.extend_from_slice(blob);
        while !record.len().is_multiple_of(BLOCK_SIZE) {
            record.push(0);
        }
        let blocks = (record.len() / BLOCK_SIZE) as u32;
        db[slot + 12..slot + 16].copy_from_slice(&blocks.to_le_bytes());
        db.extend_from_slice(&record);
    }
    db
}

#[cfg(test)]
mod tests {
    use super::super::header::sample_blob;
    use super::*;

    #[test]
    fn reads_blobs_of_used_slots() {
        let blobs = vec![
            sample_blob("a", None, "1.0", "1"),
            sample_blob("b", Some(2), "2.0", "3"),
        ];
        let db = build_db(&blobs);
        let got: Vec<Vec<u8>> = header_blobs(&db)
            .expect("db")
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("blobs");
        assert_eq!(got, blobs);
    }

    #[test]
    fn slots_sharing_one_blob_cannot_multiply_memory() {
        let blobs = vec![sample_blob("a", None, "1.0", "1"); 3];
        let mut db = build_db(&blobs);
        // 200 slots all pointing at the first blob, as package 1.
        let first = db[HEADER_SIZE + 4..HEADER_SIZE + 16].to_vec();
        for i in 0..200 {
            let slot = HEADER_SIZE + i * SLOT_SIZE;
            db[slot + 4..slot + 16].copy_from_slice(&first);
        }
        assert!(matches!(header_blobs(&db), Err(RpmError::Ndb(m)) if m.contains("add up")));
    }

    #[test]
    fn bad_blob_fails_alone_and_truncations_do_not_panic() {
        let blobs = vec![
            sample_blob("a", None, "1.0", "1"),
            sample_blob("b", None, "2", "1"),
        ];
        let mut db = build_db(&blobs);
        db[SLOT_PAGE_SIZE] = b'X';
        let got = header_blobs(&db).expect("db");
        assert!(got[0].is_err());
        assert!(got[1].is_ok());
        let db = build_db(&blobs);
        for len in 0..db.len() {
            let _ = header_blobs(&db[..len]);
        }
    }
}
