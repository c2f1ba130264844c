//! Images built here in test code: docker-archive (plain, gzip, symlinked layers), OCI
//! layout directories and archives, nested indexes, and broken variants of each.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use kabuto_types::{Digest, Timestamp};
use serde_json::json;

use super::open_local;
use crate::{ImageSource, SourceError};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const GZIP_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

fn layer_tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, name, *data).unwrap();
    }
    builder.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Two layers: a base with os-release and a secret, and one that whites the secret out.
fn layers() -> Vec<Vec<u8>> {
    vec![
        layer_tar(&[("etc/os-release", b"ID=debian\n"), ("root/secret", b"s")]),
        layer_tar(&[("root/.wh.secret", b""), ("app/main.py", b"print(1)\n")]),
    ]
}

fn config(layers: &[Vec<u8>], arch: &str) -> Vec<u8> {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| Digest::sha256_of(l).to_string())
        .collect();
    serde_json::to_vec(&json!({
        "architecture": arch, "os": "linux", "created": "2023-11-14T22:13:20Z",
        "config": {
            "User": "app", "Cmd": ["python", "/app/main.py"], "Entrypoint": null,
            "Env": ["PATH=/usr/bin", "APP_ENV=test"], "WorkingDir": "/app",
            "ExposedPorts": {"8080/tcp": {}}, "Labels": {"org.opencontainers.image.title": "t"}
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created_by": "ADD base"},
            {"created_by": "ENV APP_ENV=test", "empty_layer": true},
            {"created_by": "RUN rm /root/secret"}
        ]
    }))
    .unwrap()
}

fn write_tar(path: &Path, members: &[(String, Vec<u8>)]) {
    let mut builder = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, data) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, name, data.as_slice())
            .unwrap();
    }
    builder.finish().unwrap();
}

