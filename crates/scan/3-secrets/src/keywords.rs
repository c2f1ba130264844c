//! Case-insensitive search for every occurrence of the rules' keywords, built for the common case:
//! text that holds none of them.
//!
//! A DFA over ~150 case-insensitive keywords takes one dependent table load per byte (about
//! 400-500 MB/s). Instead, each position's case-folded first three bytes are hashed to a one-byte
//! slot of a 32 KiB table (an L1 cache) whose bits say which classes of fourth byte follow that
//! prefix in some keyword. The loads do not depend on each other, so the CPU overlaps them (about
//! twice the DFA's speed). A candidate is confirmed by comparing the keywords that start with its
//! byte. 3-byte keywords accept every fourth-byte class; shorter ones (the built-in `q~`) go to a
//! small Aho-Corasick automaton whose rare-byte prefilter makes its extra pass nearly free.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// log2 of the number of 3-byte prefix slots: 2^15 one-byte slots = 32 KiB, an L1 data cache.
const SLOT_BITS: u32 = 15;
const SLOTS: usize = 1 << SLOT_BITS;
/// Setting bit 5 of every byte maps `A-Z` onto `a-z` (and some punctuation onto other
/// punctuation: false candidates only, which confirmation rejects).
const FOLD4: u32 = 0x2020_2020;
const FOLD8: u64 = 0x2020_2020_2020_2020;
/// Keywords at least this long are found through the window bitset.
const WINDOW_LEN: usize = 3;

/// One keyword occurrence: where it starts and which keyword (index into the constructor's list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct KeywordHit {
    pub start: usize,
    pub keyword: usize,
}

pub(crate) struct KeywordSearcher {
    /// Lowercased keywords, indexed as given.
    keywords: Vec<Box<[u8]>>,
    /// For each hashed, case-folded 3-byte keyword prefix, the classes of fourth bytes that
    /// follow it in some keyword (all of them for 3-byte keywords).
    slots: Box<[u8; SLOTS]>,
    /// Keywords of 3+ bytes by their lowercased first byte, in index order.
    by_first_byte: Vec<Vec<usize>>,
    /// Keywords shorter than `WINDOW_LEN`, with their indices.
    short: Option<(AhoCorasick, Vec<usize>)>,
}

impl KeywordSearcher {
    /// A search for the keywords whose index passes `wanted`; hits report indices into `keywords`.
    pub fn new(
        keywords: &[String],
        wanted: impl Fn(usize) -> bool,
    ) -> Result<Self, aho_corasick::BuildError> {
        let keywords: Vec<Box<[u8]>> = keywords
            .iter()
            .map(|k| k.to_ascii_lowercase().into_bytes().into_boxed_slice())
            .collect();
        let mut slots = Box::new([0u8; SLOTS]);
        let mut by_first_byte = vec![Vec::new(); 256];
        let mut short_patterns = Vec::new();
        let mut short_indices = Vec::new();
        for (index, keyword) in keywords.iter().enumerate() {
            if !wanted(index) {
                continue;
            }
            if keyword.len() < WINDOW_LEN {
                short_patterns.push(keyword.clone());
                short_indices.push(index);
                continue;
            }
            by_first_byte[usize::from(keyword[0])].push(index);
            let window = u32::from_le_bytes([
                keyword[0],
                keyword[1],
                keyword[2],
                keyword.get(3).copied().unwrap_or(0),
            ]) | FOLD4;
            slots[slot(window)] |= match keyword.get(3) {
                Some(_) => fourth_byte_class(window),
                None => u8::MAX,
            };
        }
        let short = if short_patterns.is_empty() {
            None
        } else {
            let automaton = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&short_patterns)?;
            Some((automaton, short_indices))
        };
        Ok(KeywordSearcher {
            keywords,
            slots,
            by_first_byte,
            short,
        })
    }

    /// Appends every occurrence of every keyword in `haystack` (overlapping ones included) to
    /// `hits`, ordered by start, then keyword index.
    pub fn find_all(&self, haystack: &[u8], hits: &mut Vec<KeywordHit>) {
        let first = hits.len();
        let mut at = 0;
        // Five windows per 8-byte load.
        while let Some(chunk) = haystack.get(at..at + 8) {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(chunk);
            let folded = u64::from_le_bytes(bytes) | FOLD8;
            for shift in 0..5 {
                if self.may_start((folded >> (8 * shift)) as u32) {
                    self.confirm(haystack, at + shift, hits);
                }
            }
            at += 5;
        }
        // The last few positions, with zero padding standing in for the missing bytes (only
        // 3-byte keywords can match there, and they accept any fourth byte).
        let tail = &haystack[at..];
        let mut padded = [0u8; 8 + 3];
        padded[..tail.len()].copy_from_slice(tail);
        for offset in 0..tail.len() {
            let mut window = [0u8; 4];
            window.copy_from_slice(&padded[offset..offset + 4]);
            if self.may_start(u32::from_le_bytes(window) | FOLD4) {
                self.confirm(haystack, at + offset, hits);
            }
        }
        if let Some((automaton, indices)) = &self.short {
            let before = hits.len();
            hits.extend(
                automaton
                    .find_overlapping_iter(haystack)
                    .map(|m| KeywordHit {
                        start: m.start(),
                        keyword: indices[m.pattern().as_usize()],
                    }),
            );
            if hits.len() > before {
                hits[first..].sort_unstable();
            }
        }
    }

    #[inline(always)]
    fn may_start(&self, folded_window: u32) -> bool {
        self.slots[slot(folded_window)] & fourth_byte_class(folded_window) != 0
    }

    /// Records the keywords that really start at `at`.
    #[cold]
    fn confirm(&self, haystack: &[u8], at: usize, hits: &mut Vec<KeywordHit>) {
        let rest = &haystack[at..];
        for &keyword in &self.by_first_byte[usize::from(rest[0].to_ascii_lowercase())] {
            let wanted = &self.keywords[keyword];
            if rest
                .get(..wanted.len())
                .is_some_and(|found| found.eq_ignore_ascii_case(wanted))
            {
                hits.push(KeywordHit { start: at, keyword });
            }
        }
    }
}

