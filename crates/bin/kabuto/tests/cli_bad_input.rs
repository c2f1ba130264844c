//! Bad input through the command line: each case builds its input in code and checks the
//! exit code, that the message names what failed (image, layer, file), that nothing
//! panicked, and the exact wording (golden stderr, temp paths redacted).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{DockerArchive, Layer, Run, TarBuilder, app_image, kabuto, path_arg, redact};

/// Golden stderr of `run`, with `dir` (the test's temp dir) shown as `[TMP]`.
#[track_caller]
fn assert_stderr(name: &str, run: &Run, dir: &Path) {
    insta::assert_snapshot!(name, redact(&run.stderr, &[dir]));
}

/// `kabuto scan image ARCHIVE --scanners none --format json` (inventory only, no database).
fn scan_inventory(archive: &Path) -> Run {
    kabuto(&[
        "scan",
        "image",
        path_arg(archive),
        "--scanners",
        "none",
        "--format",
        "json",
    ])
}

/// `(ecosystem, name, version)` of every package in a JSON report.
fn packages(run: &Run) -> Vec<(String, String, String)> {
    let report = run.json();
    let mut out: Vec<_> = report["packages"]
        .as_array()
        .expect("packages array")
        .iter()
        .map(|p| {
            let field = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
            (field("ecosystem"), field("name"), field("version"))
        })
        .collect();
    out.sort();
    out
}

fn os_of(run: &Run) -> String {
    let report = run.json();
    format!(
        "{} {}",
        report["os"]["family"].as_str().unwrap_or("-"),
        report["os"]["version"].as_str().unwrap_or("-")
    )
}

#[test]
fn truncated_docker_archive() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = app_image().bytes();
    let archive = dir.path().join("truncated.tar");
    // Cut inside the last member (the gzip layer), after the manifest and config.
    std::fs::write(&archive, &bytes[..bytes.len() - 2048]).unwrap();
    let run = scan_inventory(&archive);
    run.expect_code(1);
    assert!(run.stderr.contains("truncated.tar"), "{}", run.stderr);
    assert_stderr("truncated_docker_archive", &run, dir.path());
}

#[test]
fn truncated_gzip_layer() {
    let dir = tempfile::tempdir().unwrap();
    let mut image = app_image();
    let layer = &mut image.layers[1].blob;
    layer.truncate(layer.len() / 2);
    let archive = dir.path().join("image.tar");
    image.write(&archive);
    let run = scan_inventory(&archive);
    run.expect_code(1);
    assert!(run.stderr.contains("layer 2"), "{}", run.stderr);
    assert!(run.stderr.contains("gzip"), "{}", run.stderr);
    assert_stderr("truncated_gzip_layer", &run, dir.path());
}

/// A zstd layer garbled at `offset` (16 bytes), in an archive under `dir`.
fn scan_garbled_zstd_layer(dir: &Path, offset: impl Fn(usize) -> usize) -> Run {
    let mut tar = TarBuilder::new();
    common::add_tree(&mut tar, &common::app_fixture().join("base"));
    let mut layer = Layer::zstd(tar.finish());
    let start = offset(layer.blob.len());
    for byte in &mut layer.blob[start..start + 16] {
        *byte ^= 0x5a;
    }
    let archive = dir.join("image.tar");
    DockerArchive::new(vec![layer]).write(&archive);
    scan_inventory(&archive)
}

#[test]
fn corrupt_zstd_layer() {
    let dir = tempfile::tempdir().unwrap();
    // Just past the magic number: the frame header is garbage, the decoder fails.
    let run = scan_garbled_zstd_layer(dir.path(), |_| 4);
    run.expect_code(1);
    assert!(
        run.stderr.contains("layer 1") && run.stderr.contains("zstd"),
        "{}",
        run.stderr
    );
    assert_stderr("corrupt_zstd_layer_header", &run, dir.path());
    // Inside the compressed data: frames without a checksum may decode to other bytes;
    // the diff ID check catches what the decoder cannot.
    let run = scan_garbled_zstd_layer(dir.path(), |len| len / 2);
    run.expect_code(1);
    assert!(run.stderr.contains("layer 1"), "{}", run.stderr);
    assert_stderr("corrupt_zstd_layer_data", &run, dir.path());
}