/// Members of a classic `docker save`: `<hex>.json` config, `<hex>.tar` layers.
fn docker_members(layers: &[Vec<u8>], tags: &[&str]) -> Vec<(String, Vec<u8>)> {
    let config = config(layers, "amd64");
    let config_name = format!("{}.json", Digest::sha256_of(&config).hex());
    let layer_names: Vec<String> = layers
        .iter()
        .map(|l| format!("{}.tar", Digest::sha256_of(l).hex()))
        .collect();
    let manifest = json!([{"Config": config_name, "RepoTags": tags, "Layers": layer_names}]);
    let mut members = vec![(config_name, config)];
    members.extend(layer_names.into_iter().zip(layers.iter().cloned()));
    members.push((
        "manifest.json".into(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    members
}

struct Oci {
    dir: PathBuf,
}

impl Oci {
    fn new(root: &Path) -> Self {
        let dir = root.join("layout");
        std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
        std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        Oci { dir }
    }

    fn blob(&self, bytes: &[u8]) -> serde_json::Value {
        let digest = Digest::sha256_of(bytes);
        std::fs::write(self.dir.join("blobs/sha256").join(digest.hex()), bytes).unwrap();
        json!({"digest": digest.to_string(), "size": bytes.len()})
    }

    fn descriptor(&self, media_type: &str, bytes: &[u8]) -> serde_json::Value {
        let mut d = self.blob(bytes);
        d["mediaType"] = json!(media_type);
        d
    }

    /// Writes an image (gzip layers) and returns its manifest descriptor.
    fn image(&self, layers: &[Vec<u8>], arch: &str) -> serde_json::Value {
        let layer_descriptors: Vec<_> = layers
            .iter()
            .map(|l| self.descriptor(GZIP_LAYER, &gzip(l)))
            .collect();
        let manifest = json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": self.descriptor(OCI_CONFIG, &config(layers, arch)),
            "layers": layer_descriptors,
        });
        self.descriptor(OCI_MANIFEST, &serde_json::to_vec(&manifest).unwrap())
    }

    fn index(&self, manifests: Vec<serde_json::Value>) {
        let index = json!({"schemaVersion": 2, "manifests": manifests});
        std::fs::write(
            self.dir.join("index.json"),
            serde_json::to_vec(&index).unwrap(),
        )
        .unwrap();
    }

    fn tagged(&self, descriptor: serde_json::Value, tag: &str) -> serde_json::Value {
        let mut d = descriptor;
        d["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
        d
    }

    /// The layout as an oci-archive tar.
    fn archive(&self, path: &Path) {
        let mut builder = tar::Builder::new(std::fs::File::create(path).unwrap());
        builder.append_dir_all(".", &self.dir).unwrap();
        builder.finish().unwrap();
    }
}

fn read_layer(image: &dyn ImageSource, index: usize) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    image.open_layer(index).unwrap().read_to_end(&mut out)?;
    Ok(out)
}

/// Walks every layer with diff ID verification and squashes the image.
fn squash(image: &dyn ImageSource) -> kabuto_layers::FileTree {
    let mut tree = kabuto_layers::FileTree::new();
    for (index, info) in image.metadata().layers.iter().enumerate() {
        let options = kabuto_layers::WalkOptions {
            expected_diff_id: Some(info.diff_id.clone()),
            ..Default::default()
        };
        let mut changes = kabuto_layers::LayerChanges::new();
        kabuto_layers::walk_layer(image.open_layer(index).unwrap(), &options, |entry, _| {
            changes.record(entry);
            Ok::<_, std::io::Error>(())
        })
        .unwrap();
        tree.apply(index, changes);
    }
    tree
}

fn assert_config(image: &dyn ImageSource) {
    let m = image.metadata();
    assert_eq!(m.cmd, ["python", "/app/main.py"]);
    assert!(m.entrypoint.is_empty());
    assert_eq!(m.env, ["PATH=/usr/bin", "APP_ENV=test"]);
    assert_eq!(m.user.as_deref(), Some("app"));
    assert_eq!(m.working_dir.as_deref(), Some("/app"));
    assert_eq!(m.exposed_ports, ["8080/tcp"]);
    assert_eq!(m.labels["org.opencontainers.image.title"], "t");
    assert_eq!(
        m.created.as_ref().map(Timestamp::as_str),
        Some("2023-11-14T22:13:20Z")
    );
    assert_eq!(m.history.len(), 3);
    let created_by: Vec<_> = m.layers.iter().map(|l| l.created_by.as_deref()).collect();
    assert_eq!(created_by, [Some("ADD base"), Some("RUN rm /root/secret")]);
    let diff_ids: Vec<_> = m.layers.iter().map(|l| l.diff_id.clone()).collect();
    let expected: Vec<_> = layers().iter().map(|l| Digest::sha256_of(l)).collect();
    assert_eq!(diff_ids, expected);
    let tree = squash(image);
    assert!(tree.get("root/secret").is_none());
    assert_eq!(tree.get("app/main.py").map(|n| n.layer), Some(1));
    assert_eq!(tree.get("etc/os-release").map(|n| n.layer), Some(0));
}

#[test]
fn docker_archive_plain_and_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let layers = layers();
    let members = docker_members(&layers, &["example/app:1.0"]);
    let plain = dir.path().join("app.tar");
    write_tar(&plain, &members);
    let compressed = dir.path().join("app.tar.gz");
    std::fs::write(&compressed, gzip(&std::fs::read(&plain).unwrap())).unwrap();
    for path in [&plain, &compressed] {
        let image = open_local(path, None).unwrap();
        assert_eq!(image.name(), path.display().to_string());
        let m = image.metadata();
        assert_eq!(m.repo_tags, ["example/app:1.0"]);
        assert_eq!(m.architecture.as_deref(), Some("amd64"));
        assert_eq!(m.config_digest, Some(Digest::sha256_of(&members[0].1)));
        assert_eq!(m.manifest_digest, None);
        assert_eq!(m.layers[1].size, Some(layers[1].len() as u64));
        // The blob is the uncompressed layer, named by its diff ID.
        assert_eq!(m.layers[1].digest.as_ref(), Some(&m.layers[1].diff_id));
        assert_eq!(read_layer(&*image, 1).unwrap(), layers[1]);
        assert_config(&*image);
        assert!(image.open_layer(2).is_err());
    }
}

