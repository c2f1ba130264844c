//! On the real fixture images, Kabuto's inventory must contain every package that Syft and
//! Trivy report (name, version, ecosystem), except where a peer is demonstrably wrong; each such
//! case is listed in `PEER_MISTAKES` with the reason.
//!
//! Needs the images built by `../shared/images/build-fixture-images.sh` and the peers installed by
//! `../shared/peers/install-peers.sh` (scripts/test.sh does both); skips with a note otherwise.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use kabuto_types::Purl;

/// (image, purl type, name, version, why the peer is wrong).
const PEER_MISTAKES: &[(&str, &str, &str, &str, &str)] = &[(
    "rocky-like",
    "generic",
    "gzip",
    "1.0",
    "syft's binary classifier matches the gzip applet string inside busybox; no gzip 1.0 is installed",
)];

type Key = (String, String, String);

fn fixture_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KABUTO_FIXTURES")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/kabuto-fixtures/out"))
        })?;
    dir.join("docker").is_dir().then_some(dir)
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

/// (purl type, normalised name, version with epoch) of a purl string.
fn key_of(purl: &str) -> Option<Key> {
    let p: Purl = purl.parse().ok()?;
    let mut version = p.version()?.to_owned();
    if let Some(epoch) = p.qualifiers().get("epoch")
        && epoch != "0"
        && !version.contains(':')
    {
        version = format!("{epoch}:{version}");
    }
    let name = match p.namespace() {
        Some(ns) if matches!(p.ty(), "npm" | "golang" | "composer") => format!("{ns}/{}", p.name()),
        Some(ns) if p.ty() == "maven" => format!("{ns}:{}", p.name()),
        _ => p.name().to_owned(),
    };
    let name = if p.ty() == "pypi" {
        name.to_ascii_lowercase().replace(['_', '.'], "-")
    } else {
        name
    };
    Some((p.ty().to_owned(), name, version))
}

fn cyclonedx_keys(json: &[u8]) -> BTreeSet<Key> {
    let doc: serde_json::Value = serde_json::from_slice(json).expect("valid CycloneDX JSON");
    doc["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["purl"].as_str())
        .filter_map(key_of)
        .collect()
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn kabuto(archive: &Path) -> BTreeSet<Key> {
    cyclonedx_keys(&run(Command::new(env!("CARGO_BIN_EXE_kabuto"))
        .args(["sbom", "--quiet", "--format", "cyclonedx"])
        .arg(archive)))
}

fn trivy(archive: &Path) -> BTreeSet<Key> {
    cyclonedx_keys(&run(Command::new("trivy-peer")
        .args([
            "image",
            "--quiet",
            "--cache-backend",
            "memory",
            "--format",
            "cyclonedx",
            "--input",
        ])
        .arg(archive)))
}

fn syft(archive: &Path) -> BTreeSet<Key> {
    let target = format!("docker-archive:{}", archive.display());
    cyclonedx_keys(&run(Command::new("syft-peer")
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .args(["scan", "-q", "-o", "cyclonedx-json", &target])))
}

#[test]
fn inventory_contains_everything_the_peers_report() {
    let Some(dir) = fixture_dir() else {
        eprintln!("SKIP: fixture images not built (run ../shared/images/build-fixture-images.sh)");
        return;
    };
    if !have("trivy-peer") || !have("syft-peer") {
        eprintln!(
            "SKIP: trivy-peer/syft-peer not installed (run ../shared/peers/install-peers.sh)"
        );
        return;
    }
    let mut failures = Vec::new();
    for image in [
        "debian-base",
        "debian-pkgs",
        "debian-app",
        "alpine-like",
        "rocky-like",
    ] {
        let archive = dir.join("docker").join(format!("{image}.tar"));
        if !archive.exists() {
            continue;
        }
        let ours = kabuto(&archive);
        assert!(!ours.is_empty(), "{image}: Kabuto found no packages");
        for (peer, theirs) in [("trivy", trivy(&archive)), ("syft", syft(&archive))] {
            let missing: Vec<_> = theirs
                .difference(&ours)
                .filter(|(ty, name, version)| {
                    !PEER_MISTAKES
                        .iter()
                        .any(|(i, t, n, v, _)| *i == image && t == ty && n == name && v == version)
                })
                .collect();
            eprintln!(
                "{image}: kabuto {} packages, {peer} {}, missing from ours {}",
                ours.len(),
                theirs.len(),
                missing.len()
            );
            if !missing.is_empty() {
                failures.push(format!(
                    "{image}: {peer} reports {missing:?} that Kabuto does not"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
