//! Layers built in test code: every compression, whiteouts, escapes, limits, corruption.
#![allow(clippy::unwrap_used)] // test helpers build known-good archives

use std::io::{self, Write};

use kabuto_layers::{
    Compression, EntryKind, FileTree, LayerChanges, LayerError, Limits, NodeKind, WalkOptions,
    walk_layer,
};
use kabuto_types::Digest;

/// Writes tar members with raw names, so tests can produce what `tar::Builder` refuses
/// (`..` components, absolute paths).
struct Layer(tar::Builder<Vec<u8>>);

impl Layer {
    fn new() -> Self {
        Layer(tar::Builder::new(Vec::new()))
    }

    fn raw(&mut self, name: &str, kind: tar::EntryType, data: &[u8], link: &str) -> &mut Self {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.set_mode(if kind == tar::EntryType::Directory {
            0o755
        } else {
            0o644
        });
        header.set_uid(1000);
        header.set_gid(1001);
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        self.0.append(&header, data).unwrap();
        self
    }

    fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.raw(name, tar::EntryType::Regular, data, "")
    }

    fn dir(&mut self, name: &str) -> &mut Self {
        self.raw(name, tar::EntryType::Directory, b"", "")
    }

    fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.raw(name, tar::EntryType::Symlink, b"", target)
    }

    fn hardlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.raw(name, tar::EntryType::Link, b"", target)
    }

    fn tar(&mut self) -> Vec<u8> {
        std::mem::replace(&mut self.0, tar::Builder::new(Vec::new()))
            .into_inner()
            .unwrap()
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 1).unwrap()
}

#[derive(Debug, PartialEq, Eq)]
struct Seen {
    path: String,
    kind: String,
    content: Vec<u8>,
}

fn walk(
    blob: &[u8],
    options: &WalkOptions,
) -> Result<(Vec<Seen>, kabuto_layers::LayerStats), LayerError> {
    let mut seen = Vec::new();
    let stats = walk_layer(blob, options, |entry, content| {
        let mut data = Vec::new();
        content.read_to_end(&mut data)?;
        seen.push(Seen {
            path: entry.path.to_owned(),
            kind: format!("{:?}", entry.kind),
            content: data,
        });
        Ok::<_, io::Error>(())
    })?;
    Ok((seen, stats))
}

fn tree_of(layers: &[Vec<u8>]) -> FileTree {
    let mut tree = FileTree::new();
    for (index, blob) in layers.iter().enumerate() {
        let mut changes = LayerChanges::new();
        walk_layer(blob.as_slice(), &WalkOptions::default(), |entry, _| {
            changes.record(entry);
            Ok::<_, io::Error>(())
        })
        .unwrap();
        tree.apply(index, changes);
    }
    tree
}

fn sample_layer() -> Vec<u8> {
    Layer::new()
        .dir("./etc/")
        .file("./etc/os-release", b"ID=debian\n")
        .symlink("etc/localtime", "/usr/share/zoneinfo/UTC")
        .hardlink("usr/bin/perl5", "./usr/bin/perl")
        .tar()
}

#[test]
fn gzip_zstd_and_plain_tar_yield_the_same_entries_and_diff_id() {
    let tar = sample_layer();
    let options = WalkOptions {
        expected_diff_id: Some(Digest::sha256_of(&tar)),
        ..WalkOptions::default()
    };
    let (plain, plain_stats) = walk(&tar, &options).unwrap();
    assert_eq!(plain_stats.compression, Compression::None);
    assert_eq!(plain_stats.diff_id, Some(Digest::sha256_of(&tar)));
    assert_eq!(plain_stats.decompressed_bytes, tar.len() as u64);
    assert_eq!(plain_stats.entries, 4);
    assert_eq!(plain_stats.files, 1);
    for (blob, compression) in [
        (gzip(&tar), Compression::Gzip),
        (zstd(&tar), Compression::Zstd),
    ] {
        let (entries, stats) = walk(&blob, &options).unwrap();
        assert_eq!(stats.compression, compression);
        assert_eq!(entries, plain);
    }
    assert_eq!(
        plain,
        vec![
            Seen {
                path: "etc".into(),
                kind: "Dir".into(),
                content: vec![]
            },
            Seen {
                path: "etc/os-release".into(),
                kind: "File".into(),
                content: b"ID=debian\n".to_vec()
            },
            Seen {
                path: "etc/localtime".into(),
                kind: r#"Symlink { target: "/usr/share/zoneinfo/UTC" }"#.into(),
                content: vec![],
            },
            Seen {
                path: "usr/bin/perl5".into(),
                kind: r#"Hardlink { target: "usr/bin/perl" }"#.into(),
                content: vec![],
            },
        ]
    );
}