#[test]
fn docker_archive_with_symlinked_layers_and_selection() {
    let dir = tempfile::tempdir().unwrap();
    let layers = layers();
    let mut members = docker_members(&layers, &["docker.io/library/app:latest", "app:2"]);
    let path = dir.path().join("linked.tar");
    // Classic docker save: `<id>/layer.tar` symlinks to the content-addressed file.
    let mut builder = tar::Builder::new(std::fs::File::create(&path).unwrap());
    let manifest = members.pop().unwrap();
    let mut manifest_json: serde_json::Value = serde_json::from_slice(&manifest.1).unwrap();
    for (i, (name, data)) in members.iter().enumerate() {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        builder
            .append_data(&mut header, name, data.as_slice())
            .unwrap();
        if i > 0 {
            let mut link = tar::Header::new_gnu();
            link.set_entry_type(tar::EntryType::Symlink);
            link.set_size(0);
            builder
                .append_link(&mut link, format!("id{i}/layer.tar"), format!("../{name}"))
                .unwrap();
            manifest_json[0]["Layers"][i - 1] = json!(format!("id{i}/layer.tar"));
        }
    }
    let manifest_bytes = serde_json::to_vec(&manifest_json).unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_size(manifest_bytes.len() as u64);
    builder
        .append_data(&mut header, "manifest.json", manifest_bytes.as_slice())
        .unwrap();
    builder.finish().unwrap();
    drop(builder);

    for selector in [
        None,
        Some("app"),
        Some("app:2"),
        Some("2"),
        Some("docker.io/library/app"),
    ] {
        let image = open_local(&path, selector).unwrap();
        assert_eq!(read_layer(&*image, 0).unwrap(), layers[0]);
        // `<id>/layer.tar` names no content digest.
        assert_eq!(image.metadata().layers[0].digest, None);
    }
    let err = open_local(&path, Some("other:1"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("no image tagged `other:1`") && err.contains("app:2"),
        "{err}"
    );
}

#[test]
fn oci_layout_directory_and_archive() {
    let dir = tempfile::tempdir().unwrap();
    let oci = Oci::new(dir.path());
    let manifest = oci.image(&layers(), "amd64");
    oci.index(vec![oci.tagged(manifest.clone(), "latest")]);
    let archive = dir.path().join("layout.tar");
    oci.archive(&archive);
    for path in [&oci.dir, &archive] {
        for selector in [None, Some("latest")] {
            let image = open_local(path, selector).unwrap();
            let m = image.metadata();
            assert_eq!(
                m.manifest_digest.as_ref().map(Digest::as_str),
                manifest["digest"].as_str()
            );
            assert_eq!(m.layers[0].media_type.as_deref(), Some(GZIP_LAYER));
            assert_eq!(
                m.layers[0].digest,
                Some(Digest::sha256_of(&gzip(&layers()[0])))
            );
            assert_eq!(read_layer(&*image, 0).unwrap(), gzip(&layers()[0]));
            assert_config(&*image);
        }
    }
}

#[test]
fn oci_nested_index_resolves_to_the_host_platform() {
    let dir = tempfile::tempdir().unwrap();
    let oci = Oci::new(dir.path());
    let host = crate::registry::Platform::host();
    let other = if host.architecture == "arm64" {
        "amd64"
    } else {
        "arm64"
    };
    let mut mine = oci.image(&layers(), &host.architecture);
    mine["platform"] = json!({"os": "linux", "architecture": host.architecture});
    let mut foreign = oci.image(&[layer_tar(&[("x", b"x")])], other);
    foreign["platform"] = json!({"os": "linux", "architecture": other});
    let index =
        json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [foreign, mine.clone()]});
    let nested = oci.descriptor(OCI_INDEX, &serde_json::to_vec(&index).unwrap());
    oci.index(vec![oci.tagged(nested, "multi")]);
    let image = open_local(&oci.dir, None).unwrap();
    assert_eq!(
        image.metadata().architecture.as_deref(),
        Some(host.architecture.as_str())
    );
    assert_eq!(
        image
            .metadata()
            .manifest_digest
            .as_ref()
            .map(Digest::as_str),
        mine["digest"].as_str()
    );
}