#[test]
fn manifest_lists_a_missing_layer_blob() {
    let dir = tempfile::tempdir().unwrap();
    let image = app_image();
    let mut members = image.members();
    let missing = members.pop().unwrap().0;
    let archive = dir.path().join("image.tar");
    std::fs::write(&archive, common::archive_of(&members)).unwrap();
    let run = scan_inventory(&archive);
    run.expect_code(1);
    assert!(run.stderr.contains(&missing), "{}", run.stderr);
    assert_stderr("manifest_lists_a_missing_layer_blob", &run, dir.path());
}

#[test]
fn config_blob_is_not_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut image = app_image();
    image.config = Some(br#"{"architecture": "amd64", "rootfs": {"diff_ids": ["#.to_vec());
    let archive = dir.path().join("image.tar");
    image.write(&archive);
    let run = kabuto(&["sbom", path_arg(&archive)]);
    run.expect_code(1);
    assert!(run.stderr.contains("config"), "{}", run.stderr);
    assert_stderr("config_blob_is_not_json", &run, dir.path());
}

#[test]
fn parent_and_absolute_paths_stay_inside_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = common::app_fixture().join("base");
    let read = |p: &str| std::fs::read(fixture.join(p)).unwrap();
    // Were these entries extracted naively, they would land outside the image root.
    let outside = dir.path().join("escaped");
    let escape = format!("../../../../../../../..{}", path_arg(&outside));
    let mut tar = TarBuilder::new();
    tar.file("../../../etc/os-release", read("etc/os-release"))
        .file("/var/lib/dpkg/status", read("var/lib/dpkg/status"))
        .file(
            "./usr/../../usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
            read("usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"),
        )
        .file(&escape, "not for the host");
    let archive = dir.path().join("image.tar");
    DockerArchive::new(vec![Layer::plain(tar.finish())]).write(&archive);
    let run = scan_inventory(&archive);
    run.expect_code(0);
    assert!(
        !outside.exists(),
        "a layer entry was written outside the image"
    );
    assert_eq!(os_of(&run), "debian 12");
    insta::assert_debug_snapshot!("parent_and_absolute_paths_packages", packages(&run));
    assert_eq!(run.stderr, "");
}

#[test]
fn symlink_loops_do_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = common::app_fixture().join("base");
    let mut tar = TarBuilder::new();
    // os-release is looked up through symlinks: make both candidates point at each other.
    tar.symlink("etc/os-release", "../usr/lib/os-release")
        .symlink("usr/lib/os-release", "../../etc/os-release")
        .symlink("loop/a", "b")
        .symlink("loop/b", "a")
        .symlink("loop/self", ".")
        .symlink("usr/lib/python3/dist-packages/up", "../../../..")
        .file(
            "var/lib/dpkg/status",
            std::fs::read(fixture.join("var/lib/dpkg/status")).unwrap(),
        );
    let archive = dir.path().join("image.tar");
    DockerArchive::new(vec![Layer::plain(tar.finish())]).write(&archive);
    let started = Instant::now();
    let run = scan_inventory(&archive);
    assert!(started.elapsed() < Duration::from_secs(30));
    run.expect_code(0);
    // os-release resolves to nothing; the dpkg packages are still there.
    assert_eq!(os_of(&run), "- -");
    insta::assert_debug_snapshot!("symlink_loops_packages", packages(&run));
    // Every symlink of the image is followed inside it; each loop is one warning naming it.
    let looped: Vec<&str> = run
        .stderr
        .lines()
        .map(|line| {
            assert!(
                line.ends_with("symbolic link loop (more than 40 links to follow); not followed"),
                "{line}"
            );
            line.split(' ')
                .nth(4)
                .unwrap_or_default()
                .trim_end_matches(':')
        })
        .collect();
    assert_eq!(
        looped,
        ["etc/os-release", "loop/a", "loop/b", "usr/lib/os-release"]
    );
}

