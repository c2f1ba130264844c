//! Materialises the fixture corpus: templates hold `{{fake:PREFIX:CHARSET:LEN}}` markers instead
//! of literal tokens (so no real-looking secret is committed), expanded here into deterministic
//! pseudo-random fake secrets.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// A small deterministic generator (SplitMix64) seeded from the template name.
struct Fake(u64);

impl Fake {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn string(&mut self, charset: &str, len: usize) -> String {
        let alphabet: &[u8] = match charset {
            "a62" | "pem" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            "hex" => b"0123456789abcdef",
            "HEX" => b"0123456789ABCDEF",
            "b32" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
            "upper" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
            "lower" => b"abcdefghijklmnopqrstuvwxyz0123456789",
            "b64" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            "b64u" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
            "digit" => b"0123456789",
            "ah" => b"abcdefgh0123456789",
            "bech" => b"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
            other => panic!("unknown fake charset {other}"),
        };
        (0..len)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

/// Expands the markers of one template. `pem` output is wrapped at 64 columns after the prefix.
pub fn materialize(name: &str, template: &str) -> String {
    let mut fake = Fake(name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    }));
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find("{{fake:") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find("}}").expect("unterminated fake marker") + at;
        let spec: Vec<&str> = rest[at + 7..end].split(':').collect();
        let [prefix, charset, len] = spec[..] else {
            panic!("bad fake marker {spec:?}")
        };
        let body = fake.string(charset, len.parse().expect("fake length"));
        if charset == "pem" {
            let all = format!("{prefix}{body}");
            let lines: Vec<&str> = all
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).expect("ascii"))
                .collect();
            out.push_str(&lines.join("\n"));
        } else {
            out.push_str(prefix);
            out.push_str(&body);
        }
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Every corpus file, relative path and materialised content, sorted by path.
pub fn corpus_files() -> Vec<(String, String)> {
    let root = corpus_dir();
    let mut files: Vec<(String, String)> = walkdir::WalkDir::new(&root)
        .into_iter()
        .map(|e| e.expect("walk corpus"))
        .filter(|e| e.file_type().is_file())
        .filter(|e| e.path().extension().is_none_or(|x| x != "md" && x != "tsv"))
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(&root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            let template = std::fs::read_to_string(e.path()).expect("read template");
            let content = materialize(&rel, &template);
            (rel, content)
        })
        .collect();
    files.sort();
    files
}

/// Writes the materialised corpus into `dir` (for scanners that read files, such as Trivy).
pub fn write_corpus(dir: &Path) {
    for (rel, content) in corpus_files() {
        let path = dir.join(&rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }
}