#[test]
fn oci_layout_with_several_images_needs_a_tag() {
    let dir = tempfile::tempdir().unwrap();
    let oci = Oci::new(dir.path());
    let one = oci.image(&layers(), "amd64");
    let two = oci.image(&[layer_tar(&[("two", b"2")])], "amd64");
    oci.index(vec![
        oci.tagged(one, "one"),
        oci.tagged(two, "example/two:2.0"),
    ]);
    let err = open_local(&oci.dir, None).err().unwrap().to_string();
    assert!(
        err.contains("holds 2 images") && err.contains("one, example/two:2.0"),
        "{err}"
    );
    assert_eq!(
        open_local(&oci.dir, Some("one"))
            .unwrap()
            .metadata()
            .layers
            .len(),
        2
    );
    let two = open_local(&oci.dir, Some("2.0")).unwrap();
    assert_eq!(two.metadata().layers.len(), 1);
    assert_eq!(two.metadata().repo_tags, ["example/two:2.0"]);
    assert!(open_local(&oci.dir, Some("three")).is_err());
}

fn expect_err(result: Result<Box<dyn ImageSource>, SourceError>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn missing_and_tampered_blobs_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let oci = Oci::new(dir.path());
    let layer_blob = gzip(&layers()[1]);
    let manifest = oci.image(&layers(), "amd64");
    oci.index(vec![manifest]);
    let layer_digest = Digest::sha256_of(&layer_blob);
    let layer_path = oci.dir.join("blobs/sha256").join(layer_digest.hex());

    // Same size, different bytes: found while streaming, at the end of the blob.
    let mut tampered = layer_blob.clone();
    let last = tampered.len() - 9;
    tampered[last] ^= 1;
    std::fs::write(&layer_path, &tampered).unwrap();
    let image = open_local(&oci.dir, None).unwrap();
    let err = read_layer(&*image, 1).unwrap_err();
    let inner = err.get_ref().and_then(|e| e.downcast_ref::<SourceError>());
    assert!(
        matches!(inner, Some(SourceError::DigestMismatch { expected, .. }) if *expected == layer_digest.to_string()),
        "{err}"
    );

    std::fs::remove_file(&layer_path).unwrap();
    let err = expect_err(open_local(&oci.dir, None));
    assert!(
        err.contains(&format!("blob {layer_digest}")) && err.contains("missing"),
        "{err}"
    );
    assert!(err.starts_with(&oci.dir.display().to_string()), "{err}");
}

#[test]
fn tampered_config_and_bad_json_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let oci = Oci::new(dir.path());
    let manifest = oci.image(&layers(), "amd64");
    oci.index(vec![manifest.clone()]);
    let manifest_path = oci
        .dir
        .join("blobs/sha256")
        .join(&manifest["digest"].as_str().unwrap()[7..]);
    let manifest_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    let config_digest = manifest_json["config"]["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    let config_path = oci.dir.join("blobs/sha256").join(&config_digest[7..]);
    let mut config = std::fs::read(&config_path).unwrap();
    config[0] = b' ';
    std::fs::write(&config_path, &config).unwrap();
    let err = expect_err(open_local(&oci.dir, None));
    assert!(
        err.contains(&format!("blob {config_digest} has digest")),
        "{err}"
    );

    std::fs::write(oci.dir.join("index.json"), b"{\"manifests\": [").unwrap();
    let err = expect_err(open_local(&oci.dir, None));
    assert!(err.contains("index.json: not an OCI index"), "{err}");

    // A docker archive whose config is not JSON.
    let mut members = docker_members(&layers(), &[]);
    members[0].1 = b"not json".to_vec();
    let manifest = serde_json::to_vec(&json!([{"Config": "c.json", "Layers": []}])).unwrap();
    members.push(("c.json".into(), b"not json".to_vec()));
    let last = members.len() - 2;
    members[last].1 = manifest;
    let path = dir.path().join("bad-config.tar");
    write_tar(&path, &members);
    let err = expect_err(open_local(&path, None));
    assert!(err.contains("config `c.json`"), "{err}");
}