#[test]
fn hundred_thousand_empty_files_scan_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let mut tar = TarBuilder::new();
    common::add_tree(&mut tar, &common::app_fixture().join("base"));
    for i in 0..100_000 {
        tar.file(&format!("data/{:03}/{i}", i % 1000), "");
    }
    let archive = dir.path().join("image.tar");
    DockerArchive::new(vec![Layer::gzip(tar.finish())]).write(&archive);
    let started = Instant::now();
    let run = scan_inventory(&archive);
    let elapsed = started.elapsed();
    run.expect_code(0);
    // A few hundred milliseconds in release builds; debug builds on a busy 2-core CI
    // machine get a wide margin, which still catches quadratic behaviour.
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
    assert_eq!(os_of(&run), "debian 12");
    assert_eq!(packages(&run).len(), 3, "{:?}", packages(&run));
    assert_eq!(run.stderr, "");
}

#[test]
fn garbage_lockfiles_warn_and_the_rest_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir_all(project.join("web")).unwrap();
    std::fs::write(
        project.join("requirements.txt"),
        "requests==2.19.1\nurllib3==1.24.1\n",
    )
    .unwrap();
    std::fs::write(
        project.join("web/package-lock.json"),
        "{\"lockfileVersion\": 3, \"packages\": ",
    )
    .unwrap();
    std::fs::write(
        project.join("web/yarn.lock"),
        b"lodash@^4.17.4:\n  version \xff\xfe\n",
    )
    .unwrap();
    let run = kabuto(&[
        "scan",
        "fs",
        path_arg(&project),
        "--scanners",
        "none",
        "--format",
        "json",
    ]);
    run.expect_code(0);
    assert!(run.stderr.contains("package-lock.json"), "{}", run.stderr);
    assert!(run.stderr.contains("yarn.lock"), "{}", run.stderr);
    insta::assert_debug_snapshot!("garbage_lockfiles_packages", packages(&run));
    assert_stderr("garbage_lockfiles", &run, dir.path());
}

#[test]
fn missing_paths_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-image.tar");
    let cases = [
        (
            "scan_image",
            vec!["scan", "image", path_arg(&missing), "--scanners", "none"],
        ),
        ("sbom", vec!["sbom", path_arg(&missing)]),
        (
            "scan_rootfs",
            vec!["scan", "rootfs", path_arg(&missing), "--scanners", "none"],
        ),
        (
            "scan_fs",
            vec!["scan", "fs", path_arg(&missing), "--scanners", "none"],
        ),
    ];
    let mut transcript = String::new();
    for (name, args) in cases {
        let run = kabuto(&args);
        run.expect_code(1);
        assert!(
            run.stderr.contains("no-such-image.tar"),
            "{name}: {}",
            run.stderr
        );
        transcript.push_str(&format!("{name}: {}", run.stderr));
    }
    insta::assert_snapshot!("missing_paths", redact(&transcript, &[dir.path()]));
}

#[test]
fn a_plain_directory_is_not_an_image() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
    let run = kabuto(&["scan", "image", path_arg(dir.path()), "--scanners", "none"]);
    run.expect_code(1);
    assert_stderr("a_plain_directory_is_not_an_image", &run, dir.path());
}

#[test]
fn a_file_that_is_not_an_archive() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("image.tar");
    std::fs::write(&file, "this is not a tar archive\n".repeat(40)).unwrap();
    let run = scan_inventory(&file);
    run.expect_code(1);
    assert!(run.stderr.contains("image.tar"), "{}", run.stderr);
    // Only the first line: the rest is the bug below.
    let first_line = run.stderr.lines().next().unwrap_or_default();
    insta::assert_snapshot!(
        "a_file_that_is_not_an_archive",
        redact(first_line, &[dir.path()])
    );
}

#[test]
fn not_an_archive_error_is_one_line_without_file_content() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("image.tar");
    std::fs::write(&file, "this is not a tar archive\n".repeat(40)).unwrap();
    let run = scan_inventory(&file);
    run.expect_code(1);
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
    assert!(!run.stderr.contains("this is not"), "{}", run.stderr);
}