#[test]
fn entry_metadata_is_reported() {
    let tar = sample_layer();
    let mut checked = false;
    walk_layer(tar.as_slice(), &WalkOptions::default(), |entry, _| {
        if entry.path == "etc/os-release" {
            assert_eq!(
                (entry.mode, entry.size, entry.uid, entry.gid),
                (0o644, 10, 1000, 1001)
            );
            assert_eq!(entry.mtime, 1_700_000_000);
            checked = true;
        }
        Ok::<_, io::Error>(())
    })
    .unwrap();
    assert!(checked);
}

#[test]
fn diff_id_mismatch_is_reported_after_the_stream() {
    let tar = sample_layer();
    let wrong = Digest::sha256_of(b"something else");
    let options = WalkOptions {
        expected_diff_id: Some(wrong.clone()),
        ..WalkOptions::default()
    };
    match walk(&gzip(&tar), &options) {
        Err(LayerError::DiffIdMismatch { expected, actual }) => {
            assert_eq!(expected, wrong);
            assert_eq!(actual, Digest::sha256_of(&tar));
        }
        other => panic!("expected a diff ID mismatch, got {other:?}"),
    }
}

#[test]
fn whiteouts_and_opaque_dirs_are_recognised() {
    let tar = Layer::new()
        .file("root/.aws/.wh.credentials", b"")
        .file(".wh.motd", b"")
        .file("var/cache/.wh..wh..opq", b"")
        .file("usr/.wh..wh.plnk", b"")
        .tar();
    let (entries, _) = walk(&tar, &WalkOptions::default()).unwrap();
    let got: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.path.as_str(), e.kind.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("root/.aws/credentials", "Whiteout"),
            ("motd", "Whiteout"),
            ("var/cache", "OpaqueDir"),
            ("usr/.wh..wh.plnk", "Other"),
        ]
    );
}

#[test]
fn escaping_and_absolute_paths_are_clamped_to_the_root() {
    let tar = Layer::new()
        .file("../../etc/shadow", b"x")
        .file("/etc/passwd", b"y")
        .file("a/../../../b", b"z")
        .hardlink("ok", "../../../etc/hostname")
        .tar();
    let (entries, stats) = walk(&tar, &WalkOptions::default()).unwrap();
    let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, vec!["etc/shadow", "etc/passwd", "b", "ok"]);
    assert_eq!(entries[3].kind, r#"Hardlink { target: "etc/hostname" }"#);
    assert_eq!(stats.clamped_paths, 3);
}

#[test]
fn decompression_bomb_stops_at_the_layer_limit() {
    let zeros = vec![0u8; 8 << 20];
    let tar = Layer::new().file("bomb", &zeros).tar();
    let blob = gzip(&tar);
    assert!(
        blob.len() * 100 < tar.len(),
        "the test layer should compress like a bomb"
    );
    let options = WalkOptions {
        limits: Limits {
            max_layer_bytes: 1 << 20,
            ..Limits::default()
        },
        ..WalkOptions::default()
    };
    // Whether or not the visitor reads the content, the limit holds.
    for read_content in [true, false] {
        let err = walk_layer(blob.as_slice(), &options, |_, content| {
            if read_content {
                io::copy(content, &mut io::sink())?;
            }
            Ok::<_, io::Error>(())
        })
        .unwrap_err();
        assert!(
            matches!(err, LayerError::LayerTooLarge { limit: 1_048_576 }),
            "{err}"
        );
        assert!(err.to_string().contains("1048576"));
    }
}

