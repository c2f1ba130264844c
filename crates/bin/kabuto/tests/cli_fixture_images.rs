//! The command line on the real fixture images of `build-fixture-images.sh`: every SBOM
//! format agrees across docker-archive, OCI layout, OCI archive and gzip'd docker-archive;
//! `scan rootfs` on the unpacked image agrees with the image; a database built from the
//! shared advisory corpus finds the known CVEs. Skips with a note when the images (or the
//! corpus) are absent.

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use common::{Run, kabuto, path_arg};

const SBOM_FORMATS: [&str; 4] = ["cyclonedx", "spdx-json", "json", "table"];

fn fixtures() -> Option<PathBuf> {
    let dir = common::fixture_images();
    if dir.is_none() {
        eprintln!(
            "SKIP: fixture images not built (run ../shared/images/build-fixture-images.sh, \
             or set KABUTO_FIXTURES)"
        );
    }
    dir
}

/// What an SBOM lists: purls for the JSON formats, `name@version` rows for the table.
fn listed(format: &str, run: &Run) -> BTreeSet<String> {
    if format == "table" {
        return table_rows(&run.stdout);
    }
    let doc = run.json();
    let purls: Vec<&serde_json::Value> = match format {
        "json" => doc["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .map(|p| &p["purl"])
            .collect(),
        "cyclonedx" => doc["components"]
            .as_array()
            .expect("components")
            .iter()
            .map(|c| &c["purl"])
            .filter(|p| !p.is_null())
            .collect(),
        "spdx-json" => doc["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .flat_map(|p| p["externalRefs"].as_array().into_iter().flatten())
            .filter(|r| r["referenceType"] == "purl")
            .map(|r| &r["referenceLocator"])
            .collect(),
        other => panic!("no reader for {other}"),
    };
    purls
        .into_iter()
        .map(|p| p.as_str().expect("purl is a string").to_owned())
        .collect()
}

/// `name@version` of each package row of a table (first two columns of each section).
fn table_rows(table: &str) -> BTreeSet<String> {
    table
        .lines()
        .filter(|line| line.starts_with('│'))
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('│').map(str::trim).collect();
            match cells.as_slice() {
                [_, "Name", ..] => None,
                [_, name, version, ..] => Some(format!("{name}@{version}")),
                _ => None,
            }
        })
        .collect()
}

