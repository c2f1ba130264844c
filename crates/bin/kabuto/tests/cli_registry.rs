//! `kabuto sbom REGISTRY/IMAGE:TAG` against the local registries of
//! `scripts/test-registry.sh` (plain HTTP; TLS with a private CA and basic auth; a multi-arch
//! index): the inventory equals the one read from the same image's docker-archive. Each
//! test prints a note and passes when the registries or the fixture images are absent.

mod common;

use std::collections::HashMap;
use std::net::TcpStream;
use std::path::{Path, PathBuf};

use common::{Run, kabuto, path_arg};

struct Registries {
    vars: HashMap<String, String>,
}

impl Registries {
    fn var(&self, name: &str) -> &str {
        self.vars
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("registry.env has no {name}"))
    }

    fn image(&self, port: &str, name: &str) -> String {
        format!("127.0.0.1:{}/fixtures/{name}", self.var(port))
    }
}

/// The running registries and the fixture images, or `None` with a note.
fn setup() -> Option<(Registries, PathBuf)> {
    let dir = std::env::var_os("KABUTO_REGISTRY_DIR")
        .map_or_else(|| PathBuf::from("/tmp/kabuto-registry"), PathBuf::from);
    let env_file = dir.join("registry.env");
    let Ok(text) = std::fs::read_to_string(&env_file) else {
        eprintln!(
            "SKIP: {} is missing; run scripts/test-registry.sh",
            env_file.display()
        );
        return None;
    };
    let registries = Registries {
        vars: text
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    };
    if TcpStream::connect(format!("127.0.0.1:{}", registries.var("PLAIN_PORT"))).is_err() {
        eprintln!(
            "SKIP: the registries of {} are not running",
            env_file.display()
        );
        return None;
    }
    let Some(fixtures) = common::fixture_images() else {
        eprintln!("SKIP: fixture images not built (run ../shared/images/build-fixture-images.sh)");
        return None;
    };
    Some((registries, fixtures))
}

/// What must not depend on where the image was read from: OS, and each package with its
/// purl, file paths and layer.
fn inventory(run: &Run) -> (serde_json::Value, Vec<serde_json::Value>) {
    run.expect_code(0);
    let report = run.json();
    let mut packages: Vec<serde_json::Value> = report["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| serde_json::json!({"purl": p["purl"], "locations": p["locations"]}))
        .collect();
    packages.sort_by_key(|p| p.to_string());
    (report["os"].clone(), packages)
}

fn from_archive(fixtures: &Path, image: &str) -> (serde_json::Value, Vec<serde_json::Value>) {
    let archive = fixtures.join("docker").join(format!("{image}.tar"));
    inventory(&kabuto(&["sbom", path_arg(&archive), "--format", "json"]))
}

#[test]
fn plain_http_pull_equals_the_docker_archive() {
    let Some((registries, fixtures)) = setup() else {
        return;
    };
    let reference = format!("{}:latest", registries.image("PLAIN_PORT", "debian-app"));
    let run = kabuto(&["sbom", &reference, "--insecure", "--format", "json"]);
    let pulled = inventory(&run);
    assert!(pulled.1.len() > 100, "{} packages", pulled.1.len());
    assert_eq!(pulled, from_archive(&fixtures, "debian-app"));
    assert_eq!(run.json()["artifact"]["name"], reference);
}

#[test]
fn tls_with_private_ca_and_basic_auth_equals_the_docker_archive() {
    let Some((registries, fixtures)) = setup() else {
        return;
    };
    let reference = format!("{}:latest", registries.image("TLS_PORT", "alpine-like"));
    let run = kabuto(&[
        "sbom",
        &format!("registry:{reference}"),
        "--registry-ca",
        registries.var("CA_FILE"),
        "--username",
        registries.var("USERNAME"),
        "--password",
        registries.var("PASSWORD"),
        "--format",
        "json",
    ]);
    assert_eq!(inventory(&run), from_archive(&fixtures, "alpine-like"));
}

#[test]
fn platform_picks_from_a_multi_arch_index() {
    let Some((registries, fixtures)) = setup() else {
        return;
    };
    let reference = format!("{}:latest", registries.image("PLAIN_PORT", "multi"));
    let pull = |platform: &str| {
        kabuto(&[
            "sbom",
            &reference,
            "--insecure",
            "--platform",
            platform,
            "--format",
            "json",
        ])
    };
    // test-registry.sh pushes alpine-like as the index's linux/amd64 image.
    let amd64 = pull("linux/amd64");
    assert_eq!(inventory(&amd64), from_archive(&fixtures, "alpine-like"));
    assert_eq!(amd64.json()["image"]["architecture"], "amd64");
    let arm64 = pull("linux/arm64");
    arm64.expect_code(0);
    assert_eq!(arm64.json()["image"]["architecture"], "arm64");
    assert_eq!(
        arm64.json()["image"]["manifest_digest"],
        registries.var("MULTI_ARM64_DIGEST")
    );
}

/// Registry failures exit 1 with one line naming the image and the step that failed.
#[test]
fn registry_errors_name_the_image_and_step() {
    let Some((registries, _)) = setup() else {
        return;
    };
    let plain = registries.image("PLAIN_PORT", "alpine-like");
    let tls = registries.image("TLS_PORT", "alpine-like");
    let ca = registries.var("CA_FILE");
    let cases: [(&str, Vec<String>); 4] = [
        (
            "unknown tag",
            vec![format!("{plain}:no-such-tag"), "--insecure".into()],
        ),
        (
            "wrong password",
            vec![
                format!("{tls}:latest"),
                "--registry-ca".into(),
                ca.into(),
                "--username".into(),
                registries.var("USERNAME").into(),
                "--password".into(),
                "not-the-password".into(),
            ],
        ),
        ("untrusted certificate", vec![format!("{tls}:latest")]),
        (
            "no such platform",
            vec![
                format!("{}:latest", registries.image("PLAIN_PORT", "multi")),
                "--insecure".into(),
                "--platform".into(),
                "linux/s390x".into(),
            ],
        ),
    ];
    let mut transcript = String::new();
    for (case, args) in cases {
        let mut argv = vec!["sbom"];
        argv.extend(args.iter().map(String::as_str));
        let run = kabuto(&argv);
        run.expect_code(1);
        assert!(run.stdout.is_empty());
        assert_eq!(run.stderr.lines().count(), 1, "{case}: {}", run.stderr);
        assert!(run.stderr.contains("fixtures/"), "{case}: {}", run.stderr);
        transcript.push_str(&format!("{case}: {}", run.stderr));
    }
    let ports = regex::Regex::new(r"127\.0\.0\.1:\d+").expect("valid pattern");
    insta::assert_snapshot!(
        "registry_errors",
        ports.replace_all(&transcript, "127.0.0.1:[PORT]")
    );
}