/// The slot of a folded window's first three bytes (multiplicative hashing; shifting the fourth
/// byte out keeps it from influencing the product's top bits).
#[inline(always)]
fn slot(folded_window: u32) -> usize {
    ((folded_window << 8).wrapping_mul(0x9E37_79B1) >> (32 - SLOT_BITS)) as usize
}

/// One of eight classes of a folded window's fourth byte, as a bit.
#[inline(always)]
fn fourth_byte_class(folded_window: u32) -> u8 {
    1 << (folded_window >> 24 & 7)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(keywords: &[&str], haystack: &[u8]) -> Vec<KeywordHit> {
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(keywords)
            .expect("keywords build");
        let mut hits: Vec<KeywordHit> = automaton
            .find_overlapping_iter(haystack)
            .map(|m| KeywordHit {
                start: m.start(),
                keyword: m.pattern().as_usize(),
            })
            .collect();
        hits.sort_unstable();
        hits
    }

    fn found(keywords: &[&str], haystack: &[u8]) -> Vec<KeywordHit> {
        let owned: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        let searcher = KeywordSearcher::new(&owned, |_| true).expect("keywords build");
        let mut hits = Vec::new();
        searcher.find_all(haystack, &mut hits);
        hits
    }

    #[test]
    fn finds_what_aho_corasick_finds_at_every_offset_and_case() {
        let keywords = [
            "aws",
            "secret",
            "secret_access_key",
            "q~",
            "hf_",
            "private key",
            "x",
            "ghp_",
        ];
        let text = b"AWS_SECRET_ACCESS_KEY=q~Q~ hf_HF_ Private Key ghp_ x awsecret";
        // Every suffix and prefix moves keywords across the 8-byte loads and into the tail.
        for start in 0..text.len() {
            for end in start..=text.len() {
                let haystack = &text[start..end];
                assert_eq!(
                    found(&keywords, haystack),
                    reference(&keywords, haystack),
                    "haystack {:?}",
                    String::from_utf8_lossy(haystack)
                );
            }
        }
    }

    #[test]
    fn finds_what_aho_corasick_finds_for_the_builtin_keywords() {
        let mut keywords: Vec<String> = Vec::new();
        for rule in crate::builtin_rules() {
            for keyword in rule.keywords {
                if !keywords.contains(&keyword) {
                    keywords.push(keyword);
                }
            }
        }
        let refs: Vec<&str> = keywords.iter().map(String::as_str).collect();
        // Deterministic pseudo-random text of keyword pieces in mixed case, punctuation and
        // folding look-alikes (`_`/DEL, `^`/`~`, `@`/backtick, CR/`-`).
        let pieces: Vec<&[u8]> = refs
            .iter()
            .map(|k| k.as_bytes())
            .chain([
                &b"_"[..],
                b"\x7f",
                b"^",
                b"~",
                b"@",
                b"`",
                b"\r",
                b"-",
                b" ",
                b"\n",
                b"Q",
            ])
            .collect();
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..300 {
            let mut haystack = Vec::new();
            while haystack.len() < 200 {
                let piece = pieces[next() as usize % pieces.len()];
                let cut = next() as usize % (piece.len() + 1);
                let piece = if next() % 3 == 0 {
                    &piece[..cut]
                } else {
                    piece
                };
                haystack.extend(piece.iter().map(|&b| {
                    if next() % 2 == 0 {
                        b.to_ascii_uppercase()
                    } else {
                        b
                    }
                }));
            }
            assert_eq!(
                found(&refs, &haystack),
                reference(&refs, &haystack),
                "haystack {:?}",
                String::from_utf8_lossy(&haystack)
            );
        }
    }

    #[test]
    fn unwanted_keywords_are_not_searched() {
        let keywords = ["token".to_string(), "ghp_".to_string()];
        let searcher = KeywordSearcher::new(&keywords, |index| index == 1).expect("keywords build");
        let mut hits = Vec::new();
        searcher.find_all(b"token ghp_", &mut hits);
        assert_eq!(
            hits,
            vec![KeywordHit {
                start: 6,
                keyword: 1
            }]
        );
    }

    #[test]
    fn three_byte_keyword_at_the_very_end_is_found() {
        let hits = found(&["aws"], b"key from AWS");
        assert_eq!(
            hits,
            vec![KeywordHit {
                start: 9,
                keyword: 0
            }]
        );
    }

    #[test]
    fn folded_punctuation_is_not_a_match() {
        // `_` folds onto DEL and `^` onto `~`: candidates that confirmation must reject.
        assert!(found(&["ghp_"], b"GHP\x7f ghp\x7f").is_empty());
        assert!(found(&["q~"], b"q^ Q^").is_empty());
    }
}
