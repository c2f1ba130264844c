//! Header blobs from a Berkeley DB hash database (`var/lib/rpm/Packages`, rpm before 4.16).
//!
//! Page 0 is the hash metadata page (magic `0x061561` at offset 12, in the file's byte order,
//! page size at 20, last page number at 32). Every hash page (type 2 or 13) holds an index
//! of item offsets after its 26-byte page header; items alternate key, value. rpm's header
//! blobs are larger than a page, so each value is an off-page reference (item type 3) to a
//! chain of overflow pages, each carrying `hf_offset` bytes of data after its page header.

use std::collections::HashSet;

use super::RpmError;

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER_LEN: usize = 26;
const PAGE_TYPE_HASH_UNSORTED: u8 = 2;
const PAGE_TYPE_HASH: u8 = 13;
const PAGE_TYPE_OVERFLOW: u8 = 7;
const ITEM_OFFPAGE: u8 = 3;

/// Byte order of a database: Berkeley DB writes its host's order and marks it by the magic.
#[derive(Clone, Copy)]
struct Order {
    big_endian: bool,
}

impl Order {
    fn u32(self, bytes: &[u8], at: usize) -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }
    fn u16(self, bytes: &[u8], at: usize) -> Option<u16> {
        let b: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }
}

/// Whether `content` starts like a Berkeley DB hash database.
pub fn is_bdb_hash(content: &[u8]) -> bool {
    detect_order(content).is_some()
}

fn detect_order(content: &[u8]) -> Option<Order> {
    [false, true]
        .into_iter()
        .map(|big_endian| Order { big_endian })
        .find(|order| order.u32(content, 12) == Some(HASH_MAGIC))
}

/// Every header blob in the database, in page order. A broken overflow chain fails only
/// the blob it belongs to (reported in the `Err` items); a broken metadata page fails all.
pub fn header_blobs(content: &[u8]) -> Result<Vec<Result<Vec<u8>, RpmError>>, RpmError> {
    let bad = |what: String| RpmError::Bdb(what);
    let order = detect_order(content).ok_or_else(|| bad("no hash database magic".into()))?;
    let page_size = order
        .u32(content, 20)
        .map(|s| s as usize)
        .filter(|s| (512..=65536).contains(s) && s.is_power_of_two())
        .ok_or_else(|| bad("page size is not a power of two between 512 and 65536".into()))?;
    let last_page = order
        .u32(content, 32)
        .ok_or_else(|| bad("metadata page is truncated".into()))? as usize;
    if content.len() < page_size {
        return Err(bad(format!(
            "{} bytes is shorter than one {page_size}-byte page",
            content.len()
        )));
    }
    let page_count = (content.len() / page_size).min(last_page.saturating_add(1));
    let page = |n: usize| content.get(n * page_size..(n + 1) * page_size);
    let mut chains = Chains {
        content,
        order,
        page_size,
        page_count,
        used: HashSet::new(),
    };

    let mut blobs = Vec::new();
    for page_no in 1..page_count {
        let Some(p) = page(page_no) else { break };
        if p[25] != PAGE_TYPE_HASH && p[25] != PAGE_TYPE_HASH_UNSORTED {
            continue;
        }
        let entries = usize::from(order.u16(p, 20).unwrap_or(0));
        // Items alternate key, value: the values are the odd ones.
        for index in (1..entries).step_by(2) {
            let Some(item) = order
                .u16(p, PAGE_HEADER_LEN + index * 2)
                .map(usize::from)
                .filter(|&at| at < page_size)
            else {
                blobs.push(Err(bad(format!(
                    "page {page_no}: item {index} lies outside the page"
                ))));
                continue;
            };
            if p[item] != ITEM_OFFPAGE {
                continue;
            }
            let (Some(first), Some(total)) = (order.u32(p, item + 4), order.u32(p, item + 8))
            else {
                blobs.push(Err(bad(format!(
                    "page {page_no}: off-page item {index} is cut off by the page end"
                ))));
                continue;
            };
            blobs.push(
                chains
                    .read(first as usize, total as usize)
                    .map_err(|e| bad(format!("page {page_no}: item {index}: {e}"))),
            );
        }
    }
    Ok(blobs)
}

/// Reads chains of overflow pages. Each page belongs to at most one chain in a sound
/// database; refusing to read a page twice keeps the total work and memory within the file
/// size however the off-page items point.
struct Chains<'a> {
    content: &'a [u8],
    order: Order,
    page_size: usize,
    page_count: usize,
    used: HashSet<usize>,
}

impl Chains<'_> {
    /// Concatenates the chain starting at page `first`, `total` bytes long.
    fn read(&mut self, first: usize, total: usize) -> Result<Vec<u8>, String> {
        if total > self.content.len() {
            return Err(format!("overflow length {total} exceeds the database size"));
        }
        let mut out = Vec::with_capacity(total);
        let mut next = first;
        while out.len() < total {
            if next == 0 || next >= self.page_count {
                return Err(format!("overflow chain points at missing page {next}"));
            }
            if !self.used.insert(next) {
                return Err(format!("overflow page {next} is already part of a chain"));
            }
            let p = self
                .content
                .get(next * self.page_size..(next + 1) * self.page_size)
                .ok_or_else(|| format!("overflow page {next} is truncated"))?;
            if p[25] != PAGE_TYPE_OVERFLOW {
                return Err(format!("page {next} is not an overflow page"));
            }
            let used = usize::from(self.order.u16(p, 22).unwrap_or(0));
            let data = p
                .get(PAGE_HEADER_LEN..PAGE_HEADER_LEN + used)
                .ok_or_else(|| format!("overflow page {next} claims {used} bytes"))?;
            out.extend_from_slice(data);
            next = self.order.u32(p, 16).unwrap_or(0) as usize;
        }
        out.truncate(total);
        Ok(out)
    }
}