#[test]
fn entry_count_limit() {
    let mut layer = Layer::new();
    for i in 0..11 {
        layer.file(&format!("f{i}"), b"");
    }
    let options = WalkOptions {
        limits: Limits {
            max_entries: 10,
            ..Limits::default()
        },
        ..WalkOptions::default()
    };
    let err = walk(&layer.tar(), &options).unwrap_err();
    assert!(
        matches!(err, LayerError::TooManyEntries { limit: 10 }),
        "{err}"
    );
}

#[test]
fn file_limit_applies_only_when_reading_past_it() {
    let tar = Layer::new()
        .file("big", &[7u8; 5000])
        .file("small", b"ok")
        .tar();
    let options = WalkOptions {
        limits: Limits {
            max_file_bytes: 4096,
            ..Limits::default()
        },
        ..WalkOptions::default()
    };
    let err = walk(&tar, &options).unwrap_err();
    assert!(
        matches!(&err, LayerError::FileTooLarge { path, limit: 4096 } if path == "big"),
        "{err}"
    );
    // A visitor that skips large files by their size walks the whole layer.
    let mut small = Vec::new();
    walk_layer(tar.as_slice(), &options, |entry, content| {
        if entry.size <= 4096 {
            content.read_to_end(&mut small)?;
        }
        Ok::<_, io::Error>(())
    })
    .unwrap();
    assert_eq!(small, b"ok");
}

