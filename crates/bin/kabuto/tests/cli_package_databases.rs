//! Hostile package databases through the command line. A dpkg status file padded past the
//! per-file limit used to be skipped with a warning, so the image reported no packages and
//! passed `--exit-code 1`; one listing huge numbers of packages cost gigabytes. Now a
//! database that could not be read whole fails a scan (exit 1, naming the file) unless
//! `--allow-incomplete` is given, which reports the packages that were read. Every image is
//! built here; the bounds are shown by structure (a cap that is hit, a count), not by time.

#![allow(clippy::unwrap_used)] // helpers build fixture images; a failure there is a test bug

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::{DockerArchive, Layer, Run, TarBuilder, kabuto, path_arg, redact};

const STATUS: &str = "var/lib/dpkg/status";
const DEBIAN_RELEASE: &str =
    "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n";
/// An installed package with a known advisory (see [`advisory_db`]).
const VULNERABLE_STANZA: &str = "Package: libssl3\nStatus: install ok installed\n\
    Architecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n";
/// kabuto-inventory's per-file limit, which the command line does not change.
const LIMIT: u64 = 512 * 1024 * 1024;
const CAP: usize = 100_000;

/// A database with one advisory: openssl in Debian 12 before 3.0.13-1~deb12u1.
fn advisory_db(dir: &Path) -> PathBuf {
    let feed = dir.join("feed");
    std::fs::create_dir_all(&feed).unwrap();
    let record = serde_json::json!({
        "schema_version": "1.6.0",
        "id": "CVE-2024-0727",
        "modified": "2024-02-01T00:00:00Z",
        "summary": "PKCS12 decoding crashes",
        "affected": [{
            "package": {"ecosystem": "Debian:12", "name": "openssl"},
            "ranges": [{"type": "ECOSYSTEM",
                        "events": [{"introduced": "0"}, {"fixed": "3.0.13-1~deb12u1"}]}],
        }],
    });
    std::fs::write(feed.join("CVE-2024-0727.json"), record.to_string()).unwrap();
    let db = dir.join("kabuto.db");
    kabuto(&[
        "db",
        "build",
        "--source",
        path_arg(&feed),
        "--output",
        path_arg(&db),
    ])
    .expect_code(0);
    db
}

/// Hashes what passes through (the layer's diff ID) on its way to the compressor.
struct Hashing<W> {
    inner: W,
    hasher: sha2::Sha256,
}

