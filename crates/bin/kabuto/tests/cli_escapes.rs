//! Terminal escape injection: every input that reaches standard output or error (manifest
//! fields, OCI ref names, package fields, tar member names, VEX statements, database
//! sources) carries `ESC` and a bidi override, and none arrives raw. Each case would have
//! printed them verbatim before the sinks escaped them.

mod common;

use std::path::Path;

use common::{
    DockerArchive, Layer, Run, TarBuilder, app_image_dir, archive_of, kabuto, kabuto_in, path_arg,
    scan_app, sha256, vulndb_feeds,
};

/// Sets the terminal title, then turns text red and reverses what follows.
const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[31m\u{202e}";
const ESCAPED: &str = "\\u{1b}]0;pwned\\u{7}\\u{1b}[31m\\u{202e}";

/// Asserts no raw ESC or bidi override in either stream, and the escaped form in `stream`.
#[track_caller]
fn assert_escaped(run: &Run, stream: &str) {
    for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            !text.contains(['\u{1b}', '\u{202e}']),
            "raw escape on {name}: {text:?}"
        );
    }
    let text = if stream == "stdout" {
        &run.stdout
    } else {
        &run.stderr
    };
    assert!(text.contains(ESCAPED), "{stream}: {text}");
}

fn scan_inventory(target: &Path) -> Run {
    kabuto(&[
        "scan",
        "image",
        path_arg(target),
        "--scanners",
        "none",
        "--format",
        "json",
    ])
}

/// A docker archive of one empty layer whose manifest carries the hostile text in `field`.
fn archive_with_hostile(path: &Path, field: &str) {
    let image = DockerArchive::new(vec![Layer::plain(TarBuilder::new().finish())]);
    let mut members = image.members();
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&members[0].1).expect("manifest JSON");
    match field {
        "Config" => manifest[0]["Config"] = format!("{HOSTILE}.json").into(),
        "Layers" => manifest[0]["Layers"][0] = format!("{HOSTILE}.tar").into(),
        _ => {
            // Two images, so the error lists their tags.
            manifest[0]["RepoTags"] = serde_json::json!([format!("a:{HOSTILE}")]);
            manifest = serde_json::json!([manifest[0], manifest[0]]);
        }
    }
    members[0].1 = serde_json::to_vec(&manifest).expect("manifest JSON");
    std::fs::write(path, archive_of(&members)).expect("write archive");
}

#[test]
fn docker_manifest_config_layers_and_repo_tags() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.tar");
    for field in ["Config", "Layers", "RepoTags"] {
        archive_with_hostile(&path, field);
        let run = scan_inventory(&path);
        run.expect_code(1);
        assert!(run.stderr.starts_with("error: "), "{field}: {}", run.stderr);
        assert_escaped(&run, "stderr");
    }
}

#[test]
fn oci_index_ref_names() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    std::fs::create_dir(&layout).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    // Two named entries: the error lists them before any blob is read.
    let entry = |name: &str| {
        serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": sha256(name.as_bytes()), "size": 1,
            "annotations": {"org.opencontainers.image.ref.name": name},
        })
    };
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [entry(&format!("one{HOSTILE}")), entry("two")],
    });
    std::fs::write(layout.join("index.json"), index.to_string()).unwrap();
    let run = scan_inventory(&layout);
    run.expect_code(1);
    assert_escaped(&run, "stderr");
}

#[test]
fn dpkg_names_and_versions_in_warnings_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let status = format!(
        "Package: bad{HOSTILE}\nStatus: install ok installed\nVersion: v{HOSTILE}\n\n\
         Package: good{HOSTILE}\nStatus: install ok installed\nVersion: 1.0\n"
    );
    let mut layer = TarBuilder::new();
    layer
        .file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        .file("var/lib/dpkg/status", status);
    let archive = dir.path().join("image.tar");
    DockerArchive::new(vec![Layer::plain(layer.finish())]).write(&archive);
    for format in ["json", "table"] {
        let run = kabuto(&["sbom", path_arg(&archive), "--format", format]);
        run.expect_code(0);
        // The invalid version is a warning naming the package and version.
        assert!(run.stderr.contains("invalid version"), "{}", run.stderr);
        assert_escaped(&run, "stderr");
        if format == "json" {
            // JSON carries the text faithfully, in `\u` escapes a JSON reader decodes.
            assert!(
                run.stdout
                    .contains(r"good\u001b]0;pwned\u0007\u001b[31m\u202e"),
                "{}",
                run.stdout
            );
        } else {
            assert_escaped(&run, "stdout");
        }
    }
}

#[test]
fn tar_member_names_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut tar = TarBuilder::new();
    tar.file(&format!("x{HOSTILE}"), "content");
    let mut bytes = tar.finish();
    // A header block that is not a tar header ends the archive with an error naming the
    // member before it.
    bytes.truncate(bytes.len() - 1024);
    bytes.extend([b'?'; 512]);
    let archive = dir.path().join("image.tar");
    std::fs::write(&archive, bytes).unwrap();
    let run = scan_inventory(&archive);
    run.expect_code(1);
    assert!(run.stderr.contains("after member"), "{}", run.stderr);
    assert_escaped(&run, "stderr");
}

#[test]
fn vex_impact_statements_shown_as_suppressed() {
    let dir = app_image_dir();
    let vex = serde_json::json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.invalid/vex/1",
        "author": "Security Team",
        "timestamp": "2026-11-01T00:00:00Z",
        "version": 1,
        "statements": [{
            "vulnerability": {"name": "CVE-2018-18074"},
            "products": [{"@id": "pkg:pypi/requests@2.19.1"}],
            "status": "not_affected",
            "impact_statement": format!("fine{HOSTILE}"),
        }],
    });
    std::fs::write(dir.path().join("vex.json"), vex.to_string()).unwrap();
    let run = scan_app(dir.path(), &["--vex", "vex.json", "--show-suppressed"]);
    run.expect_code(0);
    assert!(
        run.stderr.contains("suppressed: CVE-2018-18074"),
        "{}",
        run.stderr
    );
    assert_escaped(&run, "stderr");
}

#[test]
fn database_sources_in_db_info() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let feed = home.join(format!("feed{HOSTILE}"));
    std::fs::create_dir(&feed).unwrap();
    for file in std::fs::read_dir(vulndb_feeds().join("pypa")).unwrap() {
        let file = file.unwrap().path();
        std::fs::copy(&file, feed.join(file.file_name().unwrap())).unwrap();
    }
    let db = home.join("hostile.db");
    kabuto_in(
        home,
        &[
            "db",
            "build",
            "--source",
            path_arg(&feed),
            "--output",
            path_arg(&db),
        ],
    )
    .expect_code(0);
    let run = kabuto_in(home, &["db", "info", "--db", path_arg(&db)]);
    run.expect_code(0);
    assert!(run.stdout.contains("sources:"), "{}", run.stdout);
    assert_escaped(&run, "stdout");
}
