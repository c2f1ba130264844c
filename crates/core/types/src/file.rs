//! One file-system entry with its ownership and permission bits, as the layer and directory
//! walkers see it. The inventory records the notable ones (setuid, setgid, world-writable),
//! image misconfiguration checks and policy permission controls read the same records.

use serde::{Deserialize, Serialize};

use crate::Digest;

/// What kind of entry a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    File,
    Dir,
    Symlink,
    /// Devices, FIFOs, sockets.
    Other,
}

/// A file-system entry of an image or root filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileEntry {
    /// Path in the image as walked, without the leading `/` (`usr/bin/passwd`); a leading
    /// `/` or `./` is tolerated.
    pub path: String,
    pub kind: FileKind,
    /// Permission bits including setuid (0o4000), setgid (0o2000) and sticky (0o1000).
    pub mode: u32,
    /// Owner as recorded: tar headers allow ids wider than a Linux uid, kept as they are.
    pub uid: u64,
    pub gid: u64,
    /// The layer (diff id) holding the entry; `None` outside images.
    pub layer: Option<Digest>,
}

impl FileEntry {
    /// The absolute path people read: `/usr/bin/passwd`.
    pub fn absolute_path(&self) -> String {
        format!(
            "/{}",
            self.path.trim_start_matches("./").trim_start_matches('/')
        )
    }

    /// The permission bits people read: `4755`.
    pub fn permission_bits(&self) -> u32 {
        self.mode & 0o7777
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, mode: u32) -> FileEntry {
        FileEntry {
            path: path.to_owned(),
            kind: FileKind::File,
            mode,
            uid: 0,
            gid: 0,
            layer: None,
        }
    }

    #[test]
    fn paths_and_bits_read_the_same_however_the_walker_wrote_them() {
        for path in ["usr/bin/passwd", "/usr/bin/passwd", "./usr/bin/passwd"] {
            assert_eq!(entry(path, 0).absolute_path(), "/usr/bin/passwd");
        }
        assert_eq!(entry("x", 0o104_755).permission_bits(), 0o4755);
    }

    #[test]
    fn a_uid_wider_than_32_bits_is_kept() {
        let wide = FileEntry {
            uid: u64::from(u32::MAX) + 1,
            ..entry("x", 0o4755)
        };
        let json = serde_json::to_string(&wide).unwrap();
        let back: FileEntry = serde_json::from_str(&json).unwrap();
        assert_eq!(back.uid, u64::from(u32::MAX) + 1);
        assert!(json.contains(r#""kind":"file""#), "{json}");
    }
}