#[test]
fn truncated_archives_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.tar");
    write_tar(&path, &docker_members(&layers(), &["a:1"]));
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.tar");
    // Cut inside the second layer's content: its member cannot be complete.
    std::fs::write(&cut, &bytes[..bytes.len() / 2 + 700]).unwrap();
    let err = expect_err(open_local(&cut, None));
    assert!(err.starts_with(&cut.display().to_string()), "{err}");
    assert!(err.contains("truncated archive"), "{err}");

    let gz = dir.path().join("cut.tar.gz");
    let compressed = gzip(&bytes);
    std::fs::write(&gz, &compressed[..compressed.len() / 2]).unwrap();
    let err = expect_err(open_local(&gz, None));
    // Names the archive and the member the stream ended in (or the one before).
    assert!(err.starts_with(&gz.display().to_string()), "{err}");
    assert!(err.contains(".json") || err.contains(".tar"), "{err}");
}

#[test]
fn a_directory_or_file_that_is_no_image() {
    let dir = tempfile::tempdir().unwrap();
    let err = expect_err(open_local(dir.path(), None));
    assert!(
        err.contains("neither manifest.json") && err.contains("oci-layout"),
        "{err}"
    );
    let path = dir.path().join("notes.tar");
    write_tar(&path, &[("readme.txt".into(), b"hi".to_vec())]);
    assert!(expect_err(open_local(&path, None)).contains("not an image"));
    let err = expect_err(open_local(&dir.path().join("absent.tar"), None));
    assert!(err.contains("absent.tar"), "{err}");
}

#[test]
fn a_hundred_thousand_images_are_counted_not_listed() {
    let dir = tempfile::tempdir().unwrap();
    let images: Vec<_> = (0..100_000)
        .map(|i| json!({"Config": format!("c{i}.json"), "RepoTags": [format!("img{i}:1")], "Layers": []}))
        .collect();
    let path = dir.path().join("many.tar");
    write_tar(
        &path,
        &[("manifest.json".into(), serde_json::to_vec(&images).unwrap())],
    );
    let err = expect_err(open_local(&path, None));
    assert!(
        err.contains("holds 100000 images") && err.ends_with("img9:1; ... (99990 more))"),
        "{err}"
    );
    let err = expect_err(open_local(&path, Some("other")));
    assert!(err.contains("no image tagged `other`"), "{err}");
    assert!(err.ends_with("img9:1; ... (99990 more))"), "{err}");
    assert!(err.len() < 500, "{} bytes", err.len());
}

#[test]
fn an_index_with_many_entries_lists_a_few() {
    let dir = tempfile::tempdir().unwrap();
    let oci = Oci::new(dir.path());
    let manifest = oci.image(&layers(), "amd64");
    let long_name = "x".repeat(5000);
    let mut entries = vec![oci.tagged(manifest.clone(), &long_name)];
    entries.extend((0..30).map(|i| oci.tagged(manifest.clone(), &format!("t{i}"))));
    oci.index(entries);
    let err = expect_err(open_local(&oci.dir, Some("absent")));
    assert!(err.contains("no image named `absent` (has: xxx"), "{err}");
    assert!(
        err.ends_with("…, t0, t1, t2, t3, t4, t5, t6, t7, t8, ... (21 more))"),
        "{err}"
    );
}

/// Makes a FIFO at `path`, and a thread that opens it for writing: code that opened it for
/// reading (and would wait forever for a writer) gets one, so a regression fails instead of
/// hanging. Code that never opens it leaves the thread waiting until the tests end.
fn fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
    let path = path.to_owned();
    std::thread::spawn(move || std::fs::OpenOptions::new().write(true).open(path));
}