impl<W: std::io::Write> std::io::Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        sha2::Digest::update(&mut self.hasher, &buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A one-layer image (zstd, so a status file of hundreds of MiB stays small on disk) of a
/// Debian 12 `os-release` and a dpkg status file of `size` bytes streamed from `status`.
fn status_image(dir: &Path, size: u64, status: &mut dyn Read) -> PathBuf {
    let mut tar = tar::Builder::new(Hashing {
        inner: zstd::Encoder::new(Vec::new(), 1).unwrap(),
        hasher: sha2::Digest::new(),
    });
    let mut append = |path: &str, size: u64, data: &mut dyn Read| {
        let mut header = tar::Header::new_gnu();
        header.set_path(path).unwrap();
        header.set_size(size);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append(&header, data).unwrap();
    };
    append(
        "etc/os-release",
        DEBIAN_RELEASE.len() as u64,
        &mut DEBIAN_RELEASE.as_bytes(),
    );
    append(STATUS, size, status);
    let hashing = tar.into_inner().unwrap();
    let layer = Layer {
        diff_id: format!(
            "sha256:{}",
            hex::encode(sha2::Digest::finalize(hashing.hasher))
        ),
        blob: hashing.inner.finish().unwrap(),
    };
    assert!(layer.blob.len() < 4 << 20, "the layer stays small on disk");
    let archive = dir.join("image.tar");
    DockerArchive::new(vec![layer]).write(&archive);
    archive
}

/// A status file of `count` distinct installed packages, each with the advisory's source.
fn many_packages(count: usize) -> String {
    (0..count)
        .map(|i| format!("Package: libssl{i}\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n\n"))
        .collect()
}

/// `kabuto ARGS` on a target, with `--format json`.
fn scan(kind: &str, target: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["scan", kind, path_arg(target), "--format", "json"];
    args.extend_from_slice(extra);
    kabuto(&args)
}

/// `(name, version)` of every package and the ids of the vulnerabilities of a JSON report.
fn report_of(run: &Run) -> (Vec<(String, String)>, Vec<String>) {
    let report = run.json();
    let packages = report["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let field = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
            (field("name"), field("version"))
        })
        .collect();
    let vulnerabilities = report["vulnerabilities"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|v| v["id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    (packages, vulnerabilities)
}

/// The padding the issue describes: one vulnerable stanza followed by 513 MiB of
/// continuation lines, so the file is over the per-file limit. The old scan skipped the file
/// and passed `--exit-code 1` with "Packages: 0".
#[test]
fn padded_status_fails_the_scan_unless_partial_results_are_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let db = advisory_db(dir.path());
    let head = format!("{VULNERABLE_STANZA}Description: padded\n");
    let size = LIMIT + (1 << 20);
    let padding = std::io::repeat(b' ').take(size - head.len() as u64);
    let archive = status_image(dir.path(), size, &mut head.as_bytes().chain(padding));
    let gate = [
        "--scanners",
        "vuln",
        "--db",
        path_arg(&db),
        "--exit-code",
        "1",
    ];

    let run = scan("image", &archive, &gate);
    run.expect_code(1);
    assert!(run.stdout.is_empty(), "no report from a failed scan");
    assert!(
        run.stderr.contains(STATUS) && run.stderr.contains("--allow-incomplete"),
        "{}",
        run.stderr
    );
    insta::assert_snapshot!("padded_status", redact(&run.stderr, &[dir.path()]));

    let run = scan(
        "image",
        &archive,
        &[
            "--scanners",
            "vuln",
            "--db",
            path_arg(&db),
            "--allow-incomplete",
        ],
    );
    run.expect_code(0);
    let (packages, vulnerabilities) = report_of(&run);
    assert_eq!(
        packages,
        [("libssl3".to_owned(), "3.0.11-1~deb12u2".to_owned())]
    );
    assert_eq!(vulnerabilities, ["CVE-2024-0727"]);
    let warnings = &run.json()["warnings"];
    assert_eq!(warnings[0]["code"], "W-INCOMPLETE-PACKAGE-DB", "{warnings}");
    assert!(run.stderr.contains(STATUS), "{}", run.stderr);
}

/// One package more than the cap: the scan fails naming the file; with
/// `--allow-incomplete` exactly the cap is reported; `kabuto sbom` warns and succeeds.
#[test]
fn a_status_file_over_the_package_cap_is_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let status = many_packages(CAP + 1);
    let archive = status_image(dir.path(), status.len() as u64, &mut status.as_bytes());

    let run = scan("image", &archive, &["--scanners", "none"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains(STATUS) && run.stderr.contains(&format!("more than {CAP} packages")),
        "{}",
        run.stderr
    );

    let run = scan(
        "image",
        &archive,
        &["--scanners", "none", "--allow-incomplete"],
    );
    run.expect_code(0);
    assert_eq!(report_of(&run).0.len(), CAP);

    let run = kabuto(&["sbom", path_arg(&archive), "--format", "json"]);
    run.expect_code(0);
    assert_eq!(report_of(&run).0.len(), CAP);
    assert!(run.stderr.contains(STATUS), "{}", run.stderr);
}

/// The same through a root filesystem scan, which reads files from disk.
#[test]
fn rootfs_scan_fails_on_a_status_file_over_the_package_cap() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("rootfs");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::write(root.join("etc/os-release"), DEBIAN_RELEASE).unwrap();
    std::fs::write(root.join(STATUS), many_packages(CAP + 1)).unwrap();
    let run = scan("rootfs", &root, &["--scanners", "none"]);
    run.expect_code(1);
    assert!(run.stderr.contains(STATUS), "{}", run.stderr);
}

/// An image that is fine but for a tiny status file still scans as before (the gate only
/// trips on incomplete databases).
#[test]
fn a_whole_status_file_passes_with_its_vulnerability() {
    let dir = tempfile::tempdir().unwrap();
    let db = advisory_db(dir.path());
    let mut tar = TarBuilder::new();
    tar.file("etc/os-release", DEBIAN_RELEASE)
        .file(STATUS, VULNERABLE_STANZA);
    let archive = dir.path().join("image.tar");
    DockerArchive::new(vec![Layer::plain(tar.finish())]).write(&archive);
    let run = scan(
        "image",
        &archive,
        &[
            "--scanners",
            "vuln",
            "--db",
            path_arg(&db),
            "--exit-code",
            "3",
        ],
    );
    run.expect_code(3);
    assert_eq!(report_of(&run).1, ["CVE-2024-0727"]);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}