/// Builds a hash database holding `blobs`, in little-endian order, for tests.
#[cfg(test)]
pub(crate) fn build_db(blobs: &[Vec<u8>], page_size: usize) -> Vec<u8> {
    build_db_in(blobs, page_size, false)
}

#[cfg(test)]
fn build_db_in(blobs: &[Vec<u8>], page_size: usize, big_endian: bool) -> Vec<u8> {
    let u32_bytes = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u16_bytes = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut pages: Vec<Vec<u8>> = vec![vec![0; page_size], vec![0; page_size]];
    let mut items = Vec::new();
    for (n, blob) in blobs.iter().enumerate() {
        let first = pages.len();
        let chunks: Vec<&[u8]> = blob.chunks(page_size - PAGE_HEADER_LEN).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let mut p = vec![0; page_size];
            let next = if i + 1 < chunks.len() {
                pages.len() + 1
            } else {
                0
            };
            p[16..20].copy_from_slice(&u32_bytes(next as u32));
            p[22..24].copy_from_slice(&u16_bytes(chunk.len() as u16));
            p[25] = PAGE_TYPE_OVERFLOW;
            p[PAGE_HEADER_LEN..PAGE_HEADER_LEN + chunk.len()].copy_from_slice(chunk);
            pages.push(p);
        }
        items.push((n as u32 + 1, first as u32, blob.len() as u32));
    }
    // The hash page: key items (type 1, 4-byte record number) and off-page values.
    let hash = &mut pages[1];
    hash[25] = PAGE_TYPE_HASH;
    hash[20..22].copy_from_slice(&u16_bytes((items.len() * 2) as u16));
    let mut at = page_size;
    for (i, (key, first, len)) in items.iter().enumerate() {
        at -= 12;
        hash[at] = ITEM_OFFPAGE;
        hash[at + 4..at + 8].copy_from_slice(&u32_bytes(*first));
        hash[at + 8..at + 12].copy_from_slice(&u32_bytes(*len));
        let value_at = at;
        at -= 5;
        hash[at] = 1;
        hash[at + 1..at + 5].copy_from_slice(&u32_bytes(*key));
        let index = PAGE_HEADER_LEN + i * 4;
        hash[index..index + 2].copy_from_slice(&u16_bytes(at as u16));
        hash[index + 2..index + 4].copy_from_slice(&u16_bytes(value_at as u16));
    }
    let last = pages.len() as u32 - 1;
    let meta = &mut pages[0];
    meta[12..16].copy_from_slice(&u32_bytes(HASH_MAGIC));
    meta[20..24].copy_from_slice(&u32_bytes(page_size as u32));
    meta[25] = 8;
    meta[32..36].copy_from_slice(&u32_bytes(last));
    pages.concat()
}

#[cfg(test)]
mod tests {
    use super::super::header::sample_blob;
    use super::*;

    #[test]
    fn reads_blobs_across_overflow_pages() {
        let blobs = vec![
            sample_blob("a", None, "1.0", "1"),
            sample_blob("b", Some(2), "2.0", "3"),
        ];
        let db = build_db(&blobs, 512);
        let got: Vec<Vec<u8>> = header_blobs(&db)
            .expect("db")
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("blobs");
        assert_eq!(got, blobs);
    }

    #[test]
    fn a_page_shared_by_two_chains_is_read_once() {
        let blobs = vec![
            sample_blob("a", None, "1.0", "1"),
            sample_blob("b", None, "2.0", "1"),
        ];
        let mut db = build_db(&blobs, 512);
        // Point the second off-page item at the first blob's chain (page 2).
        let index = 512 + PAGE_HEADER_LEN + 4 + 2;
        let value_at = 512 + usize::from(u16::from_le_bytes([db[index], db[index + 1]]));
        db[value_at + 4..value_at + 8].copy_from_slice(&2u32.to_le_bytes());
        let got = header_blobs(&db).expect("db");
        assert_eq!(got[0].as_ref().ok(), Some(&blobs[0]));
        assert!(
            matches!(&got[1], Err(RpmError::Bdb(m)) if m.contains("already part")),
            "{got:?}"
        );
    }

    #[test]
    fn reads_big_endian_databases() {
        let blobs = vec![sample_blob("a", None, &"1".repeat(1500), "1")];
        let db = build_db_in(&blobs, 1024, true);
        let got: Vec<Vec<u8>> = header_blobs(&db)
            .expect("db")
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("blobs");
        assert_eq!(got, blobs);
    }

    #[test]
    fn looping_or_dangling_chains_fail_that_blob_only() {
        // Longer than one 512-byte page, so it needs a chain.
        let blobs = vec![sample_blob("a", None, &"1".repeat(1500), "1")];
        let mut db = build_db(&blobs, 512);
        // Point the first overflow page's next link at itself.
        let p = 2 * 512;
        db[p + 16..p + 20].copy_from_slice(&2u32.to_le_bytes());
        let got = header_blobs(&db).expect("db");
        assert_eq!(got.len(), 1);
        assert!(got[0].is_err(), "{:?}", got[0].as_ref().map(Vec::len));
        assert!(header_blobs(&db[..100]).is_err());
        // Truncations never panic.
        let db = build_db(&blobs, 512);
        for len in (0..db.len()).step_by(7) {
            let _ = header_blobs(&db[..len]);
        }
    }
}