#[test]
fn blobs_that_are_no_regular_files_are_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let oci = Oci::new(dir.path());
    oci.index(vec![oci.image(&layers(), "amd64")]);
    let layer_path = oci
        .dir
        .join("blobs/sha256")
        .join(Digest::sha256_of(&gzip(&layers()[1])).hex());
    std::fs::remove_file(&layer_path).unwrap();

    fifo(&layer_path);
    let err = expect_err(open_local(&oci.dir, None));
    assert!(err.contains("not a regular file (fifo)"), "{err}");
    std::fs::remove_file(&layer_path).unwrap();

    std::fs::create_dir(&layer_path).unwrap();
    let err = expect_err(open_local(&oci.dir, None));
    assert!(err.contains("not a regular file (directory)"), "{err}");
    std::fs::remove_dir(&layer_path).unwrap();

    std::os::unix::fs::symlink("/dev/null", &layer_path).unwrap();
    let err = expect_err(open_local(&oci.dir, None));
    assert!(
        err.contains("not a regular file (character device)"),
        "{err}"
    );
    assert!(
        err.contains(layer_path.file_name().unwrap().to_str().unwrap()),
        "{err}"
    );
}

#[test]
fn an_image_path_that_is_a_fifo_is_refused_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.tar");
    fifo(&path);
    let err = expect_err(open_local(&path, None));
    assert!(err.starts_with(&path.display().to_string()), "{err}");
    assert!(err.contains("not a regular file (fifo)"), "{err}");

    // An unpacked docker-archive whose manifest.json is a FIFO.
    let unpacked = dir.path().join("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    fifo(&unpacked.join("manifest.json"));
    let err = expect_err(open_local(&unpacked, None));
    assert!(
        err.contains("manifest.json: not a regular file (fifo)"),
        "{err}"
    );
}

/// A docker archive whose single layer is member `layer`, added by `add_layer`.
fn archive_with_layer(path: &Path, add_layer: impl FnOnce(&mut tar::Builder<std::fs::File>)) {
    let layers = layers();
    let mut members = docker_members(&layers[..1], &["a:1"]);
    let manifest = members.pop().unwrap();
    let mut manifest_json: serde_json::Value = serde_json::from_slice(&manifest.1).unwrap();
    manifest_json[0]["Layers"][0] = json!("id/layer.tar");
    let mut builder = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, data) in members.iter().take(1) {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        builder
            .append_data(&mut header, name, data.as_slice())
            .unwrap();
    }
    add_layer(&mut builder);
    let manifest_bytes = serde_json::to_vec(&manifest_json).unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_size(manifest_bytes.len() as u64);
    builder
        .append_data(&mut header, "manifest.json", manifest_bytes.as_slice())
        .unwrap();
    builder.finish().unwrap();
}

fn special_member(builder: &mut tar::Builder<std::fs::File>, kind: tar::EntryType, link: &str) {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_size(0);
    if kind == tar::EntryType::Symlink {
        builder
            .append_link(&mut header, "id/layer.tar", link)
            .unwrap();
    } else {
        builder
            .append_data(&mut header, "id/layer.tar", std::io::empty())
            .unwrap();
    }
}

#[test]
fn archive_members_that_hold_no_layer_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            tar::EntryType::Symlink,
            "../../../etc/passwd",
            "member `id/layer.tar`: is a link in the archive to `../../../etc/passwd`, \
             outside the archive; links are followed only inside it",
        ),
        (
            tar::EntryType::Symlink,
            "../gone.tar",
            "member `id/layer.tar`: is a link in the archive to `gone.tar`, which is not in \
             the archive",
        ),
        (
            tar::EntryType::Fifo,
            "",
            "member `id/layer.tar`: not a regular file (fifo)",
        ),
        (
            tar::EntryType::Directory,
            "",
            "member `id/layer.tar`: not a regular file (directory)",
        ),
    ];
    for (kind, link, expected) in cases {
        let path = dir.path().join("image.tar");
        archive_with_layer(&path, |b| special_member(b, kind, link));
        let err = expect_err(open_local(&path, None));
        assert_eq!(err, format!("{}: {expected}", path.display()));
    }
}