#[test]
fn unknown_format_lists_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("image.tar");
    app_image().write(&archive);
    let run = kabuto(&["scan", "image", path_arg(&archive), "--format", "xml"]);
    assert!(!run.stderr.contains("panicked"));
    assert_ne!(run.code, 0);
    assert!(run.stdout.is_empty());
    assert_stderr("unknown_format_scan", &run, dir.path());
    let run = kabuto(&["sbom", path_arg(&archive), "--format", "sarif"]);
    assert_ne!(run.code, 0);
    assert_stderr("unknown_format_sbom", &run, dir.path());
}

#[test]
fn usage_errors_exit_1() {
    kabuto(&["scan", "image", "x.tar", "--format", "xml"]).expect_code(1);
}

#[test]
fn broken_databases_are_refused_before_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("image.tar");
    app_image().write(&archive);
    let good = std::fs::read(common::feeds_db()).unwrap();
    let truncated = dir.path().join("truncated.db");
    // Cut from the end: the header holds the feed paths, so its length depends on the checkout.
    std::fs::write(&truncated, &good[..good.len() - 4000]).unwrap();
    let wrong_magic = dir.path().join("wrong-magic.db");
    let mut bytes = good.clone();
    bytes[..8].copy_from_slice(b"NOTADB\0\0");
    std::fs::write(&wrong_magic, &bytes).unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, "").unwrap();
    let missing = dir.path().join("missing.db");
    let mut transcript = String::new();
    for db in [&truncated, &wrong_magic, &empty, &missing] {
        let run = kabuto(&["scan", "image", path_arg(&archive), "--db", path_arg(db)]);
        run.expect_code(1);
        let name = db.file_name().unwrap().to_str().unwrap();
        assert!(run.stderr.contains(name), "{}", run.stderr);
        assert!(run.stdout.is_empty(), "no report from a failed scan");
        transcript.push_str(&run.stderr);
    }
    // No --db and nothing installed in the (empty) cache directory.
    let run = common::kabuto_in(dir.path(), &["scan", "image", path_arg(&archive)]);
    run.expect_code(1);
    transcript.push_str(&run.stderr);
    insta::assert_snapshot!("broken_databases", redact(&transcript, &[dir.path()]));
}

/// A copy of the real alpine-like OCI layout and its first layer's blob file, or `None`
/// (with a note) when the fixture images are not built.
fn oci_layout_copy(dir: &Path) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let Some(fixtures) = common::fixture_images() else {
        eprintln!("SKIP: fixture images not built (run ../shared/images/build-fixture-images.sh)");
        return None;
    };
    let source = fixtures.join("oci/alpine-like");
    let layout = dir.join("alpine-like");
    std::fs::create_dir_all(layout.join("blobs/sha256")).expect("create layout");
    for name in ["oci-layout", "index.json"] {
        std::fs::copy(source.join(name), layout.join(name)).expect("copy layout file");
    }
    for blob in std::fs::read_dir(source.join("blobs/sha256")).expect("read blobs") {
        let blob = blob.expect("blob entry").path();
        let name = blob.file_name().expect("blob name");
        std::fs::copy(&blob, layout.join("blobs/sha256").join(name)).expect("copy blob");
    }
    let read_json = |path: std::path::PathBuf| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(path).expect("read JSON")).expect("JSON")
    };
    let blob_path = |digest: &serde_json::Value| {
        let digest = digest.as_str().expect("digest");
        layout.join("blobs/sha256").join(&digest["sha256:".len()..])
    };
    let index = read_json(layout.join("index.json"));
    let manifest = read_json(blob_path(&index["manifests"][0]["digest"]));
    let layer = blob_path(&manifest["layers"][0]["digest"]);
    Some((layout, layer))
}

#[test]
fn oci_layout_with_a_tampered_layer_blob() {
    let dir = tempfile::tempdir().unwrap();
    let Some((layout, layer)) = oci_layout_copy(dir.path()) else {
        return;
    };
    let mut bytes = std::fs::read(&layer).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&layer, bytes).unwrap();
    let run = scan_inventory(&layout);
    run.expect_code(1);
    assert!(run.stderr.contains("layer 1"), "{}", run.stderr);
    assert_stderr("oci_layout_tampered_layer", &run, dir.path());
}

