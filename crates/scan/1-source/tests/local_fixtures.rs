#![allow(clippy::unwrap_used)] // fixtures are known-good; a panic is a test failure
//! Opens the real fixture images built by /work/shared/images/build-fixture-images.sh
//! (docker-archive, OCI layout, oci-archive), verifies every layer's diff ID and checks the
//! debian-app config and whiteouts. Skips with a note when the fixtures are absent.

use std::io;
use std::path::{Path, PathBuf};

use kabuto_layers::{FileTree, LayerChanges, WalkOptions, walk_layer};
use kabuto_source::{ImageSource, open_local};

const IMAGES: [&str; 5] = [
    "debian-base",
    "debian-pkgs",
    "debian-app",
    "alpine-like",
    "rocky-like",
];

fn fixtures() -> Option<PathBuf> {
    let dir = std::env::var_os("KABUTO_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root/.cache/kabuto-fixtures/out"));
    if dir.join("SUMMARY.txt").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "skipping: no fixture images in {} (run build-fixture-images.sh)",
            dir.display()
        );
        None
    }
}

/// Every format the fixtures exist in for `name`.
fn formats(dir: &Path, name: &str) -> Vec<PathBuf> {
    [
        dir.join("docker").join(format!("{name}.tar")),
        dir.join("oci").join(name),
        dir.join("oci-archive").join(format!("{name}.tar")),
    ]
    .into_iter()
    .filter(|p| p.exists())
    .collect()
}

/// `SUMMARY.txt` columns: IMAGE LAYERS ... MANIFEST_DIGEST.
fn summary(dir: &Path, name: &str) -> (usize, String) {
    let text = std::fs::read_to_string(dir.join("SUMMARY.txt")).unwrap();
    let line = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap();
    let columns: Vec<&str> = line.split_whitespace().collect();
    (
        columns[1].parse().unwrap(),
        columns.last().unwrap().to_string(),
    )
}

/// Walks every layer (diff IDs verified) and squashes the first `upto` layers.
fn squash(image: &dyn ImageSource, upto: usize) -> FileTree {
    let mut tree = FileTree::new();
    for (index, info) in image.metadata().layers.iter().enumerate().take(upto) {
        let options = WalkOptions {
            expected_diff_id: Some(info.diff_id.clone()),
            ..WalkOptions::default()
        };
        let mut changes = LayerChanges::new();
        let layer = image.open_layer(index).unwrap();
        let stats = walk_layer(layer, &options, |entry, _| {
            changes.record(entry);
            Ok::<_, io::Error>(())
        })
        .unwrap_or_else(|e| panic!("{} layer {index}: {e}", image.name()));
        assert_eq!(stats.diff_id.as_ref(), Some(&info.diff_id));
        tree.apply(index, changes);
    }
    tree
}

#[test]
fn every_fixture_opens_with_the_right_layers() {
    let Some(dir) = fixtures() else { return };
    for name in IMAGES {
        let (layer_count, manifest_digest) = summary(&dir, name);
        let paths = formats(&dir, name);
        assert!(!paths.is_empty(), "{name}: no fixture");
        for path in paths {
            let image = open_local(&path, None).unwrap_or_else(|e| panic!("{e}"));
            let m = image.metadata();
            assert_eq!(m.layers.len(), layer_count, "{}", path.display());
            assert_eq!(m.os.as_deref(), Some("linux"));
            assert_eq!(m.architecture.as_deref(), Some("amd64"));
            if path.to_string_lossy().contains("/docker/") {
                assert_eq!(m.repo_tags, [format!("docker.io/fixture/{name}:latest")]);
            } else {
                assert_eq!(
                    m.manifest_digest.as_ref().map(|d| d.to_string()),
                    Some(manifest_digest.clone())
                );
            }
        }
    }
}

#[test]
fn small_fixtures_verify_their_diff_ids_in_every_format() {
    let Some(dir) = fixtures() else { return };
    for name in ["alpine-like", "rocky-like"] {
        for path in formats(&dir, name) {
            let image = open_local(&path, Some("latest")).unwrap();
            let tree = squash(&*image, usize::MAX);
            assert!(tree.resolve("bin/sh").is_ok(), "{}: bin/sh", path.display());
        }
    }
}

#[test]
fn debian_app_config_and_whiteouts() {
    let Some(dir) = fixtures() else { return };
    for path in formats(&dir, "debian-app") {
        let image = open_local(&path, None).unwrap();
        let m = image.metadata();
        assert_eq!(m.cmd, ["/app/venv/bin/python", "/app/app.py"]);
        assert!(m.env.iter().any(|e| e == "APP_ENV=fixture"), "{:?}", m.env);
        assert!(m.env.iter().any(|e| e.starts_with("PATH=")), "{:?}", m.env);
        assert_eq!(m.exposed_ports, ["8080/tcp"]);
        assert_eq!(
            m.labels
                .get("org.opencontainers.image.title")
                .map(String::as_str),
            Some("fixture-debian-app")
        );
        assert_eq!(m.working_dir.as_deref(), Some("/app"));
        assert_eq!(m.user.as_deref(), Some("0:0"));
        assert_eq!(
            m.layers[3].created_by.as_deref(),
            Some("RUN rm /root/.aws/credentials /etc/motd")
        );

        let before = squash(&*image, 3);
        assert_eq!(
            before.get("root/.aws/credentials").map(|n| n.layer),
            Some(2)
        );
        assert_eq!(before.get("etc/motd").map(|n| n.layer), Some(0));
        let after = squash(&*image, 4);
        assert!(
            after.get("root/.aws/credentials").is_none(),
            "{}",
            path.display()
        );
        assert!(after.get("etc/motd").is_none(), "{}", path.display());
        assert_eq!(after.get("app/config/.env").map(|n| n.layer), Some(2));
        // Merged /usr: lib is a symlink into usr/lib, resolved inside the image.
        let libc = after.resolve("lib/x86_64-linux-gnu/libc.so.6").unwrap();
        assert!(
            libc.path.starts_with("usr/lib/x86_64-linux-gnu/"),
            "{}",
            libc.path
        );
    }
}