#[test]
fn truncated_gzip_names_the_stream() {
    let blob = gzip(
        &Layer::new()
            .file("a", &[1u8; 100_000])
            .file("b", b"x")
            .tar(),
    );
    let err = walk(&blob[..blob.len() / 2], &WalkOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            LayerError::Stream {
                compression: Compression::Gzip,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("gzip stream is corrupt or truncated"),
        "{err}"
    );
}

#[test]
fn truncated_zstd_names_the_stream() {
    let data: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let blob = zstd(&Layer::new().file("a", &data).tar());
    let err = walk(&blob[..blob.len() / 2], &WalkOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            LayerError::Stream {
                compression: Compression::Zstd,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn truncated_tar_content_is_an_error_not_a_short_file() {
    let tar = Layer::new()
        .file("first", b"1")
        .file("second", &[2u8; 3000])
        .tar();
    // Cut inside the content of `second`.
    let err = walk(&tar[..2048], &WalkOptions::default()).unwrap_err();
    match &err {
        LayerError::Visit { path, source } => {
            assert_eq!(path, "second");
            assert!(source.to_string().contains("truncated"), "{source}");
        }
        other => panic!("expected the content reader to fail, got {other:?}"),
    }
    // A visitor that does not read content still sees the tar fail.
    let err = walk_layer(&tar[..2048], &WalkOptions::default(), |_, _| {
        Ok::<_, io::Error>(())
    })
    .unwrap_err();
    assert!(
        matches!(&err, LayerError::Tar { entry: Some(e), .. } if e == "second"),
        "{err}"
    );
}

#[test]
fn corrupt_header_names_the_previous_entry() {
    let mut tar = Layer::new().file("good", b"1").file("bad", b"2").tar();
    tar[1024 + 100] ^= 0xff; // inside the mode field of the second header
    let err = walk(&tar, &WalkOptions::default()).unwrap_err();
    assert!(
        matches!(&err, LayerError::Tar { entry: Some(e), .. } if e == "good"),
        "{err}"
    );
    assert!(err.to_string().contains("checksum"), "{err}");
}

#[test]
fn random_garbage_is_an_error_not_a_panic() {
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8).collect();
    assert!(walk(&garbage, &WalkOptions::default()).is_err());
    let mut gz = vec![0x1f, 0x8b];
    gz.extend_from_slice(&garbage);
    assert!(walk(&gz, &WalkOptions::default()).is_err());
}

#[test]
fn empty_stream_is_an_empty_layer() {
    let (entries, stats) = walk(b"", &WalkOptions::default()).unwrap();
    assert!(entries.is_empty());
    assert_eq!(stats.entries, 0);
}

#[test]
fn xz_is_reported_as_unsupported() {
    let blob = [0xfd, b'7', b'z', b'X', b'Z', 0, 1, 2, 3];
    let err = walk(&blob, &WalkOptions::default()).unwrap_err();
    assert!(
        matches!(err, LayerError::UnsupportedCompression("xz")),
        "{err}"
    );
}

#[test]
fn visitor_errors_carry_the_entry_path() {
    let tar = sample_layer();
    let err = walk_layer(tar.as_slice(), &WalkOptions::default(), |entry, _| {
        if entry.path == "etc/os-release" {
            Err(io::Error::other("analyzer gave up"))
        } else {
            Ok(())
        }
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "visiting `etc/os-release`: analyzer gave up"
    );
}

#[test]
fn long_pax_and_gnu_names_survive() {
    let long = format!("usr/share/{}/file.txt", "d".repeat(200));
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(2);
    header.set_entry_type(tar::EntryType::Regular);
    builder.append_data(&mut header, &long, &b"hi"[..]).unwrap();
    let tar = builder.into_inner().unwrap();
    let (entries, _) = walk(&tar, &WalkOptions::default()).unwrap();
    assert_eq!(entries[0].path, long);
    assert_eq!(entries[0].content, b"hi");
}

#[test]
fn squash_applies_whiteouts_opaque_dirs_and_replacements() {
    let base = Layer::new()
        .dir("etc")
        .file("etc/motd", b"hi")
        .file("etc/keep", b"k")
        .dir("root/.aws")
        .file("root/.aws/credentials", b"secret")
        .dir("var/cache/apt")
        .file("var/cache/apt/pkgcache.bin", b"c")
        .file("opt/tool/bin/tool", b"t")
        .file("srv/data/x", b"x")
        .tar();
    let upper = Layer::new()
        .file("etc/.wh.motd", b"")
        .file("root/.aws/.wh.credentials", b"")
        .file("var/cache/new", b"n")
        .file("var/cache/.wh..wh..opq", b"")
        .file("opt/tool", b"now a file")
        .dir("srv/data")
        .file("srv/data/y", b"y")
        .file("etc/keep", b"k2")
        .tar();
    let tree = tree_of(&[base, upper]);
    assert!(tree.get("etc/motd").is_none());
    assert!(tree.get("root/.aws/credentials").is_none());
    assert_eq!(tree.get("root/.aws").map(|n| n.layer), Some(0));
    assert!(
        tree.get("var/cache/apt").is_none(),
        "opaque dir hides earlier children"
    );
    assert_eq!(
        tree.get("var/cache/new").map(|n| n.layer),
        Some(1),
        "but not its own"
    );
    let tool = tree.get("opt/tool").unwrap();
    assert_eq!((tool.layer, &tool.kind), (1, &NodeKind::File));
    assert!(
        tree.get("opt/tool/bin/tool").is_none(),
        "a file over a directory removes its children"
    );
    assert_eq!(
        tree.get("srv/data/x").map(|n| n.layer),
        Some(0),
        "a directory over a directory merges"
    );
    assert_eq!(tree.get("srv/data/y").map(|n| n.layer), Some(1));
    assert_eq!(
        tree.get("etc/keep").map(|n| (n.layer, n.size)),
        Some((1, 2))
    );
    assert_eq!(
        tree.get("srv").map(|n| n.is_dir()),
        Some(true),
        "implicit parents exist"
    );
}

#[test]
fn links_resolve_inside_the_image_only() {
    let layer = Layer::new()
        .dir("usr/lib")
        .file("usr/lib/libc.so.6", b"elf")
        .symlink("lib", "usr/lib")
        .symlink("usr/lib/abs", "/etc/x")
        .symlink("usr/lib/climb", "../../../../../../etc/x")
        .file("etc/x", b"x")
        .hardlink("usr/lib/libc-hard", "usr/lib/libc.so.6")
        .symlink("loop/a", "b")
        .symlink("loop/b", "a")
        .symlink("self", "self/x")
        .symlink("dangling", "/nowhere")
        .tar();
    let tree = tree_of(&[layer]);
    let via_dir_link = tree.resolve("lib/libc.so.6").unwrap();
    assert_eq!(via_dir_link.path, "usr/lib/libc.so.6");
    assert_eq!(via_dir_link.node.kind, NodeKind::File);
    assert_eq!(tree.resolve("/usr/lib/abs").unwrap().path, "etc/x");
    assert_eq!(tree.resolve("lib/climb").unwrap().path, "etc/x");
    assert_eq!(
        tree.resolve("usr/lib/libc-hard").unwrap().path,
        "usr/lib/libc.so.6"
    );
    // `..` after a symlinked directory climbs from the link's target, as the kernel does.
    assert_eq!(
        tree.resolve("lib/../lib/libc.so.6").unwrap().path,
        "usr/lib/libc.so.6"
    );
    assert_eq!(
        tree.resolve("lib/../etc/x"),
        Err(kabuto_layers::ResolveError::NotFound("usr/etc".into()))
    );
    assert_eq!(
        tree.resolve("loop/a"),
        Err(kabuto_layers::ResolveError::Loop("loop/a".into()))
    );
    assert!(matches!(
        tree.resolve("self"),
        Err(kabuto_layers::ResolveError::Loop(_))
    ));
    assert_eq!(
        tree.resolve("dangling"),
        Err(kabuto_layers::ResolveError::NotFound("nowhere".into()))
    );
    assert_eq!(
        tree.resolve("etc/x/y"),
        Err(kabuto_layers::ResolveError::NotADirectory("etc/x".into()))
    );
    // lstat-like lookup does not follow.
    assert_eq!(
        tree.get("lib").map(|n| &n.kind),
        Some(&NodeKind::Symlink("usr/lib".into()))
    );
    assert!(tree.resolve("").unwrap().node.is_dir());
}

#[test]
fn hundred_thousand_empty_files_in_one_layer() {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(0);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    for i in 0..100_000 {
        builder
            .append_data(&mut header, format!("many/d{}/f{i}", i % 100), io::empty())
            .unwrap();
    }
    let blob = gzip(&builder.into_inner().unwrap());
    let started = std::time::Instant::now();
    let mut changes = LayerChanges::new();
    let stats = walk_layer(blob.as_slice(), &WalkOptions::default(), |entry, _| {
        changes.record(entry);
        Ok::<_, io::Error>(())
    })
    .unwrap();
    assert_eq!(stats.files, 100_000);
    let mut tree = FileTree::new();
    tree.apply(0, changes);
    assert_eq!(tree.len(), 100_000 + 100 + 1);
    assert_eq!(
        tree.get("many/d42/f99942").map(|n| n.kind.clone()),
        Some(NodeKind::File)
    );
    let elapsed = started.elapsed();
    eprintln!("100k entries walked and squashed in {elapsed:?}");
    assert!(elapsed.as_secs() < 20, "took {elapsed:?}");
}

#[test]
fn entry_kind_matches_record() {
    // Whiteouts recorded from one layer delete paths of the previous one even when the
    // whiteout precedes the deleted path's siblings in the archive.
    let base = Layer::new().file("a/b", b"1").file("a/c", b"2").tar();
    let upper = Layer::new().file("a/.wh.b", b"").tar();
    let tree = tree_of(&[base, upper]);
    let paths: Vec<&str> = tree.iter().map(|(p, _)| p).collect();
    assert_eq!(paths, vec!["a", "a/c"]);
    let mut kinds = Vec::new();
    walk_layer(
        Layer::new().file("a/.wh.b", b"").tar().as_slice(),
        &WalkOptions::default(),
        |e, _| {
            kinds.push(e.kind == EntryKind::Whiteout);
            Ok::<_, io::Error>(())
        },
    )
    .unwrap();
    assert_eq!(kinds, vec![true]);
}

#[test]
fn bit_flips_and_truncations_never_panic() {
    // A small stand-in for the `layer_walk` fuzz target that runs with every `cargo test`.
    let tar = Layer::new()
        .dir("etc")
        .file("etc/os-release", b"ID=debian\nVERSION_ID=12\n")
        .symlink("lib", "usr/lib")
        .hardlink("etc/hard", "etc/os-release")
        .file("etc/.wh.motd", b"")
        .tar();
    let options = WalkOptions {
        limits: Limits {
            max_layer_bytes: 1 << 20,
            max_entries: 100,
            max_file_bytes: 1 << 16,
        },
        ..WalkOptions::default()
    };
    for blob in [tar.clone(), gzip(&tar), zstd(&tar)] {
        for position in (0..blob.len()).step_by(7) {
            let mut flipped = blob.clone();
            flipped[position] ^= 0x5a;
            let _ = walk(&flipped, &options);
            let _ = walk(&blob[..position], &options);
        }
    }
}