#[test]
fn oci_layout_with_a_missing_layer_blob() {
    let dir = tempfile::tempdir().unwrap();
    let Some((layout, layer)) = oci_layout_copy(dir.path()) else {
        return;
    };
    std::fs::remove_file(&layer).unwrap();
    let run = scan_inventory(&layout);
    run.expect_code(1);
    let name = layer.file_name().unwrap().to_str().unwrap();
    assert!(run.stderr.contains(name), "{}", run.stderr);
    assert_stderr("oci_layout_missing_layer", &run, dir.path());
}

#[test]
fn unreadable_lockfile_warns_and_the_rest_is_reported() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("requirements.txt"), "requests==2.19.1\n").unwrap();
    let lock = dir.path().join("Pipfile.lock");
    std::fs::write(&lock, "{}").unwrap();
    std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&lock).is_ok() {
        eprintln!("SKIP: running as root: a mode-000 file is still readable");
        return;
    }
    let run = kabuto(&[
        "scan",
        "fs",
        path_arg(dir.path()),
        "--scanners",
        "none",
        "--format",
        "json",
    ]);
    run.expect_code(0);
    assert!(run.stderr.contains("Pipfile.lock"), "{}", run.stderr);
    assert_eq!(
        packages(&run),
        vec![("pypi".into(), "requests".into(), "2.19.1".into())]
    );
}

#[test]
fn error_names_the_image_once() {
    let dir = tempfile::tempdir().unwrap();
    let image = app_image();
    let mut members = image.members();
    members.pop();
    let archive = dir.path().join("image.tar");
    std::fs::write(&archive, common::archive_of(&members)).unwrap();
    let run = scan_inventory(&archive);
    run.expect_code(1);
    assert_eq!(run.stderr.matches("image.tar").count(), 1, "{}", run.stderr);
}

#[test]
fn a_hundred_thousand_images_are_counted_not_listed() {
    let dir = tempfile::tempdir().unwrap();
    let images: Vec<_> = (0..100_000)
        .map(|i| {
            serde_json::json!({
                "Config": "c.json",
                "RepoTags": [format!("example.invalid/app{i}:1.0")],
                "Layers": [],
            })
        })
        .collect();
    let manifest = serde_json::to_vec(&images).unwrap();
    let archive = dir.path().join("many.tar");
    std::fs::write(
        &archive,
        common::archive_of(&[("manifest.json".into(), manifest)]),
    )
    .unwrap();
    let run = scan_inventory(&archive);
    run.expect_code(1);
    assert!(run.stderr.len() < 1000, "{} bytes", run.stderr.len());
    assert_stderr("a_hundred_thousand_images", &run, dir.path());
}

#[test]
fn an_image_path_that_is_a_fifo_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("image.tar");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // A writer for a kabuto that waits for one (the old behaviour): the test then fails on
    // the message instead of hanging. The new kabuto never opens the FIFO.
    let writer = fifo.clone();
    std::thread::spawn(move || std::fs::OpenOptions::new().write(true).open(writer));
    let run = scan_inventory(&fifo);
    run.expect_code(1);
    assert_stderr("an_image_path_that_is_a_fifo", &run, dir.path());
}

#[test]
fn a_layer_symlinked_out_of_the_archive_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let mut members = app_image().members();
    let mut manifest: serde_json::Value = serde_json::from_slice(&members[0].1).unwrap();
    manifest[0]["Layers"][0] = "id/layer.tar".into();
    members[0].1 = serde_json::to_vec(&manifest).unwrap();
    let mut tar = TarBuilder::new();
    for (name, data) in &members {
        tar.file(name, data);
    }
    tar.symlink("id/layer.tar", "../../../etc/passwd");
    let archive = dir.path().join("image.tar");
    std::fs::write(&archive, tar.finish()).unwrap();
    let run = scan_inventory(&archive);
    run.expect_code(1);
    assert_stderr("a_layer_symlinked_out_of_the_archive", &run, dir.path());
}