/// `name@version` of each package of a JSON report.
fn json_name_versions(run: &Run) -> BTreeSet<String> {
    run.json()["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            format!(
                "{}@{}",
                p["name"].as_str().unwrap_or_default(),
                p["version"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// `docker-archive.tar` gzip-compressed into `dir`.
fn gzipped(archive: &Path, dir: &Path) -> PathBuf {
    let out = dir.join("image.tar.gz");
    let mut input = std::fs::File::open(archive).expect("open archive");
    let file = std::fs::File::create(&out).expect("create gzip");
    let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    std::io::copy(&mut input, &mut encoder).expect("gzip archive");
    encoder.finish().expect("finish gzip");
    out
}

/// Every SBOM format of `image` is the same whichever way the image is stored, and the
/// formats agree with each other. `other_source_formats` limits the formats read from the
/// compressed sources (all but the plain docker-archive), which are slower to read.
fn sbom_agrees_across_sources(image: &str, other_source_formats: &[&str]) {
    let Some(out) = fixtures() else { return };
    let docker = out.join("docker").join(format!("{image}.tar"));
    if !docker.exists() {
        eprintln!("SKIP: {} missing", docker.display());
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let gzip = gzipped(&docker, tmp.path());
    let sources = [
        ("docker-archive", path_arg(&docker).to_owned()),
        (
            "oci-dir",
            format!("oci-dir:{}", path_arg(&out.join("oci").join(image))),
        ),
        (
            "oci-archive",
            format!(
                "oci-archive:{}",
                path_arg(&out.join("oci-archive").join(format!("{image}.tar")))
            ),
        ),
        ("gzip'd docker-archive", path_arg(&gzip).to_owned()),
    ];
    let mut by_format = std::collections::BTreeMap::new();
    for format in SBOM_FORMATS {
        let mut first: Option<(&str, BTreeSet<String>)> = None;
        for (kind, target) in &sources {
            if *kind != "docker-archive" && !other_source_formats.contains(&format) {
                continue;
            }
            let run = kabuto(&["sbom", target, "--format", format, "--quiet"]);
            run.expect_code(0);
            let packages = listed(format, &run);
            assert!(!packages.is_empty(), "{image} {kind} {format}: no packages");
            match &first {
                None => first = Some((kind, packages)),
                Some((first_kind, expected)) => assert_eq!(
                    &packages, expected,
                    "{image}: {format} from {kind} differs from {first_kind}"
                ),
            }
            if format == "json" {
                by_format.insert("name@version", json_name_versions(&run));
            }
        }
        by_format.insert(format, first.expect("sources").1);
    }
    assert_eq!(by_format["json"], by_format["cyclonedx"], "{image}");
    assert_eq!(by_format["json"], by_format["spdx-json"], "{image}");
    assert_eq!(by_format["name@version"], by_format["table"], "{image}");
}

/// The full matrix runs on the small images; on the large one, every format is read from
/// the docker-archive and compared with JSON from each other source (keeps CI time down).
#[test]
fn sbom_debian_app() {
    sbom_agrees_across_sources("debian-app", &["json"]);
}

#[test]
fn sbom_alpine_like() {
    sbom_agrees_across_sources("alpine-like", &SBOM_FORMATS);
}

#[test]
fn sbom_rocky_like() {
    sbom_agrees_across_sources("rocky-like", &SBOM_FORMATS);
}

/// Paths deleted by whiteouts in the layers of a docker-archive (`dir/.wh.name` ->
/// `dir/name`; `.wh..wh..opq` -> the directory).
fn whiteouts(archive: &Path) -> Vec<String> {
    let manifest: serde_json::Value = {
        let mut outer =
            tar::Archive::new(std::fs::File::open(archive).expect("readable fixture archive"));
        let mut entry = outer
            .entries()
            .expect("readable fixture archive")
            .map(|e| e.expect("readable fixture archive"))
            .find(|e| e.path().expect("readable fixture archive").as_os_str() == "manifest.json")
            .expect("manifest.json");
        let mut text = String::new();
        entry
            .read_to_string(&mut text)
            .expect("readable fixture archive");
        serde_json::from_str(&text).expect("readable fixture archive")
    };
    let layers: BTreeSet<String> = manifest[0]["Layers"]
        .as_array()
        .expect("readable fixture archive")
        .iter()
        .map(|l| l.as_str().expect("readable fixture archive").to_owned())
        .collect();
    let mut deleted = Vec::new();
    let mut outer =
        tar::Archive::new(std::fs::File::open(archive).expect("readable fixture archive"));
    for entry in outer.entries().expect("readable fixture archive") {
        let entry = entry.expect("readable fixture archive");
        let name = entry
            .path()
            .expect("readable fixture archive")
            .to_string_lossy()
            .into_owned();
        if !layers.contains(&name) {
            continue;
        }
        let mut layer = tar::Archive::new(entry);
        for file in layer.entries().expect("readable fixture archive") {
            let path = file
                .expect("readable fixture archive")
                .path()
                .expect("readable fixture archive")
                .to_string_lossy()
                .into_owned();
            let (dir, base) = path.rsplit_once('/').unwrap_or(("", &path));
            if base == ".wh..wh..opq" {
                deleted.push(dir.to_owned());
            } else if let Some(target) = base.strip_prefix(".wh.") {
                deleted.push(format!("{dir}/{target}").trim_start_matches('/').to_owned());
            }
        }
    }
    deleted
}

/// `(purl, location paths)` of each package of a JSON report.
fn located_packages(run: &Run) -> BTreeSet<(String, Vec<String>)> {
    run.json()["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let paths = p["locations"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|l| l["path"].as_str().unwrap_or_default().to_owned())
                .collect();
            (p["purl"].as_str().unwrap_or_default().to_owned(), paths)
        })
        .collect()
}

/// `scan rootfs` on the flattened image finds what the image scan finds. Whiteouts do not
/// show in a flattened tree, so they are checked to remove no package files (otherwise
/// the two inventories would legitimately differ).
fn rootfs_agrees_with_image(image: &str) {
    let Some(out) = fixtures() else { return };
    let docker = out.join("docker").join(format!("{image}.tar"));
    let rootfs = out.join("rootfs").join(image);
    if !docker.exists() || !rootfs.is_dir() {
        eprintln!("SKIP: {image}: docker archive or rootfs missing");
        return;
    }
    let from_image = kabuto(&["sbom", path_arg(&docker), "--format", "json"]);
    from_image.expect_code(0);
    let from_rootfs = kabuto(&[
        "scan",
        "rootfs",
        path_arg(&rootfs),
        "--scanners",
        "none",
        "--format",
        "json",
    ]);
    from_rootfs.expect_code(0);
    let image_packages = located_packages(&from_image);
    for deleted in whiteouts(&docker) {
        assert!(
            !rootfs.join(&deleted).exists(),
            "{image}: {deleted} is whited out but present in the rootfs"
        );
        let under = |path: &String| path == &deleted || path.starts_with(&format!("{deleted}/"));
        assert!(
            !image_packages
                .iter()
                .any(|(_, paths)| paths.iter().any(under)),
            "{image}: a package file is whited out ({deleted}): the inventories must differ"
        );
    }
    assert_eq!(image_packages, located_packages(&from_rootfs), "{image}");
    assert_eq!(from_image.json()["os"], from_rootfs.json()["os"], "{image}");
}

#[test]
fn rootfs_debian_app() {
    rootfs_agrees_with_image("debian-app");
}

#[test]
fn rootfs_alpine_like() {
    rootfs_agrees_with_image("alpine-like");
}

#[test]
fn rootfs_rocky_like() {
    rootfs_agrees_with_image("rocky-like");
}

/// `(id, package, installed version)` of each finding of a JSON report.
fn findings(run: &Run) -> BTreeSet<(String, String, String)> {
    run.json()["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities")
        .iter()
        .map(|v| {
            let field = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            (
                field("id"),
                field("package_name"),
                field("installed_version"),
            )
        })
        .collect()
}

/// A database from the shared corpus's PyPI, npm and Debian advisories finds the CVEs
/// debian-app was built to carry. (The whole corpus takes ~20 s to build in a debug build;
/// kabuto-vulndb's own tests build all of it.)
#[test]
fn shared_corpus_finds_the_known_cves() {
    let Some(out) = fixtures() else { return };
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/vulndata");
    if !corpus.join("pypa").is_dir() {
        eprintln!("SKIP: {} absent", corpus.display());
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("corpus.db");
    let mut build = vec!["db", "build", "--output", path_arg(&db)];
    let sources: Vec<PathBuf> = ["pypa", "nodejs-security-wg", "debian12-changelog-derived"]
        .iter()
        .map(|d| corpus.join(d))
        .collect();
    for source in &sources {
        build.extend(["--source", path_arg(source)]);
    }
    let built = kabuto(&build);
    built.expect_code(0);
    assert!(built.stdout.starts_with("built "), "{}", built.stdout);

    let docker = out.join("docker/debian-app.tar");
    let scan = |target: &[&str]| {
        let mut args = vec!["scan"];
        args.extend_from_slice(target);
        args.extend([
            "--db",
            path_arg(&db),
            "--scanners",
            "vuln",
            "--format",
            "json",
        ]);
        let run = kabuto(&args);
        run.expect_code(0);
        findings(&run)
    };
    let image = scan(&["image", path_arg(&docker)]);
    let has = |id: &str, package: &str, version: &str| {
        image.contains(&(id.to_owned(), package.to_owned(), version.to_owned()))
    };
    assert!(has("CVE-2018-18074", "requests", "2.19.1"), "{image:?}");
    // nodejs-security-wg 368 (< 4.17.5) and 493 (< 4.17.11); 516 (>= 4.17.15) does not apply.
    let lodash: BTreeSet<&str> = image
        .iter()
        .filter(|(_, package, _)| package == "lodash")
        .map(|(id, _, _)| id.as_str())
        .collect();
    assert_eq!(lodash, BTreeSet::from(["CVE-2018-3721", "CVE-2018-16487"]));
    assert!(
        image.iter().any(|(id, _, _)| id.starts_with("CVE-")) && image.len() > 20,
        "Debian packages have findings too: {image:?}"
    );
    let rootfs = out.join("rootfs/debian-app");
    if rootfs.is_dir() {
        assert_eq!(scan(&["rootfs", path_arg(&rootfs)]), image);
    }
}

/// `scan image` takes the kind prefixes `sbom` takes (it read `oci-dir:` as a registry host
/// with a bad port), lists the same packages whichever prefix names the image, accepts
/// `--offline` on a local image, and refuses a directory prefix with a pointer to `scan fs`.
#[test]
fn scan_image_takes_the_kind_prefixes() {
    let Some(out) = fixtures() else { return };
    let image = "alpine-like";
    let targets = [
        format!(
            "docker-archive:{}",
            path_arg(&out.join("docker").join(format!("{image}.tar")))
        ),
        format!("oci-dir:{}", path_arg(&out.join("oci").join(image))),
        format!(
            "oci-archive:{}",
            path_arg(&out.join("oci-archive").join(format!("{image}.tar")))
        ),
    ];
    let mut first: Option<BTreeSet<String>> = None;
    for target in &targets {
        let run = kabuto(&[
            "scan",
            "image",
            target,
            "--scanners",
            "none",
            "--format",
            "json",
            "--offline",
        ]);
        run.expect_code(0);
        let packages = json_name_versions(&run);
        assert!(!packages.is_empty(), "{target}: no packages");
        match &first {
            None => first = Some(packages),
            Some(expected) => assert_eq!(&packages, expected, "{target}"),
        }
    }
    let run = kabuto(&["scan", "image", "dir:.", "--scanners", "none"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("is a directory, not an image"),
        "{}",
        run.stderr
    );
}

/// `--offline` means the same on every scan: directory scans (which never use the network)
/// accept it instead of refusing it as an unknown flag.
#[test]
fn directory_scans_accept_offline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let apk = dir.path().join("lib/apk/db");
    std::fs::create_dir_all(&apk).expect("mkdir");
    std::fs::write(apk.join("installed"), "P:musl\nV:1.2.4-r2\nA:x86_64\n\n").expect("write");
    for kind in ["fs", "rootfs"] {
        let run = kabuto(&[
            "scan",
            kind,
            path_arg(dir.path()),
            "--offline",
            "--scanners",
            "none",
            "--format",
            "json",
        ]);
        run.expect_code(0);
        assert!(
            json_name_versions(&run).contains("musl@1.2.4-r2"),
            "{kind}: {}",
            run.stdout
        );
    }
}
